//! The console toolbar: the console picker, "Send Key", "Take Screenshot", full screen and
//! a menu with scaling, guest resizing, a new window and the external viewer. Every entry
//! is a `console.*` action, so menus, buttons and shortcuts share one enabled state.

use std::cell::Cell;
use std::rc::{Rc, Weak};

use gettextrs::gettext;
use gtk::gio;
use gtk::glib;
use gtk::prelude::*;

use super::choices::ConsoleChoice;
use super::view::Inner;
use crate::ui::a11y;
use crate::ui::widgets::display::{Scaling, SendKey};

pub(super) struct Toolbar {
    pub bar: gtk::Box,
    picker: gtk::DropDown,
    names: gtk::StringList,
    /// Set while the picker is filled from code (its notify is not a person's choice).
    filling: Rc<Cell<bool>>,
    group: gio::SimpleActionGroup,
    /// A menu button has no action of its own: its sensitivity follows the display.
    send_key: gtk::MenuButton,
}

/// Actions that need a connected display.
const DISPLAY_ACTIONS: [&str; 4] = ["send-key", "screenshot", "scaling", "resize-guest"];
/// Actions that need a running machine.
const RUNNING_ACTIONS: [&str; 3] = ["fullscreen", "new-window", "reconnect"];

fn action(
    group: &gio::SimpleActionGroup,
    name: &str,
    view: &Weak<Inner>,
    f: impl Fn(&Rc<Inner>) + 'static,
) {
    let a = gio::SimpleAction::new(name, None);
    let view = view.clone();
    a.connect_activate(move |_, _| {
        if let Some(inner) = view.upgrade() {
            f(&inner);
        }
    });
    group.add_action(&a);
}

fn install_actions(group: &gio::SimpleActionGroup, view: &Weak<Inner>) {
    let send = gio::SimpleAction::new("send-key", Some(glib::VariantTy::INT32));
    {
        let view = view.clone();
        send.connect_activate(move |_, param| {
            let key = param
                .and_then(|p| p.get::<i32>())
                .and_then(|i| SendKey::all().get(i as usize).copied());
            if let (Some(inner), Some(key)) = (view.upgrade(), key) {
                inner.send_key(key);
            }
        });
    }
    group.add_action(&send);
    action(group, "screenshot", view, |v| v.save_screenshot());
    action(group, "reconnect", view, |v| v.reconnect(false));
    action(group, "fullscreen", view, |v| v.fullscreen());
    action(group, "new-window", view, |v| v.open_window(false));
    action(group, "external", view, |v| v.open_external());

    let scaling = gio::SimpleAction::new_stateful(
        "scaling",
        Some(glib::VariantTy::STRING),
        &"fit".to_variant(),
    );
    {
        let view = view.clone();
        scaling.connect_change_state(move |a, value| {
            let Some(value) = value.and_then(|v| v.get::<String>()) else {
                return;
            };
            let mode = if value == "native" {
                Scaling::Native
            } else {
                Scaling::Fit
            };
            a.set_state(&value.to_variant());
            if let Some(inner) = view.upgrade() {
                inner.set_scaling(mode);
            }
        });
    }
    group.add_action(&scaling);
    let resize = gio::SimpleAction::new_stateful("resize-guest", None, &false.to_variant());
    {
        let view = view.clone();
        resize.connect_change_state(move |a, value| {
            let on = value.and_then(|v| v.get::<bool>()).unwrap_or(false);
            a.set_state(&on.to_variant());
            if let Some(inner) = view.upgrade() {
                inner.set_resize_guest(on);
            }
        });
    }
    group.add_action(&resize);
}

fn send_key_menu() -> gio::Menu {
    let menu = gio::Menu::new();
    let mut section = gio::Menu::new();
    for (i, key) in SendKey::all().into_iter().enumerate() {
        // Ctrl+Alt+Del and Backspace, then the function keys, then Print Screen.
        if matches!(key, SendKey::CtrlAltF(1) | SendKey::PrintScreen) {
            menu.append_section(None, &section);
            section = gio::Menu::new();
        }
        let item = gio::MenuItem::new(Some(&key.label()), None);
        item.set_action_and_target_value(Some("console.send-key"), Some(&(i as i32).to_variant()));
        section.append_item(&item);
    }
    menu.append_section(None, &section);
    menu
}

fn options_menu(windowed: bool) -> gio::Menu {
    let menu = gio::Menu::new();
    let scale = gio::Menu::new();
    scale.append(
        Some(&gettext("Fit to Window")),
        Some("console.scaling::fit"),
    );
    scale.append(
        Some(&gettext("Original Size")),
        Some("console.scaling::native"),
    );
    scale.append(
        Some(&gettext("Resize Guest with Window")),
        Some("console.resize-guest"),
    );
    menu.append_section(None, &scale);
    let open = gio::Menu::new();
    if !windowed {
        open.append(
            Some(&gettext("Open in New Window")),
            Some("console.new-window"),
        );
    }
    open.append(
        Some(&gettext("Open in External Viewer")),
        Some("console.external"),
    );
    open.append(Some(&gettext("Reconnect")), Some("console.reconnect"));
    menu.append_section(None, &open);
    menu
}

impl Toolbar {
    pub fn new(view: Weak<Inner>, windowed: bool) -> Toolbar {
        let group = gio::SimpleActionGroup::new();
        install_actions(&group, &view);

        let names = gtk::StringList::new(&[]);
        let picker = gtk::DropDown::builder().model(&names).build();
        a11y::name_dropdown(&picker, &gettext("Select Console"));
        let filling = Rc::new(Cell::new(false));
        {
            let filling = filling.clone();
            picker.connect_selected_notify(move |picker| {
                if filling.get() {
                    return;
                }
                if let Some(inner) = view.upgrade() {
                    inner.select(picker.selected() as usize);
                }
            });
        }

        let send_key = gtk::MenuButton::builder()
            .icon_name("input-keyboard-symbolic")
            .menu_model(&send_key_menu())
            .build();
        a11y::name_icon_widget(&send_key, &gettext("Send Key"));
        let screenshot = gtk::Button::builder()
            .icon_name("camera-photo-symbolic")
            .action_name("console.screenshot")
            .build();
        a11y::name_icon_widget(&screenshot, &gettext("Take Screenshot"));
        let fullscreen = gtk::Button::builder()
            .icon_name("view-fullscreen-symbolic")
            .action_name("console.fullscreen")
            .build();
        a11y::name_icon_widget(&fullscreen, &gettext("Full Screen"));
        let options = gtk::MenuButton::builder()
            .icon_name("view-more-symbolic")
            .menu_model(&options_menu(windowed))
            .build();
        a11y::name_icon_widget(&options, &gettext("Console Options"));

        let bar = gtk::Box::builder()
            .spacing(6)
            .css_classes(["toolbar"])
            .build();
        bar.append(&picker);
        let spacer = gtk::Box::builder().hexpand(true).build();
        bar.append(&spacer);
        for w in [
            send_key.upcast_ref::<gtk::Widget>(),
            screenshot.upcast_ref(),
            fullscreen.upcast_ref(),
            options.upcast_ref(),
        ] {
            bar.append(w);
        }
        bar.insert_action_group("console", Some(&group));
        Toolbar {
            bar,
            picker,
            names,
            filling,
            group,
            send_key,
        }
    }

    /// Fill the picker (the selection is not reported back as a choice).
    pub fn set_choices(&self, choices: &[ConsoleChoice], selected: usize) {
        self.filling.set(true);
        let labels: Vec<String> = choices.iter().map(ConsoleChoice::label).collect();
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        self.names.splice(0, self.names.n_items(), &refs);
        self.picker.set_selected(selected as u32);
        self.picker.set_sensitive(choices.len() > 1);
        self.filling.set(false);
    }

    pub fn select(&self, index: usize) {
        self.filling.set(true);
        self.picker.set_selected(index as u32);
        self.filling.set(false);
    }

    /// Enable the actions that make sense now.
    pub fn update(&self, display_connected: bool, running: bool) {
        for name in DISPLAY_ACTIONS {
            self.enable(name, display_connected);
        }
        self.send_key.set_sensitive(display_connected);
        for name in RUNNING_ACTIONS {
            self.enable(name, running);
        }
    }

    fn enable(&self, name: &str, on: bool) {
        if let Some(a) = self
            .group
            .lookup_action(name)
            .and_downcast::<gio::SimpleAction>()
        {
            a.set_enabled(on);
        }
    }
}
