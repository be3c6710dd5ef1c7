//! Managing machines beyond their lifecycle: delete, clone, export and import of XML, and
//! saving the XML editor. The app asks the worker for a plan, shows the dialog, sends
//! the user's choice, and reports the outcome. Local files are read and written on a
//! blocking thread, never in `update`.

use std::path::PathBuf;

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use super::{App, AppMsg};
use crate::backend::networks::NetworkCommand;
use crate::backend::storage::StorageCommand;
use crate::backend::xml_define::XmlKind;
use crate::backend::{Command, Event};
use crate::i18n::{gettext_f, ngettext_f};
use crate::ui::dialogs::{clone_vm, delete_vm, xml_dialog};
use crate::ui::pages::vm_details::VmDetailsMsg;

/// Largest XML file imported (a domain definition is a few KiB).
const MAX_IMPORT_BYTES: u64 = 4 * 1024 * 1024;

/// Run `work` on a blocking thread and hand its result to the app as a message.
fn off_main<T: Send + 'static>(
    sender: &ComponentSender<App>,
    work: impl FnOnce() -> T + Send + 'static,
    done: impl FnOnce(T) -> AppMsg + 'static,
) {
    let input = sender.input_sender().clone();
    relm4::spawn_local(async move {
        if let Ok(value) = relm4::spawn_blocking(work).await {
            input.emit(done(value));
        }
    });
}

fn read_xml_file(path: &PathBuf) -> Result<String, String> {
    let shown = path.display().to_string();
    let fail = |why: String| {
        gettext_f(
            "Cannot read “{path}”: {error}",
            &[("path", &shown), ("error", &why)],
        )
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if meta.len() > MAX_IMPORT_BYTES {
        return Err(fail(gettext(
            "the file is too large to be a machine definition",
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    String::from_utf8(bytes).map_err(|_| fail(gettext("the file is not UTF-8 text")))
}

impl App {
    fn file_chooser(
        &mut self,
        title: &str,
        accept: &str,
        save_as: Option<&str>,
        on_file: impl Fn(PathBuf) + 'static,
    ) {
        let action = if save_as.is_some() {
            gtk::FileChooserAction::Save
        } else {
            gtk::FileChooserAction::Open
        };
        let chooser = gtk::FileChooserNative::new(
            Some(title),
            Some(&self.window),
            action,
            Some(accept),
            Some(&gettext("Cancel")),
        );
        let filter = gtk::FileFilter::new();
        filter.set_name(Some(&gettext("XML files")));
        filter.add_pattern("*.xml");
        chooser.add_filter(&filter);
        if let Some(name) = save_as {
            chooser.set_current_name(name);
        }
        chooser.connect_response(move |c, r| {
            if r == gtk::ResponseType::Accept {
                if let Some(path) = c.file().and_then(|f| f.path()) {
                    on_file(path);
                }
            }
        });
        chooser.show();
        // GTK does not keep native choosers alive.
        self.chooser = Some(chooser);
    }

    pub(super) fn import_vm(&mut self, sender: &ComponentSender<Self>) {
        let sender2 = sender.clone();
        self.file_chooser(
            &gettext("Import a Machine from XML"),
            &gettext("Import"),
            None,
            move |path| {
                off_main(&sender2, move || read_xml_file(&path), AppMsg::ImportRead);
            },
        );
    }

    pub(super) fn on_import_read(&mut self, r: Result<String, String>) {
        match r {
            Ok(xml) => self.send(Command::ImportXml { xml }),
            Err(e) => self.chrome.toast(&e, true),
        }
    }

    /// Handles the events of the delete, clone and XML commands.
    pub(super) fn on_manage_event(&mut self, event: Event, sender: &ComponentSender<Self>) {
        match event {
            Event::DeletePlan(Ok(plan)) => {
                let input = sender.input_sender().clone();
                let uuid = plan.uuid.clone();
                delete_vm::show(self.window.upcast_ref(), &plan, move |volumes| {
                    input.emit(AppMsg::Send(Command::Delete {
                        uuid: uuid.clone(),
                        volumes,
                    }));
                });
            }
            Event::ClonePlan(Ok(plan)) => {
                let input = sender.input_sender().clone();
                self.clone_dialog = Some(clone_vm::show(
                    self.window.upcast_ref(),
                    &plan,
                    move |req| input.emit(AppMsg::Send(Command::Clone(Box::new(req)))),
                ));
            }
            Event::DeletePlan(Err(e)) | Event::ClonePlan(Err(e)) => {
                self.chrome.toast(&e.to_string(), true)
            }
            Event::Deleted { uuid, name, result } => match result {
                Ok(outcome) => {
                    self.just_deleted = Some(uuid);
                    let mut text = gettext_f("“{name}” was deleted", &[("name", &name)]);
                    if !outcome.deleted.is_empty() {
                        text.push_str(" · ");
                        text.push_str(&ngettext_f(
                            "{n} disk deleted",
                            "{n} disks deleted",
                            outcome.deleted.len() as u32,
                            &[("n", &outcome.deleted.len().to_string())],
                        ));
                    }
                    let failed = !outcome.failed.is_empty();
                    for f in &outcome.failed {
                        text.push_str(" · ");
                        text.push_str(&gettext_f(
                            "“{path}” could not be deleted: {error}",
                            &[("path", &f.path), ("error", &f.error.to_string())],
                        ));
                    }
                    self.chrome.toast(&text, failed);
                }
                Err(e) => self.chrome.toast(
                    &gettext_f(
                        "“{name}” could not be deleted: {error}",
                        &[("name", &name), ("error", &e.to_string())],
                    ),
                    true,
                ),
            },
            Event::CloneProgress(step) => {
                if let Some(d) = &self.clone_dialog {
                    d.progress(&step);
                }
            }
            Event::Cloned(result) => match result {
                Ok(vm) => {
                    if let Some(d) = self.clone_dialog.take() {
                        d.close();
                    }
                    self.chrome.toast(
                        &gettext_f("“{name}” was created as a clone", &[("name", &vm.name)]),
                        false,
                    );
                    sender.input(AppMsg::OpenVm(vm.uuid));
                }
                Err(e) => match &self.clone_dialog {
                    Some(d) => d.failed(&e.to_string()),
                    None => self.chrome.toast(&e.to_string(), true),
                },
            },
            Event::Exported { uuid, result } => match result {
                Ok(xml) => {
                    let name = self
                        .store
                        .get(&uuid)
                        .map(|o| o.summary().name.clone())
                        .unwrap_or_else(|| "machine".into());
                    let sender2 = sender.clone();
                    self.file_chooser(
                        &gettext("Export the Machine’s XML"),
                        &gettext("Export"),
                        Some(&format!("{name}.xml")),
                        move |path| {
                            let xml = xml.clone();
                            off_main(
                                &sender2,
                                move || {
                                    std::fs::write(&path, xml)
                                        .map(|_| path.clone())
                                        .map_err(|e| {
                                            gettext_f(
                                                "Cannot write “{path}”: {error}",
                                                &[
                                                    ("path", &path.display().to_string()),
                                                    ("error", &e.to_string()),
                                                ],
                                            )
                                        })
                                },
                                AppMsg::Exported,
                            );
                        },
                    );
                }
                Err(e) => self.chrome.toast(&e.to_string(), true),
            },
            Event::Imported(result) => match result {
                Ok(vm) => {
                    self.chrome.toast(
                        &gettext_f("“{name}” was imported", &[("name", &vm.name)]),
                        false,
                    );
                    sender.input(AppMsg::OpenVm(vm.uuid));
                }
                Err(e) => self.chrome.toast(
                    &gettext_f(
                        "The machine could not be imported: {error}",
                        &[("error", &e.to_string())],
                    ),
                    true,
                ),
            },
            Event::Xml {
                kind: XmlKind::Domain { uuid },
                result,
            } => self.details.emit(VmDetailsMsg::XmlLoaded(uuid, result)),
            Event::XmlDefined {
                kind: XmlKind::Domain { uuid },
                result,
            } => {
                let running = self
                    .store
                    .get(&uuid)
                    .is_some_and(|o| o.summary().state.is_active());
                if result.is_ok() && running {
                    self.chrome.toast(
                        &gettext("Saved. The running machine uses the new configuration from its next start."),
                        false,
                    );
                } else if result.is_ok() {
                    self.chrome.toast(&gettext("Saved"), false);
                }
                if result.is_ok() {
                    sender.input(AppMsg::ReloadDetails(uuid.clone()));
                }
                self.details.emit(VmDetailsMsg::XmlSaved(uuid, result));
            }
            // Networks and pools: the editor window.
            Event::Xml { kind, result } => match result {
                Ok(xml) => {
                    let name = match &kind {
                        XmlKind::Network { name } | XmlKind::Pool { name } => name.clone(),
                        XmlKind::Domain { uuid } => uuid.clone(),
                    };
                    let title = match &kind {
                        XmlKind::Network { .. } => {
                            gettext_f("Network “{name}”", &[("name", &name)])
                        }
                        _ => gettext_f("Storage Pool “{name}”", &[("name", &name)]),
                    };
                    let input = sender.input_sender().clone();
                    let k = kind.clone();
                    let dialog = xml_dialog::show(
                        self.window.upcast_ref(),
                        &title,
                        &gettext("XML"),
                        &xml,
                        move |text| {
                            input.emit(AppMsg::Send(Command::DefineXml {
                                kind: k.clone(),
                                xml: text,
                            }))
                        },
                    );
                    self.xml_dialog = Some((kind, dialog));
                }
                Err(e) => self.chrome.toast(&e.to_string(), true),
            },
            Event::XmlDefined { kind, result } => {
                if let Some((open, dialog)) = &self.xml_dialog {
                    if *open == kind {
                        match &result {
                            Ok(()) => {
                                dialog.editor.saved();
                                self.chrome.toast(&gettext("Saved"), false);
                            }
                            Err(e) => dialog.editor.show_error(&e.to_string()),
                        }
                    }
                }
                // The edited pool or network's page and the dashboard read it again.
                if result.is_ok() {
                    match kind {
                        XmlKind::Pool { .. } => self.send(Command::Storage(StorageCommand::List)),
                        XmlKind::Network { .. } => {
                            self.send(Command::Network(NetworkCommand::List))
                        }
                        XmlKind::Domain { .. } => {}
                    }
                }
            }
            other => log::debug!("not a manage event: {other:?}"),
        }
    }
}
