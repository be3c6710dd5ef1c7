//! How the app reacts to its connection worker's events: routing each to the page that
//! shows it, toasts for outcomes, and the fall-back to the next URI when a connect fails.

use gettextrs::gettext;
use relm4::prelude::*;

use crate::backend::networks::{NetworkCommand, NetworkEvent};
use crate::backend::storage::{StorageCommand, StorageEvent};
use crate::backend::{BackendError, Command, ErrorKind, Event, LinkState};
use crate::i18n::gettext_f;
use crate::ui::dialogs::new_vm::NewVmMsg;
use crate::ui::pages::dashboard::DashboardMsg;
use crate::ui::pages::machines::MachinesMsg;
use crate::ui::pages::networks::NetworksMsg;
use crate::ui::pages::storage::StorageMsg;
use crate::ui::pages::vm_details::VmDetailsMsg;
use crate::ui::pages::welcome::WelcomeMsg;
use crate::ui::{format, settings};

use super::{App, AppMsg, Page};

impl App {
    pub(super) fn on_backend(&mut self, event: Event, sender: &ComponentSender<Self>) {
        match event {
            Event::Link(LinkState::Connecting) => {}
            Event::Link(LinkState::Connected) => {
                let uri = self
                    .conn
                    .as_ref()
                    .map(|c| c.uri().to_string())
                    .unwrap_or_default();
                // Networks and pools for the dashboard and their pages (again after a
                // reconnect); later changes come as events.
                self.send(Command::Storage(StorageCommand::List));
                self.send(Command::Network(NetworkCommand::List));
                self.configure_sampler();
                if !self.connected {
                    self.connected = true;
                    self.chrome.show_top("main");
                    self.show_page(Page::Machines);
                    settings::set_string("last-uri", &uri);
                } else {
                    self.chrome
                        .toast(&gettext_f("Reconnected to {uri}", &[("uri", &uri)]), false);
                }
                self.chrome.set_connection(&uri, None);
            }
            Event::Link(LinkState::Disconnected {
                reason,
                retry_in_secs,
            }) => {
                let uri = self
                    .conn
                    .as_ref()
                    .map(|c| c.uri().to_string())
                    .unwrap_or_default();
                self.chrome
                    .set_connection(&uri, Some((reason, retry_in_secs)));
            }
            Event::ConnectFailed(err) => self.on_connect_failed(err, sender),
            Event::Host(host) => self.dashboard.emit(DashboardMsg::Host(Box::new(host))),
            Event::VmList(list) => {
                log::debug!("machine list: {} machines", list.len());
                self.store.replace_all(list);
                self.after_store_change();
                self.open_console_at_start();
                // Once the rows are built and styled, hand back what that took briefly.
                gtk::glib::timeout_add_local_once(
                    std::time::Duration::from_secs(2),
                    crate::memory::release_freed,
                );
                if let Some(uuid) = self.open_vm.clone() {
                    if self.store.get(&uuid).is_none() {
                        self.details.emit(VmDetailsMsg::Gone);
                    }
                }
            }
            Event::VmChanged(vm) => {
                self.store.upsert(vm);
                self.after_store_change();
            }
            Event::VmRemoved { uuid } => {
                let had_console = self.consoles.has_window_of(&uuid);
                if had_console {
                    // Its console may be the only window: the main window says what happened.
                    self.show_main_window();
                }
                self.consoles.close_windows_of(Some(&uuid));
                let deleted_here = self.just_deleted.as_deref() == Some(uuid.as_str());
                if let Some(obj) = self.store.remove(&uuid) {
                    if self.open_vm.as_deref() == Some(uuid.as_str()) && deleted_here {
                        // The user deleted it here: the delete's toast already says so.
                        self.details.emit(VmDetailsMsg::Gone);
                    } else if self.open_vm.as_deref() == Some(uuid.as_str()) || had_console {
                        if self.open_vm.as_deref() == Some(uuid.as_str()) {
                            self.details.emit(VmDetailsMsg::Gone);
                        }
                        let name = obj.summary().name.clone();
                        self.chrome.toast(
                            &gettext_f("“{name}” no longer exists", &[("name", &name)]),
                            false,
                        );
                    }
                }
                self.after_store_change();
            }
            Event::Details(result) => self
                .details
                .emit(VmDetailsMsg::Loaded(result.map(Box::new))),
            Event::CreateOptions(r) => {
                if let Ok(options) = &r {
                    self.details
                        .emit(VmDetailsMsg::Storage(Box::new(options.clone())));
                }
                self.to_wizard(NewVmMsg::Options(r));
            }
            Event::ProposedXml(r) => self.to_wizard(NewVmMsg::ProposedXml(r)),
            Event::CreateProgress(step) => self.to_wizard(NewVmMsg::Progress(step)),
            // The wizard starts the new machine; the start's toast says the rest.
            Event::Created(r) => self.to_wizard(NewVmMsg::Created(r)),
            Event::Disk(e) => self.on_disk_event(e, sender),
            Event::Edited {
                uuid,
                name,
                edit,
                result,
            } => {
                // Not every edit changes the list row (a description does not), so the
                // open page reads the machine again itself.
                sender.input(AppMsg::ReloadDetails(uuid));
                self.on_edited(name, edit, result);
            }
            Event::ActionDone {
                name,
                action,
                result,
                ..
            } => match result {
                Ok(()) => self
                    .chrome
                    .toast(&format::action_done(action, &name), false),
                Err(err) => {
                    let text = format!("{}: {}", format::action_failed(action, &name), err);
                    log::warn!("{text}");
                    self.chrome.toast(&text, true);
                }
            },
            // Delete, clone and XML: the backend is there, their dialogs are not yet.
            event @ (Event::DeletePlan(_)
            | Event::Deleted { .. }
            | Event::ClonePlan(_)
            | Event::CloneProgress(_)
            | Event::Cloned(_)
            | Event::Xml { .. }
            | Event::XmlDefined { .. }
            | Event::Imported(_)
            | Event::Exported { .. }) => self.on_manage_event(event, sender),
            Event::Storage(e) => {
                if let StorageEvent::Pools(Ok(list)) = &e {
                    self.dashboard.emit(DashboardMsg::Pools(list.clone()));
                }
                self.storage.emit(StorageMsg::Event(e));
            }
            Event::Network(e) => {
                if let NetworkEvent::List(Ok(list)) = &e {
                    self.dashboard.emit(DashboardMsg::Networks(list.clone()));
                }
                self.networks.emit(NetworksMsg::Network(e));
            }
            Event::PortForward(e) => self.networks.emit(NetworksMsg::PortForward(e)),
            Event::Metrics(tick) => self.on_metrics(tick),
            Event::Graphics(event) => self.consoles.on_graphics(event),
            Event::Serial(event) => self.consoles.on_serial(event),
            Event::Screenshot(e) => self.machines.emit(MachinesMsg::Screenshot(e)),
            // Guest agents: the Guest tab (issue 8's UI part) will take these; nothing
            // in the UI sends Command::Agent yet.
            Event::Agent(_) => {}
        }
    }

    fn on_edited(
        &self,
        name: String,
        edit: crate::backend::edit::VmEdit,
        result: Result<crate::backend::edit::Applied, BackendError>,
    ) {
        match result {
            Ok(applied) => {
                let shown = match &edit {
                    crate::backend::edit::VmEdit::Rename(new) => new.clone(),
                    _ => name,
                };
                self.chrome
                    .toast(&applied.sentence(&shown), applied.waits_for_restart());
            }
            Err(err) => {
                let text = gettext_f(
                    "Could not change the {what} of “{name}”: {error}",
                    &[
                        ("what", &edit.what()),
                        ("name", &name),
                        ("error", &err.to_string()),
                    ],
                );
                log::warn!("{text}");
                self.chrome.toast(&text, true);
            }
        }
    }

    fn on_connect_failed(&mut self, err: BackendError, sender: &ComponentSender<Self>) {
        log::warn!("connection failed: {err:?}");
        if !self.fallbacks.is_empty() {
            let next = self.fallbacks.remove(0);
            let rest = std::mem::take(&mut self.fallbacks);
            self.connect(next, rest, sender);
            return;
        }
        self.conn = None;
        self.consoles.set_connection(None);
        self.show_main_window();
        let title = match err.kind {
            ErrorKind::NoDaemon => gettext("No Libvirt Daemon Running"),
            ErrorKind::PermissionDenied => gettext("Permission Denied"),
            ErrorKind::InvalidUri => gettext("Invalid Connection URI"),
            _ => gettext("Could Not Connect"),
        };
        let description = if err.hint.is_empty() {
            err.message.clone()
        } else {
            format!("{}\n\n{}", err.message, err.hint)
        };
        self.welcome.emit(WelcomeMsg::Show {
            title,
            description: description.clone(),
            uri: String::new(),
        });
        if err.kind == ErrorKind::InvalidUri {
            self.welcome.emit(WelcomeMsg::UriError(err.message.clone()));
        }
        self.chrome.show_top("welcome");
    }
}
