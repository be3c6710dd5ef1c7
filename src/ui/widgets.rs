//! Reusable GTK widgets.

pub mod chart;
pub mod display;
pub mod host_detail;
pub mod host_list;
pub mod host_objects;
pub mod host_page;
pub mod info_group;
pub mod perf_view;
pub mod sparkline;
pub mod spice_view;
pub mod terminal;
pub mod toast;
pub mod vm_card;
pub mod vm_row;
pub mod vnc_view;
pub mod xml_editor;
