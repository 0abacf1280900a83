//! The HTTP side: one request, its retries, and the event stream it returns.
//!
//! [`ModelClient`] prepares everything that does not change between requests
//! (URL, HTTP client, headers) once, so a session pays for it once. Reading
//! the events is [`ResponseStream`]'s job, in `stream.rs`.

use crate::error::ModelError;
use crate::items::ResponseItem;
use crate::provider::{ProviderInfo, WireApi};
use crate::request::ResponsesRequest;
use crate::retry::{is_retryable_status, retry_delay, status_text};
use crate::sse::{TokenUsage, error_event};
pub use crate::stream::ResponseStream;
use crate::wire::{self, Decoder};
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{StatusCode, Url};
use std::time::Duration;

/// What the client tells its caller before it retries a request.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryNotice {
    /// 1-based number of this retry.
    pub attempt: u32,
    pub max_attempts: u32,
    /// Why: "429 Too Many Requests", "500 Internal Server Error", "connection refused: …", …
    pub reason: String,
    pub delay: Duration,
}

/// One event of a response stream, in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseEvent {
    Created {
        response_id: String,
    },
    /// An output item started (`response.output_item.added`).
    OutputItemAdded(ResponseItem),
    /// Text of the assistant message being written.
    OutputTextDelta {
        item_id: Option<String>,
        delta: String,
    },
    /// Text of a reasoning summary being written.
    ReasoningSummaryDelta {
        item_id: Option<String>,
        delta: String,
    },
    /// An output item is complete (`response.output_item.done`): the only event
    /// that makes an item part of the history.
    OutputItemDone(ResponseItem),
    /// The response finished. Always the last event of a good stream.
    Completed {
        response_id: String,
        usage: Option<TokenUsage>,
    },
    /// A line of the stream could not be parsed and was skipped.
    Warning(String),
}

/// The `originator` header unless [`ModelClient::with_originator`] says otherwise.
pub const DEFAULT_ORIGINATOR: &str = "duet_exec";
/// How long connecting may take. There is no overall timeout: streams are long,
/// and silence is caught by the provider's `stream_idle_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of an error body read (and kept) for a message.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// The most of a JSON answer read (a model listing, Ollama's `/api/show`
/// with its license text).
const JSON_BODY_LIMIT: usize = 8 << 20;
/// The most of a raw (non-JSON) error body quoted in a message.
const QUOTED_BODY_LIMIT: usize = 2048;

/// A client for one provider, reused for every request of a session.
#[derive(Clone)]
pub struct ModelClient {
    provider: ProviderInfo,
    http: reqwest::Client,
    /// `{base_url}/<the wire's endpoint>` with the query parameters.
    url: Url,
    /// Every header that is the same for each request, `originator` included.
    headers: HeaderMap,
    /// Where the key sent came from, as a 401 names it (`` `OPENAI_API_KEY` ``);
    /// `None` when no key is sent.
    key_from: Option<String>,
}

impl std::fmt::Debug for ModelClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not derived: the headers hold the API key.
        f.debug_struct("ModelClient")
            .field("provider", &self.provider.id)
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

impl ModelClient {
    /// `api_key` as resolved by [`ProviderInfo::resolve_api_key`]. Reads the
    /// process environment for the provider's `env_http_headers`.
    pub fn new(provider: ProviderInfo, api_key: Option<String>) -> Result<Self, ModelError> {
        Self::new_with_env(provider, api_key, &|var| std::env::var(var).ok())
    }

    /// [`ModelClient::new`] with `env_http_headers` looked up through `env`.
    pub fn new_with_env(
        provider: ProviderInfo,
        api_key: Option<String>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ModelError> {
        let url = endpoint_url(&provider)?;
        let headers = fixed_headers(&provider, api_key.as_deref(), env)?;
        let mut builder = reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT);
        if url.scheme() == "http" {
            // Loading the CA roots costs startup time a local server never needs.
            builder = builder.tls_built_in_root_certs(false);
        }
        let http = builder.build().map_err(|err| ModelError::ClientSetup {
            detail: error_chain(&err),
        })?;
        let key_from = api_key
            .as_ref()
            .and(provider.env_key.as_ref())
            .map(|var| format!("`{var}`"));
        Ok(ModelClient {
            provider,
            http,
            url,
            headers,
            key_from,
        })
    }

    /// Name where the key came from (a variable, the `duet login` file) in
    /// the message of a 401.
    pub fn with_key_from(mut self, key_from: impl Into<String>) -> Self {
        self.key_from = Some(key_from.into());
        self
    }

    /// Send `originator: <originator>` instead of `duet_exec`. Characters a
    /// header cannot hold are replaced by `_`.
    pub fn with_originator(mut self, originator: impl Into<String>) -> Self {
        let cleaned: String = originator
            .into()
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let value = HeaderValue::from_str(&cleaned).expect("visible ASCII is a valid header value");
        self.headers.insert(ORIGINATOR, value);
        self
    }

    pub fn provider(&self) -> &ProviderInfo {
        &self.provider
    }

    /// Whether the provider answers, for `duet doctor`: `GET {base_url}/models`
    /// with the request headers (key included), within `timeout`, no retry.
    /// Any HTTP answer means the server is there; 401/403 mean it refused
    /// the key.
    pub async fn probe(&self, timeout: Duration) -> ProviderAnswer {
        let url = self.models_url();
        match self.get(&url, timeout).await {
            Ok(response) => ProviderAnswer::Status {
                url: url.to_string(),
                status: response.status().as_u16(),
            },
            Err(err) => ProviderAnswer::Unreachable {
                url: url.to_string(),
                detail: connection_reason(&err),
            },
        }
    }

    /// The models the server lists at `GET {base_url}/models`, with the
    /// context window where the listing gives one (vLLM's `max_model_len`,
    /// OpenRouter's `context_length`). No retry.
    pub async fn list_models(&self, timeout: Duration) -> Result<Vec<ServedModel>, ModelError> {
        let url = self.models_url();
        let listing = self.get_json(url.clone(), timeout).await?;
        let Some(data) = listing.get("data").and_then(serde_json::Value::as_array) else {
            return Err(ModelError::UnexpectedStatus {
                status: "200 OK".to_string(),
                url: url.to_string(),
                server_message: "the answer is not a model list (no `data` array)".to_string(),
            });
        };
        Ok(data
            .iter()
            .filter_map(|model| {
                let id = model.get("id")?.as_str()?.to_string();
                let context_window = ["max_model_len", "context_length", "context_window"]
                    .iter()
                    .find_map(|field| model.get(*field)?.as_u64());
                Some(ServedModel { id, context_window })
            })
            .collect())
    }

    /// Ask a local server how many tokens `model` reads: Ollama's
    /// `POST /api/show` (`num_ctx`, else `*.context_length`), LM Studio's
    /// `GET /api/v0/models` (`loaded_context_length`, else
    /// `max_context_length`), llama.cpp's `GET /props` (`n_ctx`) and vLLM's
    /// `GET /v1/models` (`max_model_len`), the provider's own first. The
    /// window and where it came from, or `None` when no server said.
    pub async fn detect_context_window(
        &self,
        model: &str,
        timeout: Duration,
    ) -> Option<(u64, &'static str)> {
        let base = self.provider.base_url.trim_end_matches('/');
        let root = base.strip_suffix("/v1").unwrap_or(base);
        let order: &[&str] = match self.provider.id.as_str() {
            "ollama" => &["ollama"],
            "lmstudio" => &["lmstudio"],
            _ => &["llama.cpp", "vllm", "ollama", "lmstudio"],
        };
        for server in order {
            let found = match *server {
                "ollama" => {
                    let url = self.server_url(&format!("{root}/api/show")).ok()?;
                    let sent = self
                        .http
                        .post(url)
                        .headers(self.headers.clone())
                        .body(serde_json::json!({"model": model}).to_string())
                        .timeout(timeout)
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status().is_success() => {
                            let body = read_body(response, timeout, JSON_BODY_LIMIT).await;
                            serde_json::from_str::<serde_json::Value>(&body)
                                .ok()
                                .and_then(|show| ollama_window(&show))
                        }
                        _ => None,
                    }
                }
                "lmstudio" => {
                    let url = self.server_url(&format!("{root}/api/v0/models")).ok()?;
                    self.get_json(url, timeout).await.ok().and_then(|listing| {
                        let entry = listing
                            .get("data")?
                            .as_array()?
                            .iter()
                            .find(|entry| {
                                entry.get("id").and_then(serde_json::Value::as_str) == Some(model)
                            })?
                            .clone();
                        ["loaded_context_length", "max_context_length"]
                            .iter()
                            .find_map(|field| entry.get(*field)?.as_u64())
                    })
                }
                "llama.cpp" => {
                    let url = self.server_url(&format!("{root}/props")).ok()?;
                    self.get_json(url, timeout).await.ok().and_then(|props| {
                        props
                            .pointer("/default_generation_settings/n_ctx")
                            .or_else(|| props.get("n_ctx"))?
                            .as_u64()
                    })
                }
                _ => self.list_models(timeout).await.ok().and_then(|models| {
                    models
                        .into_iter()
                        .find(|served| served.id == model)?
                        .context_window
                }),
            };
            if let Some(window) = found.filter(|window| *window > 0) {
                return Some((window, server));
            }
        }
        None
    }

    fn server_url(&self, url: &str) -> Result<Url, ModelError> {
        Url::parse(url).map_err(|err| ModelError::InvalidBaseUrl {
            provider_id: self.provider.id.clone(),
            base_url: self.provider.base_url.clone(),
            detail: err.to_string(),
        })
    }

    /// `{base_url}/models`, with the provider's query parameters.
    fn models_url(&self) -> Url {
        let mut url = self.url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            for _ in wire::endpoint(self.provider.wire_api).split('/') {
                segments.pop();
            }
            segments.push("models");
        }
        url
    }

    /// `GET url` with the request headers, within `timeout`, no retry.
    async fn get(&self, url: &Url, timeout: Duration) -> reqwest::Result<reqwest::Response> {
        self.http
            .get(url.clone())
            .headers(self.headers.clone())
            .timeout(timeout)
            .send()
            .await
    }

    /// `GET url` with the request headers; the body as JSON.
    async fn get_json(&self, url: Url, timeout: Duration) -> Result<serde_json::Value, ModelError> {
        let sent = self
            .get(&url, timeout)
            .await
            .map_err(|err| ModelError::Connection {
                url: url.to_string(),
                attempts: 1,
                detail: connection_reason(&err),
            })?;
        let status = sent.status();
        if !status.is_success() {
            let body = read_error_body(sent, timeout).await;
            return Err(ModelError::UnexpectedStatus {
                status: status_text(status),
                url: url.to_string(),
                server_message: quote_body(&body),
            });
        }
        let body = read_body(sent, timeout, JSON_BODY_LIMIT).await;
        serde_json::from_str(&body).map_err(|err| ModelError::UnexpectedStatus {
            status: status_text(status),
            url: url.to_string(),
            server_message: format!("the answer is not JSON ({err}): {}", quote_body(&body)),
        })
    }

    /// Send the request, retrying 429/5xx/connection failures with backoff
    /// (each retry is reported through `on_retry` first), and return the stream.
    /// `thread_id` goes into the `session-id`/`thread-id` headers.
    pub async fn stream(
        &self,
        request: &ResponsesRequest,
        thread_id: &str,
        on_retry: &mut (dyn FnMut(RetryNotice) + Send),
    ) -> Result<ResponseStream, ModelError> {
        let wire_api = self.provider.wire_api;
        let body = wire::body(wire_api, request);
        let thread = HeaderValue::from_str(thread_id).map_err(|err| ModelError::InvalidHeader {
            provider_id: self.provider.id.clone(),
            name: "thread-id".to_string(),
            detail: err.to_string(),
        })?;
        let mut headers = self.headers.clone();
        for name in ["session-id", "thread-id", "x-client-request-id"] {
            headers.insert(HeaderName::from_static(name), thread.clone());
        }
        let max_retries = self.provider.request_max_retries;
        let mut retries = 0;
        // Built once: each attempt clones it, which shares the body's bytes
        // (a resumed thread's body can be tens of megabytes).
        let template = self.http.post(self.url.clone()).headers(headers).body(body);
        loop {
            let started = std::time::Instant::now();
            log::debug!(
                "POST {} (model `{}`, {} input items, attempt {})",
                self.display_url(),
                request.model,
                request.input.len(),
                retries + 1
            );
            let sent = template
                .try_clone()
                .expect("a request with an in-memory body can be cloned")
                .send()
                .await;
            let (reason, delay) = match sent {
                Ok(response) if response.status().is_success() => {
                    log::info!(
                        "{} answered {} in {} ms (request id {})",
                        self.display_url(),
                        response.status().as_u16(),
                        started.elapsed().as_millis(),
                        request_id(response.headers())
                    );
                    if let Some(peer) = response.remote_addr() {
                        crate::quickack::ack_now(peer);
                    }
                    let decoder = Decoder::new(wire_api, request);
                    let content_type = response
                        .headers()
                        .get(header::CONTENT_TYPE)
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or("text/event-stream")
                        .to_ascii_lowercase();
                    if !content_type.starts_with("text/event-stream") {
                        return self.not_a_stream(response, &content_type, decoder).await;
                    }
                    return Ok(ResponseStream::new(
                        response,
                        decoder,
                        self.provider.stream_idle_timeout,
                    ));
                }
                Ok(response) => {
                    let status = response.status();
                    let response_headers = response.headers().clone();
                    let body = read_error_body(response, self.provider.stream_idle_timeout).await;
                    let failure = self.status_failure(status, &body, request);
                    log::warn!(
                        "{} answered {} in {} ms (request id {}): {failure}",
                        self.display_url(),
                        status.as_u16(),
                        started.elapsed().as_millis(),
                        request_id(&response_headers)
                    );
                    let fatal = matches!(
                        failure,
                        ModelError::ContextWindowExceeded | ModelError::QuotaExceeded { .. }
                    );
                    if fatal || retries >= max_retries || !is_retryable_status(status) {
                        return Err(failure);
                    }
                    (
                        status_text(status),
                        retry_delay(retries + 1, Some(&response_headers)),
                    )
                }
                Err(err) => {
                    let reason = connection_reason(&err);
                    log::warn!("{} could not be reached: {reason}", self.display_url());
                    if retries >= max_retries {
                        return Err(ModelError::Connection {
                            url: self.display_url(),
                            attempts: retries + 1,
                            detail: reason,
                        });
                    }
                    (reason, retry_delay(retries + 1, None))
                }
            };
            retries += 1;
            log::info!(
                "retry {retries} of {max_retries} in {} ms: {reason}",
                delay.as_millis()
            );
            on_retry(RetryNotice {
                attempt: retries,
                max_attempts: max_retries,
                reason,
                delay,
            });
            tokio::time::sleep(delay).await;
        }
    }

    /// A 200 that is not an event stream: a whole chat completion (servers
    /// that ignore `stream: true`) is read as one; anything else (an HTML
    /// page from a proxy, a JSON body on the wrong endpoint) is an error
    /// that quotes it.
    async fn not_a_stream(
        &self,
        response: reqwest::Response,
        content_type: &str,
        mut decoder: Decoder,
    ) -> Result<ResponseStream, ModelError> {
        let body = read_error_body(response, self.provider.stream_idle_timeout).await;
        if let Some(events) = decoder.whole_body(&body) {
            return Ok(ResponseStream::ready(events));
        }
        let failure = ModelError::NotAStream {
            url: self.display_url(),
            content_type: content_type.to_string(),
            body: quote_body(&body),
        };
        log::warn!("{failure}");
        Err(failure)
    }

    /// The error for a non-success status; for 429/5xx, the one returned once
    /// retries are spent.
    fn status_failure(
        &self,
        status: StatusCode,
        body: &str,
        request: &ResponsesRequest,
    ) -> ModelError {
        // Servers that say it in words only (vLLM's top-level message,
        // llama.cpp's error type, Anthropic's "prompt is too long").
        if matches!(status.as_u16(), 400 | 413) && crate::sse::says_too_long(body) {
            return ModelError::ContextWindowExceeded;
        }
        let error = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|json| json.get("error").cloned());
        let error_message = error
            .as_ref()
            .and_then(|error| error.get("message")?.as_str().map(str::to_string));
        if let Some(error) = &error
            && let failure @ (ModelError::ContextWindowExceeded | ModelError::QuotaExceeded { .. }) =
                error_event(error)
        {
            return failure;
        }
        let server_message = error_message.clone().unwrap_or_else(|| quote_body(body));
        match status {
            StatusCode::TOO_MANY_REQUESTS => ModelError::RetryLimit {
                status: status_text(status),
                detail: None,
            },
            status if status.is_server_error() => ModelError::RetryLimit {
                status: status_text(status),
                detail: error_message,
            },
            StatusCode::BAD_REQUEST if refuses_tools(&server_message) => {
                ModelError::ToolsUnsupported {
                    provider_id: self.provider.id.clone(),
                    model: request.model.clone(),
                    server_message,
                }
            }
            StatusCode::BAD_REQUEST => ModelError::BadRequest { server_message },
            StatusCode::UNAUTHORIZED => ModelError::Unauthorized {
                provider_id: self.provider.id.clone(),
                key_from: self.key_from.clone(),
                server_message,
            },
            StatusCode::FORBIDDEN => ModelError::Forbidden {
                model: request.model.clone(),
                server_message,
            },
            StatusCode::NOT_FOUND => ModelError::NotFound {
                url: self.display_url(),
                provider_id: self.provider.id.clone(),
                model: request.model.clone(),
            },
            status => ModelError::UnexpectedStatus {
                status: status_text(status),
                url: self.display_url(),
                server_message,
            },
        }
    }

    /// `{base_url}/<endpoint>`, without the query, as the user configured it.
    fn display_url(&self) -> String {
        format!(
            "{}/{}",
            self.provider.base_url.trim_end_matches('/'),
            wire::endpoint(self.provider.wire_api)
        )
    }
}

/// The provider's id of a request, for matching a log line with its side.
fn request_id(headers: &reqwest::header::HeaderMap) -> &str {
    ["x-request-id", "request-id", "x-amzn-requestid"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
        .unwrap_or("none")
}

const ORIGINATOR: HeaderName = HeaderName::from_static("originator");

/// Whether a 400's message says the model cannot call tools (Ollama:
/// "… does not support tools"; vLLM and others word it alike).
fn refuses_tools(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "does not support tools",
        "tools are not supported",
        "does not support function calling",
        "tool use is not supported",
        "tool calling is not supported",
    ]
    .iter()
    .any(|phrase| message.contains(phrase))
}

fn endpoint_url(provider: &ProviderInfo) -> Result<Url, ModelError> {
    let base_url = provider.base_url.trim_end_matches('/');
    let invalid = |detail: String| ModelError::InvalidBaseUrl {
        provider_id: provider.id.clone(),
        base_url: provider.base_url.clone(),
        detail,
    };
    let mut url = Url::parse(&format!("{base_url}/{}", wire::endpoint(provider.wire_api)))
        .map_err(|err| invalid(err.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be `http` or `https`".to_string()));
    }
    if !provider.query_params.is_empty() {
        url.query_pairs_mut().extend_pairs(&provider.query_params);
    }
    Ok(url)
}

fn fixed_headers(
    provider: &ProviderInfo,
    api_key: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<HeaderMap, ModelError> {
    let invalid = |name: &str, detail: String| ModelError::InvalidHeader {
        provider_id: provider.id.clone(),
        name: name.to_string(),
        detail,
    };
    let value = |name: &str, value: &str| {
        HeaderValue::from_str(value).map_err(|err| invalid(name, err.to_string()))
    };
    let mut headers = HeaderMap::new();
    if let Some(key) = api_key {
        let (name, text) = match provider.wire_api {
            WireApi::Anthropic => (HeaderName::from_static("x-api-key"), key.to_string()),
            _ => (header::AUTHORIZATION, format!("Bearer {key}")),
        };
        let mut secret = value(name.as_str(), &text)?;
        secret.set_sensitive(true);
        headers.insert(name, secret);
    }
    if provider.wire_api == WireApi::Anthropic {
        headers.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(wire::anthropic::API_VERSION),
        );
    }
    headers.insert(
        header::ACCEPT,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(ORIGINATOR, HeaderValue::from_static(DEFAULT_ORIGINATOR));
    headers.insert(header::USER_AGENT, value("user-agent", &user_agent())?);
    let from_env = provider.env_http_headers.iter().filter_map(|(name, var)| {
        let value = env(var).filter(|value| !value.is_empty())?;
        Some((name, value))
    });
    let configured = provider
        .http_headers
        .iter()
        .map(|(name, value)| (name, value.clone()));
    for (name, header_value) in configured.chain(from_env) {
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|err| invalid(name, err.to_string()))?;
        headers.insert(header_name, value(name, &header_value)?);
    }
    Ok(headers)
}

/// `duet/<version> (<os>; <arch>)`.
/// One model a server lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedModel {
    pub id: String,
    /// The context window, when the listing says.
    pub context_window: Option<u64>,
}

/// Ollama's `/api/show`: the `num_ctx` parameter the model runs with, else
/// the window it was trained for (`<architecture>.context_length`).
fn ollama_window(show: &serde_json::Value) -> Option<u64> {
    let from_parameters = show
        .get("parameters")
        .and_then(serde_json::Value::as_str)
        .and_then(|parameters| {
            parameters.lines().find_map(|line| {
                let mut words = line.split_whitespace();
                (words.next() == Some("num_ctx")).then(|| words.next()?.parse().ok())?
            })
        });
    from_parameters.or_else(|| {
        show.get("model_info")?
            .as_object()?
            .iter()
            .find(|(key, _)| key.ends_with(".context_length"))?
            .1
            .as_u64()
    })
}

/// What [`ModelClient::probe`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderAnswer {
    /// The server answered with this HTTP status.
    Status { url: String, status: u16 },
    /// No answer: refused, unresolvable, timed out.
    Unreachable { url: String, detail: String },
}

pub fn user_agent() -> String {
    format!(
        "duet/{} ({}; {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// Up to [`ERROR_BODY_LIMIT`] bytes of an error response, lossily decoded.
async fn read_error_body(response: reqwest::Response, idle_timeout: Duration) -> String {
    read_body(response, idle_timeout, ERROR_BODY_LIMIT).await
}

/// Up to `limit` bytes of a response, lossily decoded.
async fn read_body(
    mut response: reqwest::Response,
    idle_timeout: Duration,
    limit: usize,
) -> String {
    let mut body = Vec::new();
    while body.len() < limit {
        match tokio::time::timeout(idle_timeout, response.chunk()).await {
            Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(limit);
    String::from_utf8_lossy(&body).into_owned()
}

fn quote_body(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return "the response body was empty".to_string();
    }
    let mut end = body.len().min(QUOTED_BODY_LIMIT);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    if end < body.len() {
        format!("{}…", &body[..end])
    } else {
        body.to_string()
    }
}

/// A short reason for a request that got no response: what failed, and the
/// underlying error (the top level, which repeats the URL, is left out).
fn connection_reason(err: &reqwest::Error) -> String {
    let io_kind = std::iter::successors(std::error::Error::source(err), |e| e.source())
        .find_map(|e| e.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind);
    let what = match io_kind {
        Some(std::io::ErrorKind::ConnectionRefused) => "connection refused",
        Some(std::io::ErrorKind::ConnectionReset) => "connection reset",
        _ if err.is_timeout() => "connection timed out",
        _ if err.is_connect() => "could not connect",
        _ => "request failed",
    };
    match std::error::Error::source(err) {
        Some(source) => format!("{what}: {}", error_chain(source)),
        None => format!("{what}: {err}"),
    }
}

/// An error and its sources, joined with `: `.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Some errors repeat their source in their own message.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// Core runs streams inside spawned tasks.
    #[test]
    fn stream_futures_are_send() {
        let client =
            ModelClient::new_with_env(ProviderInfo::openai(None), None, &|_| None).unwrap();
        let request = ResponsesRequest {
            model: "m".to_string(),
            input: vec![],
            tools: vec![],
            tool_choice: "auto",
            parallel_tool_calls: false,
            reasoning: None,
            store: false,
            stream: true,
            include: vec![],
            prompt_cache_key: "t".to_string(),
            text: None,
            max_output_tokens: None,
        };
        let mut on_retry = |_: RetryNotice| {};
        let future = client.stream(&request, "t", &mut on_retry);
        assert_send(&future);
    }

    #[test]
    fn raw_bodies_are_quoted_whole_or_cut() {
        assert_eq!(quote_body("  "), "the response body was empty");
        assert_eq!(quote_body("bad thing\n"), "bad thing");
        let long = "é".repeat(2000);
        assert_eq!(quote_body(&long), format!("{}…", "é".repeat(1024)));
    }

    #[test]
    fn url_trims_slash_and_adds_query() {
        let mut provider = ProviderInfo::openai(Some("http://127.0.0.1:9/v1/".to_string()));
        provider
            .query_params
            .insert("api-version".to_string(), "2025-01-01".to_string());
        assert_eq!(
            endpoint_url(&provider).unwrap().as_str(),
            "http://127.0.0.1:9/v1/responses?api-version=2025-01-01"
        );
        provider.base_url = "ftp://example.test".to_string();
        assert_eq!(
            endpoint_url(&provider).unwrap_err().to_string(),
            "invalid `model_providers.openai.base_url` `ftp://example.test`: the scheme must be `http` or `https`: fix it in the config"
        );
    }
}
