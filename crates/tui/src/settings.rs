//! The TUI's own reading of the configuration: `[tui]` keys (which core
//! accepts but does not interpret) and whether the user chose an approval
//! policy at all (the TUI's default is `on-request`, where `duet exec`'s is
//! `never`). Reads the same `config.toml` core validated, and the same `-c`
//! overrides; a key in the selected profile counts too.

use crate::history::reasoning::ReasoningDisplay;
use duet_protocol::ApprovalPolicy;

/// What the TUI takes from `config.toml` and `-c`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TuiSettings {
    pub alt_screen: bool,
    /// `tui.vim`: the composer starts in vim mode.
    pub vim: bool,
    /// `tui.show_reasoning`: collapsed (the default), expanded or hidden.
    pub show_reasoning: ReasoningDisplay,
    /// `Some` only when nothing set `approval_policy`: the TUI's default.
    pub default_approval: Option<ApprovalPolicy>,
    /// What was wrong with a `[tui]` value that was left at its default,
    /// for the user to fix.
    pub warnings: Vec<String>,
}

/// Resolve from the config file's text (if any), the parsed `-c` overrides
/// and the selected profile.
pub fn resolve(
    file_text: Option<&str>,
    overrides: &[(String, toml::Value)],
    profile: Option<&str>,
) -> TuiSettings {
    let file: toml::Table = file_text
        .and_then(|text| toml::from_str(text).ok())
        .unwrap_or_default();
    let profile = profile.map(str::to_owned).or_else(|| {
        file.get("profile")
            .and_then(toml::Value::as_str)
            .map(str::to_owned)
    });
    let from_file = |key: &str| -> Option<toml::Value> {
        let in_profile = profile
            .as_ref()
            .and_then(|name| file.get("profiles")?.get(name)?.get(key).cloned());
        in_profile.or_else(|| {
            let mut value = file.get(key.split('.').next()?)?;
            for part in key.split('.').skip(1) {
                value = value.get(part)?;
            }
            Some(value.clone())
        })
    };
    let lookup = |key: &str| -> Option<toml::Value> {
        overrides
            .iter()
            .rev()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.clone())
            .or_else(|| from_file(key))
    };
    let alt_screen = match lookup("tui.alternate_screen") {
        Some(toml::Value::Boolean(on)) => on,
        Some(toml::Value::String(mode)) => mode == "always",
        _ => false,
    };
    let vim = matches!(lookup("tui.vim"), Some(toml::Value::Boolean(true)));
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
    let default_approval = lookup("approval_policy")
        .is_none()
        .then_some(ApprovalPolicy::OnRequest);
    TuiSettings {
        alt_screen,
        vim,
        show_reasoning,
        default_approval,
        warnings,
    }
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
        assert_eq!(&resolve(file, &overrides, None), expected);
    }

    const DEFAULTS: TuiSettings = TuiSettings {
        alt_screen: false,
        vim: false,
        show_reasoning: ReasoningDisplay::Collapsed,
        default_approval: Some(ApprovalPolicy::OnRequest),
        warnings: Vec::new(),
    };

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
