//! The machines page: every domain of the connection as a list ([`list`]: rows with
//! their figures) or a grid ([`grid`]: cards with a thumbnail of each running machine's
//! screen, as GNOME Boxes shows them), both recycling views over one filtered, sorted
//! selection model, with a name search (Ctrl+F), a state and a tag filter, a sort order,
//! and the list/grid switch ([`view`]) in the header.

mod filter;
mod grid;
mod list;
mod sort;
mod view;

use std::cell::RefCell;
use std::rc::Rc;

use gettextrs::gettext;
use gtk::gio;
use gtk::prelude::*;
use relm4::prelude::*;

use crate::backend::screenshot::ScreenshotEvent;
use crate::backend::{Command, VmAction, VmState};
use crate::ui::a11y;
use crate::ui::vm_object::VmObject;

use filter::{state_filter_choices, Criteria};
pub use sort::natural_cmp;
pub use view::ViewMode;

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
    /// The user picked the list or the grid.
    View(ViewMode),
    /// A thumbnail (or why there is none) from the worker.
    Screenshot(ScreenshotEvent),
}

#[derive(Debug)]
pub enum MachinesOutput {
    OpenVm(String),
    Action(String, VmAction),
    ShowSidebar,
    /// The Delete key on a row.
    Delete(String),
    /// A background request for the worker (the grid's thumbnails).
    Send(Command),
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
    grid: grid::Grid,
    mode: ViewMode,
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
            self.mode.key()
        };
        a11y::show_only(&self.stack, name);
    }
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
        let filter = filter::filter(&criteria);
        let sort_by_state = Rc::new(RefCell::new(false));
        let sorter = filter::sorter(&sort_by_state);
        let filtered = gtk::FilterListModel::new(Some(store.clone()), Some(filter.clone()));
        let sorted = gtk::SortListModel::new(Some(filtered.clone()), Some(sorter.clone()));
        let selection = gtk::SingleSelection::builder()
            .model(&sorted)
            .autoselect(false)
            .can_unselect(true)
            .build();

        let list = list::build(&selection, &sender);

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
        let mode = ViewMode::stored();
        {
            let sender = sender.clone();
            header.pack_end(&view::switch(mode, move |m| {
                sender.input(MachinesMsg::View(m))
            }));
        }
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
        let grid = grid::Grid::for_page(&selection, &sender);
        stack.add_named(&scrolled, Some(ViewMode::List.key()));
        stack.add_named(&grid.root, Some(ViewMode::Grid.key()));
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
            grid,
            mode,
        };
        {
            let sender = sender.clone();
            filtered
                .connect_items_changed(move |_, _, _, _| sender.input(MachinesMsg::CountChanged));
        }
        model.grid.set_active(mode == ViewMode::Grid);
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
            MachinesMsg::View(mode) => {
                mode.store();
                self.mode = mode;
                self.grid.set_active(mode == ViewMode::Grid);
            }
            MachinesMsg::Screenshot(ScreenshotEvent::Thumbnail { uuid, result }) => {
                self.grid.apply(&uuid, result);
                // Nothing on the page depends on it.
                return;
            }
        }
        self.update_empty_state();
    }
}
