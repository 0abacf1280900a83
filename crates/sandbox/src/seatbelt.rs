//! macOS confinement: a Seatbelt (`sandbox-exec`) profile generated from a
//! [`SandboxPolicy`].
//!
//! [`seatbelt_profile`] is a pure function: it takes writable roots that are
//! already canonical (on macOS `/tmp` is `/private/tmp`, `/var` is
//! `/private/var`, and Seatbelt matches resolved paths) and returns the
//! profile text plus the `-D` parameters that carry every path. Paths are
//! never spliced into the text, so a directory name cannot change the meaning
//! of the profile. [`seatbelt_command_spec`] wraps a command in
//! `/usr/bin/sandbox-exec`; only the macOS spawn path resolves the roots
//! ([`SandboxPolicy::resolved_writable_roots`]) and calls both.
//!
//! This module is not a general SBPL writer and does not decide which roots
//! are writable: it takes them from the policy, and keeps `.git`, `.duet`
//! and `.agents` directly under each one read-only.

use crate::policy::PROTECTED_FOLDERS;
use crate::{CommandSpec, SandboxPolicy};
use std::fmt::Write as _;
use std::path::PathBuf;

/// The only `sandbox-exec` duet trusts: a binary found on `PATH` could be
/// anyone's.
pub const SANDBOX_EXEC: &str = "/usr/bin/sandbox-exec";

/// A Seatbelt profile and the values of the parameters it refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatbeltProfile {
    /// SBPL source for `sandbox-exec -p`.
    pub text: String,
    /// `(name, path)` pairs passed as `-Dname=path`, in the order the profile
    /// mentions them.
    pub params: Vec<(String, PathBuf)>,
}

/// The Seatbelt profile enforcing `policy`, with writes allowed only under
/// `writable_roots` (already canonical, see the module docs).
///
/// `writable_roots` is ignored for `read-only`. `danger-full-access` yields a
/// profile that allows everything; callers normally skip `sandbox-exec`
/// altogether for it.
pub fn seatbelt_profile(policy: &SandboxPolicy, writable_roots: &[PathBuf]) -> SeatbeltProfile {
    let (roots, network) = match policy {
        SandboxPolicy::DangerFullAccess => {
            return SeatbeltProfile {
                text: "(version 1)\n(allow default)\n".to_string(),
                params: Vec::new(),
            };
        }
        SandboxPolicy::ReadOnly => (&[][..], false),
        SandboxPolicy::WorkspaceWrite { network_access, .. } => (writable_roots, *network_access),
    };

    let mut text = String::from(BASE_PROFILE);
    let mut params = Vec::new();
    for (root_idx, root) in roots.iter().enumerate() {
        let root_param = format!("WRITABLE_ROOT_{root_idx}");
        params.push((root_param.clone(), root.clone()));
        let _ = write!(
            text,
            "\n; writable root {root_idx}, except its protected folders\n\
             (allow file-write*\n  (require-all\n    (subpath (param \"{root_param}\"))"
        );
        for (folder_idx, folder) in PROTECTED_FOLDERS.iter().enumerate() {
            let folder_param = format!("{root_param}_PROTECTED_{folder_idx}");
            let _ = write!(
                text,
                "\n    (require-not (subpath (param \"{folder_param}\")))"
            );
            params.push((folder_param, root.join(folder)));
        }
        text.push_str("))\n");
    }
    text.push_str(if network { NETWORK_ON } else { NETWORK_OFF });
    SeatbeltProfile { text, params }
}

/// `spec` rewritten to run under `sandbox-exec` with `profile`: the same cwd,
/// stdin and environment plus `DUET_SANDBOX=seatbelt` and, when the network
/// is off, `DUET_SANDBOX_NETWORK_DISABLED=1`.
pub fn seatbelt_command_spec(
    spec: &CommandSpec,
    profile: &SeatbeltProfile,
    network_disabled: bool,
) -> CommandSpec {
    let mut args = vec!["-p".to_string(), profile.text.clone()];
    args.extend(
        profile
            .params
            .iter()
            .map(|(name, path)| format!("-D{name}={}", path.display())),
    );
    args.push("--".to_string());
    args.push(spec.program.display().to_string());
    args.extend(spec.args.iter().cloned());

    let mut env = spec.env.clone();
    env.insert("DUET_SANDBOX".to_string(), "seatbelt".to_string());
    if network_disabled {
        env.insert("DUET_SANDBOX_NETWORK_DISABLED".to_string(), "1".to_string());
    } else {
        env.remove("DUET_SANDBOX_NETWORK_DISABLED");
    }
    CommandSpec {
        program: PathBuf::from(SANDBOX_EXEC),
        args,
        cwd: spec.cwd.clone(),
        env,
        stdin: spec.stdin,
    }
}

/// Resolve the roots on this host (through symlinks, as Seatbelt sees
/// paths) and wrap `spec` for `sandbox-exec`.
#[cfg(target_os = "macos")]
pub(crate) fn sandboxed_spec(spec: &CommandSpec, policy: &SandboxPolicy) -> CommandSpec {
    let tmpdir = spec.env.get("TMPDIR").map(std::path::Path::new);
    let roots: Vec<PathBuf> = policy
        .resolved_writable_roots(tmpdir)
        .into_iter()
        .map(|root| root.path)
        .collect();
    let profile = seatbelt_profile(policy, &roots);
    seatbelt_command_spec(spec, &profile, policy.network_disabled())
}

/// Everything every confined command gets: deny by default, run and signal
/// its own processes, read any file, the terminal and null devices, and the
/// few system services and kernel values a shell, `git` and compilers ask
/// for on start.
const BASE_PROFILE: &str = r#"(version 1)
; generated by duet from its sandbox policy; paths arrive as -D parameters
(deny default)

; processes: start programs, fork, and touch only processes of this sandbox
(allow process-exec process-fork)
(allow signal (target same-sandbox))
(allow process-info* (target same-sandbox))

; reading and mapping files is never restricted
(allow file-read*)
(allow file-map-executable)

; devices every shell writes to, and its own descriptors by name
(allow file-write-data file-ioctl
  (literal "/dev/null")
  (literal "/dev/zero")
  (literal "/dev/tty")
  (literal "/dev/stdout")
  (literal "/dev/stderr")
  (regex #"^/dev/fd/[0-9]+$"))

; pseudo-terminals for interactive commands
(allow pseudo-tty)
(allow file-read* file-write* file-ioctl
  (literal "/dev/ptmx")
  (regex #"^/dev/ttys[0-9]+$"))

; kernel values read by libc, shells, git and compilers
(allow sysctl-read
  (sysctl-name "hw.activecpu")
  (sysctl-name "hw.byteorder")
  (sysctl-name "hw.cachelinesize")
  (sysctl-name "hw.cpufamily")
  (sysctl-name "hw.cputype")
  (sysctl-name "hw.cpusubtype")
  (sysctl-name "hw.logicalcpu")
  (sysctl-name "hw.logicalcpu_max")
  (sysctl-name "hw.machine")
  (sysctl-name "hw.memsize")
  (sysctl-name "hw.ncpu")
  (sysctl-name "hw.pagesize")
  (sysctl-name "hw.physicalcpu")
  (sysctl-name "hw.physicalcpu_max")
  (sysctl-name-prefix "hw.optional.")
  (sysctl-name-prefix "hw.perflevel")
  (sysctl-name "kern.argmax")
  (sysctl-name "kern.hostname")
  (sysctl-name "kern.maxfilesperproc")
  (sysctl-name "kern.ngroups")
  (sysctl-name "kern.osproductversion")
  (sysctl-name "kern.osrelease")
  (sysctl-name "kern.ostype")
  (sysctl-name "kern.osversion")
  (sysctl-name "kern.version")
  (sysctl-name "kern.usrstack64")
  (sysctl-name "machdep.cpu.brand_string")
  (sysctl-name "sysctl.proc_cputype")
  (sysctl-name-prefix "kern.proc.pid."))

; user and group lookups, preferences, notifications, semaphores
(allow mach-lookup
  (global-name "com.apple.system.opendirectoryd.libinfo")
  (global-name "com.apple.system.notification_center")
  (global-name "com.apple.cfprefsd.daemon")
  (global-name "com.apple.cfprefsd.agent"))
(allow user-preference-read)
(allow ipc-posix-sem)
"#;

/// Network off adds nothing: `(deny default)` already refuses every socket
/// operation.
const NETWORK_OFF: &str = "\n; network: off (denied by default)\n";

/// Network on: any connection in or out, plus the services name resolution
/// and certificate checks go through.
const NETWORK_ON: &str = r#"
; network: on
(allow network-outbound)
(allow network-inbound)
(allow system-socket)
(allow mach-lookup
  (global-name "com.apple.dnssd.service")
  (global-name "com.apple.SystemConfiguration.configd")
  (global-name "com.apple.SystemConfiguration.DNSConfiguration")
  (global-name "com.apple.trustd")
  (global-name "com.apple.trustd.agent"))
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StdinMode;
    use pretty_assertions::assert_eq;
    use std::collections::HashMap;

    fn workspace_write(network_access: bool) -> SandboxPolicy {
        SandboxPolicy::WorkspaceWrite {
            writable_roots: Vec::new(),
            network_access,
            exclude_tmpdir_env_var: false,
            exclude_slash_tmp: false,
        }
    }

    /// The profile and its parameters as one reviewable text, after checking
    /// that its parentheses balance.
    fn render(profile: &SeatbeltProfile) -> String {
        assert_eq!(unbalanced_parentheses(&profile.text), 0, "{}", profile.text);
        let mut out = String::from("-- params --\n");
        for (name, path) in &profile.params {
            let _ = writeln!(out, "{name}={}", path.display());
        }
        out.push_str("-- profile --\n");
        out.push_str(&profile.text);
        out
    }

    /// Open minus close parentheses outside comments and string literals;
    /// panics if a close comes before its open.
    fn unbalanced_parentheses(text: &str) -> i32 {
        let mut depth = 0;
        for line in text.lines() {
            let mut in_string = false;
            for c in line.chars() {
                match c {
                    '"' => in_string = !in_string,
                    ';' if !in_string => break,
                    '(' if !in_string => depth += 1,
                    ')' if !in_string => {
                        depth -= 1;
                        assert!(depth >= 0, "a `)` closes nothing in: {line}");
                    }
                    _ => {}
                }
            }
        }
        depth
    }

    fn roots(paths: &[&str]) -> Vec<PathBuf> {
        paths.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn read_only_profile() {
        let profile = seatbelt_profile(&SandboxPolicy::ReadOnly, &roots(&["/Users/me/project"]));
        insta::assert_snapshot!(render(&profile));
    }

    #[test]
    fn workspace_write_profile_network_off() {
        let profile = seatbelt_profile(
            &workspace_write(false),
            &roots(&["/Users/me/project", "/private/tmp"]),
        );
        insta::assert_snapshot!(render(&profile));
    }

    #[test]
    fn workspace_write_profile_with_extra_roots_and_network_on() {
        let profile = seatbelt_profile(
            &workspace_write(true),
            &roots(&[
                "/Users/me/project",
                "/Users/me/shared libs",
                "/private/tmp",
                "/private/var/folders/xy/T",
            ]),
        );
        insta::assert_snapshot!(render(&profile));
    }

    #[test]
    fn danger_full_access_allows_everything() {
        let profile = seatbelt_profile(&SandboxPolicy::DangerFullAccess, &roots(&["/x"]));
        assert_eq!(
            profile,
            SeatbeltProfile {
                text: "(version 1)\n(allow default)\n".to_string(),
                params: Vec::new(),
            }
        );
    }

    #[test]
    fn paths_never_appear_in_the_profile_text() {
        let odd = "/Users/me/a\") (allow default) (\"";
        let profile = seatbelt_profile(&workspace_write(true), &roots(&[odd]));
        assert!(!profile.text.contains("/Users/me"), "{}", profile.text);
        assert_eq!(
            profile.params[0],
            ("WRITABLE_ROOT_0".to_string(), PathBuf::from(odd))
        );
    }

    #[test]
    fn command_spec_runs_sandbox_exec_with_params_and_marks_the_environment() {
        let spec = CommandSpec {
            program: PathBuf::from("/bin/sh"),
            args: vec!["-c".to_string(), "echo hi".to_string()],
            cwd: PathBuf::from("/Users/me/project"),
            env: HashMap::from([
                ("PATH".to_string(), "/usr/bin:/bin".to_string()),
                ("DUET_SANDBOX_NETWORK_DISABLED".to_string(), "1".to_string()),
            ]),
            stdin: StdinMode::Piped,
        };
        let profile = SeatbeltProfile {
            text: "(version 1)".to_string(),
            params: vec![("WRITABLE_ROOT_0".to_string(), PathBuf::from("/w"))],
        };
        let expected = |network_disabled: bool| {
            let mut env = HashMap::from([
                ("PATH".to_string(), "/usr/bin:/bin".to_string()),
                ("DUET_SANDBOX".to_string(), "seatbelt".to_string()),
            ]);
            if network_disabled {
                env.insert("DUET_SANDBOX_NETWORK_DISABLED".to_string(), "1".to_string());
            }
            CommandSpec {
                program: PathBuf::from("/usr/bin/sandbox-exec"),
                args: [
                    "-p",
                    "(version 1)",
                    "-DWRITABLE_ROOT_0=/w",
                    "--",
                    "/bin/sh",
                    "-c",
                    "echo hi",
                ]
                .map(String::from)
                .to_vec(),
                cwd: PathBuf::from("/Users/me/project"),
                env,
                stdin: StdinMode::Piped,
            }
        };
        assert_eq!(seatbelt_command_spec(&spec, &profile, true), expected(true));
        assert_eq!(
            seatbelt_command_spec(&spec, &profile, false),
            expected(false)
        );
    }
}
