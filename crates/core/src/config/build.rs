//! Turning the merged, type-checked tree into a [`Config`]: defaults,
//! explicit flags, provider resolution and path resolution.
//!
//! Precedence between layers is settled before this point; here only the
//! explicit flags of [`ConfigOverrides`] are weighed against the tree.

use super::provider::{
    OPENAI_PROVIDER_ID, OSS_PROVIDERS, ProviderInputs, all_providers, default_model,
    resolve_provider,
};
use super::schema::{ConfigToml, ToolToggle};
use super::{
    ApplyPatchToolType, Config, ConfigError, ConfigOverrides, DEFAULT_OSS_MODEL,
    SandboxWorkspaceWrite, ToolsConfig,
};
use duet_protocol::{ApprovalPolicy, SandboxMode};
use std::path::PathBuf;

/// What [`build_config`] needs besides the merged tree.
pub(super) struct BuildInputs<'a> {
    pub duet_home: PathBuf,
    pub cwd: PathBuf,
    pub config_path: PathBuf,
    /// Relative `model_instructions_file` paths are taken from here: the
    /// cwd when a `-c` override set it, else `$DUET_HOME`.
    pub instructions_base: PathBuf,
    /// The same for `experimental_compact_prompt_file`.
    pub compact_prompt_base: PathBuf,
    pub overrides: ConfigOverrides,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

pub(super) fn build_config(
    merged: ConfigToml,
    inputs: BuildInputs<'_>,
) -> Result<Config, ConfigError> {
    let BuildInputs {
        duet_home,
        cwd,
        config_path,
        instructions_base,
        compact_prompt_base,
        overrides,
        env,
    } = inputs;
    let mut config = Config::defaults(duet_home, cwd);

    let oss = overrides.oss || overrides.local_provider.is_some();
    let provider_id = if oss {
        let local = overrides
            .local_provider
            .as_deref()
            .or(merged.oss_provider.as_deref())
            .unwrap_or(OSS_PROVIDERS[0]);
        if !OSS_PROVIDERS.contains(&local) {
            return Err(ConfigError::UnknownOssProvider {
                id: local.to_string(),
            });
        }
        local
    } else {
        merged
            .model_provider
            .as_deref()
            .unwrap_or(OPENAI_PROVIDER_ID)
    };
    config.model_provider = resolve_provider(ProviderInputs {
        selected: provider_id,
        providers: &merged.model_providers,
        openai_base_url: merged.openai_base_url.as_deref(),
        env,
        config_path: &config_path,
    })?;
    let model = if oss {
        overrides.model.or(Some(DEFAULT_OSS_MODEL.to_string()))
    } else {
        overrides.model.or(merged.model)
    };
    // A built-in provider without a model named runs its own default.
    config.model = model
        .or_else(|| default_model(provider_id).map(str::to_string))
        .unwrap_or_else(|| config.model.clone());
    config.providers = all_providers(
        &merged.model_providers,
        merged.openai_base_url.as_deref(),
        env,
        &config_path,
    );
    config.model_reasoning_effort = merged.model_reasoning_effort;
    config.model_reasoning_summary = merged.model_reasoning_summary;
    config.model_verbosity = merged
        .model_verbosity
        .map(|verbosity| verbosity.as_str().to_string());
    config.model_context_window = merged.model_context_window;
    config.model_max_output_tokens = merged.model_max_output_tokens;
    config.model_supports_reasoning_summaries = merged.model_supports_reasoning_summaries;
    config.model_auto_compact_token_limit = merged.model_auto_compact_token_limit;

    config.approval_policy_chosen = overrides.approval_policy.is_some()
        || merged.approval_policy.is_some()
        || overrides.dangerously_bypass;
    config.approval_policy = overrides
        .approval_policy
        .or(merged.approval_policy)
        .unwrap_or(config.approval_policy);
    if let Some(toml::Value::Table(tui)) = &merged.tui {
        config.tui = tui.clone();
    }
    config.sandbox_mode = overrides
        .sandbox_mode
        .or(merged.sandbox_mode)
        .unwrap_or(config.sandbox_mode);
    if overrides.dangerously_bypass {
        config.sandbox_mode = SandboxMode::DangerFullAccess;
        config.approval_policy = ApprovalPolicy::Never;
    }
    if let Some(table) = merged.sandbox_workspace_write {
        let writable_roots = table.writable_roots.unwrap_or_default();
        config.sandbox_workspace_write = SandboxWorkspaceWrite {
            writable_roots: writable_roots
                .iter()
                .map(|root| config.cwd.join(root))
                .collect(),
            network_access: table.network_access.unwrap_or(false),
            exclude_tmpdir_env_var: table.exclude_tmpdir_env_var.unwrap_or(false),
            exclude_slash_tmp: table.exclude_slash_tmp.unwrap_or(false),
        };
    }
    if let Some(backend) = merged.sandbox_backend {
        config.sandbox_backend = backend;
    }
    if let Some(policy) = merged.shell_environment_policy {
        config.shell_environment_policy = policy;
    }

    if let Some(max_bytes) = merged.project_doc_max_bytes {
        config.project_doc_max_bytes = max_bytes;
    }
    if let Some(names) = merged.project_doc_fallback_filenames {
        config.project_doc_fallback_filenames = names;
    }
    if let Some(markers) = merged.project_root_markers {
        config.project_root_markers = markers;
    }
    if let Some(tools) = merged.tools {
        let enabled = |toggle: Option<ToolToggle>, default: bool| {
            toggle.and_then(|toggle| toggle.enabled).unwrap_or(default)
        };
        config.tools = ToolsConfig {
            update_plan: enabled(tools.update_plan, config.tools.update_plan),
            view_image: enabled(tools.view_image, config.tools.view_image),
            apply_patch: config.tools.apply_patch,
        };
    }
    config.tools.apply_patch = match merged.include_apply_patch_tool {
        Some(false) => None,
        _ => Some(merged.apply_patch_tool_type.unwrap_or(
            if config.model_provider.id == OPENAI_PROVIDER_ID {
                ApplyPatchToolType::Freeform
            } else {
                ApplyPatchToolType::Function
            },
        )),
    };
    if let Some(path) = merged.model_instructions_file {
        let path = instructions_base.join(path);
        let text = std::fs::read_to_string(&path)
            .map_err(|error| ConfigError::InstructionsFile { path, error })?;
        config.base_instructions_override = Some(text);
    }
    config.compact_prompt = match merged.experimental_compact_prompt_file {
        Some(path) => {
            let path = compact_prompt_base.join(path);
            Some(
                std::fs::read_to_string(&path)
                    .map_err(|error| ConfigError::CompactPromptFile { path, error })?,
            )
        }
        None => merged.compact_prompt,
    };
    config.prune_tool_outputs_after_turns = merged
        .history
        .as_ref()
        .and_then(|history| history.prune_tool_outputs_after_turns)
        .filter(|turns| *turns > 0);
    if let Some(budget) = merged.budget {
        if budget
            .max_usd
            .is_some_and(|usd| !usd.is_finite() || usd <= 0.0)
        {
            return Err(ConfigError::Budget {
                key: "max_usd",
                message: "must be a number of US dollars above zero".to_string(),
            });
        }
        for (key, value) in [
            ("max_turns", budget.max_turns),
            ("max_tokens", budget.max_tokens),
        ] {
            if value == Some(0) {
                return Err(ConfigError::Budget {
                    key,
                    message: "must be 1 or more".to_string(),
                });
            }
        }
        config.budget = crate::config::Budget {
            max_usd: budget.max_usd,
            max_turns: budget.max_turns,
            max_tokens: budget.max_tokens,
        };
    }
    for (key, price) in merged.model_prices {
        let rates = [
            Some(price.input),
            price.cached_input,
            price.cache_write,
            Some(price.output),
        ];
        if key
            .split_once('/')
            .is_none_or(|(provider, model)| provider.is_empty() || model.is_empty())
        {
            return Err(ConfigError::ModelPrice {
                key,
                message: "the key must be `provider/model`, such as `openai/gpt-5.1`".to_string(),
            });
        }
        if rates
            .iter()
            .flatten()
            .any(|rate| !rate.is_finite() || *rate < 0.0)
        {
            return Err(ConfigError::ModelPrice {
                key,
                message: "prices are US dollars per million tokens, zero or more".to_string(),
            });
        }
        config.model_prices.insert(
            key,
            duet_protocol::ModelPrice {
                input: price.input,
                cached_input: price.cached_input.unwrap_or(price.input),
                cache_write: price.cache_write,
                output: price.output,
            },
        );
    }
    config.developer_instructions = merged.developer_instructions;
    if let Some(include) = merged.include_environment_context {
        config.include_environment_context = include;
    }
    if let Some(include) = merged.include_permissions_instructions {
        config.include_permissions_instructions = include;
    }
    config.log_level = merged.log_level;

    config.projects = merged
        .projects
        .into_iter()
        .filter_map(|(path, project)| Some((PathBuf::from(path), project.trust_level?)))
        .collect();
    config.ephemeral = overrides.ephemeral;
    config.additional_writable_roots = overrides
        .additional_writable_roots
        .iter()
        .map(|root| config.cwd.join(root))
        .collect();
    Ok(config)
}
