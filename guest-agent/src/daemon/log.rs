//! One line per event on stderr, with a syslog priority prefix (`<6>`) that journald
//! reads. Calls are logged with id, method, a short detail (program or path: never file
//! contents, arguments or output), outcome and duration.

use std::io::Write;
use std::time::Duration;

fn line(priority: u8, text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "<{priority}>kvm-guest-agent: {text}");
}

pub fn info(text: &str) {
    line(6, text);
}

pub fn warn(text: &str) {
    line(4, text);
}

pub fn error(text: &str) {
    line(3, text);
}

/// The audit line of one call. `outcome` is `ok` or the error code and message.
pub fn call(id: &str, method: &str, detail: &str, outcome: &str, took: Duration) {
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(" detail={detail:?}")
    };
    info(&format!(
        "call id={id} method={method}{detail} outcome={outcome} duration_ms={}",
        took.as_millis()
    ));
}
