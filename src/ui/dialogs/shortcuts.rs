//! The keyboard shortcuts window (Ctrl+?), built from resources/shortcuts.ui.

use gtk::prelude::*;

pub fn show(parent: &gtk::Window) {
    let builder = gtk::Builder::new();
    builder.set_translation_domain(Some(crate::config::GETTEXT_PACKAGE));
    if let Err(e) = builder.add_from_string(include_str!("../../../resources/shortcuts.ui")) {
        log::error!("shortcuts window: {e}");
        return;
    }
    let Some(window) = builder.object::<gtk::ShortcutsWindow>("shortcuts") else {
        return;
    };
    window.set_transient_for(Some(parent));
    window.set_modal(true);
    window.present();
}
