//! One relm4 component per page of the main window.

pub mod dashboard;
pub mod machines;
pub mod networks;
pub mod storage;
pub mod templates;
pub mod vm_details;
pub mod welcome;
