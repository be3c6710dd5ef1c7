//! `shutdown` and `reboot`: after a short delay (so the reply gets out), run the
//! configured command, or with none configured `sync` and `reboot(2)`.

use crate::daemon::log;
use std::time::Duration;

pub fn schedule(command: Vec<String>, reboot: bool, delay: Duration) {
    let what = if reboot { "reboot" } else { "shutdown" };
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let Some((program, args)) = command.split_first() else {
            log::info(&format!("{what}: reboot(2)"));
            // SAFETY: sync and reboot take no pointers; reboot needs CAP_SYS_BOOT.
            unsafe {
                libc::sync();
                let cmd = if reboot {
                    libc::RB_AUTOBOOT
                } else {
                    libc::RB_POWER_OFF
                };
                if libc::reboot(cmd) != 0 {
                    log::error(&format!("{what}: {}", std::io::Error::last_os_error()));
                }
            }
            return;
        };
        log::info(&format!("{what}: running {program}"));
        match tokio::process::Command::new(program)
            .args(args)
            .status()
            .await
        {
            Ok(status) if status.success() => {}
            Ok(status) => log::error(&format!("{what}: {program} ended with {status}")),
            Err(e) => log::error(&format!("{what}: {program}: {e}")),
        }
    });
}
