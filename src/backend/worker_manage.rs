//! The worker's handling of delete, clone and XML commands: run the backend call on the
//! worker's connection, answer with its event, then report the list change it made.

use gettextrs::gettext;

use super::error::BackendError;
use super::link::Link;
use super::worker::{lost_reason, Command, Event, Worker};
use super::xml_define::{self, XmlKind};
use super::{clone, delete};

impl Worker {
    /// Handle one of the delete / clone / XML commands; `Some(reason)` when the
    /// connection turned out to be lost.
    pub(super) fn manage(&mut self, link: &Link, cmd: Command) -> Option<String> {
        let conn = &link.conn;
        match cmd {
            Command::DeletePlan { uuid } => {
                let r = delete::delete_plan(conn, &uuid);
                let lost = lost(&r);
                self.emit(Event::DeletePlan(r));
                lost
            }
            Command::Delete { uuid, volumes } => {
                let r = delete::delete_vm(conn, &uuid, &volumes);
                let lost = lost(&r);
                let name = match &r {
                    Ok(o) => o.name.clone(),
                    Err(_) => self.names.get(&uuid).cloned().unwrap_or_default(),
                };
                let gone = r.is_ok();
                self.emit(Event::Deleted {
                    uuid: uuid.clone(),
                    name,
                    result: r,
                });
                if gone {
                    self.removed(uuid);
                }
                lost
            }
            Command::ClonePlan { uuid } => {
                let r = clone::clone_plan(conn, &uuid);
                let lost = lost(&r);
                self.emit(Event::ClonePlan(r));
                lost
            }
            Command::Clone(req) => {
                let r = clone::clone_vm(conn, &req, &mut |step| {
                    self.emit(Event::CloneProgress(step))
                });
                let lost = lost(&r);
                self.emit(Event::Cloned(r.clone()));
                if let Ok(s) = r {
                    self.changed(s);
                }
                lost
            }
            Command::ExportXml { uuid } => {
                let r = xml_define::domain_xml_for_export(conn, &uuid);
                let lost = lost(&r);
                self.emit(Event::Exported { uuid, result: r });
                lost
            }
            Command::ReadXml { kind } => {
                let r = xml_define::read_xml(conn, &kind);
                let lost = lost(&r);
                self.emit(Event::Xml { kind, result: r });
                lost
            }
            Command::DefineXml { kind, xml } => {
                let r = match &kind {
                    XmlKind::Domain { uuid } => {
                        xml_define::redefine_domain_xml(conn, uuid, &xml).map(Some)
                    }
                    other => xml_define::define_xml(conn, other, &xml).map(|()| None),
                };
                let lost = lost(&r);
                let changed = r.as_ref().ok().cloned().flatten();
                self.emit(Event::XmlDefined {
                    kind,
                    result: r.map(drop),
                });
                if let Some(s) = changed {
                    self.changed(s);
                }
                lost
            }
            Command::ImportXml { xml } => {
                let r = xml_define::import_domain_xml(conn, &xml);
                let lost = lost(&r);
                self.emit(Event::Imported(r.clone()));
                if let Ok(s) = r {
                    self.changed(s);
                }
                lost
            }
            other => {
                log::error!("worker_manage got a command it does not handle: {other:?}");
                None
            }
        }
    }
}

impl Worker {
    /// Answer a delete / clone / XML command at once while disconnected.
    pub(super) fn manage_disconnected(&mut self, cmd: Command) {
        let e = |what: String| BackendError::disconnected(&what);
        let event = match cmd {
            Command::DeletePlan { .. } => Event::DeletePlan(Err(e(gettext("Delete")))),
            Command::Delete { uuid, .. } => Event::Deleted {
                name: self.names.get(&uuid).cloned().unwrap_or_default(),
                uuid,
                result: Err(e(gettext("Delete"))),
            },
            Command::ClonePlan { .. } => Event::ClonePlan(Err(e(gettext("Clone")))),
            Command::Clone(_) => Event::Cloned(Err(e(gettext("Clone")))),
            Command::ReadXml { kind } => Event::Xml {
                kind,
                result: Err(e(gettext("Reading XML"))),
            },
            Command::ExportXml { uuid } => Event::Exported {
                uuid,
                result: Err(e(gettext("Export"))),
            },
            Command::DefineXml { kind, .. } => Event::XmlDefined {
                kind,
                result: Err(e(gettext("Saving XML"))),
            },
            Command::ImportXml { .. } => Event::Imported(Err(e(gettext("Import")))),
            other => {
                log::error!("manage_disconnected got a command it does not handle: {other:?}");
                return;
            }
        };
        self.emit(event);
    }
}

fn lost<T>(r: &Result<T, BackendError>) -> Option<String> {
    lost_reason(r.as_ref().err())
}
