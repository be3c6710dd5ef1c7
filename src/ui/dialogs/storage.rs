//! The Storage page's forms: a new pool (asking only what its type needs), a new volume,
//! resizing and cloning a volume. Each checks what it can before sending (sizes and their
//! units, required fields); the backend checks the rest (paths, hosts, free space) and its
//! refusal shows in the form.

use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;

use super::form::{required, text, FormDialog};
use crate::backend::storage::{
    parse_size, PoolInfo, PoolSpec, StorageCommand, VolFormat, VolumeInfo, VolumeSpec,
};
use crate::i18n::gettext_f;
use crate::ui::format;

type Send = Rc<dyn Fn(StorageCommand)>;

/// The pool types in the order the form offers them.
const KINDS: [&str; 6] = ["dir", "fs", "netfs", "logical", "iscsi", "disk"];

fn kind_labels() -> Vec<String> {
    vec![
        gettext("Directory"),
        gettext("Pre-formatted block device"),
        gettext("Network file system (NFS)"),
        gettext("LVM volume group"),
        gettext("iSCSI target"),
        gettext("Physical disk"),
    ]
}

/// "New Storage Pool": name, type, and the rows that type needs.
pub fn new_pool(parent: &gtk::Window, send: Send) -> FormDialog {
    let form = FormDialog::new(parent, &gettext("New Storage Pool"), &gettext("Create"));
    let basics = form.group("", None);
    let name = form.entry(&basics, &gettext("Name"), "");
    let kind = form.choice(&basics, &gettext("Type"), &kind_labels(), 0);

    let source = form.group(&gettext("Source"), None);
    let path = form.entry(&source, &gettext("Directory"), "/var/lib/libvirt/images");
    let device = form.entry(&source, &gettext("Device"), "");
    let host = form.entry(&source, &gettext("Host"), "");
    let export = form.entry(&source, &gettext("Exported directory"), "");
    let vg = form.entry(&source, &gettext("Volume group"), "");
    let devices = form.entry(&source, &gettext("Physical volumes (optional)"), "");
    let iqn = form.entry(&source, &gettext("Target IQN"), "");
    let initiator = form.entry(&source, &gettext("Initiator IQN (optional)"), "");

    let options = form.group(&gettext("Options"), None);
    let (build_row, build) = form.switch(
        &options,
        &gettext("Create the directory"),
        &gettext("When it does not exist yet"),
        true,
    );
    let (_, start) = form.switch(&options, &gettext("Start now"), "", true);
    let (_, autostart) = form.switch(&options, &gettext("Start with the host"), "", true);

    let sync = {
        let (path, device, host, export, vg, devices, iqn, initiator, build_row, source) = (
            path.clone(),
            device.clone(),
            host.clone(),
            export.clone(),
            vg.clone(),
            devices.clone(),
            iqn.clone(),
            initiator.clone(),
            build_row.clone(),
            source.clone(),
        );
        move |kind: &adw::ComboRow| {
            let k = KINDS[kind.selected() as usize % KINDS.len()];
            path.set_visible(matches!(k, "dir" | "fs" | "netfs"));
            path.set_title(&match k {
                "dir" => gettext("Directory"),
                _ => gettext("Mount point"),
            });
            device.set_visible(matches!(k, "fs" | "disk"));
            host.set_visible(matches!(k, "netfs" | "iscsi"));
            export.set_visible(k == "netfs");
            vg.set_visible(k == "logical");
            devices.set_visible(k == "logical");
            iqn.set_visible(k == "iscsi");
            initiator.set_visible(k == "iscsi");
            build_row.set_visible(matches!(k, "dir" | "fs" | "netfs"));
            source.set_description(Some(&match k {
                "dir" => gettext("Volumes are files in this directory on the host."),
                "fs" => gettext("A block device with a file system, mounted by libvirt at the mount point."),
                "netfs" => gettext("An NFS export, mounted by libvirt at the mount point."),
                "logical" => gettext("Volumes are logical volumes. Give physical volumes only to make a new volume group on them: that erases them."),
                "iscsi" => gettext("The LUNs of an iSCSI target become the pool’s volumes."),
                _ => gettext("Volumes are partitions of this disk."),
            }));
        }
    };
    sync(&kind);
    kind.connect_selected_notify(sync);

    form.on_accept(move || {
        let name = required(&name, &gettext("a name"))?;
        let k = KINDS[kind.selected() as usize % KINDS.len()];
        let spec = match k {
            "dir" => PoolSpec::Dir {
                name,
                path: required(&path, &gettext("a directory"))?,
            },
            "fs" => PoolSpec::Fs {
                name,
                device: required(&device, &gettext("a device"))?,
                path: required(&path, &gettext("a mount point"))?,
            },
            "netfs" => PoolSpec::Netfs {
                name,
                host: required(&host, &gettext("a host"))?,
                export: required(&export, &gettext("the exported directory"))?,
                path: required(&path, &gettext("a mount point"))?,
            },
            "logical" => PoolSpec::Logical {
                name,
                vg: required(&vg, &gettext("a volume group"))?,
                devices: text(&devices)
                    .split([' ', ','])
                    .filter(|d| !d.is_empty())
                    .map(str::to_owned)
                    .collect(),
            },
            "iscsi" => PoolSpec::Iscsi {
                name,
                host: required(&host, &gettext("a host"))?,
                iqn: required(&iqn, &gettext("the target IQN"))?,
                initiator: Some(text(&initiator)).filter(|s| !s.is_empty()),
            },
            _ => PoolSpec::Disk {
                name,
                device: required(&device, &gettext("a device"))?,
            },
        };
        send(StorageCommand::CreatePool {
            spec,
            build: build.is_active() && matches!(k, "dir" | "fs" | "netfs"),
            start: start.is_active(),
            autostart: autostart.is_active(),
        });
        Ok(())
    });
    form
}

/// "New Volume" in `pool`; `volumes` are the pool's volumes (for a backing volume).
pub fn new_volume(
    parent: &gtk::Window,
    pool: &PoolInfo,
    volumes: &[VolumeInfo],
    send: Send,
) -> FormDialog {
    let form = FormDialog::new(
        parent,
        &gettext_f("New Volume in “{pool}”", &[("pool", &pool.name)]),
        &gettext("Create"),
    );
    let group = form.group(
        "",
        Some(&gettext_f(
            "{free} free in the pool",
            &[("free", &format::bytes(pool.available))],
        )),
    );
    let name = form.entry(&group, &gettext("Name"), "");
    let formats = [gettext("qcow2 (grows as used, snapshots)"), gettext("raw")];
    let format_row = form.choice(&group, &gettext("Format"), &formats, 0);
    let size = form.entry(&group, &gettext("Size"), "20 GiB");
    let mut backing_items = vec![gettext("None")];
    let backing_paths: Vec<String> = volumes.iter().map(|v| v.path.clone()).collect();
    backing_items.extend(volumes.iter().map(|v| v.name.clone()));
    let backing = form.choice(&group, &gettext("Backing volume"), &backing_items, 0);
    backing.set_subtitle(&gettext(
        "The new volume starts as a copy-on-write overlay of it",
    ));
    {
        let backing = backing.clone();
        format_row.connect_selected_notify(move |f| backing.set_visible(f.selected() == 0));
    }
    let pool_name = pool.name.clone();
    form.on_accept(move || {
        let name = required(&name, &gettext("a name"))?;
        let capacity = parse_size(&text(&size))?;
        let format = if format_row.selected() == 0 {
            VolFormat::Qcow2
        } else {
            VolFormat::Raw
        };
        let backing = match (format, backing.selected() as usize) {
            (VolFormat::Qcow2, i) if i > 0 => backing_paths.get(i - 1).cloned(),
            _ => None,
        };
        send(StorageCommand::CreateVolume(VolumeSpec {
            pool: pool_name.clone(),
            name: if name.contains('.') {
                name
            } else {
                format!(
                    "{name}.{}",
                    if format == VolFormat::Qcow2 {
                        "qcow2"
                    } else {
                        "img"
                    }
                )
            },
            format,
            capacity,
            backing,
        }));
        Ok(())
    });
    form
}

/// "Resize “volume”": a new, larger size.
pub fn resize(parent: &gtk::Window, volume: &VolumeInfo, send: Send) -> FormDialog {
    let form = FormDialog::new(
        parent,
        &gettext_f("Resize “{name}”", &[("name", &volume.name)]),
        &gettext("Resize"),
    );
    let running = volume.used_by.iter().find(|u| u.running);
    let note = match running {
        Some(user) => gettext_f(
            "Now {size}. Volumes can only grow. “{vm}” is running with it attached as {target}: it sees the new size at once; grow the partition and file system inside it afterwards.",
            &[
                ("size", &format::bytes(volume.capacity)),
                ("vm", &user.name),
                ("target", &user.target),
            ],
        ),
        None => gettext_f(
            "Now {size}. Volumes can only grow; grow the partition and file system inside the guest afterwards.",
            &[("size", &format::bytes(volume.capacity))],
        ),
    };
    let group = form.group("", Some(&note));
    let size = form.entry(
        &group,
        &gettext("New size"),
        &format::bytes(volume.capacity),
    );
    let (pool, name, current) = (volume.pool.clone(), volume.name.clone(), volume.capacity);
    form.on_accept(move || {
        let capacity = parse_size(&text(&size))?;
        if capacity <= current {
            return Err(gettext_f(
                "The new size must be larger than the current {size}: volumes cannot shrink.",
                &[("size", &format::bytes(current))],
            ));
        }
        send(StorageCommand::ResizeVolume {
            pool: pool.clone(),
            name: name.clone(),
            capacity,
        });
        Ok(())
    });
    form
}

/// "Clone “volume”": the copy's name, in the same pool.
pub fn clone(parent: &gtk::Window, volume: &VolumeInfo, send: Send) -> FormDialog {
    let form = FormDialog::new(
        parent,
        &gettext_f("Clone “{name}”", &[("name", &volume.name)]),
        &gettext("Clone"),
    );
    let group = form.group("", None);
    let suggested = match volume.name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}-clone.{ext}"),
        None => format!("{}-clone", volume.name),
    };
    let name = form.entry(&group, &gettext("Name of the copy"), &suggested);
    let (pool, source) = (volume.pool.clone(), volume.name.clone());
    form.on_accept(move || {
        send(StorageCommand::CloneVolume {
            pool: pool.clone(),
            name: source.clone(),
            new_name: required(&name, &gettext("a name"))?,
        });
        Ok(())
    });
    form
}
