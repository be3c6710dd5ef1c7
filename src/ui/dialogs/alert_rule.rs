//! The alert-rule dialog: create or edit a rule (which machines, metric, above or below a
//! threshold, for how many samples in a row, how severe), from the Alerts page or a VM's
//! Performance view. The rule is checked by the service's own validation, saved off the
//! main thread, and the dialog closes only once it is stored; a refusal shows inline.

use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib};

use crate::i18n::gettext_f;
use crate::services::alerts::{
    AlertMetric, AlertRule, AlertScope, AlertStore, Comparison, Severity,
};
use crate::services::db;
use crate::ui::dialogs::form::{self, FormDialog};

const METRICS: [AlertMetric; 4] = [
    AlertMetric::Cpu,
    AlertMetric::Memory,
    AlertMetric::DiskIo,
    AlertMetric::NetIo,
];
const SEVERITIES: [Severity; 3] = [Severity::Info, Severity::Warning, Severity::Critical];
/// Rate units offered for disk and network thresholds, in bytes per second.
const RATE_UNITS: [(&str, f64); 3] = [
    ("KiB/s", 1024.0),
    ("MiB/s", 1024.0 * 1024.0),
    ("GiB/s", 1024.0 * 1024.0 * 1024.0),
];

/// What the dialog edits and offers.
pub struct RuleDialog {
    /// The rule to edit; `None` makes a new one.
    pub rule: Option<AlertRule>,
    /// For a new rule: the machine it starts on (from a VM's page).
    pub machine: Option<(String, String)>,
    /// Every machine of the host (uuid, name), for "Applies to".
    pub machines: Vec<(String, String)>,
}

/// A number as people type it ("90", "2.5", "2,5").
fn number(text: &str) -> Option<f64> {
    let t = text.trim().replace(',', ".");
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A threshold in the largest rate unit that shows it as a whole-ish number.
fn rate_in_units(bytes_per_sec: f64) -> (String, u32) {
    let index = RATE_UNITS
        .iter()
        .rposition(|(_, f)| bytes_per_sec >= *f && bytes_per_sec % f == 0.0)
        .unwrap_or(1);
    let value = bytes_per_sec / RATE_UNITS[index].1;
    (trim_number(value), index as u32)
}

fn trim_number(v: f64) -> String {
    let text = format!("{v:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Open the dialog; `on_saved` gets the stored rule.
pub fn open(parent: &gtk::Window, what: RuleDialog, on_saved: impl Fn(AlertRule) + 'static) {
    let editing = what.rule.is_some();
    let (title, accept) = if editing {
        (gettext("Edit Alert Rule"), gettext("Save"))
    } else {
        (gettext("New Alert Rule"), gettext("Create"))
    };
    let form = FormDialog::new(parent, &title, &accept);
    let base = what.rule.clone().unwrap_or_else(|| {
        let scope = match &what.machine {
            Some((uuid, name)) => AlertScope::Vm {
                uuid: uuid.clone(),
                name: name.clone(),
            },
            None => AlertScope::AllVms,
        };
        AlertRule::new(
            scope,
            AlertMetric::Cpu,
            Comparison::Above,
            90.0,
            3,
            Severity::Warning,
        )
    });

    // "Applies to": all machines, then each machine; a rule's machine that is gone stays.
    let mut machines = what.machines.clone();
    if let AlertScope::Vm { uuid, name } = &base.scope {
        if !machines.iter().any(|(u, _)| u == uuid) {
            machines.push((uuid.clone(), name.clone()));
        }
    }
    machines.sort_by_key(|m| m.1.to_lowercase());
    let mut scope_items = vec![gettext("All machines")];
    scope_items.extend(machines.iter().map(|(_, n)| n.clone()));
    let scope_index = match &base.scope {
        AlertScope::AllVms => 0,
        AlertScope::Vm { uuid, .. } => machines
            .iter()
            .position(|(u, _)| u == uuid)
            .map_or(0, |i| i + 1),
    };

    let condition = form.group(&gettext("Condition"), None);
    let scope = form.choice(
        &condition,
        &gettext("Applies to"),
        &scope_items,
        scope_index as u32,
    );
    let metric_items: Vec<String> = METRICS.iter().map(|m| m.label()).collect();
    let metric_index = METRICS.iter().position(|m| *m == base.metric).unwrap_or(0);
    let metric = form.choice(
        &condition,
        &gettext("Metric"),
        &metric_items,
        metric_index as u32,
    );
    let comparison = form.choice(
        &condition,
        &gettext("Alert when the value is"),
        &[
            gettext("Above the threshold"),
            gettext("Below the threshold"),
        ],
        u32::from(base.comparison == Comparison::Below),
    );
    let (threshold_text, unit_index) = if base.metric.is_percent() {
        (trim_number(base.threshold), 1)
    } else {
        rate_in_units(base.threshold)
    };
    let threshold = form.entry(&condition, &gettext("Threshold"), &threshold_text);
    let unit_items: Vec<String> = RATE_UNITS.iter().map(|(u, _)| (*u).to_owned()).collect();
    let unit = form.choice(&condition, &gettext("Unit"), &unit_items, unit_index);
    let samples = form.entry(
        &condition,
        &gettext("Samples in a row"),
        &base.consecutive.to_string(),
    );
    samples.set_tooltip_text(Some(&gettext(
        "How many collected samples in a row must cross the threshold before the alert fires, and be back before it clears",
    )));

    let alert = form.group(&gettext("Alert"), None);
    let severity_items: Vec<String> = SEVERITIES.iter().map(|s| s.label()).collect();
    let severity_index = SEVERITIES
        .iter()
        .position(|s| *s == base.severity)
        .unwrap_or(1);
    let severity = form.choice(
        &alert,
        &gettext("Severity"),
        &severity_items,
        severity_index as u32,
    );
    let name = form.entry(
        &alert,
        &gettext("Name (optional)"),
        base.name.as_deref().unwrap_or(""),
    );
    let (_, enabled) = form.switch(
        &alert,
        &gettext("Enabled"),
        &gettext("A disabled rule is kept but never fires"),
        base.enabled,
    );

    // The threshold's unit follows the metric: a percentage, or a rate with a unit.
    let show_unit = {
        let (unit, threshold) = (unit.clone(), threshold.clone());
        move |m: AlertMetric| {
            unit.set_visible(!m.is_percent());
            threshold.set_title(&if m.is_percent() {
                gettext("Threshold (%)")
            } else {
                gettext("Threshold")
            });
        }
    };
    show_unit(base.metric);
    metric.connect_selected_notify(move |row| {
        show_unit(METRICS[row.selected() as usize % METRICS.len()]);
    });

    let on_saved: Rc<dyn Fn(AlertRule)> = Rc::new(on_saved);
    let me = form.clone();
    let focus = threshold.clone();
    form.on_accept(move || {
        let chosen_metric = METRICS[metric.selected() as usize % METRICS.len()];
        let mut value = number(&threshold.text()).ok_or_else(|| {
            gettext_f(
                "“{text}” is not a number. Enter the threshold as a number, like 90 or 2.5.",
                &[("text", &form::text(&threshold))],
            )
        })?;
        if !chosen_metric.is_percent() {
            value *= RATE_UNITS[unit.selected() as usize % RATE_UNITS.len()].1;
        }
        let consecutive = form::text(&samples).parse::<u32>().map_err(|_| {
            gettext("Enter how many samples in a row as a whole number from 1 to 100.")
        })?;
        let mut rule = base.clone();
        rule.scope = match scope.selected() as usize {
            0 => AlertScope::AllVms,
            i => {
                let (uuid, name) = machines[(i - 1).min(machines.len() - 1)].clone();
                AlertScope::Vm { uuid, name }
            }
        };
        rule.metric = chosen_metric;
        rule.comparison = if comparison.selected() == 1 {
            Comparison::Below
        } else {
            Comparison::Above
        };
        rule.threshold = value;
        rule.consecutive = consecutive;
        rule.severity = SEVERITIES[severity.selected() as usize % SEVERITIES.len()];
        rule.enabled = enabled.is_active();
        let typed = form::text(&name);
        rule.name = (!typed.is_empty()).then_some(typed);
        rule.validate().map_err(|e| e.to_string())?;
        let (me, on_saved) = (me.clone(), on_saved.clone());
        glib::spawn_future_local(async move {
            let saved = gio::spawn_blocking(move || {
                let store = AlertStore::new(db::shared()?);
                if rule.id == 0 {
                    store.create(&rule)
                } else {
                    store.update(&rule)
                }
            })
            .await;
            match saved {
                Ok(Ok(rule)) => {
                    me.finish(Ok(()));
                    on_saved(rule);
                }
                Ok(Err(e)) => me.finish(Err(e.to_string())),
                Err(_) => me.finish(Err(gettext("Saving the rule failed unexpectedly."))),
            }
        });
        Ok(())
    });
    form.present(Some(&focus));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_people_type_them() {
        assert_eq!(number(" 90 "), Some(90.0));
        assert_eq!(number("2,5"), Some(2.5));
        assert_eq!(number("ninety"), None);
        assert_eq!(number("NaN"), None);
        assert_eq!(number("inf"), None);
    }

    #[test]
    fn thresholds_shown_in_a_fitting_unit() {
        assert_eq!(rate_in_units(10.0 * 1024.0 * 1024.0), ("10".into(), 1));
        assert_eq!(rate_in_units(512.0 * 1024.0), ("512".into(), 0));
        assert_eq!(
            rate_in_units(2.0 * 1024.0 * 1024.0 * 1024.0),
            ("2".into(), 2)
        );
        assert_eq!(rate_in_units(1536.0 * 1024.0), ("1536".into(), 0));
    }
}
