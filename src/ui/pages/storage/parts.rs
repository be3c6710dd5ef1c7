//! The Storage page's pieces that stand alone: a pool's row in the list, the volume
//! delete confirmation (or refusal while a machine uses it), and the upload/download file
//! chooser.

use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use super::{StorageMsg, StoragePage, VolumeOp};
use crate::backend::storage::{PoolInfo, StorageCommand, VolumeInfo};
use crate::i18n::gettext_f;
use crate::ui::dialogs::confirm::{self, Question};
use crate::ui::format;
use crate::ui::widgets::host_page::{self, esc};

/// A pool in the list: name, type and place, and how full it is.
pub(super) fn pool_row(pool: &PoolInfo) -> adw::ActionRow {
    let mut parts = vec![pool.kind.label()];
    if let Some(path) = pool.target_path.as_deref().filter(|p| !p.is_empty()) {
        parts.push(path.to_owned());
    } else if !pool.source.is_empty() {
        parts.push(pool.source.clone());
    }
    if !pool.active {
        parts.push(gettext("Inactive"));
    }
    if pool.autostart {
        parts.push(gettext("starts with the host"));
    }
    let row = adw::ActionRow::builder()
        .title(esc(&pool.name))
        .subtitle(esc(&parts.join(" · ")))
        .activatable(true)
        .build();
    if pool.active {
        let free = gettext_f(
            "{free} free of {capacity}",
            &[
                ("free", &format::bytes(pool.available)),
                ("capacity", &format::bytes(pool.capacity)),
            ],
        );
        let usage = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(4)
            .valign(gtk::Align::Center)
            .build();
        usage.append(&host_page::usage_bar(pool.allocation, pool.capacity, &free));
        usage.append(
            &gtk::Label::builder()
                .label(&free)
                .css_classes(["caption", "dim-label"])
                .xalign(1.0)
                .build(),
        );
        row.add_suffix(&usage);
    }
    row.add_suffix(&gtk::Image::from_icon_name("go-next-symbolic"));
    row
}

/// Deleting a volume: refused up front while a machine uses it, confirmed otherwise.
pub(super) fn delete_volume(
    parent: &gtk::Window,
    volume: &VolumeInfo,
    send: Rc<dyn Fn(StorageCommand)>,
) {
    if !volume.used_by.is_empty() {
        let users: Vec<String> = volume
            .used_by
            .iter()
            .map(|u| format!("{} ({})", u.name, u.target))
            .collect();
        confirm::refuse(
            parent,
            &gettext("Volume in Use"),
            &gettext_f(
                "“{name}” is a disk of {users}. Detach it from the machine first (on the machine’s page, under Disks).",
                &[("name", &volume.name), ("users", &users.join(", "))],
            ),
        );
        return;
    }
    let (pool, name) = (volume.pool.clone(), volume.name.clone());
    confirm::ask(
        parent,
        Question {
            heading: &gettext_f("Delete “{name}”?", &[("name", &volume.name)]),
            body: &gettext("Its data is lost for good."),
            accept: &gettext("Delete"),
            destructive: true,
            extra: None,
        },
        move || {
            send(StorageCommand::DeleteVolume {
                pool: pool.clone(),
                name: name.clone(),
            })
        },
    );
}

/// The file chooser of an upload (open) or a download (save).
pub(super) fn transfer_chooser(
    parent: &gtk::Window,
    op: VolumeOp,
    volume: &VolumeInfo,
    sender: &ComponentSender<StoragePage>,
) -> gtk::FileChooserNative {
    let upload = op == VolumeOp::Upload;
    let (title, accept, action) = if upload {
        (
            gettext_f("Upload a File into “{name}”", &[("name", &volume.name)]),
            gettext("Upload"),
            gtk::FileChooserAction::Open,
        )
    } else {
        (
            gettext_f("Download “{name}”", &[("name", &volume.name)]),
            gettext("Download"),
            gtk::FileChooserAction::Save,
        )
    };
    let chooser = gtk::FileChooserNative::new(
        Some(&title),
        Some(parent),
        action,
        Some(&accept),
        Some(&gettext("Cancel")),
    );
    if !upload {
        chooser.set_current_name(&volume.name);
    }
    let sender = sender.clone();
    let name = volume.name.clone();
    chooser.connect_response(move |chooser, response| {
        if response == gtk::ResponseType::Accept {
            if let Some(path) = chooser.file().and_then(|f| f.path()) {
                sender.input(StorageMsg::Transfer(op, name.clone(), path));
            }
        }
    });
    chooser
}
