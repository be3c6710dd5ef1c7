//! Human-readable values: sizes, counts and state names, all translated.

use crate::backend::{VmAction, VmState};
use crate::i18n::{gettext_f, ngettext_f};

/// Bytes as "1.5 GiB" (binary units, one decimal above KiB).
pub fn bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    // 1023.97 GiB shows as "1 TiB", not "1024.0 GiB": compare what will be printed.
    while (value * 10.0).round() >= 10240.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let number = if unit == 0 || value.fract() < 0.05 || value.fract() >= 0.95 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    };
    // Translators: a size, e.g. "1.5 GiB"; {number} is the value, {unit} the binary unit.
    gettext_f(
        "{number} {unit}",
        &[("number", &number), ("unit", UNITS[unit])],
    )
}

pub fn kib(kib: u64) -> String {
    bytes(kib.saturating_mul(1024))
}

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
