#![allow(clippy::disallowed_methods)]
mod common;
use duet_test_support::responses_mock::*;
use duet_test_support::sse::*;
#[tokio::test(flavor = "multi_thread")]
async fn probe() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call(
                "c1",
                "exec_command",
                r#"{"cmd":"touch made.txt"}"#,
            )]),
            sse_completed_turn(&[ev_assistant_message("m", "done")]),
        ],
    )
    .await;
    let ws = common::Workspace::new();
    let out = ws
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "make it"])
        .run()
        .await;
    eprintln!(
        "== readonly json {} {}\n{:?}",
        out.describe(),
        log.bodies().len(),
        ws.files()
    );
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call(
                "c1",
                "exec_command",
                r#"{"cmd":"touch made.txt"}"#,
            )]),
            sse_completed_turn(&[ev_assistant_message("m", "done")]),
        ],
    )
    .await;
    let out = ws
        .exec()
        .mock(&base_url(&server))
        .args(["make it"])
        .run()
        .await;
    eprintln!(
        "== readonly human {} {}\n{:?}",
        out.describe(),
        log.bodies().len(),
        ws.files()
    );
    let server = start_mock().await;
    let _log = mount_sse_sequence(&server, vec![
        sse_completed_turn(&[ev_reasoning("r", "**Look**\n\nfirst"), ev_function_call("c1", "exec_command", r#"{"cmd":"echo hi; exit 2"}"#), ev_function_call("c2", "update_plan", r#"{"plan":[{"step":"a","status":"completed"},{"step":"b","status":"in_progress"},{"step":"c","status":"pending"}]}"#)]),
        sse_completed_turn(&[ev_assistant_message("m", "all done")]),
    ]).await;
    let out = ws
        .exec()
        .mock(&base_url(&server))
        .args(["-s", "danger-full-access", "human please"])
        .run()
        .await;
    eprintln!("== human {}", out.describe());
    let out = ws
        .exec()
        .mock(&base_url(&server))
        .args(["resume", "0199ffff-0000-7000-8000-000000000000", "more"])
        .run()
        .await;
    eprintln!("== resume unknown {}", out.describe());
    let ws2 = common::Workspace::new();
    let out = ws2
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "resume", "--last", "more"])
        .run()
        .await;
    eprintln!("== resume last none {}", out.describe());
    panic!();
}
