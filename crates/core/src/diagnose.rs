//! What `duet doctor` reports beyond the sandbox: the provider a session
//! would use, where its key comes from, and whether it answers.
//!
//! This is not a session: nothing is sent to the model and nothing is
//! saved. The key itself never leaves this module, not even masked.

use crate::config::Config;
use duet_model::{ModelClient, ProviderAnswer};
use serde::Serialize;
use std::time::Duration;

/// How long `doctor` waits for the provider.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The provider of `config`, and its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderReport {
    pub id: String,
    pub name: String,
    pub base_url: String,
    /// `responses`, `chat` or `anthropic`.
    pub wire_api: &'static str,
    pub model: String,
    /// The variable the key is read from (`None`: the provider sends no
    /// key, or it is missing).
    pub key_from: Option<String>,
    /// Why there is no key, when one is needed.
    pub key_problem: Option<String>,
}

/// The result of asking the provider (`GET {base_url}/models`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ProviderCheck {
    /// It answered and took the key.
    Answers { url: String, http_status: u16 },
    /// It answered but refused the key (401, 403).
    KeyRefused { url: String, http_status: u16 },
    /// It answered with another error status.
    Error { url: String, http_status: u16 },
    /// No answer.
    Unreachable { url: String, detail: String },
    /// Not asked: no key, or `--offline`.
    NotChecked { reason: String },
}

/// The provider `config` would use, with where its key comes from.
pub fn provider_report(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> ProviderReport {
    let provider = &config.model_provider;
    let (key_from, key_problem) = match crate::auth::resolve_key(config, env) {
        Ok(resolved) => match resolved.source {
            crate::auth::KeySource::Env(var) => (Some(var), None),
            crate::auth::KeySource::File(path) => (Some(path.display().to_string()), None),
            crate::auth::KeySource::NotNeeded => (None, None),
        },
        Err(message) => (None, Some(message)),
    };
    ProviderReport {
        id: provider.id.clone(),
        name: provider.name.clone(),
        base_url: provider.base_url.clone(),
        wire_api: provider.wire_api.as_str(),
        model: config.model.clone(),
        key_from,
        key_problem,
    }
}

/// Ask the provider whether it answers, with the key a session would send.
pub async fn check_provider(
    config: &Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> ProviderCheck {
    let key = match crate::auth::resolve_key(config, env) {
        Ok(resolved) => resolved.key,
        Err(reason) => return ProviderCheck::NotChecked { reason },
    };
    let client = match ModelClient::new_with_env(config.model_provider.clone(), key, env) {
        Ok(client) => client,
        Err(error) => {
            return ProviderCheck::NotChecked {
                reason: error.to_string(),
            };
        }
    };
    match client.probe(PROBE_TIMEOUT).await {
        ProviderAnswer::Status { url, status } => match status {
            200..=299 => ProviderCheck::Answers {
                url,
                http_status: status,
            },
            401 | 403 => ProviderCheck::KeyRefused {
                url,
                http_status: status,
            },
            _ => ProviderCheck::Error {
                url,
                http_status: status,
            },
        },
        ProviderAnswer::Unreachable { url, detail } => ProviderCheck::Unreachable { url, detail },
    }
}

/// How long the local-server check waits.
const LOCAL_TIMEOUT: Duration = Duration::from_secs(3);

/// Before a session on a built-in local provider (`ollama`, `lmstudio`,
/// as `--oss` picks): check that the server answers and serves the model,
/// and otherwise say how to start it or get the model.
pub async fn check_local_server(config: &Config) -> Result<(), String> {
    let provider = &config.model_provider;
    if !crate::config::OSS_PROVIDERS.contains(&provider.id.as_str()) {
        return Ok(());
    }
    let ollama = provider.id == "ollama";
    let base = provider.base_url.trim_end_matches('/');
    let root = base.strip_suffix("/v1").unwrap_or(base);
    let client = ModelClient::new_with_env(provider.clone(), None, &|_| None)
        .map_err(|error| error.to_string())?;
    let served = match client.list_models(LOCAL_TIMEOUT).await {
        Ok(served) => served,
        Err(duet_model::ModelError::Connection { detail, .. }) => {
            return Err(if ollama {
                format!(
                    "Ollama is not running at {root} ({detail}): start it with `ollama serve`, or set `model_providers.ollama.base_url` to where it runs"
                )
            } else {
                format!(
                    "LM Studio's server is not running at {root} ({detail}): start it in LM Studio's Developer tab or with `lms server start`, or set `model_providers.lmstudio.base_url` to where it runs"
                )
            });
        }
        Err(error) => {
            return Err(format!(
                "{} at {root} did not list its models: {error}",
                provider.name
            ));
        }
    };
    let model = config.model.as_str();
    let found = served.iter().any(|served| {
        served.id == model || (!model.contains(':') && served.id == format!("{model}:latest"))
    });
    if found {
        return Ok(());
    }
    let names: Vec<&str> = served.iter().map(|served| served.id.as_str()).collect();
    let listed = if names.is_empty() {
        "it has none".to_string()
    } else {
        format!("it has {}", names.join(", "))
    };
    Err(if ollama {
        format!(
            "model `{model}` is not in Ollama at {root} ({listed}): pull it with `ollama pull {model}`, or pick one with `-m`"
        )
    } else {
        format!(
            "model `{model}` is not available in LM Studio at {root} ({listed}): download it with `lms get {model}` and load it, or pick one with `-m`"
        )
    })
}
