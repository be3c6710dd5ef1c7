//! One row of the machines list: state icon, name and state, CPU use now, vCPUs, memory,
//! autostart,
//! the primary action and a menu with the other valid actions.
//!
//! Rows are recycled by the `ListView`: `bind` attaches a row to a [`VmObject`] and
//! follows its `revision`; `unbind` lets go.

use std::cell::RefCell;
use std::rc::Rc;

use gettextrs::gettext;
use gtk::gio;
use gtk::glib;
use gtk::prelude::*;

use crate::backend::{VmAction, VmState, VmSummary};
use crate::i18n::gettext_f;
use crate::ui::vm_object::VmObject;
use crate::ui::widgets::sparkline::Sparkline;
use crate::ui::{a11y, format};

/// Called with (uuid, action) when the user picks an action on a row.
pub type ActionHandler = Rc<dyn Fn(String, VmAction)>;

pub struct VmRow {
    pub root: gtk::Box,
    state_icon: gtk::Image,
    name: gtk::Label,
    state: gtk::Label,
    vcpus: gtk::Label,
    memory: gtk::Label,
    cpu: gtk::Label,
    sparkline: Sparkline,
    autostart: gtk::Image,
    primary: gtk::Button,
    more: gtk::MenuButton,
    bound: RefCell<Option<(VmObject, [glib::SignalHandlerId; 2])>>,
}

impl VmRow {
    pub fn new(on_action: ActionHandler) -> Rc<Self> {
        let root = gtk::Box::builder()
            .spacing(6)
            .margin_start(12)
            .margin_end(6)
            .margin_top(6)
            .margin_bottom(6)
            .css_classes(["vm-row"])
            .build();
        let state_icon = gtk::Image::builder().pixel_size(16).margin_end(6).build();
        let text = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .hexpand(true)
            .valign(gtk::Align::Center)
            .build();
        let name = gtk::Label::builder()
            .xalign(0.0)
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .css_classes(["heading"])
            .build();
        let state = gtk::Label::builder()
            .xalign(0.0)
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .css_classes(["caption", "dim-label"])
            .build();
        text.append(&name);
        text.append(&state);
        let vcpus = gtk::Label::builder()
            .width_chars(7)
            .xalign(1.0)
            .css_classes(["dim-label", "numeric"])
            .build();
        let memory = gtk::Label::builder()
            .width_chars(8)
            .xalign(1.0)
            .css_classes(["dim-label", "numeric"])
            .build();
        let cpu = gtk::Label::builder()
            .width_chars(6)
            .xalign(1.0)
            .css_classes(["dim-label", "numeric"])
            .tooltip_text(gettext("CPU use"))
            .build();
        // The sparkline carries the figure for screen readers ("CPU 23 %").
        crate::ui::a11y::set_hidden(&cpu, true);
        let sparkline = Sparkline::new();
        sparkline.widget().set_valign(gtk::Align::Center);
        let autostart = gtk::Image::from_icon_name("emblem-synchronizing-symbolic");
        autostart.set_tooltip_text(Some(&gettext("Starts with the host")));
        let primary = gtk::Button::builder()
            .valign(gtk::Align::Center)
            .css_classes(["flat", "circular"])
            .build();
        let more = gtk::MenuButton::builder()
            .icon_name("view-more-symbolic")
            .valign(gtk::Align::Center)
            .css_classes(["flat", "circular"])
            .build();
        // GTK 4.8 never focuses a list row that has a focusable child, so the row's buttons
        // stay out of the Tab chain: the keyboard selects rows, Enter opens one, the Menu
        // key (or Shift+F10) opens its actions, and each action has a shortcut.
        primary.set_can_focus(false);
        more.set_can_focus(false);
        for w in [
            state_icon.upcast_ref::<gtk::Widget>(),
            text.upcast_ref(),
            sparkline.widget().upcast_ref(),
            cpu.upcast_ref(),
            vcpus.upcast_ref(),
            memory.upcast_ref(),
            autostart.upcast_ref(),
            slot(&primary).upcast_ref(),
            slot(&more).upcast_ref(),
        ] {
            root.append(w);
        }

        let row = Rc::new(VmRow {
            root,
            state_icon,
            name,
            state,
            vcpus,
            memory,
            cpu,
            sparkline,
            autostart,
            primary,
            more,
            bound: RefCell::new(None),
        });

        // Row-local actions ("row.start", ...) back the menu; they act on the bound VM.
        let group = gio::SimpleActionGroup::new();
        for action in VmAction::ALL {
            let simple = gio::SimpleAction::new(action.id(), None);
            let weak = Rc::downgrade(&row);
            let on_action = on_action.clone();
            simple.connect_activate(move |_, _| {
                if let Some(uuid) = weak.upgrade().and_then(|r| r.uuid()) {
                    on_action(uuid, action);
                }
            });
            group.add_action(&simple);
        }
        row.root.insert_action_group("row", Some(&group));

        // The menu is built when it opens: a menu model set up front makes GTK build a
        // popover per row, and GTK 4.8's ListView keeps up to 200 rows alive.
        let weak = Rc::downgrade(&row);
        row.more.set_create_popup_func(move |button| {
            let Some(state) = weak.upgrade().and_then(|r| r.state()) else {
                return;
            };
            let menu = gio::Menu::new();
            for action in secondary_actions(state) {
                menu.append(Some(&action.label()), Some(&format!("row.{}", action.id())));
            }
            button.set_menu_model(Some(&menu));
        });

        let weak = Rc::downgrade(&row);
        row.primary.connect_clicked(move |_| {
            let Some(row) = weak.upgrade() else { return };
            let (Some(uuid), Some(action)) = (row.uuid(), row.primary_action()) else {
                return;
            };
            on_action(uuid, action);
        });
        row
    }

    /// Open the menu of other actions (for the Menu key on a focused row).
    pub fn popup_menu(root: &gtk::Widget) {
        let mut pending = vec![root.clone()];
        while let Some(widget) = pending.pop() {
            if let Some(menu) = widget.downcast_ref::<gtk::MenuButton>() {
                if menu.is_visible() {
                    menu.popup();
                }
                return;
            }
            let mut child = widget.first_child();
            while let Some(c) = child {
                child = c.next_sibling();
                pending.push(c);
            }
        }
    }

    fn uuid(&self) -> Option<String> {
        let bound = self.bound.borrow();
        bound.as_ref().map(|(obj, _)| obj.summary().uuid.clone())
    }

    fn state(&self) -> Option<VmState> {
        let bound = self.bound.borrow();
        bound.as_ref().map(|(obj, _)| obj.summary().state)
    }

    fn primary_action(&self) -> Option<VmAction> {
        primary_action(self.state()?)
    }

    pub fn bind(self: &Rc<Self>, obj: &VmObject) {
        self.unbind();
        let weak = Rc::downgrade(self);
        let handler = obj.connect_revision_notify(move |obj| {
            if let Some(row) = weak.upgrade() {
                row.show(&obj.summary());
            }
        });
        let weak = Rc::downgrade(self);
        let cpu_handler = obj.connect_cpu_notify(move |obj| {
            if let Some(row) = weak.upgrade() {
                row.show_cpu(obj);
            }
        });
        self.show(&obj.summary());
        self.show_cpu(obj);
        self.bound
            .replace(Some((obj.clone(), [handler, cpu_handler])));
    }

    pub fn unbind(&self) {
        if let Some((obj, handlers)) = self.bound.take() {
            for handler in handlers {
                obj.disconnect(handler);
            }
        }
    }

    /// The CPU figure of the last tick; blank while the VM is off or gave none.
    fn show_cpu(&self, obj: &VmObject) {
        let pct = obj.cpu();
        let history: Vec<f64> = obj.cpu_history().into_iter().map(f64::from).collect();
        self.sparkline.set_values(&history);
        // Off or without figures: nothing drawn, but the column keeps its place.
        self.sparkline
            .widget()
            .set_child_visible(!history.is_empty());
        if pct < 0.0 {
            self.cpu.set_text("");
        } else {
            self.cpu.set_text(&format::percent(pct));
        }
    }

    fn show(&self, vm: &VmSummary) {
        let state_text = vm.state.label();
        self.state_icon
            .set_icon_name(Some(format::state_icon(vm.state)));
        self.name.set_text(&vm.name);
        // Tags share the state's line: one label, no extra widgets per row.
        let state_text = if vm.tags.is_empty() {
            state_text
        } else {
            gettext_f(
                "{state} · {tags}",
                &[("state", &state_text), ("tags", &vm.tags.join(", "))],
            )
        };
        self.state.set_text(&state_text);
        self.vcpus.set_text(&format::vcpus(vm.vcpus));
        self.memory.set_text(&format::kib(vm.memory_kib));
        // Hidden parts keep their space so the columns line up from row to row.
        self.autostart.set_child_visible(vm.autostart);
        format::set_state_class(&self.state_icon, vm.state);

        // A screen reader announces the row by the VM's name, then its state.
        a11y::set_label(&self.root, &vm.name);
        a11y::set_description(&self.root, &state_text);
        if let Some(item) = self.root.parent() {
            a11y::set_label(&item, &vm.name);
            a11y::set_description(&item, &state_text);
        }

        match primary_action(vm.state) {
            Some(action) => {
                self.primary.set_visible(true);
                self.primary.set_icon_name(format::action_icon(action));
                let label = gettext_f(
                    "{action} {name}",
                    &[("action", &action.label()), ("name", &vm.name)],
                );
                a11y::name_icon_widget(&self.primary, &label);
            }
            None => {
                self.primary.set_visible(false);
            }
        }

        self.more
            .set_visible(!secondary_actions(vm.state).is_empty());
        a11y::name_icon_widget(
            &self.more,
            &gettext_f("More actions for {name}", &[("name", &vm.name)]),
        );
    }
}

/// The actions a row's menu offers: the valid ones except the primary button's.
fn secondary_actions(state: VmState) -> Vec<VmAction> {
    let primary = primary_action(state);
    state
        .valid_actions()
        .iter()
        .copied()
        .filter(|a| Some(*a) != primary)
        .collect()
}

/// A fixed-width place for a row button, so columns line up whether or not the button
/// shows (a hidden button is also gone from the accessibility tree, unlike an unmapped one).
fn slot(button: &impl IsA<gtk::Widget>) -> gtk::Box {
    let slot = gtk::Box::builder().width_request(ROW_BUTTON_SIZE).build();
    slot.append(button);
    slot
}

/// Adwaita's circular button size.
const ROW_BUTTON_SIZE: i32 = 34;

/// The action a row offers as its one-click button.
pub fn primary_action(state: VmState) -> Option<VmAction> {
    match state {
        VmState::ShutOff | VmState::Crashed | VmState::Saved => Some(VmAction::Start),
        VmState::Running | VmState::Blocked => Some(VmAction::Shutdown),
        VmState::Paused => Some(VmAction::Resume),
        _ => None,
    }
}
