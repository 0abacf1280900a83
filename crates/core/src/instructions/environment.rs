//! The `<environment_context>` block: where the session runs and what its
//! commands may touch, as the second text part of the first user message.
//!
//! The element names `cwd`, `shell`, `current_date` and `timezone` are the
//! reference's; the permission elements are duet's own, written to be read
//! by a model rather than parsed. The text of the permissions themselves
//! (what to do when blocked) is in `permissions.rs`.

use crate::config::Config;
use duet_protocol::SandboxMode;
use std::fmt::Write as _;
use std::path::PathBuf;

pub(crate) fn environment_context(config: &Config, shell: &str, now: jiff::Zoned) -> String {
    let timezone = match now.time_zone().iana_name() {
        Some(name) => name.to_string(),
        None => now.offset().to_string(),
    };
    let mut block = String::from("<environment_context>\n");
    push_element(&mut block, "cwd", &config.cwd.display().to_string());
    push_element(&mut block, "shell", shell);
    push_element(&mut block, "current_date", &now.date().to_string());
    push_element(&mut block, "timezone", &timezone);
    push_element(&mut block, "sandbox_mode", config.sandbox_mode.as_str());
    let network = if network_allowed(config) {
        "enabled"
    } else {
        "restricted"
    };
    push_element(&mut block, "network_access", network);
    if config.sandbox_mode == SandboxMode::WorkspaceWrite {
        block.push_str("  <writable_roots>\n");
        for root in writable_roots(config) {
            let _ = writeln!(block, "    <root>{}</root>", escape(&root));
        }
        block.push_str("  </writable_roots>\n");
    }
    push_element(
        &mut block,
        "approval_policy",
        config.approval_policy.as_str(),
    );
    block.push_str("</environment_context>");
    block
}

/// Whether commands may reach the network under the configured sandbox.
pub(super) fn network_allowed(config: &Config) -> bool {
    match config.sandbox_mode {
        SandboxMode::ReadOnly => false,
        SandboxMode::WorkspaceWrite => config.sandbox_workspace_write.network_access,
        SandboxMode::DangerFullAccess => true,
    }
}

/// The directories a `workspace-write` command may write, cwd first,
/// without duplicates. `$TMPDIR` is named, not resolved: its value belongs
/// to the command's environment, not to duet's.
pub(super) fn writable_roots(config: &Config) -> Vec<String> {
    let settings = &config.sandbox_workspace_write;
    let mut paths: Vec<PathBuf> = vec![config.cwd.clone()];
    paths.extend(settings.writable_roots.iter().cloned());
    paths.extend(config.additional_writable_roots.iter().cloned());
    if !settings.exclude_slash_tmp {
        paths.push(PathBuf::from("/tmp"));
    }
    let mut roots: Vec<String> = Vec::new();
    for path in paths {
        let root = path.display().to_string();
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    if !settings.exclude_tmpdir_env_var {
        roots.push("$TMPDIR".to_string());
    }
    roots
}

fn push_element(block: &mut String, name: &str, value: &str) {
    let _ = writeln!(block, "  <{name}>{}</{name}>", escape(value));
}

/// Escapes the characters that would break the XML-ish shape.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SandboxWorkspaceWrite;
    use duet_protocol::ApprovalPolicy;
    use pretty_assertions::assert_eq;

    fn config(sandbox_mode: SandboxMode) -> Config {
        let mut config =
            Config::defaults(PathBuf::from("/h/.duet"), PathBuf::from("/home/user/repo"));
        config.sandbox_mode = sandbox_mode;
        config
    }

    /// Built without the host's tz database, so the test runs anywhere.
    fn at(offset_hours: i8) -> jiff::Zoned {
        let time_zone = match offset_hours {
            0 => jiff::tz::TimeZone::UTC,
            hours => jiff::tz::TimeZone::fixed(jiff::tz::offset(hours)),
        };
        jiff::civil::date(2026, 11, 21)
            .at(23, 30, 0, 0)
            .to_zoned(time_zone)
            .unwrap()
    }

    fn now() -> jiff::Zoned {
        at(0)
    }

    #[test]
    fn read_only_snapshot() {
        assert_eq!(
            environment_context(&config(SandboxMode::ReadOnly), "bash", now()),
            "<environment_context>
  <cwd>/home/user/repo</cwd>
  <shell>bash</shell>
  <current_date>2026-11-21</current_date>
  <timezone>UTC</timezone>
  <sandbox_mode>read-only</sandbox_mode>
  <network_access>restricted</network_access>
  <approval_policy>never</approval_policy>
</environment_context>"
        );
    }

    #[test]
    fn workspace_write_lists_writable_roots() {
        let mut config = config(SandboxMode::WorkspaceWrite);
        config.approval_policy = ApprovalPolicy::OnRequest;
        config.sandbox_workspace_write = SandboxWorkspaceWrite {
            writable_roots: vec![PathBuf::from("/opt/a&b"), PathBuf::from("/home/user/repo")],
            network_access: true,
            exclude_tmpdir_env_var: false,
            exclude_slash_tmp: true,
        };
        config.additional_writable_roots = vec![PathBuf::from("/data")];
        assert_eq!(
            environment_context(&config, "zsh", at(-5)),
            "<environment_context>
  <cwd>/home/user/repo</cwd>
  <shell>zsh</shell>
  <current_date>2026-11-21</current_date>
  <timezone>-05</timezone>
  <sandbox_mode>workspace-write</sandbox_mode>
  <network_access>enabled</network_access>
  <writable_roots>
    <root>/home/user/repo</root>
    <root>/opt/a&amp;b</root>
    <root>/data</root>
    <root>$TMPDIR</root>
  </writable_roots>
  <approval_policy>on-request</approval_policy>
</environment_context>"
        );
    }

    #[test]
    fn full_access_has_network_and_no_roots() {
        let text = environment_context(&config(SandboxMode::DangerFullAccess), "sh", now());
        let permission_lines: Vec<&str> = text.lines().skip(5).collect();
        assert_eq!(
            permission_lines,
            vec![
                "  <sandbox_mode>danger-full-access</sandbox_mode>",
                "  <network_access>enabled</network_access>",
                "  <approval_policy>never</approval_policy>",
                "</environment_context>",
            ]
        );
    }
}
