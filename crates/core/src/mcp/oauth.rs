//! OAuth for streamable HTTP servers that require it (`duet mcp login`):
//! the authorization code flow with PKCE, the client registered
//! dynamically, the tokens kept in `$DUET_HOME/mcp-credentials.json`
//! (mode 600, replaced whole) and refreshed when they expire.
//!
//! Discovery follows MCP's authorization spec: the server's `401` names its
//! protected-resource metadata (RFC 9728), which names the authorization
//! server, whose metadata (RFC 8414, or OpenID's) gives the endpoints. The
//! browser comes back to a listener on `127.0.0.1` that takes one
//! redirect. Tokens are never logged or put in an error message.

use crate::config::mcp::{McpServerConfig, McpTransport};
use base64::Engine;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where the tokens are kept, in `$DUET_HOME`.
pub const CREDENTIALS_FILE: &str = "mcp-credentials.json";
/// How long the browser has to come back.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(300);
/// A token this close to its expiry is refreshed first.
const EXPIRY_MARGIN_SECS: u64 = 60;
/// How long one OAuth request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What `duet mcp login` saved for one server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredLogin {
    /// The server's URL when it logged in; another URL needs a new login.
    pub url: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub token_endpoint: String,
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Seconds since the epoch; `None`: no expiry given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

/// The credentials file: logins by server name.
type Credentials = BTreeMap<String, StoredLogin>;

fn credentials_path(duet_home: &Path) -> PathBuf {
    duet_home.join(CREDENTIALS_FILE)
}

fn load(duet_home: &Path) -> Credentials {
    std::fs::read(credentials_path(duet_home))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Replace the credentials file whole, readable by the user only.
fn save(duet_home: &Path, credentials: &Credentials) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = credentials_path(duet_home);
    let fail = |error: std::io::Error| format!("cannot save `{}`: {error}", path.display());
    std::fs::create_dir_all(duet_home).map_err(fail)?;
    let temporary = duet_home.join(format!("{CREDENTIALS_FILE}.{}.tmp", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(fail)?;
    let text = serde_json::to_vec_pretty(credentials).unwrap_or_default();
    file.write_all(&text).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    std::fs::rename(&temporary, &path).map_err(fail)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}

fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .map_err(|error| format!("cannot make an HTTP client: {error}"))
}

fn server_url(server: &McpServerConfig) -> Result<&str, String> {
    match &server.transport {
        McpTransport::StreamableHttp { url, .. } => Ok(url),
        McpTransport::Stdio { .. } => Err(format!(
            "MCP server `{}` is a command, not a URL: only streamable HTTP servers log in",
            server.name
        )),
    }
}

/// The access token saved for `server`, refreshed first when it has
/// expired (and saved again); `None` when there is none to use.
pub(crate) async fn access_token(server: &McpServerConfig, duet_home: &Path) -> Option<String> {
    let url = server_url(server).ok()?;
    let mut credentials = load(duet_home);
    let login = credentials.get(&server.name)?.clone();
    if login.url != url {
        log::warn!(
            "MCP server `{}`: the saved login is for {}, not {url}; run `duet mcp login {}` again",
            server.name,
            login.url,
            server.name
        );
        return None;
    }
    let fresh = login
        .expires_at
        .is_none_or(|expires| expires > now() + EXPIRY_MARGIN_SECS);
    if fresh {
        return Some(login.access_token);
    }
    let Some(refresh_token) = &login.refresh_token else {
        log::warn!(
            "MCP server `{}`: the saved token has expired; run `duet mcp login {}` again",
            server.name,
            server.name
        );
        return None;
    };
    let mut form = vec![
        ("grant_type", "refresh_token".to_string()),
        ("refresh_token", refresh_token.clone()),
        ("client_id", login.client_id.clone()),
        ("resource", url.to_string()),
    ];
    if let Some(secret) = &login.client_secret {
        form.push(("client_secret", secret.clone()));
    }
    match token_request(&login.token_endpoint, &form).await {
        Ok(tokens) => {
            let refreshed = StoredLogin {
                access_token: tokens.access_token.clone(),
                refresh_token: tokens.refresh_token.or(login.refresh_token.clone()),
                expires_at: tokens.expires_in.map(|seconds| now() + seconds),
                ..login
            };
            credentials.insert(server.name.clone(), refreshed);
            if let Err(message) = save(duet_home, &credentials) {
                log::warn!("{message}");
            }
            log::info!("MCP server `{}`: token refreshed", server.name);
            Some(tokens.access_token)
        }
        Err(message) => {
            log::warn!(
                "MCP server `{}`: refreshing the token failed ({message}); run `duet mcp login {}` again",
                server.name,
                server.name
            );
            None
        }
    }
}

/// Forget `name`'s login; whether there was one.
pub fn logout(duet_home: &Path, name: &str) -> Result<bool, String> {
    let mut credentials = load(duet_home);
    let had = credentials.remove(name).is_some();
    if had {
        save(duet_home, &credentials)?;
    }
    Ok(had)
}

/// The endpoints of an authorization server.
#[derive(Debug, Deserialize)]
struct ServerMetadata {
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default)]
    registration_endpoint: Option<String>,
    #[serde(default)]
    scopes_supported: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Log in to `server`: discover its authorization server, register duet,
/// have the user approve in a browser (`show` gets the address to open,
/// and `open_browser` opens it), and save the tokens. `scopes` when given,
/// else what the server offers.
pub async fn login(
    server: &McpServerConfig,
    duet_home: &Path,
    scopes: &[String],
    open_browser: bool,
    show: &dyn Fn(&str),
) -> Result<(), String> {
    let url = server_url(server)?.to_string();
    let name = &server.name;
    let http = client()?;
    let resource = Url::parse(&url).map_err(|error| format!("`{url}` is not a URL: {error}"))?;
    let issuer = authorization_server(&http, &resource).await?;
    let metadata = server_metadata(&http, &issuer).await?;
    let registration = metadata.registration_endpoint.clone().ok_or_else(|| {
        format!(
            "the authorization server of `{name}` ({issuer}) does not offer dynamic client registration, which duet needs to log in; give the server a token with `bearer_token_env_var` instead"
        )
    })?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|error| format!("cannot listen for the browser's answer: {error}"))?;
    let port = listener
        .local_addr()
        .map_err(|error| format!("cannot listen for the browser's answer: {error}"))?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let registered: Value = http
        .post(&registration)
        .header("content-type", "application/json")
        .body(
            serde_json::json!({
                "client_name": "duet",
                "redirect_uris": [redirect_uri],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "none",
            })
            .to_string(),
        )
        .send()
        .await
        .map_err(|error| format!("registering duet with {registration} failed: {error}"))
        .and_then(|response| {
            response
                .error_for_status()
                .map_err(|error| format!("registering duet with {registration} failed: {error}"))
        })
        .map(read_json)?
        .await
        .map_err(|error| {
            format!("the registration answer of {registration} is unreadable: {error}")
        })?;
    let client_id = registered["client_id"]
        .as_str()
        .ok_or_else(|| format!("{registration} registered duet without a `client_id`"))?
        .to_string();
    let client_secret = registered["client_secret"].as_str().map(str::to_string);

    let verifier = random_text(48)?;
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ));
    let state = random_text(24)?;
    let scopes = if scopes.is_empty() {
        metadata.scopes_supported.clone().unwrap_or_default()
    } else {
        scopes.to_vec()
    };
    let mut authorize = Url::parse(&metadata.authorization_endpoint).map_err(|error| {
        format!(
            "the authorization endpoint `{}` is not a URL: {error}",
            metadata.authorization_endpoint
        )
    })?;
    {
        let mut query = authorize.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", &state)
            .append_pair("resource", &url);
        if !scopes.is_empty() {
            query.append_pair("scope", &scopes.join(" "));
        }
    }
    show(authorize.as_str());
    if open_browser {
        open_in_browser(authorize.as_str());
    }
    let code = tokio::time::timeout(LOGIN_TIMEOUT, callback(&listener, &state))
        .await
        .map_err(|_| {
            format!(
                "no answer from the browser within {} s; run `duet mcp login {name}` again",
                LOGIN_TIMEOUT.as_secs()
            )
        })??;
    let mut form = vec![
        ("grant_type", "authorization_code".to_string()),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("client_id", client_id.clone()),
        ("code_verifier", verifier),
        ("resource", url.clone()),
    ];
    if let Some(secret) = &client_secret {
        form.push(("client_secret", secret.clone()));
    }
    let tokens = token_request(&metadata.token_endpoint, &form).await?;
    let mut credentials = load(duet_home);
    credentials.insert(
        name.clone(),
        StoredLogin {
            url,
            client_id,
            client_secret,
            token_endpoint: metadata.token_endpoint,
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            expires_at: tokens.expires_in.map(|seconds| now() + seconds),
        },
    );
    save(duet_home, &credentials)
}

/// The authorization server that protects `resource`: named by its
/// protected-resource metadata (from the `401`'s `resource_metadata`, else
/// the well-known places), else the resource's own origin.
async fn authorization_server(http: &reqwest::Client, resource: &Url) -> Result<Url, String> {
    let origin = origin(resource);
    let mut candidates = Vec::new();
    let answer = http
        .post(resource.clone())
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(r#"{"jsonrpc":"2.0","id":0,"method":"ping"}"#)
        .send()
        .await
        .map_err(|error| format!("cannot reach {resource}: {error}"))?;
    if let Some(named) = answer
        .headers()
        .get("www-authenticate")
        .and_then(|value| value.to_str().ok())
        .and_then(|challenge| challenge_parameter(challenge, "resource_metadata"))
    {
        candidates.push(named);
    }
    let path = resource.path().trim_end_matches('/');
    if !path.is_empty() {
        candidates.push(format!(
            "{origin}/.well-known/oauth-protected-resource{path}"
        ));
    }
    candidates.push(format!("{origin}/.well-known/oauth-protected-resource"));
    for candidate in candidates {
        let Ok(response) = http.get(&candidate).send().await else {
            continue;
        };
        if !response.status().is_success() {
            continue;
        }
        let Ok(metadata) = read_json::<Value>(response).await else {
            continue;
        };
        if let Some(issuer) = metadata["authorization_servers"][0].as_str() {
            return Url::parse(issuer).map_err(|error| {
                format!("the authorization server `{issuer}` is not a URL: {error}")
            });
        }
    }
    Url::parse(&origin).map_err(|error| format!("`{origin}` is not a URL: {error}"))
}

/// The metadata of the authorization server `issuer` (RFC 8414's places,
/// then OpenID's).
async fn server_metadata(http: &reqwest::Client, issuer: &Url) -> Result<ServerMetadata, String> {
    let origin = origin(issuer);
    let path = issuer.path().trim_end_matches('/');
    let candidates = [
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{origin}/.well-known/openid-configuration{path}"),
        format!("{origin}{path}/.well-known/openid-configuration"),
    ];
    for candidate in &candidates {
        let Ok(response) = http.get(candidate).send().await else {
            continue;
        };
        if response.status().is_success()
            && let Ok(metadata) = read_json::<ServerMetadata>(response).await
        {
            return Ok(metadata);
        }
    }
    Err(format!(
        "{issuer} publishes no authorization server metadata (tried {}); duet cannot log in to it",
        candidates.join(", ")
    ))
}

/// A response's body as JSON.
async fn read_json<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, String> {
    let bytes = response.bytes().await.map_err(|error| error.to_string())?;
    serde_json::from_slice(&bytes).map_err(|error| error.to_string())
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// `name="value"` (or `name=value`) of a `WWW-Authenticate` challenge.
fn challenge_parameter(challenge: &str, name: &str) -> Option<String> {
    let at = challenge.find(&format!("{name}="))?;
    let rest = &challenge[at + name.len() + 1..];
    let value = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next()?,
        None => rest.split([',', ' ']).next()?,
    };
    Some(value.to_string())
}

/// POST a token request; the tokens, or why not (never a token).
async fn token_request(endpoint: &str, form: &[(&str, String)]) -> Result<TokenAnswer, String> {
    let response = client()?
        .post(endpoint)
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .map_err(|error| format!("the token request to {endpoint} failed: {error}"))?;
    let status = response.status();
    let body: Value = read_json(response).await.unwrap_or(Value::Null);
    if !status.is_success() {
        let reason = body["error_description"]
            .as_str()
            .or(body["error"].as_str())
            .unwrap_or("no reason given");
        return Err(format!(
            "{endpoint} refused the token request ({status}): {reason}"
        ));
    }
    serde_json::from_value(body)
        .map_err(|error| format!("the token answer of {endpoint} is unreadable: {error}"))
}

/// Wait for the browser's redirect to `/callback`; the code, once its
/// `state` matches.
async fn callback(listener: &tokio::net::TcpListener, state: &str) -> Result<String, String> {
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|error| format!("the browser's answer did not arrive: {error}"))?;
        let mut request = vec![0u8; 8192];
        let read = stream.read(&mut request).await.unwrap_or(0);
        let request = String::from_utf8_lossy(&request[..read]).into_owned();
        let target = request
            .lines()
            .next()
            .and_then(|line| line.split_whitespace().nth(1))
            .unwrap_or("/");
        let Ok(url) = Url::parse(&format!("http://127.0.0.1{target}")) else {
            continue;
        };
        if url.path() != "/callback" {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
            continue;
        }
        let query: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
        let (page, outcome) = match (query.get("code"), query.get("error")) {
            (_, Some(error)) => (
                "duet was not authorised. You can close this window.",
                Err(format!(
                    "the authorization server refused: {error}{}",
                    query
                        .get("error_description")
                        .map(|text| format!(" ({text})"))
                        .unwrap_or_default()
                )),
            ),
            (Some(_), _) if query.get("state").map(String::as_str) != Some(state) => (
                "This answer is not for duet's request. You can close this window.",
                Err(
                    "the browser's answer did not carry duet's `state`; run the login again"
                        .to_string(),
                ),
            ),
            (Some(code), _) => (
                "duet is logged in. You can close this window.",
                Ok(code.clone()),
            ),
            (None, None) => (
                "No code in this answer. You can close this window.",
                Err("the browser came back without a code".to_string()),
            ),
        };
        let body = format!("<!doctype html><title>duet</title><p>{page}</p>\n");
        let _ = stream
            .write_all(
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            )
            .await;
        return outcome;
    }
}

/// `length` random characters from `[A-Za-z0-9-._~]` (a PKCE verifier, a
/// state).
fn random_text(length: usize) -> Result<String, String> {
    use ring::rand::SecureRandom;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    let mut bytes = vec![0u8; length];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| "the system gave no random bytes".to_string())?;
    Ok(bytes
        .iter()
        .map(|byte| ALPHABET[usize::from(*byte) % ALPHABET.len()] as char)
        .collect())
}

/// Open `url` in the user's browser, if one can be found; the address was
/// printed either way.
fn open_in_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let started = duet_sandbox::host_std_command(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(error) = started {
        log::info!("could not open a browser with `{opener}`: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn challenge_parameters_are_read_quoted_or_not() {
        let challenge = r#"Bearer error="invalid_token", error_description="Missing", resource_metadata="http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp""#;
        assert_eq!(
            challenge_parameter(challenge, "resource_metadata").as_deref(),
            Some("http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp")
        );
        assert_eq!(
            challenge_parameter(
                "Bearer realm=x, resource_metadata=http://a/b",
                "resource_metadata"
            )
            .as_deref(),
            Some("http://a/b")
        );
        assert_eq!(challenge_parameter("Bearer", "resource_metadata"), None);
    }

    #[test]
    fn credentials_are_private_and_replaced_whole() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let login = StoredLogin {
            url: "https://mcp.test/mcp".into(),
            client_id: "c".into(),
            client_secret: None,
            token_endpoint: "https://auth.test/token".into(),
            access_token: "secret-token".into(),
            refresh_token: Some("r".into()),
            expires_at: Some(1),
        };
        save(
            home.path(),
            &Credentials::from([("docs".to_string(), login.clone())]),
        )
        .unwrap();
        let path = credentials_path(home.path());
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(load(home.path()).get("docs"), Some(&login));
        assert!(logout(home.path(), "docs").unwrap());
        assert!(!logout(home.path(), "docs").unwrap());
        assert!(load(home.path()).is_empty());
        let verifier = random_text(48).unwrap();
        assert_eq!(verifier.len(), 48);
        assert_ne!(verifier, random_text(48).unwrap());
    }

    fn http_server(url: &str) -> McpServerConfig {
        McpServerConfig {
            name: "docs".into(),
            transport: McpTransport::StreamableHttp {
                url: url.into(),
                bearer_token_env_var: None,
                http_headers: Default::default(),
                env_http_headers: Default::default(),
            },
            enabled: true,
            required: false,
            startup_timeout: crate::config::mcp::DEFAULT_STARTUP_TIMEOUT,
            tool_timeout: crate::config::mcp::DEFAULT_TOOL_TIMEOUT,
            enabled_tools: None,
            disabled_tools: vec![],
            default_tools_approval_mode: None,
            tool_approval_modes: Default::default(),
        }
    }

    /// An expired token is refreshed with the refresh token (and the
    /// client's id and the resource), the new tokens saved; a fresh one is
    /// used as it is; one for another URL is not used.
    #[tokio::test]
    async fn expired_tokens_are_refreshed_and_saved() {
        use wiremock::matchers::{body_string_contains, method, path};
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let auth = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .and(body_string_contains("grant_type=refresh_token"))
            .and(body_string_contains("refresh_token=old-refresh"))
            .and(body_string_contains("client_id=duet-client"))
            .and(body_string_contains("resource=https%3A%2F%2Fmcp.test%2Fmcp"))
            .respond_with(ResponseTemplate::new(200).set_body_string(
                r#"{"access_token":"new-access","token_type":"bearer","expires_in":3600,"refresh_token":"new-refresh"}"#,
            ))
            .expect(1)
            .mount(&auth)
            .await;
        let home = tempfile::tempdir().unwrap();
        let login = StoredLogin {
            url: "https://mcp.test/mcp".into(),
            client_id: "duet-client".into(),
            client_secret: None,
            token_endpoint: format!("{}/token", auth.uri()),
            access_token: "old-access".into(),
            refresh_token: Some("old-refresh".into()),
            expires_at: Some(now() - 10),
        };
        save(
            home.path(),
            &Credentials::from([("docs".to_string(), login)]),
        )
        .unwrap();
        let server = http_server("https://mcp.test/mcp");
        assert_eq!(
            access_token(&server, home.path()).await.as_deref(),
            Some("new-access")
        );
        let saved = load(home.path())["docs"].clone();
        assert_eq!(saved.access_token, "new-access");
        assert_eq!(saved.refresh_token.as_deref(), Some("new-refresh"));
        assert!(saved.expires_at.is_some_and(|at| at > now() + 3000));
        // Fresh now: used without another request (`expect(1)` above).
        assert_eq!(
            access_token(&server, home.path()).await.as_deref(),
            Some("new-access")
        );
        // A login made for another URL is not sent to this one.
        let moved = http_server("https://elsewhere.test/mcp");
        assert_eq!(access_token(&moved, home.path()).await, None);
    }
}
