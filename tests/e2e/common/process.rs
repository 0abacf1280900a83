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

/// Run `command` to its end; its exit code and peak resident memory in KiB
/// (`ru_maxrss` of `wait4`), for tests that bound memory, not time.
pub fn run_measuring_peak_rss(command: &mut std::process::Command) -> (Option<i32>, u64) {
    let child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the command starts");
    let pid = i32::try_from(child.id()).expect("a pid fits i32");
    let mut status = 0;
    // SAFETY: `rusage` is plain data that wait4 fills in; `status` is a
    // valid local. The child is ours and not yet reaped (std's `Child`
    // has not waited on it, and is forgotten below so it never will).
    #[allow(unsafe_code)]
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        let reaped = libc::wait4(pid, &mut status, 0, &mut usage);
        assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
        usage
    };
    std::mem::forget(child);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, u64::try_from(usage.ru_maxrss).unwrap_or(0))
}
