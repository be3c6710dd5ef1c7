//! `VmObject`: one domain as a GObject, the item type of the machines list model.
//!
//! Rows and the details page watch `notify::revision`; an update replaces the summary in
//! place and bumps the revision, so a list of thousands never re-creates rows.

use std::cell::{Cell, Ref, RefCell};

use gtk::glib;
use gtk::glib::prelude::*;
use gtk::glib::subclass::prelude::*;

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
    }

    #[glib::object_subclass]
    impl ObjectSubclass for VmObject {
        const NAME: &'static str = "KvmmVmObject";
        type Type = super::VmObject;
    }

    #[glib::derived_properties]
    impl ObjectImpl for VmObject {}
}

glib::wrapper! {
    pub struct VmObject(ObjectSubclass<imp::VmObject>);
}

impl VmObject {
    pub fn new(summary: VmSummary) -> Self {
        let obj: Self = glib::Object::new();
        obj.imp().summary.replace(Some(summary));
        obj
    }

    /// The current summary. Do not hold the borrow across an update.
    pub fn summary(&self) -> Ref<'_, VmSummary> {
        Ref::map(self.imp().summary.borrow(), |s| {
            s.as_ref()
                .expect("VmObject is always created with a summary")
        })
    }

    /// Replaces the summary; notifies watchers only when something changed.
    pub fn update(&self, summary: VmSummary) {
        if *self.summary() == summary {
            return;
        }
        self.imp().summary.replace(Some(summary));
        let imp = self.imp();
        imp.revision.set(imp.revision.get() + 1);
        self.notify_revision();
    }
}
