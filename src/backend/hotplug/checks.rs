//! The checks a disk request passes before anything is touched. Each refusal says what is
//! wrong and what to do, in the user's language.

use std::io::Read;
use std::path::Path;

use gettextrs::gettext;
use virt::connect::Connect;
use virt::sys;

use super::{DiskBus, DiskDevice};
use crate::backend::disks::{disks_of_xml, Resolver};
use crate::backend::error::{BackendError, ErrorKind};
use crate::i18n::gettext_f;

/// The formats a new volume can have.
pub const VOLUME_FORMATS: [&str; 2] = ["qcow2", "raw"];

fn refuse(kind: ErrorKind, message: String, hint: String) -> BackendError {
    BackendError {
        kind,
        message,
        hint,
    }
}

fn invalid(message: String, hint: String) -> BackendError {
    refuse(ErrorKind::InvalidInput, message, hint)
}

/// `target` is a name for `bus` (`vd…` or `sd…` and letters) that no disk of `name` has.
pub fn check_target(
    target: &str,
    bus: DiskBus,
    taken: &[String],
    name: &str,
) -> Result<(), BackendError> {
    let letters = target.strip_prefix(bus.prefix()).unwrap_or_default();
    if letters.is_empty() || !letters.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(invalid(
            gettext_f(
                "“{target}” is not a name for a {bus} disk.",
                &[("target", target), ("bus", &bus.label())],
            ),
            gettext_f(
                "{bus} disks are named “{prefix}” and letters, for example “{example}”; or leave the name empty to take the next free one.",
                &[
                    ("bus", &bus.label()),
                    ("prefix", bus.prefix()),
                    ("example", &format!("{}b", bus.prefix())),
                ],
            ),
        ));
    }
    if taken.iter().any(|t| t == target) {
        return Err(invalid(
            gettext_f(
                "“{name}” already has a disk “{target}”.",
                &[("name", name), ("target", target)],
            ),
            gettext("Choose another name, or leave it empty to take the next free one."),
        ));
    }
    Ok(())
}

/// What QEMU can do: no CD-ROM on VirtIO, nothing added on SATA while running.
pub fn check_bus(
    device: DiskDevice,
    bus: DiskBus,
    active: bool,
    name: &str,
) -> Result<(), BackendError> {
    if device == DiskDevice::Cdrom && bus == DiskBus::Virtio {
        return Err(invalid(
            gettext("A CD-ROM drive cannot be on the VirtIO bus."),
            gettext("Choose SATA or SCSI for a CD-ROM drive."),
        ));
    }
    if active && !bus.hotpluggable() {
        let hint = match device {
            DiskDevice::Disk => gettext_f(
                "Shut “{name}” down to add a SATA disk, or choose VirtIO or SCSI to add it while it runs.",
                &[("name", name)],
            ),
            DiskDevice::Cdrom => gettext_f(
                "Shut “{name}” down to add a SATA drive, or choose SCSI to add it while it runs.",
                &[("name", name)],
            ),
        };
        return Err(refuse(
            ErrorKind::InvalidState,
            gettext_f(
                "QEMU cannot add a SATA device to the running machine “{name}”.",
                &[("name", name)],
            ),
            hint,
        ));
    }
    Ok(())
}

/// `path` names an existing file or block device on this computer.
pub fn check_file(path: &str) -> Result<(), BackendError> {
    let hint = || gettext("Choose an existing image file, with its full path.");
    if !Path::new(path).is_absolute() {
        return Err(invalid(
            gettext_f(
                "“{path}” is not a full path (it must start with “/”).",
                &[("path", path)],
            ),
            hint(),
        ));
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(invalid(
            gettext_f(
                "“{path}” is a folder, not an image file.",
                &[("path", path)],
            ),
            hint(),
        )),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(invalid(
            gettext_f("“{path}” does not exist.", &[("path", path)]),
            hint(),
        )),
        Err(e) => Err(invalid(
            gettext_f(
                "“{path}” cannot be read: {error}",
                &[("path", path), ("error", &e.to_string())],
            ),
            gettext("Check the file’s permissions, or choose another file."),
        )),
    }
}

/// The image format of a local file: "qcow2" when it starts with qcow2's magic, else
/// "raw" (ISO images, raw disks). Never probes anything else.
pub fn sniff_format(path: &str) -> &'static str {
    let mut magic = [0u8; 4];
    let qcow2 = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .map(|()| magic == *b"QFI\xfb")
        .unwrap_or(false);
    if qcow2 {
        "qcow2"
    } else {
        "raw"
    }
}

/// A name for a new volume: not empty, no “/”, not “.” or “..”.
pub fn check_volume_name(name: &str) -> Result<(), BackendError> {
    if name.trim().is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(invalid(
            gettext_f("“{volume}” cannot be a volume name.", &[("volume", name)]),
            gettext("Give the volume a file name without “/”, for example “data.qcow2”."),
        ));
    }
    Ok(())
}

/// A new volume's size and format: more than 0 bytes, no more than the pool has free.
pub fn check_new_volume(
    capacity: u64,
    format: &str,
    available: u64,
    pool: &str,
) -> Result<(), BackendError> {
    if !VOLUME_FORMATS.contains(&format) {
        return Err(invalid(
            gettext_f(
                "“{format}” is not a volume format KVM Manager creates.",
                &[("format", format)],
            ),
            gettext("Choose qcow2 or raw."),
        ));
    }
    if capacity == 0 {
        return Err(invalid(
            gettext("A new volume needs a size above zero."),
            gettext("Enter a size, for example 10 GiB."),
        ));
    }
    if capacity > available {
        return Err(invalid(
            gettext_f(
                "{size} does not fit into pool “{pool}”: it has {free} free.",
                &[
                    ("size", &crate::i18n::bytes(capacity)),
                    ("pool", pool),
                    ("free", &crate::i18n::bytes(available)),
                ],
            ),
            gettext("Choose a smaller size or another pool."),
        ));
    }
    Ok(())
}

/// Refuse storage at `key` when a running machine other than `uuid` uses it and either
/// side would write to it (neither read-only nor shareable).
pub fn check_not_in_use(
    conn: &Connect,
    uuid: &str,
    key: &str,
    writable: bool,
) -> Result<(), BackendError> {
    let mut res = Resolver::default();
    let domains = conn
        .list_all_domains(sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE)
        .map_err(|e| BackendError::from_virt(&e))?;
    for dom in domains {
        let Ok(other) = dom.uuid_string() else {
            continue;
        };
        if other.eq_ignore_ascii_case(uuid) {
            continue;
        }
        // Gone or stopped meanwhile: it uses nothing.
        let Ok(xml) = dom.xml_desc(0) else { continue };
        for d in disks_of_xml(conn, &mut res, &xml)? {
            if d.key().as_deref() != Some(key) {
                continue;
            }
            let other_writes = !d.readonly && !d.shareable;
            if other_writes || writable {
                let name = dom.name().unwrap_or(other);
                return Err(refuse(
                    ErrorKind::InvalidState,
                    gettext_f(
                        "“{source}” is in use by the running machine “{name}” as “{target}”.",
                        &[("source", key), ("name", &name), ("target", &d.target)],
                    ),
                    gettext_f(
                        "Two machines writing to one disk destroy its data. Shut “{name}” down or detach the disk there first.",
                        &[("name", &name)],
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken() -> Vec<String> {
        vec!["vda".into(), "sda".into()]
    }

    #[test]
    fn targets_must_match_their_bus_and_be_free() {
        assert!(check_target("vdb", DiskBus::Virtio, &taken(), "web").is_ok());
        assert!(check_target("sdb", DiskBus::Scsi, &taken(), "web").is_ok());
        let e = check_target("vda", DiskBus::Virtio, &taken(), "web").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(e.message.contains("already has a disk “vda”"), "{e}");
        for bad in ["sdb", "vd", "vdB", "vd1", "hda", "../vdb", ""] {
            let e = check_target(bad, DiskBus::Virtio, &taken(), "web").unwrap_err();
            assert!(
                e.message.contains("is not a name for a VirtIO disk"),
                "{bad}: {e}"
            );
            assert!(e.hint.contains("“vd”"), "{e:?}");
        }
        assert!(check_target("vdb", DiskBus::Sata, &taken(), "web").is_err());
    }

    #[test]
    fn sata_is_refused_on_a_running_machine() {
        let e = check_bus(DiskDevice::Disk, DiskBus::Sata, true, "web").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidState);
        assert!(e.message.contains("SATA"), "{e}");
        assert!(e.hint.contains("Shut “web” down") && e.hint.contains("VirtIO or SCSI"));
        assert!(check_bus(DiskDevice::Disk, DiskBus::Sata, false, "web").is_ok());
        assert!(check_bus(DiskDevice::Disk, DiskBus::Scsi, true, "web").is_ok());
        let e = check_bus(DiskDevice::Cdrom, DiskBus::Virtio, false, "web").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
    }

    #[test]
    fn files_must_exist_and_not_be_folders() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("disk.img");
        std::fs::write(&file, b"QFI\xfb rest").unwrap();
        let f = file.to_str().unwrap();
        assert!(check_file(f).is_ok());
        assert_eq!(sniff_format(f), "qcow2");
        let raw = dir.path().join("cd.iso");
        std::fs::write(&raw, b"CD001").unwrap();
        assert_eq!(sniff_format(raw.to_str().unwrap()), "raw");
        let e = check_file(dir.path().to_str().unwrap()).unwrap_err();
        assert!(e.message.contains("is a folder"), "{e}");
        let gone = dir.path().join("nope.iso");
        let e = check_file(gone.to_str().unwrap()).unwrap_err();
        assert!(e.message.ends_with("does not exist."), "{e}");
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(check_file("relative.iso").is_err());
    }

    #[test]
    fn new_volumes_need_a_name_a_size_and_room() {
        assert!(check_volume_name("data.qcow2").is_ok());
        for bad in ["", " ", "a/b", ".", ".."] {
            assert!(check_volume_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_new_volume(1 << 20, "qcow2", 1 << 30, "default").is_ok());
        let e = check_new_volume(0, "raw", 1 << 30, "default").unwrap_err();
        assert!(e.message.contains("above zero"), "{e}");
        let e = check_new_volume(2 << 30, "raw", 1 << 30, "default").unwrap_err();
        assert!(
            e.message.contains("2 GiB") && e.message.contains("1 GiB free"),
            "{e}"
        );
        assert!(check_new_volume(1 << 20, "vmdk", 1 << 30, "default").is_err());
    }
}
