//! Dialogs and secondary windows. Each is built on demand, transient for the main
//! window, and reports back through a callback.

pub mod about;
pub mod boot_order;
pub mod clone_vm;
pub mod confirm;
pub mod delete_vm;
pub mod new_vm;
pub mod preferences;
pub mod prompt;
pub mod shortcuts;
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
