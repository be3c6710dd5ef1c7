//! "Take Screenshot": the display's current frame, saved as a PNG where the person says.
//! The file chooser is native (portal-aware); the encoding runs off the main thread.

use std::rc::Rc;

use gettextrs::gettext;
use gtk::glib;
use gtk::prelude::*;

use super::view::Inner;
use crate::i18n::gettext_f;

/// The file name offered: machine name and local time, e.g. "web 2026-11-26 14-05-09.png".
pub fn suggested_name(vm_name: &str, now: &glib::DateTime) -> String {
    let stamp = now
        .format("%Y-%m-%d %H-%M-%S")
        .map(|s| s.to_string())
        .unwrap_or_default();
    // A name may hold a slash; a file name may not.
    format!("{} {stamp}.png", vm_name.replace('/', "-"))
}

impl Inner {
    pub(super) fn save_screenshot(self: &Rc<Self>) {
        let Some(texture) = self.screenshot() else {
            self.toaster().show(
                &gettext("Nothing to save: the display shows no picture yet."),
                true,
            );
            return;
        };
        let parent = self.root().root().and_downcast::<gtk::Window>();
        let chooser = gtk::FileChooserNative::new(
            Some(&gettext("Save Screenshot")),
            parent.as_ref(),
            gtk::FileChooserAction::Save,
            Some(&gettext("Save")),
            Some(&gettext("Cancel")),
        );
        if let Ok(now) = glib::DateTime::now_local() {
            chooser.set_current_name(&suggested_name(&self.vm_name(), &now));
        }
        let filter = gtk::FileFilter::new();
        filter.set_name(Some(&gettext("PNG images")));
        filter.add_mime_type("image/png");
        chooser.add_filter(&filter);
        let weak = Rc::downgrade(self);
        chooser.connect_response(move |chooser, response| {
            let Some(inner) = weak.upgrade() else { return };
            inner.keep_chooser(None);
            if response != gtk::ResponseType::Accept {
                return;
            }
            if let Some(path) = chooser.file().and_then(|f| f.path()) {
                write_png(inner.toaster(), texture.clone(), path);
            }
        });
        chooser.show();
        self.keep_chooser(Some(chooser));
    }
}

/// Encode and write off the main thread; say how it went.
fn write_png(toaster: super::view::Toaster, texture: gtk::gdk::Texture, path: std::path::PathBuf) {
    glib::spawn_future_local(async move {
        let shown = path.display().to_string();
        let result =
            gtk::gio::spawn_blocking(move || texture.save_to_png(&path).map_err(|e| e.to_string()))
                .await
                .unwrap_or_else(|_| Err(gettext("The screenshot could not be encoded.")));
        match result {
            Ok(()) => toaster.show(
                &gettext_f("Screenshot saved to {path}", &[("path", &shown)]),
                false,
            ),
            Err(e) => toaster.show(
                &gettext_f(
                    "Could not save the screenshot to {path}: {error}",
                    &[("path", &shown), ("error", &e)],
                ),
                true,
            ),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_has_the_machine_and_the_time() {
        let t = glib::DateTime::from_local(2026, 11, 26, 14, 5, 9.0).unwrap();
        assert_eq!(suggested_name("web", &t), "web 2026-11-26 14-05-09.png");
        assert_eq!(suggested_name("a/b", &t), "a-b 2026-11-26 14-05-09.png");
    }
}
