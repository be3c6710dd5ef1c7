//! One pool's page: its header (back, Start/Stop, the pool menu), what it is and how full,
//! "Start with the host", transfers in progress, and its volumes with their actions.

use std::cell::Cell;

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use super::{StorageMsg, StoragePage};
use crate::backend::storage::{PoolAction, PoolInfo, VolumeInfo};
use crate::i18n::gettext_f;
use crate::ui::widgets::host_detail::{DetailActions, DetailFrame};
use crate::ui::widgets::host_page::{self, esc};
use crate::ui::{a11y, format};

pub struct PoolView {
    frame: DetailFrame,
    info: adw::PreferencesGroup,
    info_rows: Vec<gtk::Widget>,
    active: Cell<bool>,
    transfers: adw::PreferencesGroup,
    transfer_count: Cell<usize>,
    volumes: adw::PreferencesGroup,
    volume_rows: Vec<gtk::Widget>,
    new_volume: gtk::Button,
}

impl PoolView {
    pub fn new(sender: &ComponentSender<StoragePage>) -> PoolView {
        let menu = host_page::row_menu(
            &gettext("Pool Menu"),
            "pool",
            "",
            &[
                &[
                    (gettext("Refresh"), "refresh"),
                    (gettext("Edit XML…"), "xml"),
                ],
                &[(gettext("Delete…"), "delete")],
            ],
        );
        let (s1, s2, s3) = (sender.clone(), sender.clone(), sender.clone());
        let frame = DetailFrame::new(
            &menu,
            DetailActions {
                back: Box::new(move || s1.input(StorageMsg::ClosePool)),
                run: Box::new(move |start| {
                    s2.input(StorageMsg::Pool(if start {
                        PoolAction::Start
                    } else {
                        PoolAction::Stop
                    }))
                }),
                autostart: Box::new(move |on| {
                    s3.input(StorageMsg::Pool(PoolAction::Autostart(on)))
                }),
            },
        );
        let info = adw::PreferencesGroup::new();
        let transfers = adw::PreferencesGroup::builder()
            .title(gettext("Transfers"))
            .visible(false)
            .build();
        let new_volume = gtk::Button::builder()
            .label(gettext("New Volume…"))
            .css_classes(["flat"])
            .valign(gtk::Align::Center)
            .build();
        {
            let sender = sender.clone();
            new_volume.connect_clicked(move |_| sender.input(StorageMsg::NewVolume));
        }
        let volumes = adw::PreferencesGroup::builder()
            .title(gettext("Volumes"))
            .header_suffix(&new_volume)
            .build();
        for group in [&info, &frame.options, &transfers, &volumes] {
            frame.column.append(group);
        }
        let handlers: host_page::Handlers = vec![
            ("refresh", {
                let sender = sender.clone();
                Box::new(move |_| sender.input(StorageMsg::Pool(PoolAction::Refresh)))
            }),
            ("xml", {
                let sender = sender.clone();
                Box::new(move |_| sender.input(StorageMsg::EditXml))
            }),
            ("delete", {
                let sender = sender.clone();
                Box::new(move |_| sender.input(StorageMsg::DeletePool))
            }),
        ];
        host_page::install_actions(frame.widget(), "pool", handlers);
        PoolView {
            frame,
            info,
            info_rows: Vec::new(),
            active: Cell::new(false),
            transfers,
            transfer_count: Cell::new(0),
            volumes,
            volume_rows: Vec::new(),
            new_volume,
        }
    }

    pub fn widget(&self) -> &gtk::Box {
        self.frame.widget()
    }

    pub fn show_pool(&mut self, pool: &PoolInfo) {
        self.frame
            .set_state(&pool.name, &pool.kind.label(), pool.active, pool.autostart);
        self.active.set(pool.active);
        self.new_volume.set_sensitive(pool.active);

        host_page::clear_rows(&self.info, &mut self.info_rows);
        let state = if pool.active {
            gettext("Active")
        } else {
            gettext("Inactive")
        };
        let mut rows = vec![
            (gettext("Type"), pool.kind.label()),
            (gettext("State"), state),
        ];
        if !pool.source.is_empty() {
            rows.push((gettext("Source"), pool.source.clone()));
        }
        if let Some(path) = pool.target_path.as_deref().filter(|p| !p.is_empty()) {
            rows.push((gettext("Location"), path.to_owned()));
        }
        for (title, value) in rows {
            let row = adw::ActionRow::builder()
                .title(title.as_str())
                .subtitle(esc(&value))
                .css_classes(["property"])
                .build();
            self.info.add(&row);
            self.info_rows.push(row.upcast());
        }
        if pool.active {
            let usage = gettext_f(
                "{used} used of {capacity}, {free} free",
                &[
                    ("used", &format::bytes(pool.allocation)),
                    ("capacity", &format::bytes(pool.capacity)),
                    ("free", &format::bytes(pool.available)),
                ],
            );
            let row = adw::ActionRow::builder()
                .title(gettext("Usage"))
                .subtitle(usage.as_str())
                .css_classes(["property"])
                .build();
            row.add_suffix(&host_page::usage_bar(
                pool.allocation,
                pool.capacity,
                &usage,
            ));
            self.info.add(&row);
            self.info_rows.push(row.upcast());
        }
    }

    fn set_volume_rows(&mut self, rows: Vec<adw::ActionRow>) {
        host_page::clear_rows(&self.volumes, &mut self.volume_rows);
        for row in rows {
            self.volumes.add(&row);
            self.volume_rows.push(row.upcast());
        }
    }

    fn note_row(text: &str) -> adw::ActionRow {
        adw::ActionRow::builder().title(esc(text)).build()
    }

    pub fn loading_volumes(&mut self) {
        self.set_volume_rows(vec![Self::note_row(&gettext("Loading…"))]);
    }

    pub fn volumes_failed(&mut self, error: &str) {
        let text = if self.active.get() {
            gettext_f("Could not read the volumes: {error}", &[("error", error)])
        } else {
            gettext("Start the pool to see its volumes.")
        };
        self.set_volume_rows(vec![Self::note_row(&text)]);
    }

    pub fn show_volumes(&mut self, volumes: &[VolumeInfo]) {
        if volumes.is_empty() {
            self.set_volume_rows(vec![Self::note_row(&gettext("No volumes"))]);
            return;
        }
        let rows = volumes.iter().map(volume_row).collect();
        self.set_volume_rows(rows);
    }

    /// A transfer's row with its progress bar and a Cancel button.
    pub fn add_transfer(
        &self,
        title: &str,
        on_cancel: impl Fn() + 'static,
    ) -> (adw::ActionRow, gtk::ProgressBar) {
        let row = adw::ActionRow::builder()
            .title(esc(title))
            .subtitle(gettext("Starting…"))
            .build();
        let bar = gtk::ProgressBar::builder()
            .valign(gtk::Align::Center)
            .width_request(140)
            .build();
        a11y::set_label(&bar, title);
        let cancel = host_page::flat_icon_button(
            "process-stop-symbolic",
            &gettext_f("Cancel “{what}”", &[("what", title)]),
        );
        cancel.connect_clicked(move |_| on_cancel());
        row.add_suffix(&bar);
        row.add_suffix(&cancel);
        self.transfers.add(&row);
        self.transfers.set_visible(true);
        self.transfer_count.set(self.transfer_count.get() + 1);
        (row, bar)
    }

    pub fn remove_transfer(&self, row: &adw::ActionRow) {
        self.transfers.remove(row);
        let left = self.transfer_count.get().saturating_sub(1);
        self.transfer_count.set(left);
        self.transfers.set_visible(left > 0);
    }
}

/// A volume: name, format, sizes, who uses it, and its menu.
fn volume_row(volume: &VolumeInfo) -> adw::ActionRow {
    let mut parts = vec![
        volume.format.clone(),
        format::bytes(volume.capacity),
        gettext_f(
            "{size} on disk",
            &[("size", &format::bytes(volume.allocation))],
        ),
    ];
    if !volume.used_by.is_empty() {
        let users: Vec<String> = volume
            .used_by
            .iter()
            .map(|u| format!("{} ({})", u.name, u.target))
            .collect();
        parts.push(gettext_f(
            "used by {users}",
            &[("users", &users.join(", "))],
        ));
    }
    if let Some(b) = &volume.backing {
        parts.push(gettext_f("on top of {backing}", &[("backing", b)]));
    }
    let row = adw::ActionRow::builder()
        .title(esc(&volume.name))
        .subtitle(esc(&parts.join(" · ")))
        .build();
    row.set_tooltip_text(Some(&volume.path));
    let menu = host_page::row_menu(
        &gettext_f("Actions for “{name}”", &[("name", &volume.name)]),
        "vol",
        &volume.name,
        &[
            &[
                (gettext("Resize…"), "resize"),
                (gettext("Clone…"), "clone"),
                (gettext("Upload a File…"), "upload"),
                (gettext("Download…"), "download"),
            ],
            &[(gettext("Delete…"), "delete")],
        ],
    );
    row.add_suffix(&menu);
    row
}
