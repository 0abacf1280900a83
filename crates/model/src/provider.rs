//! Model providers: where requests go and how they authenticate.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The wire protocol of a provider. Only the Responses API is spoken today.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WireApi {
    #[default]
    Responses,
    Chat,
}

/// One `[model_providers.<id>]` entry, with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderInfo {
    /// The key under `model_providers` (`openai` for the built-in one).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Base URL; requests go to `{base_url}/responses`.
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
                "create a key at https://platform.openai.com/api-keys and `export OPENAI_API_KEY=...`"
                    .to_string(),
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
}

impl ProviderInfo {
    /// STUB
    pub fn resolve_api_key(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<String>, crate::ModelError> {
        Ok(self.env_key.as_deref().and_then(env))
    }
}
