//! The window's frame: the top-level stack (welcome or main), the adaptive leaflet with
//! its sidebar, the content stack, the connection banner and the toast overlay.

#![allow(deprecated)] // adw::Leaflet: the adaptive container of libadwaita 1.2.

use adw::prelude::*;
use gettextrs::gettext;
use gtk::gio;
use relm4::prelude::*;

use super::{App, AppMsg, Page};
use crate::config;
use crate::i18n::gettext_f;
use crate::ui::{a11y, settings};

pub struct Chrome {
    toasts: adw::ToastOverlay,
    /// The toast on screen: a newer one replaces it rather than waiting behind it.
    last_toast: std::cell::RefCell<Option<adw::Toast>>,
    top: gtk::Stack,
    leaflet: adw::Leaflet,
    content: gtk::Stack,
    sidebar: gtk::ListBox,
    sidebar_title: adw::WindowTitle,
    banner: gtk::Revealer,
    banner_label: gtk::Label,
}

/// The main menu (a button per header bar that needs one).
pub fn main_menu_button() -> gtk::MenuButton {
    let menu = gio::Menu::new();
    let section = gio::Menu::new();
    section.append(Some(&gettext("Preferences")), Some("app.preferences"));
    section.append(Some(&gettext("Keyboard Shortcuts")), Some("app.shortcuts"));
    section.append(Some(&gettext("About KVM Manager")), Some("app.about"));
    menu.append_section(None, &section);
    let button = gtk::MenuButton::builder()
        .icon_name("open-menu-symbolic")
        .menu_model(&menu)
        .primary(true)
        .build();
    a11y::name_icon_widget(&button, &gettext("Main Menu"));
    button
}

fn sidebar_row(icon: &str, label: &str) -> gtk::ListBoxRow {
    let content = gtk::Box::builder()
        .spacing(12)
        .margin_start(6)
        .margin_end(6)
        .margin_top(6)
        .margin_bottom(6)
        .build();
    content.append(&gtk::Image::from_icon_name(icon));
    content.append(&gtk::Label::new(Some(label)));
    let row = gtk::ListBoxRow::builder().child(&content).build();
    a11y::set_label(&row, label);
    row
}

impl Chrome {
    pub fn build(
        window: &adw::ApplicationWindow,
        sender: &ComponentSender<App>,
        welcome: &gtk::Box,
        pages: &[(&str, &gtk::Box)],
    ) -> Chrome {
        if config::is_devel() {
            window.add_css_class("devel");
        }
        let (width, height, maximized) = settings::settings()
            .map(|s| {
                (
                    s.int("window-width"),
                    s.int("window-height"),
                    s.boolean("is-maximized"),
                )
            })
            .unwrap_or((1100, 720, false));
        window.set_default_size(width, height);
        if maximized {
            window.maximize();
        }

        // Sidebar.
        let sidebar_title = adw::WindowTitle::new(&gettext("KVM Manager"), "");
        let sidebar_header = adw::HeaderBar::builder()
            .title_widget(&sidebar_title)
            .build();
        sidebar_header.pack_end(&main_menu_button());
        let sidebar = gtk::ListBox::builder()
            .css_classes(["navigation-sidebar"])
            .selection_mode(gtk::SelectionMode::Single)
            .vexpand(true)
            .build();
        a11y::set_label(&sidebar, &gettext("Pages"));
        for page in Page::ALL {
            sidebar.append(&sidebar_row(page.icon(), &page.title()));
        }
        {
            let sender = sender.clone();
            sidebar.connect_row_activated(move |_, row| {
                let page = Page::ALL
                    .get(row.index() as usize)
                    .copied()
                    .unwrap_or(Page::Machines);
                sender.input(AppMsg::ShowPage(page));
            });
        }
        let sidebar_box = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .width_request(220)
            .build();
        sidebar_box.append(&sidebar_header);
        sidebar_box.append(&sidebar);

        // Content.
        let content = gtk::Stack::builder()
            .transition_type(gtk::StackTransitionType::Crossfade)
            .hexpand(true)
            .width_request(300)
            .build();
        for (id, page) in pages {
            content.add_named(*page, Some(id));
        }
        a11y::hide_other_pages(&content);

        let leaflet = adw::Leaflet::builder()
            .can_navigate_back(true)
            .vexpand(true)
            .build();
        leaflet.append(&sidebar_box);
        let separator = leaflet.append(&gtk::Separator::new(gtk::Orientation::Vertical));
        separator.set_navigatable(false);
        leaflet.append(&content);
        leaflet
            .bind_property("folded", &sidebar_header, "show-end-title-buttons")
            .sync_create()
            .build();
        {
            let sender = sender.clone();
            leaflet.connect_folded_notify(move |l| sender.input(AppMsg::Folded(l.is_folded())));
        }
        a11y::follow_leaflet(&leaflet);

        // Connection banner (adw::Banner arrives with libadwaita 1.3).
        let banner_label = gtk::Label::builder()
            .wrap(true)
            .hexpand(true)
            .xalign(0.0)
            .build();
        let banner_box = gtk::Box::builder()
            .css_classes(["connection-banner"])
            .spacing(12)
            .build();
        banner_box.append(&gtk::Image::from_icon_name("network-offline-symbolic"));
        banner_box.append(&banner_label);
        let banner = gtk::Revealer::builder()
            .child(&banner_box)
            .reveal_child(false)
            .build();
        a11y::set_hidden(&banner, true);

        let main = gtk::Box::new(gtk::Orientation::Vertical, 0);
        main.append(&banner);
        main.append(&leaflet);

        let top = gtk::Stack::builder()
            .transition_type(gtk::StackTransitionType::Crossfade)
            .build();
        top.add_named(welcome, Some("welcome"));
        top.add_named(&main, Some("main"));
        a11y::hide_other_pages(&top);
        let toasts = adw::ToastOverlay::new();
        toasts.set_child(Some(&top));
        window.set_content(Some(&toasts));

        Chrome {
            toasts,
            last_toast: std::cell::RefCell::new(None),
            top,
            leaflet,
            content,
            sidebar,
            sidebar_title,
            banner,
            banner_label,
        }
    }

    pub fn show_top(&self, name: &str) {
        a11y::show_only(&self.top, name);
    }

    pub fn show_content(&self, name: &str) {
        a11y::show_only(&self.content, name);
        self.leaflet.set_visible_child(&self.content);
        // Keyboard users land on the page they asked for.
        if let Some(page) = self.content.visible_child() {
            page.child_focus(gtk::DirectionType::TabForward);
        }
    }

    pub fn content_page(&self) -> Option<String> {
        self.content.visible_child_name().map(|s| s.to_string())
    }

    pub fn show_sidebar(&self) {
        self.leaflet.navigate(adw::NavigationDirection::Back);
        if let Some(row) = self.sidebar.selected_row() {
            row.grab_focus();
        }
    }

    pub fn select_sidebar(&self, page: Page) {
        let index = Page::ALL.iter().position(|p| *p == page).unwrap_or(0);
        if let Some(row) = self.sidebar.row_at_index(index as i32) {
            self.sidebar.select_row(Some(&row));
        }
    }

    /// A toast; errors stay longer so there is time to read them. The newest result is
    /// shown at once (the previous toast is dismissed, not queued behind: a queue of
    /// ten-second errors would show stale news); every message is also logged.
    pub fn toast(&self, text: &str, error: bool) {
        let toast = crate::ui::widgets::toast::new_toast(text, error);
        if let Some(previous) = self.last_toast.replace(Some(toast.clone())) {
            previous.dismiss();
        }
        log::info!("toast: {text}");
        self.toasts.add_toast(toast);
    }

    /// Shows the URI, and a banner while the connection is lost.
    pub fn set_connection(&self, uri: &str, lost: Option<(String, u64)>) {
        self.sidebar_title.set_subtitle(uri);
        match lost {
            Some((reason, secs)) => {
                let text = gettext_f(
                    "Connection to {uri} lost ({reason}). Reconnecting in {secs} s…",
                    &[
                        ("uri", uri),
                        ("reason", &reason),
                        ("secs", &secs.to_string()),
                    ],
                );
                self.banner_label.set_text(&text);
                self.banner.set_reveal_child(true);
                a11y::set_hidden(&self.banner, false);
            }
            None => {
                self.banner.set_reveal_child(false);
                // A closed revealer stays in GTK 4.8's accessibility tree otherwise.
                a11y::set_hidden(&self.banner, true);
            }
        }
    }

    pub fn save_window_state(&self, window: &adw::ApplicationWindow) {
        let Some(s) = settings::settings() else {
            return;
        };
        let (width, height) = window.default_size();
        let _ = s.set_int("window-width", width);
        let _ = s.set_int("window-height", height);
        let _ = s.set_boolean("is-maximized", window.is_maximized());
    }
}
