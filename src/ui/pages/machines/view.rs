//! List or grid: the machines page's two views, the linked pair of toggle buttons in its
//! header that switches between them, and the choice kept in GSettings (`machines-view`).

use std::rc::Rc;

use gettextrs::gettext;
use gtk::prelude::*;

use crate::ui::{a11y, settings};

const KEY: &str = "machines-view";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewMode {
    List,
    Grid,
}

impl ViewMode {
    /// The stack page and settings value of this view.
    pub fn key(self) -> &'static str {
        match self {
            ViewMode::List => "list",
            ViewMode::Grid => "grid",
        }
    }

    /// The view chosen last time (the list when nothing was kept).
    pub fn stored() -> ViewMode {
        match settings::string(KEY).as_deref() {
            Some("grid") => ViewMode::Grid,
            _ => ViewMode::List,
        }
    }

    pub fn store(self) {
        settings::set_string(KEY, self.key());
    }
}

/// The two linked, icon-only toggle buttons ("List view", "Grid view"); `on_change` runs
/// when the user picks the other view.
pub fn switch(current: ViewMode, on_change: impl Fn(ViewMode) + 'static) -> gtk::Box {
    let linked = gtk::Box::builder().css_classes(["linked"]).build();
    let list = gtk::ToggleButton::builder()
        .icon_name("view-list-symbolic")
        .active(current == ViewMode::List)
        .build();
    let grid = gtk::ToggleButton::builder()
        .icon_name("view-grid-symbolic")
        .active(current == ViewMode::Grid)
        .group(&list)
        .build();
    a11y::name_icon_widget(&list, &gettext("List view"));
    a11y::name_icon_widget(&grid, &gettext("Grid view"));
    let on_change = Rc::new(on_change);
    for (button, mode) in [(&list, ViewMode::List), (&grid, ViewMode::Grid)] {
        let on_change = on_change.clone();
        button.connect_toggled(move |b| {
            if b.is_active() {
                on_change(mode);
            }
        });
    }
    linked.append(&list);
    linked.append(&grid);
    linked
}
