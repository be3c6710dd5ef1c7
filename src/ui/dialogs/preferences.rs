//! Preferences: appearance (follow the system, light or dark) and metric history (how
//! often samples are stored, how long they are kept, when the daily clean-up runs, and
//! how large the database is). History settings live in the app's database, so they are
//! read and written off the main thread.

use adw::prelude::*;
use gettextrs::gettext;

use crate::ui::settings::{self, ColorScheme};

mod history;

pub use history::HistoryChange;

/// Open Preferences; `on_history` hears about history settings that the app must act on.
pub fn show(parent: &gtk::Window, on_history: impl Fn(HistoryChange) + 'static) {
    let window = adw::PreferencesWindow::builder()
        .transient_for(parent)
        .modal(true)
        .search_enabled(false)
        .build();
    let page = adw::PreferencesPage::builder()
        .title(gettext("General"))
        .icon_name("preferences-system-symbolic")
        .build();
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Appearance"))
        .build();
    let names = [gettext("Follow System"), gettext("Light"), gettext("Dark")];
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let style = adw::ComboRow::builder()
        .title(gettext("Style"))
        .subtitle(gettext("Light or dark appearance of KVM Manager"))
        .model(&gtk::StringList::new(&refs))
        .build();
    let current = settings::string("color-scheme")
        .map(|k| ColorScheme::from_key(&k))
        .unwrap_or(ColorScheme::Default);
    let index = ColorScheme::ALL
        .iter()
        .position(|s| *s == current)
        .unwrap_or(0);
    style.set_selected(index as u32);
    style.connect_selected_notify(|row| {
        let scheme = ColorScheme::ALL[row.selected() as usize % ColorScheme::ALL.len()];
        scheme.apply();
        settings::set_string("color-scheme", scheme.key());
    });
    group.add(&style);
    if settings::settings().is_none() {
        group.set_description(Some(&gettext(
            "Settings are not installed, so changes last only until KVM Manager quits.",
        )));
    }
    page.add(&group);
    page.add(&history::group(&window, on_history));
    window.add(&page);
    window.present();
}
