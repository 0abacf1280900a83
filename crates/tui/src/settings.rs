//! The TUI's own settings: the `[tui]` keys, which core layers like every
//! table (file, profile, `-c`) into `Config::tui` but leaves to the TUI to
//! interpret, and the TUI's default approval policy (`on-request`, where
//! `duet exec`'s is `never`) when nothing chose one.

use crate::history::reasoning::ReasoningDisplay;
use duet_protocol::ApprovalPolicy;

/// What the TUI takes from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TuiSettings {
    pub alt_screen: bool,
    /// `tui.vim`: the composer starts in vim mode.
    pub vim: bool,
    /// `tui.show_reasoning`: collapsed (the default), expanded or hidden.
    pub show_reasoning: ReasoningDisplay,
    /// `tui.edit_compaction`: every compaction's hand-off opens in
    /// `$VISUAL` / `$EDITOR` before it is used.
    pub edit_compaction: bool,
    /// `Some` only when nothing set `approval_policy`: the TUI's default.
    pub default_approval: Option<ApprovalPolicy>,
    /// What was wrong with a `[tui]` value that was left at its default,
    /// for the user to fix.
    pub warnings: Vec<String>,
}

/// Resolve from the layered `[tui]` table (`Config::tui`) and whether
/// anything chose the approval policy (`Config::approval_policy_chosen`).
pub fn resolve(tui: &toml::Table, approval_policy_chosen: bool) -> TuiSettings {
    let lookup = |key: &str| -> Option<toml::Value> {
        let mut parts = key.strip_prefix("tui.")?.split('.');
        let mut value = tui.get(parts.next()?)?;
        for part in parts {
            value = value.get(part)?;
        }
        Some(value.clone())
    };
    let alt_screen = match lookup("tui.alternate_screen") {
        Some(toml::Value::Boolean(on)) => on,
        Some(toml::Value::String(mode)) => mode == "always",
        _ => false,
    };
    // `vim_mode_default` is the reference's name for it.
    let vim = matches!(
        lookup("tui.vim").or_else(|| lookup("tui.vim_mode_default")),
        Some(toml::Value::Boolean(true))
    );
    let mut warnings = Vec::new();
    let show_reasoning = match lookup("tui.show_reasoning") {
        None => ReasoningDisplay::default(),
        Some(value) => match value.as_str().and_then(ReasoningDisplay::parse) {
            Some(display) => display,
            None => {
                warnings.push(format!(
                    "`tui.show_reasoning` is {value}, which is not one of `{}`: reasoning summaries are collapsed; fix it in config.toml",
                    ReasoningDisplay::NAMES.join("`, `")
                ));
                ReasoningDisplay::default()
            }
        },
    };
    let default_approval = (!approval_policy_chosen).then_some(ApprovalPolicy::OnRequest);
    let edit_compaction = match lookup("tui.edit_compaction") {
        None => false,
        Some(toml::Value::Boolean(on)) => on,
        Some(value) => {
            warnings.push(format!(
                "`tui.edit_compaction` is {value}, not `true` or `false`: compactions are not opened in the editor; fix it in config.toml"
            ));
            false
        }
    };
    TuiSettings {
        alt_screen,
        vim,
        show_reasoning,
        edit_compaction,
        default_approval,
        warnings,
    }
}

/// The configuration core loads from `file` (as `config.toml`) and `-c`
/// `overrides`, in a home of its own: the tests' way to the layered
/// `[tui]` table.
#[cfg(test)]
pub(crate) fn test_config(
    file: Option<&str>,
    overrides: &[(String, toml::Value)],
) -> duet_core::Config {
    let home = tempfile::tempdir().expect("a home");
    if let Some(text) = file {
        std::fs::write(home.path().join("config.toml"), text).expect("config.toml");
    }
    let home_path = home.path().display().to_string();
    let overrides = duet_core::config::ConfigOverrides {
        cwd: Some(home.path().to_path_buf()),
        cli_overrides: overrides.to_vec(),
        ..Default::default()
    };
    duet_core::config::load_config(overrides, &|name| {
        (name == "DUET_HOME").then(|| home_path.clone())
    })
    .expect("the configuration loads")
    .config
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn check(file: Option<&str>, overrides: &[(&str, toml::Value)], expected: &TuiSettings) {
        let overrides: Vec<(String, toml::Value)> = overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        let config = test_config(file, &overrides);
        assert_eq!(
            &resolve(&config.tui, config.approval_policy_chosen),
            expected
        );
    }

    const DEFAULTS: TuiSettings = TuiSettings {
        alt_screen: false,
        vim: false,
        show_reasoning: ReasoningDisplay::Collapsed,
        edit_compaction: false,
        default_approval: Some(ApprovalPolicy::OnRequest),
        warnings: Vec::new(),
    };

    #[test]
    fn edit_compaction_is_read_and_a_bad_value_is_a_warning() {
        check(
            Some("[tui]\nedit_compaction = true\n"),
            &[],
            &TuiSettings {
                edit_compaction: true,
                ..DEFAULTS
            },
        );
        check(
            Some("[tui]\nedit_compaction = \"yes\"\n"),
            &[],
            &TuiSettings {
                warnings: vec![
                    "`tui.edit_compaction` is \"yes\", not `true` or `false`: compactions are not opened in the editor; fix it in config.toml".to_owned(),
                ],
                ..DEFAULTS
            },
        );
    }

    #[test]
    fn nothing_set_is_inline_and_on_request() {
        check(None, &[], &DEFAULTS);
    }

    #[test]
    fn the_file_and_overrides_choose_the_screen() {
        let always = TuiSettings {
            alt_screen: true,
            ..DEFAULTS
        };
        check(Some("[tui]\nalternate_screen = \"always\"\n"), &[], &always);
        check(Some("[tui]\nalternate_screen = true\n"), &[], &always);
        check(
            Some("[tui]\nalternate_screen = true\n"),
            &[("tui.alternate_screen", toml::Value::String("never".into()))],
            &DEFAULTS,
        );
    }

    #[test]
    fn vim_mode_is_read_from_tui_vim() {
        let vim = TuiSettings {
            vim: true,
            ..DEFAULTS
        };
        check(Some("[tui]\nvim = true\n"), &[], &vim);
        // The reference's name for it.
        check(Some("[tui]\nvim_mode_default = true\n"), &[], &vim);
        check(None, &[("tui.vim", toml::Value::Boolean(true))], &vim);
    }

    #[test]
    fn show_reasoning_is_read_and_a_bad_value_is_a_warning() {
        let with = |show_reasoning| TuiSettings {
            show_reasoning,
            ..DEFAULTS
        };
        check(
            Some("[tui]\nshow_reasoning = \"expanded\"\n"),
            &[],
            &with(ReasoningDisplay::Expanded),
        );
        check(
            Some("[tui]\nshow_reasoning = \"expanded\"\n"),
            &[("tui.show_reasoning", toml::Value::String("hidden".into()))],
            &with(ReasoningDisplay::Hidden),
        );
        check(
            Some("[tui]\nshow_reasoning = \"full\"\n"),
            &[],
            &TuiSettings {
                warnings: vec![
                    "`tui.show_reasoning` is \"full\", which is not one of `collapsed`, `expanded`, `hidden`: reasoning summaries are collapsed; fix it in config.toml".to_owned(),
                ],
                ..DEFAULTS
            },
        );
    }

    #[test]
    fn a_chosen_approval_policy_is_left_alone() {
        let chosen = TuiSettings {
            default_approval: None,
            ..DEFAULTS
        };
        check(Some("approval_policy = \"never\"\n"), &[], &chosen);
        check(
            None,
            &[("approval_policy", toml::Value::String("never".into()))],
            &chosen,
        );
        check(
            Some("profile = \"p\"\n[profiles.p]\napproval_policy = \"untrusted\"\n"),
            &[],
            &chosen,
        );
    }
}
