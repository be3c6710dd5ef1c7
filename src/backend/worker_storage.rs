//! The worker's handling of storage commands: run the backend call on the worker's
//! connection, answer with a [`StorageEvent`], and after a change send the fresh pool
//! list and the affected pool's volumes. Uploads and downloads are checked here, then
//! run on a thread of their own with a second connection (see `storage::transfer`).

use gettextrs::gettext;

use super::error::BackendError;
use super::link::Link;
use super::storage::transfer::{self, Direction, Transfer};
use super::storage::{pools, volume_ops, volumes, StorageCommand, StorageEvent};
use super::worker::{emit_to, lost_reason, Event, Worker};
use crate::i18n::gettext_f;

/// The sentence for a change that failed.
fn failure_message(cmd: &StorageCommand) -> String {
    use super::storage::PoolAction as A;
    use StorageCommand as C;
    match cmd {
        C::CreatePool { spec, .. } => gettext_f(
            "Could not create pool “{name}”.",
            &[("name", spec.name().trim())],
        ),
        C::PoolAction { pool, action } => {
            let n = [("name", pool.as_str())];
            match action {
                A::Start => gettext_f("Could not start pool “{name}”.", &n),
                A::Stop => gettext_f("Could not stop pool “{name}”.", &n),
                A::Refresh => gettext_f("Could not refresh pool “{name}”.", &n),
                A::Autostart(_) => gettext_f("Could not change autostart of pool “{name}”.", &n),
            }
        }
        C::DeletePool { pool, .. } => {
            gettext_f("Could not delete pool “{name}”.", &[("name", pool)])
        }
        C::CreateVolume(spec) => gettext_f(
            "Could not create volume “{name}”.",
            &[("name", spec.name.trim())],
        ),
        C::DeleteVolume { name, .. } => {
            gettext_f("Could not delete volume “{name}”.", &[("name", name)])
        }
        C::CloneVolume { name, .. } => {
            gettext_f("Could not copy volume “{name}”.", &[("name", name)])
        }
        C::ResizeVolume { name, .. } => {
            gettext_f("Could not resize volume “{name}”.", &[("name", name)])
        }
        _ => gettext("Storage request failed."),
    }
}

/// The pool whose volumes a change affects (none after the pool is gone).
fn affected_pool(cmd: &StorageCommand, ok: bool) -> Option<String> {
    use StorageCommand as C;
    match cmd {
        C::CreatePool { spec, .. } => Some(spec.name().trim().to_owned()),
        C::PoolAction { pool, .. } => Some(pool.clone()),
        C::DeletePool { pool, .. } if !ok => Some(pool.clone()),
        C::CreateVolume(spec) => Some(spec.pool.clone()),
        C::DeleteVolume { pool, .. }
        | C::CloneVolume { pool, .. }
        | C::ResizeVolume { pool, .. } => Some(pool.clone()),
        _ => None,
    }
}

impl Worker {
    fn storage_emit(&self, e: StorageEvent) {
        self.emit(Event::Storage(e));
    }

    /// Handle a storage command; `Some(reason)` when the connection turned out to be lost.
    pub(super) fn storage(&mut self, link: &Link, cmd: StorageCommand) -> Option<String> {
        let conn = &link.conn;
        use StorageCommand as C;
        match cmd {
            C::List => {
                let r = pools::list_pools(conn);
                let lost = lost(&r);
                self.storage_emit(StorageEvent::Pools(r));
                lost
            }
            C::Volumes { pool } => {
                let r = volumes::list_volumes(conn, &pool);
                let lost = lost(&r);
                self.storage_emit(StorageEvent::Volumes { pool, result: r });
                lost
            }
            C::DeletePlan { pool } => {
                let r = pools::delete_plan(conn, &pool);
                let lost = lost(&r);
                self.storage_emit(StorageEvent::DeletePlan(r));
                lost
            }
            C::Upload {
                id,
                pool,
                name,
                file,
                cancel,
            } => {
                let r = transfer::prepare_upload(conn, id, &pool, &name, &file, cancel);
                self.start_transfer(id, Direction::Upload, &name, r)
            }
            C::Download {
                id,
                pool,
                name,
                file,
                cancel,
            } => {
                let r = transfer::prepare_download(conn, id, &pool, &name, &file, cancel);
                self.start_transfer(id, Direction::Download, &name, r)
            }
            change => {
                let r = match &change {
                    C::CreatePool {
                        spec,
                        build,
                        start,
                        autostart,
                    } => pools::create_pool(conn, spec, *build, *start, *autostart),
                    C::PoolAction { pool, action } => pools::pool_action(conn, pool, *action),
                    C::DeletePool {
                        pool,
                        delete_storage,
                    } => pools::delete_pool(conn, pool, *delete_storage),
                    C::CreateVolume(spec) => volume_ops::create_volume(conn, spec),
                    C::DeleteVolume { pool, name } => volume_ops::delete_volume(conn, pool, name),
                    C::CloneVolume {
                        pool,
                        name,
                        new_name,
                    } => volume_ops::clone_volume(conn, pool, name, new_name),
                    C::ResizeVolume {
                        pool,
                        name,
                        capacity,
                    } => volume_ops::resize_volume(conn, pool, name, *capacity),
                    _ => unreachable!("queries and transfers are handled above"),
                };
                let lost = lost(&r);
                let affected = affected_pool(&change, r.is_ok());
                let (message, result) = match r {
                    Ok(m) => (m, Ok(())),
                    Err(e) => (failure_message(&change), Err(e)),
                };
                self.storage_emit(StorageEvent::Done { message, result });
                if lost.is_some() {
                    return lost;
                }
                let list = pools::list_pools(conn);
                let exists = |p: &str| list.as_ref().is_ok_and(|l| l.iter().any(|i| i.name == p));
                let affected = affected.filter(|p| exists(p));
                self.storage_emit(StorageEvent::Pools(list));
                if let Some(pool) = affected {
                    let r = volumes::list_volumes(conn, &pool);
                    self.storage_emit(StorageEvent::Volumes { pool, result: r });
                }
                None
            }
        }
    }

    /// Start a checked transfer on its own thread, or report why it cannot start.
    fn start_transfer(
        &mut self,
        id: u64,
        direction: Direction,
        name: &str,
        checked: Result<Transfer, BackendError>,
    ) -> Option<String> {
        match checked {
            Ok(t) => {
                let sink = self.sink.clone();
                transfer::spawn(self.uri.clone(), t, move |e| {
                    emit_to(&sink, Event::Storage(e))
                });
                None
            }
            Err(e) => {
                let lost = lost_reason(Some(&e));
                self.storage_emit(StorageEvent::TransferDone {
                    id,
                    message: Transfer::refused_message(direction, name),
                    result: Err(e),
                });
                lost
            }
        }
    }

    /// Answer a storage command at once while disconnected.
    pub(super) fn storage_disconnected(&mut self, cmd: StorageCommand) {
        use StorageCommand as C;
        let e = || BackendError::disconnected(&gettext("Storage"));
        let event = match cmd {
            C::List => StorageEvent::Pools(Err(e())),
            C::Volumes { pool } => StorageEvent::Volumes {
                pool,
                result: Err(e()),
            },
            C::DeletePlan { .. } => StorageEvent::DeletePlan(Err(e())),
            C::Upload { id, name, .. } => StorageEvent::TransferDone {
                id,
                message: Transfer::refused_message(Direction::Upload, &name),
                result: Err(e()),
            },
            C::Download { id, name, .. } => StorageEvent::TransferDone {
                id,
                message: Transfer::refused_message(Direction::Download, &name),
                result: Err(e()),
            },
            change => StorageEvent::Done {
                message: failure_message(&change),
                result: Err(e()),
            },
        };
        self.storage_emit(event);
    }
}

fn lost<T>(r: &Result<T, BackendError>) -> Option<String> {
    lost_reason(r.as_ref().err())
}
