//! Operating-system specifics behind one set of module names: `transport`, `sysinfo`,
//! `network`, `disks`, `metrics`, `processes`, `exec`, `power`, `beneath`, `service`. The rest of the
//! daemon calls only these, so a Windows agent is a `windows` sibling of `linux`.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::*;

#[cfg(not(target_os = "linux"))]
compile_error!("kvm-guest-agent has only a Linux platform module so far");
