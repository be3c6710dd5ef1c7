//! The details page's "Disks" group: each disk (target, bus, device, source, size) with
//! its actions (Detach, and for CD-ROM drives Change Media… and Eject), and "Attach
//! Disk…", which opens the attach dialog. Every action becomes a
//! [`DiskCommand`] for the connection worker; the page shows the result when the
//! machine's details arrive again, and the toast says what happened.

use std::cell::RefCell;

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use super::{VmDetailsOutput, VmDetailsPage};
use crate::backend::create::CreateOptions;
use crate::backend::hotplug::{DiskBus, DiskCommand};
use crate::backend::{DiskInfo, VmDetails};
use crate::i18n::gettext_f;
use crate::ui::dialogs::attach_disk::{self, AttachDialog, AttachInit};
use crate::ui::dialogs::confirm;
use crate::ui::{a11y, format};

/// What the Disks group asks of the page.
#[derive(Debug)]
pub enum DiskMsg {
    OpenAttach,
    /// Confirm, then detach the disk with this target.
    Detach(String),
    /// Choose a file for the CD-ROM drive with this target.
    ChangeMedia(String),
    Eject(String),
    /// Send this request to the worker.
    Send(DiskCommand),
}

/// The group's widgets and what its dialogs need between messages.
pub struct DisksGroup {
    pub group: adw::PreferencesGroup,
    attach: gtk::Button,
    rows: RefCell<Vec<adw::ActionRow>>,
    dialog: RefCell<Option<AttachDialog>>,
    storage: RefCell<Option<CreateOptions>>,
    /// The open native file chooser (GTK does not keep it alive).
    chooser: RefCell<Option<gtk::FileChooserNative>>,
    sender: ComponentSender<VmDetailsPage>,
}

fn bus_label(bus: &str) -> String {
    DiskBus::from_xml(bus)
        .map(DiskBus::label)
        .unwrap_or_else(|| bus.to_uppercase())
}

fn device_label(device: &str) -> String {
    match device {
        "cdrom" => gettext("CD-ROM"),
        "disk" => gettext("Disk"),
        "floppy" => gettext("Floppy"),
        other => other.to_owned(),
    }
}

fn row_button(icon: &str, label: &str) -> gtk::Button {
    let b = a11y::icon_button(icon, label);
    b.add_css_class("flat");
    b.set_valign(gtk::Align::Center);
    b
}

impl DisksGroup {
    pub fn new(sender: &ComponentSender<VmDetailsPage>) -> DisksGroup {
        let group = adw::PreferencesGroup::builder()
            .title(gettext("Disks"))
            .build();
        let attach = gtk::Button::builder()
            .child(
                &adw::ButtonContent::builder()
                    .icon_name("list-add-symbolic")
                    .label(gettext("Attach Disk…"))
                    .build(),
            )
            .css_classes(["flat"])
            .valign(gtk::Align::Center)
            .build();
        // Its label names it (an explicit name as well would be read twice on GTK 4.8).
        {
            let input = sender.input_sender().clone();
            attach.connect_clicked(move |_| {
                input.emit(super::VmDetailsMsg::Disk(DiskMsg::OpenAttach))
            });
        }
        group.set_header_suffix(Some(&attach));
        DisksGroup {
            group,
            attach,
            rows: RefCell::new(Vec::new()),
            dialog: RefCell::new(None),
            storage: RefCell::new(None),
            chooser: RefCell::new(None),
            sender: sender.clone(),
        }
    }

    /// Replace the rows with the disks of `d`.
    pub fn show(&self, d: &VmDetails) {
        for row in self.rows.borrow_mut().drain(..) {
            self.group.remove(&row);
        }
        let mut rows = Vec::new();
        if d.disks.is_empty() {
            let row = adw::ActionRow::builder().title(gettext("None")).build();
            self.group.add(&row);
            rows.push(row);
        }
        for disk in &d.disks {
            let row = self.disk_row(disk);
            self.group.add(&row);
            rows.push(row);
        }
        self.rows.replace(rows);
        self.attach.set_sensitive(true);
    }

    fn disk_row(&self, disk: &DiskInfo) -> adw::ActionRow {
        let sender = &self.sender;
        let title = gettext_f(
            "{target} · {bus} {device}",
            &[
                ("target", &disk.target),
                ("bus", &bus_label(&disk.bus)),
                ("device", &device_label(&disk.device)),
            ],
        );
        let mut parts = vec![if disk.source.is_empty() {
            gettext("Empty")
        } else {
            disk.source.clone()
        }];
        if let Some(size) = disk.capacity_bytes {
            parts.push(format::bytes(size));
        }
        if !disk.format.is_empty() {
            parts.push(disk.format.clone());
        }
        if disk.readonly && disk.device != "cdrom" {
            parts.push(gettext("read-only"));
        }
        let subtitle = parts.join(" · ");
        let row = adw::ActionRow::builder()
            .title(gtk::glib::markup_escape_text(&title).as_str())
            .subtitle(gtk::glib::markup_escape_text(&subtitle).as_str())
            .build();
        row.add_css_class("property");
        a11y::set_description(&row, &subtitle);
        let emit = |msg: fn(String) -> DiskMsg, target: &str| {
            let input = sender.input_sender().clone();
            let target = target.to_owned();
            move |_: &gtk::Button| input.emit(super::VmDetailsMsg::Disk(msg(target.clone())))
        };
        let t = &disk.target;
        if disk.device == "cdrom" {
            let change = row_button(
                "media-optical-symbolic",
                &gettext_f("Change Media in {target}…", &[("target", t)]),
            );
            change.connect_clicked(emit(DiskMsg::ChangeMedia, t));
            row.add_suffix(&change);
            let eject = row_button(
                "media-eject-symbolic",
                &gettext_f("Eject {target}", &[("target", t)]),
            );
            eject.set_sensitive(!disk.source.is_empty());
            eject.connect_clicked(emit(DiskMsg::Eject, t));
            row.add_suffix(&eject);
        }
        let detach = row_button(
            "list-remove-symbolic",
            &gettext_f("Detach {target}", &[("target", t)]),
        );
        detach.connect_clicked(emit(DiskMsg::Detach, t));
        row.add_suffix(&detach);
        row
    }

    /// The host's pools and volumes arrived (for the attach dialog).
    pub fn set_storage(&self, options: CreateOptions) {
        if let Some(d) = self.dialog.borrow().as_ref() {
            d.set_storage(&options);
        }
        self.storage.replace(Some(options));
    }

    /// The worker answered a request: close the attach dialog, or show why it failed.
    pub fn done(&self, result: Result<(), String>) {
        let Some(dialog) = self.dialog.borrow().clone().filter(AttachDialog::is_open) else {
            self.dialog.replace(None);
            return;
        };
        match result {
            Ok(()) => {
                dialog.close();
                self.dialog.replace(None);
            }
            Err(e) => dialog.failed(&e),
        }
    }
}

impl VmDetailsPage {
    /// Handle a [`DiskMsg`] of the Disks group.
    pub(super) fn on_disk_msg(&self, msg: DiskMsg, sender: &ComponentSender<Self>) {
        let (Some(d), Some(parent)) = (
            self.details.as_ref(),
            self.name.root().and_downcast::<gtk::Window>(),
        ) else {
            return;
        };
        let group = &self.disk_group;
        match msg {
            DiskMsg::Send(cmd) => {
                let _ = sender.output(VmDetailsOutput::Disk(cmd));
            }
            DiskMsg::OpenAttach => {
                let _ = sender.output(VmDetailsOutput::NeedStorage);
                let input = sender.input_sender().clone();
                let dialog = attach_disk::show(
                    &parent,
                    AttachInit {
                        uuid: d.uuid.clone(),
                        name: d.name.clone(),
                        running: d.state.is_some_and(|s| s.is_active()),
                        targets: d.disks.iter().map(|x| x.target.clone()).collect(),
                        storage: group.storage.borrow().clone(),
                    },
                    move |req| {
                        input.emit(super::VmDetailsMsg::Disk(DiskMsg::Send(
                            DiskCommand::Attach(req),
                        )))
                    },
                );
                group.dialog.replace(Some(dialog));
            }
            DiskMsg::Detach(target) => {
                let Some(disk) = d.disks.iter().find(|x| x.target == target) else {
                    return;
                };
                let input = sender.input_sender().clone();
                let uuid = d.uuid.clone();
                let shown = target.clone();
                confirm::detach_disk(
                    &parent,
                    &d.name,
                    &shown,
                    &disk.source,
                    d.state.is_some_and(|s| s.is_active()),
                    move || {
                        input.emit(super::VmDetailsMsg::Disk(DiskMsg::Send(
                            DiskCommand::Detach {
                                uuid: uuid.clone(),
                                target: target.clone(),
                            },
                        )))
                    },
                );
            }
            DiskMsg::Eject(target) => {
                let _ = sender.output(VmDetailsOutput::Disk(DiskCommand::ChangeMedia {
                    uuid: d.uuid.clone(),
                    target,
                    path: None,
                }));
            }
            DiskMsg::ChangeMedia(target) => {
                let chooser = attach_disk::image_chooser(
                    &parent,
                    &gettext_f("Choose a Disc Image for {target}", &[("target", &target)]),
                );
                let input = sender.input_sender().clone();
                let uuid = d.uuid.clone();
                chooser.connect_response(move |c, r| {
                    if r != gtk::ResponseType::Accept {
                        return;
                    }
                    if let Some(path) = c.file().and_then(|f| f.path()) {
                        input.emit(super::VmDetailsMsg::Disk(DiskMsg::Send(
                            DiskCommand::ChangeMedia {
                                uuid: uuid.clone(),
                                target: target.clone(),
                                path: Some(path.display().to_string()),
                            },
                        )));
                    }
                });
                chooser.show();
                group.chooser.replace(Some(chooser));
            }
        }
    }
}
