//! The agent daemon: configuration, the connection loop, method dispatch, file transfers,
//! and the operating-system specifics under [`platform`] (only Linux today; a Windows
//! port adds a sibling module with the same functions).

pub mod config;
pub mod dispatch;
pub mod files;
pub mod log;
pub mod platform;
pub mod server;

use config::Settings;
use files::Transfers;

/// What every request handler shares.
pub struct State {
    pub settings: Settings,
    pub transfers: Transfers,
}

impl State {
    pub fn new(settings: Settings) -> Self {
        State {
            settings,
            transfers: Transfers::default(),
        }
    }
}
