//! `duet config import --from codex`: a Codex home's settings copied into
//! `$DUET_HOME`, and what duet does with them: the first run with them
//! loads the imported profile and warns about the key it does not know.

#![allow(clippy::disallowed_methods)]

use crate::common::Workspace;
use pretty_assertions::assert_eq;
use std::process::Command;

#[test]
fn codex_settings_are_imported_and_then_used() {
    let workspace = Workspace::new();
    let codex = workspace.home().join("codex-home");
    std::fs::create_dir_all(codex.join("rules")).unwrap();
    std::fs::write(
        codex.join("config.toml"),
        "model = \"gpt-5.5\"\nweb_search = \"live\"\nprofile = \"fast\"\n",
    )
    .unwrap();
    std::fs::write(codex.join("fast.config.toml"), "model = \"gpt-5.5-mini\"\n").unwrap();
    std::fs::write(
        codex.join("rules/default.rules"),
        "prefix_rule(pattern = [\"ls\"], decision = \"allow\")\n",
    )
    .unwrap();
    let duet = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_duet"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", workspace.home())
            .env("DUET_HOME", workspace.home())
            .env("CODEX_HOME", &codex)
            .current_dir(workspace.repo())
            .output()
            .expect("duet runs")
    };
    let output = duet(&["config", "import", "--from", "codex"]);
    let home = workspace.home().display().to_string();
    let stdout = String::from_utf8_lossy(&output.stdout).replace(&home, "<home>");
    assert_eq!(
        (output.status.code(), stdout.as_str()),
        (
            Some(0),
            "copied `<home>/codex-home/config.toml` to `<home>/config.toml` (the configuration)\n  \
             `model`: used\n  `profile`: used\n  `web_search`: unknown to duet, which ignores it \
             and warns; remove it to silence that\ncopied `<home>/codex-home/fast.config.toml` to \
             `<home>/fast.config.toml` (the profile `fast`)\n  `model`: used\ncopied \
             `<home>/codex-home/rules/default.rules` to `<home>/rules/default.rules` (rules)\n"
        )
    );
    // The imported settings are duet's now: the profile file applies and
    // the unknown key warns.
    let doctor = duet(&["doctor", "--json", "--offline"]);
    let report: serde_json::Value = serde_json::from_slice(&doctor.stdout).expect("JSON");
    let text = report.to_string();
    assert!(text.contains("gpt-5.5-mini"), "{text}");
    assert!(text.contains("unknown config key `web_search`"), "{text}");
    // A second import replaces nothing.
    let again = duet(&["config", "import", "--from", "codex"]);
    let again = String::from_utf8_lossy(&again.stdout).replace(&home, "<home>");
    assert!(
        again.starts_with(
            "skipped `<home>/codex-home/config.toml` (the configuration): `<home>/config.toml` exists"
        ),
        "{again}"
    );
}
