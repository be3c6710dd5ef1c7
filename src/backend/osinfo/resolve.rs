//! Reading database directories and resolving inheritance into [`OsEntry`]s.
//!
//! Within one directory, declarations of the same OS id are merged (an OS may span
//! `x.xml` and `x.d/*.xml`); a later directory replaces an OS of an earlier one. Then each
//! OS takes from its parent (`derives-from`, else `upgrades`) whatever it does not state:
//! resource figures for x86_64 (or "all"), the device links it supports (minus those it
//! marks `supported="false"`) and its firmware needs.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::parse::{parse_file, RawOs, RawResources};
use super::{MediaPattern, OsEntry, Resources, UNKNOWN_OS_ID};

/// The architecture whose resource figures the wizard uses.
const ARCH: &str = "x86_64";

pub struct Loaded {
    pub entries: Vec<OsEntry>,
    pub device_names: HashMap<String, String>,
    pub skipped: Vec<(PathBuf, String)>,
}

fn xml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for entry in rd.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => xml_files(&path, out),
            Ok(_) if path.extension().is_some_and(|e| e == "xml") => out.push(path),
            _ => {}
        }
    }
}

pub fn load_dirs(dirs: &[&Path]) -> Loaded {
    let mut raw: HashMap<String, RawOs> = HashMap::new();
    let mut device_names = HashMap::new();
    let mut skipped = Vec::new();
    for dir in dirs {
        let mut files = Vec::new();
        xml_files(&dir.join("os"), &mut files);
        xml_files(&dir.join("device"), &mut files);
        files.sort();
        let mut here: HashMap<String, RawOs> = HashMap::new();
        for path in files {
            let parsed = fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|text| parse_file(&text));
            let file = match parsed {
                Ok(f) => f,
                Err(why) => {
                    skipped.push((path, why));
                    continue;
                }
            };
            for os in file.oses.into_iter().filter(|o| !o.id.is_empty()) {
                match here.get_mut(&os.id) {
                    Some(existing) => existing.merge(os),
                    None => {
                        here.insert(os.id.clone(), os);
                    }
                }
            }
            device_names.extend(file.devices);
        }
        raw.extend(here);
    }
    let mut resolver = Resolver {
        raw: &raw,
        done: HashMap::new(),
    };
    let mut entries: Vec<OsEntry> = raw.keys().map(|id| resolver.entry(id, 0)).collect();
    entries.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    Loaded {
        entries,
        device_names,
        skipped,
    }
}

/// Resolved pieces per id, memoised.
#[derive(Clone, Default)]
struct Inherited {
    minimum: Resources,
    recommended: Resources,
    devices: Vec<String>,
    /// `(efi supported, bios supported)` when stated somewhere in the chain.
    firmware: Option<(bool, bool)>,
}

struct Resolver<'a> {
    raw: &'a HashMap<String, RawOs>,
    done: HashMap<String, Inherited>,
}

/// Deeper chains than this are treated as cycles.
const MAX_DEPTH: usize = 64;

fn pick(own: Option<u64>, parent: Option<u64>) -> Option<u64> {
    own.or(parent)
}

impl Resolver<'_> {
    fn parent_of(os: &RawOs) -> Option<&str> {
        [&os.derives_from, &os.upgrades]
            .into_iter()
            .find(|s| !s.is_empty())
            .map(String::as_str)
    }

    fn inherited(&mut self, id: &str, depth: usize) -> Inherited {
        if let Some(done) = self.done.get(id) {
            return done.clone();
        }
        let Some(os) = self.raw.get(id) else {
            return Inherited::default();
        };
        let parent = match Self::parent_of(os) {
            Some(p) if depth < MAX_DEPTH && p != id => self.inherited(p, depth + 1),
            _ => Inherited::default(),
        };
        let own = |want: &dyn Fn(&RawResources) -> Option<u64>, min: bool| -> Option<u64> {
            // The arch's own block first, then "all"; a block marked inherit states nothing.
            [ARCH, "all"].iter().find_map(|arch| {
                os.resources
                    .iter()
                    .filter(|s| s.arch == *arch && !s.inherit)
                    .find_map(|s| want(if min { &s.minimum } else { &s.recommended }))
            })
        };
        let level = |min: bool, parent: Resources| Resources {
            cpus: pick(
                own(&|r| r.cpus.map(u64::from), min),
                parent.cpus.map(u64::from),
            )
            .and_then(|c| u32::try_from(c).ok()),
            ram_bytes: pick(own(&|r| r.ram, min), parent.ram_bytes),
            storage_bytes: pick(own(&|r| r.storage, min), parent.storage_bytes),
        };
        let minimum = level(true, parent.minimum);
        let mut recommended = level(false, parent.recommended);
        // A recommendation inherited from an older release may be below this one's minimum.
        let at_least = |r: Option<u64>, m: Option<u64>| match (r, m) {
            (Some(r), Some(m)) => Some(r.max(m)),
            (r, m) => r.or(m),
        };
        recommended.ram_bytes = at_least(recommended.ram_bytes, minimum.ram_bytes);
        recommended.storage_bytes = at_least(recommended.storage_bytes, minimum.storage_bytes);
        recommended.cpus = at_least(recommended.cpus.map(u64::from), minimum.cpus.map(u64::from))
            .and_then(|c| u32::try_from(c).ok());

        let mut devices = parent.devices;
        for (dev, supported) in &os.devices {
            devices.retain(|d| d != dev);
            if *supported {
                devices.push(dev.clone());
            }
        }
        devices.sort();
        devices.dedup();

        let fw: Vec<_> = os
            .firmware
            .iter()
            .filter(|(arch, _, _)| arch == ARCH || arch == "all")
            .collect();
        let firmware = if fw.is_empty() {
            parent.firmware
        } else {
            let state = |kind: &str, default: bool| {
                fw.iter()
                    .find(|(_, t, _)| t == kind)
                    .map(|(_, _, s)| *s)
                    .unwrap_or(default)
            };
            Some((state("efi", false), state("bios", true)))
        };
        let out = Inherited {
            minimum,
            recommended,
            devices,
            firmware,
        };
        self.done.insert(id.to_owned(), out.clone());
        out
    }

    fn entry(&mut self, id: &str, depth: usize) -> OsEntry {
        let inh = self.inherited(id, depth);
        let os = &self.raw[id];
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        OsEntry {
            id: os.id.clone(),
            short_id: os.short_ids.first().cloned().unwrap_or_default(),
            short_ids: os.short_ids.clone(),
            name: if os.name.is_empty() {
                os.id.clone()
            } else {
                os.name.clone()
            },
            vendor: os.vendor.clone(),
            family: os.family.clone(),
            distro: os.distro.clone(),
            version: os.version.clone(),
            codename: os.codename.clone(),
            release_date: opt(&os.release_date),
            eol_date: opt(&os.eol_date),
            derives_from: opt(&os.derives_from),
            upgrades: opt(&os.upgrades),
            minimum: inh.minimum,
            recommended: inh.recommended,
            devices: inh.devices,
            requires_uefi: matches!(inh.firmware, Some((true, false))),
            media: os
                .media
                .iter()
                .filter(|m| !m.volume_id.is_empty())
                .map(|m| MediaPattern {
                    arch: m.arch.clone(),
                    volume_id: m.volume_id.clone(),
                })
                .collect(),
        }
    }
}

/// "Unknown" as libosinfo defines it, for a database that lacks it.
pub fn builtin_unknown() -> OsEntry {
    OsEntry {
        id: UNKNOWN_OS_ID.to_owned(),
        short_id: "unknown".into(),
        short_ids: vec!["unknown".into()],
        name: "Unknown".into(),
        vendor: "Libosinfo".into(),
        ..OsEntry::default()
    }
}
