//! Which Linux enforcement backend confines commands on this host:
//! bubblewrap (namespaces) or Landlock (no namespaces), both finished by the
//! seccomp helper.
//!
//! [`probe_backends`] looks once per process (a `OnceLock`) and, given a
//! state directory ([`crate::Sandbox::state_dir`]), remembers the bubblewrap
//! result on disk keyed by everything that could change it (boot, user, the `bwrap`
//! binary, the user-namespace sysctls, the mount and user namespaces), so a
//! short-lived `duet sandbox` does not pay for a trial run of `bwrap` each
//! time. [`crate::Sandbox::backend`] picks one for a policy or explains, per backend,
//! why none can enforce it. The Landlock probe is one system call and is
//! never cached.
//!
//! This module does not build command lines (`bwrap.rs`, `spawn.rs`).

use crate::{SandboxError, SandboxPolicy};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// `sandbox_backend` in the config: which backend to use on Linux.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendPreference {
    /// bubblewrap when it works here, else Landlock.
    #[default]
    Auto,
    Bwrap,
    Landlock,
}

impl BackendPreference {
    /// The `sandbox_backend` value.
    pub fn name(self) -> &'static str {
        match self {
            BackendPreference::Auto => "auto",
            BackendPreference::Bwrap => "bwrap",
            BackendPreference::Landlock => "landlock",
        }
    }
}

/// An enforcement backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The system `bwrap`: a read-only view of `/` in new user, pid, ipc and
    /// (network off) net namespaces.
    Bwrap,
    /// Landlock rules on the unchanged filesystem, without namespaces.
    Landlock,
}

impl Backend {
    /// The name used in config, in `DUET_SANDBOX` and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Bwrap => "bwrap",
            Backend::Landlock => "landlock",
        }
    }
}

/// What probing one backend found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Availability {
    /// It can enforce policies here; `detail` says with what (the `bwrap`
    /// path, the Landlock ABI and what that ABI lacks).
    Available { detail: String },
    /// It cannot; `reason` says why and `fix` what would make it work.
    Unavailable { reason: String, fix: String },
}

/// One backend and whether it works on this host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendReport {
    pub backend: Backend,
    #[serde(flatten)]
    pub availability: Availability,
}

impl BackendReport {
    pub fn is_available(&self) -> bool {
        matches!(self.availability, Availability::Available { .. })
    }
}

static PROBES: OnceLock<Vec<BackendReport>> = OnceLock::new();
static BWRAP_PROBE: OnceLock<Availability> = OnceLock::new();
static LANDLOCK_PROBE: OnceLock<Availability> = OnceLock::new();

/// Whether one backend works here, probed at most once per process; the
/// bubblewrap result is also kept in `state_dir`, when given, for later
/// processes.
pub fn probe(backend: Backend, state_dir: Option<&Path>) -> &'static Availability {
    let probed = |availability: Availability| {
        log::info!("{} probed: {availability:?}", backend.name());
        availability
    };
    match backend {
        Backend::Bwrap => BWRAP_PROBE.get_or_init(|| probed(crate::probe::probe_bwrap(state_dir))),
        Backend::Landlock => LANDLOCK_PROBE.get_or_init(|| probed(crate::probe::probe_landlock())),
    }
}

/// What `backend` cannot enforce, or forbids that a user may expect to
/// work, on this host: for `duet doctor`, one sentence each.
pub fn limits(backend: Backend) -> Vec<String> {
    match backend {
        Backend::Bwrap => vec![
            "a `SIGKILL` of duet in the first milliseconds of a command can leave that command \
             running, still confined (bubblewrap's namespace init has been seen to outlive it)"
                .to_string(),
        ],
        Backend::Landlock => {
            let mut limits = vec![
                "entries directly in a writable root, in `/tmp` and in folders a command made \
                 itself are made by the supervising helper on the command's behalf: there, \
                 `openat2` with `resolve` flags and naming an `O_TMPFILE` with `linkat` fail, \
                 and every write-open costs a round trip to the helper"
                    .to_string(),
                "`utime` and extended attributes of files outside the writable roots are not \
                 refused"
                    .to_string(),
            ];
            #[cfg(target_os = "linux")]
            if let Some(scope) = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
                .ok()
                .and_then(|text| text.trim().parse::<u32>().ok())
                .filter(|&scope| scope >= 2)
            {
                limits.push(format!(
                    "`kernel.yama.ptrace_scope` is {scope}: the supervising helper cannot read \
                     a command's paths, so commands cannot create, rename or remove entries \
                     directly in a writable root or in `/tmp` (set it to 1 to allow that)"
                ));
            }
            #[cfg(target_os = "linux")]
            if let Ok(abi) = crate::probe::landlock_abi() {
                if abi < 2 {
                    limits.push(format!(
                        "Landlock ABI {abi}: files cannot be moved or linked between folders"
                    ));
                }
                if abi < 3 {
                    limits.push(format!(
                        "Landlock ABI {abi}: `truncate` is refused everywhere"
                    ));
                }
                if abi < 6 {
                    limits.push(format!(
                        "Landlock ABI {abi}: a command can signal any process of this user, \
                         its supervising helper included (then what it started may outlive it)"
                    ));
                }
            }
            limits
        }
    }
}

/// Every Linux backend and whether it works here, bubblewrap first. Probed
/// once per process (see [`probe`] for `state_dir`).
pub fn probe_backends(state_dir: Option<&Path>) -> &'static [BackendReport] {
    PROBES.get_or_init(|| {
        [Backend::Bwrap, Backend::Landlock]
            .into_iter()
            .map(|backend| BackendReport {
                backend,
                availability: probe(backend, state_dir).clone(),
            })
            .collect()
    })
}

/// The backend that will confine commands under `policy`, `None` for
/// `danger-full-access` (nothing to confine).
///
/// Fails with [`SandboxError::Unenforceable`] naming, for each backend that
/// was considered, why it cannot run here and how to fix it.
pub(crate) fn backend_for(
    policy: &SandboxPolicy,
    preference: BackendPreference,
    state_dir: Option<&Path>,
) -> Result<Option<Backend>, SandboxError> {
    if *policy == SandboxPolicy::DangerFullAccess {
        return Ok(None);
    }
    // Probe only as far as needed: `auto` stops at a working bubblewrap, a
    // forced backend probes only itself.
    let candidates: &[Backend] = match preference {
        BackendPreference::Auto => &[Backend::Bwrap, Backend::Landlock],
        BackendPreference::Bwrap => &[Backend::Bwrap],
        BackendPreference::Landlock => &[Backend::Landlock],
    };
    let mut reports = Vec::new();
    for &backend in candidates {
        let availability = probe(backend, state_dir);
        reports.push(BackendReport {
            backend,
            availability: availability.clone(),
        });
        if matches!(availability, Availability::Available { .. }) {
            break;
        }
    }
    choose(policy, preference, &reports).map(Some)
}

/// [`backend_for`] over given probe results, so the choice and the error
/// text are testable without the host.
pub fn choose(
    policy: &SandboxPolicy,
    preference: BackendPreference,
    reports: &[BackendReport],
) -> Result<Backend, SandboxError> {
    let considered: Vec<&BackendReport> = reports
        .iter()
        .filter(|report| match preference {
            BackendPreference::Auto => true,
            BackendPreference::Bwrap => report.backend == Backend::Bwrap,
            BackendPreference::Landlock => report.backend == Backend::Landlock,
        })
        .collect();
    if let Some(report) = considered.iter().find(|report| report.is_available()) {
        return Ok(report.backend);
    }
    let reasons: Vec<String> = considered
        .iter()
        .filter_map(|report| match &report.availability {
            Availability::Unavailable { reason, fix } => {
                Some(format!("{}: {reason} ({fix})", report.backend.name()))
            }
            Availability::Available { .. } => None,
        })
        .collect();
    let forced = match preference {
        BackendPreference::Auto => String::new(),
        other => format!(
            "`sandbox_backend = \"{}\"` is set; ",
            preference_name(other)
        ),
    };
    Err(SandboxError::Unenforceable {
        mode: policy.mode(),
        reason: format!("{forced}{}", reasons.join("; ")),
    })
}

fn preference_name(preference: BackendPreference) -> &'static str {
    match preference {
        BackendPreference::Auto => "auto",
        BackendPreference::Bwrap => "bwrap",
        BackendPreference::Landlock => "landlock",
    }
}

/// The `bwrap` found on duet's `PATH`, looked up once per process.
pub(crate) fn bwrap_program() -> Option<PathBuf> {
    static BWRAP: OnceLock<Option<PathBuf>> = OnceLock::new();
    BWRAP
        .get_or_init(|| find_on_path("bwrap", std::env::var("PATH").ok().as_deref()))
        .clone()
}

/// `program` on `path` (a `PATH` value), as an absolute file that exists.
pub(crate) fn find_on_path(program: &str, path: Option<&str>) -> Option<PathBuf> {
    path?
        .split(':')
        .filter(|dir| Path::new(dir).is_absolute())
        .map(|dir| Path::new(dir).join(program))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn report(backend: Backend, ok: bool) -> BackendReport {
        BackendReport {
            backend,
            availability: if ok {
                Availability::Available {
                    detail: "fine".to_string(),
                }
            } else {
                Availability::Unavailable {
                    reason: format!("{} is broken", backend.name()),
                    fix: format!("mend {}", backend.name()),
                }
            },
        }
    }

    fn check(
        bwrap: bool,
        landlock: bool,
        preference: BackendPreference,
    ) -> Result<Backend, String> {
        let reports = [
            report(Backend::Bwrap, bwrap),
            report(Backend::Landlock, landlock),
        ];
        choose(&SandboxPolicy::ReadOnly, preference, &reports).map_err(|error| error.to_string())
    }

    #[test]
    fn auto_prefers_bwrap_and_falls_back_to_landlock() {
        use BackendPreference::*;
        assert_eq!(check(true, true, Auto), Ok(Backend::Bwrap));
        assert_eq!(check(false, true, Auto), Ok(Backend::Landlock));
        assert_eq!(check(true, false, Auto), Ok(Backend::Bwrap));
        assert_eq!(check(true, true, Landlock), Ok(Backend::Landlock));
        assert_eq!(check(false, true, Landlock), Ok(Backend::Landlock));
    }

    #[test]
    fn nothing_available_names_every_backend_and_the_way_out() {
        assert_eq!(
            check(false, false, BackendPreference::Auto),
            Err(
                "cannot enforce the `read-only` sandbox on this host (bwrap: bwrap is broken \
                 (mend bwrap); landlock: landlock is broken (mend landlock)), so the command was \
                 not run; fix the cause named here, or rerun with `--sandbox \
                 danger-full-access` to run commands without confinement"
                    .to_string()
            )
        );
    }

    #[test]
    fn a_forced_backend_that_is_unavailable_fails_even_if_another_works() {
        assert_eq!(
            check(false, true, BackendPreference::Bwrap),
            Err(
                "cannot enforce the `read-only` sandbox on this host (`sandbox_backend = \
                 \"bwrap\"` is set; bwrap: bwrap is broken (mend bwrap)), so the command was not \
                 run; fix the cause named here, or rerun with `--sandbox danger-full-access` \
                 to run commands without confinement"
                    .to_string()
            )
        );
    }

    #[test]
    fn danger_full_access_needs_no_backend() {
        assert_eq!(
            backend_for(
                &SandboxPolicy::DangerFullAccess,
                BackendPreference::Bwrap,
                None
            )
            .unwrap(),
            None
        );
    }

    #[test]
    fn preferences_parse_from_config_words() {
        #[derive(Deserialize)]
        struct Wrapper {
            backend: BackendPreference,
        }
        let parse = |word: &str| {
            serde_json::from_str::<Wrapper>(&format!("{{\"backend\":\"{word}\"}}"))
                .map(|wrapper| wrapper.backend)
                .map_err(|error| error.to_string())
        };
        assert_eq!(parse("auto"), Ok(BackendPreference::Auto));
        assert_eq!(parse("bwrap"), Ok(BackendPreference::Bwrap));
        assert_eq!(parse("landlock"), Ok(BackendPreference::Landlock));
        assert!(parse("seatbelt").is_err());
    }

    #[test]
    fn find_on_path_takes_the_first_absolute_match() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::fs::write(bin.join("bwrap"), "").unwrap();
        let path = format!("relative:{}:/nonexistent", bin.display());
        assert_eq!(find_on_path("bwrap", Some(&path)), Some(bin.join("bwrap")));
        assert_eq!(find_on_path("bwrap", Some("/nonexistent")), None);
        assert_eq!(find_on_path("bwrap", None), None);
    }
}
