//! The History group of Preferences: sample interval, days kept, clean-up hour, and the
//! database's size and place. Values are read when the window opens and each change is
//! saved at once (off the main thread); a refusal shows as a toast and the row goes back.

use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib};

use crate::i18n::{gettext_f, ngettext_f};
use crate::services::db::{self, StoreError};
use crate::services::metrics::settings::{MetricsSettings, RETENTION_DAYS};
use crate::services::metrics::store::MetricsStore;
use crate::ui::format;

/// A change the app must act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryChange {
    /// Samples are now stored every this many seconds.
    Interval(u32),
    /// Fewer days are kept: clean up now.
    Retention,
}

/// Intervals offered, in seconds.
const INTERVALS: [u32; 6] = [10, 30, 60, 120, 300, 900];

fn interval_label(secs: u32) -> String {
    if secs < 60 {
        ngettext_f(
            "Every {n} second",
            "Every {n} seconds",
            secs,
            &[("n", &secs.to_string())],
        )
    } else {
        let minutes = secs / 60;
        ngettext_f(
            "Every {n} minute",
            "Every {n} minutes",
            minutes,
            &[("n", &minutes.to_string())],
        )
    }
}

fn store() -> Result<MetricsStore, StoreError> {
    Ok(MetricsStore::new(db::shared()?))
}

/// Run `f` on the store off the main thread, then `done` with its result on it.
fn with_store<T: Send + 'static>(
    f: impl FnOnce(&MetricsStore) -> Result<T, StoreError> + Send + 'static,
    done: impl FnOnce(Result<T, String>) + 'static,
) {
    glib::spawn_future_local(async move {
        let result = gio::spawn_blocking(move || store().and_then(|s| f(&s)))
            .await
            .unwrap_or_else(|_| Err(StoreError::Sql(gettext("The database call failed."))));
        done(result.map_err(|e| e.to_string()));
    });
}

pub fn group(
    window: &adw::PreferencesWindow,
    on_change: impl Fn(HistoryChange) + 'static,
) -> adw::PreferencesGroup {
    let on_change: Rc<dyn Fn(HistoryChange)> = Rc::new(on_change);
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Metric History"))
        .description(gettext(
            "While KVM Manager runs it stores every machine’s CPU, memory, disk and network use, for charts, alerts and insights.",
        ))
        .sensitive(false)
        .build();
    let labels: Vec<String> = INTERVALS.iter().map(|s| interval_label(*s)).collect();
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let interval = adw::ComboRow::builder()
        .title(gettext("Store a sample"))
        .model(&gtk::StringList::new(&refs))
        .build();
    let days = gtk::SpinButton::with_range(
        f64::from(*RETENTION_DAYS.start()),
        f64::from(*RETENTION_DAYS.end()),
        1.0,
    );
    days.set_valign(gtk::Align::Center);
    days.set_numeric(true);
    let days_row = adw::ActionRow::builder()
        .title(gettext("Days of history kept"))
        .subtitle(gettext("Older samples are deleted"))
        .activatable_widget(&days)
        .build();
    days_row.add_suffix(&days);
    crate::ui::a11y::set_label(&days, &gettext("Days of history kept"));
    let hours: Vec<String> = (0..24).map(|h| format!("{h:02}:00")).collect();
    let refs: Vec<&str> = hours.iter().map(String::as_str).collect();
    let hour = adw::ComboRow::builder()
        .title(gettext("Daily clean-up at"))
        .model(&gtk::StringList::new(&refs))
        .build();
    let size = adw::ActionRow::builder()
        .title(gettext("Database size"))
        .subtitle(gettext("Reading…"))
        .build();
    group.add(&interval);
    group.add(&days_row);
    group.add(&hour);
    group.add(&size);

    // Fill in, then listen (so filling in saves nothing).
    {
        let (group, interval, days, hour, size, window) = (
            group.clone(),
            interval.clone(),
            days.clone(),
            hour.clone(),
            size.clone(),
            window.clone(),
        );
        with_store(
            |s| Ok((s.settings()?, s.db_size_bytes()?)),
            move |result: Result<(MetricsSettings, u64), String>| match result {
                Ok((settings, bytes)) => {
                    let index = INTERVALS
                        .iter()
                        .position(|s| *s >= settings.collection_interval_secs)
                        .unwrap_or(1);
                    interval.set_selected(index as u32);
                    days.set_value(f64::from(settings.retention_days));
                    hour.set_selected(settings.cleanup_hour);
                    size.set_subtitle(&gettext_f(
                        "{size} in {path}",
                        &[
                            ("size", &format::bytes(bytes)),
                            ("path", &db::default_path().display().to_string()),
                        ],
                    ));
                    group.set_sensitive(true);
                    connect(&window, &interval, &days, &hour, on_change, settings);
                }
                Err(message) => {
                    size.set_subtitle(&gettext("Not available"));
                    group.set_description(Some(&gettext_f(
                        "History is off: {error}",
                        &[("error", &message)],
                    )));
                }
            },
        );
    }
    group
}

fn connect(
    window: &adw::PreferencesWindow,
    interval: &adw::ComboRow,
    days: &gtk::SpinButton,
    hour: &adw::ComboRow,
    on_change: Rc<dyn Fn(HistoryChange)>,
    current: MetricsSettings,
) {
    let refused = {
        let window = window.clone();
        move |message: String| window.add_toast(adw::Toast::new(&message))
    };
    {
        let (refused, on_change) = (refused.clone(), on_change.clone());
        interval.connect_selected_notify(move |row| {
            let secs = INTERVALS[row.selected() as usize % INTERVALS.len()];
            let (refused, on_change) = (refused.clone(), on_change.clone());
            with_store(
                move |s| s.set_collection_interval_secs(secs),
                move |r| match r {
                    Ok(()) => on_change(HistoryChange::Interval(secs)),
                    Err(m) => refused(m),
                },
            );
        });
    }
    {
        let (refused, on_change) = (refused.clone(), on_change.clone());
        let kept = Rc::new(std::cell::Cell::new(current.retention_days));
        days.connect_value_changed(move |spin| {
            let value = spin.value_as_int().max(0) as u32;
            let lowered = value < kept.get();
            let (refused, on_change, kept, spin) = (
                refused.clone(),
                on_change.clone(),
                kept.clone(),
                spin.clone(),
            );
            with_store(
                move |s| s.set_retention_days(value),
                move |r| match r {
                    Ok(()) => {
                        kept.set(value);
                        if lowered {
                            on_change(HistoryChange::Retention);
                        }
                    }
                    Err(m) => {
                        refused(m);
                        spin.set_value(f64::from(kept.get()));
                    }
                },
            );
        });
    }
    hour.connect_selected_notify(move |row| {
        let h = row.selected();
        let refused = refused.clone();
        with_store(
            move |s| s.set_cleanup_hour(h),
            move |r| {
                if let Err(m) = r {
                    refused(m);
                }
            },
        );
    });
}
