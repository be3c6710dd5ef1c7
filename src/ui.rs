//! The user interface: relm4 components and GTK widgets. Never calls libvirt or blocks:
//! everything slow goes to a connection worker and comes back as a message.

pub mod a11y;
pub mod console;
pub mod dialogs;
pub mod format;
pub mod pages;
pub mod settings;
pub mod vm_object;
pub mod vm_store;
pub mod widgets;

/// Once per process, after GTK is initialised: style sheet, icons of the build tree,
/// and the colour scheme preference.
pub fn startup(css: &str) {
    relm4::set_global_css(css);
    if let Some(display) = gtk::gdk::Display::default() {
        // Lets a cargo build run in place show the app icon.
        let theme = gtk::IconTheme::for_display(&display);
        theme.add_search_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/icons"));
    }
    let scheme = settings::string("color-scheme")
        .map(|k| settings::ColorScheme::from_key(&k))
        .unwrap_or(settings::ColorScheme::Default);
    scheme.apply();
}
