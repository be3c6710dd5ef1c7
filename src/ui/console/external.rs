//! "Open in External Viewer": virt-viewer (Debian's `virt-viewer` package, which also has
//! remote-viewer) talks to libvirt itself, so it gets the machine's URI and UUID; on a
//! local connection `--attach` lets libvirt hand it the display socket, as we do.

use std::path::{Path, PathBuf};

use adw::prelude::*;
use gettextrs::gettext;
use gtk::gio;

use super::view::Inner;
use crate::i18n::gettext_f;

/// The first executable called `name` on `path` (a PATH-style list).
pub fn find_in_path(name: &str, path: &str) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Whether the URI names this machine (no host part: `qemu:///system`, `test:///…`).
fn is_local(uri: &str) -> bool {
    uri.split_once("://")
        .is_some_and(|(_, rest)| rest.starts_with('/'))
}

/// virt-viewer's arguments for machine `uuid` on `uri`.
pub fn viewer_args(uri: &str, uuid: &str) -> Vec<String> {
    let mut args = vec!["--connect".to_owned(), uri.to_owned()];
    if is_local(uri) {
        args.push("--attach".to_owned());
    }
    // Wait for the display (the machine may be starting) and re-open it after a reboot.
    args.extend([
        "--wait".to_owned(),
        "--reconnect".to_owned(),
        uuid.to_owned(),
    ]);
    args
}

impl Inner {
    /// Launch virt-viewer for the shown machine, or say how to install it.
    pub(super) fn open_external(&self) {
        let (Some(uri), Some(vm)) = (self.hub().uri(), self.vm_object()) else {
            return;
        };
        let path = std::env::var("PATH").unwrap_or_default();
        let Some(program) = find_in_path("virt-viewer", &path) else {
            self.explain_missing_viewer();
            return;
        };
        let uuid = vm.summary().uuid.clone();
        let mut argv = vec![program.into_os_string()];
        argv.extend(viewer_args(&uri, &uuid).into_iter().map(Into::into));
        let argv: Vec<&std::ffi::OsStr> = argv.iter().map(|a| a.as_os_str()).collect();
        match gio::Subprocess::newv(&argv, gio::SubprocessFlags::STDERR_SILENCE) {
            Ok(child) => {
                let toaster = self.toaster();
                child.wait_check_async(gio::Cancellable::NONE, move |result| {
                    if let Err(e) = result {
                        toaster.show(
                            &gettext_f(
                                "The external viewer stopped with an error: {error}",
                                &[("error", e.message())],
                            ),
                            true,
                        );
                    }
                });
                self.toaster()
                    .show(&gettext("Opening in virt-viewer…"), false);
            }
            Err(e) => self.toaster().show(
                &gettext_f(
                    "Could not start virt-viewer: {error}",
                    &[("error", e.message())],
                ),
                true,
            ),
        }
    }

    fn explain_missing_viewer(&self) {
        let parent = self.root().root().and_downcast::<gtk::Window>();
        let dialog = adw::MessageDialog::builder()
            .heading(gettext("No External Viewer"))
            .body(gettext(
                "Opening a console outside KVM Manager needs virt-viewer. Install the “virt-viewer” package, for example with “sudo apt install virt-viewer”, then try again.",
            ))
            .modal(true)
            .build();
        dialog.set_transient_for(parent.as_ref());
        dialog.add_response("close", &gettext("Close"));
        dialog.set_default_response(Some("close"));
        dialog.present();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn local_connections_let_libvirt_attach() {
        assert_eq!(
            viewer_args("qemu:///system", "u-1"),
            [
                "--connect",
                "qemu:///system",
                "--attach",
                "--wait",
                "--reconnect",
                "u-1"
            ]
        );
        assert_eq!(
            viewer_args("qemu+ssh://host/system", "u-1"),
            [
                "--connect",
                "qemu+ssh://host/system",
                "--wait",
                "--reconnect",
                "u-1"
            ]
        );
    }

    #[test]
    fn only_executables_on_the_path_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let empty = tempfile::tempdir().unwrap();
        let plain = dir.path().join("virt-viewer");
        std::fs::write(&plain, "#!/bin/sh\n").unwrap();
        let path = std::env::join_paths([empty.path(), dir.path()])
            .unwrap()
            .into_string()
            .unwrap();
        // Not executable yet: not a viewer.
        assert_eq!(find_in_path("virt-viewer", &path), None);
        std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find_in_path("virt-viewer", &path), Some(plain));
        assert_eq!(find_in_path("virt-viewer", ""), None);
    }
}
