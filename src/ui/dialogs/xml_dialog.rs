//! A window with the XML editor for a network or a storage pool (a machine's XML has its
//! own tab). Save goes through the caller to libvirt, which validates; its error shows
//! above the text and the window stays open with the user's edit.

use std::rc::Rc;

use adw::prelude::*;

use crate::ui::widgets::xml_editor::XmlEditor;

#[derive(Clone)]
pub struct XmlDialog {
    window: adw::Window,
    pub editor: Rc<XmlEditor>,
}

impl XmlDialog {
    pub fn close(&self) {
        self.window.close();
    }
}

/// Opens the editor on `xml`; `on_save` gets the edited text.
pub fn show(
    parent: &gtk::Window,
    title: &str,
    accessible_name: &str,
    xml: &str,
    on_save: impl Fn(String) + 'static,
) -> XmlDialog {
    let window = adw::Window::builder()
        .transient_for(parent)
        .modal(true)
        .title(title)
        .build();
    crate::ui::dialogs::fit_to_parent(&window, 720, 600);
    let header = adw::HeaderBar::new();
    let editor = XmlEditor::new(accessible_name, on_save);
    editor.reset(xml);
    let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
    content.append(&header);
    content.append(&editor.root);
    editor.root.set_vexpand(true);
    window.set_content(Some(&content));
    // Escape closes, as in every GNOME dialog, unless there is an unsaved edit.
    let keys = gtk::EventControllerKey::new();
    {
        let (window, editor) = (window.clone(), editor.clone());
        keys.connect_key_pressed(move |_, key, _, _| {
            if key == gtk::gdk::Key::Escape && !editor.is_modified() {
                window.close();
                return gtk::glib::Propagation::Stop;
            }
            gtk::glib::Propagation::Proceed
        });
    }
    window.add_controller(keys);
    window.present();
    XmlDialog { window, editor }
}
