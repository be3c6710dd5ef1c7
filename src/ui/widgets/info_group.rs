//! A titled group of read-only "name: value" rows, as in GNOME Settings' About page.

use std::cell::RefCell;

use adw::prelude::*;
use gettextrs::gettext;

use crate::ui::a11y;

/// Values longer than this wrap; shorter ones stay on one line.
const WRAP_AFTER_CHARS: usize = 22;

pub struct InfoGroup {
    group: adw::PreferencesGroup,
    rows: RefCell<Vec<adw::ActionRow>>,
}

impl InfoGroup {
    pub fn new(title: &str) -> Self {
        InfoGroup {
            group: adw::PreferencesGroup::builder().title(title).build(),
            rows: RefCell::new(Vec::new()),
        }
    }

    pub fn widget(&self) -> &adw::PreferencesGroup {
        &self.group
    }

    /// Replaces the rows; an empty list shows one "None" row.
    pub fn set_rows(&self, rows: Vec<(String, String)>) {
        for row in self.rows.borrow_mut().drain(..) {
            self.group.remove(&row);
        }
        let rows = if rows.is_empty() {
            vec![(gettext("None"), String::new())]
        } else {
            rows
        };
        let mut new_rows = Vec::with_capacity(rows.len());
        for (title, value) in rows {
            let row = adw::ActionRow::builder().title(glib_escape(&title)).build();
            if !value.is_empty() {
                // Short values keep one line (a wrapping label would be squeezed to a few
                // characters by the row); long ones wrap within a readable width.
                let long = value.chars().count() > WRAP_AFTER_CHARS;
                let label = gtk::Label::builder()
                    .label(&value)
                    .wrap(long)
                    .wrap_mode(gtk::pango::WrapMode::WordChar)
                    .width_chars(if long { WRAP_AFTER_CHARS as i32 } else { -1 })
                    .max_width_chars(40)
                    .xalign(1.0)
                    .justify(gtk::Justification::Right)
                    .css_classes(["dim-label"])
                    .build();
                row.add_suffix(&label);
                a11y::set_description(&row, &value);
            }
            self.group.add(&row);
            new_rows.push(row);
        }
        self.rows.replace(new_rows);
    }
}

/// ActionRow titles are Pango markup: escape values that come from the domain XML.
fn glib_escape(text: &str) -> String {
    gtk::glib::markup_escape_text(text).to_string()
}
