//! A spinner that spins only while it is on screen.
//!
//! A spinning `gtk::Spinner` loads its icon (`process-working-symbolic`, an SVG in
//! Adwaita) even on a hidden page, and the first SVG loads librsvg: about 6 MB of a
//! start-up that showed no spinner at all.

use std::cell::Cell;
use std::rc::Rc;

use gtk::prelude::*;

#[derive(Clone)]
pub struct LazySpinner {
    spinner: gtk::Spinner,
    busy: Rc<Cell<bool>>,
}

impl LazySpinner {
    pub fn new(spinner: gtk::Spinner) -> LazySpinner {
        let busy = Rc::new(Cell::new(false));
        {
            let busy = busy.clone();
            spinner.connect_map(move |s| s.set_spinning(busy.get()));
        }
        spinner.connect_unmap(|s| s.set_spinning(false));
        LazySpinner { spinner, busy }
    }

    pub fn widget(&self) -> &gtk::Spinner {
        &self.spinner
    }

    /// Whether the work the spinner stands for is going on.
    pub fn set_busy(&self, busy: bool) {
        self.busy.set(busy);
        self.spinner.set_spinning(busy && self.spinner.is_mapped());
    }

    pub fn is_busy(&self) -> bool {
        self.busy.get()
    }
}
