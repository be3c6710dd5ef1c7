//! The VM page's "Machine Menu": actions on the whole machine beyond its lifecycle.

use gettextrs::gettext;
use gtk::prelude::*;
use relm4::prelude::*;

use super::{VmDetailsMsg, VmDetailsPage};
use crate::ui::a11y;

/// Builds the menu button and installs its `vm.*` actions on `root`.
pub(super) fn machine_menu(
    root: &gtk::Box,
    sender: &ComponentSender<VmDetailsPage>,
) -> gtk::MenuButton {
    let group = gtk::gio::SimpleActionGroup::new();
    type Entry = (&'static str, fn() -> VmDetailsMsg);
    let entries: [Entry; 4] = [
        ("clone", || VmDetailsMsg::Clone),
        ("save-template", || VmDetailsMsg::SaveAsTemplate),
        ("export", || VmDetailsMsg::Export),
        ("delete", || VmDetailsMsg::Delete),
    ];
    for (name, msg) in entries {
        let action = gtk::gio::SimpleAction::new(name, None);
        let sender = sender.clone();
        action.connect_activate(move |_, _| sender.input(msg()));
        group.add_action(&action);
    }
    root.insert_action_group("vm", Some(&group));
    let menu = gtk::gio::Menu::new();
    let make = gtk::gio::Menu::new();
    make.append(Some(&gettext("Clone…")), Some("vm.clone"));
    make.append(
        Some(&gettext("Save as Template…")),
        Some("vm.save-template"),
    );
    make.append(Some(&gettext("Export XML…")), Some("vm.export"));
    menu.append_section(None, &make);
    let danger = gtk::gio::Menu::new();
    danger.append(Some(&gettext("Delete…")), Some("vm.delete"));
    menu.append_section(None, &danger);
    let button = gtk::MenuButton::builder()
        .icon_name("view-more-symbolic")
        .menu_model(&menu)
        .build();
    a11y::name_icon_widget(&button, &gettext("Machine Menu"));
    button
}
