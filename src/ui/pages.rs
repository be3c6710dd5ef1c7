//! One relm4 component per page of the main window.

pub mod alerts;
pub mod dashboard;
pub mod insights;
pub mod machines;
pub mod networks;
pub mod storage;
pub mod templates;
pub mod vm_details;
pub mod welcome;
