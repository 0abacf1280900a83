//! Reading the environment a login shell would give a command, once per
//! session, so each later command is one plain `<shell> -c` spawn.
//!
//! This runs duet's own trusted helper (`<shell> -lc`) through
//! `duet_sandbox::host_command`, unconfined: it executes only the user's
//! profile and a fixed script, never model input. It does not filter the
//! result; the caller applies `ShellEnvironmentPolicy::apply` to it.

use super::ExecError;
use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// Profiles that take longer than this are abandoned.
const LOGIN_ENV_TIMEOUT: Duration = Duration::from_secs(5);

/// Printed before `env -0` so anything the profile prints on stdout is
/// skipped. The NUL bytes mean it cannot occur inside a variable.
const MARKER: &[u8] = b"\0__DUET_LOGIN_ENV__\0";
const SCRIPT: &str = r"printf '\0__DUET_LOGIN_ENV__\0'; exec env -0";

/// Variables that describe the capturing shell itself, not the login
/// environment; each command's shell sets its own.
const SHELL_OWN_VARIABLES: &[&str] = &["_", "PWD", "OLDPWD", "SHLVL"];

/// Run `<shell> -lc` once with `base_env` (stdin null, 5 s limit) and return
/// the environment it exports. On error the caller should fall back to
/// `base_env` and show the error's message as a warning.
pub(crate) async fn capture_login_env(
    shell: &Path,
    base_env: &HashMap<String, String>,
) -> Result<HashMap<String, String>, ExecError> {
    capture_with_timeout(shell, base_env, LOGIN_ENV_TIMEOUT).await
}

async fn capture_with_timeout(
    shell: &Path,
    base_env: &HashMap<String, String>,
    timeout: Duration,
) -> Result<HashMap<String, String>, ExecError> {
    let failed = |reason: String| ExecError::LoginEnvironment {
        shell: shell.to_path_buf(),
        reason,
    };
    let mut command = duet_sandbox::host_command(shell);
    command
        .args(["-lc", SCRIPT])
        .env_clear()
        .envs(base_env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = match tokio::time::timeout(timeout, command.output()).await {
        Err(_elapsed) => {
            return Err(failed(format!(
                "the login shell did not finish within {} seconds",
                timeout.as_secs_f64()
            )));
        }
        Ok(Err(error)) => return Err(failed(format!("could not start it: {error}"))),
        Ok(Ok(output)) => output,
    };
    let Some(start) = find(&output.stdout, MARKER) else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last_line = stderr.lines().last().unwrap_or("").trim();
        return Err(failed(format!(
            "it exited with {} without printing its environment (last error line: `{last_line}`)",
            output.status
        )));
    };
    Ok(parse_env0(&output.stdout[start + MARKER.len()..]))
}

/// Parse `env -0` output: `NAME=value` entries separated by NUL bytes.
fn parse_env0(bytes: &[u8]) -> HashMap<String, String> {
    bytes
        .split(|&b| b == 0)
        .filter_map(|entry| {
            let entry = String::from_utf8_lossy(entry);
            let (name, value) = entry.split_once('=')?;
            let keep = !name.is_empty() && !SHELL_OWN_VARIABLES.contains(&name);
            keep.then(|| (name.to_string(), value.to_string()))
        })
        .collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::collections::BTreeMap;

    fn base_env(home: &Path) -> HashMap<String, String> {
        HashMap::from([
            ("HOME".to_string(), home.display().to_string()),
            ("PATH".to_string(), "/usr/bin:/bin".to_string()),
            ("BASE_ONLY".to_string(), "kept".to_string()),
        ])
    }

    #[test]
    fn parse_env0_splits_on_nul_and_first_equals() {
        let parsed = parse_env0(b"A=1\0B=x=y\0_=/usr/bin/env\0SHLVL=1\0NOEQUALS\0\0");
        assert_eq!(
            parsed.into_iter().collect::<BTreeMap<_, _>>(),
            BTreeMap::from([
                ("A".to_string(), "1".to_string()),
                ("B".to_string(), "x=y".to_string()),
            ])
        );
    }

    #[tokio::test]
    async fn captures_what_the_profile_exports_despite_noise() {
        let home = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            home.path().join(".bash_profile"),
            "echo noise from the profile\nexport PATH=\"$HOME/bin:$PATH\"\nexport DUET_PROFILE=loaded\n",
        )
        .expect("write profile");
        let env = capture_login_env(Path::new("/bin/bash"), &base_env(home.path()))
            .await
            .expect("capture");
        let home_text = home.path().display().to_string();
        let first_path_entry = env.get("PATH").and_then(|path| path.split(':').next());
        let projection = (
            env.get("HOME").map(String::as_str),
            env.get("BASE_ONLY").map(String::as_str),
            env.get("DUET_PROFILE").map(String::as_str),
            first_path_entry.map(str::to_string),
            SHELL_OWN_VARIABLES
                .iter()
                .any(|name| env.contains_key(*name)),
        );
        assert_eq!(
            projection,
            (
                Some(home_text.as_str()),
                Some("kept"),
                Some("loaded"),
                Some(format!("{home_text}/bin")),
                false
            )
        );
    }

    #[tokio::test]
    async fn a_missing_shell_is_an_error_naming_it() {
        let home = tempfile::tempdir().expect("tempdir");
        let error = capture_login_env(Path::new("/nonexistent/shell"), &base_env(home.path()))
            .await
            .expect_err("must fail");
        assert_eq!(
            error.to_string(),
            "could not read the login environment of `/nonexistent/shell`: could not start it: \
             No such file or directory (os error 2); commands run with duet's own environment \
             instead, so tools set up by the shell profile may be missing"
        );
    }

    #[tokio::test]
    async fn a_slow_profile_times_out() {
        let home = tempfile::tempdir().expect("tempdir");
        std::fs::write(home.path().join(".bash_profile"), "sleep 5\n").expect("write profile");
        let started = std::time::Instant::now();
        let error = capture_with_timeout(
            Path::new("/bin/bash"),
            &base_env(home.path()),
            Duration::from_millis(300),
        )
        .await
        .expect_err("must time out");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
        assert_eq!(
            error.to_string(),
            "could not read the login environment of `/bin/bash`: the login shell did not finish \
             within 0.3 seconds; commands run with duet's own environment instead, so tools set \
             up by the shell profile may be missing"
        );
    }

    #[tokio::test]
    async fn a_profile_that_exits_early_is_an_error() {
        let home = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            home.path().join(".bash_profile"),
            "echo broken >&2\nexit 7\n",
        )
        .expect("write profile");
        let error = capture_login_env(Path::new("/bin/bash"), &base_env(home.path()))
            .await
            .expect_err("must fail");
        assert_eq!(
            error.to_string(),
            "could not read the login environment of `/bin/bash`: it exited with exit status: 7 \
             without printing its environment (last error line: `broken`); commands run with \
             duet's own environment instead, so tools set up by the shell profile may be missing"
        );
    }
}
