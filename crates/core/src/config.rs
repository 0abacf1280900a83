//! Configuration: `$DUET_HOME/config.toml`, profiles, `-c key=value`
//! overrides and command-line flags, resolved into one [`Config`].
//!
//! Precedence, lowest first: built-in defaults, the file's top-level keys,
//! the selected profile (`--profile` or `profile = "..."`), `-c` overrides,
//! then the explicit flags in [`ConfigOverrides`]. Each layer is type-checked
//! on its own so an error names the file, line and key, or the override.
//!
//! This module reads files and the given environment closure only; it never
//! looks at the process environment itself (apart from the current
//! directory when no `-C` is given), so tests can hand it a fake `$HOME`.
//! It does not decide what the model sees: that is `instructions`.

mod build;
mod error;
mod import;
pub mod mcp;
mod overrides;
mod projects;
mod provider;
pub use provider::{BUILT_IN_PROVIDERS, OSS_PROVIDERS, default_model};
mod schema;
#[cfg(test)]
mod tests;

pub use crate::git_info::repo_root as git_root;
pub use error::ConfigError;
pub use import::{ImportReport, import_codex_settings};
pub use overrides::parse_cli_override;
pub use projects::TrustLevel;

use build::{BuildInputs, build_config};
use duet_model::ProviderInfo;
use duet_protocol::{ApprovalPolicy, ReasoningEffort, ReasoningSummary, SandboxMode};
use duet_sandbox::{BackendPreference, SandboxPolicy, ShellEnvironmentPolicy};
use overrides::{merge_tables, set_path, split_dotted_key};
use schema::{ConfigToml, ProfileToml, unknown_keys, unsupported_keys};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The file read from `$DUET_HOME`.
pub const CONFIG_FILE_NAME: &str = "config.toml";
pub const DEFAULT_MODEL: &str = "gpt-5.5";
/// The model `--oss` picks when `-m` does not say.
pub const DEFAULT_OSS_MODEL: &str = "gpt-oss:20b";
pub const DEFAULT_PROJECT_DOC_MAX_BYTES: usize = 32 * 1024;

/// What one prompt (a user turn: all of a `duet exec` run) may spend
/// before the turn stops at its next request.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Budget {
    /// US dollars, by the model's price (a model without one cannot be
    /// held to it: the turn fails saying so).
    pub max_usd: Option<f64>,
    /// Model requests.
    pub max_turns: Option<u64>,
    /// Input plus output tokens, over every request.
    pub max_tokens: Option<u64>,
}

/// Everything a session needs to know, fully resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `$DUET_HOME`, default `~/.duet`.
    pub duet_home: PathBuf,
    /// The working directory of the session (absolute, canonical).
    pub cwd: PathBuf,
    pub model: String,
    pub model_provider: ProviderInfo,
    /// `[mcp_servers.<name>]`, checked, in name order.
    pub mcp_servers: Vec<mcp::McpServerConfig>,
    /// Every provider a session may switch to (`TurnOverrides::provider`):
    /// the built-in ones and the `[model_providers]` tables that resolve.
    pub providers: BTreeMap<String, ProviderInfo>,
    pub model_reasoning_effort: Option<ReasoningEffort>,
    pub model_reasoning_summary: Option<ReasoningSummary>,
    /// `text.verbosity`: low | medium | high.
    pub model_verbosity: Option<String>,
    /// `model_context_window`; [`Config::context_window`] falls back on
    /// the catalogue.
    pub model_context_window: Option<u64>,
    /// `model_max_output_tokens`; [`Config::max_output_tokens`] falls back
    /// on the catalogue.
    pub model_max_output_tokens: Option<u64>,
    /// `model_supports_reasoning_summaries`: ask for reasoning summaries
    /// (`true`) or never (`false`) whatever the catalogue says.
    pub model_supports_reasoning_summaries: Option<bool>,
    /// Compact the history before a request once the context reached this
    /// many tokens.
    pub model_auto_compact_token_limit: Option<u64>,
    /// What a compaction asks the model for, instead of duet's checkpoint
    /// prompt: `compact_prompt`, or the text of
    /// `experimental_compact_prompt_file` (which wins).
    pub compact_prompt: Option<String>,
    /// `history.prune_tool_outputs_after_turns`: requests carry only a
    /// line for each tool output older than the last N turns (off: `None`).
    pub prune_tool_outputs_after_turns: Option<u32>,
    /// What one prompt may spend (`[budget]`, `--max-budget-usd`,
    /// `--max-turns`, `--max-tokens`).
    pub budget: Budget,
    /// `[model_prices."provider/model"]`, by that key.
    pub model_prices: BTreeMap<String, duet_protocol::ModelPrice>,
    pub approval_policy: ApprovalPolicy,
    /// Whether anything (a config layer, a flag) chose `approval_policy`:
    /// the front ends' defaults differ (`never` for exec, `on-request` for
    /// the TUI).
    pub approval_policy_chosen: bool,
    pub sandbox_mode: SandboxMode,
    pub sandbox_workspace_write: SandboxWorkspaceWrite,
    /// `sandbox_backend`: which Linux backend confines commands (`auto`
    /// prefers bubblewrap and falls back to Landlock).
    pub sandbox_backend: BackendPreference,
    pub shell_environment_policy: ShellEnvironmentPolicy,
    /// Budget of the project AGENTS.md chain, default 32 KiB.
    pub project_doc_max_bytes: usize,
    pub project_doc_fallback_filenames: Vec<String>,
    pub project_root_markers: Vec<String>,
    pub tools: ToolsConfig,
    /// Replaces duet's base instructions when set (`model_instructions_file`).
    pub base_instructions_override: Option<String>,
    /// An extra developer message (`developer_instructions`).
    pub developer_instructions: Option<String>,
    pub include_environment_context: bool,
    pub include_permissions_instructions: bool,
    /// `--ephemeral`: persist nothing.
    pub ephemeral: bool,
    /// Extra writable roots from `--add-dir`.
    pub additional_writable_roots: Vec<PathBuf>,
    /// `[projects."<abs path>"] trust_level`, keyed by the path as written;
    /// see [`Config::trusted_project_root`].
    pub projects: BTreeMap<PathBuf, TrustLevel>,
    /// The `[tui]` table as every layer left it (file, profile table,
    /// profile file, `-c tui.…`): the TUI's settings, which it interprets.
    pub tui: toml::Table,
    /// `log_level`: what the opt-in log at `$DUET_HOME/log/duet.log` keeps
    /// (`RUST_LOG` wins over it); `None` writes no log.
    pub log_level: Option<LogLevel>,
}

/// How much the opt-in log keeps (`log_level`), most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Off,
    Error,
    Warn,
    Info,
    Debug,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Off => "off",
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SandboxWorkspaceWrite {
    pub writable_roots: Vec<PathBuf>,
    pub network_access: bool,
    pub exclude_tmpdir_env_var: bool,
    pub exclude_slash_tmp: bool,
}

/// How `apply_patch` is offered to the model (`apply_patch_tool_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplyPatchToolType {
    /// A custom tool whose input is the raw patch, constrained by a grammar.
    /// What OpenAI's models are trained on.
    Freeform,
    /// A JSON function `{"input": "<patch>"}`, for providers without custom tools.
    Function,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolsConfig {
    /// `tools.update_plan.enabled`, default true (the reference defaults to false).
    pub update_plan: bool,
    /// `tools.view_image`, default true.
    pub view_image: bool,
    /// `None` when `include_apply_patch_tool = false`. Defaults to
    /// freeform for the built-in `openai` provider and to a JSON function
    /// for other providers, many of which reject custom tools.
    pub apply_patch: Option<ApplyPatchToolType>,
}

impl Default for ToolsConfig {
    fn default() -> Self {
        ToolsConfig {
            update_plan: true,
            view_image: true,
            apply_patch: Some(ApplyPatchToolType::Freeform),
        }
    }
}

/// What the command line says, already parsed. Every field beats the file.
#[derive(Debug, Clone, Default)]
pub struct ConfigOverrides {
    /// `-C`; relative paths are taken from the process's current directory.
    pub cwd: Option<PathBuf>,
    /// `-m`.
    pub model: Option<String>,
    /// `-p`/`--profile`.
    pub profile: Option<String>,
    /// `-s`/`--sandbox`.
    pub sandbox_mode: Option<SandboxMode>,
    pub approval_policy: Option<ApprovalPolicy>,
    /// `-c key=value`, in command-line order, each from [`parse_cli_override`].
    pub cli_overrides: Vec<(String, toml::Value)>,
    /// `--strict-config`: unknown keys are errors instead of warnings.
    pub strict_config: bool,
    pub ephemeral: bool,
    /// `--add-dir`; relative paths are taken from the session's cwd.
    pub additional_writable_roots: Vec<PathBuf>,
    /// `--dangerously-bypass-approvals-and-sandbox`: sandbox
    /// `danger-full-access` and approval `never`, whatever else says.
    pub dangerously_bypass: bool,
    /// `--oss`: the local provider (`--local-provider`, else
    /// `oss_provider`, else `ollama`) and, without `-m`, [`DEFAULT_OSS_MODEL`].
    pub oss: bool,
    /// `--local-provider`: `ollama` or `lmstudio`; implies `--oss`.
    pub local_provider: Option<String>,
}

/// What resolving the flags, files, profile and `-c` gives a front end: the
/// [`Config`] and the warnings to show the user (unknown keys).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub config: Config,
    pub warnings: Vec<String>,
}

impl Config {
    /// `provider/model`: the key of `[model_prices]`, and how the cost
    /// ledger names a model.
    pub fn model_key(&self) -> String {
        format!("{}/{}", self.model_provider.id, self.model)
    }

    /// What the session's model costs: `[model_prices."provider/model"]`,
    /// else the catalogue's price (a proxy on this machine, such as
    /// LiteLLM, still bills the provider's; models that run locally have
    /// none in the catalogue); `None` when nobody knows (then duet shows
    /// tokens, never a guess).
    pub fn price(&self) -> Option<duet_protocol::ModelPrice> {
        if let Some(price) = self.model_prices.get(&self.model_key()) {
            return Some(*price);
        }
        crate::catalogue::lookup(&self.model)?.price
    }

    /// The model's context window: `model_context_window`, else the
    /// catalogue's figure.
    pub fn context_window(&self) -> Option<u64> {
        self.model_context_window
            .or_else(|| crate::catalogue::lookup(&self.model)?.context_window)
    }

    /// The longest answer to ask for: `model_max_output_tokens`, else the
    /// catalogue's figure.
    pub fn max_output_tokens(&self) -> Option<u64> {
        self.model_max_output_tokens
            .or_else(|| crate::catalogue::lookup(&self.model)?.max_output_tokens)
    }

    /// The built-in defaults, before any file or flag. Sandbox `read-only`
    /// and approval `never` are the `exec` defaults.
    pub fn defaults(duet_home: PathBuf, cwd: PathBuf) -> Config {
        Config {
            duet_home,
            cwd,
            model: DEFAULT_MODEL.to_string(),
            model_provider: ProviderInfo::openai(None),
            mcp_servers: Vec::new(),
            providers: provider::all_providers(
                &BTreeMap::new(),
                None,
                &|_| None,
                Path::new(CONFIG_FILE_NAME),
            ),
            model_reasoning_effort: None,
            model_reasoning_summary: None,
            model_verbosity: None,
            model_context_window: None,
            model_max_output_tokens: None,
            model_supports_reasoning_summaries: None,
            model_auto_compact_token_limit: None,
            compact_prompt: None,
            prune_tool_outputs_after_turns: None,
            model_prices: BTreeMap::new(),
            budget: Budget::default(),
            approval_policy: ApprovalPolicy::Never,
            approval_policy_chosen: false,
            tui: toml::Table::new(),
            log_level: None,
            sandbox_mode: SandboxMode::ReadOnly,
            sandbox_workspace_write: SandboxWorkspaceWrite::default(),
            sandbox_backend: BackendPreference::Auto,
            shell_environment_policy: ShellEnvironmentPolicy::default(),
            project_doc_max_bytes: DEFAULT_PROJECT_DOC_MAX_BYTES,
            project_doc_fallback_filenames: Vec::new(),
            project_root_markers: vec![".git".to_string()],
            tools: ToolsConfig::default(),
            base_instructions_override: None,
            developer_instructions: None,
            include_environment_context: true,
            include_permissions_instructions: true,
            ephemeral: false,
            additional_writable_roots: Vec::new(),
            projects: BTreeMap::new(),
        }
    }
}

impl Config {
    /// The sandbox policy this config asks for: what `exec_command` and
    /// `duet sandbox` run commands under. For `workspace-write` the writable
    /// roots are the cwd, `sandbox_workspace_write.writable_roots` and
    /// `--add-dir`, in that order; `/tmp` and `$TMPDIR` are added by the
    /// sandbox unless excluded.
    pub fn sandbox_policy(&self) -> SandboxPolicy {
        match self.sandbox_mode {
            SandboxMode::DangerFullAccess => SandboxPolicy::DangerFullAccess,
            SandboxMode::ReadOnly => SandboxPolicy::ReadOnly,
            SandboxMode::WorkspaceWrite => {
                let settings = &self.sandbox_workspace_write;
                let mut writable_roots = vec![self.cwd.clone()];
                writable_roots.extend(settings.writable_roots.iter().cloned());
                writable_roots.extend(self.additional_writable_roots.iter().cloned());
                SandboxPolicy::WorkspaceWrite {
                    writable_roots,
                    network_access: settings.network_access,
                    exclude_tmpdir_env_var: settings.exclude_tmpdir_env_var,
                    exclude_slash_tmp: settings.exclude_slash_tmp,
                }
            }
        }
    }

    /// How commands are confined: [`Config::sandbox_policy`] on the chosen
    /// `sandbox_backend`, with the sandbox's state kept in
    /// `$DUET_HOME/tmp`, and the keys `duet login` saved unreadable.
    pub fn sandbox(&self) -> duet_sandbox::Sandbox {
        duet_sandbox::Sandbox {
            policy: self.sandbox_policy(),
            backend: self.sandbox_backend,
            state_dir: Some(self.duet_home.join("tmp")),
            helper: None,
            // The saved API keys and MCP servers' OAuth tokens.
            hidden: vec![
                self.duet_home.join(crate::auth::AUTH_FILE),
                self.duet_home.join(crate::mcp::oauth::CREDENTIALS_FILE),
            ],
        }
    }
}

/// `$DUET_HOME` when set and non-empty, else `$HOME/.duet`.
pub fn duet_home(env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf, ConfigError> {
    let non_empty = |name: &str| env(name).filter(|value| !value.is_empty());
    if let Some(home) = non_empty("DUET_HOME") {
        return Ok(PathBuf::from(home));
    }
    non_empty("HOME")
        .map(|home| PathBuf::from(home).join(".duet"))
        .ok_or(ConfigError::NoHome)
}

/// Reads `$DUET_HOME/config.toml` (a missing file means defaults) and
/// resolves it with `overrides`. `env` stands for the process environment.
pub fn load_config(
    overrides: ConfigOverrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    let duet_home = duet_home(env)?;
    let config_path = duet_home.join(CONFIG_FILE_NAME);
    let mut unknown = Vec::new();

    let mut tree = match read_optional(&config_path)? {
        Some(text) => {
            let to_error =
                |error: toml::de::Error| ConfigError::from_toml(&config_path, &text, &error);
            let checked: ConfigToml = toml::from_str(&text).map_err(to_error)?;
            let origin = config_path.display();
            unknown.extend(
                unknown_keys(&checked)
                    .into_iter()
                    .map(|key| format!("unknown config key `{key}` in {origin}")),
            );
            toml::from_str::<toml::Table>(&text).map_err(to_error)?
        }
        None => toml::Table::new(),
    };

    let mut cli_overrides = Vec::new();
    for (key, value) in &overrides.cli_overrides {
        let path = split_dotted_key(key).ok_or_else(|| ConfigError::InvalidOverride {
            raw: key.clone(),
            reason: "the key has an empty or unterminated segment".to_string(),
        })?;
        let mut alone = toml::Table::new();
        set_path(&mut alone, &path, value.clone());
        let checked: ConfigToml = toml::Value::Table(alone)
            .try_into()
            .map_err(|error| ConfigError::from_override(key, &error))?;
        unknown.extend(
            unknown_keys(&checked)
                .into_iter()
                .map(|key| format!("unknown config key `{key}` in -c override")),
        );
        cli_overrides.push((path, value.clone()));
    }
    let apply_overrides = |tree: &mut toml::Table| {
        for (path, value) in &cli_overrides {
            set_path(tree, path, value.clone());
        }
    };

    // Overrides go on before the profile is chosen, so `-c profile=x` and
    // `-c profiles.x.model=y` take effect, and again after, so they win.
    apply_overrides(&mut tree);
    let profile_name = overrides.profile.clone().or_else(|| {
        tree.get("profile")
            .and_then(toml::Value::as_str)
            .map(str::to_string)
    });
    if let Some(name) = &profile_name {
        // A profile is a `[profiles.NAME]` table in config.toml, a file
        // `$DUET_HOME/NAME.config.toml` (the reference's current form), or
        // both: the table first, then the file over it.
        let table = profile_table(&tree, name)?;
        let file = profile_file(&duet_home, name)?;
        if table.is_none() && file.is_none() {
            return Err(unknown_profile(&tree, &duet_home, name, &config_path));
        }
        if let Some(profile) = table {
            merge_tables(&mut tree, &profile);
        }
        if let Some((path, text)) = file {
            let to_error = |error: toml::de::Error| ConfigError::from_toml(&path, &text, &error);
            let checked: ConfigToml = toml::from_str(&text).map_err(to_error)?;
            let origin = path.display();
            unknown.extend(
                unknown_keys(&checked)
                    .into_iter()
                    .map(|key| format!("unknown config key `{key}` in {origin}")),
            );
            let mut layer = toml::from_str::<toml::Table>(&text).map_err(to_error)?;
            // A profile does not choose another profile.
            layer.remove("profile");
            merge_tables(&mut tree, &layer);
        }
        apply_overrides(&mut tree);
    }

    let merged: ConfigToml =
        toml::Value::Table(tree)
            .try_into()
            .map_err(|error: toml::de::Error| ConfigError::Merged {
                message: error.message().trim_end().to_string(),
            })?;

    unknown.extend(unsupported_keys(&merged));
    if overrides.strict_config && !unknown.is_empty() {
        return Err(ConfigError::StrictUnknownKeys { problems: unknown });
    }
    let mut warnings: Vec<String> = unknown
        .into_iter()
        .map(|problem| format!("{problem} (ignored)"))
        .collect();
    if !config_path.exists()
        && let Some(codex_config) = codex_config_path(env).filter(|path| path.is_file())
    {
        warnings.push(format!(
            "duet does not read Codex's settings (`{}`); `duet config import --from codex` \
             copies them into `{}` (this note stops once `{}` exists)",
            codex_config.display(),
            duet_home.display(),
            config_path.display()
        ));
    }

    let mcp_servers = match &merged.mcp_servers {
        Some(table) => {
            let (servers, mcp_warnings) =
                mcp::parse_servers(table).map_err(|message| ConfigError::Mcp { message })?;
            warnings.extend(mcp_warnings);
            servers
        }
        None => Vec::new(),
    };
    let cwd = resolve_cwd(overrides.cwd.as_deref())?;
    // A relative file path given with `-c` is taken from the cwd, one in
    // the config file from `$DUET_HOME`.
    let base_for = |key: &str| {
        if cli_overrides
            .iter()
            .any(|(path, _)| path.first().map(String::as_str) == Some(key))
        {
            cwd.clone()
        } else {
            duet_home.clone()
        }
    };
    let instructions_base = base_for("model_instructions_file");
    let compact_prompt_base = base_for("experimental_compact_prompt_file");
    let config = build_config(
        merged,
        BuildInputs {
            duet_home,
            cwd,
            config_path,
            instructions_base,
            compact_prompt_base,
            overrides,
            env,
        },
    )?;
    let mut config = config;
    config.mcp_servers = mcp_servers;
    if config.context_window().is_none() && !config.model_provider.is_local() {
        warnings.push(format!(
            "model `{}` is not in duet's model catalogue, so its context window is unknown: set `model_context_window` (and `model_max_output_tokens`) in the config; `duet models` lists the models duet knows",
            config.model
        ));
    }
    Ok(Settings { config, warnings })
}

/// The `[profiles.<name>]` table, stripped of keys a profile cannot set
/// (they were already reported as unknown).
/// Codex's home: `$CODEX_HOME`, else `~/.codex`. duet never reads it on
/// its own; the import commands do.
pub fn codex_home(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let non_empty = |name: &str| env(name).filter(|value| !value.is_empty());
    non_empty("CODEX_HOME")
        .map(PathBuf::from)
        .or_else(|| non_empty("HOME").map(|home| PathBuf::from(home).join(".codex")))
}

/// Codex's `config.toml`.
fn codex_config_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    codex_home(env).map(|home| home.join(CONFIG_FILE_NAME))
}

/// The `[profiles.NAME]` table of `tree`, its unknown keys dropped (they
/// were already reported), if there is one.
fn profile_table(tree: &toml::Table, name: &str) -> Result<Option<toml::Table>, ConfigError> {
    let Some(mut profile) = tree
        .get("profiles")
        .and_then(toml::Value::as_table)
        .and_then(|profiles| profiles.get(name))
        .and_then(toml::Value::as_table)
        .cloned()
    else {
        return Ok(None);
    };
    let checked: ProfileToml =
        toml::Value::Table(profile.clone())
            .try_into()
            .map_err(|error: toml::de::Error| ConfigError::Merged {
                message: error.message().trim_end().to_string(),
            })?;
    for key in checked.unknown.keys() {
        profile.remove(key);
    }
    Ok(Some(profile))
}

/// The suffix of a profile file: `$DUET_HOME/NAME.config.toml`.
const PROFILE_FILE_SUFFIX: &str = ".config.toml";

/// `$DUET_HOME/NAME.config.toml` and its text, if it exists. A name that
/// is not a plain file name (`../x`, `.hidden`) has no file.
fn profile_file(duet_home: &Path, name: &str) -> Result<Option<(PathBuf, String)>, ConfigError> {
    if !plain_profile_name(name) {
        return Ok(None);
    }
    let path = duet_home.join(format!("{name}{PROFILE_FILE_SUFFIX}"));
    Ok(read_optional(&path)?.map(|text| (path, text)))
}

fn plain_profile_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|ch| ch.is_alphanumeric() || matches!(ch, '-' | '_' | '.'))
}

fn unknown_profile(
    tree: &toml::Table,
    duet_home: &Path,
    name: &str,
    config_path: &Path,
) -> ConfigError {
    let mut known: Vec<String> = tree
        .get("profiles")
        .and_then(toml::Value::as_table)
        .map(|profiles| profiles.keys().cloned().collect())
        .unwrap_or_default();
    if let Ok(entries) = std::fs::read_dir(duet_home) {
        known.extend(entries.filter_map(|entry| {
            let file_name = entry.ok()?.file_name().into_string().ok()?;
            let profile = file_name.strip_suffix(PROFILE_FILE_SUFFIX)?;
            plain_profile_name(profile).then(|| profile.to_string())
        }));
    }
    known.sort();
    known.dedup();
    ConfigError::UnknownProfile {
        name: name.to_string(),
        known,
        path: config_path.to_path_buf(),
        file: duet_home.join(format!("{name}{PROFILE_FILE_SUFFIX}")),
    }
}

fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(ConfigError::ReadFile {
            path: path.to_path_buf(),
            error,
        }),
    }
}

/// The session's directory: `-C` or the current one, canonical and a directory.
fn resolve_cwd(requested: Option<&Path>) -> Result<PathBuf, ConfigError> {
    let requested = match requested {
        Some(path) => path.to_path_buf(),
        None => std::env::current_dir().map_err(|error| ConfigError::CurrentDir { error })?,
    };
    let cwd = requested.canonicalize().map_err(|error| ConfigError::Cwd {
        path: requested.clone(),
        error,
    })?;
    if !cwd.is_dir() {
        return Err(ConfigError::Cwd {
            path: requested,
            error: io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
        });
    }
    Ok(cwd)
}
