//! The machines page's list view: a recycling `ListView` of [`VmRow`]s over the page's
//! selection model. Enter opens a machine, Delete deletes the selected one, the Menu key
//! (or Shift+F10) opens a row's other actions.

use std::rc::Rc;

use gettextrs::gettext;
use gtk::glib;
use gtk::prelude::*;
use relm4::prelude::*;

use super::{MachinesMsg, MachinesOutput, MachinesPage};
use crate::ui::a11y;
use crate::ui::vm_object::VmObject;
use crate::ui::widgets::vm_row::VmRow;

pub fn build(
    selection: &gtk::SingleSelection,
    sender: &ComponentSender<MachinesPage>,
) -> gtk::ListView {
    let factory = gtk::SignalListItemFactory::new();
    {
        let sender = sender.clone();
        factory.connect_setup(move |_, item| {
            let item = item.downcast_ref::<gtk::ListItem>().expect("ListItem");
            let out = sender.output_sender().clone();
            let row = VmRow::new(Rc::new(move |uuid, action| {
                let _ = out.send(MachinesOutput::Action(uuid, action));
            }));
            item.set_child(Some(&row.root));
            // The row lives as long as its widget.
            unsafe { row.root.set_data("vm-row", row.clone()) };
        });
    }
    factory.connect_bind(|_, item| {
        let item = item.downcast_ref::<gtk::ListItem>().expect("ListItem");
        let obj = item.item().and_downcast::<VmObject>().expect("VmObject");
        if let Some(row) = row_of(item) {
            row.bind(&obj);
        }
    });
    factory.connect_unbind(|_, item| {
        let item = item.downcast_ref::<gtk::ListItem>().expect("ListItem");
        if let Some(row) = row_of(item) {
            row.unbind();
        }
    });

    let list = gtk::ListView::builder()
        .model(selection)
        .factory(&factory)
        .css_classes(["machines-list"])
        .build();
    a11y::set_label(&list, &gettext("Virtual machines"));
    {
        let sender = sender.clone();
        list.connect_activate(move |_, pos| sender.input(MachinesMsg::Activated(pos)));
    }
    {
        // Menu key or Shift+F10 on a focused row opens its "More actions" menu.
        let keys = gtk::EventControllerKey::new();
        let delete_out = sender.output_sender().clone();
        let selection = selection.clone();
        keys.connect_key_pressed(move |keys, key, _, mods| {
            let menu_key = key == gtk::gdk::Key::Menu
                || (key == gtk::gdk::Key::F10 && mods.contains(gtk::gdk::ModifierType::SHIFT_MASK));
            let focused = keys.widget().and_then(|list| list.focus_child());
            if key == gtk::gdk::Key::Delete {
                return delete_selected(&selection, &delete_out);
            }
            match (menu_key, focused.and_then(|item| item.first_child())) {
                (true, Some(row)) => {
                    VmRow::popup_menu(&row);
                    glib::Propagation::Stop
                }
                _ => glib::Propagation::Proceed,
            }
        });
        list.add_controller(keys);
    }
    list
}

/// The Delete key: ask to delete the selected machine, if any.
pub(super) fn delete_selected(
    selection: &gtk::SingleSelection,
    out: &relm4::Sender<MachinesOutput>,
) -> glib::Propagation {
    match selection.selected_item().and_downcast::<VmObject>() {
        Some(obj) => {
            let _ = out.send(MachinesOutput::Delete(obj.summary().uuid.clone()));
            glib::Propagation::Stop
        }
        None => glib::Propagation::Proceed,
    }
}

fn row_of(item: &gtk::ListItem) -> Option<Rc<VmRow>> {
    let child = item.child()?;
    // SAFETY: "vm-row" is only ever set to an Rc<VmRow> in the factory's setup.
    unsafe {
        child
            .data::<Rc<VmRow>>("vm-row")
            .map(|p| p.as_ref().clone())
    }
}
