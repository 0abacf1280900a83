//! The cost ledger: requests recorded as they were priced, sums exact in
//! picodollars, an unpriced request making a sum unknown rather than low,
//! `duet usage` groupings, and a fork that carries its parent's requests
//! without `duet usage` counting them twice.

use super::support::{TempHome, new_thread};
use duet_store::{
    ForkRequest, LedgerTotal, RequestRecord, RequestTokens, TurnStart, UsageGroup, UsageGrouping,
};
use pretty_assertions::assert_eq;

fn request(
    thread: &str,
    turn: &str,
    at_ms: i64,
    model: &str,
    input: u64,
    cost: Option<i64>,
) -> RequestRecord {
    RequestRecord {
        thread_id: thread.into(),
        turn_id: turn.into(),
        at_ms,
        provider: "openai".into(),
        model: model.into(),
        tokens: RequestTokens {
            input_tokens: input,
            cached_input_tokens: input / 2,
            cache_write_input_tokens: 0,
            output_tokens: 10,
            reasoning_output_tokens: 2,
        },
        cost_pico: cost,
    }
}

/// 2026-12-01T12:00:00Z and a day later.
const DAY_ONE: i64 = 1_796_126_400_000;
const DAY_TWO: i64 = DAY_ONE + 86_400_000;

#[test]
fn sums_are_exact_and_an_unpriced_request_makes_them_unknown() {
    let home = TempHome::new();
    let store = home.open();
    store
        .create_thread(&new_thread("t1", DAY_ONE, "/repo/a"))
        .unwrap();
    store
        .create_thread(&new_thread("t2", DAY_TWO, "/repo/b"))
        .unwrap();
    let rows = [
        request("t1", "u1", DAY_ONE, "gpt-5.1", 1_000, Some(2_250_000_000)),
        request(
            "t1",
            "u1",
            DAY_ONE + 1,
            "gpt-5.1",
            3_000,
            Some(4_125_000_000),
        ),
        request("t2", "u2", DAY_TWO, "gpt-5.1", 500, Some(1_000_000)),
        request("t2", "u2", DAY_TWO + 1, "mystery", 700, None),
    ];
    for row in &rows {
        store.record_request(row).unwrap();
    }
    assert_eq!(store.thread_requests("t1").unwrap(), rows[..2].to_vec());
    let t1 = store.thread_total("t1").unwrap();
    assert_eq!(
        t1,
        LedgerTotal {
            requests: 2,
            tokens: RequestTokens {
                input_tokens: 4_000,
                cached_input_tokens: 2_000,
                cache_write_input_tokens: 0,
                output_tokens: 20,
                reasoning_output_tokens: 4,
            },
            cost_pico: 6_375_000_000,
            unpriced: 0,
        }
    );
    assert_eq!(t1.known_cost_pico(), Some(6_375_000_000));
    let t2 = store.thread_total("t2").unwrap();
    assert_eq!(
        (t2.cost_pico, t2.unpriced, t2.known_cost_pico()),
        (1_000_000, 1, None)
    );
    assert_eq!(
        store.thread_total("nobody").unwrap(),
        LedgerTotal::default()
    );

    let by_model = store.usage(None, UsageGrouping::Model).unwrap();
    assert_eq!(
        by_model
            .iter()
            .map(|group| (
                group.key.as_str(),
                group.sessions,
                group.total.requests,
                group.total.cost_pico
            ))
            .collect::<Vec<_>>(),
        [
            ("openai/gpt-5.1", 2, 3, 6_376_000_000),
            ("openai/mystery", 1, 1, 0)
        ]
    );
    assert_eq!(by_model[1].total.known_cost_pico(), None);
    let by_dir: Vec<(String, i64)> = store
        .usage(None, UsageGrouping::Dir)
        .unwrap()
        .into_iter()
        .map(|group| (group.key, group.total.cost_pico))
        .collect();
    assert_eq!(
        by_dir,
        [
            ("/repo/a".to_string(), 6_375_000_000),
            ("/repo/b".to_string(), 1_000_000)
        ]
    );
    let since: Vec<UsageGroup> = store.usage(Some(DAY_TWO), UsageGrouping::Day).unwrap();
    assert_eq!(since.len(), 1);
    assert_eq!(since[0].total.requests, 2);
    assert_eq!(since[0].key.len(), "2026-12-02".len());
}

#[test]
fn a_fork_carries_its_turns_requests_and_usage_does_not_count_them_twice() {
    let home = TempHome::new();
    let store = home.open();
    store
        .create_thread(&new_thread("parent", DAY_ONE, "/repo"))
        .unwrap();
    for turn in ["u1", "u2"] {
        store
            .start_turn(&TurnStart {
                thread_id: "parent".into(),
                turn_id: turn.into(),
                started_at_ms: DAY_ONE,
            })
            .unwrap();
    }
    store
        .record_request(&request("parent", "u1", DAY_ONE, "gpt-5.1", 100, Some(7)))
        .unwrap();
    store
        .record_request(&request("parent", "u2", DAY_ONE, "gpt-5.1", 100, Some(11)))
        .unwrap();
    store
        .fork_thread(
            "parent",
            &ForkRequest {
                new_id: "child".into(),
                created_at_ms: DAY_TWO,
                at_turn: Some(1),
            },
        )
        .unwrap();
    assert_eq!(store.thread_total("child").unwrap().cost_pico, 7);
    let all = store.usage(None, UsageGrouping::Model).unwrap();
    assert_eq!((all[0].total.requests, all[0].total.cost_pico), (2, 18));
}
