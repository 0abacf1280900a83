//! What can go wrong talking to a model, with messages that say what to do.
//!
//! Only the errors of a stream that already started ([`ModelError::Stream`],
//! [`ModelError::ResponseFailed`]) are retryable: the caller keeps the items
//! that completed and asks again. Everything `ModelClient::stream` returns has
//! had its request-level retries already.

/// The error of this crate. `Display` says what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The provider's `env_key` variable is unset or empty.
    #[error("{}", missing_api_key_message(var, instructions.as_deref()))]
    MissingApiKey {
        var: String,
        instructions: Option<String>,
    },

    /// `base_url` (plus `query_params`) does not make a URL.
    #[error(
        "invalid `model_providers.{provider_id}.base_url` `{base_url}`: {detail}: fix it in the config"
    )]
    InvalidBaseUrl {
        provider_id: String,
        base_url: String,
        detail: String,
    },

    /// A configured header has a name or value HTTP does not allow.
    #[error(
        "invalid HTTP header `{name}` for provider `{provider_id}`: {detail}: fix `http_headers`/`env_http_headers` or the API key"
    )]
    InvalidHeader {
        provider_id: String,
        name: String,
        detail: String,
    },

    /// The HTTP client could not be built (TLS setup).
    #[error("could not set up the HTTP client: {detail}")]
    ClientSetup { detail: String },

    /// 401: the key was sent and rejected, or none was sent and one is needed.
    #[error("{}", unauthorized_message(provider_id, key_from.as_deref(), server_message))]
    Unauthorized {
        provider_id: String,
        /// Where the key sent came from (`` `OPENAI_API_KEY` ``, the
        /// `duet login` file); `None` when no key was sent.
        key_from: Option<String>,
        server_message: String,
    },

    /// 403: the key is valid but may not do this.
    #[error(
        "the model provider denied access (403 Forbidden): {server_message}: check that the API key's project may use model `{model}`"
    )]
    Forbidden {
        model: String,
        server_message: String,
    },

    /// 404 on `{base_url}/responses`.
    #[error(
        "`{url}` was not found (404 Not Found): check `model_providers.{provider_id}.base_url` (it should end in `/v1` for OpenAI-compatible servers) and the model name `{model}`"
    )]
    NotFound {
        url: String,
        provider_id: String,
        model: String,
    },

    /// 400: the server refused the request as sent.
    #[error("the model provider rejected the request (400 Bad Request): {server_message}")]
    BadRequest { server_message: String },

    /// 400 because the model cannot call tools.
    #[error(
        "model `{model}` of provider `{provider_id}` does not support tool calls, which duet needs to work ({server_message}): pick a model that supports tools (for Ollama, one tagged `tools`, e.g. `qwen3`, `llama3.1`)"
    )]
    ToolsUnsupported {
        provider_id: String,
        model: String,
        server_message: String,
    },

    /// A success status whose body is not an event stream.
    #[error(
        "`{url}` answered with `{content_type}` instead of an event stream: {body}: check `base_url` (it should be the API's, ending in `/v1`) and `wire_api`"
    )]
    NotAStream {
        url: String,
        content_type: String,
        body: String,
    },

    /// Any other non-retried status (other 4xx, 1xx/3xx).
    #[error("unexpected status {status} from `{url}`: {server_message}")]
    UnexpectedStatus {
        status: String,
        url: String,
        server_message: String,
    },

    /// 429 or 5xx on every attempt.
    #[error("exceeded retry limit, last status: {status}{}", detail.as_ref().map(|detail| format!(": {detail}")).unwrap_or_default())]
    RetryLimit {
        /// e.g. `429 Too Many Requests`.
        status: String,
        /// The server's `error.message`, for 5xx.
        detail: Option<String>,
    },

    /// No connection could be made on any attempt.
    #[error(
        "could not reach the model provider at `{url}` after {attempts} attempts: {detail}: check the network and `base_url`"
    )]
    Connection {
        url: String,
        attempts: u32,
        detail: String,
    },

    /// The history is larger than the model's context window.
    #[error(
        "the conversation no longer fits in the model's context window: start a new session or compact it, then retry"
    )]
    ContextWindowExceeded,

    /// The account is out of quota or credit.
    #[error(
        "the model provider reports the quota is exhausted: {server_message}: check the plan and billing details of the API key's account"
    )]
    QuotaExceeded { server_message: String },

    /// `response.incomplete`: the model stopped early (e.g. `max_output_tokens`).
    #[error("incomplete response returned, reason: {reason}")]
    Incomplete { reason: String },

    /// `response.failed` or an `error` event with an ordinary error: retryable.
    #[error("the model failed to produce a response: {message}")]
    ResponseFailed {
        code: Option<String>,
        message: String,
    },

    /// The stream broke, stalled or was cut short: retryable. The message
    /// starts with `stream disconnected before completion:` or `stream idle`.
    #[error("{message}")]
    Stream { message: String },
}

impl ModelError {
    /// Whether asking again may help (a dropped, idle or failed stream).
    /// Request-level retries are already spent when `stream` returns an error,
    /// so errors from `stream` itself are never retryable.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ModelError::Stream { .. } | ModelError::ResponseFailed { .. }
        )
    }

    /// A stream that ended, broke or failed to decode before `response.completed`.
    pub(crate) fn disconnected(detail: impl std::fmt::Display) -> Self {
        ModelError::Stream {
            message: format!("stream disconnected before completion: {detail}"),
        }
    }
}

fn missing_api_key_message(var: &str, instructions: Option<&str>) -> String {
    let mut message = format!(
        "missing API key: the environment variable `{var}` is not set or empty: `export {var}=...` with your key"
    );
    if let Some(instructions) = instructions {
        message.push_str(" (");
        message.push_str(instructions);
        message.push(')');
    }
    message
}

fn unauthorized_message(provider: &str, key_from: Option<&str>, server_message: &str) -> String {
    match key_from {
        Some(from) => format!(
            "the model provider `{provider}` rejected the API key from {from} (401 Unauthorized): {server_message}: check that key (`DUET_API_KEY` or `CODEX_API_KEY` take precedence when set), or save another with `duet login --provider {provider} --with-api-key`"
        ),
        None => format!(
            "the model provider `{provider}` requires an API key (401 Unauthorized): {server_message}: set `env_key` for this provider in the config, or save a key with `duet login --provider {provider} --with-api-key`"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_are_only_stream_errors() {
        let retryable: Vec<bool> = [
            ModelError::disconnected("eof"),
            ModelError::ResponseFailed {
                code: None,
                message: "oops".to_string(),
            },
            ModelError::ContextWindowExceeded,
            ModelError::RetryLimit {
                status: "429 Too Many Requests".to_string(),
                detail: None,
            },
        ]
        .iter()
        .map(ModelError::is_retryable)
        .collect();
        assert_eq!(retryable, vec![true, true, false, false]);
    }

    #[test]
    fn messages_say_what_to_do() {
        assert_eq!(
            ModelError::MissingApiKey {
                var: "MY_KEY".to_string(),
                instructions: Some("get one at https://example.test".to_string()),
            }
            .to_string(),
            "missing API key: the environment variable `MY_KEY` is not set or empty: `export MY_KEY=...` with your key (get one at https://example.test)"
        );
        assert_eq!(
            ModelError::RetryLimit {
                status: "500 Internal Server Error".to_string(),
                detail: Some("overloaded".to_string()),
            }
            .to_string(),
            "exceeded retry limit, last status: 500 Internal Server Error: overloaded"
        );
        assert_eq!(
            ModelError::Unauthorized {
                provider_id: "local".to_string(),
                key_from: None,
                server_message: "no key".to_string(),
            }
            .to_string(),
            "the model provider `local` requires an API key (401 Unauthorized): no key: set `env_key` for this provider in the config, or save a key with `duet login --provider local --with-api-key`"
        );
    }
}
