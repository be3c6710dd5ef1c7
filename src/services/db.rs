//! The app's SQLite database: where it lives, how it is opened, and its migrations.
//!
//! Opened in WAL mode with foreign keys on and a busy timeout. The schema version is
//! SQLite's `user_version`; [`MIGRATIONS`] runs every step above it in one transaction, so a
//! crash mid-migration leaves the previous version intact. A database written by a newer
//! release (higher version than we know) is refused rather than damaged.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;

use crate::i18n::gettext_f;
use gettextrs::gettext;

/// Schema steps; index + 1 is the version each one brings the database to.
const MIGRATIONS: &[&str] = &[
    // 1: templates.
    "CREATE TABLE templates (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        description TEXT NOT NULL DEFAULT '',
        os_id TEXT,
        vcpus INTEGER NOT NULL CHECK (vcpus > 0),
        memory_kib INTEGER NOT NULL CHECK (memory_kib > 0),
        disk_bytes INTEGER CHECK (disk_bytes IS NULL OR disk_bytes > 0),
        network_kind TEXT NOT NULL CHECK (network_kind IN ('network', 'bridge', 'none')),
        network_name TEXT NOT NULL DEFAULT '',
        firmware TEXT NOT NULL CHECK (firmware IN ('bios', 'uefi')),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );",
    // 2: metric history (src/services/metrics). One row per subject per collected tick;
    // values as integers (CPU in hundredths of a percent, memory in KiB, rates in bytes/s,
    // NULL when not measured). Rollups keep min/sum/count/max per 5-minute and 1-hour bucket
    // (`t` = bucket start), updated in the same transaction as the raw row. Keys are time
    // first, so a tick appends to the end of each table and dirties a few pages, not one
    // per VM (no foreign keys: they would need an index by subject on every write).
    "CREATE TABLE metric_subjects (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('host', 'vm')),
        uuid TEXT NOT NULL DEFAULT '',
        name TEXT NOT NULL DEFAULT '',
        last_seen INTEGER NOT NULL,
        UNIQUE (kind, uuid)
    );
    CREATE TABLE metric_samples (
        ts INTEGER NOT NULL,
        subject_id INTEGER NOT NULL,
        cpu INTEGER,
        mem_used INTEGER,
        mem_total INTEGER,
        disk_read INTEGER,
        disk_write INTEGER,
        net_rx INTEGER,
        net_tx INTEGER,
        PRIMARY KEY (ts, subject_id)
    ) WITHOUT ROWID;
    CREATE TABLE metric_rollup_5m (
        t INTEGER NOT NULL,
        subject_id INTEGER NOT NULL,
        cpu_min INTEGER, cpu_sum INTEGER NOT NULL DEFAULT 0, cpu_n INTEGER NOT NULL DEFAULT 0, cpu_max INTEGER,
        mem_used_min INTEGER, mem_used_sum INTEGER NOT NULL DEFAULT 0, mem_used_n INTEGER NOT NULL DEFAULT 0, mem_used_max INTEGER,
        mem_total_min INTEGER, mem_total_sum INTEGER NOT NULL DEFAULT 0, mem_total_n INTEGER NOT NULL DEFAULT 0, mem_total_max INTEGER,
        disk_read_min INTEGER, disk_read_sum INTEGER NOT NULL DEFAULT 0, disk_read_n INTEGER NOT NULL DEFAULT 0, disk_read_max INTEGER,
        disk_write_min INTEGER, disk_write_sum INTEGER NOT NULL DEFAULT 0, disk_write_n INTEGER NOT NULL DEFAULT 0, disk_write_max INTEGER,
        net_rx_min INTEGER, net_rx_sum INTEGER NOT NULL DEFAULT 0, net_rx_n INTEGER NOT NULL DEFAULT 0, net_rx_max INTEGER,
        net_tx_min INTEGER, net_tx_sum INTEGER NOT NULL DEFAULT 0, net_tx_n INTEGER NOT NULL DEFAULT 0, net_tx_max INTEGER,
        PRIMARY KEY (t, subject_id)
    ) WITHOUT ROWID;
    CREATE TABLE metric_rollup_1h (
        t INTEGER NOT NULL,
        subject_id INTEGER NOT NULL,
        cpu_min INTEGER, cpu_sum INTEGER NOT NULL DEFAULT 0, cpu_n INTEGER NOT NULL DEFAULT 0, cpu_max INTEGER,
        mem_used_min INTEGER, mem_used_sum INTEGER NOT NULL DEFAULT 0, mem_used_n INTEGER NOT NULL DEFAULT 0, mem_used_max INTEGER,
        mem_total_min INTEGER, mem_total_sum INTEGER NOT NULL DEFAULT 0, mem_total_n INTEGER NOT NULL DEFAULT 0, mem_total_max INTEGER,
        disk_read_min INTEGER, disk_read_sum INTEGER NOT NULL DEFAULT 0, disk_read_n INTEGER NOT NULL DEFAULT 0, disk_read_max INTEGER,
        disk_write_min INTEGER, disk_write_sum INTEGER NOT NULL DEFAULT 0, disk_write_n INTEGER NOT NULL DEFAULT 0, disk_write_max INTEGER,
        net_rx_min INTEGER, net_rx_sum INTEGER NOT NULL DEFAULT 0, net_rx_n INTEGER NOT NULL DEFAULT 0, net_rx_max INTEGER,
        net_tx_min INTEGER, net_tx_sum INTEGER NOT NULL DEFAULT 0, net_tx_n INTEGER NOT NULL DEFAULT 0, net_tx_max INTEGER,
        PRIMARY KEY (t, subject_id)
    ) WITHOUT ROWID;
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value NOT NULL
    ) WITHOUT ROWID;",
    // 3: alerts (rules and the history of the alerts they raised); the metrics history
    // (2) comes before it.
    "CREATE TABLE alert_rules (
        id INTEGER PRIMARY KEY,
        name TEXT,
        description TEXT,
        vm_uuid TEXT,
        vm_name TEXT NOT NULL DEFAULT '',
        metric TEXT NOT NULL CHECK (metric IN ('cpu', 'memory', 'disk_io', 'net_io')),
        comparison TEXT NOT NULL CHECK (comparison IN ('above', 'below')),
        threshold REAL NOT NULL,
        consecutive INTEGER NOT NULL CHECK (consecutive BETWEEN 1 AND 100),
        severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE alert_events (
        id INTEGER PRIMARY KEY,
        rule_id INTEGER REFERENCES alert_rules (id) ON DELETE SET NULL,
        rule_title TEXT NOT NULL,
        metric TEXT NOT NULL,
        comparison TEXT NOT NULL,
        threshold REAL NOT NULL,
        vm_uuid TEXT NOT NULL,
        vm_name TEXT NOT NULL,
        severity TEXT NOT NULL,
        fired_at INTEGER NOT NULL,
        cleared_at INTEGER,
        value REAL NOT NULL,
        peak REAL NOT NULL
    );
    CREATE INDEX alert_events_by_time ON alert_events (fired_at DESC, id DESC);
    CREATE INDEX alert_events_by_rule ON alert_events (rule_id);
    CREATE UNIQUE INDEX alert_events_open ON alert_events (rule_id, vm_uuid)
        WHERE cleared_at IS NULL;",
];

/// Failures of the store, with a sentence a person can act on.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    #[error("{0}")]
    Open(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    File(String),
    #[error("{0}")]
    Sql(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sql(gettext_f(
            "The app’s database failed: {error}",
            &[("error", &describe(&e))],
        ))
    }
}

/// SQLite's reason in words a person can act on, for the failures a user can meet (another
/// program holding the file, a damaged file, a full disk); SQLite's own text otherwise.
fn describe(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::DatabaseBusy | C::DatabaseLocked) => gettext(
            "another program holds the database file locked; it is tried again next time",
        ),
        Some(C::DatabaseCorrupt | C::NotADatabase) => gettext(
            "the file is damaged or is not a KVM Manager database. It was left as it is: move it away or restore a backup, and the app starts a new one",
        ),
        Some(C::DiskFull) => gettext("the disk is full"),
        Some(C::ReadOnly | C::PermissionDenied) => {
            gettext("the file cannot be written (check its permissions)")
        }
        _ => e.to_string(),
    }
}

/// The database file: `$XDG_DATA_HOME/kvm-manager/kvm-manager.db`
/// (`~/.local/share/...` when unset).
pub fn default_path() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("kvm-manager").join("kvm-manager.db")
}

/// One open database. Cheap to share behind an `Arc`; calls serialise on the inner lock.
pub struct Database {
    conn: Mutex<Connection>,
}

impl Database {
    /// Open (creating it and its folder if needed) and migrate.
    pub fn open(path: &Path) -> Result<Database, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| open_error(path, &e.to_string()))?;
        }
        let conn = Connection::open(path).map_err(|e| open_error(path, &describe(&e)))?;
        Self::setup(conn, path)
    }

    /// The database at [`default_path`].
    pub fn open_default() -> Result<Database, StoreError> {
        Self::open(&default_path())
    }

    fn setup(mut conn: Connection, path: &Path) -> Result<Database, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL keeps readers off the writer's back; NORMAL sync is safe with WAL.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| open_error(path, &describe(&e)))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A big transaction (a migration, a rebuild) grows the log; shrink it back after.
        conn.pragma_update(None, "journal_size_limit", 8 * 1024 * 1024)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        migrate(&mut conn).map_err(|e| match e {
            StoreError::Sql(m) => open_error(path, &m),
            other => other,
        })?;
        Ok(Database {
            conn: Mutex::new(conn),
        })
    }

    /// The schema version the file is at.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self
            .lock()
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions
        // roll back on drop), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The database at [`default_path`], opened once per process and shared. A failed open is
/// not remembered, so the next call tries again (after the user fixed permissions, say).
/// Blocks: call it off the main thread.
pub fn shared() -> Result<Arc<Database>, StoreError> {
    static SHARED: Mutex<Option<Arc<Database>>> = Mutex::new(None);
    let mut slot = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(db) = slot.as_ref() {
        return Ok(db.clone());
    }
    let db = Arc::new(Database::open_default()?);
    *slot = Some(db.clone());
    Ok(db)
}

fn open_error(path: &Path, why: &str) -> StoreError {
    StoreError::Open(gettext_f(
        "Cannot open the app’s database “{path}”: {error}",
        &[("path", &path.display().to_string()), ("error", why)],
    ))
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as u32;
    if current > known {
        return Err(StoreError::Open(gettext_f(
            "The database was written by a newer version of KVM Manager (schema {found}, this version knows {known}). Update the app to use it.",
            &[("found", &current.to_string()), ("known", &known.to_string())],
        )));
    }
    if current == known {
        return Ok(());
    }
    let tx = conn.transaction()?;
    for (i, step) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", (i + 1) as u32)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_migrates_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/app.db");
        let db = Database::open(&path).unwrap();
        assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len() as u32);
        let mode: String = db
            .lock()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(db);
        // Reopening an up-to-date file runs no step again (a second CREATE TABLE would fail).
        let db = Database::open(&path).unwrap();
        assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len() as u32);
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "user_version", 999).unwrap();
        }
        let err = Database::open(&path).err().expect("must refuse");
        assert!(err.to_string().contains("newer version"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        std::fs::write(&path, vec![b'x'; 4096]).unwrap();
        let err = Database::open(&path).err().expect("must refuse");
        assert!(matches!(err, StoreError::Open(_)), "{err:?}");
        assert!(err.to_string().contains("app.db"), "{err}");
    }
}
