//! The escape suite: every probe in `escape/probes_*.rs`, run confined by
//! each Linux backend (bubblewrap, Landlock) in each mode (read-only,
//! workspace-write, workspace-write with network), must show exactly the
//! expected table, compared whole so a regression shows every changed row.
//!
//! Each probe also runs unconfined (`every_probe_detects_its_effect_unconfined`)
//! to prove it can see the effect it looks for; a probe the host cannot make
//! meaningful (not root, no IPv6, no route) is skipped with its reason.
//!
//! A backend this host cannot run is reported as SKIPPED with the reason,
//! and the test passes without having checked anything, unless
//! `DUET_REQUIRE_SANDBOX_BACKENDS` (e.g. `bwrap,landlock`) names it, which
//! turns the skip into a failure. CI sets it.

// The table and every skip are printed: a skipped backend must be visible.
#![allow(clippy::print_stderr)]

#[path = "escape/fixture.rs"]
mod fixture;
#[path = "escape/harness.rs"]
mod harness;
#[path = "support/outside_tmp.rs"]
mod outside_tmp;
#[path = "escape/probes_fs.rs"]
mod probes_fs;
#[path = "escape/probes_net.rs"]
mod probes_net;
#[path = "escape/probes_proc.rs"]
mod probes_proc;
#[path = "escape/run.rs"]
mod run;

use fixture::{Fixture, unmet};
use harness::{Backend, Mode, Outcome, Probe, Script};
use pretty_assertions::assert_eq;
use run::{run, run_probe};
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Probe runs in flight at once, per test.
const CONCURRENCY: usize = 3;

fn all_probes() -> Vec<&'static Probe> {
    probes_fs::PROBES
        .iter()
        .chain(probes_net::PROBES)
        .chain(probes_proc::PROBES)
        .collect()
}

fn row(probe: &str, backend: &str, mode: Mode, outcome: &Outcome) -> String {
    format!("{probe:<36} {backend:<9} {:<20} {outcome}", mode.name())
}

/// The actual and expected rows for `backend` (`None`: unconfined) over
/// `modes`, printing every row with its note as it goes.
async fn table(backend: Option<Backend>, modes: &'static [Mode]) -> (Vec<String>, Vec<String>) {
    let backend_name = backend.map_or("none", Backend::name);
    let semaphore = Arc::new(Semaphore::new(CONCURRENCY));
    let mut runs = tokio::task::JoinSet::new();
    let mut expected = Vec::new();
    let mut index = 0;
    for probe in all_probes() {
        if let Some(reason) = unmet(probe.needs) {
            eprintln!("SKIPPED probe {} on {backend_name}: {reason}", probe.name);
            continue;
        }
        for &mode in modes {
            expected.push(row(
                probe.name,
                backend_name,
                mode,
                &probe.expected(backend, mode),
            ));
            let semaphore = Arc::clone(&semaphore);
            runs.spawn(async move {
                let _permit = semaphore.acquire().await.expect("semaphore open");
                let (outcome, note) = run_probe(probe, backend, mode).await;
                let line = row(probe.name, backend_name, mode, &outcome);
                eprintln!("{line}  # {note}");
                (index, line)
            });
            index += 1;
        }
    }
    let mut actual: Vec<(usize, String)> = runs.join_all().await;
    actual.sort();
    (actual.into_iter().map(|(_, line)| line).collect(), expected)
}

/// The backends `DUET_REQUIRE_SANDBOX_BACKENDS` says must run here.
fn required_backends() -> BTreeSet<String> {
    std::env::var("DUET_REQUIRE_SANDBOX_BACKENDS")
        .unwrap_or_default()
        .split(',')
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

/// Why `backend` cannot confine commands here, if it cannot: spawning
/// fails, or another backend ran instead.
async fn cannot_run(backend: Backend) -> Option<String> {
    let fixture = Fixture::new();
    let spec = fixture.spec(&Script::Sh("printf '%s' \"$DUET_SANDBOX\"".to_string()));
    match run(Some(backend), &spec, &fixture.policy(Mode::ReadOnly), &[]).await {
        Err(reason) => Some(reason),
        Ok((stdout, _, 0)) if stdout == backend.name() => None,
        Ok((stdout, stderr, code)) => Some(format!(
            "asked for `{}`, the command ran with DUET_SANDBOX={stdout:?} (exit {code}, stderr \
             {stderr:?})",
            backend.name()
        )),
    }
}

async fn check_backend(backend: Backend) {
    if let Some(reason) = cannot_run(backend).await {
        eprintln!("SKIPPED backend {}: {reason}", backend.name());
        assert!(
            !required_backends().contains(backend.name()),
            "DUET_REQUIRE_SANDBOX_BACKENDS requires `{}`, which cannot run here: {reason}",
            backend.name()
        );
        return;
    }
    let (actual, expected) = table(Some(backend), &Mode::CONFINED).await;
    assert_eq!(actual, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bwrap_contains_every_probe() {
    check_backend(Backend::Bwrap).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn landlock_contains_every_probe() {
    check_backend(Backend::Landlock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_probe_detects_its_effect_unconfined() {
    let (actual, expected) = table(None, &[Mode::Unconfined]).await;
    assert_eq!(actual, expected);
}

#[test]
fn the_suite_has_at_least_forty_distinct_probes() {
    let names: BTreeSet<&str> = all_probes().iter().map(|probe| probe.name).collect();
    assert_eq!(
        names.len(),
        all_probes().len(),
        "probe names must be unique"
    );
    assert!(names.len() >= 40, "only {} probes", names.len());
}
