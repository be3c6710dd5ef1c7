//! Build-time configuration. Meson sets these through the environment of the cargo
//! build; a plain `cargo build` gets development defaults, so `cargo run` just works.

pub const APP_ID: &str = match option_env!("APP_ID") {
    Some(id) => id,
    None => "io.github.kvmmanager.KvmManager.Devel",
};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub const GETTEXT_PACKAGE: &str = "kvm-manager";

/// Where compiled translations live. Meson points this at the install prefix; a cargo
/// build looks in the build tree that `make` fills (`build/locale`).
pub const LOCALEDIR: &str = match option_env!("LOCALEDIR") {
    Some(dir) => dir,
    None => concat!(env!("CARGO_MANIFEST_DIR"), "/build/locale"),
};

/// "default" for releases, "development" for the Devel profile (striped header bar).
pub const PROFILE: &str = match option_env!("PROFILE") {
    Some(p) => p,
    None => "development",
};

/// Compiled GSettings schemas of this build tree, used when the schema is not installed
/// system-wide (a cargo build run in place). Set by build.rs.
pub const DEV_SCHEMA_DIR: Option<&str> = option_env!("KVMM_DEV_SCHEMA_DIR");

pub fn is_devel() -> bool {
    PROFILE == "development"
}

/// Where an installed build keeps helper programs (the libvirt network hook); meson sets
/// it. A cargo build finds them next to its own binary instead.
pub const LIBEXECDIR: Option<&str> = option_env!("LIBEXECDIR");
