//! Building blocks the host-object pages (Storage, Networks) share: a clamped scrolling
//! column, a header with a back button, a usage level bar, a per-row menu whose items
//! carry the row's name, and a status-page placeholder.

use adw::prelude::*;
use gtk::gio;

use crate::ui::a11y;

/// A scrolled window holding a column clamped to a readable width; add groups to the box.
pub fn scrolled_column() -> (gtk::ScrolledWindow, gtk::Box) {
    let column = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(24)
        .margin_top(24)
        .margin_bottom(24)
        .margin_start(12)
        .margin_end(12)
        .build();
    let scroll = gtk::ScrolledWindow::builder()
        .child(
            &adw::Clamp::builder()
                .maximum_size(760)
                .child(&column)
                .build(),
        )
        .hscrollbar_policy(gtk::PolicyType::Never)
        .vexpand(true)
        .build();
    (scroll, column)
}

/// A header bar titled `title` with a back button at the start (returned, for the caller
/// to connect and to show only where it leads somewhere).
pub fn header(title: &adw::WindowTitle) -> (adw::HeaderBar, gtk::Button) {
    let header = adw::HeaderBar::builder().title_widget(title).build();
    let back = a11y::icon_button("go-previous-symbolic", &gettextrs::gettext("Back"));
    header.pack_start(&back);
    (header, back)
}

/// A level bar of `used` over `capacity`, with `description` for screen readers.
pub fn usage_bar(used: u64, capacity: u64, description: &str) -> gtk::LevelBar {
    let fraction = if capacity == 0 {
        0.0
    } else {
        (used as f64 / capacity as f64).clamp(0.0, 1.0)
    };
    let bar = gtk::LevelBar::builder()
        .value(fraction)
        .width_request(120)
        .valign(gtk::Align::Center)
        .build();
    // Full is a warning, not a success: swap the default offsets' meaning.
    bar.add_offset_value(gtk::LEVEL_BAR_OFFSET_LOW, 0.8);
    bar.add_offset_value(gtk::LEVEL_BAR_OFFSET_HIGH, 0.9);
    bar.add_offset_value(gtk::LEVEL_BAR_OFFSET_FULL, 1.0);
    a11y::set_label(&bar, description);
    bar
}

/// A "⋮" menu button named `label` whose items activate `group.action` with `target` as
/// their string parameter. `sections` are lists of (item label, action name).
pub fn row_menu(
    label: &str,
    group: &str,
    target: &str,
    sections: &[&[(String, &str)]],
) -> gtk::MenuButton {
    let menu = gio::Menu::new();
    for section in sections {
        let part = gio::Menu::new();
        for (text, action) in section.iter() {
            let item = gio::MenuItem::new(Some(text), None);
            item.set_action_and_target_value(
                Some(&format!("{group}.{action}")),
                Some(&target.to_variant()),
            );
            part.append_item(&item);
        }
        menu.append_section(None, &part);
    }
    let button = gtk::MenuButton::builder()
        .icon_name("view-more-symbolic")
        .menu_model(&menu)
        .valign(gtk::Align::Center)
        .css_classes(["flat"])
        .build();
    a11y::name_icon_widget(&button, label);
    button
}

/// Actions of a group: (name, handler of the item's string target).
pub type Handlers<'a> = Vec<(&'a str, Box<dyn Fn(String)>)>;

/// Registers `group` on `widget` with one string-parameter action per (name, handler).
pub fn install_actions(widget: &impl IsA<gtk::Widget>, group: &str, actions: Handlers<'_>) {
    let set = gio::SimpleActionGroup::new();
    for (name, handler) in actions {
        let action = gio::SimpleAction::new(name, Some(gtk::glib::VariantTy::STRING));
        action.connect_activate(move |_, param| {
            if let Some(target) = param.and_then(|p| p.get::<String>()) {
                handler(target);
            }
        });
        set.add_action(&action);
    }
    widget.insert_action_group(group, Some(&set));
}

/// A flat suffix button with an icon and an accessible name.
pub fn flat_icon_button(icon: &str, label: &str) -> gtk::Button {
    let button = a11y::icon_button(icon, label);
    button.add_css_class("flat");
    button.set_valign(gtk::Align::Center);
    button
}

/// Escapes text for a row title or subtitle (they take Pango markup).
pub fn esc(text: &str) -> String {
    gtk::glib::markup_escape_text(text).to_string()
}

/// Removes every row previously added to `group` and remembered in `rows`.
pub fn clear_rows(group: &adw::PreferencesGroup, rows: &mut Vec<gtk::Widget>) {
    for row in rows.drain(..) {
        group.remove(&row);
    }
}
