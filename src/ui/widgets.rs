//! Reusable GTK widgets.

pub mod vm_row;
pub mod info_group;
