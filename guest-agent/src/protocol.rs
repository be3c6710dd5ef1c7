//! The wire protocol between KVM Manager and the guest agent.
//!
//! Owns the names and numbers both sides must agree on. The app depends on this module's
//! types, so it holds no I/O and no guest-side logic.

/// Name of the virtio-serial channel and of the protocol on it. The trailing number is the
/// major version: a change that old peers cannot read gets a new name, never a reuse.
pub const PROTOCOL_NAME: &str = "io.github.kvmmanager.agent.0";

/// Minor version inside [`PROTOCOL_NAME`]: raised for additions old peers can ignore.
pub const PROTOCOL_VERSION: u32 = 1;

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
}
