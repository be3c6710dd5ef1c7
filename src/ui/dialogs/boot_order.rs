//! The boot order dialog: the machine's disks and network cards, each with a check box
//! ("boot from this device") and Move Up / Move Down buttons. Save hands the checked
//! devices, in order, to the caller; at least one must stay checked.

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;

use crate::backend::boot::BootDevice;
use crate::backend::VmDetails;
use crate::i18n::gettext_f;
use crate::ui::a11y;

struct Entry {
    device: BootDevice,
    label: String,
    enabled: bool,
}

/// Every bootable device of `d`: the boot order first, then the rest unchecked.
fn entries(d: &VmDetails) -> Vec<Entry> {
    let mut all: Vec<Entry> = Vec::new();
    for disk in &d.disks {
        if disk.target.is_empty() {
            continue;
        }
        let kind = match disk.device.as_str() {
            "cdrom" => gettext("CD-ROM"),
            "floppy" => gettext("Floppy"),
            _ => gettext("Disk"),
        };
        all.push(Entry {
            device: BootDevice::Disk(disk.target.clone()),
            label: format!("{kind} {}", disk.target),
            enabled: false,
        });
    }
    for nic in &d.nics {
        if nic.mac.is_empty() {
            continue;
        }
        all.push(Entry {
            device: BootDevice::Network(nic.mac.clone()),
            label: gettext_f("Network {mac}", &[("mac", &nic.mac)]),
            enabled: false,
        });
    }
    let mut ordered = Vec::new();
    for dev in &d.boot_devices {
        if let Some(i) = all.iter().position(|e| &e.device == dev) {
            let mut e = all.remove(i);
            e.enabled = true;
            ordered.push(e);
        }
    }
    ordered.extend(all);
    ordered
}

/// Redraws the list after a move (kept in a cell so rows can call it).
type Rebuild = Box<dyn Fn()>;

/// Opens the dialog; `on_save` gets the new order.
pub fn show(parent: &gtk::Window, d: &VmDetails, on_save: impl Fn(Vec<BootDevice>) + 'static) {
    let window = adw::Window::builder()
        .transient_for(parent)
        .modal(true)
        .title(gettext("Boot Order"))
        .build();
    crate::ui::dialogs::fit_to_parent(&window, 420, -1);
    let (header, save) = crate::ui::dialogs::action_header(&window, &gettext("Save"));
    let list = gtk::ListBox::builder()
        .css_classes(["boxed-list"])
        .selection_mode(gtk::SelectionMode::None)
        .build();
    a11y::set_label(&list, &gettext("Boot devices"));
    let error = gtk::Label::builder()
        .css_classes(["error"])
        .wrap(true)
        .xalign(0.0)
        .visible(false)
        .build();
    let note = gtk::Label::builder()
        .label(gettext(
            "The machine tries the checked devices from top to bottom.",
        ))
        .wrap(true)
        .xalign(0.0)
        .css_classes(["dim-label"])
        .build();
    let column = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(12)
        .margin_top(18)
        .margin_bottom(18)
        .margin_start(12)
        .margin_end(12)
        .build();
    column.append(&note);
    column.append(&list);
    column.append(&error);
    let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
    content.append(&header);
    content.append(&column);
    window.set_content(Some(&content));

    let state = Rc::new(RefCell::new(entries(d)));
    let rebuild: Rc<RefCell<Option<Rebuild>>> = Rc::new(RefCell::new(None));
    {
        let (list, state, weak_rebuild) = (list.clone(), state.clone(), Rc::downgrade(&rebuild));
        *rebuild.borrow_mut() = Some(Box::new(move || {
            while let Some(row) = list.first_child() {
                list.remove(&row);
            }
            let count = state.borrow().len();
            for (i, e) in state.borrow().iter().enumerate() {
                let check = gtk::CheckButton::builder().active(e.enabled).build();
                let row = adw::ActionRow::builder().title(e.label.as_str()).build();
                row.add_prefix(&check);
                row.set_activatable_widget(Some(&check));
                let up = a11y::icon_button(
                    "go-up-symbolic",
                    &gettext_f("Move {device} Up", &[("device", &e.label)]),
                );
                let down = a11y::icon_button(
                    "go-down-symbolic",
                    &gettext_f("Move {device} Down", &[("device", &e.label)]),
                );
                up.set_sensitive(i > 0);
                down.set_sensitive(i + 1 < count);
                for b in [&up, &down] {
                    b.add_css_class("flat");
                    b.set_valign(gtk::Align::Center);
                    row.add_suffix(b);
                }
                {
                    let state = state.clone();
                    check.connect_toggled(move |c| {
                        if let Some(e) = state.borrow_mut().get_mut(i) {
                            e.enabled = c.is_active();
                        }
                    });
                }
                for (button, delta) in [(&up, -1i32), (&down, 1)] {
                    let (state, weak) = (state.clone(), weak_rebuild.clone());
                    button.connect_clicked(move |_| {
                        let j = i as i32 + delta;
                        {
                            let mut s = state.borrow_mut();
                            if j < 0 || j as usize >= s.len() {
                                return;
                            }
                            s.swap(i, j as usize);
                        }
                        // Rebuild after this handler returns (it belongs to a row that goes).
                        let weak = weak.clone();
                        gtk::glib::idle_add_local_once(move || {
                            if let Some(r) = weak.upgrade() {
                                if let Some(f) = r.borrow().as_ref() {
                                    f();
                                }
                            }
                        });
                    });
                }
                list.append(&row);
            }
        }));
    }
    if let Some(f) = rebuild.borrow().as_ref() {
        f();
    }
    {
        let window = window.clone();
        // The rebuild closure lives as long as the dialog's Save handler.
        let keep = rebuild.clone();
        save.connect_clicked(move |_| {
            let _ = &keep;
            let order: Vec<BootDevice> = state
                .borrow()
                .iter()
                .filter(|e| e.enabled)
                .map(|e| e.device.clone())
                .collect();
            if order.is_empty() {
                let text = gettext("Check at least one device to boot from.");
                error.set_text(&text);
                error.set_visible(true);
                a11y::set_label(&error, &text);
                return;
            }
            on_save(order);
            window.close();
        });
    }
    window.present();
}
