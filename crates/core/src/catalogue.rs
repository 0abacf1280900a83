//! The model catalogue: what duet knows of a model before it asks the
//! server (context window, output limit, reasoning efforts, tool and image
//! support, prices), read from `data/models.toml`, which is compiled in.
//!
//! [`lookup`] matches a model name loosely, the way providers spell the
//! same model: a `vendor/` prefix (OpenRouter), `.` or `:` for `-`
//! (`claude-sonnet-4.5`, `gpt-oss:20b`), and a dated snapshot suffix
//! (`claude-sonnet-4-5-20250929`, `gpt-5-2025-08-07`).

use duet_protocol::{ModelPrice, ReasoningEffort};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// `data/models.toml` as JSON (`build.rs`), which parses ten times faster.
const CATALOGUE: &str = include_str!(concat!(env!("OUT_DIR"), "/models.json"));

/// One model of the catalogue.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ModelInfo {
    pub slug: String,
    /// The built-in provider that serves it first.
    pub provider: String,
    pub context_window: Option<u64>,
    pub max_output_tokens: Option<u64>,
    pub reasoning_efforts: Vec<ReasoningEffort>,
    pub reasoning_summaries: bool,
    pub freeform_tools: bool,
    pub parallel_tool_calls: bool,
    pub images: bool,
    /// US dollars per million tokens.
    pub price: Option<ModelPrice>,
}

#[derive(Deserialize)]
struct File {
    model: Vec<ModelInfo>,
}

/// Every model of the catalogue, in the file's order.
pub fn models() -> &'static [ModelInfo] {
    static MODELS: OnceLock<Vec<ModelInfo>> = OnceLock::new();
    MODELS.get_or_init(|| {
        serde_json::from_str::<File>(CATALOGUE)
            .expect("data/models.toml is checked by the catalogue's tests")
            .model
    })
}

/// The entry for `model`, if the catalogue knows it. Every request looks
/// its model up, so the slugs are normalised once.
pub fn lookup(model: &str) -> Option<&'static ModelInfo> {
    static SLUGS: OnceLock<Vec<String>> = OnceLock::new();
    let slugs = SLUGS.get_or_init(|| models().iter().map(|info| normalise(&info.slug)).collect());
    let wanted = normalise(model.rsplit('/').next().unwrap_or(model));
    let index = slugs.iter().position(|slug| {
        wanted == *slug
            || wanted
                .strip_prefix(slug.as_str())
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(is_snapshot_suffix)
    })?;
    models().get(index)
}

/// Lower case, with `.`, `:` and `_` read as `-`.
fn normalise(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '.' | ':' | '_' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// `20250929`, `2025-08-07`, `latest`: a snapshot of the same model.
fn is_snapshot_suffix(rest: &str) -> bool {
    rest == "latest"
        || (rest.len() >= 8
            && rest.chars().all(|c| c.is_ascii_digit() || c == '-')
            && rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// The cost of `usage` at `price`, in US dollars. Input tokens include the
/// cached and cache-written ones, which are billed at their own rates.
pub fn cost(price: &ModelPrice, usage: &duet_protocol::Usage) -> f64 {
    duet_store::pico_to_usd(cost_pico(price, usage))
}

/// [`cost`] in picodollars, exactly: a rate of `r` dollars per million
/// tokens is `r × 10⁶` picodollars per token (rounded to whole
/// picodollars, finer than any published price), so sums of costs are
/// exact integers.
pub fn cost_pico(price: &ModelPrice, usage: &duet_protocol::Usage) -> i64 {
    let cached = usage.cached_input_tokens;
    let written = usage.cache_write_input_tokens;
    let fresh = usage.input_tokens.saturating_sub(cached + written);
    let per_token = |rate: f64| (rate * 1e6).round() as i64;
    let tokens = |count: u64| i64::try_from(count).unwrap_or(i64::MAX);
    tokens(fresh)
        .saturating_mul(per_token(price.input))
        .saturating_add(tokens(cached).saturating_mul(per_token(price.cached_input)))
        .saturating_add(
            tokens(written).saturating_mul(per_token(price.cache_write.unwrap_or(price.input))),
        )
        .saturating_add(tokens(usage.output_tokens).saturating_mul(per_token(price.output)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn the_file_parses_and_every_slug_is_unique_and_found_as_itself() {
        let models = models();
        assert!(models.len() >= 20, "{} models", models.len());
        for info in models {
            assert_eq!(
                lookup(&info.slug).map(|found| &found.slug),
                Some(&info.slug)
            );
            assert!(
                info.context_window.is_some() && info.max_output_tokens.is_some(),
                "{} has no window or output limit",
                info.slug
            );
        }
    }

    #[test]
    fn spellings_of_one_model_find_its_entry() {
        let found = |name: &str| lookup(name).map(|info| info.slug.as_str());
        assert_eq!(
            [
                "claude-sonnet-4-5-20250929",
                "anthropic/claude-sonnet-4.5",
                "gpt-5-2025-08-07",
                "gpt-oss:20b",
                "openai/gpt-oss-120b",
                "gpt-5.1-codex",
                "GPT-5.1-Codex-Max",
                "claude-sonnet-4-latest",
            ]
            .map(found),
            [
                Some("claude-sonnet-4-5"),
                Some("claude-sonnet-4-5"),
                Some("gpt-5"),
                Some("gpt-oss-20b"),
                Some("gpt-oss-120b"),
                Some("gpt-5.1-codex"),
                Some("gpt-5.1-codex-max"),
                Some("claude-sonnet-4"),
            ]
        );
        // A different model that shares a prefix is not a snapshot.
        assert_eq!(
            ["gpt-5.2", "gpt-5-pro", "claude-sonnet-4-6", "llama3"].map(found),
            [None, None, None, None]
        );
    }

    #[test]
    fn cost_bills_each_kind_of_token_at_its_rate() {
        let sonnet = lookup("claude-sonnet-4-5").unwrap().price.unwrap();
        let usage = duet_protocol::Usage {
            input_tokens: 1_000_000,
            cached_input_tokens: 500_000,
            cache_write_input_tokens: 100_000,
            output_tokens: 100_000,
            reasoning_output_tokens: 0,
        };
        // 400k fresh at 3, 500k read at 0.3, 100k written at 3.75, 100k out at 15.
        let expected = 1.2 + 0.15 + 0.375 + 1.5;
        assert!((cost(&sonnet, &usage) - expected).abs() < 1e-9);
        assert_eq!(
            cost_pico(&sonnet, &usage),
            1_200_000_000_000 + 150_000_000_000 + 375_000_000_000 + 1_500_000_000_000
        );
    }
}
