//! The serial console's terminal widget (src/ui/widgets/terminal): our VTE binding
//! renders fed bytes (text, colour escapes, CR/LF), reports typed and pasted text through
//! `commit`, resets, and the view follows the dark style.
//!
//! Needs a display: `make ui-test` runs it under Xvfb
//! (`xvfb-run -a cargo test --test widget_terminal`). Without DISPLAY or WAYLAND_DISPLAY
//! (plain `cargo test`) it says it is skipped and checks nothing.
//!
//! One test function: GTK belongs to the thread that initialised it.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gtk::prelude::*;
use kvm_manager::ui::widgets::terminal::vte::Terminal;
use kvm_manager::ui::widgets::terminal::SerialTerminal;

fn display_available() -> bool {
    let has = |v: &str| std::env::var_os(v).is_some_and(|s| !s.is_empty());
    if (has("DISPLAY") || has("WAYLAND_DISPLAY")) && gtk::init().is_ok() {
        return true;
    }
    let _ = std::io::stderr().write_all(
        b"widget_terminal: SKIPPED (no display; run under xvfb-run, as `make ui-test` does)\n",
    );
    false
}

/// Run the main loop until `f` holds (VTE parses fed data on its own schedule).
fn until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let ctx = gtk::glib::MainContext::default();
    while !f() {
        assert!(Instant::now() < deadline, "{what}: not within 10 s");
        while ctx.iteration(false) {}
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A window around `child`, at its natural size unless `size` says otherwise.
fn window_with(child: &impl IsA<gtk::Widget>, size: Option<(i32, i32)>) -> gtk::Window {
    let window = gtk::Window::builder().child(child).build();
    if let Some((w, h)) = size {
        window.set_default_size(w, h);
    }
    window.present();
    window
}

#[test]
fn terminal_widget_under_a_display() {
    if !display_available() {
        return;
    }
    adw::init().expect("libadwaita");

    // The binding alone: feed, read back, commit, reset.
    let term = Terminal::new();
    term.set_size(80, 24);
    let window = window_with(&term, None);
    term.feed(b"hello\r\n\x1b[31mred\x1b[0m world\r\nline 3");
    until("fed text on screen", || term.text().contains("red world"));
    let text = term.text();
    assert!(text.starts_with("hello\nred world\nline 3"), "{text:?}");
    assert_eq!(term.text_range(1, 0, 1, 3), "red");
    assert_eq!((term.column_count(), term.row_count()), (80, 24));

    let typed = Rc::new(RefCell::new(Vec::<u8>::new()));
    let sink = typed.clone();
    term.connect_commit(move |_, bytes| sink.borrow_mut().extend_from_slice(bytes));
    term.feed_child(b"ls -l\r");
    assert_eq!(typed.borrow().as_slice(), b"ls -l\r");
    term.set_input_enabled(false);
    term.feed_child(b"ignored");
    assert_eq!(typed.borrow().as_slice(), b"ls -l\r", "input disabled");
    term.set_input_enabled(true);

    // Paste goes through the clipboard and comes out of `commit`.
    typed.borrow_mut().clear();
    term.clipboard().set_text("pasted text");
    term.paste_clipboard();
    until("the paste committed", || !typed.borrow().is_empty());
    let pasted = String::from_utf8_lossy(&typed.borrow()).into_owned();
    assert!(pasted.contains("pasted text"), "{pasted:?}");

    term.reset(true, true);
    until("screen cleared", || term.text().trim().is_empty());
    window.destroy();

    // The serial view: accessible label, no session (input off), colours follow dark.
    let view = SerialTerminal::new();
    view.set_accessible_label("Serial port 1 of web");
    assert!(view.session().is_none());
    let window = window_with(view.widget(), Some((640, 400)));
    let style = adw::StyleManager::default();
    style.set_color_scheme(adw::ColorScheme::ForceLight);
    until("light background", || {
        view.terminal().background_color().red() > 0.9
    });
    style.set_color_scheme(adw::ColorScheme::ForceDark);
    until("dark background", || {
        view.terminal().background_color().red() < 0.2
    });
    let (cols, rows) = view.size();
    assert!(cols > 10 && rows > 5, "{cols}×{rows}");
    view.detach();
    window.destroy();
}
