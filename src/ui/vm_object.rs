//! `VmObject`: one domain as a GObject, the item type of the machines list model.
//!
//! Rows and the details page watch `notify::revision`; an update replaces the summary in
//! place and bumps the revision, so a list of thousands never re-creates rows. Grid cards
//! also watch `notify::thumbnail`: a small screenshot of a running machine, dropped when
//! it stops.

use std::cell::{Cell, Ref, RefCell};
use std::collections::VecDeque;

use gtk::glib::prelude::*;
use gtk::glib::subclass::prelude::*;
use gtk::{gdk, glib};

use crate::backend::VmSummary;

mod imp {
    use super::*;

    #[derive(Default, glib::Properties)]
    #[properties(wrapper_type = super::VmObject)]
    pub struct VmObject {
        /// Bumped on every change of the summary.
        #[property(get)]
        pub revision: Cell<u64>,
        pub summary: RefCell<Option<VmSummary>>,
        /// CPU use in percent of its vCPUs at the last tick; negative when unknown.
        #[property(get)]
        pub cpu: Cell<f64>,
        /// The last [`super::CPU_HISTORY`] CPU figures, oldest first.
        pub cpu_history: RefCell<VecDeque<f32>>,
        /// A recent screenshot, scaled down (the Machines grid); `None` while the machine
        /// is not running or none was taken yet.
        #[property(get, nullable)]
        pub thumbnail: RefCell<Option<gdk::Texture>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for VmObject {
        const NAME: &'static str = "KvmmVmObject";
        type Type = super::VmObject;
    }

    #[glib::derived_properties]
    impl ObjectImpl for VmObject {}
}

/// How many ticks of CPU use a row's sparkline shows.
pub const CPU_HISTORY: usize = 60;

glib::wrapper! {
    pub struct VmObject(ObjectSubclass<imp::VmObject>);
}

impl VmObject {
    pub fn new(summary: VmSummary) -> Self {
        let obj: Self = glib::Object::new();
        obj.imp().summary.replace(Some(summary));
        obj.imp().cpu.set(-1.0);
        obj
    }

    /// Record this tick's CPU figure (`None`: the VM is not running or gave none).
    pub fn set_cpu(&self, pct: Option<f64>) {
        let imp = self.imp();
        let value = pct.map(|p| p.clamp(0.0, 100.0)).unwrap_or(-1.0);
        {
            let mut history = imp.cpu_history.borrow_mut();
            match pct {
                Some(_) => {
                    if history.len() == CPU_HISTORY {
                        history.pop_front();
                    }
                    history.push_back(value as f32);
                }
                None => history.clear(),
            }
        }
        if imp.cpu.get() != value || pct.is_some() {
            imp.cpu.set(value);
            self.notify_cpu();
        }
    }

    /// The recent CPU figures, oldest first.
    pub fn cpu_history(&self) -> Vec<f32> {
        self.imp().cpu_history.borrow().iter().copied().collect()
    }

    /// The current summary. Do not hold the borrow across an update.
    pub fn summary(&self) -> Ref<'_, VmSummary> {
        Ref::map(self.imp().summary.borrow(), |s| {
            s.as_ref()
                .expect("VmObject is always created with a summary")
        })
    }

    /// Sets or drops the screenshot; notifies only on a change.
    pub fn set_thumbnail(&self, texture: Option<&gdk::Texture>) {
        let imp = self.imp();
        if imp.thumbnail.borrow().as_ref() == texture {
            return;
        }
        imp.thumbnail.replace(texture.cloned());
        self.notify_thumbnail();
    }

    /// Replaces the summary; notifies watchers only when something changed. A machine
    /// that stopped loses its thumbnail.
    pub fn update(&self, summary: VmSummary) {
        if *self.summary() == summary {
            return;
        }
        let stopped = !summary.state.is_active();
        self.imp().summary.replace(Some(summary));
        if stopped {
            self.set_thumbnail(None);
        }
        let imp = self.imp();
        imp.revision.set(imp.revision.get() + 1);
        self.notify_revision();
    }
}
