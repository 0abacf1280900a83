//! Configuration: `$DUET_HOME/config.toml`, profiles, `-c key=value` overrides
//! and command-line flags, resolved into one [`Config`].
//!
//! STUB: the struct is the contract; loading is being written.

use duet_model::ProviderInfo;
use duet_protocol::{ApprovalPolicy, ReasoningEffort, ReasoningSummary, SandboxMode};
use duet_sandbox::ShellEnvironmentPolicy;
use std::path::PathBuf;

/// Everything a session needs to know, fully resolved.
#[derive(Debug, Clone)]
pub struct Config {
    /// `$DUET_HOME`, default `~/.duet`.
    pub duet_home: PathBuf,
    /// The working directory of the session (absolute, canonical).
    pub cwd: PathBuf,
    pub model: String,
    pub model_provider: ProviderInfo,
    pub model_reasoning_effort: Option<ReasoningEffort>,
    pub model_reasoning_summary: Option<ReasoningSummary>,
    /// `text.verbosity`: low | medium | high.
    pub model_verbosity: Option<String>,
    pub model_context_window: Option<u64>,
    pub approval_policy: ApprovalPolicy,
    pub sandbox_mode: SandboxMode,
    pub sandbox_workspace_write: SandboxWorkspaceWrite,
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
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SandboxWorkspaceWrite {
    pub writable_roots: Vec<PathBuf>,
    pub network_access: bool,
    pub exclude_tmpdir_env_var: bool,
    pub exclude_slash_tmp: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolsConfig {
    /// `tools.update_plan.enabled`, default true (the reference defaults to false).
    pub update_plan: bool,
    /// `tools.view_image`, default true.
    pub view_image: bool,
}

impl Default for ToolsConfig {
    fn default() -> Self {
        ToolsConfig {
            update_plan: true,
            view_image: true,
        }
    }
}
