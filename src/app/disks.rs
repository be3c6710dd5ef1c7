//! Disk requests from the details page: the worker's answer becomes a toast, the open
//! page (and its attach dialog) learn the outcome, and the page reads the machine again.

use relm4::prelude::*;

use super::{App, AppMsg};
use crate::backend::hotplug::DiskEvent;
use crate::backend::Applied;
use crate::ui::pages::vm_details::VmDetailsMsg;

impl App {
    pub(super) fn on_disk_event(&mut self, event: DiskEvent, sender: &ComponentSender<Self>) {
        let DiskEvent::Done {
            uuid,
            message,
            result,
        } = event;
        let outcome = match &result {
            Ok(Applied::Now) => {
                self.chrome.toast(&message, false);
                Ok(())
            }
            Ok(Applied::NextBoot { reason } | Applied::NowAndNextBoot { reason }) => {
                self.chrome.toast(&format!("{message}: {reason}"), true);
                Ok(())
            }
            Err(e) => {
                let text = format!("{message}: {e}");
                log::warn!("{text}");
                self.chrome.toast(&text, true);
                Err(e.to_string())
            }
        };
        self.details
            .emit(VmDetailsMsg::DiskDone(uuid.clone(), outcome));
        if result.is_ok() {
            sender.input(AppMsg::ReloadDetails(uuid));
        }
    }
}
