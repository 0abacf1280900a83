//! Which environment variables a child sees (`[shell_environment_policy]`).
//! STUB: the behaviour is being written; the config shape is fixed.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShellEnvironmentPolicy {
    pub inherit: ShellEnvironmentPolicyInherit,
    /// When false, variables whose name contains `KEY`, `SECRET` or `TOKEN`
    /// (any case) are dropped.
    pub ignore_default_excludes: bool,
    pub exclude: Vec<EnvironmentVariablePattern>,
    pub set: BTreeMap<String, String>,
    pub include_only: Vec<EnvironmentVariablePattern>,
    pub experimental_use_profile: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShellEnvironmentPolicyInherit {
    #[default]
    All,
    Core,
    None,
}

/// A case-insensitive glob over variable names (`*` and `?`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct EnvironmentVariablePattern(pub String);

impl ShellEnvironmentPolicy {
    /// STUB
    pub fn apply(
        &self,
        base: impl IntoIterator<Item = (String, String)>,
    ) -> std::collections::HashMap<String, String> {
        base.into_iter().collect()
    }
}
