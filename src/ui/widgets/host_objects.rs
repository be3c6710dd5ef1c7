//! A titled list of host objects (virtual networks, storage pools) with a one-line
//! summary each and an "Edit XML" button; activating a row opens the object's page.

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;

use crate::backend::xml_define::XmlKind;
use crate::i18n::gettext_f;
use crate::ui::a11y;

pub struct HostObjects {
    group: adw::PreferencesGroup,
    rows: RefCell<Vec<adw::ActionRow>>,
    on_edit: Rc<dyn Fn(XmlKind)>,
    on_open: Rc<dyn Fn(XmlKind)>,
}

impl HostObjects {
    pub fn new(
        title: &str,
        on_edit: Rc<dyn Fn(XmlKind)>,
        on_open: Rc<dyn Fn(XmlKind)>,
    ) -> HostObjects {
        HostObjects {
            group: adw::PreferencesGroup::builder().title(title).build(),
            rows: RefCell::new(Vec::new()),
            on_edit,
            on_open,
        }
    }

    pub fn widget(&self) -> &adw::PreferencesGroup {
        &self.group
    }

    /// Replaces the rows: (name, summary, which XML).
    pub fn set_rows(&self, rows: Vec<(String, String, XmlKind)>) {
        for row in self.rows.borrow_mut().drain(..) {
            self.group.remove(&row);
        }
        let mut new_rows = Vec::new();
        if rows.is_empty() {
            let row = adw::ActionRow::builder().title(gettext("None")).build();
            self.group.add(&row);
            new_rows.push(row);
        }
        for (name, summary, kind) in rows {
            let row = adw::ActionRow::builder()
                .title(gtk::glib::markup_escape_text(&name).as_str())
                .subtitle(gtk::glib::markup_escape_text(&summary).as_str())
                .activatable(true)
                .build();
            {
                let (on_open, kind) = (self.on_open.clone(), kind.clone());
                row.connect_activated(move |_| on_open(kind.clone()));
            }
            let edit = a11y::icon_button(
                "text-x-generic-symbolic",
                &gettext_f("Edit the XML of “{name}”", &[("name", &name)]),
            );
            edit.add_css_class("flat");
            edit.set_valign(gtk::Align::Center);
            let on_edit = self.on_edit.clone();
            edit.connect_clicked(move |_| on_edit(kind.clone()));
            row.add_suffix(&edit);
            row.add_suffix(&gtk::Image::from_icon_name("go-next-symbolic"));
            self.group.add(&row);
            new_rows.push(row);
        }
        self.rows.replace(new_rows);
    }
}
