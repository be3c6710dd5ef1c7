//! Toasts as every window of the app shows them: the text escaped (toast titles are
//! markup), errors kept on screen longer.

/// A toast saying `text`; `error` keeps it up for 10 s instead of 5.
pub fn new_toast(text: &str, error: bool) -> adw::Toast {
    adw::Toast::builder()
        .title(gtk::glib::markup_escape_text(text))
        .timeout(if error { 10 } else { 5 })
        .build()
}
