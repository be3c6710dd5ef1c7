//! The list of domains of the open connection, kept in step with the worker's events.
//!
//! A `gio::ListStore` of [`VmObject`]s plus an index by UUID. A full list replaces the
//! store in one splice (one `items-changed`); single changes update objects in place.

use std::collections::HashMap;

use gtk::gio;
use gtk::gio::prelude::*;

use crate::backend::{VmState, VmSummary};
use crate::ui::vm_object::VmObject;

pub struct VmStore {
    store: gio::ListStore,
    by_uuid: HashMap<String, VmObject>,
}

impl Default for VmStore {
    fn default() -> Self {
        VmStore {
            store: gio::ListStore::new::<VmObject>(),
            by_uuid: HashMap::new(),
        }
    }
}

impl VmStore {
    /// The model the views build on.
    pub fn model(&self) -> gio::ListStore {
        self.store.clone()
    }

    pub fn get(&self, uuid: &str) -> Option<VmObject> {
        self.by_uuid.get(uuid).cloned()
    }

    /// Every object, in no particular order.
    pub fn objects(&self) -> impl Iterator<Item = &VmObject> {
        self.by_uuid.values()
    }

    pub fn len(&self) -> usize {
        self.by_uuid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_uuid.is_empty()
    }

    /// Replaces everything with `list`, keeping the objects of domains still there so
    /// open views stay bound to them.
    pub fn replace_all(&mut self, list: Vec<VmSummary>) {
        let mut old = std::mem::take(&mut self.by_uuid);
        let mut objects = Vec::with_capacity(list.len());
        for summary in list {
            let uuid = summary.uuid.clone();
            let obj = match old.remove(&uuid) {
                Some(obj) => {
                    obj.update(summary);
                    obj
                }
                None => VmObject::new(summary),
            };
            self.by_uuid.insert(uuid, obj.clone());
            objects.push(obj);
        }
        self.store.splice(0, self.store.n_items(), &objects);
    }

    /// Inserts or updates one domain.
    pub fn upsert(&mut self, summary: VmSummary) {
        match self.by_uuid.get(&summary.uuid) {
            Some(obj) => obj.update(summary),
            None => {
                let obj = VmObject::new(summary.clone());
                self.store.append(&obj);
                self.by_uuid.insert(summary.uuid, obj);
            }
        }
    }

    pub fn remove(&mut self, uuid: &str) -> Option<VmObject> {
        let obj = self.by_uuid.remove(uuid)?;
        // Linear, but removals are rare (undefine) and `ListStore::find` needs GLib 2.74
        // bindings we do not enable.
        let pos = (0..self.store.n_items()).find(|&i| {
            self.store
                .item(i)
                .is_some_and(|item| item.downcast_ref::<VmObject>() == Some(&obj))
        });
        if let Some(pos) = pos {
            self.store.remove(pos);
        }
        Some(obj)
    }

    pub fn clear(&mut self) {
        self.by_uuid.clear();
        self.store.remove_all();
    }

    /// Every tag in use, once (ignoring case), sorted.
    pub fn tags(&self) -> Vec<String> {
        let mut tags: Vec<String> = Vec::new();
        for obj in self.by_uuid.values() {
            for t in &obj.summary().tags {
                if !tags.iter().any(|x| x.eq_ignore_ascii_case(t)) {
                    tags.push(t.clone());
                }
            }
        }
        tags.sort_by_key(|t| t.to_lowercase());
        tags
    }

    /// How many domains are in each state, in [`VmState::ALL`] order.
    pub fn counts(&self) -> Vec<(VmState, usize)> {
        let mut counts: HashMap<VmState, usize> = HashMap::new();
        for obj in self.by_uuid.values() {
            *counts.entry(obj.summary().state).or_default() += 1;
        }
        VmState::ALL
            .iter()
            .map(|s| (*s, counts.get(s).copied().unwrap_or(0)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(uuid: &str, name: &str, state: VmState) -> VmSummary {
        VmSummary {
            uuid: uuid.into(),
            name: name.into(),
            state,
            vcpus: 1,
            memory_kib: 1024,
            autostart: false,
            persistent: true,
            tags: Vec::new(),
        }
    }

    #[test]
    fn a_full_list_keeps_the_objects_views_are_bound_to() {
        let mut store = VmStore::default();
        store.replace_all(vec![
            vm("a", "alpha", VmState::Running),
            vm("b", "beta", VmState::ShutOff),
        ]);
        let alpha = store.get("a").unwrap();
        let before = alpha.revision();
        store.replace_all(vec![
            vm("a", "alpha", VmState::Paused),
            vm("c", "gamma", VmState::ShutOff),
        ]);
        assert_eq!(store.len(), 2);
        assert_eq!(store.model().n_items(), 2);
        assert!(store.get("b").is_none());
        let again = store.get("a").unwrap();
        assert_eq!(again, alpha, "same object after a full list");
        assert_eq!(again.summary().state, VmState::Paused);
        assert!(again.revision() > before, "watchers are told of the change");
    }

    #[test]
    fn changes_update_in_place_and_removals_leave_the_model() {
        let mut store = VmStore::default();
        store.upsert(vm("a", "alpha", VmState::ShutOff));
        store.upsert(vm("b", "beta", VmState::ShutOff));
        let rev = store.get("a").unwrap().revision();
        store.upsert(vm("a", "alpha", VmState::ShutOff));
        assert_eq!(
            store.get("a").unwrap().revision(),
            rev,
            "no change, no notification"
        );
        store.upsert(vm("a", "alpha", VmState::Running));
        assert_eq!(store.model().n_items(), 2);
        let counts = store.counts();
        assert!(counts.contains(&(VmState::Running, 1)));
        assert!(counts.contains(&(VmState::ShutOff, 1)));
        assert!(store.remove("b").is_some());
        assert!(store.remove("b").is_none());
        assert_eq!(store.model().n_items(), 1);
        let first = store.model().item(0).and_downcast::<VmObject>().unwrap();
        assert_eq!(first.summary().name, "alpha");
    }
}
