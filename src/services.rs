//! What the app owns beyond libvirt: templates, metric history, alerts and insights now;
//! schedules and backups later. No GTK. Everything lives in one SQLite database ([`db`]) in the XDG data
//! directory, with versioned migrations; every write is one transaction.
//!
//! Calls block on SQLite, so the UI runs them off the main thread (`relm4::spawn_blocking`
//! or a command), never in `update` or `view`.
//!
//! [`alerts`]: rules on VM metrics judged on each collected snapshot, and the alerts'
//! history. [`insights`]: suggestions drawn from the stored history (pure functions).
//! [`metrics`]: the history store (downsampled reads, retention) and the live buffer.
//! [`monitor`]: the thread that stores each collection, checks the alert rules and runs
//! the daily clean-up.

pub mod alerts;
pub mod db;
pub mod insights;
pub mod metrics;
pub mod monitor;
pub mod templates;

pub use db::{Database, StoreError};
