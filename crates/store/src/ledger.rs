//! The cost ledger: every model request's tokens and price, one row each
//! (`requests`), and the sums `duet sessions cost` and `duet usage` show.
//!
//! Prices are integers of picodollars (10⁻¹² US dollars), so a sum of rows
//! is exact; a row without a price has `NULL`, and any sum over it is
//! unknown rather than low.

use crate::error::{StoreError, sql_error};
use crate::record::{count_from_sql, count_to_sql};
use crate::store::Store;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// One model request, as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub thread_id: String,
    pub turn_id: String,
    pub at_ms: i64,
    pub provider: String,
    pub model: String,
    pub tokens: RequestTokens,
    /// `None`: no price was known for the model.
    pub cost_pico: Option<i64>,
}

/// A request's own token counts (input includes cached and cache-written).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestTokens {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub cache_write_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
}

impl RequestTokens {
    pub fn add(&mut self, other: &RequestTokens) {
        self.input_tokens += other.input_tokens;
        self.cached_input_tokens += other.cached_input_tokens;
        self.cache_write_input_tokens += other.cache_write_input_tokens;
        self.output_tokens += other.output_tokens;
        self.reasoning_output_tokens += other.reasoning_output_tokens;
    }
}

/// Requests summed: their tokens, how many, and their cost when every one
/// of them had a price.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerTotal {
    pub requests: u64,
    pub tokens: RequestTokens,
    /// The sum of the priced requests' costs.
    pub cost_pico: i64,
    /// How many requests had no price (their cost is not in `cost_pico`).
    pub unpriced: u64,
}

impl LedgerTotal {
    /// The cost, when every request had a price.
    pub fn known_cost_pico(&self) -> Option<i64> {
        (self.unpriced == 0).then_some(self.cost_pico)
    }

    /// [`LedgerTotal::known_cost_pico`] in US dollars.
    pub fn known_cost_usd(&self) -> Option<f64> {
        self.known_cost_pico().map(pico_to_usd)
    }
}

/// Picodollars (the ledger's unit) in a US dollar.
const PICO_PER_DOLLAR: f64 = 1e12;

/// `pico` picodollars in US dollars.
pub fn pico_to_usd(pico: i64) -> f64 {
    pico as f64 / PICO_PER_DOLLAR
}

/// What `duet usage` groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageGrouping {
    /// `provider/model`.
    Model,
    /// The local calendar day (`YYYY-MM-DD`).
    Day,
    /// The session's working directory.
    Dir,
}

/// One group of `duet usage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageGroup {
    pub key: String,
    pub sessions: u64,
    #[serde(flatten)]
    pub total: LedgerTotal,
}

/// The width of `request_hours`' buckets.
const HOUR_MS: i64 = 3_600_000;

/// Sums over `request_hours`, in [`total_from_row`]'s order.
const HOURLY_COLUMNS: &str = "coalesce(sum(request_hours.requests), 0), \
     coalesce(sum(request_hours.input_tokens), 0), \
     coalesce(sum(request_hours.cached_input_tokens), 0), \
     coalesce(sum(request_hours.cache_write_input_tokens), 0), \
     coalesce(sum(request_hours.output_tokens), 0), \
     coalesce(sum(request_hours.reasoning_output_tokens), 0), \
     coalesce(sum(request_hours.cost_pico), 0), coalesce(sum(request_hours.unpriced), 0)";

const TOTAL_COLUMNS: &str = "count(*), coalesce(sum(requests.input_tokens), 0), \
     coalesce(sum(requests.cached_input_tokens), 0), \
     coalesce(sum(requests.cache_write_input_tokens), 0), \
     coalesce(sum(requests.output_tokens), 0), \
     coalesce(sum(requests.reasoning_output_tokens), 0), \
     coalesce(sum(requests.cost_pico), 0), count(*) - count(requests.cost_pico)";

fn total_from_row(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<LedgerTotal> {
    let count = |index: usize| count_from_sql(row, first + index);
    Ok(LedgerTotal {
        requests: count(0)?,
        tokens: RequestTokens {
            input_tokens: count(1)?,
            cached_input_tokens: count(2)?,
            cache_write_input_tokens: count(3)?,
            output_tokens: count(4)?,
            reasoning_output_tokens: count(5)?,
        },
        cost_pico: row.get(first + 6)?,
        unpriced: count(7)?,
    })
}

impl Store {
    /// Add one request to the ledger, and to its hour's sums.
    pub fn record_request(&self, request: &RequestRecord) -> Result<(), StoreError> {
        let tokens = &request.tokens;
        let counts = [
            count_to_sql(tokens.input_tokens),
            count_to_sql(tokens.cached_input_tokens),
            count_to_sql(tokens.cache_write_input_tokens),
            count_to_sql(tokens.output_tokens),
            count_to_sql(tokens.reasoning_output_tokens),
        ];
        let conn = self.conn();
        conn.prepare_cached(
            "INSERT INTO requests (thread_id, turn_id, at_ms, provider, model, input_tokens, \
             cached_input_tokens, cache_write_input_tokens, output_tokens, \
             reasoning_output_tokens, cost_pico) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                request.thread_id,
                request.turn_id,
                request.at_ms,
                request.provider,
                request.model,
                counts[0],
                counts[1],
                counts[2],
                counts[3],
                counts[4],
                request.cost_pico,
            ])
        })
        .and_then(|_| {
            conn.prepare_cached(
                "INSERT INTO request_hours (thread_id, hour, provider, model, cwd, requests, \
                 input_tokens, cached_input_tokens, cache_write_input_tokens, output_tokens, \
                 reasoning_output_tokens, cost_pico, unpriced) \
                 VALUES (?1, ?2, ?3, ?4, (SELECT cwd FROM threads WHERE id = ?1), 1, \
                 ?5, ?6, ?7, ?8, ?9, coalesce(?10, 0), ?10 IS NULL) \
                 ON CONFLICT (thread_id, hour, provider, model) DO UPDATE SET \
                 requests = requests + 1, \
                 input_tokens = input_tokens + excluded.input_tokens, \
                 cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens, \
                 cache_write_input_tokens = \
                 cache_write_input_tokens + excluded.cache_write_input_tokens, \
                 output_tokens = output_tokens + excluded.output_tokens, \
                 reasoning_output_tokens = \
                 reasoning_output_tokens + excluded.reasoning_output_tokens, \
                 cost_pico = cost_pico + excluded.cost_pico, \
                 unpriced = unpriced + excluded.unpriced",
            )?
            .execute(params![
                request.thread_id,
                request.at_ms.div_euclid(HOUR_MS),
                request.provider,
                request.model,
                counts[0],
                counts[1],
                counts[2],
                counts[3],
                counts[4],
                request.cost_pico,
            ])
        })
        .map(|_| ())
        .map_err(sql_error(
            self.path(),
            "record a model request in the cost ledger",
        ))
    }

    /// Every request of a thread, oldest first (a fork's copied ones too).
    pub fn thread_requests(&self, thread_id: &str) -> Result<Vec<RequestRecord>, StoreError> {
        let to_error = || sql_error(self.path(), "read the cost ledger");
        let conn = self.conn();
        let mut statement = conn
            .prepare_cached(
                "SELECT thread_id, turn_id, at_ms, provider, model, input_tokens, \
                 cached_input_tokens, cache_write_input_tokens, output_tokens, \
                 reasoning_output_tokens, cost_pico FROM requests WHERE thread_id = ?1 ORDER BY id",
            )
            .map_err(to_error())?;
        let rows = statement
            .query_map([thread_id], |row| {
                let count = |index: usize| count_from_sql(row, index);
                Ok(RequestRecord {
                    thread_id: row.get(0)?,
                    turn_id: row.get(1)?,
                    at_ms: row.get(2)?,
                    provider: row.get(3)?,
                    model: row.get(4)?,
                    tokens: RequestTokens {
                        input_tokens: count(5)?,
                        cached_input_tokens: count(6)?,
                        cache_write_input_tokens: count(7)?,
                        output_tokens: count(8)?,
                        reasoning_output_tokens: count(9)?,
                    },
                    cost_pico: row.get(10)?,
                })
            })
            .map_err(to_error())?;
        rows.collect::<Result<_, _>>().map_err(to_error())
    }

    /// The sum of a thread's requests (a fork's copied ones too).
    pub fn thread_total(&self, thread_id: &str) -> Result<LedgerTotal, StoreError> {
        self.conn()
            .prepare_cached(&format!(
                "SELECT {TOTAL_COLUMNS} FROM requests WHERE thread_id = ?1"
            ))
            .and_then(|mut statement| {
                statement
                    .query_row([thread_id], |row| total_from_row(row, 0))
                    .optional()
            })
            .map(Option::unwrap_or_default)
            .map_err(sql_error(self.path(), "sum a session's cost"))
    }

    /// Every request since `since_ms` (none: all; counted in whole UTC
    /// hours, so the hour `since_ms` falls in is included whole), grouped
    /// by `by`, the largest cost first (then the most input); a fork's
    /// copies are not counted again. Reads the hourly sums, so its cost
    /// grows with sessions and hours, not requests.
    pub fn usage(
        &self,
        since_ms: Option<i64>,
        by: UsageGrouping,
    ) -> Result<Vec<UsageGroup>, StoreError> {
        let key = match by {
            UsageGrouping::Model => "request_hours.provider || '/' || request_hours.model",
            UsageGrouping::Day => "date(request_hours.hour * 3600, 'unixepoch', 'localtime')",
            UsageGrouping::Dir => "CAST(request_hours.cwd AS TEXT)",
        };
        let sql = format!(
            "SELECT {key} AS grouped, count(DISTINCT request_hours.thread_id), {HOURLY_COLUMNS} \
             FROM request_hours WHERE request_hours.hour >= ?1 \
             GROUP BY grouped ORDER BY 9 DESC, 4 DESC, grouped"
        );
        let to_error = || sql_error(self.path(), "sum the cost ledger");
        let conn = self.conn();
        let mut statement = conn.prepare(&sql).map_err(to_error())?;
        let since_hour = since_ms.map_or(i64::MIN, |since| since.div_euclid(HOUR_MS));
        let rows = statement
            .query_map([since_hour], |row| {
                Ok(UsageGroup {
                    key: row.get(0)?,
                    sessions: count_from_sql(row, 1)?,
                    total: total_from_row(row, 2)?,
                })
            })
            .map_err(to_error())?;
        rows.collect::<Result<_, _>>().map_err(to_error())
    }
}
