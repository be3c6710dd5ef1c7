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
    fn gtk_accessible_update_state_value(
        accessible: *mut std::ffi::c_void,
        n_states: std::os::raw::c_int,
        states: *mut gtk::ffi::GtkAccessibleState,
        values: *const gtk::glib::gobject_ffi::GValue,
    );
    fn gtk_accessible_reset_property(
        accessible: *mut std::ffi::c_void,
        property: gtk::ffi::GtkAccessibleProperty,
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

/// Marks `widget` (and what it contains) as hidden from assistive technologies, or not.
pub fn set_hidden(widget: &impl IsA<gtk::Widget>, hidden: bool) {
    let value = hidden.to_value();
    let mut states = [gtk::AccessibleState::Hidden.into_glib()];
    // SAFETY: one state and one initialised boolean GValue, as GTK expects; GTK copies it.
    unsafe {
        gtk_accessible_update_state_value(
            widget.as_ref().as_ptr() as *mut std::ffi::c_void,
            1,
            states.as_mut_ptr(),
            value.to_glib_none().0,
        );
    }
}

/// Keeps the pages of a folded leaflet that are off screen out of the accessibility tree
/// (GTK 4.8 would present the hidden sidebar as if it were there).
pub fn follow_leaflet(leaflet: &adw::Leaflet) {
    fn sync(leaflet: &adw::Leaflet) {
        let folded = leaflet.is_folded();
        let current = leaflet.visible_child();
        let mut child = leaflet.first_child();
        while let Some(widget) = child {
            child = widget.next_sibling();
            set_hidden(&widget, folded && Some(&widget) != current.as_ref());
        }
    }
    leaflet.connect_folded_notify(sync);
    leaflet.connect_visible_child_notify(sync);
    sync(leaflet);
}

/// Drops an explicit accessible name, so the name comes from the widget's content again.
pub fn reset_label(widget: &impl IsA<gtk::Widget>) {
    // SAFETY: a valid widget (hence GtkAccessible) pointer and a valid property.
    unsafe {
        gtk_accessible_reset_property(
            widget.as_ref().as_ptr() as *mut std::ffi::c_void,
            gtk::AccessibleProperty::Label.into_glib(),
        );
    }
}

/// Fixes doubled names ("Cancel Cancel") of buttons with a text child under `root`.
///
/// On GTK 4.8 a button that has both an explicit accessible label and a label child is
/// announced with both; libadwaita 1.2's message dialog labels its response buttons that
/// way. Their visible text is the right name, so the explicit one is dropped.
pub fn undouble_button_names(root: &impl IsA<gtk::Widget>) {
    let mut stack = vec![root.as_ref().clone()];
    while let Some(widget) = stack.pop() {
        if widget.is::<gtk::Button>() && widget.first_child().is_some_and(|c| c.is::<gtk::Label>())
        {
            reset_label(&widget);
        }
        let mut child = widget.first_child();
        while let Some(c) = child {
            child = c.next_sibling();
            stack.push(c);
        }
    }
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

/// Names a drop-down and the toggle button inside it, which is what takes focus and what a
/// screen reader lands on (GTK 4.8 leaves it unnamed).
pub fn name_dropdown(drop: &gtk::DropDown, label: &str) {
    name_icon_widget(drop, label);
    if let Some(toggle) = drop.first_child() {
        set_label(&toggle, label);
    }
}

/// Show the page `name` of `stack` and hide its other pages once any transition ends.
///
/// GTK 4.8 keeps the widgets of a stack's hidden pages in the accessibility tree as if they
/// were on screen, so a screen reader (and our UI tests) would find, say, the welcome
/// page's buttons behind the machines list. Hidden pages are made invisible instead; the
/// stack never shows an invisible page, so the named one is made visible first.
pub fn show_only(stack: &gtk::Stack, name: &str) {
    let Some(page) = stack.child_by_name(name) else {
        log::warn!("stack has no page named {name}");
        return;
    };
    page.set_visible(true);
    stack.set_visible_child(&page);
    if stack.is_transition_running() {
        // Hide the previous page when the animation ends (the handler disconnects itself).
        let handler = std::rc::Rc::new(std::cell::Cell::new(None));
        let slot = handler.clone();
        let id = stack.connect_transition_running_notify(move |stack| {
            if !stack.is_transition_running() {
                hide_other_pages(stack);
                if let Some(id) = slot.take() {
                    stack.disconnect(id);
                }
            }
        });
        handler.set(Some(id));
    } else {
        hide_other_pages(stack);
    }
}

/// Hide every page but the visible one (call once after adding the pages).
pub fn hide_other_pages(stack: &gtk::Stack) {
    let current = stack.visible_child();
    let mut child = stack.first_child();
    while let Some(widget) = child {
        child = widget.next_sibling();
        if Some(&widget) != current.as_ref() {
            widget.set_visible(false);
        }
    }
}
