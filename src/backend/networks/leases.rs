//! The DHCP leases a network's dnsmasq handed out (`virNetworkGetDHCPLeases`, through
//! `virt::sys`: the safe crate has no wrapper).

use std::ffi::{c_char, CStr};

use virt::connect::Connect;
use virt::sys;

use super::info::lookup;
use super::Lease;
use crate::backend::error::BackendError;

/// The current leases of the network `name`, sorted by IP address then MAC.
pub fn leases(conn: &Connect, name: &str) -> Result<Vec<Lease>, BackendError> {
    let net = lookup(conn, name)?;
    let mut list: *mut sys::virNetworkDHCPLeasePtr = std::ptr::null_mut();
    // SAFETY: the network handle is valid for the call; on success libvirt stores an
    // array of `n` lease pointers in `list`, which we own and free below.
    let n = unsafe { sys::virNetworkGetDHCPLeases(net.as_ptr(), std::ptr::null(), &mut list, 0) };
    if n < 0 {
        return Err(super::net_err(&virt::error::Error::last_error()));
    }
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n as usize {
        // SAFETY: `list` holds `n` valid lease pointers until freed.
        let lease = unsafe { *list.add(i) };
        if lease.is_null() {
            continue;
        }
        // SAFETY: `lease` points to a lease record owned by the list.
        let l = unsafe { &*lease };
        out.push(Lease {
            mac: text(l.mac).unwrap_or_default(),
            ip: text(l.ipaddr).unwrap_or_default(),
            prefix: l.prefix,
            hostname: text(l.hostname).filter(|h| !h.is_empty() && h != "*"),
            expiry: (l.expirytime > 0).then_some(l.expirytime),
        });
        // SAFETY: each lease is freed once, after it was copied.
        unsafe { sys::virNetworkDHCPLeaseFree(lease) };
    }
    if !list.is_null() {
        // SAFETY: the array itself was allocated by libvirt with malloc.
        unsafe { libc::free(list.cast()) };
    }
    out.sort_by_key(|l| (l.ip.parse::<std::net::IpAddr>().ok(), l.mac.clone()));
    Ok(out)
}

/// A C string owned by libvirt, copied; `None` for a null pointer.
fn text(p: *const c_char) -> Option<String> {
    // SAFETY: libvirt's lease strings are NUL-terminated or null.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}
