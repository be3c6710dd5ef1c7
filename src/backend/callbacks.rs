//! libvirt callbacks registered through `virt::sys` (the safe crate has no event API):
//! domain lifecycle events, storage pool and network lifecycle events, and the connection
//! close callback.
//!
//! The callbacks run on libvirt's event-loop thread. They do nothing but copy the facts
//! (UUID, event, detail / close reason) into a [`Notice`] and hand it to a forwarding
//! closure, which puts it into the owning worker's channel. All libvirt work that follows
//! happens on the worker thread.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};

use virt::connect::Connect;
use virt::sys;

use super::error::BackendError;

/// What a callback observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A domain lifecycle event (`virDomainEventType` and its detail).
    Lifecycle {
        uuid: String,
        event: i32,
        detail: i32,
    },
    /// The connection was closed (`virConnectCloseReason`).
    Closed { reason: i32 },
    /// A storage pool or a network was defined, undefined, started or stopped (by anyone).
    HostObject(HostObject),
}

/// Which kind of host object a [`Notice::HostObject`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostObject {
    Pool,
    Network,
}

/// Receives notices on the event-loop thread; must not block.
pub type Forward = Box<dyn Fn(Notice) + Send + Sync>;

/// The opaque pointer handed to libvirt: a thin pointer to the boxed forwarder.
fn into_opaque(forward: Forward) -> *mut c_void {
    Box::into_raw(Box::new(forward)) as *mut c_void
}

unsafe extern "C" fn free_forward(opaque: *mut c_void) {
    if !opaque.is_null() {
        // SAFETY: `opaque` came from `into_opaque` and libvirt calls this exactly once,
        // when the registration is removed (or the connection is freed).
        drop(unsafe { Box::from_raw(opaque as *mut Forward) });
    }
}

unsafe extern "C" fn on_lifecycle(
    _conn: sys::virConnectPtr,
    dom: sys::virDomainPtr,
    event: c_int,
    detail: c_int,
    opaque: *mut c_void,
) -> c_int {
    let mut buf = [0 as c_char; sys::VIR_UUID_STRING_BUFLEN as usize];
    // SAFETY: libvirt passes a valid domain for the duration of the call; the buffer has
    // the documented size; virDomainGetUUIDString is a local call (no RPC).
    if unsafe { sys::virDomainGetUUIDString(dom, buf.as_mut_ptr()) } < 0 {
        return 0;
    }
    // SAFETY: on success the buffer holds a NUL-terminated string.
    let uuid = unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .to_ascii_lowercase();
    // SAFETY: `opaque` is our boxed forwarder, alive until `free_forward` runs.
    let forward = unsafe { &*(opaque as *const Forward) };
    forward(Notice::Lifecycle {
        uuid,
        event,
        detail,
    });
    0
}

unsafe extern "C" fn on_close(_conn: sys::virConnectPtr, reason: c_int, opaque: *mut c_void) {
    // SAFETY: `opaque` is our boxed forwarder, alive until `free_forward` runs.
    let forward = unsafe { &*(opaque as *const Forward) };
    forward(Notice::Closed { reason });
}

/// The pool and network lifecycle callbacks share a shape: (conn, object, event, detail,
/// opaque). The object is not looked at: the worker lists them all again.
unsafe extern "C" fn on_pool_lifecycle(
    _conn: sys::virConnectPtr,
    _pool: sys::virStoragePoolPtr,
    _event: c_int,
    _detail: c_int,
    opaque: *mut c_void,
) {
    // SAFETY: `opaque` is our boxed forwarder, alive until `free_forward` runs.
    let forward = unsafe { &*(opaque as *const Forward) };
    forward(Notice::HostObject(HostObject::Pool));
}

unsafe extern "C" fn on_network_lifecycle(
    _conn: sys::virConnectPtr,
    _net: sys::virNetworkPtr,
    _event: c_int,
    _detail: c_int,
    opaque: *mut c_void,
) {
    // SAFETY: `opaque` is our boxed forwarder, alive until `free_forward` runs.
    let forward = unsafe { &*(opaque as *const Forward) };
    forward(Notice::HostObject(HostObject::Network));
}

type PoolLifecycleFn =
    unsafe extern "C" fn(sys::virConnectPtr, sys::virStoragePoolPtr, c_int, c_int, *mut c_void);
type PoolGenericFn = unsafe extern "C" fn(sys::virConnectPtr, sys::virStoragePoolPtr, *mut c_void);
type NetLifecycleFn =
    unsafe extern "C" fn(sys::virConnectPtr, sys::virNetworkPtr, c_int, c_int, *mut c_void);
type NetGenericFn = unsafe extern "C" fn(sys::virConnectPtr, sys::virNetworkPtr, *mut c_void);

/// Register the lifecycle callback of every storage pool or every network; returns
/// libvirt's callback id.
pub fn register_host_object(
    conn: &Connect,
    kind: HostObject,
    forward: Forward,
) -> Result<i32, BackendError> {
    let opaque = into_opaque(forward);
    // SAFETY: as in `register_lifecycle`: libvirt calls the generic callback with the
    // signature of the event id, here VIR_*_EVENT_ID_LIFECYCLE (conn, object, event,
    // detail, opaque); the connection is valid and `opaque` is freed by `free_forward`.
    let id = unsafe {
        match kind {
            HostObject::Pool => sys::virConnectStoragePoolEventRegisterAny(
                conn.as_ptr(),
                std::ptr::null_mut(),
                sys::VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE as c_int,
                Some(std::mem::transmute::<PoolLifecycleFn, PoolGenericFn>(
                    on_pool_lifecycle,
                )),
                opaque,
                Some(free_forward),
            ),
            HostObject::Network => sys::virConnectNetworkEventRegisterAny(
                conn.as_ptr(),
                std::ptr::null_mut(),
                sys::VIR_NETWORK_EVENT_ID_LIFECYCLE as c_int,
                Some(std::mem::transmute::<NetLifecycleFn, NetGenericFn>(
                    on_network_lifecycle,
                )),
                opaque,
                Some(free_forward),
            ),
        }
    };
    if id < 0 {
        // See `register_lifecycle`: the box is leaked rather than risk a double free.
        return Err(BackendError::from_virt(&virt::error::Error::last_error()));
    }
    Ok(id)
}

/// Remove a pool or network registration; libvirt then frees the forwarder.
pub fn deregister_host_object(conn: &Connect, kind: HostObject, id: i32) {
    // SAFETY: valid connection; an unknown id only yields an error.
    let rc = unsafe {
        match kind {
            HostObject::Pool => sys::virConnectStoragePoolEventDeregisterAny(conn.as_ptr(), id),
            HostObject::Network => sys::virConnectNetworkEventDeregisterAny(conn.as_ptr(), id),
        }
    };
    if rc < 0 {
        log::debug!(
            "deregistering {kind:?} callback {id}: {}",
            virt::error::Error::last_error()
        );
    }
}

type LifecycleFn =
    unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, c_int, c_int, *mut c_void) -> c_int;
type GenericFn = unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, *mut c_void);

/// Register the lifecycle callback for all domains; returns libvirt's callback id.
pub fn register_lifecycle(conn: &Connect, forward: Forward) -> Result<i32, BackendError> {
    let opaque = into_opaque(forward);
    // SAFETY: libvirt's API takes the generic callback type and calls it with the
    // signature matching the event id (VIR_DOMAIN_EVENT_CALLBACK in libvirt's headers);
    // for VIR_DOMAIN_EVENT_ID_LIFECYCLE that is `LifecycleFn`.
    let generic = unsafe { std::mem::transmute::<LifecycleFn, GenericFn>(on_lifecycle) };
    // SAFETY: the connection pointer is valid while `conn` lives; `opaque` is freed by
    // libvirt through `free_forward` once deregistered.
    let id = unsafe {
        sys::virConnectDomainEventRegisterAny(
            conn.as_ptr(),
            std::ptr::null_mut(),
            sys::VIR_DOMAIN_EVENT_ID_LIFECYCLE as c_int,
            Some(generic),
            opaque,
            Some(free_forward),
        )
    };
    if id < 0 {
        // Whether libvirt calls `freecb` after a failed registration is not documented and
        // has differed between drivers; leaking one small box beats a double free.
        return Err(BackendError::from_virt(&virt::error::Error::last_error()));
    }
    Ok(id)
}

/// Remove a lifecycle registration; libvirt then frees the forwarder.
pub fn deregister_lifecycle(conn: &Connect, id: i32) {
    // SAFETY: valid connection; an unknown id only yields an error.
    if unsafe { sys::virConnectDomainEventDeregisterAny(conn.as_ptr(), id) } < 0 {
        log::debug!(
            "deregistering lifecycle callback {id}: {}",
            virt::error::Error::last_error()
        );
    }
}

/// Register the close callback (one per connection).
pub fn register_close(conn: &Connect, forward: Forward) -> Result<(), BackendError> {
    let opaque = into_opaque(forward);
    // SAFETY: as for `register_lifecycle`; the signature matches virConnectCloseFunc.
    let rc = unsafe {
        sys::virConnectRegisterCloseCallback(
            conn.as_ptr(),
            Some(on_close),
            opaque,
            Some(free_forward),
        )
    };
    if rc < 0 {
        // See `register_lifecycle`: the box is leaked rather than risk a double free.
        return Err(BackendError::from_virt(&virt::error::Error::last_error()));
    }
    Ok(())
}

/// Remove the close callback; libvirt then frees its forwarder.
pub fn unregister_close(conn: &Connect) {
    // SAFETY: valid connection; the same function pointer that was registered.
    if unsafe { sys::virConnectUnregisterCloseCallback(conn.as_ptr(), Some(on_close)) } < 0 {
        log::debug!(
            "unregistering close callback: {}",
            virt::error::Error::last_error()
        );
    }
}
