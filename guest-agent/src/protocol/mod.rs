//! The wire protocol between KVM Manager and the guest agent (see `PROTOCOL.md`).
//!
//! Owns the names, numbers and message types both sides must agree on. The app depends on
//! this module's types, so it holds no I/O and no guest-side logic: [`message`] is the
//! JSON-RPC 2.0 envelope and its error codes, [`methods`] names every method and ties it to
//! its parameter and result types, which live in [`types`].

pub mod message;
pub mod methods;
pub mod types;

pub use message::{parse_request, ErrorCode, Id, Request, Response, RpcError, JSONRPC_VERSION};
pub use methods::{Call, Method, MethodName};

/// Name of the virtio-serial channel and of the protocol on it. The trailing number is the
/// major version: a change that old peers cannot read gets a new name, never a reuse.
pub const PROTOCOL_NAME: &str = "io.github.kvmmanager.agent.0";

/// Minor version inside [`PROTOCOL_NAME`]: raised for additions old peers can ignore.
pub const PROTOCOL_VERSION: u32 = 1;

/// Where udev puts the guest side of the channel.
pub const DEFAULT_DEVICE_PATH: &str = "/dev/virtio-ports/io.github.kvmmanager.agent.0";

/// Limits both peers enforce. A peer may announce smaller ones in `get_agent_info`.
pub mod limits {
    /// Longest message line in bytes, not counting its `\n`. A longer line is discarded up
    /// to the next newline and answered with one [`super::ErrorCode::TooLarge`] error.
    pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;
    /// Raw bytes per file chunk that a client should ask for or send: big enough that the
    /// JSON and base64 overhead stays small, small enough to pipeline several.
    pub const FILE_CHUNK_BYTES: u32 = 1024 * 1024;
    /// Largest raw chunk a peer accepts (its base64 form still fits in one line).
    pub const MAX_FILE_CHUNK_BYTES: u32 = 4 * 1024 * 1024;
    /// Requests the agent works on at once per connection; more are answered `Busy`.
    pub const MAX_IN_FLIGHT: usize = 32;
    /// File transfers open at once; a new one past this is answered `Busy`.
    pub const MAX_TRANSFERS: usize = 64;
    /// A transfer nobody touched for this long is dropped (a half-written file removed).
    pub const TRANSFER_IDLE_SECS: u64 = 120;
    /// Largest stdout or stderr (each) that `exec_command` may return: two of them in
    /// base64 still fit in one line.
    pub const MAX_EXEC_OUTPUT_BYTES: u64 = 2 * 1024 * 1024;
    /// Largest stdin `exec_command` accepts, raw.
    pub const MAX_EXEC_STDIN_BYTES: usize = 4 * 1024 * 1024;
    /// How long a client should wait for any reply but `exec_command`'s (whose own
    /// timeout plus this applies) before it gives up on the call.
    pub const DEFAULT_CALL_TIMEOUT_SECS: u64 = 30;
}

/// The major version encoded in a protocol name, or `None` when the name is not ours.
pub fn major_version(name: &str) -> Option<u32> {
    name.strip_prefix("io.github.kvmmanager.agent.")?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_name_carries_major_version_zero() {
        assert_eq!(major_version(PROTOCOL_NAME), Some(0));
    }

    #[test]
    fn foreign_names_are_rejected() {
        assert_eq!(major_version("org.qemu.guest_agent.0"), None);
        assert_eq!(major_version("io.github.kvmmanager.agent.x"), None);
    }

    #[test]
    fn device_path_ends_in_the_protocol_name() {
        assert!(DEFAULT_DEVICE_PATH.ends_with(PROTOCOL_NAME));
    }

    #[test]
    fn largest_chunk_fits_a_line_in_base64() {
        let b64 = (limits::MAX_FILE_CHUNK_BYTES as usize).div_ceil(3) * 4;
        assert!(b64 + 4096 < limits::MAX_LINE_BYTES);
        let exec = 2 * (limits::MAX_EXEC_OUTPUT_BYTES as usize).div_ceil(3) * 4;
        assert!(exec + 4096 < limits::MAX_LINE_BYTES);
    }
}
