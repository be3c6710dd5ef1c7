//! Reading alert rules and events from their table rows.

use rusqlite::types::{FromSql, FromSqlError, ValueRef};
use rusqlite::Row;

use super::{AlertEvent, AlertMetric, AlertRule, AlertScope, Comparison, Severity};

pub(super) fn rule_from_row(r: &Row<'_>) -> rusqlite::Result<AlertRule> {
    let uuid: Option<String> = r.get("vm_uuid")?;
    Ok(AlertRule {
        id: r.get("id")?,
        scope: match uuid {
            None => AlertScope::AllVms,
            Some(uuid) => AlertScope::Vm {
                uuid,
                name: r.get("vm_name")?,
            },
        },
        metric: r.get::<_, Key<AlertMetric>>("metric")?.0,
        comparison: r.get::<_, Key<Comparison>>("comparison")?.0,
        threshold: r.get("threshold")?,
        consecutive: r.get("consecutive")?,
        severity: r.get::<_, Key<Severity>>("severity")?.0,
        enabled: r.get("enabled")?,
        name: r.get("name")?,
        description: r.get("description")?,
    })
}

pub(super) fn event_from_row(r: &Row<'_>) -> rusqlite::Result<AlertEvent> {
    Ok(AlertEvent {
        id: r.get("id")?,
        rule_id: r.get("rule_id")?,
        rule_title: r.get("rule_title")?,
        metric: r.get::<_, Key<AlertMetric>>("metric")?.0,
        comparison: r.get::<_, Key<Comparison>>("comparison")?.0,
        threshold: r.get("threshold")?,
        uuid: r.get("vm_uuid")?,
        vm_name: r.get("vm_name")?,
        severity: r.get::<_, Key<Severity>>("severity")?.0,
        fired_at: r.get("fired_at")?,
        cleared_at: r.get("cleared_at")?,
        value: r.get("value")?,
        peak: r.get("peak")?,
    })
}

/// A column holding one of our stable keys ("cpu", "above", "warning"...).
struct Key<T>(T);

trait FromKey: Sized {
    fn from_key(key: &str) -> Option<Self>;
}

impl FromKey for AlertMetric {
    fn from_key(key: &str) -> Option<Self> {
        AlertMetric::from_key(key)
    }
}

impl FromKey for Comparison {
    fn from_key(key: &str) -> Option<Self> {
        Comparison::from_key(key)
    }
}

impl FromKey for Severity {
    fn from_key(key: &str) -> Option<Self> {
        Severity::from_key(key)
    }
}

impl<T: FromKey> FromSql for Key<T> {
    fn column_result(value: ValueRef<'_>) -> Result<Self, FromSqlError> {
        let text = value.as_str()?;
        T::from_key(text)
            .map(Key)
            .ok_or_else(|| FromSqlError::Other(format!("unknown key “{text}”").into()))
    }
}
