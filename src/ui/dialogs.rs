//! Dialogs and secondary windows. Each is built on demand, transient for the main
//! window, and reports back through a callback.

pub mod about;
pub mod alert_rule;
pub mod attach_disk;
pub mod boot_order;
pub mod clone_vm;
pub mod confirm;
pub mod delete_vm;
pub mod form;
pub mod networks;
pub mod new_vm;
pub mod preferences;
pub mod prompt;
pub mod shortcuts;
pub mod storage;
pub mod template_editor;
pub mod xml_dialog;

/// Size a dialog window: `width` × `height` (or its natural height), but never wider or
/// taller than its parent, so a dialog over a narrow (phone-sized) window still fits.
pub fn fit_to_parent(window: &impl gtk::prelude::IsA<gtk::Window>, width: i32, height: i32) {
    use gtk::prelude::*;
    let window = window.as_ref();
    let (mut w, mut h) = (width, height);
    if let Some(parent) = window.transient_for() {
        let (pw, ph) = (parent.width(), parent.height());
        if pw > 0 {
            w = w.min(pw);
        }
        if ph > 0 && h > 0 {
            h = h.min(ph);
        }
    }
    window.set_default_size(w, h);
}

/// A dialog's header bar: Cancel at the start (it closes `window`) and the suggested
/// action, labelled `accept`, at the end; both named for screen readers. Returns the bar
/// and the action button for the caller to connect.
pub fn action_header(window: &adw::Window, accept: &str) -> (adw::HeaderBar, gtk::Button) {
    use gtk::prelude::*;
    let cancel = gtk::Button::with_label(&gettextrs::gettext("Cancel"));
    let action = gtk::Button::builder()
        .label(accept)
        .css_classes(["suggested-action"])
        .build();
    crate::ui::a11y::set_label(&cancel, &gettextrs::gettext("Cancel"));
    crate::ui::a11y::set_label(&action, accept);
    let header = adw::HeaderBar::builder()
        .show_start_title_buttons(false)
        .show_end_title_buttons(false)
        .build();
    header.pack_start(&cancel);
    header.pack_end(&action);
    let window = window.clone();
    cancel.connect_clicked(move |_| window.close());
    (header, action)
}
