//! Shared with the app: the protocol spoken over the guest channel. The daemon is main.rs.

pub mod protocol;
