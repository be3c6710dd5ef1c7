//! Raw resource counters for every domain of a host from one bulk call
//! (`virConnectGetAllDomainStats`): CPU time, vCPU count, balloon, per-disk and per-NIC byte
//! counters.
//!
//! These are *raw* cumulative counters as libvirt reports them, stamped with the moment the
//! call returned. Rates (CPU %, bytes/s) come from two samples of the same domain:
//! `(b.cpu_time_ns - a.cpu_time_ns) / (b.taken_at - a.taken_at)`. Counters restart from
//! zero when a domain's QEMU process restarts, so a consumer must treat a counter that went
//! down as a new series rather than a negative rate.
//!
//! The safe `virt` crate (0.5) wraps the call but hands out records it never frees (each
//! one holds a domain and thus a connection reference), so this module calls it through
//! `virt::sys` and frees the list with `virDomainStatsRecordListFree`. Parsing the typed
//! parameters is a pure function ([`DomainStats::from_params`]) so it is tested without
//! libvirt. libvirt's test driver answers only the `state` group: on it every record has a
//! state and nothing else (the vCPU count then comes from `virDomainGetInfo`).

use std::ffi::CStr;
use std::os::raw::{c_char, c_uint};
use std::time::Instant;

use virt::connect::Connect;
use virt::domain::DomainState;
use virt::enumutil::RawEnum;
use virt::sys;

use super::error::BackendError;
use super::summary::vm_state;
use super::types::VmState;

/// The stats groups asked for: state, CPU total, vCPU (for the count), balloon, block,
/// interface.
pub const GROUPS: c_uint = sys::VIR_DOMAIN_STATS_STATE
    | sys::VIR_DOMAIN_STATS_CPU_TOTAL
    | sys::VIR_DOMAIN_STATS_VCPU
    | sys::VIR_DOMAIN_STATS_BALLOON
    | sys::VIR_DOMAIN_STATS_BLOCK
    | sys::VIR_DOMAIN_STATS_INTERFACE;

/// One typed parameter value, as libvirt's `virTypedParameter` carries it.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Int(i64),
    UInt(u64),
    Double(f64),
    Bool(bool),
    Str(String),
}

impl ParamValue {
    /// The value as an unsigned counter (negative integers and strings are not counters).
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            ParamValue::UInt(v) => Some(v),
            ParamValue::Int(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }
}

/// Memory balloon figures in KiB; each is `None` when the driver or guest did not report it
/// (e.g. `available_kib` needs a balloon driver with stats in the guest).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BalloonStats {
    /// Memory currently given to the guest (`balloon.current`).
    pub current_kib: Option<u64>,
    /// The most the balloon may grow to (`balloon.maximum`).
    pub maximum_kib: Option<u64>,
    /// Memory the guest OS sees as total (`balloon.available`), from the guest's driver.
    pub available_kib: Option<u64>,
    /// Memory the guest OS could use without swapping (`balloon.usable`), from the guest.
    pub usable_kib: Option<u64>,
    /// Resident set size of the QEMU process on the host (`balloon.rss`).
    pub rss_kib: Option<u64>,
}

/// Cumulative counters of one disk (`block.<n>.*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockStats {
    /// Target device in the guest ("vda").
    pub name: String,
    /// Host path of the image, when it has one.
    pub path: Option<String>,
    pub rd_bytes: u64,
    pub wr_bytes: u64,
    pub rd_reqs: u64,
    pub wr_reqs: u64,
}

/// Cumulative counters of one network interface (`net.<n>.*`), as the *guest* sees them:
/// `rx` is what the guest received, `tx` what it sent (libvirt swaps the tap device's view).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceStats {
    /// Host-side device name ("vnet0").
    pub name: String,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_pkts: u64,
    pub tx_pkts: u64,
}

/// What one bulk call reported for one domain. Groups the driver did not answer stay empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainStats {
    /// Canonical lower-case UUID.
    pub uuid: String,
    pub name: String,
    /// The running domain's ID (`virDomainGetID`): a new one means a new QEMU process, whose
    /// counters started again from zero. `None` for an inactive domain.
    pub id: Option<u32>,
    /// `state.state` folded like the machines list (no managed-save knowledge: a shut-off
    /// domain is `ShutOff` here).
    pub state: Option<VmState>,
    /// Total CPU time used, vCPUs plus emulator, in nanoseconds (`cpu.time`).
    pub cpu_time_ns: Option<u64>,
    /// vCPUs the domain has now (`vcpu.current`; from `virDomainGetInfo` on drivers without
    /// the vcpu group).
    pub vcpus: Option<u32>,
    /// `None` when the balloon group was not reported at all.
    pub balloon: Option<BalloonStats>,
    pub blocks: Vec<BlockStats>,
    pub interfaces: Vec<InterfaceStats>,
}

/// One bulk call's result.
#[derive(Debug, Clone)]
pub struct StatsSample {
    /// When the call returned: the time base for rates between two samples.
    pub taken_at: Instant,
    pub domains: Vec<DomainStats>,
}

/// Split `block.3.rd.bytes` into (3, "rd.bytes") for `prefix` "block".
fn indexed<'a>(field: &'a str, prefix: &str) -> Option<(usize, &'a str)> {
    let rest = field.strip_prefix(prefix)?.strip_prefix('.')?;
    let (idx, key) = rest.split_once('.')?;
    Some((idx.parse().ok()?, key))
}

/// Grow `v` so index `i` exists (indices come in order but need not).
fn slot<T: Default>(v: &mut Vec<T>, i: usize) -> &mut T {
    if v.len() <= i {
        v.resize_with(i + 1, T::default);
    }
    &mut v[i]
}

impl DomainStats {
    /// Build the typed record from libvirt's flat `field = value` list. Unknown fields are
    /// ignored; malformed ones (a string where a counter belongs) are skipped.
    pub fn from_params(uuid: &str, name: &str, params: &[(String, ParamValue)]) -> DomainStats {
        let mut s = DomainStats {
            uuid: uuid.to_ascii_lowercase(),
            name: name.to_owned(),
            ..DomainStats::default()
        };
        // Caps bound what a malformed record could make us allocate.
        const MAX_DEVICES: usize = 4096;
        for (field, value) in params {
            let n = value.as_u64();
            match field.as_str() {
                "state.state" => {
                    s.state = n
                        .and_then(|v| u32::try_from(v).ok())
                        .and_then(DomainState::from_raw)
                        .map(|st| vm_state(st, false));
                }
                "cpu.time" => s.cpu_time_ns = n,
                "vcpu.current" => s.vcpus = n.and_then(|v| u32::try_from(v).ok()),
                f if f.starts_with("balloon.") => {
                    let b = s.balloon.get_or_insert_with(BalloonStats::default);
                    match &f["balloon.".len()..] {
                        "current" => b.current_kib = n,
                        "maximum" => b.maximum_kib = n,
                        "available" => b.available_kib = n,
                        "usable" => b.usable_kib = n,
                        "rss" => b.rss_kib = n,
                        _ => {}
                    }
                }
                f => {
                    if let Some((i, key)) = indexed(f, "block").filter(|(i, _)| *i < MAX_DEVICES) {
                        let b = slot(&mut s.blocks, i);
                        match (key, value) {
                            ("name", ParamValue::Str(v)) => b.name = v.clone(),
                            ("path", ParamValue::Str(v)) => b.path = Some(v.clone()),
                            ("rd.bytes", _) => b.rd_bytes = n.unwrap_or(0),
                            ("wr.bytes", _) => b.wr_bytes = n.unwrap_or(0),
                            ("rd.reqs", _) => b.rd_reqs = n.unwrap_or(0),
                            ("wr.reqs", _) => b.wr_reqs = n.unwrap_or(0),
                            _ => {}
                        }
                    } else if let Some((i, key)) =
                        indexed(f, "net").filter(|(i, _)| *i < MAX_DEVICES)
                    {
                        let t = slot(&mut s.interfaces, i);
                        match (key, value) {
                            ("name", ParamValue::Str(v)) => t.name = v.clone(),
                            ("rx.bytes", _) => t.rx_bytes = n.unwrap_or(0),
                            ("tx.bytes", _) => t.tx_bytes = n.unwrap_or(0),
                            ("rx.pkts", _) => t.rx_pkts = n.unwrap_or(0),
                            ("tx.pkts", _) => t.tx_pkts = n.unwrap_or(0),
                            _ => {}
                        }
                    }
                }
            }
        }
        s
    }

    /// The disk with this target name ("vda").
    pub fn block(&self, name: &str) -> Option<&BlockStats> {
        self.blocks.iter().find(|b| b.name == name)
    }
}

/// Frees the record list however the caller leaves.
struct RecordList(*mut sys::virDomainStatsRecordPtr);

impl Drop for RecordList {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the list came from virConnectGetAllDomainStats and is freed once.
            unsafe { sys::virDomainStatsRecordListFree(self.0) };
        }
    }
}

/// Copy one typed parameter out of libvirt's memory.
///
/// # Safety
/// `p` must point to a valid `virTypedParameter` (strings NUL-terminated).
unsafe fn read_param(p: &sys::virTypedParameter) -> Option<(String, ParamValue)> {
    // SAFETY (all reads below): the caller guarantees a valid parameter; the union member
    // read is the one `type_` names.
    let field = unsafe { CStr::from_ptr(p.field.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    let v = unsafe {
        match p.type_ as u32 {
            sys::VIR_TYPED_PARAM_INT => ParamValue::Int(p.value.i.into()),
            sys::VIR_TYPED_PARAM_UINT => ParamValue::UInt(p.value.ui.into()),
            sys::VIR_TYPED_PARAM_LLONG => ParamValue::Int(p.value.l),
            sys::VIR_TYPED_PARAM_ULLONG => ParamValue::UInt(p.value.ul),
            sys::VIR_TYPED_PARAM_DOUBLE => ParamValue::Double(p.value.d),
            sys::VIR_TYPED_PARAM_BOOLEAN => ParamValue::Bool(p.value.b != 0),
            sys::VIR_TYPED_PARAM_STRING if !p.value.s.is_null() => {
                ParamValue::Str(CStr::from_ptr(p.value.s).to_string_lossy().into_owned())
            }
            _ => return None,
        }
    };
    Some((field, v))
}

/// A running domain's vCPU count from `virDomainGetInfo`, for drivers that do not answer
/// the vcpu group (libvirt's test driver).
fn vcpus_from_info(dom: sys::virDomainPtr) -> Option<u32> {
    // SAFETY: plain-old-data out parameter, filled by libvirt on success.
    let mut info: sys::virDomainInfo = unsafe { std::mem::zeroed() };
    // SAFETY: `dom` is a valid domain of a live record; `info` is writable.
    (unsafe { sys::virDomainGetInfo(dom, &mut info) } == 0).then_some(info.nrVirtCpu.into())
}

/// Read the stats groups in [`GROUPS`] for every domain (`active_only`: running, paused and
/// other live domains only; inactive ones would report nothing but their state).
///
/// Domains busy with a job (a migration, a save) are skipped rather than waited for
/// (`NOWAIT`), so a periodic caller never stalls behind one slow domain.
pub fn all_domain_stats(conn: &Connect, active_only: bool) -> Result<StatsSample, BackendError> {
    let mut flags = sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT;
    if active_only {
        flags |= sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE;
    }
    let mut list: *mut sys::virDomainStatsRecordPtr = std::ptr::null_mut();
    // SAFETY: valid connection pointer while `conn` lives; `list` receives a
    // NULL-terminated array that `RecordList` frees.
    let n = unsafe { sys::virConnectGetAllDomainStats(conn.as_ptr(), GROUPS, &mut list, flags) };
    let list = RecordList(list);
    if n < 0 {
        return Err(BackendError::from_virt(&virt::error::Error::last_error()));
    }
    let taken_at = Instant::now();
    let mut domains = Vec::with_capacity(n as usize);
    for i in 0..n as usize {
        // SAFETY: the array holds `n` valid record pointers, alive until `list` drops.
        let rec = unsafe { &**list.0.add(i) };
        let mut buf = [0 as c_char; sys::VIR_UUID_STRING_BUFLEN as usize];
        // SAFETY: the record's domain is valid; the buffer has the documented size.
        if unsafe { sys::virDomainGetUUIDString(rec.dom, buf.as_mut_ptr()) } < 0 {
            continue;
        }
        // SAFETY: NUL-terminated on success.
        let uuid = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy();
        // SAFETY: the name belongs to the domain object and lives as long as it.
        let name_ptr = unsafe { sys::virDomainGetName(rec.dom) };
        let name = if name_ptr.is_null() {
            String::new()
        } else {
            // SAFETY: non-null, NUL-terminated.
            unsafe { CStr::from_ptr(name_ptr) }
                .to_string_lossy()
                .into_owned()
        };
        let params: Vec<(String, ParamValue)> = if rec.params.is_null() || rec.nparams <= 0 {
            Vec::new()
        } else {
            // SAFETY: `params` holds `nparams` valid parameters.
            unsafe { std::slice::from_raw_parts(rec.params, rec.nparams as usize) }
                .iter()
                // SAFETY: each element is a valid parameter.
                .filter_map(|p| unsafe { read_param(p) })
                .collect()
        };
        let mut d = DomainStats::from_params(&uuid, &name, &params);
        // SAFETY: the record's domain is valid; the ID is a field of the local object.
        let id = unsafe { sys::virDomainGetID(rec.dom) };
        d.id = (id != u32::MAX).then_some(id);
        if d.vcpus.is_none() && d.id.is_some() {
            d.vcpus = vcpus_from_info(rec.dom);
        }
        domains.push(d);
    }
    Ok(StatsSample { taken_at, domains })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(f: &str, v: ParamValue) -> (String, ParamValue) {
        (f.to_owned(), v)
    }

    #[test]
    fn parses_a_full_qemu_record() {
        use ParamValue::*;
        let params = vec![
            p("state.state", Int(1)),
            p("state.reason", Int(1)),
            p("cpu.time", UInt(5_231_513_000)),
            p("cpu.user", UInt(3_431_872_000)),
            p("vcpu.current", UInt(2)),
            p("vcpu.maximum", UInt(4)),
            p("vcpu.0.time", UInt(1_000)),
            p("balloon.current", UInt(262_144)),
            p("balloon.maximum", UInt(262_144)),
            p("balloon.rss", UInt(264_992)),
            p("net.count", UInt(1)),
            p("net.0.name", Str("vnet0".into())),
            p("net.0.rx.bytes", UInt(1209)),
            p("net.0.rx.pkts", UInt(8)),
            p("net.0.tx.bytes", UInt(688)),
            p("net.0.tx.pkts", UInt(2)),
            p("block.count", UInt(2)),
            p("block.1.name", Str("vdb".into())),
            p("block.0.name", Str("vda".into())),
            p("block.0.path", Str("/var/lib/x.qcow2".into())),
            p("block.0.rd.reqs", UInt(3)),
            p("block.0.rd.bytes", UInt(12_288)),
            p("block.0.wr.bytes", UInt(0)),
            p("block.1.wr.bytes", UInt(512)),
        ];
        let s = DomainStats::from_params("ABC-1", "g", &params);
        assert_eq!((s.uuid.as_str(), s.name.as_str()), ("abc-1", "g"));
        assert_eq!(s.state, Some(VmState::Running));
        assert_eq!(s.cpu_time_ns, Some(5_231_513_000));
        assert_eq!(s.vcpus, Some(2));
        let b = s.balloon.as_ref().unwrap();
        assert_eq!(
            (b.current_kib, b.maximum_kib, b.rss_kib, b.available_kib),
            (Some(262_144), Some(262_144), Some(264_992), None)
        );
        assert_eq!(s.blocks.len(), 2);
        let vda = s.block("vda").unwrap();
        assert_eq!((vda.rd_bytes, vda.rd_reqs, vda.wr_bytes), (12_288, 3, 0));
        assert_eq!(vda.path.as_deref(), Some("/var/lib/x.qcow2"));
        assert_eq!(s.block("vdb").unwrap().wr_bytes, 512);
        assert_eq!(
            s.interfaces,
            vec![InterfaceStats {
                name: "vnet0".into(),
                rx_bytes: 1209,
                tx_bytes: 688,
                rx_pkts: 8,
                tx_pkts: 2,
            }]
        );
    }

    #[test]
    fn state_only_and_junk() {
        use ParamValue::*;
        let params = vec![
            p("state.state", Int(5)),
            p("block.x.rd.bytes", UInt(1)),
            p("block.99999999.rd.bytes", UInt(1)),
            p("cpu.time", Str("nope".into())),
            p("net.0.rx.bytes", Int(-1)),
        ];
        let s = DomainStats::from_params("u", "n", &params);
        assert_eq!(s.state, Some(VmState::ShutOff));
        assert_eq!(s.cpu_time_ns, None);
        assert!(s.balloon.is_none() && s.blocks.is_empty());
        assert_eq!(s.interfaces.len(), 1);
        assert_eq!(s.interfaces[0].rx_bytes, 0);
    }
}
