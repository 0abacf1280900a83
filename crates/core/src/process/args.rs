//! The JSON arguments of the `exec_command` and `write_stdin` tools, with the
//! reference's names, defaults and limits.
//!
//! Parsing only: resolving `workdir` against the cwd, choosing the shell and
//! deciding escalation belong to the caller.

use serde::Deserialize;
use std::time::Duration;

const EXEC_YIELD_DEFAULT_MS: u64 = 10_000;
const WRITE_STDIN_YIELD_DEFAULT_MS: u64 = 250;
const YIELD_MIN_MS: u64 = 250;
const YIELD_MAX_MS: u64 = 30_000;
const MAX_OUTPUT_TOKENS_DEFAULT: usize = 10_000;

/// `exec_command` arguments. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct ExecCommandArgs {
    pub cmd: String,
    #[serde(default)]
    pub workdir: Option<String>,
    #[serde(default)]
    pub shell: Option<String>,
    #[serde(default = "default_true")]
    pub login: bool,
    /// Accepted for compatibility and ignored: duet has no PTY yet.
    #[serde(default)]
    pub tty: bool,
    #[serde(default)]
    pub yield_time_ms: Option<u64>,
    #[serde(default)]
    pub max_output_tokens: Option<usize>,
    #[serde(default)]
    pub sandbox_permissions: SandboxPermissions,
    #[serde(default)]
    pub justification: Option<String>,
    #[serde(default)]
    pub prefix_rule: Option<Vec<String>>,
}

/// Whether the model asks to run outside the sandbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SandboxPermissions {
    #[default]
    UseDefault,
    RequireEscalated,
}

/// `write_stdin` arguments. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct WriteStdinArgs {
    pub session_id: i32,
    #[serde(default)]
    pub chars: String,
    #[serde(default)]
    pub yield_time_ms: Option<u64>,
    #[serde(default)]
    pub max_output_tokens: Option<usize>,
}

impl ExecCommandArgs {
    /// `yield_time_ms`, default 10 s, clamped to 250 ms..=30 s.
    pub fn yield_time(&self) -> Duration {
        clamp_yield(self.yield_time_ms.unwrap_or(EXEC_YIELD_DEFAULT_MS))
    }

    /// `max_output_tokens`, default 10 000.
    pub fn max_output_tokens(&self) -> usize {
        self.max_output_tokens.unwrap_or(MAX_OUTPUT_TOKENS_DEFAULT)
    }
}

impl WriteStdinArgs {
    /// `yield_time_ms`, default 250 ms, clamped to 250 ms..=30 s.
    pub fn yield_time(&self) -> Duration {
        clamp_yield(self.yield_time_ms.unwrap_or(WRITE_STDIN_YIELD_DEFAULT_MS))
    }

    /// `max_output_tokens`, default 10 000.
    pub fn max_output_tokens(&self) -> usize {
        self.max_output_tokens.unwrap_or(MAX_OUTPUT_TOKENS_DEFAULT)
    }
}

fn clamp_yield(ms: u64) -> Duration {
    Duration::from_millis(ms.clamp(YIELD_MIN_MS, YIELD_MAX_MS))
}

fn default_true() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn exec_command_defaults() {
        let args: ExecCommandArgs = serde_json::from_str(r#"{"cmd":"ls"}"#).expect("parse");
        assert_eq!(
            args,
            ExecCommandArgs {
                cmd: "ls".to_string(),
                workdir: None,
                shell: None,
                login: true,
                tty: false,
                yield_time_ms: None,
                max_output_tokens: None,
                sandbox_permissions: SandboxPermissions::UseDefault,
                justification: None,
                prefix_rule: None,
            }
        );
        assert_eq!(
            (args.yield_time(), args.max_output_tokens()),
            (Duration::from_secs(10), 10_000)
        );
    }

    #[test]
    fn exec_command_all_fields_and_clamping() {
        let args: ExecCommandArgs = serde_json::from_str(
            r#"{"cmd":"npm i","workdir":"web","shell":"/bin/zsh","login":false,"tty":true,
                "yield_time_ms":60000,"max_output_tokens":50,
                "sandbox_permissions":"require_escalated","justification":"needs network",
                "prefix_rule":["npm","i"],"extra":1}"#,
        )
        .expect("parse");
        assert_eq!(
            args,
            ExecCommandArgs {
                cmd: "npm i".to_string(),
                workdir: Some("web".to_string()),
                shell: Some("/bin/zsh".to_string()),
                login: false,
                tty: true,
                yield_time_ms: Some(60_000),
                max_output_tokens: Some(50),
                sandbox_permissions: SandboxPermissions::RequireEscalated,
                justification: Some("needs network".to_string()),
                prefix_rule: Some(vec!["npm".to_string(), "i".to_string()]),
            }
        );
        assert_eq!(
            (args.yield_time(), args.max_output_tokens()),
            (Duration::from_secs(30), 50)
        );
    }

    #[test]
    fn write_stdin_defaults_and_clamping() {
        let args: WriteStdinArgs = serde_json::from_str(r#"{"session_id":59930}"#).expect("parse");
        assert_eq!(
            args,
            WriteStdinArgs {
                session_id: 59930,
                chars: String::new(),
                yield_time_ms: None,
                max_output_tokens: None,
            }
        );
        assert_eq!(args.yield_time(), Duration::from_millis(250));
        let fast: WriteStdinArgs =
            serde_json::from_str(r#"{"session_id":1,"chars":"q\n","yield_time_ms":1}"#)
                .expect("parse");
        assert_eq!(
            (fast.chars.as_str(), fast.yield_time()),
            ("q\n", Duration::from_millis(250))
        );
    }

    #[test]
    fn missing_cmd_is_an_error() {
        let error = serde_json::from_str::<ExecCommandArgs>("{}").expect_err("cmd is required");
        assert_eq!(error.to_string(), "missing field `cmd` at line 1 column 2");
    }
}
