//! The shape of `config.toml` as serde sees it: every key optional, unknown
//! keys kept aside so they can be reported instead of silently dropped.
//!
//! These types only check types. Defaults, precedence and path resolution
//! live in `config.rs`; turning a provider table into a `ProviderInfo` lives
//! in `provider.rs`.

use super::{ApplyPatchToolType, TrustLevel};
use duet_model::WireApi;
use duet_protocol::{ApprovalPolicy, ReasoningEffort, ReasoningSummary, SandboxMode};
use duet_sandbox::{BackendPreference, ShellEnvironmentPolicy};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Keys a struct did not recognise, by name, with their raw values.
type Unknown = BTreeMap<String, toml::Value>;

/// The whole file (or one `-c` override, seen as a tiny file).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ConfigToml {
    pub model: Option<String>,
    pub model_provider: Option<String>,
    pub model_providers: BTreeMap<String, ProviderToml>,
    /// `[model_prices."provider/model"]`: prices that win over the
    /// catalogue's.
    pub model_prices: BTreeMap<String, PriceToml>,
    pub openai_base_url: Option<String>,
    pub model_reasoning_effort: Option<ReasoningEffort>,
    pub model_reasoning_summary: Option<ReasoningSummary>,
    pub model_verbosity: Option<Verbosity>,
    pub model_context_window: Option<u64>,
    pub model_max_output_tokens: Option<u64>,
    pub model_supports_reasoning_summaries: Option<bool>,
    pub model_auto_compact_token_limit: Option<u64>,
    pub compact_prompt: Option<String>,
    pub experimental_compact_prompt_file: Option<PathBuf>,
    pub oss_provider: Option<String>,
    pub approval_policy: Option<ApprovalPolicy>,
    pub sandbox_mode: Option<SandboxMode>,
    pub sandbox_workspace_write: Option<SandboxWorkspaceWriteToml>,
    pub shell_environment_policy: Option<ShellEnvironmentPolicy>,
    pub sandbox_backend: Option<BackendPreference>,
    pub project_doc_max_bytes: Option<usize>,
    pub project_doc_fallback_filenames: Option<Vec<String>>,
    pub project_root_markers: Option<Vec<String>>,
    pub tools: Option<ToolsToml>,
    pub apply_patch_tool_type: Option<ApplyPatchToolType>,
    pub include_apply_patch_tool: Option<bool>,
    pub model_instructions_file: Option<PathBuf>,
    pub developer_instructions: Option<String>,
    pub include_environment_context: Option<bool>,
    pub include_permissions_instructions: Option<bool>,
    pub log_level: Option<super::LogLevel>,
    pub profile: Option<String>,
    pub profiles: BTreeMap<String, ProfileToml>,
    pub projects: BTreeMap<String, ProjectToml>,
    // Accepted so configs written for later issues load today; not used
    // yet, so each warns (`unsupported_keys`). `tui` is the TUI's.
    pub notify: Option<Vec<String>>,
    pub history: Option<HistoryToml>,
    pub budget: Option<BudgetToml>,
    pub tui: Option<toml::Value>,
    pub mcp_servers: Option<toml::Value>,
    pub features: Option<toml::Value>,
    pub hide_agent_reasoning: Option<bool>,
    pub show_raw_agent_reasoning: Option<bool>,
    pub file_opener: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// One `[profiles.<name>]` table: the keys a profile may overlay.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ProfileToml {
    pub model: Option<String>,
    pub model_provider: Option<String>,
    pub model_reasoning_effort: Option<ReasoningEffort>,
    pub model_reasoning_summary: Option<ReasoningSummary>,
    pub model_verbosity: Option<Verbosity>,
    pub model_context_window: Option<u64>,
    pub model_max_output_tokens: Option<u64>,
    pub model_supports_reasoning_summaries: Option<bool>,
    pub model_auto_compact_token_limit: Option<u64>,
    pub oss_provider: Option<String>,
    pub approval_policy: Option<ApprovalPolicy>,
    pub sandbox_mode: Option<SandboxMode>,
    pub sandbox_workspace_write: Option<SandboxWorkspaceWriteToml>,
    pub shell_environment_policy: Option<ShellEnvironmentPolicy>,
    pub tools: Option<ToolsToml>,
    pub model_instructions_file: Option<PathBuf>,
    pub developer_instructions: Option<String>,
    pub include_environment_context: Option<bool>,
    pub include_permissions_instructions: Option<bool>,
    pub features: Option<toml::Value>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// One `[model_prices."provider/model"]` table: US dollars per million
/// tokens.
#[derive(Debug, Deserialize)]
pub(super) struct PriceToml {
    pub input: f64,
    /// Tokens read from the prompt cache; the input price when unset.
    #[serde(default)]
    pub cached_input: Option<f64>,
    /// Tokens written to the cache (Anthropic); the input price when unset.
    #[serde(default)]
    pub cache_write: Option<f64>,
    pub output: f64,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// `[budget]`: what one prompt may spend before its turn stops.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct BudgetToml {
    pub max_usd: Option<f64>,
    pub max_turns: Option<u64>,
    pub max_tokens: Option<u64>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// `[history]`: what duet does with a long conversation's history.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct HistoryToml {
    /// Replace tool outputs older than the last N turns in requests.
    pub prune_tool_outputs_after_turns: Option<u32>,
    /// The reference's prompt-history keys: accepted, not acted on yet.
    pub persistence: Option<toml::Value>,
    pub max_bytes: Option<toml::Value>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// One `[model_providers.<id>]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ProviderToml {
    pub name: Option<String>,
    pub base_url: Option<String>,
    pub env_key: Option<String>,
    pub env_key_instructions: Option<String>,
    pub wire_api: Option<WireApi>,
    pub query_params: Option<BTreeMap<String, String>>,
    pub http_headers: Option<BTreeMap<String, String>>,
    pub env_http_headers: Option<BTreeMap<String, String>>,
    pub request_max_retries: Option<u32>,
    pub stream_max_retries: Option<u32>,
    pub stream_idle_timeout_ms: Option<u64>,
    /// Accepted for compatibility; duet has no login flow.
    pub requires_openai_auth: Option<bool>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct SandboxWorkspaceWriteToml {
    pub writable_roots: Option<Vec<PathBuf>>,
    pub network_access: Option<bool>,
    pub exclude_tmpdir_env_var: Option<bool>,
    pub exclude_slash_tmp: Option<bool>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ToolsToml {
    pub update_plan: Option<ToolToggle>,
    pub view_image: Option<ToolToggle>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// `tools.<name> = true` or `[tools.<name>] enabled = true`.
#[derive(Debug, Default)]
pub(super) struct ToolToggle {
    pub enabled: Option<bool>,
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ProjectToml {
    pub trust_level: Option<TrustLevel>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// `model_verbosity`: checked here, carried on as a string.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Verbosity {
    Low,
    Medium,
    High,
}

impl Verbosity {
    pub fn as_str(self) -> &'static str {
        match self {
            Verbosity::Low => "low",
            Verbosity::Medium => "medium",
            Verbosity::High => "high",
        }
    }
}

impl<'de> Deserialize<'de> for ToolToggle {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ToggleVisitor;

        impl<'de> Visitor<'de> for ToggleVisitor {
            type Value = ToolToggle;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean or a table with `enabled`")
            }

            fn visit_bool<E: de::Error>(self, value: bool) -> Result<ToolToggle, E> {
                Ok(ToolToggle {
                    enabled: Some(value),
                    unknown: Unknown::new(),
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ToolToggle, A::Error> {
                let mut toggle = ToolToggle::default();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "enabled" {
                        toggle.enabled = Some(map.next_value()?);
                    } else {
                        let value = map.next_value::<toml::Value>()?;
                        toggle.unknown.insert(key, value);
                    }
                }
                Ok(toggle)
            }
        }

        deserializer.deserialize_any(ToggleVisitor)
    }
}

/// Dotted paths of every key that no struct recognised, sorted.
/// The keys `config` sets that duet reads but does not act on yet, each
/// with what that means for the user: they load (a Codex configuration
/// keeps working) but must not be dropped without a word.
pub(super) fn unsupported_keys(config: &ConfigToml) -> Vec<String> {
    let mut found = Vec::new();
    let mut say = |set: bool, message: &str| {
        if set {
            found.push(message.to_string());
        }
    };
    say(
        config.notify.is_some(),
        "`notify` is not supported yet: no program is run when a turn ends",
    );
    if let Some(history) = &config.history {
        say(
            history.persistence.is_some(),
            "`history.persistence` is not supported yet: the prompts you type are kept in `$DUET_HOME/history.jsonl`",
        );
        say(
            history.max_bytes.is_some(),
            "`history.max_bytes` is not supported yet: the prompt history is not cut",
        );
    }
    say(
        config.features.is_some(),
        "`features` (the reference's feature flags) are not supported",
    );
    say(
        config.hide_agent_reasoning.is_some(),
        "`hide_agent_reasoning` is not supported yet: reasoning summaries are shown",
    );
    say(
        config.show_raw_agent_reasoning.is_some(),
        "`show_raw_agent_reasoning` is not supported yet",
    );
    say(
        config.file_opener.is_some(),
        "`file_opener` is not supported yet",
    );
    if let Some(toml::Value::Table(tui)) = &config.tui {
        for key in tui
            .keys()
            .filter(|key| TUI_KEYS_NOT_YET.contains(&key.as_str()))
        {
            say(true, &format!("`tui.{key}` is not supported yet"));
        }
    }
    say(
        config
            .shell_environment_policy
            .as_ref()
            .is_some_and(|policy| policy.experimental_use_profile),
        "`shell_environment_policy.experimental_use_profile` is not supported yet: commands do \
         not run through a login shell profile",
    );
    for (id, provider) in &config.model_providers {
        say(
            provider.requires_openai_auth == Some(true),
            &format!(
                "`model_providers.{id}.requires_openai_auth` is not supported: duet has no login \
                 flow and sends the key named by `env_key`"
            ),
        );
    }
    found
}

/// `[tui]` keys the TUI acts on (`vim_mode_default` is the reference's
/// name for `vim`).
const TUI_KEYS: [&str; 6] = [
    "alternate_screen",
    "vim",
    "vim_mode_default",
    "show_reasoning",
    "keymap",
    "edit_compaction",
];

/// `[tui]` keys of the reference that duet reads but does not act on yet.
const TUI_KEYS_NOT_YET: [&str; 21] = [
    "notifications",
    "notification_method",
    "notification_condition",
    "animations",
    "show_tooltips",
    "status_line",
    "status_line_use_colors",
    "terminal_title",
    "theme",
    "raw_output_mode",
    "session_picker_view",
    "resume_cwd",
    "show_mcp_startup_status",
    "pet",
    "pet_anchor",
    "mouse_scroll_speed",
    "copy_on_select",
    "right_click_paste",
    "fullscreen_transcript",
    "collapse_turn_details",
    "presets",
];

pub(super) fn unknown_keys(config: &ConfigToml) -> Vec<String> {
    let mut keys = Vec::new();
    push_unknown(&mut keys, "", &config.unknown);
    if let Some(toml::Value::Table(tui)) = &config.tui {
        keys.extend(
            tui.keys()
                .filter(|key| {
                    !TUI_KEYS.contains(&key.as_str()) && !TUI_KEYS_NOT_YET.contains(&key.as_str())
                })
                .map(|key| format!("tui.{}", quote_key(key))),
        );
    }
    for (id, provider) in &config.model_providers {
        push_unknown(
            &mut keys,
            &format!("model_providers.{id}."),
            &provider.unknown,
        );
    }
    if let Some(table) = &config.sandbox_workspace_write {
        push_unknown(&mut keys, "sandbox_workspace_write.", &table.unknown);
    }
    if let Some(history) = &config.history {
        push_unknown(&mut keys, "history.", &history.unknown);
    }
    if let Some(budget) = &config.budget {
        push_unknown(&mut keys, "budget.", &budget.unknown);
    }
    for (key, price) in &config.model_prices {
        push_unknown(
            &mut keys,
            &format!("model_prices.{}.", quote_key(key)),
            &price.unknown,
        );
    }
    if let Some(tools) = &config.tools {
        push_tools_unknown(&mut keys, "tools.", tools);
    }
    for (name, profile) in &config.profiles {
        let prefix = format!("profiles.{name}.");
        push_unknown(&mut keys, &prefix, &profile.unknown);
        if let Some(table) = &profile.sandbox_workspace_write {
            push_unknown(
                &mut keys,
                &format!("{prefix}sandbox_workspace_write."),
                &table.unknown,
            );
        }
        if let Some(tools) = &profile.tools {
            push_tools_unknown(&mut keys, &format!("{prefix}tools."), tools);
        }
    }
    for (path, project) in &config.projects {
        push_unknown(
            &mut keys,
            &format!("projects.{}.", quote_key(path)),
            &project.unknown,
        );
    }
    keys.sort();
    keys
}

fn push_tools_unknown(keys: &mut Vec<String>, prefix: &str, tools: &ToolsToml) {
    push_unknown(keys, prefix, &tools.unknown);
    for (name, toggle) in [
        ("update_plan", &tools.update_plan),
        ("view_image", &tools.view_image),
    ] {
        if let Some(toggle) = toggle {
            push_unknown(keys, &format!("{prefix}{name}."), &toggle.unknown);
        }
    }
}

fn push_unknown(keys: &mut Vec<String>, prefix: &str, unknown: &Unknown) {
    keys.extend(
        unknown
            .keys()
            .map(|key| format!("{prefix}{}", quote_key(key))),
    );
}

/// A key as it would be written in a dotted path: bare when it can be.
fn quote_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}
