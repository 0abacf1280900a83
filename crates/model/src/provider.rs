//! Model providers: where requests go and how they authenticate.
//!
//! Loading `[model_providers]` from config is core's job; this module only
//! holds the resolved values and finds the API key.

use crate::error::ModelError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The wire protocol of a provider (`wire_api`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WireApi {
    /// OpenAI's Responses API, `POST {base_url}/responses`.
    #[default]
    Responses,
    /// Chat Completions, `POST {base_url}/chat/completions`.
    Chat,
    /// Anthropic Messages, `POST {base_url}/messages`.
    Anthropic,
}

impl WireApi {
    pub fn as_str(self) -> &'static str {
        match self {
            WireApi::Responses => "responses",
            WireApi::Chat => "chat",
            WireApi::Anthropic => "anthropic",
        }
    }
}

/// One `[model_providers.<id>]` entry, with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderInfo {
    /// The key under `model_providers` (`openai` for the built-in one).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Base URL; requests go to `{base_url}/responses` (or the wire's path).
    pub base_url: String,
    /// Environment variable holding the bearer key. `None`: no `Authorization` header.
    pub env_key: Option<String>,
    /// Extra text appended to the "missing key" error.
    pub env_key_instructions: Option<String>,
    pub wire_api: WireApi,
    /// Headers sent as-is.
    pub http_headers: BTreeMap<String, String>,
    /// Header name -> environment variable; sent when the variable is set and non-empty.
    pub env_http_headers: BTreeMap<String, String>,
    /// Appended to the request URL (e.g. Azure's `api-version`).
    pub query_params: BTreeMap<String, String>,
    /// Retries of one request on 429, 5xx and connection errors.
    pub request_max_retries: u32,
    /// Retries of a stream that broke after it started.
    pub stream_max_retries: u32,
    /// How long the stream may stay silent before it counts as dropped.
    pub stream_idle_timeout: Duration,
}

/// Variables whose key overrides every provider's `env_key`, in this order.
pub const API_KEY_OVERRIDE_VARS: [&str; 2] = ["DUET_API_KEY", "CODEX_API_KEY"];

pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_REQUEST_MAX_RETRIES: u32 = 4;
pub const DEFAULT_STREAM_MAX_RETRIES: u32 = 5;
pub const DEFAULT_STREAM_IDLE_TIMEOUT: Duration = Duration::from_millis(300_000);

impl ProviderInfo {
    /// The built-in `openai` provider. `base_url` comes from `openai_base_url`
    /// or `OPENAI_BASE_URL` when set.
    pub fn openai(base_url: Option<String>) -> Self {
        ProviderInfo {
            id: "openai".to_string(),
            name: "OpenAI".to_string(),
            base_url: base_url.unwrap_or_else(|| DEFAULT_OPENAI_BASE_URL.to_string()),
            env_key: Some("OPENAI_API_KEY".to_string()),
            env_key_instructions: Some(
                "create a key at https://platform.openai.com/api-keys".to_string(),
            ),
            wire_api: WireApi::Responses,
            http_headers: BTreeMap::new(),
            env_http_headers: BTreeMap::new(),
            query_params: BTreeMap::new(),
            request_max_retries: DEFAULT_REQUEST_MAX_RETRIES,
            stream_max_retries: DEFAULT_STREAM_MAX_RETRIES,
            stream_idle_timeout: DEFAULT_STREAM_IDLE_TIMEOUT,
        }
    }

    /// Whether the provider runs on this machine (`localhost`, a loopback
    /// address): a local server may be asked about its models.
    pub fn is_local(&self) -> bool {
        let Ok(url) = reqwest::Url::parse(&self.base_url) else {
            return false;
        };
        match url.host_str() {
            Some(host) if host.eq_ignore_ascii_case("localhost") => true,
            Some(host) => host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback()),
            None => false,
        }
    }

    /// The bearer key to send: `DUET_API_KEY`, then `CODEX_API_KEY` (when
    /// non-empty), else the variable named by `env_key`. `Ok(None)` when the
    /// provider has no `env_key` (no `Authorization` header is sent); an error
    /// naming the variable when `env_key` is set but the variable is unset or empty.
    pub fn resolve_api_key(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<String>, ModelError> {
        let non_empty = |var: &str| env(var).filter(|value| !value.is_empty());
        if let Some(key) = API_KEY_OVERRIDE_VARS.iter().find_map(|var| non_empty(var)) {
            return Ok(Some(key));
        }
        let Some(var) = &self.env_key else {
            return Ok(None);
        };
        match non_empty(var) {
            Some(key) => Ok(Some(key)),
            None => Err(ModelError::MissingApiKey {
                var: var.clone(),
                instructions: self.env_key_instructions.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(provider: &ProviderInfo, vars: &[(&str, &str)]) -> Result<Option<String>, String> {
        let env = |name: &str| {
            vars.iter()
                .find(|(var, _)| *var == name)
                .map(|(_, value)| value.to_string())
        };
        provider
            .resolve_api_key(&env)
            .map_err(|err| err.to_string())
    }

    #[test]
    fn overrides_win_in_order_when_non_empty() {
        let openai = ProviderInfo::openai(None);
        let all = [
            ("DUET_API_KEY", "duet"),
            ("CODEX_API_KEY", "codex"),
            ("OPENAI_API_KEY", "openai"),
        ];
        assert_eq!(resolve(&openai, &all), Ok(Some("duet".to_string())));
        let empty_duet = [("DUET_API_KEY", ""), ("CODEX_API_KEY", "codex")];
        assert_eq!(resolve(&openai, &empty_duet), Ok(Some("codex".to_string())));
        assert_eq!(
            resolve(&openai, &[("OPENAI_API_KEY", "openai")]),
            Ok(Some("openai".to_string()))
        );
    }

    #[test]
    fn missing_env_key_names_the_variable() {
        let openai = ProviderInfo::openai(None);
        assert_eq!(
            resolve(&openai, &[("OPENAI_API_KEY", "")]),
            Err("missing API key: the environment variable `OPENAI_API_KEY` is not set or empty: `export OPENAI_API_KEY=...` with your key (create a key at https://platform.openai.com/api-keys)".to_string())
        );
    }

    #[test]
    fn no_env_key_means_no_key() {
        let local = ProviderInfo {
            env_key: None,
            ..ProviderInfo::openai(Some("http://127.0.0.1:1/v1".to_string()))
        };
        assert_eq!(resolve(&local, &[]), Ok(None));
        assert_eq!(
            resolve(&local, &[("CODEX_API_KEY", "codex")]),
            Ok(Some("codex".to_string()))
        );
    }
}
