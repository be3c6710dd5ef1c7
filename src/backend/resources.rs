//! vCPU and memory changes, live where libvirt and QEMU allow it.
//!
//! A persistent domain's saved configuration always gets the new value (its maximum is
//! raised when the value needs it). A running domain then gets the live change when the
//! value fits the maximum it started with; libvirt cannot raise that maximum while it
//! runs, and a hot-plug the hypervisor or guest refuses is not an error either: the change
//! then waits for the next start ([`Applied::NextBoot`] with the reason). A transient
//! domain has only the live state, so what cannot happen live is refused.
//!
//! Sizes above the host's resources are allowed (the caller warns); zero and absurd values
//! are refused before anything is touched.

use gettextrs::gettext;
use virt::sys;

use super::edit::{refuse, Applied, Target};
use super::error::{BackendError, ErrorKind};
use crate::i18n::{gettext_f, ngettext_f};

/// The most vCPUs accepted (QEMU's own ceiling on x86 q35).
pub const MAX_VCPUS: u32 = 4096;
/// The least memory accepted: 1 MiB.
pub const MIN_MEMORY_KIB: u64 = 1024;
/// The most memory accepted: 64 TiB.
pub const MAX_MEMORY_KIB: u64 = 64 << 30;

const LIVE: u32 = sys::VIR_DOMAIN_AFFECT_LIVE;
const CONFIG: u32 = sys::VIR_DOMAIN_AFFECT_CONFIG;

fn virt_err(e: virt::error::Error) -> BackendError {
    BackendError::from_virt(&e)
}

fn bad_value(message: String) -> BackendError {
    refuse(
        ErrorKind::InvalidInput,
        message,
        gettext("Correct the value and try again."),
    )
}

/// A live change that did not happen: the reason, or the error when it must not be
/// downgraded to "at next boot" (connection lost, domain gone, not allowed, transient).
fn live_failure(t: &Target, e: BackendError) -> Result<String, BackendError> {
    let fatal = matches!(
        e.kind,
        ErrorKind::Disconnected | ErrorKind::NotFound | ErrorKind::PermissionDenied
    );
    if fatal || !t.persistent {
        return Err(e);
    }
    log::info!("{}: live change refused, saved for next start: {e}", t.name);
    Ok(e.message)
}

/// Set the number of vCPUs to `n`.
pub(super) fn set_vcpus(t: &Target, n: u32) -> Result<Applied, BackendError> {
    if n == 0 || n > MAX_VCPUS {
        return Err(bad_value(gettext_f(
            "The number of vCPUs must be between 1 and {max}.",
            &[("max", &MAX_VCPUS.to_string())],
        )));
    }
    let dom = &t.dom;
    if t.persistent {
        let max = dom
            .vcpus_flags(CONFIG | sys::VIR_DOMAIN_VCPU_MAXIMUM)
            .map_err(virt_err)?;
        if n > max {
            dom.set_vcpus_flags(n, CONFIG | sys::VIR_DOMAIN_VCPU_MAXIMUM)
                .map_err(virt_err)?;
        }
        dom.set_vcpus_flags(n, CONFIG).map_err(virt_err)?;
    }
    if !t.active {
        return Ok(Applied::Now);
    }
    let live_max = dom
        .vcpus_flags(LIVE | sys::VIR_DOMAIN_VCPU_MAXIMUM)
        .map_err(virt_err)?;
    if dom.vcpus_flags(LIVE).map_err(virt_err)? == n {
        return Ok(Applied::Now);
    }
    if n > live_max {
        let reason = ngettext_f(
            "“{name}” started with room for at most {max} vCPU.",
            "“{name}” started with room for at most {max} vCPUs.",
            live_max,
            &[("name", &t.name), ("max", &live_max.to_string())],
        );
        if !t.persistent {
            return Err(bad_value(reason));
        }
        return Ok(Applied::NextBoot { reason });
    }
    match dom.set_vcpus_flags(n, LIVE) {
        Ok(()) => Ok(Applied::Now),
        Err(e) => Ok(Applied::NextBoot {
            reason: live_failure(t, virt_err(e))?,
        }),
    }
}

/// "512 MiB", "4 GiB", "1.5 GiB": a memory size for messages.
pub fn format_kib(kib: u64) -> String {
    const GIB: u64 = 1 << 20;
    if kib >= GIB {
        let tenths = (kib * 10 + GIB / 2) / GIB;
        if tenths % 10 == 0 {
            format!("{} GiB", tenths / 10)
        } else {
            format!("{}.{} GiB", tenths / 10, tenths % 10)
        }
    } else if kib >= 1024 {
        format!("{} MiB", kib / 1024)
    } else {
        format!("{kib} KiB")
    }
}

fn check_memory(current_kib: u64, max_kib: Option<u64>) -> Result<(), BackendError> {
    let range = |v: u64| (MIN_MEMORY_KIB..=MAX_MEMORY_KIB).contains(&v);
    if !range(current_kib) || !max_kib.is_none_or(range) {
        return Err(bad_value(gettext_f(
            "Memory must be between {min} and {max}.",
            &[
                ("min", &format_kib(MIN_MEMORY_KIB)),
                ("max", &format_kib(MAX_MEMORY_KIB)),
            ],
        )));
    }
    if let Some(max) = max_kib.filter(|m| current_kib > *m) {
        return Err(bad_value(gettext_f(
            "The memory ({current}) cannot be more than the maximum ({max}).",
            &[
                ("current", &format_kib(current_kib)),
                ("max", &format_kib(max)),
            ],
        )));
    }
    Ok(())
}

/// The saved configuration's maximum memory in KiB.
fn config_max_kib(t: &Target) -> Result<u64, BackendError> {
    if !t.active {
        return t.dom.max_memory().map_err(virt_err);
    }
    let xml = t
        .dom
        .xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)
        .map_err(virt_err)?;
    Ok(super::xml::parse_domain(&xml)?.max_memory_kib)
}

/// Set the memory to `current_kib` and, if given, the maximum to `max_kib`.
pub(super) fn set_memory(
    t: &Target,
    current_kib: u64,
    max_kib: Option<u64>,
) -> Result<Applied, BackendError> {
    check_memory(current_kib, max_kib)?;
    let dom = &t.dom;
    let info = dom.info().map_err(virt_err)?;
    let (live_max, live_now) = (info.max_mem, info.memory);
    // The maximum the machine will have: as asked, or raised to fit the new amount.
    let wanted_max = |old: u64| max_kib.unwrap_or(old).max(current_kib);
    if t.persistent {
        let old = config_max_kib(t)?;
        let new = wanted_max(old);
        // Maximum first: lowering it also lowers the current amount, raising makes room.
        if new != old {
            dom.set_memory_flags(new, CONFIG | sys::VIR_DOMAIN_MEM_MAXIMUM)
                .map_err(virt_err)?;
        }
        dom.set_memory_flags(current_kib, CONFIG)
            .map_err(virt_err)?;
    }
    if !t.active {
        return Ok(Applied::Now);
    }
    let max_waits = wanted_max(live_max) != live_max;
    let max_reason = || {
        gettext_f(
            "the maximum memory of “{name}” changes only when it starts again.",
            &[("name", &t.name)],
        )
    };
    if !t.persistent && max_waits {
        return Err(refuse(
            ErrorKind::InvalidState,
            gettext_f(
                "“{name}” is transient: its maximum memory ({max}) cannot change while it runs.",
                &[("name", &t.name), ("max", &format_kib(live_max))],
            ),
            gettext("Choose an amount up to the current maximum."),
        ));
    }
    let live_reason = if current_kib == live_now {
        None
    } else if current_kib > live_max {
        Some(gettext_f(
            "“{name}” started with at most {max} of memory.",
            &[("name", &t.name), ("max", &format_kib(live_max))],
        ))
    } else {
        match dom.set_memory_flags(current_kib, LIVE) {
            Ok(()) => None,
            Err(e) => Some(live_failure(t, virt_err(e))?),
        }
    };
    Ok(match (live_reason, max_waits) {
        (None, false) => Applied::Now,
        (None, true) => Applied::NowAndNextBoot {
            reason: max_reason(),
        },
        (Some(reason), _) => Applied::NextBoot { reason },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(format_kib(512), "512 KiB");
        assert_eq!(format_kib(256 * 1024), "256 MiB");
        assert_eq!(format_kib(4 << 20), "4 GiB");
        assert_eq!(format_kib(3 << 19), "1.5 GiB");
        assert_eq!(format_kib(64 << 30), "65536 GiB");
    }

    #[test]
    fn memory_values_are_checked_before_anything_happens() {
        assert!(check_memory(1024, None).is_ok());
        assert!(check_memory(1 << 20, Some(2 << 20)).is_ok());
        for (cur, max) in [
            (0, None),
            (1023, None),
            (MAX_MEMORY_KIB + 1, None),
            (2048, Some(0)),
            (4096, Some(2048)),
        ] {
            let e = check_memory(cur, max).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidInput, "{cur} {max:?}");
        }
    }
}
