//! Alert rules and alert events in the app's database.
//!
//! An event is one alert: which rule raised it on which VM, when it fired and cleared
//! (`cleared_at` is NULL while it is open), the value that fired it and the worst value seen.
//! Events copy what they need to be read on their own (the rule's title, metric, condition,
//! severity, the VM's name), so deleting a rule keeps its history readable: the event's
//! `rule_id` becomes NULL. Deleting or disabling a rule, or changing what it measures,
//! closes its open alerts in the same transaction, so the database never holds an open
//! alert nobody will close. Closing times are never before firing times, even if the
//! clock went backwards.

use std::sync::Arc;

use gettextrs::gettext;
use rusqlite::{params, Connection, OptionalExtension};

use super::rows::{event_from_row, rule_from_row};
use super::{AlertChange, AlertMetric, AlertRule, AlertScope, Comparison, Severity};
use crate::services::db::{Database, StoreError};

/// One alert, open or closed.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEvent {
    pub id: i64,
    /// The rule that raised it; `None` once that rule is deleted.
    pub rule_id: Option<i64>,
    /// The rule's title when the alert fired.
    pub rule_title: String,
    pub metric: AlertMetric,
    pub comparison: Comparison,
    pub threshold: f64,
    pub uuid: String,
    pub vm_name: String,
    pub severity: Severity,
    /// Unix seconds.
    pub fired_at: i64,
    /// `None` while the alert is open.
    pub cleared_at: Option<i64>,
    /// The value that fired it.
    pub value: f64,
    /// The worst value seen while it was open (highest for "above", lowest for "below").
    pub peak: f64,
}

impl AlertEvent {
    pub fn is_open(&self) -> bool {
        self.cleared_at.is_none()
    }
}

/// Rules and events, on the shared database. Calls block: run them off the main thread.
#[derive(Clone)]
pub struct AlertStore {
    db: Arc<Database>,
}

const RULE_COLUMNS: &str = "id, name, description, vm_uuid, vm_name, metric, comparison, \
                            threshold, consecutive, severity, enabled";
const EVENT_COLUMNS: &str = "id, rule_id, rule_title, metric, comparison, threshold, vm_uuid, \
                             vm_name, severity, fired_at, cleared_at, value, peak";

fn gone() -> StoreError {
    StoreError::NotFound(gettext("That alert rule no longer exists."))
}

impl AlertStore {
    pub fn new(db: Arc<Database>) -> AlertStore {
        AlertStore { db }
    }

    /// Every rule, oldest first.
    pub fn rules(&self) -> Result<Vec<AlertRule>, StoreError> {
        let conn = self.db.lock();
        let mut stmt = conn.prepare(&format!(
            "SELECT {RULE_COLUMNS} FROM alert_rules ORDER BY id"
        ))?;
        let rows = stmt.query_map([], rule_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The rules that watch VM `uuid`: its own and those for all VMs.
    pub fn rules_for_vm(&self, uuid: &str) -> Result<Vec<AlertRule>, StoreError> {
        let mut rules = self.rules()?;
        rules.retain(|r| r.scope.applies_to(uuid));
        Ok(rules)
    }

    pub fn rule(&self, id: i64) -> Result<AlertRule, StoreError> {
        read_rule(&self.db.lock(), id)
    }

    /// Store a new rule (its `id` is ignored); returns it as stored, with its id.
    pub fn create(&self, rule: &AlertRule) -> Result<AlertRule, StoreError> {
        rule.validate()?;
        let r = rule.normalised();
        let (uuid, vm_name) = scope_columns(&r.scope);
        let conn = self.db.lock();
        conn.execute(
            "INSERT INTO alert_rules (name, description, vm_uuid, vm_name, metric, comparison,
                 threshold, consecutive, severity, enabled, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
            params![
                r.name,
                r.description,
                uuid,
                vm_name,
                r.metric.key(),
                r.comparison.key(),
                r.threshold,
                r.consecutive,
                r.severity.key(),
                r.enabled,
                now(),
            ],
        )?;
        read_rule(&conn, conn.last_insert_rowid())
    }

    /// Replace a stored rule's fields (by `rule.id`). Alerts it has open close when it now
    /// measures something else, no longer covers their VM, or is disabled.
    pub fn update(&self, rule: &AlertRule) -> Result<AlertRule, StoreError> {
        rule.validate()?;
        let r = rule.normalised();
        let (uuid, vm_name) = scope_columns(&r.scope);
        let mut conn = self.db.lock();
        let tx = conn.transaction()?;
        let old = read_rule(&tx, r.id)?;
        let t = now();
        if !r.enabled || old.measures_differently(&r) {
            close_rule_events(&tx, r.id, None, t)?;
        } else if let AlertScope::Vm { uuid, .. } = &r.scope {
            close_rule_events(&tx, r.id, Some(uuid.as_str()), t)?;
        }
        tx.execute(
            "UPDATE alert_rules SET name = ?2, description = ?3, vm_uuid = ?4, vm_name = ?5,
                 metric = ?6, comparison = ?7, threshold = ?8, consecutive = ?9,
                 severity = ?10, enabled = ?11, updated_at = ?12
             WHERE id = ?1",
            params![
                r.id,
                r.name,
                r.description,
                uuid,
                vm_name,
                r.metric.key(),
                r.comparison.key(),
                r.threshold,
                r.consecutive,
                r.severity.key(),
                r.enabled,
                t,
            ],
        )?;
        let stored = read_rule(&tx, r.id)?;
        tx.commit()?;
        Ok(stored)
    }

    /// Turn a rule on or off; turning it off closes its open alerts.
    pub fn set_enabled(&self, id: i64, enabled: bool) -> Result<AlertRule, StoreError> {
        let mut conn = self.db.lock();
        let tx = conn.transaction()?;
        let t = now();
        if tx.execute(
            "UPDATE alert_rules SET enabled = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, enabled, t],
        )? == 0
        {
            return Err(gone());
        }
        if !enabled {
            close_rule_events(&tx, id, None, t)?;
        }
        let stored = read_rule(&tx, id)?;
        tx.commit()?;
        Ok(stored)
    }

    /// Delete a rule. Its open alerts close; its history stays (without the rule id).
    pub fn delete(&self, id: i64) -> Result<(), StoreError> {
        let mut conn = self.db.lock();
        let tx = conn.transaction()?;
        close_rule_events(&tx, id, None, now())?;
        if tx.execute("DELETE FROM alert_rules WHERE id = ?1", [id])? == 0 {
            return Err(gone());
        }
        tx.commit()?;
        Ok(())
    }

    /// The latest `limit` alerts, open and closed, newest first.
    pub fn history(&self, limit: usize) -> Result<Vec<AlertEvent>, StoreError> {
        let conn = self.db.lock();
        let mut stmt = conn.prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM alert_events ORDER BY fired_at DESC, id DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit.min(i64::MAX as usize) as i64], event_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The alerts open now, oldest first.
    pub fn active(&self) -> Result<Vec<AlertEvent>, StoreError> {
        let conn = self.db.lock();
        let mut stmt = conn.prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM alert_events WHERE cleared_at IS NULL
             ORDER BY fired_at, id"
        ))?;
        let rows = stmt.query_map([], event_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Forget closed alerts; open ones stay. Returns how many were removed.
    pub fn clear_history(&self) -> Result<usize, StoreError> {
        Ok(self
            .db
            .lock()
            .execute("DELETE FROM alert_events WHERE cleared_at IS NOT NULL", [])?)
    }

    /// Record what an evaluation changed, in one transaction: open an event per fired
    /// alert (not a second one if it is open already, and none for a rule deleted
    /// meanwhile), raise peaks, close cleared alerts.
    pub fn apply(&self, changes: &[AlertChange]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut conn = self.db.lock();
        let tx = conn.transaction()?;
        for change in changes {
            apply_one(&tx, change)?;
        }
        tx.commit()?;
        Ok(())
    }
}

fn apply_one(tx: &Connection, change: &AlertChange) -> Result<(), StoreError> {
    match change {
        AlertChange::Fired {
            rule_id,
            rule_title,
            metric,
            comparison,
            threshold,
            uuid,
            name,
            value,
            peak,
            severity,
            at,
            ..
        } => {
            let exists = tx
                .query_row("SELECT 1 FROM alert_rules WHERE id = ?1", [rule_id], |_| {
                    Ok(())
                })
                .optional()?
                .is_some();
            if exists {
                tx.execute(
                    "INSERT INTO alert_events (rule_id, rule_title, metric, comparison,
                         threshold, vm_uuid, vm_name, severity, fired_at, value, peak)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                     ON CONFLICT DO NOTHING",
                    params![
                        rule_id,
                        rule_title,
                        metric.key(),
                        comparison.key(),
                        threshold,
                        uuid,
                        name,
                        severity.key(),
                        at,
                        value,
                        peak,
                    ],
                )?;
            }
        }
        AlertChange::Peak {
            rule_id,
            uuid,
            peak,
        } => {
            tx.execute(
                "UPDATE alert_events SET peak = ?3
                 WHERE rule_id = ?1 AND vm_uuid = ?2 AND cleared_at IS NULL",
                params![rule_id, uuid, peak],
            )?;
        }
        AlertChange::Cleared {
            rule_id,
            uuid,
            name,
            peak,
            at,
            ..
        } => {
            tx.execute(
                "UPDATE alert_events SET cleared_at = MAX(?3, fired_at), peak = ?4,
                     vm_name = ?5
                 WHERE rule_id = ?1 AND vm_uuid = ?2 AND cleared_at IS NULL",
                params![rule_id, uuid, at, peak, name],
            )?;
        }
    }
    Ok(())
}

/// Close the open alerts of rule `id`: all of them, or those not on VM `keep`.
fn close_rule_events(
    conn: &Connection,
    id: i64,
    keep: Option<&str>,
    at: i64,
) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "UPDATE alert_events SET cleared_at = MAX(?2, fired_at)
         WHERE rule_id = ?1 AND cleared_at IS NULL AND (?3 IS NULL OR vm_uuid <> ?3)",
        params![id, at, keep],
    )?)
}

fn read_rule(conn: &Connection, id: i64) -> Result<AlertRule, StoreError> {
    conn.query_row(
        &format!("SELECT {RULE_COLUMNS} FROM alert_rules WHERE id = ?1"),
        [id],
        rule_from_row,
    )
    .optional()?
    .ok_or_else(gone)
}

fn scope_columns(scope: &AlertScope) -> (Option<&str>, &str) {
    match scope {
        AlertScope::AllVms => (None, ""),
        AlertScope::Vm { uuid, name } => (Some(uuid), name),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
