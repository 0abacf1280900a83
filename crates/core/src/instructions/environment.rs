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

/// The current time in the system's time zone, as `jiff::Zoned::now()`
/// gives it, without what that costs on its first call: jiff lists every
/// name under `/usr/share/zoneinfo` to look the zone up (about 1.3 ms, on
/// the way to every session's first request). In the common case, `TZ`
/// unset and `/etc/localtime` a symlink into a zoneinfo directory, the
/// zone is read from that file and named after the link, as jiff would
/// name it; anything else is left to jiff.
pub(crate) fn local_now() -> jiff::Zoned {
    let zone = match std::env::var_os("TZ") {
        None => zone_of_localtime(std::path::Path::new("/etc/localtime")),
        Some(_) => None,
    };
    match zone {
        Some(zone) => jiff::Timestamp::now().to_zoned(zone),
        None => jiff::Zoned::now(),
    }
}

/// The zone in `path` when it is a symlink whose target names it
/// (`…/zoneinfo/Europe/Paris`), else `None`.
fn zone_of_localtime(path: &std::path::Path) -> Option<jiff::tz::TimeZone> {
    const NEEDLE: &str = "zoneinfo/";
    let target = std::fs::read_link(path).ok()?;
    let target = target.to_str()?;
    let name = &target[target.rfind(NEEDLE)? + NEEDLE.len()..];
    let data = std::fs::read(path).ok()?;
    jiff::tz::TimeZone::tzif(name, &data).ok()
}

/// The `<cwd>` element of `config`'s context, as [`environment_context`]
/// writes it.
pub(crate) fn cwd_element(config: &Config) -> String {
    format!("<cwd>{}</cwd>", escape(&config.cwd.display().to_string()))
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
    fn localtime_symlinked_into_a_zoneinfo_directory_names_its_zone() {
        let dir = tempfile::tempdir().unwrap();
        let zone_file = dir.path().join("share/zoneinfo/Asia/Kolkata");
        std::fs::create_dir_all(zone_file.parent().unwrap()).unwrap();
        std::fs::write(&zone_file, include_bytes!("testdata/Asia-Kolkata.tzif")).unwrap();
        let localtime = dir.path().join("localtime");
        std::os::unix::fs::symlink("share/zoneinfo/Asia/Kolkata", &localtime).unwrap();
        let zone = zone_of_localtime(&localtime).unwrap();
        let at = jiff::civil::date(2026, 11, 21).at(12, 0, 0, 0);
        assert_eq!(
            (
                zone.iana_name().map(str::to_owned),
                at.to_zoned(zone).unwrap().offset().to_string()
            ),
            (Some("Asia/Kolkata".to_string()), "+05:30".to_string())
        );

        // Not a symlink, or a link that names no zoneinfo entry: jiff's turn.
        let copy = dir.path().join("copy");
        std::fs::copy(&zone_file, &copy).unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::os::unix::fs::symlink("copy", &elsewhere).unwrap();
        assert_eq!(
            (
                zone_of_localtime(&copy).is_none(),
                zone_of_localtime(&elsewhere).is_none(),
                zone_of_localtime(&dir.path().join("missing")).is_none(),
            ),
            (true, true, true)
        );
    }

    #[test]
    fn local_now_names_the_zone_jiff_would() {
        assert_eq!(
            local_now().time_zone().iana_name(),
            jiff::Zoned::now().time_zone().iana_name()
        );
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
