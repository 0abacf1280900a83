//! Running one probe: spawning its script under a backend and mode, reading
//! its output, killing its process group, and judging the outcome.

use crate::fixture::{Fixture, listing, processes_with};
use crate::harness::{Backend, Check, Mode, Outcome, Probe};
use duet_sandbox::{
    BackendPreference, CommandSpec, Sandbox, SandboxError, SandboxPolicy, SandboxedChild,
};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Start `spec` under `policy` on `backend` (`None`: unconfined), with
/// this crate's own `duet-linux-sandbox` binary as the helper.
pub fn spawn_on(
    backend: Option<Backend>,
    spec: &CommandSpec,
    policy: &SandboxPolicy,
    hidden: &[PathBuf],
) -> Result<SandboxedChild, SandboxError> {
    let preference = match backend {
        None => BackendPreference::Auto,
        Some(Backend::Bwrap) => BackendPreference::Bwrap,
        Some(Backend::Landlock) => BackendPreference::Landlock,
    };
    Sandbox {
        backend: preference,
        helper: Some(PathBuf::from(env!("CARGO_BIN_EXE_duet-linux-sandbox"))),
        hidden: hidden.to_vec(),
        ..Sandbox::new(policy.clone())
    }
    .spawn(spec)
}

/// The stdout, stderr and exit code of `spec` run to completion (at most
/// 30 s), after which its whole process group is killed.
pub async fn run(
    backend: Option<Backend>,
    spec: &CommandSpec,
    policy: &SandboxPolicy,
    hidden: &[PathBuf],
) -> Result<(String, String, i32), String> {
    let mut child = spawn_on(backend, spec, policy, hidden).map_err(|error| error.to_string())?;
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut err = child.stderr.take().expect("stderr is piped");
    let finished = tokio::time::timeout(Duration::from_secs(30), async {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let _ = tokio::join!(out.read_to_end(&mut stdout), err.read_to_end(&mut stderr));
        let status = child.wait().await;
        (stdout, stderr, status)
    })
    .await;
    child.kill_process_group();
    drop(child);
    let (stdout, stderr, status) = finished.map_err(|_| "timed out after 30 s".to_string())?;
    let status = status.map_err(|error| format!("wait failed: {error}"))?;
    Ok((
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
        duet_sandbox::exit_code(status),
    ))
}

/// Run one probe in one mode on a fresh fixture; the outcome and a note
/// (the script's last line, or what broke) for the printed table.
pub async fn run_probe(probe: &Probe, backend: Option<Backend>, mode: Mode) -> (Outcome, String) {
    let fixture = Fixture::new();
    let attempt = (probe.attempt)(&fixture);
    let policy = fixture.policy(mode);
    // The fixture's saved keys are hidden, as duet hides `duet login`'s.
    let hidden = [fixture.saved_keys()];
    let (stdout, stderr, code) =
        match run(backend, &fixture.spec(&attempt.script), &policy, &hidden).await {
            Ok(output) => output,
            Err(why) => return (Outcome::Broken(why.clone()), why),
        };
    let last = stdout.lines().last().unwrap_or("").trim().to_string();
    let reported = if last == "ALLOWED" {
        Outcome::Allowed
    } else if last == "DENIED" || last.starts_with("DENIED ") {
        Outcome::Denied
    } else {
        let why = format!(
            "exit {code}, stdout {:?}, stderr {:?}",
            tail(&stdout),
            tail(&stderr)
        );
        return (Outcome::Broken(why.clone()), why);
    };
    let note = match stderr.lines().last() {
        Some(line) => format!("{last} | {line}"),
        None => last,
    };
    let effect = match judge(attempt.check).await {
        None => return (reported, note),
        Some(effect) => effect,
    };
    if effect && reported == Outcome::Denied {
        let why = format!("the host sees the effect but the probe reported `{note}`");
        return (Outcome::Broken(why.clone()), why);
    }
    let outcome = if effect {
        Outcome::Allowed
    } else {
        Outcome::Denied
    };
    (outcome, note)
}

fn tail(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars[chars.len().saturating_sub(300)..].iter().collect()
}

/// Whether the host sees the effect; `None` when only the script can tell.
async fn judge(check: Check) -> Option<bool> {
    Some(match check {
        Check::Reported => return None,
        Check::PathExists(path) => path.symlink_metadata().is_ok(),
        Check::PathGone(path) => path.symlink_metadata().is_err(),
        Check::FileChanged(path, bytes) => std::fs::read(&path).ok() != Some(bytes),
        Check::ModeChanged(path, mode) => {
            std::fs::metadata(&path)
                .map(|meta| meta.mode() & 0o7777)
                .ok()
                != Some(mode)
        }
        Check::TcpAccepted(listener) => {
            listener
                .set_nonblocking(true)
                .expect("non-blocking listener");
            listener.accept().is_ok()
        }
        Check::TcpReceived(listener, expected) => {
            use std::io::Read;
            listener
                .set_nonblocking(true)
                .expect("non-blocking listener");
            let mut received = Vec::new();
            if let Ok((mut connection, _)) = listener.accept() {
                connection
                    .set_nonblocking(true)
                    .expect("non-blocking connection");
                let _ = connection.read_to_end(&mut received);
            }
            received == expected
        }
        Check::UdpReceived(socket) => {
            socket.set_nonblocking(true).expect("non-blocking socket");
            socket.recv(&mut [0; 16]).is_ok()
        }
        Check::UnixAccepted(listener) => {
            listener
                .set_nonblocking(true)
                .expect("non-blocking listener");
            listener.accept().is_ok()
        }
        Check::ProcessAlive(token) => {
            // Killed processes take a moment to be reaped by their parent.
            let mut alive = true;
            for _ in 0..50 {
                alive = !processes_with(&token).is_empty();
                if !alive {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            alive
        }
        Check::HostChildDied(mut child) => {
            // A SIGKILL is delivered at once but the exit takes a moment.
            let mut died = false;
            for _ in 0..50 {
                died = child.try_wait().expect("poll host child").is_some();
                if died {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let _ = child.kill();
            let _ = child.wait();
            died
        }
        Check::ListingChanged(listings) => {
            listings.iter().any(|(dir, before)| &listing(dir) != before)
        }
    })
}
