//! The frame of a host-object page (Storage, Networks): a list of objects with a "+" in
//! its header, an empty state that offers the same, and the page of the object that is
//! open, in one stack. The page owns what the rows say; this owns where they go.

use adw::prelude::*;

use super::host_page;
use crate::ui::a11y;

/// What the page calls things.
pub struct ListTexts<'a> {
    /// The page's title ("Storage").
    pub title: &'a str,
    /// The list's heading ("Storage Pools").
    pub heading: &'a str,
    /// The "+" button's name ("New Storage Pool"); the empty state's button adds "…".
    pub add: &'a str,
    pub empty_icon: &'a str,
    pub empty_title: &'a str,
    pub empty_description: &'a str,
}

pub struct HostList {
    stack: gtk::Stack,
    group: adw::PreferencesGroup,
    rows: Vec<gtk::Widget>,
    back: gtk::Button,
    detail: String,
}

impl HostList {
    /// `detail` is the object's page, shown under the stack name `detail_name`.
    /// `on_back` leaves the page (to the sidebar, when folded); `on_add` makes an object.
    pub fn new(
        texts: ListTexts<'_>,
        detail: &gtk::Box,
        detail_name: &str,
        on_back: impl Fn() + Clone + 'static,
        on_add: impl Fn() + Clone + 'static,
    ) -> HostList {
        let title = adw::WindowTitle::new(texts.title, "");
        let (header, back) = host_page::header(&title);
        back.set_visible(false);
        {
            let on_back = on_back.clone();
            back.connect_clicked(move |_| on_back());
        }
        let add = a11y::icon_button("list-add-symbolic", texts.add);
        {
            let on_add = on_add.clone();
            add.connect_clicked(move |_| on_add());
        }
        header.pack_start(&add);
        let (scroll, column) = host_page::scrolled_column();
        let group = adw::PreferencesGroup::builder()
            .title(texts.heading)
            .build();
        column.append(&group);
        let list_page = gtk::Box::new(gtk::Orientation::Vertical, 0);
        list_page.append(&header);
        list_page.append(&scroll);

        let add_again = gtk::Button::builder()
            .label(format!("{}…", texts.add))
            .halign(gtk::Align::Center)
            .css_classes(["pill", "suggested-action"])
            .build();
        add_again.connect_clicked(move |_| on_add());
        let empty = adw::StatusPage::builder()
            .icon_name(texts.empty_icon)
            .title(texts.empty_title)
            .description(texts.empty_description)
            .child(&add_again)
            .vexpand(true)
            .build();
        let (empty_header, empty_back) = host_page::header(&adw::WindowTitle::new(texts.title, ""));
        back.bind_property("visible", &empty_back, "visible")
            .sync_create()
            .build();
        empty_back.connect_clicked(move |_| on_back());
        let empty_page = gtk::Box::new(gtk::Orientation::Vertical, 0);
        empty_page.append(&empty_header);
        empty_page.append(&empty);

        let stack = gtk::Stack::builder()
            .transition_type(gtk::StackTransitionType::SlideLeftRight)
            .build();
        stack.add_named(&list_page, Some("list"));
        stack.add_named(&empty_page, Some("empty"));
        stack.add_named(detail, Some(detail_name));
        a11y::hide_other_pages(&stack);
        HostList {
            stack,
            group,
            rows: Vec::new(),
            back,
            detail: detail_name.to_owned(),
        }
    }

    pub fn widget(&self) -> &gtk::Stack {
        &self.stack
    }

    /// The window the page is in (for dialogs).
    pub fn window(&self) -> Option<gtk::Window> {
        self.stack.root().and_downcast::<gtk::Window>()
    }

    /// The back button leads to the sidebar only while the window is folded.
    pub fn set_folded(&self, folded: bool) {
        self.back.set_visible(folded);
    }

    /// Replace the rows of the list.
    pub fn set_rows(&mut self, rows: Vec<adw::ActionRow>) {
        host_page::clear_rows(&self.group, &mut self.rows);
        for row in rows {
            self.group.add(&row);
            self.rows.push(row.upcast());
        }
    }

    /// Show the list (or the empty state when it has no rows).
    pub fn show_list(&self) {
        a11y::show_only(
            &self.stack,
            if self.rows.is_empty() {
                "empty"
            } else {
                "list"
            },
        );
    }

    /// Show the open object's page.
    pub fn show_detail(&self) {
        a11y::show_only(&self.stack, &self.detail);
    }
}
