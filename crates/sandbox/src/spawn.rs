//! Starting a model-issued command under a [`SandboxPolicy`].
//!
//! [`Sandbox::spawn`] starts a command with piped output in its own
//! process group, for the agent; [`Sandbox::run_attached`] runs one on
//! duet's own terminal and waits, for `duet sandbox`. Both go through
//! [`plan`], which picks the backend and turns the spec into the program,
//! arguments and environment to start:
//!
//! - `danger-full-access`: the command itself, unconfined.
//! - bubblewrap: `bwrap <mounts…> -- <helper> --duet-linux-sandbox --policy
//!   JSON -- <command>`.
//! - Landlock: `<helper> --policy JSON -- <command>` with argv[0]
//!   `duet-linux-sandbox`; [`Sandbox::run_attached`] instead plays the helper's part
//!   in its own process (it only waits for the command and exits), which
//!   saves starting duet a second time.
//! - macOS: `sandbox-exec` with the generated Seatbelt profile.
//!
//! Confined commands get `DUET_SANDBOX=<backend>` and, with the network
//! off, `DUET_SANDBOX_NETWORK_DISABLED=1`, added after the caller's
//! environment filtering.

use crate::backend::{Backend, BackendPreference};
use crate::bwrap::ProtectedMounts;
use crate::child::SandboxedChild;
use crate::{SandboxError, SandboxPolicy};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;

/// Everything needed to start one command. Nothing is inherited from duet's
/// own process: the child gets exactly `env` (plus the sandbox's own
/// variables), runs in `cwd`, and its stdout and stderr are piped (by
/// [`Sandbox::spawn`]; [`Sandbox::run_attached`] shares duet's terminal instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    /// The complete environment of the child.
    pub env: HashMap<String, String>,
    pub stdin: StdinMode,
}

/// What the child reads on stdin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StdinMode {
    /// `/dev/null`: the child sees end of file at once.
    #[default]
    Null,
    /// A pipe the caller writes to through [`SandboxedChild::stdin`].
    Piped,
}

/// How commands are confined: the policy, which backend may enforce it,
/// and where the sandbox keeps its own files. One value, passed to every
/// start, so that nothing about confinement is process-wide state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sandbox {
    pub policy: SandboxPolicy,
    /// `sandbox_backend`: which Linux backend may be used.
    pub backend: BackendPreference,
    /// Where probe results and the registry of shared mount points are kept
    /// across duet processes (`$DUET_HOME/tmp`); `None` keeps them
    /// in-process.
    pub state_dir: Option<PathBuf>,
    /// The Linux sandbox helper; `None` is the running executable (right
    /// for `duet` itself; this crate's tests name `duet-linux-sandbox`).
    pub helper: Option<PathBuf>,
    /// Files no confined command may read (the keys `duet login` saved):
    /// each one that exists is an empty read-only file under bubblewrap
    /// and gets no read rule under Landlock (see `landlock::read_grants`).
    pub hidden: Vec<PathBuf>,
}

impl Sandbox {
    /// `policy` with the `auto` backend choice and no state directory.
    pub fn new(policy: SandboxPolicy) -> Self {
        Sandbox {
            policy,
            backend: BackendPreference::Auto,
            state_dir: None,
            helper: None,
            hidden: Vec::new(),
        }
    }

    /// The backend that will confine commands, `None` for
    /// `danger-full-access` (nothing to confine).
    ///
    /// Fails with [`SandboxError::Unenforceable`] naming, for each backend
    /// that was considered, why it cannot run here and how to fix it.
    pub fn backend(&self) -> Result<Option<Backend>, SandboxError> {
        crate::backend::backend_for(&self.policy, self.backend, self.state_dir.as_deref())
    }

    /// Start `spec` confined, in a new process group, with stdout and
    /// stderr piped.
    ///
    /// Fails with [`SandboxError::Unenforceable`] when the policy cannot be
    /// enforced; in that case no process was started.
    pub fn spawn(&self, spec: &CommandSpec) -> Result<SandboxedChild, SandboxError> {
        let launch = plan(spec, self)?;
        self.start(spec, launch)
    }

    /// Start a planned command with piped output in a new process group.
    fn start(&self, spec: &CommandSpec, launch: Launch) -> Result<SandboxedChild, SandboxError> {
        let supervised = launch.helper.is_some();
        #[allow(clippy::disallowed_methods)] // this crate is the one allowed spawn site
        let mut command = tokio::process::Command::new(&launch.program);
        if let Some(arg0) = launch.arg0 {
            command.arg0(arg0);
        }
        command
            .args(&launch.args)
            .current_dir(&spec.cwd)
            .env_clear()
            .envs(&launch.env)
            .stdin(match spec.stdin {
                StdinMode::Null => Stdio::null(),
                StdinMode::Piped => Stdio::piped(),
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            // A supervising helper (Landlock) must be stopped with SIGTERM,
            // so that it kills what the command started; SIGKILL would
            // orphan it. `SandboxedChild`'s own drop does that.
            .kill_on_drop(!supervised);
        let child = command
            .spawn()
            .map_err(|source| spawn_error(spec, &launch, source))?;
        Ok(SandboxedChild::new(child, launch.mounts, supervised))
    }

    /// Start a program the user configured to run beside duet (an MCP
    /// server), unconfined whatever the policy, in a new process group
    /// with stdout and stderr piped. On Linux it runs under the helper as
    /// its supervisor with no confinement, so that it and everything it
    /// starts (the `node` an `npx` starts, say) end with duet, even when
    /// duet is killed with `SIGKILL`; elsewhere its process group is
    /// killed when the child is dropped.
    pub fn spawn_service(&self, spec: &CommandSpec) -> Result<SandboxedChild, SandboxError> {
        let unconfined = Sandbox {
            policy: SandboxPolicy::DangerFullAccess,
            ..self.clone()
        };
        #[cfg_attr(not(target_os = "linux"), allow(unused_mut))]
        let mut launch = plan(spec, &unconfined)?;
        #[cfg(target_os = "linux")]
        {
            let policy = crate::helper::HelperPolicy {
                network_disabled: false,
                landlock: None,
                parent_pid: Some(std::process::id()),
                protected: Vec::new(),
                hidden: Vec::new(),
                unconfined: true,
            };
            let mut command = vec![spec.program.display().to_string()];
            command.extend(spec.args.iter().cloned());
            launch = Launch {
                program: helper_program(self)?,
                arg0: Some(crate::helper::HELPER_ARG0),
                args: policy.to_args(&command),
                env: launch.env,
                mounts: None,
                helper: Some(InProcessHelper { policy, command }),
            };
        }
        self.start(spec, launch)
    }

    /// Run `spec` confined on duet's own stdin, stdout, stderr and terminal
    /// (the `stdin` mode is ignored), wait for it, and return its
    /// shell-style exit code (128+N for death by signal N). duet ignores
    /// Ctrl-C and Ctrl-\ while it waits, so that the command decides.
    pub fn run_attached(&self, spec: &CommandSpec) -> Result<i32, SandboxError> {
        let launch = plan(spec, self)?;
        finish_attached(spec, launch)
    }

    /// Like [`Sandbox::run_attached`], but under bubblewrap with nothing to
    /// do after the command ends (no mount points to remove), this process
    /// *becomes* `bwrap` instead of starting it and waiting, which saves a
    /// process; `bwrap` reports the command's status the same way (128+N
    /// for signal N). In every other case it is [`Sandbox::run_attached`].
    /// For `duet sandbox`, whose process ends with the command's status
    /// anyway.
    pub fn exec_attached(&self, spec: &CommandSpec) -> Result<i32, SandboxError> {
        let launch = plan(spec, self)?;
        // Only `bwrap` (which has mounts, possibly none to remove) reports a
        // command killed by signal N as exit code 128+N itself.
        let bwrap_alone = launch
            .mounts
            .as_ref()
            .is_some_and(|mounts| !mounts.needs_cleanup());
        if !bwrap_alone {
            return finish_attached(spec, launch);
        }
        let source = std::os::unix::process::CommandExt::exec(&mut attached_command(
            spec,
            &launch,
            launch.program.as_os_str(),
        ));
        Err(SandboxError::Spawn {
            program: spec.program.clone(),
            cwd: spec.cwd.clone(),
            source,
        })
    }
}

/// Why starting `launch` for `spec` failed, for the caller (and so for the
/// model, which can shorten a command or fix its `workdir`).
fn spawn_error(spec: &CommandSpec, launch: &Launch, source: std::io::Error) -> SandboxError {
    if source.raw_os_error() == Some(libc::E2BIG) {
        let bytes = launch.args.iter().map(String::len).sum::<usize>()
            + launch
                .env
                .iter()
                .map(|(name, value)| name.len() + value.len() + 1)
                .sum::<usize>();
        return SandboxError::TooLong { bytes };
    }
    SandboxError::Spawn {
        program: spec.program.clone(),
        cwd: spec.cwd.clone(),
        source,
    }
}

/// Start the planned command on this terminal and wait for it.
fn finish_attached(spec: &CommandSpec, launch: Launch) -> Result<i32, SandboxError> {
    // Under Landlock this process can be the helper itself: the caller only
    // waits for the command, so starting duet again would be pure cost.
    #[cfg(target_os = "linux")]
    if let Some(helper) = &launch.helper {
        let command: Vec<std::ffi::OsString> = helper
            .command
            .iter()
            .map(std::ffi::OsString::from)
            .collect();
        return Ok(crate::helper::run_in_this_process(
            &helper.policy,
            &command,
            &launch.env,
            &spec.cwd,
        ));
    }
    let path = launch.env.get("PATH").map(String::as_str);
    let mut child = spawn_found(launch.program.as_os_str(), path, |program| {
        attached_command(spec, &launch, program)
    })
    .map_err(|source| SandboxError::Spawn {
        program: spec.program.clone(),
        cwd: spec.cwd.clone(),
        source,
    })?;
    let status = crate::child::wait_ignoring_interrupts(&mut child);
    drop(launch.mounts);
    status
        .map(crate::exit_code)
        .map_err(|source| SandboxError::Spawn {
            program: spec.program.clone(),
            cwd: spec.cwd.clone(),
            source,
        })
}

/// The planned program (started from `program`, the planned one or where
/// it was found on `PATH`) with exactly the planned arguments and
/// environment, on this process's own stdin, stdout and stderr.
fn attached_command(
    spec: &CommandSpec,
    launch: &Launch,
    program: &std::ffi::OsStr,
) -> std::process::Command {
    #[allow(clippy::disallowed_methods)] // this crate is the one allowed spawn site
    let mut command = std::process::Command::new(program);
    if let Some(arg0) = launch.arg0 {
        std::os::unix::process::CommandExt::arg0(&mut command, arg0);
    }
    command
        .args(&launch.args)
        .current_dir(&spec.cwd)
        .env_clear()
        .envs(&launch.env);
    command
}

/// Where `execvp` would find `program` on `path` (the child's `PATH`), when
/// that can be told without trying: a bare name that is an executable file
/// in an absolute directory of `path`. `None` leaves the search to
/// `execvp`: a name with a slash (nothing to search), no `PATH`, a relative
/// or empty entry before any match, or no match at all (whose error
/// `execvp` reports as usual).
///
/// Why: the standard library starts a child with `posix_spawn` (a `vfork`
/// sharing this process's memory) only when it need not search a `PATH`
/// other than this process's own; otherwise it `fork`s, which copies the
/// page tables of duet's large binary and then faults on every page either
/// side writes (about 0.4 ms per command).
pub(crate) fn resolve_program(program: &std::ffi::OsStr, path: Option<&str>) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    if program.is_empty() || program.as_bytes().contains(&b'/') {
        return None;
    }
    for dir in path?.split(':') {
        if !dir.starts_with('/') {
            return None;
        }
        let candidate = std::path::Path::new(dir).join(program);
        if let Ok(metadata) = std::fs::metadata(&candidate)
            && metadata.is_file()
            && metadata.permissions().mode() & 0o111 != 0
        {
            return Some(candidate);
        }
    }
    None
}

/// Start `command(p)` as a child, where `p` is `program` as found on `path`
/// by [`resolve_program`] (argv[0] stays `program`), else `program` itself.
/// When the found file cannot be executed after all (`EACCES`: not for
/// this user; `ENOEXEC`: a script without `#!`, which `execvp` hands to
/// `/bin/sh`), it starts `command(program)` instead, so the result is
/// exactly what `execvp` would do.
pub(crate) fn spawn_found(
    program: &std::ffi::OsStr,
    path: Option<&str>,
    command: impl Fn(&std::ffi::OsStr) -> std::process::Command,
) -> std::io::Result<std::process::Child> {
    use std::os::unix::process::CommandExt;
    if let Some(found) = resolve_program(program, path) {
        let mut process = command(found.as_os_str());
        process.arg0(program);
        match process.spawn() {
            Err(error) if matches!(error.raw_os_error(), Some(libc::EACCES | libc::ENOEXEC)) => {}
            started => return started,
        }
    }
    command(program).spawn()
}

/// The program to start for a command, and what must live until it ends.
#[derive(Debug)]
pub(crate) struct Launch {
    pub program: PathBuf,
    pub arg0: Option<&'static str>,
    pub args: Vec<String>,
    pub env: HashMap<String, String>,
    /// Mount points of missing protected folders (bubblewrap), removed
    /// when this is dropped.
    pub mounts: Option<ProtectedMounts>,
    /// What the helper `program` is asked to do, when `program` is the
    /// helper run directly (Landlock): a caller that is about to wait for
    /// the command and exit can do it in its own process instead.
    pub helper: Option<InProcessHelper>,
}

/// The helper's policy and the command it runs (see [`Launch::helper`]).
#[derive(Debug)]
pub(crate) struct InProcessHelper {
    pub policy: crate::helper::HelperPolicy,
    pub command: Vec<String>,
}

/// Pick the backend and build the [`Launch`] for `spec` under `policy`.
pub(crate) fn plan(spec: &CommandSpec, sandbox: &Sandbox) -> Result<Launch, SandboxError> {
    if sandbox.policy == SandboxPolicy::DangerFullAccess {
        return Ok(Launch {
            program: spec.program.clone(),
            arg0: None,
            args: spec.args.clone(),
            env: spec.env.clone(),
            mounts: None,
            helper: None,
        });
    }
    plan_confined(spec, sandbox)
}

#[cfg(target_os = "linux")]
fn plan_confined(spec: &CommandSpec, sandbox: &Sandbox) -> Result<Launch, SandboxError> {
    use crate::RootKind;
    use crate::helper::{HELPER_ARG0, HELPER_FLAG, HelperPolicy};
    use std::path::Path;

    let policy = &sandbox.policy;
    let backend = sandbox
        .backend()?
        .expect("only danger-full-access needs no backend");
    let helper = helper_program(sandbox)?;
    log::debug!(
        "confining `{}` in `{}` with {} ({})",
        spec.program.display(),
        spec.cwd.display(),
        backend.name(),
        policy.mode()
    );
    let network_disabled = policy.network_disabled();
    let tmpdir = spec.env.get("TMPDIR").map(Path::new);
    let mut command = vec![spec.program.display().to_string()];
    command.extend(spec.args.iter().cloned());
    let env = sandbox_env(&spec.env, backend, network_disabled);
    let hidden: Vec<PathBuf> = sandbox
        .hidden
        .iter()
        .filter_map(|path| path.canonicalize().ok())
        .filter(|path| path.is_file() && path.to_str().is_some())
        .collect();
    let (mut roots, changed) = policy.resolve_roots(tmpdir);
    if !changed.is_empty() {
        return Err(SandboxError::Unenforceable {
            mode: policy.mode(),
            reason: changed.join("; "),
        });
    }

    match backend {
        Backend::Bwrap => {
            // `bwrap` takes paths as UTF-8 arguments.
            roots.retain(|root| root.path.to_str().is_some());
            let mounts = ProtectedMounts::prepare(&roots, sandbox.state_dir.as_deref())?;
            let helper_policy = HelperPolicy {
                network_disabled,
                landlock: None,
                parent_pid: None,
                protected: Vec::new(),
                hidden: Vec::new(),
                unconfined: false,
            };
            let mut inner = vec![helper.display().to_string(), HELPER_FLAG.to_string()];
            inner.extend(helper_policy.to_args(&command));
            let root_paths: Vec<PathBuf> = roots.into_iter().map(|root| root.path).collect();
            let args = crate::bwrap::bwrap_args(&crate::bwrap::BwrapInputs {
                network_disabled,
                writable_roots: &root_paths,
                protected: &mounts.mounts,
                hidden: &hidden,
                cwd: &spec.cwd,
                command: &inner,
            });
            let program =
                crate::backend::bwrap_program().ok_or_else(|| SandboxError::Unenforceable {
                    mode: policy.mode(),
                    reason: "`bwrap` is no longer on `PATH`".to_string(),
                })?;
            Ok(Launch {
                program,
                arg0: None,
                args,
                env,
                mounts: Some(mounts),
                helper: None,
            })
        }
        Backend::Landlock => {
            if let SandboxPolicy::WorkspaceWrite {
                exclude_slash_tmp: false,
                ..
            } = policy
                && Path::new("/dev/shm").is_dir()
                && !roots.iter().any(|root| root.path == Path::new("/dev/shm"))
            {
                roots.push(crate::WritableRoot {
                    path: PathBuf::from("/dev/shm"),
                    kind: RootKind::Temp,
                });
            }
            let protected = roots
                .iter()
                .flat_map(|root| crate::nested_git_entries(&root.path))
                .collect();
            let helper_policy = HelperPolicy {
                network_disabled,
                landlock: Some(roots),
                parent_pid: Some(std::process::id()),
                protected,
                hidden,
                unconfined: false,
            };
            Ok(Launch {
                program: helper,
                arg0: Some(HELPER_ARG0),
                args: helper_policy.to_args(&command),
                env,
                mounts: None,
                helper: Some(InProcessHelper {
                    policy: helper_policy,
                    command,
                }),
            })
        }
    }
}

#[cfg(target_os = "macos")]
fn plan_confined(spec: &CommandSpec, sandbox: &Sandbox) -> Result<Launch, SandboxError> {
    let wrapped = crate::seatbelt::sandboxed_spec(spec, &sandbox.policy);
    Ok(Launch {
        program: wrapped.program,
        arg0: None,
        args: wrapped.args,
        env: wrapped.env,
        mounts: None,
        helper: None,
    })
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn plan_confined(_spec: &CommandSpec, sandbox: &Sandbox) -> Result<Launch, SandboxError> {
    Err(SandboxError::Unenforceable {
        mode: sandbox.policy.mode(),
        reason: "duet has no sandbox for this operating system yet".to_string(),
    })
}

/// The child's environment plus the sandbox's own variables.
pub(crate) fn sandbox_env(
    env: &HashMap<String, String>,
    backend: Backend,
    network_disabled: bool,
) -> HashMap<String, String> {
    let mut env = env.clone();
    env.insert("DUET_SANDBOX".to_string(), backend.name().to_string());
    if network_disabled {
        env.insert("DUET_SANDBOX_NETWORK_DISABLED".to_string(), "1".to_string());
    } else {
        env.remove("DUET_SANDBOX_NETWORK_DISABLED");
    }
    env
}

/// The helper executable: [`Sandbox::helper`], else the running
/// executable.
fn helper_program(sandbox: &Sandbox) -> Result<PathBuf, SandboxError> {
    if let Some(program) = &sandbox.helper {
        return Ok(program.clone());
    }
    std::env::current_exe().map_err(|error| SandboxError::Unenforceable {
        mode: sandbox.policy.mode(),
        reason: format!("cannot find duet's own executable to run the sandbox helper: {error}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn sandbox_variables_are_added_after_filtering() {
        let base = HashMap::from([
            ("PATH".to_string(), "/bin".to_string()),
            ("DUET_SANDBOX_NETWORK_DISABLED".to_string(), "1".to_string()),
        ]);
        assert_eq!(
            sandbox_env(&base, Backend::Landlock, false),
            HashMap::from([
                ("PATH".to_string(), "/bin".to_string()),
                ("DUET_SANDBOX".to_string(), "landlock".to_string()),
            ])
        );
        assert_eq!(
            sandbox_env(&HashMap::new(), Backend::Bwrap, true),
            HashMap::from([
                ("DUET_SANDBOX".to_string(), "bwrap".to_string()),
                ("DUET_SANDBOX_NETWORK_DISABLED".to_string(), "1".to_string()),
            ])
        );
    }

    #[test]
    fn full_access_runs_the_command_itself() {
        let spec = CommandSpec {
            program: PathBuf::from("/bin/echo"),
            args: vec!["hi".to_string()],
            cwd: PathBuf::from("/"),
            env: HashMap::from([("A".to_string(), "1".to_string())]),
            stdin: StdinMode::Null,
        };
        let sandbox = Sandbox {
            backend: BackendPreference::Bwrap,
            ..Sandbox::new(SandboxPolicy::DangerFullAccess)
        };
        let launch = plan(&spec, &sandbox).unwrap();
        assert_eq!(
            (launch.program, launch.arg0, launch.args, launch.env),
            (
                PathBuf::from("/bin/echo"),
                None,
                vec!["hi".to_string()],
                spec.env
            )
        );
    }

    /// A file in `dir` with `mode` and `text`.
    fn file(dir: &std::path::Path, name: &str, mode: u32, text: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn programs_are_looked_up_like_execvp_where_that_is_certain() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        file(first.path(), "tool", 0o644, "not executable");
        std::fs::create_dir(first.path().join("dir")).unwrap();
        std::fs::set_permissions(
            first.path().join("dir"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let tool = file(second.path(), "tool", 0o755, "#!/bin/sh\n");
        let dir_tool = file(second.path(), "dir", 0o755, "#!/bin/sh\n");
        let path = format!("{}:{}", first.path().display(), second.path().display());
        let lookup = |program: &str, path: Option<&str>| {
            resolve_program(std::ffi::OsStr::new(program), path)
        };
        // A file that is not executable, and a directory, are passed over.
        assert_eq!(lookup("tool", Some(&path)), Some(tool));
        assert_eq!(lookup("dir", Some(&path)), Some(dir_tool));
        // Nothing to search, or nothing certain: left to execvp.
        assert_eq!(lookup("./tool", Some(&path)), None);
        assert_eq!(lookup("/bin/sh", Some(&path)), None);
        assert_eq!(lookup("", Some(&path)), None);
        assert_eq!(lookup("tool", None), None);
        assert_eq!(lookup("missing", Some(&path)), None);
        let relative_first = format!("bin:{}", second.path().display());
        assert_eq!(lookup("tool", Some(&relative_first)), None);
        let empty_first = format!(":{}", second.path().display());
        assert_eq!(lookup("tool", Some(&empty_first)), None);
    }

    /// The exit code and output of `program args…` run through
    /// [`spawn_found`] with `PATH` = `path`.
    fn output_of(program: &str, args: &[&str], path: &str) -> (Option<i32>, String) {
        let child = spawn_found(std::ffi::OsStr::new(program), Some(path), |found| {
            #[allow(clippy::disallowed_methods)] // a test of the spawn helper itself
            let mut command = std::process::Command::new(found);
            command
                .args(args)
                .env_clear()
                .env("PATH", path)
                .stdout(Stdio::piped());
            command
        })
        .unwrap();
        let output = child.wait_with_output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).replace('\0', " "),
        )
    }

    #[test]
    fn a_found_program_keeps_its_name_and_scripts_without_a_shebang_still_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = format!("{}:/usr/bin:/bin", dir.path().display());
        // argv[0] is the name as given, not where it was found.
        assert_eq!(
            output_of("cat", &["/proc/self/cmdline"], &path),
            (Some(0), "cat /proc/self/cmdline ".to_string())
        );
        // No `#!`: execve says ENOEXEC; execvp (the fallback) runs it with sh.
        file(dir.path(), "bare", 0o755, "echo bare script\nexit 3\n");
        assert_eq!(
            output_of("bare", &[], &path),
            (Some(3), "bare script\n".to_string())
        );
    }
}
