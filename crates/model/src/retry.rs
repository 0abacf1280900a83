//! Request-level retry policy: which failures are retried and how long to wait.
//!
//! Pure functions of a status, headers and an attempt number, so the timing
//! rules are tested without a server. The loop that uses them is in `client.rs`.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::time::Duration;

/// The first backoff; each retry doubles it.
pub(crate) const INITIAL_BACKOFF: Duration = Duration::from_millis(200);
/// No single wait is longer than this, whatever the server asks for.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(60);

/// Whether a status is worth asking again for.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// `429 Too Many Requests`: the code and its reason phrase.
pub(crate) fn status_text(status: StatusCode) -> String {
    // 529 is Anthropic's, not in the HTTP registry.
    let reason = status
        .canonical_reason()
        .or((status.as_u16() == 529).then_some("Overloaded"));
    match reason {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// How long to wait before retry number `attempt` (1-based): the server's
/// `retry-after-ms` or `retry-after` (seconds) if present, else exponential
/// backoff from 200 ms with ±10% jitter. Capped at [`MAX_WAIT`].
pub(crate) fn retry_delay(attempt: u32, headers: Option<&HeaderMap>) -> Duration {
    let requested = headers.and_then(server_requested_delay);
    requested.unwrap_or_else(|| backoff(attempt)).min(MAX_WAIT)
}

fn server_requested_delay(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    let seconds = |text: &str| {
        text.parse::<f64>()
            .ok()
            .filter(|value| value.is_finite() && *value >= 0.0)
    };
    if let Some(millis) = header("retry-after-ms").and_then(seconds) {
        return Some(Duration::from_secs_f64(
            (millis / 1000.0).min(MAX_WAIT.as_secs_f64()),
        ));
    }
    // An HTTP date does not parse as a number and falls back to backoff.
    header("retry-after")
        .and_then(seconds)
        .map(|secs| Duration::from_secs_f64(secs.min(MAX_WAIT.as_secs_f64())))
}

/// How long to wait before retry `attempt` (1-based): 200 ms doubling
/// each time, ±10 % jitter, at most a minute. The one backoff of duet's
/// retries (requests here, broken streams in core).
pub fn backoff(attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(16);
    let jitter = 0.9 + 0.2 * fastrand::f64();
    INITIAL_BACKOFF
        .saturating_mul(1 << exponent)
        .mul_f64(jitter)
        .min(MAX_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn server_delays_win_and_are_capped() {
        let cases = [
            (headers(&[("retry-after", "2")]), Duration::from_secs(2)),
            (headers(&[("retry-after", "0")]), Duration::ZERO),
            (
                headers(&[("retry-after", "1.5")]),
                Duration::from_millis(1500),
            ),
            (
                headers(&[("retry-after-ms", "250"), ("retry-after", "9")]),
                Duration::from_millis(250),
            ),
            (headers(&[("retry-after", "3600")]), MAX_WAIT),
        ];
        let actual: Vec<Duration> = cases
            .iter()
            .map(|(headers, _)| retry_delay(3, Some(headers)))
            .collect();
        let expected: Vec<Duration> = cases.iter().map(|(_, delay)| *delay).collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn backoff_doubles_within_ten_percent() {
        let date = headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        for (attempt, nominal_ms) in [(1u32, 200.0), (2, 400.0), (3, 800.0), (4, 1600.0)] {
            let delay = retry_delay(attempt, Some(&date)).as_secs_f64() * 1000.0;
            assert!(
                (nominal_ms * 0.9..=nominal_ms * 1.1).contains(&delay),
                "attempt {attempt}: {delay} ms is not within 10% of {nominal_ms} ms"
            );
        }
        assert_eq!(retry_delay(40, None), MAX_WAIT);
    }

    #[test]
    fn statuses() {
        let retryable: Vec<bool> = [429u16, 500, 503, 400, 401, 404]
            .iter()
            .map(|code| is_retryable_status(StatusCode::from_u16(*code).unwrap()))
            .collect();
        assert_eq!(retryable, vec![true, true, true, false, false, false]);
        assert_eq!(
            status_text(StatusCode::TOO_MANY_REQUESTS),
            "429 Too Many Requests"
        );
    }
}
