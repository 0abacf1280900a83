//! Budgets end to end: `--max-turns`, `--max-tokens` and
//! `--max-budget-usd` stop a turn cleanly before its next request
//! (`turn.stopped`, exit code 3), its work saved so that a resume goes on;
//! a dollar limit on a model without a price fails before any request.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::{Workspace, normalized_events};
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{
    ev_assistant_message, ev_completed_with_usage, ev_function_call, ev_response_created, sse,
    sse_completed_turn,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

fn call(id: &str, cmd: &str) -> String {
    sse_completed_turn(&[ev_function_call(
        id,
        "exec_command",
        &json!({ "cmd": cmd }).to_string(),
    )])
}

fn call_with_usage(id: &str, cmd: &str, usage: (u64, u64, u64)) -> String {
    sse(&[
        ev_response_created("r"),
        ev_function_call(id, "exec_command", &json!({ "cmd": cmd }).to_string()),
        ev_completed_with_usage("r", usage.0, usage.1, usage.2, 0),
    ])
}

/// The `function_call_output`s a request carries, by call id.
fn outputs(body: &Value) -> Vec<String> {
    body["input"]
        .as_array()
        .expect("an input array")
        .iter()
        .filter(|item| item["type"] == "function_call_output")
        .map(|item| item["call_id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn max_turns_stops_before_the_next_request_and_a_resume_goes_on() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            call("c1", "echo one > one.txt"),
            call("c2", "echo two > two.txt"),
            sse_completed_turn(&[ev_assistant_message("m", "both files are there")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let stopped = workspace
        .exec()
        .mock(&base_url(&server))
        .args([
            "--json",
            "-s",
            "danger-full-access",
            "--max-turns",
            "2",
            "write two files",
        ])
        .run()
        .await;
    assert_eq!(stopped.code, Some(3), "{}", stopped.describe());
    assert_eq!(log.bodies().len(), 2, "no third request");
    // The second call ran: its work is kept.
    assert!(workspace.repo().join("two.txt").exists());
    let events = normalized_events(&stopped, &workspace);
    assert_eq!(
        events.last().unwrap(),
        &json!({"type": "turn.stopped", "limit": "max_turns",
                "message": "stopped at the budget: 2 model requests (`--max-turns`); this turn made 2 model requests and used 30 tokens",
                "usage": {"input_tokens": 20, "cached_input_tokens": 0,
                          "cache_write_input_tokens": 0, "output_tokens": 10,
                          "reasoning_output_tokens": 0, "cost_usd": null}})
    );

    let resumed = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "resume", "--last", "go on"])
        .run()
        .await;
    assert_eq!(resumed.code, Some(0), "{}", resumed.describe());
    assert_eq!(outputs(&log.bodies()[2]), ["c1", "c2"]);
    assert_eq!(
        resumed.events().last().unwrap()["type"],
        "turn.completed",
        "a new run has the allowance again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn max_tokens_and_max_budget_usd_stop_the_turn_and_say_how_far_it_got() {
    let server = start_mock().await;
    mount_sse_sequence(
        &server,
        vec![
            call_with_usage("t1", "true", (80, 0, 30)),
            // gpt-5.1: 1,000 in × $1.25 + 50 out × $10 per million = $0.00175.
            call_with_usage("u1", "true", (1_000, 0, 50)),
            call("h1", "true"),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let tokens = workspace
        .exec()
        .mock(&base_url(&server))
        .args([
            "--json",
            "-s",
            "danger-full-access",
            "--max-tokens",
            "100",
            "go",
        ])
        .run()
        .await;
    assert_eq!(tokens.code, Some(3), "{}", tokens.describe());
    let last = tokens.events().last().cloned().unwrap();
    assert_eq!(
        (last["limit"].clone(), last["message"].clone()),
        (
            json!("max_tokens"),
            json!(
                "stopped at the budget: 110 tokens of the 100 allowed (`--max-tokens`); this turn made 1 model request and used 110 tokens"
            )
        )
    );
    let dollars = workspace
        .exec()
        .mock(&base_url(&server))
        .args([
            "--json",
            "-s",
            "danger-full-access",
            "-m",
            "gpt-5.1",
            "--max-budget-usd",
            "0.001",
            "go",
        ])
        .run()
        .await;
    assert_eq!(dollars.code, Some(3), "{}", dollars.describe());
    let last = dollars.events().last().cloned().unwrap();
    assert_eq!(
        (
            last["limit"].clone(),
            last["message"].clone(),
            last["usage"]["cost_usd"].clone()
        ),
        (
            json!("max_budget_usd"),
            json!(
                "stopped at the budget: $0.0018 of the $0.0010 allowed (`--max-budget-usd`); this turn made 1 model request and used 1,050 tokens, $0.0018"
            ),
            json!(0.00175)
        )
    );
    // The human transcript says it, and how to go on.
    let human = workspace
        .exec()
        .mock(&base_url(&server))
        .args([
            "-c",
            "budget.max_turns=1",
            "-s",
            "danger-full-access",
            "again",
        ])
        .run()
        .await;
    assert_eq!(human.code, Some(3), "{}", human.describe());
    assert!(
        human.stderr.contains(
            "stopped at the budget: 1 model request (`--max-turns`); this turn made 1 model request and used 15 tokens; the session is saved: `duet exec resume --last \"…\"` goes on\ntokens used\n15\n"
        ),
        "{}",
        human.stderr
    );
    assert_eq!(human.stdout, "", "no answer to print");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dollar_limit_without_a_price_fails_before_any_request() {
    let server = start_mock().await;
    let log = mount_sse_sequence(&server, vec![call("c1", "true")]).await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "--max-budget-usd", "1", "go"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(1), "{}", outcome.describe());
    assert_eq!(log.bodies().len(), 0);
    assert_eq!(
        outcome.events().last().unwrap()["error"]["message"],
        "cannot keep to the spending limit (`--max-budget-usd` / `budget.max_usd`): no price is known for `openai/gpt-5.5`; set `[model_prices.\"openai/gpt-5.5\"]` in the config, or limit `--max-turns` / `--max-tokens` instead"
    );
}
