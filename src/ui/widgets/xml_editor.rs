//! An XML editor: monospace text, Save and Revert, and the error of the last save shown
//! inline above the text (with the cursor put on the line it names, when it names one).
//!
//! The editor does not validate: its owner sends the text to libvirt (which does) and
//! answers with [`XmlEditor::saved`] or [`XmlEditor::show_error`]. Until then Save stays
//! insensitive, so one click is one save. Text the user changed is never replaced by a
//! reload: [`XmlEditor::set_text`] only updates an unmodified editor.

use std::cell::RefCell;
use std::rc::Rc;

use gettextrs::gettext;
use gtk::prelude::*;

use crate::ui::a11y;

pub struct XmlEditor {
    pub root: gtk::Box,
    buffer: gtk::TextBuffer,
    view: gtk::TextView,
    error: gtk::Label,
    error_bar: gtk::Revealer,
    save: gtk::Button,
    revert: gtk::Button,
    /// The text as last loaded or saved.
    original: RefCell<String>,
    busy: std::cell::Cell<bool>,
}

/// The first "line N" in an error message (libvirt and our parser both say so).
pub fn error_line(message: &str) -> Option<i32> {
    let lower = message.to_lowercase();
    let at = lower.find("line ")?;
    let digits: String = lower[at + 5..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok().filter(|n| *n > 0)
}

impl XmlEditor {
    /// `name` is the text view's accessible name ("Domain XML"); `on_save` gets the text.
    pub fn new(name: &str, on_save: impl Fn(String) + 'static) -> Rc<XmlEditor> {
        let buffer = gtk::TextBuffer::new(None);
        let view = gtk::TextView::builder()
            .buffer(&buffer)
            .monospace(true)
            .wrap_mode(gtk::WrapMode::None)
            .top_margin(12)
            .bottom_margin(12)
            .left_margin(12)
            .right_margin(12)
            .build();
        a11y::set_label(&view, name);
        let scroll = gtk::ScrolledWindow::builder()
            .child(&view)
            .vexpand(true)
            .build();

        let error = gtk::Label::builder()
            .wrap(true)
            .xalign(0.0)
            .hexpand(true)
            .selectable(true)
            .build();
        let error_box = gtk::Box::builder()
            .spacing(12)
            .css_classes(["xml-error"])
            .build();
        error_box.append(&gtk::Image::from_icon_name("dialog-error-symbolic"));
        error_box.append(&error);
        let error_bar = gtk::Revealer::builder().child(&error_box).build();
        a11y::set_hidden(&error_bar, true);

        let revert = gtk::Button::with_label(&gettext("Revert"));
        let save = gtk::Button::builder()
            .label(gettext("Save"))
            .css_classes(["suggested-action"])
            .build();
        a11y::set_label(&revert, &gettext("Revert"));
        a11y::set_label(&save, &gettext("Save"));
        let bar = gtk::Box::builder()
            .spacing(6)
            .margin_top(6)
            .margin_bottom(6)
            .margin_start(12)
            .margin_end(12)
            .halign(gtk::Align::End)
            .build();
        bar.append(&revert);
        bar.append(&save);

        let root = gtk::Box::new(gtk::Orientation::Vertical, 0);
        root.append(&error_bar);
        root.append(&scroll);
        root.append(&gtk::Separator::new(gtk::Orientation::Horizontal));
        root.append(&bar);

        let editor = Rc::new(XmlEditor {
            root,
            buffer,
            view,
            error,
            error_bar,
            save,
            revert,
            original: RefCell::new(String::new()),
            busy: std::cell::Cell::new(false),
        });
        let weak = Rc::downgrade(&editor);
        editor.buffer.connect_changed(move |_| {
            if let Some(e) = weak.upgrade() {
                e.sync_buttons();
            }
        });
        let weak = Rc::downgrade(&editor);
        editor.revert.connect_clicked(move |_| {
            if let Some(e) = weak.upgrade() {
                let text = e.original.borrow().clone();
                e.buffer.set_text(&text);
                e.clear_error();
            }
        });
        let weak = Rc::downgrade(&editor);
        editor.save.connect_clicked(move |_| {
            if let Some(e) = weak.upgrade() {
                e.busy.set(true);
                e.sync_buttons();
                on_save(e.text());
            }
        });
        editor.sync_buttons();
        editor
    }

    /// Hide the editor's own Save where its owner has one (the wizard's Create).
    pub fn set_save_visible(&self, visible: bool) {
        self.save.set_visible(visible);
    }

    pub fn text(&self) -> String {
        let (start, end) = self.buffer.bounds();
        self.buffer.text(&start, &end, false).to_string()
    }

    pub fn is_modified(&self) -> bool {
        self.text() != *self.original.borrow()
    }

    /// Load `xml` unless the user has unsaved changes (then keep theirs).
    pub fn set_text(&self, xml: &str) {
        if self.is_modified() && !self.busy.get() {
            *self.original.borrow_mut() = xml.to_owned();
            self.sync_buttons();
            return;
        }
        *self.original.borrow_mut() = xml.to_owned();
        self.buffer.set_text(xml);
        self.sync_buttons();
    }

    /// Start over on another object: drop any edits and any error.
    pub fn reset(&self, xml: &str) {
        self.busy.set(false);
        *self.original.borrow_mut() = xml.to_owned();
        self.buffer.set_text(xml);
        self.clear_error();
        self.sync_buttons();
    }

    /// The save worked: what is shown is now the original.
    pub fn saved(&self) {
        self.busy.set(false);
        *self.original.borrow_mut() = self.text();
        self.clear_error();
        self.sync_buttons();
    }

    /// The save failed: say why above the text, keep the text, allow another try.
    pub fn show_error(&self, message: &str) {
        self.busy.set(false);
        self.error.set_text(message);
        self.error_bar.set_reveal_child(true);
        a11y::set_hidden(&self.error_bar, false);
        a11y::set_label(&self.error, message);
        if let Some(line) = error_line(message) {
            if let Some(mut iter) = self.buffer.iter_at_line(line - 1) {
                self.buffer.place_cursor(&iter);
                self.view.scroll_to_iter(&mut iter, 0.1, false, 0.0, 0.0);
            }
        }
        self.sync_buttons();
        self.view.grab_focus();
    }

    fn clear_error(&self) {
        self.error_bar.set_reveal_child(false);
        a11y::set_hidden(&self.error_bar, true);
    }

    fn sync_buttons(&self) {
        let modified = self.is_modified();
        self.save.set_sensitive(modified && !self.busy.get());
        self.revert.set_sensitive(modified && !self.busy.get());
    }
}

#[cfg(test)]
mod tests {
    use super::error_line;

    #[test]
    fn finds_the_line_an_error_names() {
        assert_eq!(error_line("invalid XML at line 12, column 3"), Some(12));
        assert_eq!(error_line("XML error: Line 4: tag mismatch"), Some(4));
        assert_eq!(error_line("unsupported configuration"), None);
        assert_eq!(error_line("line 0"), None);
    }
}
