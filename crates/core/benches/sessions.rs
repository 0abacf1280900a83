//! Session store figures for docs/performance.md ("sessions"): appending an
//! item (p50/p99), listing, searching, loading a ~50 MB thread for resume,
//! and the database's size against the same data as JSONL.
//!
//! `cargo bench -p duet-core --bench sessions` builds a database of 10,000
//! sessions of 20 items (plus one 10,000-item thread) in a temp dir, then
//! prints one line per figure. Not criterion: p99 of single appends and a
//! one-off size comparison are not what criterion measures.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // a bench binary

use duet_core::sessions::{ListOptions, SearchOptions, Sessions};
use duet_model::{ResponseItem, StoredItem};
use duet_store::{NewItem, NewThread, SearchRole, SearchText, Store, TurnStart, Write, Writer};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const SESSIONS: usize = 10_000;
const ITEMS_PER_SESSION: usize = 20;
const DIRECTORIES: usize = 10;
const BIG_THREAD_ITEMS: usize = 10_000;
/// Model requests in the cost ledger per session, over the last 30 days.
const REQUESTS_PER_SESSION: usize = 20;

fn main() {
    // `DUET_BENCH_HOME=DIR`: build the database in DIR and keep it, with
    // the session directories under it, for the whole-process figures of
    // `benches/sessions_bench.py`.
    let kept = std::env::var_os("DUET_BENCH_HOME").map(PathBuf::from);
    let dir = tempfile::tempdir().unwrap();
    let home = kept.clone().unwrap_or_else(|| dir.path().to_path_buf());
    if let Some(kept) = &kept {
        std::fs::create_dir_all(kept).unwrap();
        assert!(
            !kept.join("sessions.sqlite").exists(),
            "{} already holds a database",
            kept.display()
        );
        for index in 0..DIRECTORIES {
            std::fs::create_dir_all(kept.join(format!("project-{index}"))).unwrap();
        }
        ROOT.set(kept.clone()).unwrap();
    }
    let path = home.join("sessions.sqlite");
    let store = Store::open(&path).unwrap();
    let mut rng = fastrand::Rng::with_seed(7);

    let started = Instant::now();
    let mut jsonl_bytes = 0usize;
    for session in 0..SESSIONS {
        let id = uuid::Uuid::now_v7().to_string();
        store.create_thread(&thread(&id, session)).unwrap();
        let items: Vec<NewItem> = (0..ITEMS_PER_SESSION)
            .map(|index| session_item(&mut rng, session, index))
            .collect();
        jsonl_bytes += items
            .iter()
            .map(|item| item.json.get().len() + 1)
            .sum::<usize>();
        store.append(&id, "turn-1", &items).unwrap();
        for request in 0..REQUESTS_PER_SESSION {
            store
                .record_request(&ledger_row(&mut rng, &id, session, request))
                .unwrap();
        }
    }
    println!(
        "generate {SESSIONS} sessions x {ITEMS_PER_SESSION} items and {REQUESTS_PER_SESSION} ledger rows: {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Single-item appends into the full database, as a turn does them.
    let append_thread = uuid::Uuid::now_v7().to_string();
    store.create_thread(&thread(&append_thread, 0)).unwrap();
    store
        .start_turn(&TurnStart {
            thread_id: append_thread.clone(),
            turn_id: "t".to_string(),
            started_at_ms: 0,
        })
        .unwrap();
    let mut times = Vec::new();
    for index in 0..2_000 {
        let item = session_item(&mut rng, 1, index % ITEMS_PER_SESSION);
        let start = Instant::now();
        store.append(&append_thread, "t", &[item]).unwrap();
        times.push(start.elapsed());
    }
    report_percentiles(
        "append one item (Store::append, SQLite's own checkpoints)",
        &mut times,
    );

    // The same through the writer thread, as a session saves: from handing
    // the item over to its commit, one item at a time. The writer defers
    // checkpoints to moments when its queue is empty.
    let writer_path = path.clone();
    let writer =
        Writer::spawn(move || Store::open(&writer_path), |error| panic!("{error}")).unwrap();
    let mut times = Vec::new();
    for index in 0..2_000 {
        let item = session_item(&mut rng, 1, index % ITEMS_PER_SESSION);
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let start = Instant::now();
        writer.send(Write::Append {
            thread_id: append_thread.clone(),
            turn_id: "t".to_string(),
            items: vec![item],
        });
        writer.flush(move || done_tx.send(start.elapsed()).unwrap());
        times.push(done_rx.recv().unwrap());
    }
    drop(writer);
    report_percentiles(
        "append one item through the writer (sent to committed)",
        &mut times,
    );

    // The ~50 MB thread.
    let big = uuid::Uuid::now_v7().to_string();
    store.create_thread(&thread(&big, 0)).unwrap();
    let mut big_bytes = 0usize;
    for chunk in 0..(BIG_THREAD_ITEMS / 100) {
        let items: Vec<NewItem> = (0..100)
            .map(|index| big_item(&mut rng, chunk * 100 + index))
            .collect();
        big_bytes += items
            .iter()
            .map(|item| item.json.get().len() + 1)
            .sum::<usize>();
        store.append(&big, "t", &items).unwrap();
    }
    println!(
        "big thread: {BIG_THREAD_ITEMS} items, {:.1} MB of JSON",
        big_bytes as f64 / 1e6
    );
    if let Some(kept) = &kept {
        std::fs::write(kept.join("big-thread-id"), &big).unwrap();
    }
    drop(store);

    let sessions = Sessions::open_home(&home).unwrap();
    let this_cwd = ListOptions {
        cwd: Some(cwd(3)),
        limit: Some(50),
        ..ListOptions::default()
    };
    time_it("list this cwd, newest 50 (facade)", 50, || {
        assert_eq!(sessions.list(&this_cwd).unwrap().len(), 50);
    });
    let all = ListOptions {
        limit: Some(50),
        ..ListOptions::default()
    };
    time_it("list all, newest 50 (facade)", 50, || {
        assert_eq!(sessions.list(&all).unwrap().len(), 50);
    });
    let whole_cwd = ListOptions {
        cwd: Some(cwd(3)),
        ..ListOptions::default()
    };
    time_it("list this cwd, all 1,000 (facade)", 20, || {
        assert_eq!(
            sessions.list(&whole_cwd).unwrap().len(),
            SESSIONS / DIRECTORIES
        );
    });
    time_it("open the database (facade)", 50, || {
        drop(Sessions::open_home(&home).unwrap());
    });
    let options = SearchOptions::default();
    time_it("search a rare word (1 session)", 20, || {
        assert_eq!(sessions.search("marker4242", &options).unwrap().len(), 1);
    });
    time_it("search a word in every session, best 20", 10, || {
        assert_eq!(sessions.search("tests", &options).unwrap().len(), 20);
    });
    time_it("search two words, best 20", 10, || {
        assert!(
            !sessions
                .search("parser module", &options)
                .unwrap()
                .is_empty()
        );
    });
    time_it(
        "load the 10,000-item thread as stored text (resume)",
        5,
        || {
            let store = Store::open(&path).unwrap();
            let items = store.history_raw(&big).unwrap();
            assert_eq!(items.len(), BIG_THREAD_ITEMS);
        },
    );
    time_it("... and serialise it as a request's input", 5, || {
        let store = Store::open(&path).unwrap();
        let items: Vec<ResponseItem> = store
            .history_raw(&big)
            .unwrap()
            .into_iter()
            .map(|row| ResponseItem::Stored(StoredItem::new(row.json)))
            .collect();
        let request = duet_model::ResponsesRequest {
            model: "gpt-5.5".to_string(),
            input: items,
            tools: Vec::new(),
            tool_choice: "auto",
            parallel_tool_calls: true,
            reasoning: None,
            store: false,
            stream: true,
            include: Vec::new(),
            prompt_cache_key: big.clone(),
            text: None,
            max_output_tokens: None,
        };
        assert!(request.to_body().len() > 40_000_000);
    });
    time_it(
        "load the 10,000-item thread parsed into ResponseItems (before)",
        5,
        || {
            let store = Store::open(&path).unwrap();
            let items: Vec<ResponseItem> = store.history_as(&big).unwrap();
            assert_eq!(items.len(), BIG_THREAD_ITEMS);
        },
    );
    time_it(
        "... and serialise it as a request's input (before)",
        5,
        || {
            let store = Store::open(&path).unwrap();
            let items: Vec<ResponseItem> = store.history_as(&big).unwrap();
            assert!(serde_json::to_vec(&items).unwrap().len() > 40_000_000);
        },
    );

    // Size: checkpoint the log into the file first.
    {
        let conn = rusqlite_checkpoint(&path);
        drop(conn);
    }
    let db_bytes = file_size(&path) + file_size(&path.with_extension("sqlite-wal"));
    let total_jsonl = jsonl_bytes + big_bytes;
    println!(
        "size: database {:.1} MB, same items as JSONL {:.1} MB, ratio {:.2}",
        db_bytes as f64 / 1e6,
        total_jsonl as f64 / 1e6,
        db_bytes as f64 / total_jsonl as f64
    );
}

fn rusqlite_checkpoint(path: &std::path::Path) -> Store {
    // Opening and dropping the last connection checkpoints the WAL.
    Store::open(path).unwrap()
}

fn file_size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0)
}

/// Where the session directories are: `DUET_BENCH_HOME` when kept.
static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

fn cwd(index: usize) -> PathBuf {
    ROOT.get()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("/home/user"))
        .join(format!("project-{index}"))
}

fn thread(id: &str, session: usize) -> NewThread {
    NewThread {
        id: id.to_string(),
        created_at_ms: 1_700_000_000_000 + session as i64,
        cwd: cwd(session % DIRECTORIES),
        model: "gpt-5.1-codex".to_string(),
        provider: "openai".to_string(),
        sandbox_mode: "workspace-write".to_string(),
        approval_policy: "on-request".to_string(),
        git_branch: Some("main".to_string()),
        git_commit: Some("0123456789abcdef0123456789abcdef01234567".to_string()),
        git_origin: None,
        source: "exec".to_string(),
    }
}

/// One model request of `session` for the cost ledger: one of three
/// models (one without a price); a session's requests a minute apart from
/// a start somewhere in the last 30 days, as a session's come.
fn ledger_row(
    rng: &mut fastrand::Rng,
    thread_id: &str,
    session: usize,
    request: usize,
) -> duet_store::RequestRecord {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64);
    // The same start for every request of a session (seeded by it).
    let start = now - fastrand::Rng::with_seed(session as u64).i64(0..30 * 86_400_000);
    let input = rng.u64(2_000..200_000);
    let model = ["gpt-5.1-codex", "gpt-5-mini", "local-model"][session % 3];
    duet_store::RequestRecord {
        thread_id: thread_id.to_string(),
        turn_id: "turn-1".to_string(),
        at_ms: start + request as i64 * 60_000,
        provider: "openai".to_string(),
        model: model.to_string(),
        tokens: duet_store::RequestTokens {
            input_tokens: input,
            cached_input_tokens: input / 2,
            cache_write_input_tokens: 0,
            output_tokens: rng.u64(50..5_000),
            reasoning_output_tokens: rng.u64(0..500),
        },
        cost_pico: (model != "local-model").then(|| rng.i64(1_000_000..500_000_000_000)),
    }
}

const WORDS: &[&str] = &[
    "parser", "module", "build", "tests", "refactor", "error", "handling", "config", "the", "a",
    "function", "returns", "value", "when", "input", "is", "empty", "fix", "add", "cache",
];

fn sentence(rng: &mut fastrand::Rng, words: usize) -> String {
    (0..words)
        .map(|_| WORDS[rng.usize(..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn base64ish(rng: &mut fastrand::Rng, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..len)
        .map(|_| ALPHABET[rng.usize(..ALPHABET.len())] as char)
        .collect()
}

fn searchable(json: Value, role: SearchRole, text: String) -> NewItem {
    NewItem::from_value(&json, Some(SearchText { role, text }))
}

/// A 20-item session: prompt, then reasoning / call / output / message
/// rounds, ending with an answer. About 1 KB per item on average.
fn session_item(rng: &mut fastrand::Rng, session: usize, index: usize) -> NewItem {
    match index {
        0 => {
            let text = format!("{} tests marker{session}", sentence(rng, 12));
            searchable(
                json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}),
                SearchRole::User,
                text,
            )
        }
        _ => match index % 4 {
            1 => NewItem::from(json!({"type": "reasoning", "id": format!("rs_{index}"),
                "summary": [{"type": "summary_text", "text": sentence(rng, 20)}],
                "content": null, "encrypted_content": base64ish(rng, 1200)})),
            2 => {
                let cmd = format!(
                    "cargo test -p {} {}",
                    WORDS[rng.usize(..WORDS.len())],
                    sentence(rng, 2)
                );
                searchable(
                    json!({"type": "function_call", "call_id": format!("call_{index}"), "name": "exec_command",
                        "arguments": json!({"cmd": cmd, "login": false}).to_string()}),
                    SearchRole::Command,
                    cmd,
                )
            }
            3 => NewItem::from(
                json!({"type": "function_call_output", "call_id": format!("call_{}", index - 1),
                "output": (0..12).map(|_| sentence(rng, 10)).collect::<Vec<_>>().join("\n")}),
            ),
            _ => {
                let text = sentence(rng, 40);
                searchable(
                    json!({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}),
                    SearchRole::Agent,
                    text,
                )
            }
        },
    }
}

/// An item of the big thread: ~5 KB (long tool outputs and reasoning).
fn big_item(rng: &mut fastrand::Rng, index: usize) -> NewItem {
    match index % 2 {
        0 => NewItem::from(json!({"type": "reasoning", "id": format!("rs_{index}"),
            "summary": [], "content": null, "encrypted_content": base64ish(rng, 4800)})),
        _ => NewItem::from(
            json!({"type": "function_call_output", "call_id": format!("call_{index}"),
            "output": (0..60).map(|_| sentence(rng, 12)).collect::<Vec<_>>().join("\n")}),
        ),
    }
}

fn time_it(label: &str, runs: usize, mut run: impl FnMut()) {
    run();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    times.sort();
    println!("{label}: median {:.2} ms", ms(times[times.len() / 2]));
}

fn report_percentiles(label: &str, times: &mut [Duration]) {
    times.sort();
    let at = |q: f64| ms(times[((times.len() as f64 * q) as usize).min(times.len() - 1)]);
    let over_1ms = times
        .iter()
        .filter(|time| **time > Duration::from_millis(1))
        .count();
    println!(
        "{label}: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms, {over_1ms} of {} over 1 ms",
        at(0.5),
        at(0.99),
        ms(times[times.len() - 1]),
        times.len()
    );
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
