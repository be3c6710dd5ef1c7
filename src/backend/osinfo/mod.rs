//! The libosinfo operating-system database (osinfo-db), read with quick-xml.
//!
//! [`OsDb::load_default`] reads `/usr/share/osinfo` (or `$OSINFO_SYSTEM_DIR`), then
//! `/etc/osinfo` and `$XDG_CONFIG_HOME/osinfo` where `osinfo-db-import --local/--user`
//! put newer databases; an OS in a later directory replaces the same id from an earlier one.
//! Inheritance (`derives-from`, else `upgrades`) is resolved at load time for resources,
//! device support and firmware, so an [`OsEntry`] holds final answers. ISO volume-id
//! patterns (`pattern`) are compiled when a detection needs them, not at load.
//!
//! Loading reads ~900 files: call it off the UI thread.

pub(crate) mod iso;
mod parse;
mod pattern;
mod resolve;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use regex::Regex;

use super::error::{BackendError, ErrorKind};
use crate::i18n::gettext_f;

pub use iso::read_iso_volume_id;
pub use pattern::compile_pattern;
use pattern::required_prefix;

/// Device ids of osinfo-db's device links the wizard cares about.
pub mod device_ids {
    pub const VIRTIO_NET: &str = "http://pcisig.com/pci/1af4/1000";
    pub const VIRTIO_BLOCK: &str = "http://pcisig.com/pci/1af4/1001";
    pub const VIRTIO_CONSOLE: &str = "http://pcisig.com/pci/1af4/1003";
    pub const VIRTIO_RNG: &str = "http://pcisig.com/pci/1af4/1005";
    pub const VIRTIO1_NET: &str = "http://pcisig.com/pci/1af4/1041";
    pub const VIRTIO1_BLOCK: &str = "http://pcisig.com/pci/1af4/1042";
    pub const VIRTIO1_CONSOLE: &str = "http://pcisig.com/pci/1af4/1043";
    pub const VIRTIO1_RNG: &str = "http://pcisig.com/pci/1af4/1044";
    pub const VIRTIO1_GPU: &str = "http://pcisig.com/pci/1af4/1050";
    pub const QXL: &str = "http://pcisig.com/pci/1b36/0100";
    pub const E1000: &str = "http://pcisig.com/pci/8086/100e";
    pub const E1000E: &str = "http://pcisig.com/pci/8086/10d3";
    pub const RTL8139: &str = "http://pcisig.com/pci/10ec/8139";
}

/// The id of libosinfo's "Unknown" OS, used when nothing was detected or chosen.
pub const UNKNOWN_OS_ID: &str = "http://libosinfo.org/unknown";

/// Minimum or recommended resources (for x86_64, else "all" architectures).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resources {
    pub cpus: Option<u32>,
    pub ram_bytes: Option<u64>,
    pub storage_bytes: Option<u64>,
}

/// An installation medium: the ISO volume-id pattern (a regular expression) and its arch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaPattern {
    pub arch: String,
    pub volume_id: String,
}

/// One operating system, with inheritance resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsEntry {
    /// libosinfo id, e.g. `http://debian.org/debian/11`; stored in the domain metadata.
    pub id: String,
    /// First short id (`debian11`), the one tools such as virt-install accept.
    pub short_id: String,
    pub short_ids: Vec<String>,
    pub name: String,
    pub vendor: String,
    /// "linux", "winnt", "freebsd"...
    pub family: String,
    /// "debian", "fedora", "win"...
    pub distro: String,
    pub version: String,
    pub codename: String,
    /// ISO date (YYYY-MM-DD) when known.
    pub release_date: Option<String>,
    pub eol_date: Option<String>,
    pub derives_from: Option<String>,
    pub upgrades: Option<String>,
    pub minimum: Resources,
    pub recommended: Resources,
    /// Device ids (osinfo device links) the OS supports natively, inherited ones included.
    pub devices: Vec<String>,
    /// The OS needs UEFI on x86_64 (it lists efi and marks bios unsupported).
    pub requires_uefi: bool,
    pub media: Vec<MediaPattern>,
}

impl OsEntry {
    fn has(&self, ids: &[&str]) -> bool {
        ids.iter().any(|id| self.devices.iter().any(|d| d == id))
    }
    /// virtio-block (legacy or 1.0) is supported: disks go on the virtio bus.
    pub fn supports_virtio_disk(&self) -> bool {
        self.has(&[device_ids::VIRTIO_BLOCK, device_ids::VIRTIO1_BLOCK])
    }
    /// virtio-net (legacy or 1.0) is supported.
    pub fn supports_virtio_net(&self) -> bool {
        self.has(&[device_ids::VIRTIO_NET, device_ids::VIRTIO1_NET])
    }
    pub fn supports_virtio_rng(&self) -> bool {
        self.has(&[device_ids::VIRTIO_RNG, device_ids::VIRTIO1_RNG])
    }
    pub fn supports_virtio_console(&self) -> bool {
        self.has(&[device_ids::VIRTIO_CONSOLE, device_ids::VIRTIO1_CONSOLE])
    }
    pub fn supports_virtio_gpu(&self) -> bool {
        self.has(&[device_ids::VIRTIO1_GPU])
    }
    pub fn supports_device(&self, id: &str) -> bool {
        self.has(&[id])
    }
    pub fn is_windows(&self) -> bool {
        self.family == "winnt" || self.family == "win9x" || self.distro == "win"
    }
    /// Whether the OS passed its end-of-life date (ISO date, compared as text).
    pub fn is_eol_on(&self, today: &str) -> bool {
        self.eol_date.as_deref().is_some_and(|d| d < today)
    }
}

/// The loaded database.
pub struct OsDb {
    entries: Vec<OsEntry>,
    by_id: HashMap<String, usize>,
    /// Device id → name ("virtio-block").
    device_names: HashMap<String, String>,
    /// Files that failed to parse, with the reason (logged; the rest still loads).
    pub skipped_files: Vec<(PathBuf, String)>,
    /// Volume-id patterns compiled so far (`None`: unusable); filled on demand.
    compiled: Mutex<HashMap<String, Option<Regex>>>,
}

impl std::fmt::Debug for OsDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OsDb")
            .field("entries", &self.entries.len())
            .finish()
    }
}

/// The directories [`OsDb::load_default`] reads, in order.
pub fn default_dirs() -> Vec<PathBuf> {
    let system = std::env::var_os("OSINFO_SYSTEM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/osinfo"));
    let mut dirs = vec![system, PathBuf::from("/etc/osinfo")];
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(c) = config {
        dirs.push(c.join("osinfo"));
    }
    dirs
}

impl OsDb {
    /// Load the system database plus local and user overrides ([`default_dirs`]).
    pub fn load_default() -> Result<OsDb, BackendError> {
        let dirs = default_dirs();
        let refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
        Self::load_dirs(&refs)
    }

    /// Load one database directory (holding `os/` and `device/`).
    pub fn load(dir: &Path) -> Result<OsDb, BackendError> {
        Self::load_dirs(&[dir])
    }

    /// Load several directories, later ones overriding earlier ones per OS id. Missing
    /// directories are skipped; it is an error only when no OS at all was found.
    pub fn load_dirs(dirs: &[&Path]) -> Result<OsDb, BackendError> {
        let loaded = resolve::load_dirs(dirs);
        if loaded.entries.is_empty() {
            let shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
            return Err(BackendError::new(
                ErrorKind::NotFound,
                gettext_f(
                    "No operating system database found in {dirs}. Install the osinfo-db package.",
                    &[("dirs", &shown.join(", "))],
                ),
            ));
        }
        for (path, why) in &loaded.skipped {
            log::warn!("osinfo: skipping {}: {why}", path.display());
        }
        let by_id = loaded
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        Ok(OsDb {
            entries: loaded.entries,
            by_id,
            device_names: loaded.device_names,
            skipped_files: loaded.skipped,
            compiled: Mutex::new(HashMap::new()),
        })
    }

    /// Every OS, sorted by name.
    pub fn entries(&self) -> &[OsEntry] {
        &self.entries
    }

    pub fn lookup(&self, id: &str) -> Option<&OsEntry> {
        self.by_id.get(id).map(|&i| &self.entries[i])
    }

    /// By short id (`debian11`, `win10`).
    pub fn lookup_short_id(&self, short_id: &str) -> Option<&OsEntry> {
        self.entries
            .iter()
            .find(|e| e.short_ids.iter().any(|s| s == short_id))
    }

    /// A device's name ("virtio-block") by its id.
    pub fn device_name(&self, id: &str) -> Option<&str> {
        self.device_names.get(id).map(String::as_str)
    }

    /// The entry to use when no OS is known: libosinfo's "Unknown" (no virtio, generic
    /// resources), or a built-in equivalent when the database lacks it.
    pub fn fallback(&self) -> OsEntry {
        self.lookup(UNKNOWN_OS_ID)
            .cloned()
            .unwrap_or_else(resolve::builtin_unknown)
    }

    /// OSes whose name, short id, vendor or version contain every word of `query`
    /// (case-insensitive), newest release first. An empty query matches everything.
    pub fn search(&self, query: &str) -> Vec<&OsEntry> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        let mut hits: Vec<&OsEntry> = self
            .entries
            .iter()
            .filter(|e| {
                let hay = format!(
                    "{} {} {} {}",
                    e.name,
                    e.short_ids.join(" "),
                    e.vendor,
                    e.version
                )
                .to_lowercase();
                words.iter().all(|w| hay.contains(w.as_str()))
            })
            .collect();
        hits.sort_by(|a, b| {
            b.release_date
                .cmp(&a.release_date)
                .then_with(|| a.name.cmp(&b.name))
        });
        hits
    }

    /// Whether `pattern` matches `volume_id`. A pattern is only compiled when the
    /// literal text it starts with occurs in the volume id: compiling all ~2000 patterns
    /// would cost longer than loading the database.
    fn pattern_matches(&self, pattern: &str, volume_id: &str) -> bool {
        if let Some(lit) = required_prefix(pattern) {
            if !volume_id.contains(lit.as_str()) {
                return false;
            }
        }
        let mut cache = self.compiled.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(pattern.to_owned())
            .or_insert_with(|| compile_pattern(pattern))
            .as_ref()
            .is_some_and(|r| r.is_match(volume_id))
    }

    /// Every OS with a medium for `arch` (or "all"; an empty `arch` means any) whose
    /// volume-id pattern matches `volume_id`, best first: the most specific pattern, then
    /// the newest release (media of consecutive releases often share a pattern, and the
    /// newer OS's settings, e.g. UEFI, suit the older one better than the reverse).
    pub fn detect_candidates(&self, volume_id: &str, arch: &str) -> Vec<&OsEntry> {
        let mut hits: Vec<(usize, usize)> = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            let best = e
                .media
                .iter()
                .filter(|m| arch.is_empty() || m.arch == arch || m.arch == "all")
                .filter(|m| self.pattern_matches(&m.volume_id, volume_id))
                .map(|m| m.volume_id.len())
                .max();
            if let Some(len) = best {
                hits.push((i, len));
            }
        }
        hits.sort_by(|a, b| {
            b.1.cmp(&a.1).then_with(|| {
                self.entries[b.0]
                    .release_date
                    .cmp(&self.entries[a.0].release_date)
            })
        });
        hits.into_iter().map(|(i, _)| &self.entries[i]).collect()
    }

    /// The OS an installation ISO with this volume id most likely holds.
    pub fn detect_from_volume_id(&self, volume_id: &str, arch: &str) -> Option<&OsEntry> {
        self.detect_candidates(volume_id, arch).into_iter().next()
    }

    /// How many volume-id patterns compile, out of how many (diagnostics, tests; slow:
    /// compiles every pattern).
    pub fn pattern_stats(&self) -> (usize, usize) {
        let all: Vec<&str> = self
            .entries
            .iter()
            .flat_map(|e| e.media.iter().map(|m| m.volume_id.as_str()))
            .collect();
        let ok = all.iter().filter(|p| compile_pattern(p).is_some()).count();
        (ok, all.len())
    }
}
