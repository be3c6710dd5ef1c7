//! Dialogs and secondary windows. Each is built on demand, transient for the main
//! window, and reports back through a callback.

pub mod about;
pub mod boot_order;
pub mod clone_vm;
pub mod confirm;
pub mod delete_vm;
pub mod new_vm;
pub mod preferences;
pub mod prompt;
pub mod shortcuts;
pub mod template_editor;
pub mod xml_dialog;
