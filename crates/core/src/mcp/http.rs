//! Streamable HTTP servers: `rmcp`'s transport over duet's own HTTP
//! client (the `reqwest` the model crate uses; `rmcp`'s built-in client
//! would bring a second, newer `reqwest` and TLS stack along).
//!
//! [`HttpClient`] is the transport's three HTTP exchanges: a message
//! `POST`ed (answered with JSON, an event stream, or `202 Accepted`), the
//! server's own event stream (`GET`, optional: `405` means none), and the
//! session's end (`DELETE`). The bearer token comes from
//! `bearer_token_env_var`, else from `duet mcp login` (`oauth.rs`);
//! `http_headers` are sent as given and `env_http_headers` from the
//! variables they name.

use crate::config::mcp::{McpServerConfig, McpTransport};
use futures::StreamExt;
use futures::stream::BoxStream;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, WWW_AUTHENTICATE};
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::{
    AuthRequiredError, SseError, StreamableHttpClient, StreamableHttpClientTransportConfig,
    StreamableHttpError, StreamableHttpPostResponse,
};
use sse_stream::{Sse, SseStream};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

const SESSION_ID: &str = "Mcp-Session-Id";
const LAST_EVENT_ID: &str = "Last-Event-Id";
const EVENT_STREAM: &str = "text/event-stream";
const JSON: &str = "application/json";
/// The longest JSON answer read (a tool result with images can be large).
const MAX_JSON_BYTES: usize = 64 * 1024 * 1024;

/// The transport to `server`'s URL, with its token and headers.
pub(super) fn transport(
    server: &McpServerConfig,
    login: Option<String>,
) -> Result<StreamableHttpClientTransport<HttpClient>, String> {
    let McpTransport::StreamableHttp {
        url,
        bearer_token_env_var,
        http_headers,
        env_http_headers,
    } = &server.transport
    else {
        return Err(format!("MCP server `{}` has no URL", server.name));
    };
    let name = &server.name;
    let mut headers = HashMap::new();
    let mut add = |header: &str, value: &str, key: &str| -> Result<(), String> {
        let header_name = HeaderName::from_bytes(header.as_bytes()).map_err(|_| {
            format!("`mcp_servers.{name}.{key}` has `{header}`, which is not a header name")
        })?;
        let header_value = HeaderValue::from_str(value).map_err(|_| {
            format!(
                "`mcp_servers.{name}.{key}`: the value of `{header}` is not a valid header value"
            )
        })?;
        headers.insert(header_name, header_value);
        Ok(())
    };
    for (header, value) in http_headers {
        add(header, value, "http_headers")?;
    }
    for (header, variable) in env_http_headers {
        match std::env::var(variable) {
            Ok(value) => add(header, &value, "env_http_headers")?,
            Err(_) => log::warn!(
                "MCP server `{name}`: `{variable}` is not set, so header `{header}` is not sent"
            ),
        }
    }
    let mut config =
        StreamableHttpClientTransportConfig::with_uri(url.as_str()).custom_headers(headers);
    if let Some(variable) = bearer_token_env_var {
        let token = std::env::var(variable).map_err(|_| {
            format!(
                "MCP server `{name}` needs a token in `{variable}` (`bearer_token_env_var`), which is not set; set it, or remove `bearer_token_env_var`"
            )
        })?;
        config = config.auth_header(token);
    } else if let Some(token) = login {
        // `duet mcp login`'s token (never logged).
        config = config.auth_header(token);
    }
    let client = reqwest::Client::builder()
        .build()
        .map_err(|error| format!("MCP server `{name}`: cannot make an HTTP client: {error}"))?;
    Ok(StreamableHttpClientTransport::with_client(
        HttpClient { client },
        config,
    ))
}

/// duet's HTTP client, as `rmcp`'s streamable HTTP transport drives it.
#[derive(Clone)]
pub(crate) struct HttpClient {
    client: reqwest::Client,
}

type Failure = StreamableHttpError<reqwest::Error>;

impl HttpClient {
    fn request(
        &self,
        method: reqwest::Method,
        uri: &str,
        session_id: Option<&str>,
        auth_token: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> reqwest::RequestBuilder {
        let mut request = self.client.request(method, uri);
        for (name, value) in custom_headers {
            request = request.header(name, value);
        }
        if let Some(token) = auth_token {
            request = request.bearer_auth(token);
        }
        if let Some(session_id) = session_id {
            request = request.header(SESSION_ID, session_id);
        }
        request
    }
}

impl StreamableHttpClient for HttpClient {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_token: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, Failure> {
        let body = serde_json::to_vec(&message)?;
        let response = self
            .request(
                reqwest::Method::POST,
                &uri,
                session_id.as_deref(),
                auth_token,
                custom_headers,
            )
            .header(ACCEPT, format!("{EVENT_STREAM}, {JSON}"))
            .header(CONTENT_TYPE, JSON)
            .body(body)
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        if let Some(auth) = auth_required(status, response.headers()) {
            return Err(auth);
        }
        if matches!(status, StatusCode::ACCEPTED | StatusCode::NO_CONTENT) {
            return Ok(StreamableHttpPostResponse::Accepted);
        }
        if status == StatusCode::NOT_FOUND && session_id.is_some() {
            return Err(StreamableHttpError::SessionExpired);
        }
        let new_session = response
            .headers()
            .get(SESSION_ID)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        let kind = content_type(response.headers());
        if status.is_success() && kind.starts_with(EVENT_STREAM) {
            return Ok(StreamableHttpPostResponse::Sse(
                events(response),
                new_session,
            ));
        }
        let answers_nothing = !matches!(message, ClientJsonRpcMessage::Request(_));
        let body = read_limited(response).await?;
        if status.is_success() && body.is_empty() && answers_nothing {
            return Ok(StreamableHttpPostResponse::Accepted);
        }
        // A JSON-RPC message, even with an error status (a refusal the
        // server explains), goes to the protocol.
        if kind.starts_with(JSON)
            && let Ok(answer) = serde_json::from_slice::<ServerJsonRpcMessage>(&body)
        {
            return Ok(StreamableHttpPostResponse::Json(answer, new_session));
        }
        Err(StreamableHttpError::UnexpectedServerResponse(Cow::Owned(
            format!(
                "HTTP {status} with {}: {}",
                if kind.is_empty() {
                    "no content type"
                } else {
                    &kind
                },
                excerpt(&body)
            ),
        )))
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_token: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), Failure> {
        let response = self
            .request(
                reqwest::Method::DELETE,
                &uri,
                Some(&session_id),
                auth_token,
                custom_headers,
            )
            .send()
            .await
            .map_err(StreamableHttpError::Client)?;
        // A server that keeps no sessions, or has already dropped this one.
        if matches!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_FOUND
        ) {
            return Ok(());
        }
        response
            .error_for_status()
            .map(|_| ())
            .map_err(StreamableHttpError::Client)
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_token: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, Failure> {
        let mut request = self
            .request(
                reqwest::Method::GET,
                &uri,
                session_id.as_deref(),
                auth_token,
                custom_headers,
            )
            .header(ACCEPT, EVENT_STREAM);
        if let Some(last) = last_event_id {
            request = request.header(LAST_EVENT_ID, last);
        }
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        if status == StatusCode::METHOD_NOT_ALLOWED {
            return Err(StreamableHttpError::ServerDoesNotSupportSse);
        }
        if let Some(auth) = auth_required(status, response.headers()) {
            return Err(auth);
        }
        let response = response
            .error_for_status()
            .map_err(StreamableHttpError::Client)?;
        let kind = content_type(response.headers());
        if !kind.starts_with(EVENT_STREAM) {
            return Err(StreamableHttpError::UnexpectedContentType(Some(kind)));
        }
        Ok(events(response))
    }
}

/// A request that got no answer: when the server could not be reached,
/// why (the refused connection, the unknown host) rather than only the URL.
fn unreachable(error: reqwest::Error) -> Failure {
    if !(error.is_connect() || error.is_timeout()) {
        return StreamableHttpError::Client(error);
    }
    let mut cause: &dyn std::error::Error = &error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    StreamableHttpError::UnexpectedServerResponse(Cow::Owned(format!("cannot connect ({cause})")))
}

/// A `401` that asks for authorisation (OAuth servers).
fn auth_required(status: StatusCode, headers: &HeaderMap) -> Option<Failure> {
    if status != StatusCode::UNAUTHORIZED {
        return None;
    }
    let challenge = headers
        .get(WWW_AUTHENTICATE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("Bearer")
        .to_string();
    Some(StreamableHttpError::AuthRequired(AuthRequiredError::new(
        challenge,
    )))
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The response body as server-sent events.
fn events(response: reqwest::Response) -> BoxStream<'static, Result<Sse, SseError>> {
    let chunks = futures::stream::unfold(Some(response), |response| async move {
        let mut response = response?;
        match response.chunk().await {
            Ok(Some(chunk)) => Some((Ok(chunk), Some(response))),
            Ok(None) => None,
            Err(error) => Some((Err(error), None)),
        }
    });
    SseStream::from_bytes_stream(chunks).boxed()
}

/// The whole body, refused past [`MAX_JSON_BYTES`].
async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(StreamableHttpError::Client)?
    {
        if body.len() + chunk.len() > MAX_JSON_BYTES {
            return Err(StreamableHttpError::ResponseBodyTooLarge {
                max_size: MAX_JSON_BYTES,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The start of a body, for an error message.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = text.as_str();
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None if text.is_empty() => "an empty body".to_string(),
        None => text.to_string(),
    }
}
