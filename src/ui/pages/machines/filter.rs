//! What the machines page shows and in which order: the search, state and tag criteria
//! as a `CustomFilter`, and name or state order (names in natural order) as a
//! `CustomSorter`. Both views share them.

use std::cell::RefCell;
use std::rc::Rc;

use gtk::prelude::*;

use super::natural_cmp;
use crate::backend::VmState;
use crate::ui::vm_object::VmObject;

#[derive(Default)]
pub struct Criteria {
    pub text: String,
    pub state: Option<VmState>,
    /// Only machines with this tag (ignoring case).
    pub tag: Option<String>,
}

/// The state filter's choices: all, then the common states.
pub fn state_filter_choices() -> Vec<Option<VmState>> {
    let mut v = vec![None];
    v.extend(
        [
            VmState::Running,
            VmState::Paused,
            VmState::Saved,
            VmState::ShutOff,
            VmState::Crashed,
        ]
        .map(Some),
    );
    v
}

/// Machines matching `criteria` (read at each `changed`).
pub fn filter(criteria: &Rc<RefCell<Criteria>>) -> gtk::CustomFilter {
    let criteria = criteria.clone();
    gtk::CustomFilter::new(move |obj| {
        let vm = obj.downcast_ref::<VmObject>().expect("VmObject").summary();
        let c = criteria.borrow();
        c.state.is_none_or(|s| s == vm.state)
            && (c.text.is_empty() || vm.name.to_lowercase().contains(&c.text))
            && c.tag
                .as_ref()
                .is_none_or(|t| vm.tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
    })
}

/// Name order, or state then name when `by_state` holds.
pub fn sorter(by_state: &Rc<RefCell<bool>>) -> gtk::CustomSorter {
    let by_state = by_state.clone();
    gtk::CustomSorter::new(move |a, b| {
        let a = a.downcast_ref::<VmObject>().expect("VmObject").summary();
        let b = b.downcast_ref::<VmObject>().expect("VmObject").summary();
        let key = if *by_state.borrow() {
            a.state.cmp(&b.state)
        } else {
            std::cmp::Ordering::Equal
        };
        key.then_with(|| natural_cmp(&a.name, &b.name)).into()
    })
}
