//! A minimal safe binding of VTE's GTK 4 terminal widget (`VteTerminal`, Debian 12: VTE
//! 0.70) over `vte4-sys`, with only the calls the serial console uses.
//!
//! The `vte4` crate release for gtk4 0.11 declares `gtk::Accessible` features that need
//! GTK 4.10, so on the GTK 4.8 baseline we wrap the C type ourselves. The wrapper lists the
//! interfaces gtk4-rs can name on 4.8 (Buildable, ConstraintTarget, Scrollable);
//! accessible names are set through `ui::a11y`, which works on every GTK 4.
//!
//! No pty is involved: bytes from the guest go in through [`Terminal::feed`] and what the
//! user types comes out of the `commit` signal ([`Terminal::connect_commit`]).

use std::os::raw::{c_char, c_long, c_uint};

use gtk::gdk;
use gtk::glib::{self, prelude::*, translate::*, SignalHandlerId};
use gtk::pango;
use vte_sys as ffi;

glib::wrapper! {
    /// VTE's terminal widget.
    pub struct Terminal(Object<ffi::VteTerminal, ffi::VteTerminalClass>)
        @extends gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget, gtk::Scrollable;

    match fn {
        type_ => || ffi::vte_terminal_get_type(),
    }
}

impl Default for Terminal {
    fn default() -> Self {
        Self::new()
    }
}

fn to_ffi(c: &gdk::RGBA) -> gdk::ffi::GdkRGBA {
    gdk::ffi::GdkRGBA {
        red: c.red(),
        green: c.green(),
        blue: c.blue(),
        alpha: c.alpha(),
    }
}

impl Terminal {
    /// A new, empty terminal (80×24 cells until sized by its parent).
    pub fn new() -> Terminal {
        assert_initialized();
        // SAFETY: GTK is initialised (checked above); the new widget's floating reference
        // is sunk by `from_glib_none`.
        unsafe { from_glib_none(ffi::vte_terminal_new()) }
    }

    fn raw(&self) -> *mut ffi::VteTerminal {
        self.to_glib_none().0
    }

    /// Interpret `data` as output of the "child" (the guest): text and escape sequences.
    pub fn feed(&self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        // SAFETY: valid widget; `data` is valid for its length, which VTE copies.
        unsafe { ffi::vte_terminal_feed(self.raw(), data.as_ptr(), data.len() as isize) }
    }

    /// Called with the bytes the user typed or pasted (UTF-8, control characters
    /// included), meant for the child.
    pub fn connect_commit<F: Fn(&Terminal, &[u8]) + 'static>(&self, f: F) -> SignalHandlerId {
        unsafe extern "C" fn trampoline<F: Fn(&Terminal, &[u8]) + 'static>(
            this: *mut ffi::VteTerminal,
            text: *mut c_char,
            size: c_uint,
            f: glib::ffi::gpointer,
        ) {
            // SAFETY: GTK passes the instance, the text with its length in bytes and the
            // closure registered below, all valid for the duration of the call.
            unsafe {
                let f: &F = &*(f as *const F);
                let bytes: &[u8] = if text.is_null() || size == 0 {
                    &[]
                } else {
                    std::slice::from_raw_parts(text as *const u8, size as usize)
                };
                f(&from_glib_borrow(this), bytes)
            }
        }
        // SAFETY: "commit" has the signature (VteTerminal*, gchar*, guint, gpointer);
        // the boxed closure is freed by glib when the handler is disconnected.
        unsafe {
            glib::signal::connect_raw(
                self.as_ptr() as *mut _,
                c"commit".as_ptr(),
                Some(std::mem::transmute::<*const (), unsafe extern "C" fn()>(
                    trampoline::<F> as *const (),
                )),
                Box::into_raw(Box::new(f)),
            )
        }
    }

    /// Send `text` as if the user had typed it: it comes out of the `commit` signal
    /// (when input is enabled). For tests.
    #[doc(hidden)]
    pub fn feed_child(&self, text: &[u8]) {
        // SAFETY: valid widget; `text` is valid for its length, which VTE copies.
        unsafe { ffi::vte_terminal_feed_child(self.raw(), text.as_ptr(), text.len() as isize) }
    }

    /// The background colour VTE paints with now. For tests.
    #[doc(hidden)]
    pub fn background_color(&self) -> gdk::RGBA {
        let mut c = gdk::ffi::GdkRGBA {
            red: 0.0,
            green: 0.0,
            blue: 0.0,
            alpha: 0.0,
        };
        // SAFETY: valid widget; VTE writes one colour into `c`.
        unsafe { ffi::vte_terminal_get_color_background_for_draw(self.raw(), &mut c) };
        gdk::RGBA::new(c.red, c.green, c.blue, c.alpha)
    }

    /// Lines kept above the screen (0: none, -1: unlimited).
    pub fn set_scrollback_lines(&self, lines: i64) {
        // SAFETY: valid widget.
        unsafe { ffi::vte_terminal_set_scrollback_lines(self.raw(), lines as c_long) }
    }

    /// The font (`None`: VTE's default monospace font).
    pub fn set_font(&self, font: Option<&pango::FontDescription>) {
        // SAFETY: valid widget; VTE copies the description.
        unsafe { ffi::vte_terminal_set_font(self.raw(), font.to_glib_none().0) }
    }

    /// Default foreground and background, and the 16-colour palette (or fewer: VTE
    /// fills in the rest).
    pub fn set_colors(&self, fg: &gdk::RGBA, bg: &gdk::RGBA, palette: &[gdk::RGBA]) {
        let fg = to_ffi(fg);
        let bg = to_ffi(bg);
        let palette: Vec<_> = palette.iter().take(256).map(to_ffi).collect();
        // SAFETY: valid widget; pointers to live values and an array of `len` colours,
        // all copied by VTE.
        unsafe {
            ffi::vte_terminal_set_colors(
                self.raw(),
                &fg,
                &bg,
                if palette.is_empty() {
                    std::ptr::null()
                } else {
                    palette.as_ptr()
                },
                palette.len(),
            )
        }
    }

    /// Whether keyboard and mouse input reach the `commit` signal.
    pub fn set_input_enabled(&self, enabled: bool) {
        // SAFETY: valid widget.
        unsafe { ffi::vte_terminal_set_input_enabled(self.raw(), enabled.into_glib()) }
    }

    pub fn set_audible_bell(&self, audible: bool) {
        // SAFETY: valid widget.
        unsafe { ffi::vte_terminal_set_audible_bell(self.raw(), audible.into_glib()) }
    }

    pub fn has_selection(&self) -> bool {
        // SAFETY: valid widget.
        unsafe { from_glib(ffi::vte_terminal_get_has_selection(self.raw())) }
    }

    /// Copy the selection to the clipboard as plain text.
    pub fn copy_clipboard(&self) {
        // SAFETY: valid widget.
        unsafe { ffi::vte_terminal_copy_clipboard_format(self.raw(), ffi::VTE_FORMAT_TEXT) }
    }

    /// Paste the clipboard: its text arrives through the `commit` signal.
    pub fn paste_clipboard(&self) {
        // SAFETY: valid widget.
        unsafe { ffi::vte_terminal_paste_clipboard(self.raw()) }
    }

    pub fn column_count(&self) -> i64 {
        // SAFETY: valid widget.
        unsafe { ffi::vte_terminal_get_column_count(self.raw()) as i64 }
    }

    pub fn row_count(&self) -> i64 {
        // SAFETY: valid widget.
        unsafe { ffi::vte_terminal_get_row_count(self.raw()) as i64 }
    }

    /// Ask for a size in cells (the natural size; the parent decides).
    pub fn set_size(&self, columns: i64, rows: i64) {
        // SAFETY: valid widget.
        unsafe { ffi::vte_terminal_set_size(self.raw(), columns as c_long, rows as c_long) }
    }

    /// Reset the terminal state (modes, colours, charset); `clear_history` also empties
    /// the screen and the scrollback.
    pub fn reset(&self, clear_tabstops: bool, clear_history: bool) {
        // SAFETY: valid widget.
        unsafe {
            ffi::vte_terminal_reset(
                self.raw(),
                clear_tabstops.into_glib(),
                clear_history.into_glib(),
            )
        }
    }

    /// The visible text (screen rows), lines joined with `\n`.
    pub fn text(&self) -> String {
        // SAFETY: valid widget; no selection function, no attributes; the result is a
        // newly allocated string (or NULL) that we own.
        unsafe {
            let ptr = ffi::vte_terminal_get_text(
                self.raw(),
                None,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            );
            owned_text(ptr)
        }
    }

    /// The text from a start cell up to (not including) an end cell: rows count from the
    /// top of the scrollback, columns from 0; lines joined with `\n`.
    pub fn text_range(&self, start_row: i64, start_col: i64, end_row: i64, end_col: i64) -> String {
        // SAFETY: as in `text`.
        unsafe {
            let ptr = ffi::vte_terminal_get_text_range(
                self.raw(),
                start_row as c_long,
                start_col as c_long,
                end_row as c_long,
                end_col as c_long,
                None,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            );
            owned_text(ptr)
        }
    }
}

fn assert_initialized() {
    assert!(
        gtk::is_initialized_main_thread(),
        "GTK must be initialised on this thread before a Terminal is made"
    );
}

/// VTE's newly allocated text (or NULL) as a String; frees it.
///
/// # Safety
/// `ptr` is NULL or a string VTE allocated for the caller.
unsafe fn owned_text(ptr: *mut std::ffi::c_char) -> String {
    // SAFETY: per this function's contract, we own `ptr`.
    unsafe { Option::<glib::GString>::from_glib_full(ptr) }
        .map(|s| s.to_string())
        .unwrap_or_default()
}
