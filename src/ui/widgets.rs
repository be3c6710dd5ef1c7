//! Reusable GTK widgets.

pub mod info_group;
pub mod vm_row;
pub mod xml_editor;
