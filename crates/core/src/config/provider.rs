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
    let mut info = if id == OPENAI_PROVIDER_ID {
        let base_url = inputs
            .openai_base_url
            .map(str::to_string)
            .or_else(|| non_empty((inputs.env)("OPENAI_BASE_URL")));
        ProviderInfo::openai(base_url)
    } else {
        let Some(entry) = user_entry else {
            let mut known: Vec<String> = inputs.providers.keys().cloned().collect();
            if !known.iter().any(|known_id| known_id == OPENAI_PROVIDER_ID) {
                known.insert(0, OPENAI_PROVIDER_ID.to_string());
            }
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
    if info.wire_api == WireApi::Chat {
        return Err(ConfigError::UnsupportedWireApi { id: id.to_string() });
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
