//! Compiles the GSettings schema into OUT_DIR so a plain `cargo run` finds it
//! (meson installs and compiles it system-wide for real installs).

use std::path::Path;
use std::process::Command;

fn main() {
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    let schema_dir = Path::new(&out).join("schemas");
    println!("cargo:rerun-if-changed=data");
    let _ = std::fs::create_dir_all(&schema_dir);
    let Ok(entries) = std::fs::read_dir("data") else {
        return;
    };
    let mut found = false;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.to_string_lossy().ends_with(".gschema.xml") {
            let _ = std::fs::copy(&path, schema_dir.join(entry.file_name()));
            found = true;
        }
    }
    if !found {
        return;
    }
    match Command::new("glib-compile-schemas")
        .arg(&schema_dir)
        .status()
    {
        Ok(s) if s.success() => {
            println!(
                "cargo:rustc-env=KVMM_DEV_SCHEMA_DIR={}",
                schema_dir.display()
            );
        }
        other => println!("cargo:warning=glib-compile-schemas failed: {other:?}"),
    }
}
