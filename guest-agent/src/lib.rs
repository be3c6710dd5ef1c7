//! Shared with the app: the protocol spoken over the guest channel ([`protocol`]), the
//! line framing both ends use to read it ([`framing`]), and the encoding and checksum of
//! file chunks ([`transfer`]). None of it does I/O; the daemon lives in the binary
//! (`src/main.rs`, `src/daemon/`), behind the default `daemon` feature.

pub mod framing;
pub mod protocol;
pub mod transfer;
