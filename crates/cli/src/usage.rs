//! What sessions cost, from the cost ledger: `duet sessions cost` (one
//! session, request by request) and `duet usage` (every session, grouped
//! by model, day or directory). A request without a known price is shown
//! with its tokens and no price, and makes any sum it is part of unknown:
//! duet never guesses a price.

use clap::{Args, ValueEnum};
use duet_core::sessions::{LedgerTotal, RequestRecord, UsageGroup, UsageGrouping, pico_to_usd};
use duet_protocol::display::{cache_hit_percent, format_usd, with_thousands};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

/// `duet usage`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct UsageCli {
    /// Only requests from this long ago on: `7d`, `12h`, `30m`, `2w`.
    #[arg(long = "since", value_name = "AGE")]
    pub since: Option<String>,
    /// Group by model (the default), day or directory.
    #[arg(long = "by", value_enum, default_value_t = GroupBy::Model)]
    pub by: GroupBy,
    /// One JSON object with every group and the total.
    #[arg(long = "json")]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    Model,
    Day,
    Dir,
}

/// `duet usage`: exit 0, or 1 with the error on stderr.
pub fn run(cli: UsageCli) -> ExitCode {
    crate::sessions::report(run_inner(cli))
}

fn run_inner(cli: UsageCli) -> anyhow::Result<()> {
    let since_ms = match &cli.since {
        Some(age) => Some(crate::sessions::now_ms() - parse_age(age)?),
        None => None,
    };
    let by = match cli.by {
        GroupBy::Model => UsageGrouping::Model,
        GroupBy::Day => UsageGrouping::Day,
        GroupBy::Dir => UsageGrouping::Dir,
    };
    let groups = crate::sessions::open()?.usage(since_ms, by)?;
    let mut out = std::io::stdout().lock();
    if cli.json {
        writeln!(out, "{}", usage_json(&groups, cli.by, since_ms))?;
    } else if groups.is_empty() {
        eprintln!(
            "no model requests recorded{}",
            if cli.since.is_some() {
                " in that time"
            } else {
                " yet"
            }
        );
    } else {
        out.write_all(usage_table(&groups, cli.by).as_bytes())?;
    }
    Ok(())
}

/// `7d` → milliseconds.
fn parse_age(age: &str) -> anyhow::Result<i64> {
    let age = age.trim();
    let split = age.find(|c: char| !c.is_ascii_digit()).unwrap_or(age.len());
    let (number, unit) = age.split_at(split);
    let number: i64 = number.parse().map_err(|_| {
        anyhow::anyhow!("`--since {age}` is not an age: write a number and a unit, such as `7d`, `12h`, `30m` or `2w`")
    })?;
    let unit_ms = match unit {
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => anyhow::bail!(
            "`--since {age}`: the unit must be `m`, `h`, `d` or `w` (minutes, hours, days, weeks)"
        ),
    };
    Ok(number.saturating_mul(unit_ms))
}

fn cost_cell(total: &LedgerTotal) -> String {
    match total.known_cost_usd() {
        Some(dollars) => format_usd(dollars),
        None if total.unpriced == total.requests => "unknown".to_string(),
        None => format!(
            "≥ {} ({} unpriced)",
            format_usd(pico_to_usd(total.cost_pico)),
            total.unpriced
        ),
    }
}

fn total_json(total: &LedgerTotal) -> Value {
    json!({
        "requests": total.requests,
        "input_tokens": total.tokens.input_tokens,
        "cached_input_tokens": total.tokens.cached_input_tokens,
        "cache_write_input_tokens": total.tokens.cache_write_input_tokens,
        "output_tokens": total.tokens.output_tokens,
        "reasoning_output_tokens": total.tokens.reasoning_output_tokens,
        "cost_usd": total.known_cost_usd(),
        "unpriced_requests": total.unpriced,
    })
}

fn sum(groups: &[UsageGroup]) -> LedgerTotal {
    let mut total = LedgerTotal::default();
    for group in groups {
        total.requests += group.total.requests;
        total.tokens.add(&group.total.tokens);
        total.cost_pico += group.total.cost_pico;
        total.unpriced += group.total.unpriced;
    }
    total
}

fn group_name(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Model => "model",
        GroupBy::Day => "day",
        GroupBy::Dir => "dir",
    }
}

fn usage_json(groups: &[UsageGroup], by: GroupBy, since_ms: Option<i64>) -> Value {
    let rows: Vec<Value> = groups
        .iter()
        .map(|group| {
            let mut row = total_json(&group.total);
            row[group_name(by)] = json!(group.key);
            row["sessions"] = json!(group.sessions);
            row
        })
        .collect();
    json!({
        "by": group_name(by),
        "since": since_ms.map(crate::sessions::rfc3339),
        "groups": rows,
        "total": total_json(&sum(groups)),
    })
}

fn usage_table(groups: &[UsageGroup], by: GroupBy) -> String {
    let header = [
        group_name(by).to_uppercase(),
        "SESSIONS".into(),
        "REQUESTS".into(),
        "INPUT".into(),
        "CACHED".into(),
        "OUTPUT".into(),
        "COST".into(),
    ];
    let row = |key: &str, sessions: Option<u64>, total: &LedgerTotal| {
        [
            key.to_string(),
            sessions.map(with_thousands).unwrap_or_default(),
            with_thousands(total.requests),
            with_thousands(total.tokens.input_tokens),
            cache_hit_percent(total.tokens.input_tokens, total.tokens.cached_input_tokens)
                .map(|hit| format!("{hit}%"))
                .unwrap_or_default(),
            with_thousands(total.tokens.output_tokens),
            cost_cell(total),
        ]
    };
    let mut rows = vec![header];
    rows.extend(
        groups
            .iter()
            .map(|group| row(&group.key, Some(group.sessions), &group.total)),
    );
    if groups.len() > 1 {
        rows.push(row("total", None, &sum(groups)));
    }
    table(&rows)
}

/// Columns padded to their widest cell; the first (a name) left-aligned,
/// the numbers right-aligned.
fn table<const N: usize>(rows: &[[String; N]]) -> String {
    crate::table::render(rows, |column| column > 0)
}

/// `duet sessions cost`'s text: a row per request, then the total.
pub(crate) fn cost_table(
    thread_id: &str,
    requests: &[RequestRecord],
    total: &LedgerTotal,
) -> String {
    let mut out = format!("session {thread_id}\n");
    if requests.is_empty() {
        out.push_str("no model requests recorded for this session\n");
        return out;
    }
    let mut rows = vec![[
        "#".to_string(),
        "TIME".into(),
        "MODEL".into(),
        "INPUT".into(),
        "CACHED".into(),
        "OUTPUT".into(),
        "REASONING".into(),
        "COST".into(),
    ]];
    for (index, request) in requests.iter().enumerate() {
        let time = crate::sessions::rfc3339(request.at_ms);
        rows.push([
            (index + 1).to_string(),
            time.get(11..19).unwrap_or(&time).to_string(),
            format!("{}/{}", request.provider, request.model),
            with_thousands(request.tokens.input_tokens),
            with_thousands(request.tokens.cached_input_tokens),
            with_thousands(request.tokens.output_tokens),
            with_thousands(request.tokens.reasoning_output_tokens),
            request.cost_pico.map_or_else(
                || "unknown".to_string(),
                |pico| format_usd(pico_to_usd(pico)),
            ),
        ]);
    }
    out.push_str(&table(&rows));
    let _ = writeln!(
        out,
        "total: {} request{} · {} in{} · {} out · {}",
        with_thousands(total.requests),
        if total.requests == 1 { "" } else { "s" },
        with_thousands(total.tokens.input_tokens),
        cache_hit_percent(total.tokens.input_tokens, total.tokens.cached_input_tokens)
            .map(|hit| format!(" ({hit}% cached)"))
            .unwrap_or_default(),
        with_thousands(total.tokens.output_tokens),
        match total.known_cost_usd() {
            Some(dollars) => format_usd(dollars),
            None => format!(
                "cost unknown: {} of the requests had no price (`[model_prices.\"provider/model\"]` sets one)",
                total.unpriced
            ),
        }
    );
    out
}

/// `duet sessions cost --json`.
pub(crate) fn cost_json(thread_id: &str, requests: &[RequestRecord], total: &LedgerTotal) -> Value {
    let rows: Vec<Value> = requests
        .iter()
        .map(|request| {
            json!({
                "turn_id": request.turn_id,
                "at": crate::sessions::rfc3339(request.at_ms),
                "provider": request.provider,
                "model": request.model,
                "input_tokens": request.tokens.input_tokens,
                "cached_input_tokens": request.tokens.cached_input_tokens,
                "cache_write_input_tokens": request.tokens.cache_write_input_tokens,
                "output_tokens": request.tokens.output_tokens,
                "reasoning_output_tokens": request.tokens.reasoning_output_tokens,
                "cost_usd": request.cost_pico.map(pico_to_usd),
            })
        })
        .collect();
    json!({
        "thread_id": thread_id,
        "requests": rows,
        "total": total_json(total),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn ages_read_as_people_write_them() {
        assert_eq!(parse_age("7d").unwrap(), 7 * 86_400_000);
        assert_eq!(parse_age("12h").unwrap(), 12 * 3_600_000);
        assert_eq!(parse_age("30m").unwrap(), 30 * 60_000);
        assert_eq!(parse_age("2w").unwrap(), 14 * 86_400_000);
        assert_eq!(
            parse_age("7 days").unwrap_err().to_string(),
            "`--since 7 days`: the unit must be `m`, `h`, `d` or `w` (minutes, hours, days, weeks)"
        );
        assert_eq!(
            parse_age("d").unwrap_err().to_string(),
            "`--since d` is not an age: write a number and a unit, such as `7d`, `12h`, `30m` or `2w`"
        );
    }
}
