//! Dialogs and secondary windows. Each is built on demand, transient for the main
//! window, and reports back through a callback.

pub mod about;
pub mod boot_order;
pub mod confirm;
pub mod new_vm;
pub mod preferences;
pub mod prompt;
pub mod shortcuts;
pub mod template_editor;
