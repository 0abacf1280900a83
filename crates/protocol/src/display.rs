//! Small text forms of protocol values shared by the front ends (the exec
//! transcript and the TUI), so both say the same thing the same way.

use std::time::Duration;

/// `0ms`, `850ms`, `4.2s`, `3m 05s`.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        format!("{millis}ms")
    } else if millis < 60_000 {
        format!("{:.1}s", duration.as_secs_f64())
    } else {
        let secs = duration.as_secs();
        format!("{}m {:02}s", secs / 60, secs % 60)
    }
}
