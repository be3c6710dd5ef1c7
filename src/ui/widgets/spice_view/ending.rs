//! What a SPICE channel event means for the console: the clean end, the errors with the
//! library's reason, and the authentication outcomes (ask first, then refuse).

use gettextrs::gettext;
use spice_client_glib::glib;
use spice_client_glib::{ChannelEvent, ClientError};

use crate::i18n::gettext_f;
use crate::ui::widgets::display::DisplayState;

/// What a channel event of the main, display or inputs channel means for the view:
/// `None` while the session goes on.
pub fn ending(
    event: ChannelEvent,
    error: Option<&glib::Error>,
    had_password: bool,
) -> Option<DisplayState> {
    let detail = error.map(|e| e.message().to_owned());
    let with_detail = |plain: String, fmt: &str| match &detail {
        Some(d) if !d.is_empty() => gettext_f(fmt, &[("reason", d)]),
        _ => plain,
    };
    Some(match event {
        ChannelEvent::None | ChannelEvent::Opened | ChannelEvent::Switching => return None,
        // The server closed the connection in order (e.g. the guest was shut off).
        ChannelEvent::Closed => DisplayState::Disconnected(None),
        ChannelEvent::ErrorAuth => {
            let code = error.and_then(|e| e.kind::<ClientError>());
            let username = matches!(
                code,
                Some(ClientError::AuthNeedsUsername | ClientError::AuthNeedsPasswordAndUsername)
            );
            if had_password {
                DisplayState::AuthFailed(gettext("The guest's display refused the password."))
            } else {
                DisplayState::AuthRequired { username }
            }
        }
        ChannelEvent::ErrorConnect => DisplayState::Disconnected(Some(with_detail(
            gettext("Cannot connect to the guest's display."),
            "Cannot connect to the guest's display: {reason}",
        ))),
        ChannelEvent::ErrorTls => DisplayState::Disconnected(Some(with_detail(
            gettext("The secure (TLS) connection to the guest's display failed."),
            "The secure (TLS) connection to the guest's display failed: {reason}",
        ))),
        ChannelEvent::ErrorLink => DisplayState::Disconnected(Some(gettext(
            "The guest's display server does not speak SPICE as expected (link error).",
        ))),
        ChannelEvent::ErrorIo => DisplayState::Disconnected(Some(with_detail(
            gettext("The connection to the guest's display broke."),
            "The connection to the guest's display broke: {reason}",
        ))),
        _ => DisplayState::Disconnected(Some(gettext(
            "The connection to the guest's display ended unexpectedly.",
        ))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_close_and_running_events() {
        assert_eq!(ending(ChannelEvent::Opened, None, false), None);
        assert_eq!(ending(ChannelEvent::Switching, None, false), None);
        assert_eq!(
            ending(ChannelEvent::Closed, None, false),
            Some(DisplayState::Disconnected(None))
        );
    }

    #[test]
    fn errors_carry_the_library_reason() {
        let e = glib::Error::new(glib::FileError::Failed, "Connection refused");
        match ending(ChannelEvent::ErrorConnect, Some(&e), false) {
            Some(DisplayState::Disconnected(Some(m))) => {
                assert!(m.contains("Connection refused"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        for ev in [
            ChannelEvent::ErrorTls,
            ChannelEvent::ErrorLink,
            ChannelEvent::ErrorIo,
        ] {
            let state = ending(ev, None, false);
            assert!(
                matches!(&state, Some(DisplayState::Disconnected(Some(m))) if !m.is_empty()),
                "{ev:?}: {state:?}"
            );
        }
    }

    #[test]
    fn auth_errors_ask_first_then_fail() {
        let e = glib::Error::new(ClientError::AuthNeedsPassword, "wrong password?");
        assert_eq!(
            ending(ChannelEvent::ErrorAuth, Some(&e), false),
            Some(DisplayState::AuthRequired { username: false })
        );
        let e = glib::Error::new(ClientError::AuthNeedsPasswordAndUsername, "sasl");
        assert_eq!(
            ending(ChannelEvent::ErrorAuth, Some(&e), false),
            Some(DisplayState::AuthRequired { username: true })
        );
        assert!(matches!(
            ending(ChannelEvent::ErrorAuth, Some(&e), true),
            Some(DisplayState::AuthFailed(m)) if !m.is_empty()
        ));
    }
}
