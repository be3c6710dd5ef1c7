//! Application and window actions and their keyboard shortcuts. The same accelerators
//! are listed in resources/shortcuts.ui.

use adw::prelude::*;
use gtk::gio;
use relm4::prelude::*;

use super::{App, AppMsg};
use crate::backend::VmAction;

fn add(
    map: &impl IsA<gio::ActionMap>,
    name: &str,
    sender: &ComponentSender<App>,
    msg: fn() -> AppMsg,
) {
    let action = gio::SimpleAction::new(name, None);
    let sender = sender.clone();
    action.connect_activate(move |_, _| sender.input(msg()));
    map.add_action(&action);
}

pub fn install(window: &adw::ApplicationWindow, sender: &ComponentSender<App>) {
    let app = relm4::main_application();
    add(&app, "quit", sender, || AppMsg::Quit);
    add(&app, "preferences", sender, || AppMsg::Preferences);
    add(&app, "shortcuts", sender, || AppMsg::Shortcuts);
    add(&app, "about", sender, || AppMsg::About);
    // A desktop notification of an alert opens the Alerts page.
    add(&app, "show-alerts", sender, || {
        AppMsg::ShowPage(super::Page::Alerts)
    });
    // Launching the app again activates this instance: its first activation is this
    // start's own (relm4 shows the window then, unless `--console` asked otherwise).
    let activations = std::cell::Cell::new(0u32);
    let activated = sender.clone();
    app.connect_activate(move |_| {
        if activations.replace(activations.get() + 1) > 0 {
            activated.input(AppMsg::Activated);
        }
    });
    add(window, "search", sender, || AppMsg::Search);
    add(window, "refresh", sender, || AppMsg::Refresh);
    add(window, "back", sender, || AppMsg::Back);
    add(window, "new-vm", sender, || AppMsg::NewVm(None));
    add(window, "import-vm", sender, || AppMsg::ImportVm);

    let accels: [(&str, &[&str]); 9] = [
        ("app.quit", &["<Ctrl>q"]),
        ("app.preferences", &["<Ctrl>comma"]),
        ("app.shortcuts", &["<Ctrl>question"]),
        ("win.search", &["<Ctrl>f"]),
        ("win.refresh", &["<Ctrl>r", "F5"]),
        ("win.back", &["<Alt>Left"]),
        ("win.new-vm", &["<Ctrl>n"]),
        ("win.import-vm", &["<Ctrl>o"]),
        ("window.close", &["<Ctrl>w"]),
    ];
    for (name, keys) in accels {
        app.set_accels_for_action(name, keys);
    }

    for action in VmAction::ALL {
        let name = format!("vm-{}", action.id());
        let simple = gio::SimpleAction::new(&name, None);
        let sender = sender.clone();
        simple.connect_activate(move |_, _| sender.input(AppMsg::ShortcutAction(action)));
        window.add_action(&simple);
        app.set_accels_for_action(&format!("win.{name}"), &[vm_accel(action)]);
    }
}

/// The shortcut of each lifecycle action (Ctrl+Shift+letter).
pub fn vm_accel(action: VmAction) -> &'static str {
    match action {
        VmAction::Start => "<Ctrl><Shift>s",
        VmAction::Shutdown => "<Ctrl><Shift>d",
        VmAction::Reboot => "<Ctrl><Shift>r",
        VmAction::Pause => "<Ctrl><Shift>p",
        VmAction::Resume => "<Ctrl><Shift>u",
        VmAction::ForceOff => "<Ctrl><Shift>f",
        VmAction::Save => "<Ctrl><Shift>m",
    }
}
