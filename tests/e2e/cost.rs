//! The cost ledger end to end: every request's tokens priced from the
//! catalogue (or `[model_prices]`), exactly; `turn.completed.usage.cost_usd`,
//! `duet sessions cost` and `duet usage` agree; a model without a price
//! shows tokens and an unknown cost, never a guess.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::Workspace;
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{
    ev_assistant_message, ev_completed_with_usage, ev_function_call, ev_response_created, sse,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

/// A response of `events` that reports this usage.
fn with_usage(events: Vec<Value>, usage: (u64, u64, u64, u64)) -> String {
    let mut all = vec![ev_response_created("r")];
    all.extend(events);
    all.push(ev_completed_with_usage(
        "r", usage.0, usage.1, usage.2, usage.3,
    ));
    sse(&all)
}

fn json_of(outcome: &common::Outcome) -> Value {
    serde_json::from_str(&outcome.stdout).unwrap_or_else(|_| panic!("{}", outcome.describe()))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ledger_prices_every_request_exactly_and_usage_sums_sessions() {
    let server = start_mock().await;
    mount_sse_sequence(
        &server,
        vec![
            // Session 1, gpt-5.1 ($1.25 in, $0.125 cached, $10 out per million).
            with_usage(
                vec![ev_function_call("c1", "exec_command", r#"{"cmd":"true"}"#)],
                (1_000, 400, 50, 20),
            ),
            with_usage(
                vec![ev_assistant_message("m1", "done")],
                (2_000, 1_500, 100, 0),
            ),
            // Session 2, gpt-5.5: no published price.
            with_usage(vec![ev_assistant_message("m2", "done")], (3_000, 0, 10, 0)),
            // Session 3, gpt-5.5 priced by the config.
            with_usage(
                vec![ev_assistant_message("m3", "done")],
                (1_000_000, 0, 1_000, 0),
            ),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let first = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access", "-m", "gpt-5.1", "one"])
        .run()
        .await;
    assert_eq!(first.code, Some(0), "{}", first.describe());
    // 600 fresh × 1.25 + 400 cached × 0.125 + 50 out × 10 = $0.0013;
    // 500 × 1.25 + 1,500 × 0.125 + 100 × 10 = $0.0018125 (per million).
    let completed = first.events().last().cloned().unwrap();
    assert_eq!(completed["usage"]["cost_usd"], json!(0.0031125));
    let thread = first.thread_id();

    let cost = workspace
        .duet()
        .args(["sessions", "cost", &thread, "--json"])
        .run()
        .await;
    assert_eq!(cost.code, Some(0), "{}", cost.describe());
    let cost = json_of(&cost);
    let rows: Vec<Value> = cost["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            json!([
                row["model"],
                row["input_tokens"],
                row["cached_input_tokens"],
                row["output_tokens"],
                row["reasoning_output_tokens"],
                row["cost_usd"]
            ])
        })
        .collect();
    assert_eq!(
        rows,
        [
            json!(["gpt-5.1", 1_000, 400, 50, 20, 0.0013]),
            json!(["gpt-5.1", 2_000, 1_500, 100, 0, 0.0018125]),
        ]
    );
    assert_eq!(
        cost["total"],
        json!({"requests": 2, "input_tokens": 3_000, "cached_input_tokens": 1_900,
               "cache_write_input_tokens": 0, "output_tokens": 150,
               "reasoning_output_tokens": 20, "cost_usd": 0.0031125, "unpriced_requests": 0})
    );

    let second = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "two"])
        .run()
        .await;
    assert_eq!(second.code, Some(0), "{}", second.describe());
    assert_eq!(
        second.events().last().unwrap()["usage"]["cost_usd"],
        Value::Null
    );
    std::fs::write(
        workspace.home().join("config.toml"),
        "[model_prices.\"openai/gpt-5.5\"]\ninput = 2.0\noutput = 8.0\n",
    )
    .unwrap();
    let third = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "three"])
        .run()
        .await;
    assert_eq!(third.code, Some(0), "{}", third.describe());
    // 1,000,000 × $2 + 1,000 × $8 per million.
    assert_eq!(
        third.events().last().unwrap()["usage"]["cost_usd"],
        json!(2.008)
    );

    // The newest session here, request by request.
    let last = workspace
        .duet()
        .args(["sessions", "cost", "--last"])
        .cwd(workspace.repo())
        .run()
        .await;
    assert_eq!(last.code, Some(0), "{}", last.describe());
    let lines: Vec<&str> = last.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", last.stdout);
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        [
            "#",
            "TIME",
            "MODEL",
            "INPUT",
            "CACHED",
            "OUTPUT",
            "REASONING",
            "COST"
        ]
    );
    let row: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(
        [row[0], row[2], row[3], row[4], row[5], row[6], row[7]],
        [
            "1",
            "openai/gpt-5.5",
            "1,000,000",
            "0",
            "1,000",
            "0",
            "$2.01"
        ]
    );
    assert_eq!(
        lines[3],
        "total: 1 request · 1,000,000 in (0% cached) · 1,000 out · $2.01"
    );

    let usage = workspace.duet().args(["usage", "--json"]).run().await;
    assert_eq!(usage.code, Some(0), "{}", usage.describe());
    let usage = json_of(&usage);
    assert_eq!(
        usage,
        json!({
            "by": "model",
            "since": null,
            "groups": [
                {"model": "openai/gpt-5.5", "sessions": 2, "requests": 2,
                 "input_tokens": 1_003_000, "cached_input_tokens": 0,
                 "cache_write_input_tokens": 0, "output_tokens": 1_010,
                 "reasoning_output_tokens": 0, "cost_usd": null, "unpriced_requests": 1},
                {"model": "openai/gpt-5.1", "sessions": 1, "requests": 2,
                 "input_tokens": 3_000, "cached_input_tokens": 1_900,
                 "cache_write_input_tokens": 0, "output_tokens": 150,
                 "reasoning_output_tokens": 20, "cost_usd": 0.0031125, "unpriced_requests": 0},
            ],
            "total": {"requests": 4, "input_tokens": 1_006_000, "cached_input_tokens": 1_900,
                      "cache_write_input_tokens": 0, "output_tokens": 1_160,
                      "reasoning_output_tokens": 20, "cost_usd": null, "unpriced_requests": 1},
        })
    );
    // The human table says the same, and that one price was missing.
    let table = workspace.duet().args(["usage", "--by", "dir"]).run().await;
    assert_eq!(table.code, Some(0), "{}", table.describe());
    let repo = workspace
        .repo()
        .canonicalize()
        .unwrap()
        .display()
        .to_string();
    assert_eq!(
        table.stdout,
        format!(
            "DIR{pad}  SESSIONS  REQUESTS      INPUT  CACHED  OUTPUT                  COST\n\
             {repo}         3         4  1,006,000      0%   1,160  ≥ $2.01 (1 unpriced)\n",
            pad = " ".repeat(repo.chars().count() - 3)
        )
    );
    let since = workspace
        .duet()
        .args(["usage", "--since", "1h", "--by", "day", "--json"])
        .run()
        .await;
    assert_eq!(json_of(&since)["total"]["requests"], json!(4));
    let wrong = workspace
        .duet()
        .args(["usage", "--since", "soon"])
        .run()
        .await;
    assert_eq!(
        (wrong.code, wrong.stderr.as_str()),
        (
            Some(1),
            "error: `--since soon` is not an age: write a number and a unit, such as `7d`, `12h`, `30m` or `2w`\n"
        )
    );
}
