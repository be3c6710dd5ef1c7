//! The Storage page: the host's storage pools with their usage, and a pool's page with its
//! details, actions and volumes (create, resize, clone, upload, download, delete).
//!
//! Everything goes through the connection worker (`Command::Storage`); its answers come
//! back as `StorageMsg::Event`. A change answers with `Done` and fresh lists, which
//! replace what is shown. An open form waits for that `Done` and shows a refusal inline.

mod parts;
mod pool_view;

use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use crate::backend::storage::{
    transfer, PoolAction, PoolDeletePlan, PoolInfo, StorageCommand, StorageEvent, VolumeInfo,
};
use crate::backend::xml_define::XmlKind;
use crate::backend::Command;
use crate::i18n::{gettext_f, ngettext_f};
use crate::ui::dialogs::confirm::{self, Question};
use crate::ui::dialogs::form::FormDialog;
use crate::ui::dialogs::storage as forms;
use crate::ui::widgets::host_list::{HostList, ListTexts};
use crate::ui::widgets::host_page;
use crate::ui::{a11y, format};
use parts::{delete_volume, pool_row, transfer_chooser};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolumeOp {
    Resize,
    Clone,
    Upload,
    Download,
    Delete,
}

#[derive(Debug)]
pub enum StorageMsg {
    Event(StorageEvent),
    /// The page came on screen: read the pools.
    Shown,
    Folded(bool),
    OpenPool(String),
    ClosePool,
    NewPool,
    NewVolume,
    Pool(PoolAction),
    DeletePool,
    ConfirmDeletePool(bool),
    EditXml,
    Volume(VolumeOp, String),
    Transfer(VolumeOp, String, PathBuf),
    CancelTransfer(u64),
}

#[derive(Debug)]
pub enum StorageOutput {
    Send(Command),
    Toast(String, bool),
    ShowSidebar,
    EditXml(XmlKind),
}

struct Transfer {
    row: adw::ActionRow,
    bar: gtk::ProgressBar,
    cancel: Arc<AtomicBool>,
}

pub struct StoragePage {
    pools: Vec<PoolInfo>,
    volumes: Vec<VolumeInfo>,
    open: Option<String>,
    list: HostList,
    view: pool_view::PoolView,
    transfers: HashMap<u64, Transfer>,
    next_transfer: u64,
    form: Option<FormDialog>,
    /// A pool asked for before the list arrived (from the dashboard).
    pending_open: Option<String>,
    chooser: Option<gtk::FileChooserNative>,
}

pub struct StorageWidgets {}

impl StoragePage {
    fn send(&self, sender: &ComponentSender<Self>, cmd: StorageCommand) {
        let _ = sender.output(StorageOutput::Send(Command::Storage(cmd)));
    }

    fn window(&self) -> Option<gtk::Window> {
        self.list.window()
    }

    fn open_pool(&self) -> Option<&PoolInfo> {
        let name = self.open.as_deref()?;
        self.pools.iter().find(|p| p.name == name)
    }

    fn volume(&self, name: &str) -> Option<&VolumeInfo> {
        self.volumes.iter().find(|v| v.name == name)
    }

    fn sender_fn(sender: &ComponentSender<Self>) -> Rc<dyn Fn(StorageCommand)> {
        let sender = sender.clone();
        Rc::new(move |cmd| {
            let _ = sender.output(StorageOutput::Send(Command::Storage(cmd)));
        })
    }

    fn show_list(&mut self, sender: &ComponentSender<Self>) {
        let rows = self
            .pools
            .iter()
            .map(|pool| {
                let row = pool_row(pool);
                let sender = sender.clone();
                let name = pool.name.clone();
                row.connect_activated(move |_| sender.input(StorageMsg::OpenPool(name.clone())));
                row
            })
            .collect();
        self.list.set_rows(rows);
        if self.open.is_none() {
            self.list.show_list();
        }
    }

    fn on_event(&mut self, event: StorageEvent, sender: &ComponentSender<Self>) {
        match event {
            StorageEvent::Pools(Ok(pools)) => {
                self.pools = pools;
                self.show_list(sender);
                if let Some(name) = self.pending_open.take() {
                    sender.input(StorageMsg::OpenPool(name));
                }
                match self.open_pool().cloned() {
                    Some(pool) => self.view.show_pool(&pool),
                    None if self.open.is_some() => {
                        // Deleted (here or elsewhere): back to the list.
                        self.open = None;
                        sender.input(StorageMsg::ClosePool);
                    }
                    None => {}
                }
            }
            StorageEvent::Pools(Err(e)) => {
                let _ = sender.output(StorageOutput::Toast(
                    gettext_f(
                        "Could not read the storage pools: {error}",
                        &[("error", &e.to_string())],
                    ),
                    true,
                ));
            }
            StorageEvent::Volumes { pool, result } => {
                if self.open.as_deref() != Some(pool.as_str()) {
                    return;
                }
                match result {
                    Ok(volumes) => {
                        self.volumes = volumes;
                        self.view.show_volumes(&self.volumes);
                    }
                    Err(e) => self.view.volumes_failed(&e.to_string()),
                }
            }
            StorageEvent::DeletePlan(Ok(plan)) => self.confirm_delete(plan, sender),
            StorageEvent::DeletePlan(Err(e)) => {
                let _ = sender.output(StorageOutput::Toast(e.to_string(), true));
            }
            StorageEvent::Done { message, result } => {
                let waiting = self.form.as_ref().filter(|f| f.waiting()).cloned();
                match (result, waiting) {
                    (Ok(()), Some(form)) => {
                        form.finish(Ok(()));
                        self.form = None;
                        let _ = sender.output(StorageOutput::Toast(message, false));
                    }
                    (Err(e), Some(form)) => form.finish(Err(e.to_string())),
                    (Ok(()), None) => {
                        let _ = sender.output(StorageOutput::Toast(message, false));
                    }
                    (Err(e), None) => {
                        let _ = sender.output(StorageOutput::Toast(format!("{message} {e}"), true));
                    }
                }
            }
            StorageEvent::Transfer { id, done, total } => {
                if let Some(t) = self.transfers.get(&id) {
                    let fraction = if total == 0 {
                        0.0
                    } else {
                        done as f64 / total as f64
                    };
                    t.bar.set_fraction(fraction);
                    let text = gettext_f(
                        "{done} of {total}",
                        &[
                            ("done", &format::bytes(done)),
                            ("total", &format::bytes(total)),
                        ],
                    );
                    t.row.set_subtitle(&text);
                    a11y::set_description(&t.bar, &text);
                }
            }
            StorageEvent::TransferDone {
                id,
                message,
                result,
            } => {
                if let Some(t) = self.transfers.remove(&id) {
                    self.view.remove_transfer(&t.row);
                }
                // A cancel is what the user asked for: said plainly, not as an error.
                let _ = sender.output(match result {
                    Ok(()) => StorageOutput::Toast(message, false),
                    Err(e) if transfer::is_cancelled(&e) => StorageOutput::Toast(message, false),
                    Err(e) => StorageOutput::Toast(format!("{message} {e}"), true),
                });
                if let Some(pool) = self.open.clone() {
                    self.send(sender, StorageCommand::Volumes { pool });
                }
            }
        }
    }

    fn confirm_delete(&self, plan: PoolDeletePlan, sender: &ComponentSender<Self>) {
        let Some(parent) = self.window() else { return };
        let names: Vec<&str> = plan.volumes.iter().map(|v| v.name.as_str()).collect();
        let mut body = if names.is_empty() && !plan.active {
            gettext("The pool is stopped, so its volumes cannot be listed.")
        } else if names.is_empty() {
            gettext("The pool has no volumes.")
        } else {
            ngettext_f(
                "It holds one volume: {names}.",
                "It holds {n} volumes: {names}.",
                names.len() as u32,
                &[
                    ("n", &names.len().to_string()),
                    ("names", &names.join(", ")),
                ],
            )
        };
        body.push(' ');
        body.push_str(&gettext(
            "Deleting the pool removes its definition; the data stays unless you choose below to delete it too.",
        ));
        let in_use: Vec<String> = plan
            .volumes
            .iter()
            .flat_map(|v| {
                v.used_by
                    .iter()
                    .map(move |u| format!("{} ({})", u.name, v.name))
            })
            .collect();
        if !in_use.is_empty() {
            body.push_str("\n\n");
            body.push_str(&gettext_f(
                "Machines still use some of them: {list}. They will not start without these disks.",
                &[("list", &in_use.join(", "))],
            ));
        }
        let path = plan.target_path.clone().unwrap_or_default();
        let also = gtk::CheckButton::with_label(&if plan.storage_deletes_volumes {
            gettext_f(
                "Also delete the directory {path} and every volume in it",
                &[("path", &path)],
            )
        } else {
            gettext_f(
                "Also remove the empty mount point {path}",
                &[("path", &path)],
            )
        });
        let sender = sender.clone();
        let check = also.clone();
        confirm::ask(
            &parent,
            Question {
                heading: &gettext_f("Delete “{name}”?", &[("name", &plan.pool)]),
                body: &body,
                accept: &gettext("Delete"),
                destructive: true,
                extra: plan.can_delete_storage.then_some(also.upcast_ref()),
            },
            move || sender.input(StorageMsg::ConfirmDeletePool(check.is_active())),
        );
    }

    fn volume_op(&mut self, op: VolumeOp, name: String, sender: &ComponentSender<Self>) {
        let (Some(volume), Some(parent)) = (self.volume(&name).cloned(), self.window()) else {
            return;
        };
        let send = Self::sender_fn(sender);
        match op {
            VolumeOp::Resize => self.present(forms::resize(&parent, &volume, send)),
            VolumeOp::Clone => self.present(forms::clone(&parent, &volume, send)),
            VolumeOp::Delete => delete_volume(&parent, &volume, send),
            VolumeOp::Upload | VolumeOp::Download => {
                let chooser = transfer_chooser(&parent, op, &volume, sender);
                chooser.show();
                self.chooser = Some(chooser);
            }
        }
    }

    fn present(&mut self, form: FormDialog) {
        form.present(None::<&gtk::Widget>);
        self.form = Some(form);
    }

    fn start_transfer(
        &mut self,
        op: VolumeOp,
        name: String,
        file: PathBuf,
        sender: &ComponentSender<Self>,
    ) {
        let Some(pool) = self.open.clone() else {
            return;
        };
        self.next_transfer += 1;
        let id = self.next_transfer;
        let cancel = Arc::new(AtomicBool::new(false));
        let file_name = file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let title = if op == VolumeOp::Upload {
            gettext_f(
                "Uploading “{file}” into “{volume}”",
                &[("file", &file_name), ("volume", &name)],
            )
        } else {
            gettext_f(
                "Downloading “{volume}” to “{file}”",
                &[("file", &file_name), ("volume", &name)],
            )
        };
        let (row, bar) = self.view.add_transfer(&title, {
            let sender = sender.clone();
            move || sender.input(StorageMsg::CancelTransfer(id))
        });
        self.transfers.insert(
            id,
            Transfer {
                row,
                bar,
                cancel: cancel.clone(),
            },
        );
        let cmd = if op == VolumeOp::Upload {
            StorageCommand::Upload {
                id,
                pool,
                name,
                file,
                cancel,
            }
        } else {
            StorageCommand::Download {
                id,
                pool,
                name,
                file,
                cancel,
            }
        };
        self.send(sender, cmd);
    }
}

impl Component for StoragePage {
    type Init = ();
    type Input = StorageMsg;
    type Output = StorageOutput;
    type CommandOutput = ();
    type Root = gtk::Box;
    type Widgets = StorageWidgets;

    fn init_root() -> gtk::Box {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(_: (), root: gtk::Box, sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let view = pool_view::PoolView::new(&sender);
        let list = HostList::new(
            ListTexts {
                title: &gettext("Storage"),
                heading: &gettext("Storage Pools"),
                add: &gettext("New Storage Pool"),
                empty_icon: "drive-harddisk-symbolic",
                empty_title: &gettext("No Storage Pools"),
                empty_description: &gettext(
                    "A storage pool is where the disks of machines live: a directory, a disk, an NFS export, an LVM volume group or an iSCSI target.",
                ),
            },
            view.widget(),
            "pool",
            {
                let sender = sender.clone();
                move || {
                    let _ = sender.output(StorageOutput::ShowSidebar);
                }
            },
            {
                let sender = sender.clone();
                move || sender.input(StorageMsg::NewPool)
            },
        );
        root.append(list.widget());

        host_page::install_actions(
            &root,
            "vol",
            [
                ("resize", VolumeOp::Resize),
                ("clone", VolumeOp::Clone),
                ("upload", VolumeOp::Upload),
                ("download", VolumeOp::Download),
                ("delete", VolumeOp::Delete),
            ]
            .into_iter()
            .map(|(name, op)| {
                let sender = sender.clone();
                let handler: Box<dyn Fn(String)> =
                    Box::new(move |volume| sender.input(StorageMsg::Volume(op, volume)));
                (name, handler)
            })
            .collect(),
        );

        ComponentParts {
            model: StoragePage {
                pools: Vec::new(),
                volumes: Vec::new(),
                open: None,
                list,
                view,
                transfers: HashMap::new(),
                next_transfer: 0,
                form: None,
                pending_open: None,
                chooser: None,
            },
            widgets: StorageWidgets {},
        }
    }

    fn update(&mut self, msg: StorageMsg, sender: ComponentSender<Self>, _root: &gtk::Box) {
        match msg {
            StorageMsg::Event(event) => self.on_event(event, &sender),
            StorageMsg::Shown => self.send(&sender, StorageCommand::List),
            StorageMsg::Folded(folded) => self.list.set_folded(folded),
            StorageMsg::OpenPool(name) => {
                let Some(pool) = self.pools.iter().find(|p| p.name == name).cloned() else {
                    self.pending_open = Some(name);
                    return;
                };
                self.pending_open = None;
                self.open = Some(name.clone());
                self.volumes.clear();
                self.view.show_pool(&pool);
                self.view.loading_volumes();
                self.list.show_detail();
                self.send(&sender, StorageCommand::Volumes { pool: name });
            }
            StorageMsg::ClosePool => {
                self.open = None;
                self.list.show_list();
            }
            StorageMsg::NewPool => {
                if let Some(parent) = self.window() {
                    let form = forms::new_pool(&parent, Self::sender_fn(&sender));
                    self.present(form);
                }
            }
            StorageMsg::NewVolume => {
                if let (Some(pool), Some(parent)) = (self.open_pool().cloned(), self.window()) {
                    let form =
                        forms::new_volume(&parent, &pool, &self.volumes, Self::sender_fn(&sender));
                    self.present(form);
                }
            }
            StorageMsg::Pool(action) => {
                if let Some(pool) = self.open.clone() {
                    self.send(&sender, StorageCommand::PoolAction { pool, action });
                }
            }
            StorageMsg::DeletePool => {
                if let Some(pool) = self.open.clone() {
                    self.send(&sender, StorageCommand::DeletePlan { pool });
                }
            }
            StorageMsg::ConfirmDeletePool(delete_storage) => {
                if let Some(pool) = self.open.clone() {
                    self.send(
                        &sender,
                        StorageCommand::DeletePool {
                            pool,
                            delete_storage,
                        },
                    );
                }
            }
            StorageMsg::EditXml => {
                if let Some(name) = self.open.clone() {
                    let _ = sender.output(StorageOutput::EditXml(XmlKind::Pool { name }));
                }
            }
            StorageMsg::Volume(op, name) => self.volume_op(op, name, &sender),
            StorageMsg::Transfer(op, name, file) => self.start_transfer(op, name, file, &sender),
            StorageMsg::CancelTransfer(id) => {
                if let Some(t) = self.transfers.get(&id) {
                    t.cancel.store(true, Ordering::SeqCst);
                    t.row.set_subtitle(&gettext("Cancelling…"));
                }
            }
        }
    }
}
