//! Human-readable values: sizes, counts and state names, all translated.

use crate::backend::{VmAction, VmState};
use crate::i18n::{gettext_f, ngettext_f};

pub use crate::i18n::{bytes, kib};

pub fn vcpus(n: u32) -> String {
    ngettext_f("{n} vCPU", "{n} vCPUs", n, &[("n", &n.to_string())])
}

/// Symbolic icon for a state (from the Adwaita icon theme).
pub fn state_icon(state: VmState) -> &'static str {
    match state {
        VmState::Running => "media-playback-start-symbolic",
        VmState::Paused => "media-playback-pause-symbolic",
        VmState::Saved => "document-save-symbolic",
        VmState::ShutOff => "system-shutdown-symbolic",
        VmState::Crashed => "dialog-error-symbolic",
        VmState::PmSuspended => "weather-clear-night-symbolic",
        VmState::ShuttingDown => "content-loading-symbolic",
        VmState::Blocked => "action-unavailable-symbolic",
        VmState::Unknown => "dialog-question-symbolic",
    }
}

pub fn action_icon(action: VmAction) -> &'static str {
    match action {
        VmAction::Start => "media-playback-start-symbolic",
        VmAction::Shutdown => "system-shutdown-symbolic",
        VmAction::Reboot => "view-refresh-symbolic",
        VmAction::Pause => "media-playback-pause-symbolic",
        VmAction::Resume => "media-playback-start-symbolic",
        VmAction::ForceOff => "process-stop-symbolic",
        VmAction::Save => "document-save-symbolic",
    }
}

/// The toast after an action succeeded.
pub fn action_done(action: VmAction, name: &str) -> String {
    let args = [("name", name)];
    match action {
        VmAction::Start => gettext_f("“{name}” started", &args),
        VmAction::Shutdown => gettext_f("“{name}” is shutting down", &args),
        VmAction::Reboot => gettext_f("“{name}” is rebooting", &args),
        VmAction::Pause => gettext_f("“{name}” paused", &args),
        VmAction::Resume => gettext_f("“{name}” resumed", &args),
        VmAction::ForceOff => gettext_f("“{name}” was forced off", &args),
        VmAction::Save => gettext_f("“{name}” saved to disk", &args),
    }
}

/// The toast after an action failed (the error detail follows).
pub fn action_failed(action: VmAction, name: &str) -> String {
    let args = [("name", name)];
    match action {
        VmAction::Start => gettext_f("Could not start “{name}”", &args),
        VmAction::Shutdown => gettext_f("Could not shut down “{name}”", &args),
        VmAction::Reboot => gettext_f("Could not reboot “{name}”", &args),
        VmAction::Pause => gettext_f("Could not pause “{name}”", &args),
        VmAction::Resume => gettext_f("Could not resume “{name}”", &args),
        VmAction::ForceOff => gettext_f("Could not force off “{name}”", &args),
        VmAction::Save => gettext_f("Could not save “{name}”", &args),
    }
}

const STATE_CLASSES: [&str; 4] = ["state-on", "state-paused", "state-off", "state-error"];

/// CSS class colouring the state icon (style.css).
fn state_class(state: VmState) -> &'static str {
    match state {
        VmState::Running | VmState::Blocked | VmState::ShuttingDown => "state-on",
        VmState::Paused | VmState::PmSuspended | VmState::Saved => "state-paused",
        VmState::Crashed => "state-error",
        VmState::ShutOff | VmState::Unknown => "state-off",
    }
}

/// Colour a state icon by its state (replacing the previous state's class).
pub fn set_state_class(widget: &impl gtk::prelude::IsA<gtk::Widget>, state: VmState) {
    use gtk::prelude::WidgetExt;
    let widget = widget.as_ref();
    for class in STATE_CLASSES {
        widget.remove_css_class(class);
    }
    widget.add_css_class(state_class(state));
}

/// A readable name from a libosinfo id: "http://debian.org/debian/12" -> "Debian 12".
pub fn os_name(id: &str) -> String {
    let path = id.split("://").nth(1).unwrap_or(id);
    let mut parts = path.split('/').skip(1).filter(|s| !s.is_empty());
    let distro = parts.next().unwrap_or(path);
    let version: Vec<&str> = parts.collect();
    let mut name = String::new();
    let mut chars = distro.chars();
    if let Some(first) = chars.next() {
        name.extend(first.to_uppercase());
        name.push_str(chars.as_str());
    }
    for v in version {
        name.push(' ');
        name.push_str(v);
    }
    name
}

/// A percentage for a figure that changes every second: "7 %", "42 %", "0.4 %".
pub fn percent(value: f64) -> String {
    let text = if value > 0.0 && value < 1.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    };
    gettext_f("{value} %", &[("value", &text)])
}

/// A moment for a list of events, in local time and the locale's date order.
pub fn date_time(unix_secs: i64) -> String {
    gtk::glib::DateTime::from_unix_local(unix_secs)
        .and_then(|dt| dt.format("%x %H:%M"))
        .map(|s| s.to_string())
        .unwrap_or_else(|_| unix_secs.to_string())
}

/// The icon of an alert's or suggestion's severity, with its name as tooltip and for
/// screen readers.
pub fn severity_icon(severity: crate::services::alerts::Severity) -> gtk::Image {
    use crate::services::alerts::Severity;
    use gtk::prelude::WidgetExt;
    let icon = gtk::Image::from_icon_name(match severity {
        Severity::Info => "dialog-information-symbolic",
        Severity::Warning => "dialog-warning-symbolic",
        Severity::Critical => "dialog-error-symbolic",
    });
    icon.set_tooltip_text(Some(&severity.label()));
    crate::ui::a11y::set_label(&icon, &severity.label());
    icon
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_pick_a_readable_unit() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1 KiB");
        assert_eq!(bytes(1536 * 1024 * 1024), "1.5 GiB");
        assert_eq!(kib(4 * 1024 * 1024), "4 GiB");
        assert_eq!(kib(524_288), "512 MiB");
        assert_eq!(bytes((1 << 40) - 4096), "1 TiB");
        assert_eq!(bytes(1023), "1023 B");
    }

    #[test]
    fn counts_use_plural_forms() {
        assert_eq!(vcpus(1), "1 vCPU");
        assert_eq!(vcpus(4), "4 vCPUs");
    }

    #[test]
    fn os_ids_become_names() {
        assert_eq!(os_name("http://debian.org/debian/12"), "Debian 12");
        assert_eq!(os_name("http://fedoraproject.org/fedora/39"), "Fedora 39");
        assert_eq!(os_name("http://microsoft.com/win/11"), "Win 11");
        assert_eq!(os_name("weird"), "Weird");
    }
}
