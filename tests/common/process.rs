//! Process checks for the interrupt tests: is a pid still running, send it
//! a signal, wait for a condition with a bound.
//!
//! The two `libc` calls are the only `unsafe` of the tests; each is
//! commented.

use std::time::{Duration, Instant};

/// Whether a process with this pid is still running: `kill(pid, 0)` does
/// not fail with ESRCH, and it is not a zombie waiting for a parent that
/// does not reap (a container's PID 1 may never reap orphans).
pub fn process_alive(pid: i32) -> bool {
    // SAFETY: signal 0 sends nothing; it only asks whether the pid exists.
    #[allow(unsafe_code)]
    let result = unsafe { libc::kill(pid, 0) };
    if result != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH) {
        return false;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The state is the first field after the parenthesised command name.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    state != Some("Z")
}

/// Send `signal` to the process `pid` alone (not its group).
pub fn send_signal(pid: i32, signal: i32) {
    // SAFETY: kill(2) with a pid we started and a valid signal number has
    // no memory effects in this process.
    #[allow(unsafe_code)]
    let result = unsafe { libc::kill(pid, signal) };
    assert_eq!(
        result,
        0,
        "kill({pid}, {signal}): {}",
        std::io::Error::last_os_error()
    );
}

/// Poll `condition` every 10 ms until it holds or `limit` passes; whether it held.
pub fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    loop {
        if condition() {
            return true;
        }
        if started.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
