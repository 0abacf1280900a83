//! Looking at the host: does `bwrap` get its namespaces, which Landlock ABI
//! does the kernel speak, is seccomp there — and, when not, why and what to
//! change. Used by `backend.rs`; the diagnosis is a pure function of the
//! sysctl values and `bwrap`'s message so it can be tested.
#![allow(unsafe_code)]

use crate::backend::{Availability, bwrap_program};
use std::path::Path;
use std::process::Stdio;

/// The kernel settings that switch unprivileged user namespaces off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UsernsSysctls {
    /// `kernel.unprivileged_userns_clone` (Debian and older Ubuntu kernels).
    pub unprivileged_userns_clone: Option<String>,
    /// `user.max_user_namespaces`.
    pub max_user_namespaces: Option<String>,
    /// `kernel.apparmor_restrict_unprivileged_userns` (Ubuntu 23.10 and later).
    pub apparmor_restrict_unprivileged_userns: Option<String>,
}

impl UsernsSysctls {
    pub(crate) fn read() -> Self {
        let read = |path: &str| {
            std::fs::read_to_string(path)
                .ok()
                .map(|value| value.trim().to_string())
        };
        UsernsSysctls {
            unprivileged_userns_clone: read("/proc/sys/kernel/unprivileged_userns_clone"),
            max_user_namespaces: read("/proc/sys/user/max_user_namespaces"),
            apparmor_restrict_unprivileged_userns: read(
                "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
            ),
        }
    }
}

const BWRAP_INSTALL_FIX: &str = "install bubblewrap: `apt-get install bubblewrap` (Debian, \
    Ubuntu) or `dnf install bubblewrap` (Fedora)";

/// Why `bwrap` failed to start a trivial sandbox, and the fix, from the
/// sysctls first (they name the switch) and else from `bwrap`'s own words.
pub(crate) fn diagnose_bwrap_failure(stderr: &str, sysctls: &UsernsSysctls) -> Availability {
    let is = |value: &Option<String>, wanted: &str| value.as_deref() == Some(wanted);
    let (reason, fix) = if is(&sysctls.unprivileged_userns_clone, "0") {
        (
            "user namespaces are disabled: sysctl kernel.unprivileged_userns_clone=0".to_string(),
            "`sudo sysctl -w kernel.unprivileged_userns_clone=1`".to_string(),
        )
    } else if is(&sysctls.max_user_namespaces, "0") {
        (
            "user namespaces are disabled: sysctl user.max_user_namespaces=0".to_string(),
            "`sudo sysctl -w user.max_user_namespaces=15000`".to_string(),
        )
    } else if is(&sysctls.apparmor_restrict_unprivileged_userns, "1") {
        (
            "user namespaces are disabled: sysctl kernel.apparmor_restrict_unprivileged_userns=1"
                .to_string(),
            "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or an AppArmor \
             profile that allows `userns` for `bwrap`"
                .to_string(),
        )
    } else {
        let message = stderr
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .unwrap_or("no message");
        (
            format!("bubblewrap could not set up its namespaces: {message}"),
            "in a container, allow user namespaces (or run with `sandbox_backend = \"landlock\"`)"
                .to_string(),
        )
    };
    Availability::Unavailable { reason, fix }
}

/// Probe bubblewrap, through the cache in `cache_dir` when given.
pub(crate) fn probe_bwrap(cache_dir: Option<&Path>) -> Availability {
    let seccomp = match seccomp_mode() {
        Ok(mode) => mode,
        Err(reason) => return reason,
    };
    let Some(bwrap) = bwrap_program() else {
        return Availability::Unavailable {
            reason: "`bwrap` is not installed (not found on `PATH`)".to_string(),
            fix: BWRAP_INSTALL_FIX.to_string(),
        };
    };
    let sysctls = UsernsSysctls::read();
    let key = cache_key(&bwrap, &sysctls, seccomp);
    let cache_file = cache_dir.map(|dir| dir.join("sandbox-probe-bwrap"));
    if let (Some(file), Some(key)) = (&cache_file, &key)
        && let Some(cached) = read_cache(file, key)
    {
        return cached;
    }
    let availability = run_bwrap_probe(&bwrap, &sysctls);
    if let (Some(file), Some(key)) = (&cache_file, &key) {
        write_cache(file, key, &availability);
    }
    availability
}

/// A trial run with exactly the arguments of a real read-only run with the
/// network off (the most namespaces and mounts any run uses), in `/`.
fn run_bwrap_probe(bwrap: &Path, sysctls: &UsernsSysctls) -> Availability {
    let truth = ["/bin/true", "/usr/bin/true"]
        .into_iter()
        .find(|candidate| Path::new(candidate).is_file())
        .unwrap_or("/bin/true");
    let args = crate::bwrap::bwrap_args(&crate::bwrap::BwrapInputs {
        network_disabled: true,
        writable_roots: &[],
        protected: &[],
        hidden: &[],
        cwd: Path::new("/"),
        command: &[truth.to_string()],
    });
    let output = crate::host::host_std_command(bwrap)
        .args(&args)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    match output {
        Ok(output) if output.status.success() => Availability::Available {
            detail: format!("`{}`", bwrap.display()),
        },
        Ok(output) => diagnose_bwrap_failure(&String::from_utf8_lossy(&output.stderr), sysctls),
        Err(error) => Availability::Unavailable {
            reason: format!("`{}` could not be started: {error}", bwrap.display()),
            fix: BWRAP_INSTALL_FIX.to_string(),
        },
    }
}

/// Everything that could change the probe's answer without a new `bwrap`
/// path: `None` when part of it cannot be read, which disables caching.
/// `seccomp` is the mode duet itself runs under (a filter inherited from a
/// container runtime can make `bwrap` fail).
fn cache_key(bwrap: &Path, sysctls: &UsernsSysctls, seccomp: i32) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let meta = std::fs::metadata(bwrap).ok()?;
    let user_ns = std::fs::read_link("/proc/self/ns/user").ok()?;
    let mnt_ns = std::fs::read_link("/proc/self/ns/mnt").ok()?;
    Some(format!(
        "v3 boot={} uid={} bwrap={}:{}:{}:{}:{} sysctls={:?}/{:?}/{:?} ns={}/{} seccomp={}",
        boot_id.trim(),
        // SAFETY: getuid has no preconditions and cannot fail.
        unsafe { libc::getuid() },
        bwrap.display(),
        meta.dev(),
        meta.ino(),
        meta.mtime(),
        meta.size(),
        sysctls.unprivileged_userns_clone,
        sysctls.max_user_namespaces,
        sysctls.apparmor_restrict_unprivileged_userns,
        user_ns.display(),
        mnt_ns.display(),
        seccomp,
    ))
}

fn read_cache(file: &Path, key: &str) -> Option<Availability> {
    let text = std::fs::read_to_string(file).ok()?;
    let (stored_key, value) = text.split_once('\n')?;
    if stored_key != key {
        return None;
    }
    serde_json::from_str(value.trim_end()).ok()
}

/// Best effort: a cache that cannot be written only costs a probe next time.
fn write_cache(file: &Path, key: &str, availability: &Availability) {
    let Ok(value) = serde_json::to_string(availability) else {
        return;
    };
    let Some(dir) = file.parent() else {
        return;
    };
    let _ = std::fs::create_dir_all(dir);
    let staging = dir.join(format!(".sandbox-probe-bwrap.{}", std::process::id()));
    if std::fs::write(&staging, format!("{key}\n{value}\n")).is_ok() {
        let _ = std::fs::rename(&staging, file);
    }
}

/// The kernel's Landlock ABI version, or the errno of the version query
/// (`ENOSYS`: not built in; `EOPNOTSUPP`: disabled at boot).
pub(crate) fn landlock_abi() -> Result<i32, i32> {
    #[cfg(target_os = "linux")]
    {
        const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
        // SAFETY: with a null attribute pointer, size 0 and the VERSION flag
        // the kernel reads no memory and only returns the ABI number.
        let abi = unsafe {
            libc::syscall(
                libc::SYS_landlock_create_ruleset,
                std::ptr::null::<libc::c_void>(),
                0usize,
                LANDLOCK_CREATE_RULESET_VERSION,
            )
        };
        if abi < 0 {
            Err(std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::ENOSYS))
        } else {
            Ok(i32::try_from(abi).unwrap_or(i32::MAX))
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        Err(libc::ENOSYS)
    }
}

/// What a Landlock ABI cannot do that duet would like it to, for messages.
pub(crate) fn landlock_gaps(abi: i32) -> Vec<&'static str> {
    let mut gaps = Vec::new();
    if abi < 2 {
        gaps.push("no moving or linking files between directories (ABI 2)");
    }
    if abi < 3 {
        gaps.push("truncate(2) is refused everywhere by seccomp instead (ABI 3)");
    }
    if abi < 6 {
        gaps.push("commands can signal other processes of the same user (ABI 6)");
    }
    gaps
}

pub(crate) fn probe_landlock() -> Availability {
    if let Err(reason) = seccomp_mode() {
        return reason;
    }
    describe_landlock(landlock_abi())
}

/// The availability for a Landlock version query result.
pub(crate) fn describe_landlock(abi: Result<i32, i32>) -> Availability {
    match abi {
        Ok(abi) if abi >= 1 => {
            let gaps = landlock_gaps(abi);
            let detail = if gaps.is_empty() {
                format!("ABI {abi}")
            } else {
                format!("ABI {abi}; lacks: {}", gaps.join("; "))
            };
            Availability::Available { detail }
        }
        Err(errno) if errno == libc::EOPNOTSUPP => Availability::Unavailable {
            reason: "Landlock is built into this kernel but disabled at boot".to_string(),
            fix: "add `landlock` to the kernel's `lsm=` boot parameter".to_string(),
        },
        _ => Availability::Unavailable {
            reason: "Landlock not supported by this kernel (ABI 0)".to_string(),
            fix: "use Linux 5.13 or later built with `CONFIG_SECURITY_LANDLOCK=y`".to_string(),
        },
    }
}

/// The seccomp mode this process runs under. Both backends finish with a
/// seccomp filter: without seccomp neither works, which is the error.
fn seccomp_mode() -> Result<i32, Availability> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_GET_SECCOMP takes no pointers; it returns the mode or
        // fails with EINVAL when the kernel lacks seccomp.
        let mode = unsafe { libc::prctl(libc::PR_GET_SECCOMP, 0, 0, 0, 0) };
        if mode >= 0 {
            return Ok(mode);
        }
    }
    Err(Availability::Unavailable {
        reason: "seccomp filters are not available".to_string(),
        fix: "use a Linux kernel built with `CONFIG_SECCOMP_FILTER=y`".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn unavailable(reason: &str, fix: &str) -> Availability {
        Availability::Unavailable {
            reason: reason.to_string(),
            fix: fix.to_string(),
        }
    }

    #[test]
    fn each_userns_sysctl_is_named_with_its_fix() {
        let bwrap_says = "bwrap: setting up uid map: Permission denied\n";
        let cases = [
            (
                UsernsSysctls {
                    unprivileged_userns_clone: Some("0".to_string()),
                    ..Default::default()
                },
                unavailable(
                    "user namespaces are disabled: sysctl kernel.unprivileged_userns_clone=0",
                    "`sudo sysctl -w kernel.unprivileged_userns_clone=1`",
                ),
            ),
            (
                UsernsSysctls {
                    max_user_namespaces: Some("0".to_string()),
                    unprivileged_userns_clone: Some("1".to_string()),
                    ..Default::default()
                },
                unavailable(
                    "user namespaces are disabled: sysctl user.max_user_namespaces=0",
                    "`sudo sysctl -w user.max_user_namespaces=15000`",
                ),
            ),
            (
                UsernsSysctls {
                    apparmor_restrict_unprivileged_userns: Some("1".to_string()),
                    max_user_namespaces: Some("63000".to_string()),
                    ..Default::default()
                },
                unavailable(
                    "user namespaces are disabled: sysctl \
                     kernel.apparmor_restrict_unprivileged_userns=1",
                    "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or an \
                     AppArmor profile that allows `userns` for `bwrap`",
                ),
            ),
            (
                UsernsSysctls::default(),
                unavailable(
                    "bubblewrap could not set up its namespaces: bwrap: setting up uid map: \
                     Permission denied",
                    "in a container, allow user namespaces (or run with `sandbox_backend = \
                     \"landlock\"`)",
                ),
            ),
        ];
        for (sysctls, expected) in cases {
            assert_eq!(diagnose_bwrap_failure(bwrap_says, &sysctls), expected);
        }
    }

    #[test]
    fn landlock_versions_and_their_gaps() {
        assert_eq!(
            describe_landlock(Ok(7)),
            Availability::Available {
                detail: "ABI 7".to_string()
            }
        );
        assert_eq!(
            describe_landlock(Ok(1)),
            Availability::Available {
                detail: "ABI 1; lacks: no moving or linking files between directories (ABI 2); \
                         truncate(2) is refused everywhere by seccomp instead (ABI 3); commands \
                         can signal other processes of the same user (ABI 6)"
                    .to_string()
            }
        );
        assert_eq!(
            describe_landlock(Err(libc::ENOSYS)),
            unavailable(
                "Landlock not supported by this kernel (ABI 0)",
                "use Linux 5.13 or later built with `CONFIG_SECURITY_LANDLOCK=y`"
            )
        );
        assert_eq!(
            describe_landlock(Err(libc::EOPNOTSUPP)),
            unavailable(
                "Landlock is built into this kernel but disabled at boot",
                "add `landlock` to the kernel's `lsm=` boot parameter"
            )
        );
    }

    #[test]
    fn the_cache_answers_only_for_its_own_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sub").join("sandbox-probe-bwrap");
        let answer = unavailable("no", "fix it");
        write_cache(&file, "key-a", &answer);
        assert_eq!(read_cache(&file, "key-a"), Some(answer));
        assert_eq!(read_cache(&file, "key-b"), None);
        assert_eq!(
            std::fs::read_dir(file.parent().unwrap()).unwrap().count(),
            1
        );
    }
}
