//! Resolving `model_provider` and `[model_providers.<id>]` into the
//! [`ProviderInfo`] the model client uses.
//!
//! Only the selected provider is resolved, so a broken entry that is not in
//! use does not stop a session.

use super::ConfigError;
use super::schema::ProviderToml;
use duet_model::{ProviderInfo, WireApi};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

pub(super) const OPENAI_PROVIDER_ID: &str = "openai";

/// The providers duet knows without a `[model_providers]` table, in the
/// order errors list them.
pub const BUILT_IN_PROVIDERS: [&str; 5] =
    ["openai", "anthropic", "openrouter", "ollama", "lmstudio"];

/// The local servers `--oss` (and `oss_provider`) may pick.
pub const OSS_PROVIDERS: [&str; 2] = ["ollama", "lmstudio"];

/// The model a built-in provider runs when none is named.
pub fn default_model(id: &str) -> Option<&'static str> {
    match id {
        "anthropic" => Some("claude-sonnet-4-5"),
        "openrouter" => Some("anthropic/claude-sonnet-4.5"),
        "ollama" | "lmstudio" => Some(crate::config::DEFAULT_OSS_MODEL),
        _ => None,
    }
}

/// Every provider the config can switch to: the built-in ones and each
/// `[model_providers]` table that resolves (a broken one is left out: it
/// is reported if selected).
pub(super) fn all_providers(
    providers: &BTreeMap<String, ProviderToml>,
    openai_base_url: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    config_path: &Path,
) -> BTreeMap<String, ProviderInfo> {
    BUILT_IN_PROVIDERS
        .iter()
        .map(|id| id.to_string())
        .chain(providers.keys().cloned())
        .filter_map(|id| {
            let info = resolve_provider(ProviderInputs {
                selected: &id,
                providers,
                openai_base_url,
                env,
                config_path,
            })
            .ok()?;
            Some((id, info))
        })
        .collect()
}

/// A built-in provider by id. `env` is read for `OPENAI_BASE_URL` and
/// `CODEX_OSS_BASE_URL` (the local servers' base URL, as in the reference).
pub(super) fn built_in(
    id: &str,
    openai_base_url: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<ProviderInfo> {
    let base = ProviderInfo::openai(None);
    let keyed =
        |name: &str, base_url: &str, var: &str, instructions: &str, wire_api| ProviderInfo {
            id: id.to_string(),
            name: name.to_string(),
            base_url: base_url.to_string(),
            env_key: Some(var.to_string()),
            env_key_instructions: Some(instructions.to_string()),
            wire_api,
            ..base.clone()
        };
    let local = |name: &str, default_url: &str| ProviderInfo {
        id: id.to_string(),
        name: name.to_string(),
        base_url: non_empty(env("CODEX_OSS_BASE_URL")).unwrap_or_else(|| default_url.to_string()),
        env_key: None,
        env_key_instructions: None,
        wire_api: WireApi::Chat,
        ..base.clone()
    };
    Some(match id {
        OPENAI_PROVIDER_ID => ProviderInfo::openai(
            openai_base_url
                .map(str::to_string)
                .or_else(|| non_empty(env("OPENAI_BASE_URL"))),
        ),
        "anthropic" => keyed(
            "Anthropic",
            "https://api.anthropic.com/v1",
            "ANTHROPIC_API_KEY",
            "create a key at https://console.anthropic.com/settings/keys",
            WireApi::Anthropic,
        ),
        "openrouter" => keyed(
            "OpenRouter",
            "https://openrouter.ai/api/v1",
            "OPENROUTER_API_KEY",
            "create a key at https://openrouter.ai/settings/keys",
            WireApi::Chat,
        ),
        "ollama" => local("Ollama", "http://localhost:11434/v1"),
        "lmstudio" => local("LM Studio", "http://localhost:1234/v1"),
        _ => return None,
    })
}

/// Everything provider resolution reads besides the provider tables.
pub(super) struct ProviderInputs<'a> {
    pub selected: &'a str,
    pub providers: &'a BTreeMap<String, ProviderToml>,
    /// The `openai_base_url` key.
    pub openai_base_url: Option<&'a str>,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Named in the "not defined" error.
    pub config_path: &'a Path,
}

pub(super) fn resolve_provider(inputs: ProviderInputs<'_>) -> Result<ProviderInfo, ConfigError> {
    let id = inputs.selected;
    let user_entry = inputs.providers.get(id);
    let mut info = if let Some(info) = built_in(id, inputs.openai_base_url, inputs.env) {
        info
    } else {
        let Some(entry) = user_entry else {
            let mut known: Vec<String> = BUILT_IN_PROVIDERS.map(str::to_string).to_vec();
            known.extend(
                inputs
                    .providers
                    .keys()
                    .filter(|key| !BUILT_IN_PROVIDERS.contains(&key.as_str()))
                    .cloned(),
            );
            return Err(ConfigError::UnknownProvider {
                id: id.to_string(),
                known,
                path: inputs.config_path.to_path_buf(),
            });
        };
        let Some(base_url) = &entry.base_url else {
            return Err(ConfigError::MissingBaseUrl { id: id.to_string() });
        };
        // A user provider starts bare: no key, no headers, default retries.
        let mut info = ProviderInfo::openai(Some(base_url.clone()));
        info.id = id.to_string();
        info.name = id.to_string();
        info.env_key = None;
        info.env_key_instructions = None;
        info
    };
    if let Some(entry) = user_entry {
        overlay(&mut info, entry);
    }
    Ok(info)
}

/// Fields the user set win over the starting point.
fn overlay(info: &mut ProviderInfo, entry: &ProviderToml) {
    if let Some(name) = &entry.name {
        info.name = name.clone();
    }
    if let Some(base_url) = &entry.base_url {
        info.base_url = base_url.clone();
    }
    if let Some(env_key) = &entry.env_key {
        info.env_key = Some(env_key.clone());
    }
    if let Some(instructions) = &entry.env_key_instructions {
        info.env_key_instructions = Some(instructions.clone());
    }
    if let Some(wire_api) = entry.wire_api {
        info.wire_api = wire_api;
    }
    if let Some(query_params) = &entry.query_params {
        info.query_params = query_params.clone();
    }
    if let Some(headers) = &entry.http_headers {
        info.http_headers = headers.clone();
    }
    if let Some(headers) = &entry.env_http_headers {
        info.env_http_headers = headers.clone();
    }
    if let Some(retries) = entry.request_max_retries {
        info.request_max_retries = retries;
    }
    if let Some(retries) = entry.stream_max_retries {
        info.stream_max_retries = retries;
    }
    if let Some(millis) = entry.stream_idle_timeout_ms {
        info.stream_idle_timeout = Duration::from_millis(millis);
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|value| !value.is_empty())
}
