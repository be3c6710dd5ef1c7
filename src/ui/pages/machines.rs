//! The machines page: every domain of the connection in a recycling `ListView`, with a
//! name search (Ctrl+F), a state filter and a sort order.

use std::cell::RefCell;
use std::rc::Rc;

use gettextrs::gettext;
use gtk::prelude::*;
use gtk::{gio, glib};
use relm4::prelude::*;

use crate::backend::{VmAction, VmState};
use crate::ui::a11y;
use crate::ui::vm_object::VmObject;
use crate::ui::widgets::vm_row::VmRow;

#[derive(Debug)]
pub enum MachinesMsg {
    Search(String),
    StateFilter(u32),
    Sort(u32),
    FocusSearch,
    /// Domains changed state: filters and sort by state must look again.
    Refilter,
    /// The tags in use changed: the tag filter offers these.
    Tags(Vec<String>),
    TagFilter(u32),
    /// The number of shown rows changed (empty and no-results states).
    CountChanged,
    Activated(u32),
    Folded(bool),
    /// A thumbnail (or why there is none) from the worker.
    Screenshot(crate::backend::screenshot::ScreenshotEvent),
}

#[derive(Debug)]
pub enum MachinesOutput {
    OpenVm(String),
    Action(String, VmAction),
    ShowSidebar,
    /// The Delete key on a row.
    Delete(String),
}

#[derive(Default)]
struct Criteria {
    text: String,
    state: Option<VmState>,
    /// Only machines with this tag (ignoring case).
    tag: Option<String>,
}

pub struct MachinesPage {
    criteria: Rc<RefCell<Criteria>>,
    filter: gtk::CustomFilter,
    sorter: gtk::CustomSorter,
    sort_by_state: Rc<RefCell<bool>>,
    filtered: gtk::FilterListModel,
    selection: gtk::SingleSelection,
    search: gtk::SearchEntry,
    stack: gtk::Stack,
    back: gtk::Button,
    total: gio::ListStore,
    tag_drop: gtk::DropDown,
    tag_names: Vec<String>,
}

impl MachinesPage {
    /// The UUID of the selected VM, for keyboard shortcuts.
    pub fn selected(&self) -> Option<String> {
        self.selection
            .selected_item()
            .and_downcast::<VmObject>()
            .map(|o| o.summary().uuid.clone())
    }

    fn update_empty_state(&self) {
        let name = if self.total.n_items() == 0 {
            "empty"
        } else if self.filtered.n_items() == 0 {
            "no-results"
        } else {
            "list"
        };
        a11y::show_only(&self.stack, name);
    }
}

fn state_filter_choices() -> Vec<Option<VmState>> {
    let mut v = vec![None];
    v.extend(
        [
            VmState::Running,
            VmState::Paused,
            VmState::Saved,
            VmState::ShutOff,
            VmState::Crashed,
        ]
        .map(Some),
    );
    v
}

pub struct MachinesWidgets {}

impl Component for MachinesPage {
    type Init = gio::ListStore;
    type Input = MachinesMsg;
    type Output = MachinesOutput;
    type CommandOutput = ();
    type Root = gtk::Box;
    type Widgets = MachinesWidgets;

    fn init_root() -> gtk::Box {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(
        store: gio::ListStore,
        root: gtk::Box,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let criteria = Rc::new(RefCell::new(Criteria::default()));
        let filter = {
            let criteria = criteria.clone();
            gtk::CustomFilter::new(move |obj| {
                let vm = obj.downcast_ref::<VmObject>().expect("VmObject").summary();
                let c = criteria.borrow();
                c.state.is_none_or(|s| s == vm.state)
                    && (c.text.is_empty() || vm.name.to_lowercase().contains(&c.text))
                    && c.tag
                        .as_ref()
                        .is_none_or(|t| vm.tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
            })
        };
        let sort_by_state = Rc::new(RefCell::new(false));
        let sorter = {
            let by_state = sort_by_state.clone();
            gtk::CustomSorter::new(move |a, b| {
                let a = a.downcast_ref::<VmObject>().expect("VmObject").summary();
                let b = b.downcast_ref::<VmObject>().expect("VmObject").summary();
                let key = if *by_state.borrow() {
                    a.state.cmp(&b.state)
                } else {
                    std::cmp::Ordering::Equal
                };
                key.then_with(|| natural_cmp(&a.name, &b.name)).into()
            })
        };
        let filtered = gtk::FilterListModel::new(Some(store.clone()), Some(filter.clone()));
        let sorted = gtk::SortListModel::new(Some(filtered.clone()), Some(sorter.clone()));
        let selection = gtk::SingleSelection::builder()
            .model(&sorted)
            .autoselect(false)
            .can_unselect(true)
            .build();

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
            .model(&selection)
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
            keys.connect_key_pressed(move |keys, key, _, mods| {
                let menu_key = key == gtk::gdk::Key::Menu
                    || (key == gtk::gdk::Key::F10
                        && mods.contains(gtk::gdk::ModifierType::SHIFT_MASK));
                let focused = keys.widget().and_then(|list| list.focus_child());
                if key == gtk::gdk::Key::Delete {
                    let selected = keys
                        .widget()
                        .and_downcast::<gtk::ListView>()
                        .and_then(|l| l.model())
                        .and_downcast::<gtk::SingleSelection>()
                        .and_then(|s| s.selected_item())
                        .and_downcast::<VmObject>();
                    if let Some(obj) = selected {
                        let _ = delete_out.send(MachinesOutput::Delete(obj.summary().uuid.clone()));
                        return glib::Propagation::Stop;
                    }
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

        // Header bar.
        let header = adw::HeaderBar::new();
        let back = a11y::icon_button("go-previous-symbolic", &gettext("Back"));
        back.set_visible(false);
        {
            let sender = sender.clone();
            back.connect_clicked(move |_| {
                let _ = sender.output(MachinesOutput::ShowSidebar);
            });
        }
        header.pack_start(&back);
        let new_vm = a11y::icon_button("list-add-symbolic", &gettext("New Virtual Machine"));
        new_vm.set_action_name(Some("win.new-vm"));
        header.pack_start(&new_vm);
        let import = a11y::icon_button(
            "document-open-symbolic",
            &gettext("Import Machine from XML"),
        );
        import.set_action_name(Some("win.import-vm"));
        header.pack_end(&import);
        header.set_title_widget(Some(&adw::WindowTitle::new(&gettext("Machines"), "")));

        // Search and filter bar.
        let search = gtk::SearchEntry::builder()
            .placeholder_text(gettext("Search machines"))
            .hexpand(true)
            .build();
        // Shrinks to a few characters so the toolbar fits a 360 px phone-sized window.
        search.set_width_chars(6);
        a11y::set_label(&search, &gettext("Search machines"));
        {
            let sender = sender.clone();
            search.connect_search_changed(move |e| {
                sender.input(MachinesMsg::Search(e.text().to_string()))
            });
        }
        let state_names: Vec<String> = state_filter_choices()
            .into_iter()
            .map(|s| {
                s.map(VmState::label)
                    .unwrap_or_else(|| gettext("All States"))
            })
            .collect();
        let state_refs: Vec<&str> = state_names.iter().map(String::as_str).collect();
        let state_drop = gtk::DropDown::from_strings(&state_refs);
        a11y::name_dropdown(&state_drop, &gettext("Filter by state"));
        {
            let sender = sender.clone();
            state_drop.connect_selected_notify(move |d| {
                sender.input(MachinesMsg::StateFilter(d.selected()))
            });
        }
        let tag_drop = gtk::DropDown::from_strings(&[&gettext("All Tags")]);
        a11y::name_dropdown(&tag_drop, &gettext("Filter by tag"));
        // Shown once some machine has a tag.
        tag_drop.set_visible(false);
        {
            let sender = sender.clone();
            tag_drop.connect_selected_notify(move |d| {
                sender.input(MachinesMsg::TagFilter(d.selected()))
            });
        }
        let sort_drop = gtk::DropDown::from_strings(&[&gettext("Name"), &gettext("State")]);
        a11y::name_dropdown(&sort_drop, &gettext("Sort by"));
        {
            let sender = sender.clone();
            sort_drop
                .connect_selected_notify(move |d| sender.input(MachinesMsg::Sort(d.selected())));
        }
        let toolbar = gtk::Box::builder()
            .spacing(6)
            .margin_start(12)
            .margin_end(12)
            .margin_top(6)
            .margin_bottom(6)
            .build();
        toolbar.append(&search);
        toolbar.append(&state_drop);
        toolbar.append(&tag_drop);
        toolbar.append(&sort_drop);

        let scrolled = gtk::ScrolledWindow::builder()
            .child(&list)
            .vexpand(true)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .build();
        let create = gtk::Button::builder()
            .label(gettext("New Virtual Machine…"))
            .action_name("win.new-vm")
            .halign(gtk::Align::Center)
            .css_classes(["pill", "suggested-action"])
            .build();
        let empty = adw::StatusPage::builder()
            .icon_name("computer-symbolic")
            .title(gettext("No Virtual Machines"))
            .description(gettext("This connection has no virtual machines yet."))
            .child(&create)
            .build();
        let no_results = adw::StatusPage::builder()
            .icon_name("edit-find-symbolic")
            .title(gettext("No Results Found"))
            .description(gettext("No machine matches the search or filter."))
            .build();
        let stack = gtk::Stack::new();
        stack.add_named(&scrolled, Some("list"));
        stack.add_named(&empty, Some("empty"));
        stack.add_named(&no_results, Some("no-results"));
        a11y::hide_other_pages(&stack);

        root.append(&header);
        root.append(&toolbar);
        root.append(&gtk::Separator::new(gtk::Orientation::Horizontal));
        root.append(&stack);

        let model = MachinesPage {
            criteria,
            filter,
            sorter,
            sort_by_state,
            filtered: filtered.clone(),
            selection,
            search,
            stack,
            back,
            total: store.clone(),
            tag_drop,
            tag_names: Vec::new(),
        };
        {
            let sender = sender.clone();
            filtered
                .connect_items_changed(move |_, _, _, _| sender.input(MachinesMsg::CountChanged));
        }
        model.update_empty_state();
        ComponentParts {
            model,
            widgets: MachinesWidgets {},
        }
    }

    fn update(&mut self, msg: MachinesMsg, sender: ComponentSender<Self>, _root: &gtk::Box) {
        match msg {
            MachinesMsg::Search(text) => {
                self.criteria.borrow_mut().text = text.trim().to_lowercase();
                self.filter.changed(gtk::FilterChange::Different);
            }
            MachinesMsg::StateFilter(index) => {
                let state = state_filter_choices()
                    .get(index as usize)
                    .copied()
                    .flatten();
                self.criteria.borrow_mut().state = state;
                self.filter.changed(gtk::FilterChange::Different);
            }
            MachinesMsg::Sort(index) => {
                *self.sort_by_state.borrow_mut() = index == 1;
                self.sorter.changed(gtk::SorterChange::Different);
            }
            MachinesMsg::FocusSearch => {
                self.search.grab_focus();
            }
            MachinesMsg::Refilter => {
                // Only what depends on state or tags can change when a domain changes.
                let narrowed = {
                    let c = self.criteria.borrow();
                    c.state.is_some() || c.tag.is_some()
                };
                if narrowed {
                    self.filter.changed(gtk::FilterChange::Different);
                }
                if *self.sort_by_state.borrow() {
                    self.sorter.changed(gtk::SorterChange::Different);
                }
            }
            MachinesMsg::Tags(tags) if tags == self.tag_names => {}
            MachinesMsg::Tags(tags) => {
                let current = self.criteria.borrow().tag.clone();
                let mut items = vec![gettext("All Tags")];
                items.extend(tags.iter().cloned());
                let refs: Vec<&str> = items.iter().map(String::as_str).collect();
                // The selection follows the chosen tag by name; a tag that is gone
                // falls back to "All Tags".
                let index = current
                    .as_ref()
                    .and_then(|c| tags.iter().position(|t| t.eq_ignore_ascii_case(c)))
                    .map(|i| i as u32 + 1)
                    .unwrap_or(0);
                self.tag_names = tags;
                self.tag_drop.set_model(Some(&gtk::StringList::new(&refs)));
                self.tag_drop.set_selected(index);
                self.tag_drop
                    .set_visible(!self.tag_names.is_empty() || index != 0);
                sender.input(MachinesMsg::TagFilter(index));
            }
            MachinesMsg::TagFilter(index) => {
                let tag = index
                    .checked_sub(1)
                    .and_then(|i| self.tag_names.get(i as usize).cloned());
                if tag != self.criteria.borrow().tag {
                    self.criteria.borrow_mut().tag = tag;
                    self.filter.changed(gtk::FilterChange::Different);
                }
            }
            MachinesMsg::Activated(pos) => {
                if let Some(obj) = self.selection.item(pos).and_downcast::<VmObject>() {
                    let uuid = obj.summary().uuid.clone();
                    let _ = sender.output(MachinesOutput::OpenVm(uuid));
                }
            }
            MachinesMsg::Folded(folded) => self.back.set_visible(folded),
            MachinesMsg::CountChanged => {}
            MachinesMsg::Screenshot(_) => {}
        }
        self.update_empty_state();
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

/// Compares names so that "vm-2" sorts before "vm-10", ignoring case.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (a.peek().copied(), b.peek().copied()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let take = |it: &mut std::iter::Peekable<std::str::Chars>| {
                    let mut n = String::new();
                    while let Some(c) = it.peek().copied().filter(char::is_ascii_digit) {
                        n.push(c);
                        it.next();
                    }
                    n
                };
                let (na, nb) = (take(&mut a), take(&mut b));
                let (ta, tb) = (na.trim_start_matches('0'), nb.trim_start_matches('0'));
                let ord = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
            }
            (Some(x), Some(y)) => {
                let ord = x.to_lowercase().cmp(y.to_lowercase());
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
                a.next();
                b.next();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;
    use std::cmp::Ordering::*;

    #[test]
    fn names_sort_naturally() {
        assert_eq!(natural_cmp("vm-2", "vm-10"), Less);
        assert_eq!(natural_cmp("VM-a", "vm-B"), Less);
        assert_eq!(natural_cmp("web", "web"), Equal);
        assert_eq!(natural_cmp("db-010", "db-9"), Greater);
        assert_eq!(natural_cmp("a", "a1"), Less);
    }
}
