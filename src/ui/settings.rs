//! GSettings access. The schema is installed by meson; a cargo build run in place uses
//! the copy build.rs compiled. Without either, the app still runs on defaults.

use gtk::gio;
use gtk::gio::prelude::*;

use crate::config;

/// Colour scheme preference, as stored in the `color-scheme` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorScheme {
    Default,
    Light,
    Dark,
}

impl ColorScheme {
    pub const ALL: [ColorScheme; 3] = [ColorScheme::Default, ColorScheme::Light, ColorScheme::Dark];

    pub fn key(self) -> &'static str {
        match self {
            ColorScheme::Default => "default",
            ColorScheme::Light => "force-light",
            ColorScheme::Dark => "force-dark",
        }
    }

    pub fn from_key(key: &str) -> ColorScheme {
        match key {
            "force-light" => ColorScheme::Light,
            "force-dark" => ColorScheme::Dark,
            _ => ColorScheme::Default,
        }
    }

    pub fn apply(self) {
        let scheme = match self {
            ColorScheme::Default => adw::ColorScheme::Default,
            ColorScheme::Light => adw::ColorScheme::ForceLight,
            ColorScheme::Dark => adw::ColorScheme::ForceDark,
        };
        adw::StyleManager::default().set_color_scheme(scheme);
    }
}

/// The app's settings, or `None` when no schema can be found (logged once).
pub fn settings() -> Option<gio::Settings> {
    thread_local! {
        static SETTINGS: Option<gio::Settings> = load();
    }
    SETTINGS.with(|s| s.clone())
}

fn load() -> Option<gio::Settings> {
    // One schema for both profiles: the Devel build shares the release build's keys.
    let id = config::APP_ID.trim_end_matches(".Devel");
    let installed = gio::SettingsSchemaSource::default().and_then(|s| s.lookup(id, true));
    let schema = installed.or_else(|| {
        let dir = config::DEV_SCHEMA_DIR?;
        let parent = gio::SettingsSchemaSource::default();
        let source = gio::SettingsSchemaSource::from_directory(dir, parent.as_ref(), false).ok()?;
        source.lookup(id, false)
    });
    match schema {
        Some(schema) => Some(gio::Settings::new_full(
            &schema,
            None::<&gio::SettingsBackend>,
            None,
        )),
        None => {
            log::warn!("GSettings schema {id} not found: preferences will not be kept");
            None
        }
    }
}

/// The settings, if their schema has `key` (an older installed schema may lack a new
/// key, and GSettings aborts on unknown keys).
fn with_key(key: &str) -> Option<gio::Settings> {
    settings().filter(|s| {
        s.settings_schema()
            .is_some_and(|schema| schema.has_key(key))
    })
}

pub fn string(key: &str) -> Option<String> {
    with_key(key).map(|s| s.string(key).to_string())
}

pub fn set_string(key: &str, value: &str) {
    if let Some(s) = with_key(key) {
        if let Err(e) = s.set_string(key, value) {
            log::warn!("could not store {key}: {e}");
        }
    }
}
