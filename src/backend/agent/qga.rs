//! qemu-guest-agent through libvirt, for machines that run it instead of ours: interface
//! addresses (`virDomainInterfaceAddresses` with the agent as source), OS, hostname,
//! users and filesystems (`virDomainGetGuestInfo`, through `virt::sys`: the safe crate
//! lacks it), shutdown and reboot with the guest-agent flag.
//!
//! Results use the protocol's types, so the UI shows one shape whichever agent answered;
//! what qemu-guest-agent does not report stays empty or zero (CPU, memory, uptime, MTU,
//! inodes) and the caller marks the answer as qemu-guest-agent's.

use std::collections::HashMap;
use std::ffi::CStr;
use std::os::raw::c_int;

use kvm_guest_agent::protocol::types::{
    Filesystem, IpAddress, KernelInfo, LoggedInUser, NetworkInterface, OsInfo, SystemInfoResult,
};
use virt::domain::Domain;
use virt::sys;

use crate::backend::error::BackendError;

fn virt_err(e: &virt::error::Error) -> BackendError {
    BackendError::from_virt(e)
}

/// The guest's interfaces and addresses as qemu-guest-agent reports them.
pub fn interfaces(dom: &Domain) -> Result<Vec<NetworkInterface>, BackendError> {
    let list = dom
        .interface_addresses(sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, 0)
        .map_err(|e| virt_err(&e))?;
    Ok(list
        .into_iter()
        .map(|i| NetworkInterface {
            name: i.name,
            mac: i.hwaddr.unwrap_or_default(),
            mtu: 0,
            up: true,
            addresses: i
                .addrs
                .into_iter()
                .map(|a| IpAddress {
                    family: if a.typed == sys::VIR_IP_ADDR_TYPE_IPV4 as i64 {
                        "ipv4".into()
                    } else {
                        "ipv6".into()
                    },
                    address: a.addr,
                    prefix: a.prefix.min(128) as u8,
                })
                .collect(),
        })
        .collect())
}

/// One typed parameter's value.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Num(u64),
    Signed(i64),
    Float(f64),
    Text(String),
}

/// `virDomainGetGuestInfo` for `types`, as a map from field name to value.
fn guest_info(dom: &Domain, types: u32) -> Result<HashMap<String, Value>, BackendError> {
    let mut params: sys::virTypedParameterPtr = std::ptr::null_mut();
    let mut n: c_int = 0;
    // SAFETY: a valid domain pointer and out-pointers libvirt fills with an array it
    // allocates, freed below with virTypedParamsFree.
    let rc = unsafe { sys::virDomainGetGuestInfo(dom.as_ptr(), types, &mut params, &mut n, 0) };
    if rc < 0 {
        return Err(virt_err(&virt::error::Error::last_error()));
    }
    let mut out = HashMap::new();
    for i in 0..n.max(0) as usize {
        // SAFETY: i < n, the array's length; each field is a NUL-terminated name, and
        // the union member read is the one `type_` names.
        unsafe {
            let p = &*params.add(i);
            let name = CStr::from_ptr(p.field.as_ptr())
                .to_string_lossy()
                .into_owned();
            let value = match p.type_ as u32 {
                sys::VIR_TYPED_PARAM_INT => Value::Signed(p.value.i.into()),
                sys::VIR_TYPED_PARAM_UINT => Value::Num(p.value.ui.into()),
                sys::VIR_TYPED_PARAM_LLONG => Value::Signed(p.value.l),
                sys::VIR_TYPED_PARAM_ULLONG => Value::Num(p.value.ul),
                sys::VIR_TYPED_PARAM_DOUBLE => Value::Float(p.value.d),
                sys::VIR_TYPED_PARAM_BOOLEAN => Value::Num(u64::from(p.value.b != 0)),
                sys::VIR_TYPED_PARAM_STRING if !p.value.s.is_null() => {
                    Value::Text(CStr::from_ptr(p.value.s).to_string_lossy().into_owned())
                }
                _ => continue,
            };
            out.insert(name, value);
        }
    }
    // SAFETY: the array and its strings came from libvirt with this length.
    unsafe { sys::virTypedParamsFree(params, n) };
    Ok(out)
}

struct Fields(HashMap<String, Value>);

impl Fields {
    fn text(&self, key: &str) -> String {
        match self.0.get(key) {
            Some(Value::Text(s)) => s.clone(),
            _ => String::new(),
        }
    }
    fn num(&self, key: &str) -> u64 {
        match self.0.get(key) {
            Some(Value::Num(n)) => *n,
            Some(Value::Signed(n)) => (*n).max(0) as u64,
            Some(Value::Float(f)) => f.max(0.0) as u64,
            _ => 0,
        }
    }
    /// How many `prefix.N` entries there are (`prefix.count`), bounded.
    fn count(&self, key: &str) -> usize {
        self.num(key).min(4096) as usize
    }
}

/// OS, kernel, hostname and users, as far as qemu-guest-agent reports them.
pub fn system_info(dom: &Domain) -> Result<SystemInfoResult, BackendError> {
    let types = sys::VIR_DOMAIN_GUEST_INFO_OS
        | sys::VIR_DOMAIN_GUEST_INFO_HOSTNAME
        | sys::VIR_DOMAIN_GUEST_INFO_USERS;
    Ok(system_info_from(&Fields(guest_info(dom, types)?)))
}

fn system_info_from(f: &Fields) -> SystemInfoResult {
    let users = (0..f.count("user.count"))
        .map(|i| LoggedInUser {
            name: f.text(&format!("user.{i}.name")),
            terminal: String::new(),
            host: f.text(&format!("user.{i}.domain")),
            // libvirt reports milliseconds since the epoch.
            login_time: f.num(&format!("user.{i}.login-time")) / 1000,
        })
        .filter(|u| !u.name.is_empty())
        .collect();
    SystemInfoResult {
        os: OsInfo {
            id: f.text("os.id"),
            name: f.text("os.name"),
            version: f.text("os.version"),
            version_id: f.text("os.version-id"),
            pretty_name: f.text("os.pretty-name"),
        },
        kernel: KernelInfo {
            name: String::new(),
            release: f.text("os.kernel-release"),
            version: f.text("os.kernel-version"),
            machine: f.text("os.machine"),
        },
        hostname: f.text("hostname"),
        cpu: Default::default(),
        memory_total_bytes: 0,
        uptime_secs: 0.0,
        boot_time: 0,
        users,
    }
}

/// Mounted filesystems with their sizes, as qemu-guest-agent reports them.
pub fn filesystems(dom: &Domain) -> Result<Vec<Filesystem>, BackendError> {
    let f = Fields(guest_info(dom, sys::VIR_DOMAIN_GUEST_INFO_FILESYSTEM)?);
    Ok(filesystems_from(&f))
}

fn filesystems_from(f: &Fields) -> Vec<Filesystem> {
    (0..f.count("fs.count"))
        .map(|i| {
            let key = |k: &str| format!("fs.{i}.{k}");
            let total = f.num(&key("total-bytes"));
            let used = f.num(&key("used-bytes"));
            Filesystem {
                device: f.text(&key("name")),
                mount_point: f.text(&key("mountpoint")),
                fs_type: f.text(&key("fstype")),
                total_bytes: total,
                used_bytes: used,
                available_bytes: total.saturating_sub(used),
                total_inodes: 0,
                free_inodes: 0,
                read_only: false,
            }
        })
        .filter(|fs| !fs.mount_point.is_empty() || !fs.device.is_empty())
        .collect()
}

/// Shut the guest down through qemu-guest-agent (not ACPI).
pub fn shutdown(dom: &Domain) -> Result<(), BackendError> {
    dom.shutdown_flags(sys::VIR_DOMAIN_SHUTDOWN_GUEST_AGENT)
        .map_err(|e| virt_err(&e))
}

/// Reboot the guest through qemu-guest-agent.
pub fn reboot(dom: &Domain) -> Result<(), BackendError> {
    dom.reboot(sys::VIR_DOMAIN_REBOOT_GUEST_AGENT)
        .map_err(|e| virt_err(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(list: &[(&str, Value)]) -> Fields {
        Fields(
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn guest_info_fields_become_system_info() {
        let f = fields(&[
            ("os.id", Value::Text("debian".into())),
            ("os.pretty-name", Value::Text("Debian 12".into())),
            ("os.kernel-release", Value::Text("6.1.0".into())),
            ("hostname", Value::Text("vm1".into())),
            ("user.count", Value::Num(1)),
            ("user.0.name", Value::Text("root".into())),
            ("user.0.login-time", Value::Num(1_700_000_000_000)),
        ]);
        let s = system_info_from(&f);
        assert_eq!(s.os.id, "debian");
        assert_eq!(s.os.pretty_name, "Debian 12");
        assert_eq!(s.kernel.release, "6.1.0");
        assert_eq!(s.hostname, "vm1");
        assert_eq!(s.users.len(), 1);
        assert_eq!(s.users[0].login_time, 1_700_000_000);
        assert_eq!(s.memory_total_bytes, 0);
    }

    #[test]
    fn filesystems_and_a_lying_count_stay_bounded() {
        let f = fields(&[
            ("fs.count", Value::Num(u64::MAX)),
            ("fs.0.mountpoint", Value::Text("/".into())),
            ("fs.0.fstype", Value::Text("ext4".into())),
            ("fs.0.total-bytes", Value::Num(100)),
            ("fs.0.used-bytes", Value::Num(40)),
        ]);
        let list = filesystems_from(&f);
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].mount_point, "/");
        assert_eq!(list[0].available_bytes, 60);
    }
}
