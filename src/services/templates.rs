//! VM templates: a named machine configuration (OS, resources, disk size, network,
//! firmware) to create new machines from. Stored in the app's database; exported to and
//! imported from a JSON file so they can move between machines.
//!
//! A template holds no disk contents and no host-specific identity (UUID, MACs): it is
//! what the creation wizard would otherwise ask for.

use std::path::Path;

use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::db::{Database, StoreError};
use crate::backend::VmDetails;
use crate::i18n::gettext_f;
use gettextrs::gettext;

/// The `format` field of an export file.
pub const EXPORT_FORMAT: &str = "kvm-manager-templates";
/// The export version this release writes and the newest it reads.
pub const EXPORT_VERSION: u32 = 1;
/// Largest export file read (a template is a few hundred bytes).
const MAX_IMPORT_BYTES: u64 = 4 * 1024 * 1024;

/// Where a new machine's network card goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum TemplateNetwork {
    /// A libvirt virtual network, by name.
    Network(String),
    /// A host bridge, by interface name.
    Bridge(String),
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateFirmware {
    Bios,
    Uefi,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// Database row id; `None` before it is stored. Not exported.
    #[serde(skip)]
    pub id: Option<i64>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// libosinfo OS id, e.g. `http://debian.org/debian/12`.
    #[serde(default)]
    pub os_id: Option<String>,
    pub vcpus: u32,
    pub memory_kib: u64,
    /// Size of the new disk; `None` for a machine without one.
    #[serde(default)]
    pub disk_bytes: Option<u64>,
    pub network: TemplateNetwork,
    pub firmware: TemplateFirmware,
    /// Unix seconds. Not exported.
    #[serde(skip)]
    pub created_at: i64,
    #[serde(skip)]
    pub updated_at: i64,
}

impl Template {
    /// A template from an existing machine's configuration (the "Save as template" action).
    /// The disk size is the first disk's capacity when libvirt knows it.
    pub fn from_details(name: &str, d: &VmDetails) -> Template {
        let network = match d.nics.first() {
            Some(n) if n.kind == "network" => TemplateNetwork::Network(n.source.clone()),
            Some(n) if n.kind == "bridge" => TemplateNetwork::Bridge(n.source.clone()),
            _ => TemplateNetwork::None,
        };
        let disk_bytes = d
            .disks
            .iter()
            .find(|k| k.device == "disk")
            .and_then(|k| k.capacity_bytes);
        Template {
            id: None,
            name: name.trim().to_owned(),
            description: d.description.clone(),
            os_id: d.os_id.clone(),
            vcpus: d.vcpus.max(1),
            memory_kib: d.memory_kib.max(1),
            disk_bytes,
            network,
            firmware: if d.firmware == "UEFI" {
                TemplateFirmware::Uefi
            } else {
                TemplateFirmware::Bios
            },
            created_at: 0,
            updated_at: 0,
        }
    }

    /// Check what the database constraints would refuse, with a sentence for the user.
    pub fn validate(&self) -> Result<(), StoreError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid(gettext("A template needs a name.")));
        }
        if name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(StoreError::Invalid(gettext(
                "A template name has at most 64 characters and no control characters.",
            )));
        }
        if self.vcpus == 0 || self.vcpus > 4096 {
            return Err(StoreError::Invalid(gettext(
                "A template needs between 1 and 4096 virtual CPUs.",
            )));
        }
        if self.memory_kib < 1024 {
            return Err(StoreError::Invalid(gettext(
                "A template needs at least 1 MiB of memory.",
            )));
        }
        if self.disk_bytes == Some(0) {
            return Err(StoreError::Invalid(gettext(
                "A template’s disk must be larger than 0 bytes.",
            )));
        }
        match &self.network {
            TemplateNetwork::Network(n) | TemplateNetwork::Bridge(n) if n.trim().is_empty() => Err(
                StoreError::Invalid(gettext("A template’s network needs a name.")),
            ),
            _ => Ok(()),
        }
    }

    fn network_columns(&self) -> (&'static str, &str) {
        match &self.network {
            TemplateNetwork::Network(n) => ("network", n),
            TemplateNetwork::Bridge(n) => ("bridge", n),
            TemplateNetwork::None => ("none", ""),
        }
    }

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Template> {
        let kind: String = r.get("network_kind")?;
        let net_name: String = r.get("network_name")?;
        let firmware: String = r.get("firmware")?;
        Ok(Template {
            id: Some(r.get("id")?),
            name: r.get("name")?,
            description: r.get("description")?,
            os_id: r.get("os_id")?,
            vcpus: r.get("vcpus")?,
            memory_kib: r.get::<_, i64>("memory_kib")? as u64,
            disk_bytes: r.get::<_, Option<i64>>("disk_bytes")?.map(|b| b as u64),
            network: match kind.as_str() {
                "network" => TemplateNetwork::Network(net_name),
                "bridge" => TemplateNetwork::Bridge(net_name),
                _ => TemplateNetwork::None,
            },
            firmware: if firmware == "uefi" {
                TemplateFirmware::Uefi
            } else {
                TemplateFirmware::Bios
            },
            created_at: r.get("created_at")?,
            updated_at: r.get("updated_at")?,
        })
    }
}

/// The JSON document of an export file.
#[derive(Debug, Serialize, Deserialize)]
struct ExportFile {
    format: String,
    version: u32,
    templates: Vec<Template>,
}

/// What an import did: names added as they were, and names changed to avoid a clash.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub added: Vec<String>,
    /// (name in the file, name stored).
    pub renamed: Vec<(String, String)>,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn duplicate(name: &str) -> StoreError {
    StoreError::Conflict(gettext_f(
        "A template named “{name}” already exists. Choose another name.",
        &[("name", name)],
    ))
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

const COLUMNS: &str = "id, name, description, os_id, vcpus, memory_kib, disk_bytes, \
                       network_kind, network_name, firmware, created_at, updated_at";

impl Database {
    /// Every template, by name.
    pub fn templates(&self) -> Result<Vec<Template>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM templates ORDER BY name COLLATE NOCASE"
        ))?;
        let rows = stmt.query_map([], Template::from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn template(&self, id: i64) -> Result<Template, StoreError> {
        self.lock()
            .query_row(
                &format!("SELECT {COLUMNS} FROM templates WHERE id = ?1"),
                [id],
                Template::from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(gettext("That template no longer exists.")))
    }

    /// Store a new template; returns it with its id and times.
    pub fn add_template(&self, t: &Template) -> Result<Template, StoreError> {
        t.validate()?;
        let conn = self.lock();
        let res = insert(&conn, t, t.name.trim());
        match res {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(duplicate(t.name.trim())),
            Err(e) => return Err(e.into()),
        }
        let id = conn.last_insert_rowid();
        drop(conn);
        self.template(id)
    }

    /// Replace a stored template's fields (by `t.id`).
    pub fn update_template(&self, t: &Template) -> Result<Template, StoreError> {
        t.validate()?;
        let id =
            t.id.ok_or_else(|| StoreError::NotFound(gettext("That template no longer exists.")))?;
        let conn = self.lock();
        let (kind, net) = t.network_columns();
        let res = conn.execute(
            "UPDATE templates SET name = ?2, description = ?3, os_id = ?4, vcpus = ?5,
                 memory_kib = ?6, disk_bytes = ?7, network_kind = ?8, network_name = ?9,
                 firmware = ?10, updated_at = ?11
             WHERE id = ?1",
            params![
                id,
                t.name.trim(),
                t.description,
                t.os_id,
                t.vcpus,
                t.memory_kib as i64,
                t.disk_bytes.map(|b| b as i64),
                kind,
                net,
                firmware_key(t.firmware),
                now(),
            ],
        );
        match res {
            Ok(0) => {
                return Err(StoreError::NotFound(gettext(
                    "That template no longer exists.",
                )))
            }
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(duplicate(t.name.trim())),
            Err(e) => return Err(e.into()),
        }
        drop(conn);
        self.template(id)
    }

    pub fn delete_template(&self, id: i64) -> Result<(), StoreError> {
        match self
            .lock()
            .execute("DELETE FROM templates WHERE id = ?1", [id])?
        {
            0 => Err(StoreError::NotFound(gettext(
                "That template no longer exists.",
            ))),
            _ => Ok(()),
        }
    }

    /// Write `templates` (all when empty is not wanted: pass what to export) to a JSON file.
    pub fn export_templates(&self, templates: &[Template], path: &Path) -> Result<(), StoreError> {
        let doc = ExportFile {
            format: EXPORT_FORMAT.into(),
            version: EXPORT_VERSION,
            templates: templates.to_vec(),
        };
        let text =
            serde_json::to_string_pretty(&doc).map_err(|e| StoreError::File(e.to_string()))?;
        // Write beside the target and rename, so a failed write never leaves half a file.
        let tmp = path.with_extension("json.part");
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                file_error(path, &e.to_string())
            })
    }

    /// Read an export file and store its templates, all or none. A name that exists
    /// already gets a number added (“Web server 2”).
    pub fn import_templates(&self, path: &Path) -> Result<ImportReport, StoreError> {
        let doc = read_export(path)?;
        for t in &doc.templates {
            t.validate().map_err(|e| {
                StoreError::Invalid(gettext_f(
                    "“{path}” has a template that cannot be used (“{name}”): {error}",
                    &[
                        ("path", &path.display().to_string()),
                        ("name", &t.name),
                        ("error", &e.to_string()),
                    ],
                ))
            })?;
        }
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let mut report = ImportReport::default();
        for t in &doc.templates {
            let wanted = t.name.trim().to_owned();
            let mut name = wanted.clone();
            let mut n = 2;
            while tx
                .query_row("SELECT 1 FROM templates WHERE name = ?1", [&name], |_| {
                    Ok(())
                })
                .optional()?
                .is_some()
            {
                name = format!("{wanted} {n}");
                n += 1;
            }
            insert(&tx, t, &name)?;
            if name == wanted {
                report.added.push(name);
            } else {
                report.renamed.push((wanted, name));
            }
        }
        tx.commit()?;
        Ok(report)
    }
}

/// Store `t` under `name` (its own, or the one an import chose), stamped now.
fn insert(conn: &rusqlite::Connection, t: &Template, name: &str) -> rusqlite::Result<usize> {
    let (kind, net) = t.network_columns();
    conn.execute(
        "INSERT INTO templates (name, description, os_id, vcpus, memory_kib, disk_bytes,
             network_kind, network_name, firmware, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            name,
            t.description,
            t.os_id,
            t.vcpus,
            t.memory_kib as i64,
            t.disk_bytes.map(|b| b as i64),
            kind,
            net,
            firmware_key(t.firmware),
            now(),
        ],
    )
}

fn firmware_key(f: TemplateFirmware) -> &'static str {
    match f {
        TemplateFirmware::Bios => "bios",
        TemplateFirmware::Uefi => "uefi",
    }
}

fn file_error(path: &Path, why: &str) -> StoreError {
    StoreError::File(gettext_f(
        "Cannot write “{path}”: {error}",
        &[("path", &path.display().to_string()), ("error", why)],
    ))
}

fn read_export(path: &Path) -> Result<ExportFile, StoreError> {
    let shown = path.display().to_string();
    let unreadable = |why: String| {
        StoreError::File(gettext_f(
            "Cannot read “{path}”: {error}",
            &[("path", &shown), ("error", &why)],
        ))
    };
    let meta = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
    if meta.len() > MAX_IMPORT_BYTES {
        return Err(unreadable(gettext(
            "the file is too large to be a template export",
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    let not_ours = || {
        StoreError::Invalid(gettext_f(
            "“{path}” is not a KVM Manager template file.",
            &[("path", &shown)],
        ))
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        StoreError::Invalid(gettext_f(
            "“{path}” is not valid JSON (line {line}, column {column}).",
            &[
                ("path", &shown),
                ("line", &e.line().to_string()),
                ("column", &e.column().to_string()),
            ],
        ))
    })?;
    if value.get("format").and_then(|f| f.as_str()) != Some(EXPORT_FORMAT) {
        return Err(not_ours());
    }
    let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
    if version > EXPORT_VERSION as u64 {
        return Err(StoreError::Invalid(gettext_f(
            "“{path}” was written by a newer version of KVM Manager. Update the app to import it.",
            &[("path", &shown)],
        )));
    }
    serde_json::from_value(value).map_err(|e| {
        StoreError::Invalid(gettext_f(
            "“{path}” has a damaged template: {error}",
            &[("path", &shown), ("error", &e.to_string())],
        ))
    })
}
