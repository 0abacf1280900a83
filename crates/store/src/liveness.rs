//! Which process writes a running turn, and whether that process still
//! exists, so that a turn left `running` by a killed duet can be marked
//! `interrupted` without touching turns that another duet is running now.
//!
//! On Linux a writer is `<boot id> <pid> <start time in ticks>`: a pid is
//! reused, but not with the same start time in the same boot. Elsewhere
//! there is no cheap, safe way to ask, so the writer is unknown (`None`)
//! and such turns stay `running` (shown as such) rather than risk marking a
//! live turn interrupted.

/// This process as a turn's writer.
pub(crate) fn current_writer() -> Option<String> {
    imp::current_writer()
}

/// Whether the process `writer` names is gone. An unknown or unparsable
/// writer is never declared gone.
pub(crate) fn writer_is_gone(writer: &str) -> bool {
    imp::writer_is_gone(writer)
}

#[cfg(target_os = "linux")]
mod imp {
    pub(super) fn current_writer() -> Option<String> {
        let boot = boot_id()?;
        let pid = std::process::id();
        let start = start_time(pid)?;
        Some(format!("{boot} {pid} {start}"))
    }

    pub(super) fn writer_is_gone(writer: &str) -> bool {
        let mut parts = writer.split(' ');
        let (Some(boot), Some(pid), Some(start), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            return false;
        };
        let Some(current_boot) = boot_id() else {
            return false;
        };
        if boot != current_boot {
            return true;
        }
        match process_stat(pid) {
            None => true,
            Some((state, started)) => state == 'Z' || state == 'X' || started != start,
        }
    }

    fn boot_id() -> Option<String> {
        let text = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
        Some(text.trim().to_string())
    }

    fn start_time(pid: u32) -> Option<String> {
        process_stat(pid).map(|(_, start)| start)
    }

    /// The state letter and start time of `pid` from `/proc/<pid>/stat`.
    /// The command name (field 2) may hold spaces and parentheses, so the
    /// fields are counted from the last `)`.
    fn process_stat(pid: u32) -> Option<(char, String)> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after_name = &stat[stat.rfind(')')? + 1..];
        let mut fields = after_name.split_whitespace();
        let state = fields.next()?.chars().next()?;
        // Field 3 is the state; the start time is field 22.
        let start = fields.nth(22 - 4)?;
        Some((state, start.to_string()))
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub(super) fn current_writer() -> Option<String> {
        None
    }

    pub(super) fn writer_is_gone(_writer: &str) -> bool {
        false
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn this_process_is_alive_and_a_dead_one_is_gone() {
        let me = current_writer().expect("linux has /proc");
        assert_eq!(writer_is_gone(&me), false);
        let parts: Vec<&str> = me.split(' ').collect();
        // Same pid, another start time: a reused pid.
        assert_eq!(
            writer_is_gone(&format!("{} {} 1", parts[0], parts[1])),
            true
        );
        // Another boot.
        assert_eq!(
            writer_is_gone(&format!("other-boot {} {}", parts[1], parts[2])),
            true
        );
        // Garbage is never declared gone.
        assert_eq!(writer_is_gone("nonsense"), false);
    }
}
