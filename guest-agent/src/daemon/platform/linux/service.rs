//! How the service manager stops the agent: SIGTERM (systemd) or SIGINT (a terminal).

use tokio::signal::unix::{signal, SignalKind};

/// Resolves when the agent is asked to stop; never, if the handlers cannot be installed.
pub async fn stop_requested() {
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
