//! KVM Manager: a GNOME application that manages KVM/QEMU virtual machines through libvirt.
//!
//! Layers (see README "Architecture"):
//! - [`backend`]: libvirt access on worker threads; plain data out, commands in. No GTK.
//! - [`services`]: what the app owns besides libvirt (SQLite: templates...). No GTK.
//! - [`ui`]: relm4 components (pages, dialogs, widgets); never blocks the main thread.
//! - [`app`]: the root component that routes messages between pages and the backend.

pub mod app;
pub mod backend;
pub mod config;
pub mod i18n;
pub mod memory;
pub mod services;
pub mod ui;
