//! Translating a long history to each wire (docs/performance.md, "wires"):
//! the request body of a 1,000-item thread, built from parsed items (a
//! live session) and from stored items (a resumed one), per wire.
//!
//! `cargo bench -p duet-model --bench wires` prints the median of 200 builds
//! per case. Not criterion: one median per case is the figure wanted.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // a bench binary

use duet_model::{
    ContentItem, FunctionCallOutput, Reasoning, ResponseItem, ResponsesRequest, StoredItem,
    WireApi, request_body,
};
use std::time::{Duration, Instant};

const ITEMS: usize = 1_000;
const RUNS: usize = 200;

/// A coding thread: per round a prompt, a reasoning item, an answer, a
/// command call and its output of about 1 KB.
fn history() -> Vec<ResponseItem> {
    let mut items = vec![
        ResponseItem::developer_text("base instructions ".repeat(400)),
        ResponseItem::user_text("<environment_context>…</environment_context>"),
    ];
    let mut round = 0;
    while items.len() < ITEMS {
        round += 1;
        items.push(ResponseItem::user_text(format!(
            "step {round}: fix the next test"
        )));
        items.push(ResponseItem::Reasoning {
            id: format!("rs_{round}"),
            summary: vec![],
            content: None,
            encrypted_content: Some("e".repeat(600)),
        });
        items.push(ResponseItem::Message {
            id: Some(format!("msg_{round}")),
            role: "assistant".to_string(),
            content: vec![ContentItem::OutputText {
                text: "Running the tests first.".to_string(),
                annotations: vec![],
            }],
        });
        items.push(ResponseItem::FunctionCall {
            id: None,
            call_id: format!("call_{round}"),
            name: "exec_command".to_string(),
            arguments: r#"{"cmd":"cargo test -p core"}"#.to_string(),
            namespace: None,
        });
        items.push(ResponseItem::FunctionCallOutput {
            call_id: format!("call_{round}"),
            output: FunctionCallOutput::Text("test result: ok. 12 passed\n".repeat(40)),
        });
    }
    items.truncate(ITEMS);
    items
}

fn request(input: Vec<ResponseItem>) -> ResponsesRequest {
    ResponsesRequest {
        model: "bench".to_string(),
        input,
        tools: vec![
            serde_json::json!({"type": "function", "name": "exec_command",
            "description": "run", "parameters": {"type": "object", "properties": {}}}),
        ],
        tool_choice: "auto",
        parallel_tool_calls: true,
        reasoning: Some(Reasoning {
            effort: None,
            summary: None,
        }),
        store: false,
        stream: true,
        include: vec![],
        prompt_cache_key: "thread".to_string(),
        text: None,
        max_output_tokens: Some(8192),
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let parsed = request(history());
    let stored = request(
        history()
            .iter()
            .map(|item| ResponseItem::Stored(StoredItem::new(serde_json::to_string(item).unwrap())))
            .collect(),
    );
    println!("{ITEMS}-item history, median of {RUNS} request bodies:");
    for wire in [WireApi::Responses, WireApi::Chat, WireApi::Anthropic] {
        for (kind, request) in [("parsed", &parsed), ("stored", &stored)] {
            let mut samples = Vec::with_capacity(RUNS);
            let mut size = 0;
            for _ in 0..RUNS {
                let start = Instant::now();
                let body = request_body(wire, request);
                samples.push(start.elapsed());
                size = body.len();
            }
            println!(
                "  {:<9} {kind}: {:>6.2} ms ({} KiB)",
                wire.as_str(),
                median(samples).as_secs_f64() * 1000.0,
                size / 1024
            );
        }
    }
}
