//! Accessible names and descriptions on GTK 4.8.
//!
//! gtk4-rs only exposes `update_property` with the `v4_10` feature, but the C function
//! `gtk_accessible_update_property_value` exists since GTK 4.0, so we declare it
//! ourselves. This lets us name dynamic widgets (rows named by their VM) on the baseline.

use gtk::glib::translate::{IntoGlib, ToGlibPtr};
use gtk::prelude::*;

extern "C" {
    // Every GtkWidget implements the GtkAccessible interface, so a widget pointer is a
    // valid `GtkAccessible*`. (gtk4-rs gates the `Accessible` type itself on v4_10.)
    fn gtk_accessible_update_property_value(
        accessible: *mut std::ffi::c_void,
        n_properties: std::os::raw::c_int,
        properties: *mut gtk::ffi::GtkAccessibleProperty,
        values: *const gtk::glib::gobject_ffi::GValue,
    );
}

fn set_string_property(widget: &impl IsA<gtk::Widget>, prop: gtk::AccessibleProperty, text: &str) {
    let value = text.to_value();
    let mut props = [prop.into_glib()];
    // SAFETY: one property and one initialised GValue of type string, as GTK expects;
    // GTK copies the value before returning.
    unsafe {
        gtk_accessible_update_property_value(
            widget.as_ref().as_ptr() as *mut std::ffi::c_void,
            1,
            props.as_mut_ptr(),
            value.to_glib_none().0,
        );
    }
}

/// Sets the name a screen reader announces for `widget`.
pub fn set_label(widget: &impl IsA<gtk::Widget>, label: &str) {
    set_string_property(widget, gtk::AccessibleProperty::Label, label);
}

/// Sets the longer description a screen reader reads after the name.
pub fn set_description(widget: &impl IsA<gtk::Widget>, description: &str) {
    set_string_property(widget, gtk::AccessibleProperty::Description, description);
}

/// An icon-only button with a tooltip and the same text as its accessible name.
pub fn icon_button(icon: &str, label: &str) -> gtk::Button {
    let button = gtk::Button::from_icon_name(icon);
    name_icon_widget(&button, label);
    button
}

/// Gives an icon-only widget a tooltip and an accessible name.
pub fn name_icon_widget(widget: &impl IsA<gtk::Widget>, label: &str) {
    widget.set_tooltip_text(Some(label));
    set_label(widget, label);
}
