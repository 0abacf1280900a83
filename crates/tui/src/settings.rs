//! The TUI's own reading of the configuration: `[tui]` keys (which core
//! accepts but does not interpret) and whether the user chose an approval
//! policy at all (the TUI's default is `on-request`, where `duet exec`'s is
//! `never`). Reads the same `config.toml` core validated, and the same `-c`
//! overrides; a key in the selected profile counts too.

use duet_protocol::ApprovalPolicy;

/// What the TUI takes from `config.toml` and `-c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TuiSettings {
    pub alt_screen: bool,
    /// `tui.vim`: the composer starts in vim mode.
    pub vim: bool,
    /// `Some` only when nothing set `approval_policy`: the TUI's default.
    pub default_approval: Option<ApprovalPolicy>,
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
    let default_approval = lookup("approval_policy")
        .is_none()
        .then_some(ApprovalPolicy::OnRequest);
    TuiSettings {
        alt_screen,
        vim,
        default_approval,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn check(file: Option<&str>, overrides: &[(&str, toml::Value)], expected: TuiSettings) {
        let overrides: Vec<(String, toml::Value)> = overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        assert_eq!(resolve(file, &overrides, None), expected);
    }

    const DEFAULTS: TuiSettings = TuiSettings {
        alt_screen: false,
        vim: false,
        default_approval: Some(ApprovalPolicy::OnRequest),
    };

    #[test]
    fn nothing_set_is_inline_and_on_request() {
        check(None, &[], DEFAULTS);
    }

    #[test]
    fn the_file_and_overrides_choose_the_screen() {
        let always = TuiSettings {
            alt_screen: true,
            ..DEFAULTS
        };
        check(Some("[tui]\nalternate_screen = \"always\"\n"), &[], always);
        check(Some("[tui]\nalternate_screen = true\n"), &[], always);
        check(
            Some("[tui]\nalternate_screen = true\n"),
            &[("tui.alternate_screen", toml::Value::String("never".into()))],
            DEFAULTS,
        );
    }

    #[test]
    fn vim_mode_is_read_from_tui_vim() {
        let vim = TuiSettings {
            vim: true,
            ..DEFAULTS
        };
        check(Some("[tui]\nvim = true\n"), &[], vim);
        check(None, &[("tui.vim", toml::Value::Boolean(true))], vim);
    }

    #[test]
    fn a_chosen_approval_policy_is_left_alone() {
        let chosen = TuiSettings {
            default_approval: None,
            ..DEFAULTS
        };
        check(Some("approval_policy = \"never\"\n"), &[], chosen);
        check(
            None,
            &[("approval_policy", toml::Value::String("never".into()))],
            chosen,
        );
        check(
            Some("profile = \"p\"\n[profiles.p]\napproval_policy = \"untrusted\"\n"),
            &[],
            chosen,
        );
    }
}
