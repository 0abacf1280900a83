//! One turn: the user's input, then model requests and tool calls in a loop
//! until a response asks for no tool.
//!
//! Each request carries the whole history (`store: false`). Items the model
//! finishes are appended to the history as they complete, so a stream that
//! breaks half-way loses nothing that was done: the completed tool calls are
//! run and the request is sent again with them in the history.

use crate::config::Config;
use crate::services::{SessionServices, ThreadCost, ToolContext, TurnError, TurnSettings, now_ms};
use crate::tools::{self, ToolCall, TurnState};
use duet_model::{
    ContentItem, ModelError, Reasoning, ResponseEvent, ResponseItem, ResponsesRequest,
    TextControls, TextFormat, WireApi,
};
use duet_protocol::{
    AbortReason, BudgetLimit, CompactionTrigger, ErrorInfo, EventMsg, Item, ItemDetails,
    ReasoningSummary, Reconnecting, TokenCount, TurnCompleted, TurnStopped, Usage, UserInput,
    UserTurn,
};
use duet_store::{TurnRecord, TurnStatus};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

mod stream;
mod user_shell;

/// The window assumed for compaction when no one knows the model's: small
/// enough for today's usual windows, so an unknown model is compacted
/// early rather than overflowed.
pub(crate) const UNKNOWN_WINDOW: u64 = 128_000;

/// What a turn does: answer the user, compact the history, or run a
/// command the user typed (`!cmd`, no model request).
pub(crate) enum Work {
    User(UserTurn),
    /// `review`: show the hand-off to the user before it is used.
    Compact {
        review: bool,
    },
    Shell(String),
}

/// The input of one turn; the history comes back in [`TurnResult`].
pub(crate) struct TurnInput {
    pub turn_id: String,
    pub work: Work,
    pub history: Vec<ResponseItem>,
    /// Items to add before the user's message when the history is not new
    /// (the permissions text after an [`duet_protocol::Op::OverrideTurnContext`]).
    pub prelude: Vec<ResponseItem>,
    /// Input plus output tokens of the last response: how full the context is.
    pub context_tokens: u64,
    /// How many of `history`'s items are already in the store.
    pub saved: usize,
    /// Thread-cumulative usage before this turn.
    pub usage: Usage,
}

/// What a finished turn hands back to the session.
pub(crate) struct TurnResult {
    pub history: Vec<ResponseItem>,
    /// Thread-cumulative usage after the turn.
    pub usage: Usage,
    /// Input plus output tokens of the turn's last response.
    pub context_tokens: u64,
    /// Whether a compaction replaced the history during the turn: the
    /// turns before it can no longer be rolled back.
    pub compacted: bool,
    /// How the turn ended, for the store.
    pub record: TurnRecord,
}

/// Run one turn with the session's `services` and the `settings` it starts
/// with (kept for the whole turn, whatever overrides arrive meanwhile).
pub(crate) async fn run_turn(
    services: Arc<SessionServices>,
    settings: TurnSettings,
    input: TurnInput,
    cancel: CancellationToken,
) -> TurnResult {
    let TurnInput {
        turn_id,
        work,
        mut history,
        prelude,
        context_tokens,
        saved,
        usage,
    } = input;
    let mut turn = Turn {
        services: Arc::clone(&services),
        settings,
        turn_id: turn_id.clone(),
        saved,
        thread_usage: usage,
        turn_usage: Usage::default(),
        state: Arc::new(TurnState::default()),
        last_agent_message: None,
        context_tokens,
        compacted: false,
        context_window: None,
        turn_start: history.len(),
        review_compaction: services.review_compactions,
        turn_cost: ThreadCost::default(),
        requests: 0,
        auto_compact_declined: false,
    };
    services.events.send(Some(&turn_id), EventMsg::TurnStarted);
    log::info!(
        "turn {turn_id} started: {}",
        match &work {
            Work::User(_) => "a prompt",
            Work::Compact { .. } => "compaction",
            Work::Shell(_) => "a user shell command",
        }
    );
    let started_at_ms = now_ms();
    let prompt = match &work {
        Work::User(user_turn) => prompt_text(&user_turn.items),
        Work::Compact { .. } => "/compact".to_string(),
        Work::Shell(command) => format!("!{command}"),
    };
    services
        .recorder
        .turn_started(&turn_id, started_at_ms, &prompt);
    let aborted_note = !matches!(work, Work::Shell(_));

    let outcome = match work {
        Work::User(user_turn) => turn.answer(&mut history, prelude, user_turn, &cancel).await,
        Work::Compact { .. } if history.is_empty() => Ok(()),
        Work::Compact { review } => {
            turn.review_compaction |= review;
            history.extend(prelude);
            turn.compact(&mut history, &cancel, CompactionTrigger::Manual)
                .await
        }
        Work::Shell(command) => turn.user_shell(&mut history, &command, &cancel).await,
    };
    turn.finish(history, outcome, started_at_ms, aborted_note)
        .await
}

impl Turn {
    /// A user turn: the opening context for a new thread, the prompt, then
    /// requests and tools until the model answers.
    async fn answer(
        &mut self,
        history: &mut Vec<ResponseItem>,
        prelude: Vec<ResponseItem>,
        user_turn: UserTurn,
        cancel: &CancellationToken,
    ) -> Result<(), TurnError> {
        if history.is_empty() {
            self.open_thread(history);
        } else {
            history.extend(prelude);
        }
        self.turn_start = history.len();
        history.push(user_message(&user_turn.items));
        self.save_history(history);
        self.run(history, user_turn.output_schema.as_ref(), cancel)
            .await
    }

    /// The opening context of a new thread: instructions, AGENTS.md, the
    /// environment.
    pub(crate) fn open_thread(&self, history: &mut Vec<ResponseItem>) {
        history.extend(crate::context::initial_context(
            &self.settings.config,
            &self.services.shell,
            |message| self.send(EventMsg::Warning { message }),
        ));
    }

    /// Report how the turn ended and hand the history back. An interrupted
    /// turn leaves a note for the model in the history when `aborted_note`.
    async fn finish(
        mut self,
        mut history: Vec<ResponseItem>,
        outcome: Result<(), TurnError>,
        started_at_ms: i64,
        aborted_note: bool,
    ) -> TurnResult {
        let context = Arc::clone(&self.services);
        let turn_id = self.turn_id.clone();
        let turn = &mut self;
        let (status, error) = match &outcome {
            Ok(()) => (TurnStatus::Completed, None),
            Err(TurnError::Cancelled) => (TurnStatus::Interrupted, None),
            Err(TurnError::Stopped(_, message)) => (TurnStatus::Interrupted, Some(message.clone())),
            Err(TurnError::Fatal(message)) => (TurnStatus::Failed, Some(message.clone())),
        };
        match outcome {
            Ok(()) => turn.complete(),
            Err(TurnError::Cancelled) => {
                context.processes.kill_all().await;
                close_dangling_calls(&mut history);
                if aborted_note {
                    history.push(ResponseItem::user_text(
                        "<turn_aborted>The user interrupted the previous turn; anything it was \
                         doing may be incomplete.</turn_aborted>",
                    ));
                }
                context.events.send(
                    Some(&turn_id),
                    EventMsg::TurnAborted {
                        reason: AbortReason::Interrupted,
                    },
                );
            }
            Err(TurnError::Stopped(limit, message)) => {
                // At a request boundary: every call has its output.
                close_dangling_calls(&mut history);
                if let Some(item) = turn.state.plan_item() {
                    turn.send(EventMsg::ItemCompleted { item });
                }
                turn.send(EventMsg::TurnStopped(TurnStopped {
                    limit,
                    message,
                    usage: turn.thread_usage,
                    turn_usage: turn.turn_usage,
                    cost_usd: turn.services.thread_cost().usd(),
                    turn_cost_usd: turn.turn_cost.usd(),
                }));
            }
            Err(TurnError::Fatal(message)) => {
                close_dangling_calls(&mut history);
                context.events.send(
                    Some(&turn_id),
                    EventMsg::Error {
                        message: message.clone(),
                    },
                );
                context.events.send(
                    Some(&turn_id),
                    EventMsg::TurnFailed {
                        error: ErrorInfo { message },
                    },
                );
            }
        }
        turn.save_history(&history);
        log::info!(
            "turn {turn_id} ended {} after {} ms ({} input, {} output tokens){}",
            status.as_str(),
            now_ms() - started_at_ms,
            turn.turn_usage.input_tokens,
            turn.turn_usage.output_tokens,
            error
                .as_deref()
                .map(|error| format!(": {error}"))
                .unwrap_or_default()
        );
        let record = TurnRecord {
            thread_id: context.thread_id.clone(),
            turn_id,
            status,
            error,
            started_at_ms,
            ended_at_ms: Some(now_ms()),
            usage: crate::recorder::usage_totals(&turn.turn_usage),
        };
        TurnResult {
            history,
            usage: turn.thread_usage,
            context_tokens: turn.context_tokens,
            compacted: turn.compacted,
            record,
        }
    }
}

pub(crate) struct Turn {
    pub(crate) services: Arc<SessionServices>,
    /// Fixed for the whole turn.
    pub(crate) settings: TurnSettings,
    pub(crate) turn_id: String,
    /// How many history items have gone to the recorder.
    pub(crate) saved: usize,
    thread_usage: Usage,
    turn_usage: Usage,
    state: Arc<TurnState>,
    last_agent_message: Option<String>,
    /// Input plus output tokens of the last response (0 after a compaction).
    pub(crate) context_tokens: u64,
    /// Whether a compaction replaced the history in this turn.
    pub(crate) compacted: bool,
    /// The model's context window, learnt when the turn starts.
    pub(crate) context_window: Option<u64>,
    /// Where this turn's items start in the history (its user message):
    /// what a compaction after an overflow keeps as it is.
    pub(crate) turn_start: usize,
    /// Show a compaction's hand-off to the user before it is used.
    pub(crate) review_compaction: bool,
    /// What this turn's requests cost.
    turn_cost: ThreadCost,
    /// How many model requests this turn has made.
    requests: u64,
    /// The user cancelled a compaction in this turn: no automatic one
    /// until the turn ends.
    pub(crate) auto_compact_declined: bool,
}

impl Turn {
    async fn run(
        &mut self,
        history: &mut Vec<ResponseItem>,
        output_schema: Option<&serde_json::Value>,
        cancel: &CancellationToken,
    ) -> Result<(), TurnError> {
        if let Some(message) = &self.settings.model.missing_key {
            return Err(TurnError::Fatal(message.clone()));
        }
        // Only `required` MCP servers are waited for; the rest join later.
        tokio::select! {
            _ = cancel.cancelled() => return Err(TurnError::Cancelled),
            required = self.services.mcp.wait_required() => required.map_err(TurnError::Fatal)?,
        }
        self.context_window = self
            .services
            .context_window(&self.settings, &self.turn_id)
            .await;
        let max_stream_retries = self.settings.model.client.provider().stream_max_retries;
        let mut stream_retries = 0u32;
        // Whether the request about to be sent again was compacted for
        // being too long.
        let mut overflow_compacted = false;
        if self.settings.config.budget.max_usd.is_some() && self.settings.config.price().is_none() {
            let key = self.settings.config.model_key();
            return Err(TurnError::Fatal(format!(
                "cannot keep to the spending limit (`--max-budget-usd` / `budget.max_usd`): no price is known for `{key}`; set `[model_prices.\"{key}\"]` in the config, or limit `--max-turns` / `--max-tokens` instead"
            )));
        }
        loop {
            if cancel.is_cancelled() {
                return Err(TurnError::Cancelled);
            }
            if let Some((limit, message)) = self.over_budget() {
                return Err(TurnError::Stopped(limit, message));
            }
            if !self.auto_compact_declined
                && self
                    .auto_compact_limit()
                    .is_some_and(|limit| self.context_tokens >= limit)
            {
                self.compact(history, cancel, CompactionTrigger::Auto)
                    .await?;
            }
            // The history moves into the request and back once it is sent:
            // a resumed thread's history can be tens of megabytes.
            let mut request = self.request(std::mem::take(history), output_schema);
            // Old tool outputs leave the request only; the history keeps them.
            let pruned = match self.settings.config.prune_tool_outputs_after_turns {
                Some(turns) => crate::compact::prune::prune(&mut request.input, turns),
                None => Vec::new(),
            };
            let sample = self.sample(request, history, cancel).await;
            crate::compact::prune::restore(history, pruned);
            let sample = sample?;
            let had_calls = !sample.calls.is_empty();
            if had_calls {
                let outputs = self.run_tools(sample.calls, cancel).await?;
                history.extend(outputs);
                self.save_history(history);
            }
            match sample.broken {
                None if !had_calls => return Ok(()),
                None => {
                    stream_retries = 0;
                    overflow_compacted = false;
                }
                // Too long for the model: compact (keeping this turn as it
                // is) and send it again, once.
                Some(ModelError::ContextWindowExceeded) => {
                    if let Some(message) = self.too_long(history, overflow_compacted) {
                        return Err(TurnError::Fatal(message));
                    }
                    overflow_compacted = true;
                    self.compact(history, cancel, CompactionTrigger::Overflow)
                        .await?;
                }
                Some(error) => {
                    if !error.is_retryable() || stream_retries >= max_stream_retries {
                        return Err(TurnError::Fatal(error.to_string()));
                    }
                    stream_retries += 1;
                    let delay = duet_model::backoff(stream_retries);
                    self.send(EventMsg::Reconnecting(Reconnecting {
                        attempt: stream_retries,
                        max_attempts: max_stream_retries,
                        reason: error.to_string(),
                        delay_ms: delay.as_millis() as u64,
                    }));
                    tokio::select! {
                        _ = cancel.cancelled() => return Err(TurnError::Cancelled),
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }

    /// The first budget limit this turn has reached, and what to say; the
    /// turn then makes no further request.
    fn over_budget(&self) -> Option<(BudgetLimit, String)> {
        let budget = self.settings.config.budget;
        let tokens = self.turn_usage.input_tokens + self.turn_usage.output_tokens;
        let spent = self.turn_cost.usd();
        let (limit, what) = if budget.max_turns.is_some_and(|max| self.requests >= max) {
            (
                BudgetLimit::MaxTurns,
                format!("{} (`--max-turns`)", requests(self.requests)),
            )
        } else if budget.max_tokens.is_some_and(|max| tokens >= max) {
            (
                BudgetLimit::MaxTokens,
                format!(
                    "{} tokens of the {} allowed (`--max-tokens`)",
                    duet_protocol::display::with_thousands(tokens),
                    duet_protocol::display::with_thousands(budget.max_tokens.unwrap_or_default())
                ),
            )
        } else if let (Some(max), Some(spent)) = (budget.max_usd, spent)
            && spent >= max
        {
            (
                BudgetLimit::MaxBudgetUsd,
                format!(
                    "{} of the {} allowed (`--max-budget-usd`)",
                    duet_protocol::display::format_usd(spent),
                    duet_protocol::display::format_usd(max)
                ),
            )
        } else {
            return None;
        };
        let cost = spent
            .map(|spent| format!(", {}", duet_protocol::display::format_usd(spent)))
            .unwrap_or_default();
        Some((
            limit,
            format!(
                "stopped at the budget: {what}; this turn made {} and used {} tokens{cost}",
                requests(self.requests),
                duet_protocol::display::with_thousands(tokens),
            ),
        ))
    }

    /// Why a request the model refused as too long cannot be helped by a
    /// compaction: this turn's own message is larger than the window, or
    /// it was compacted already. `None` when compacting may help.
    fn too_long(&self, history: &[ResponseItem], compacted: bool) -> Option<String> {
        let window = self.window();
        let message = history.get(self.turn_start).map_or(0, |item| {
            crate::compact::estimated_tokens(std::slice::from_ref(item))
        });
        let model = &self.settings.config.model;
        if message > self.usable_window() {
            return Some(format!(
                "your message is too long for `{model}`: about {message} tokens, and its context window is {window}; shorten it, or save it to a file and ask for the parts that matter to be read"
            ));
        }
        compacted.then(|| {
            format!(
                "the conversation is still too long for `{model}` after compacting it; if its window is smaller than {window} tokens, set `model_context_window`; the session is saved, and `duet resume` continues it"
            )
        })
    }

    /// When the context is full enough to compact before the next request:
    /// `model_auto_compact_token_limit` (0 turns it off), else 90% of the
    /// model's window (configured, catalogued or reported by its server),
    /// else 90% of [`UNKNOWN_WINDOW`].
    fn auto_compact_limit(&self) -> Option<u64> {
        match self.settings.config.model_auto_compact_token_limit {
            Some(0) => None,
            Some(limit) => Some(limit),
            None => Some(self.window() / 10 * 9),
        }
    }

    /// The model's context window (configured, catalogued or reported by
    /// its server), else [`UNKNOWN_WINDOW`].
    pub(crate) fn window(&self) -> u64 {
        self.context_window.unwrap_or(UNKNOWN_WINDOW)
    }

    /// What a request duet cuts down to fit may take: three quarters of
    /// the window, the rest left for the model's answer.
    pub(crate) fn usable_window(&self) -> u64 {
        self.window() / 4 * 3
    }

    pub(crate) fn request(
        &self,
        history: Vec<ResponseItem>,
        output_schema: Option<&serde_json::Value>,
    ) -> ResponsesRequest {
        let config = &self.settings.config;
        let reasoning = reasoning_for(config);
        let text = if config.model_verbosity.is_some() || output_schema.is_some() {
            Some(TextControls {
                verbosity: config.model_verbosity.clone(),
                format: output_schema.cloned().map(TextFormat::json_schema),
            })
        } else {
            None
        };
        let known = crate::catalogue::lookup(&config.model);
        // Chat servers pick their own limit unless the config names one;
        // the Anthropic API needs one, from the catalogue when unnamed.
        let max_output_tokens = match config.model_provider.wire_api {
            WireApi::Anthropic => config.max_output_tokens(),
            WireApi::Chat | WireApi::Responses => config.model_max_output_tokens,
        };
        ResponsesRequest {
            model: config.model.clone(),
            input: history,
            tools: {
                let mut specs = tools::specs(&config.tools);
                specs.extend(self.services.mcp.tool_specs());
                specs
            },
            tool_choice: "auto",
            parallel_tool_calls: known.is_none_or(|info| info.parallel_tool_calls),
            reasoning,
            store: false,
            stream: true,
            include: vec!["reasoning.encrypted_content"],
            prompt_cache_key: self.services.thread_id.clone(),
            text,
            max_output_tokens,
        }
    }

    /// What a model request calls before it retries (HTTP 429/5xx, a
    /// dropped connection): a `Reconnecting` event of this turn, so the
    /// user sees why nothing streams. Used by every request of the turn,
    /// compaction's included.
    pub(crate) fn retry_notices(&self) -> impl FnMut(duet_model::RetryNotice) + use<> {
        let events = self.services.events.clone();
        let turn_id = self.turn_id.clone();
        move |notice: duet_model::RetryNotice| {
            events.send(
                Some(&turn_id),
                EventMsg::Reconnecting(Reconnecting {
                    attempt: notice.attempt,
                    max_attempts: notice.max_attempts,
                    reason: notice.reason,
                    delay_ms: notice.delay.as_millis() as u64,
                }),
            );
        }
    }

    /// Run the calls of one response concurrently; outputs come back in call order.
    async fn run_tools(
        &mut self,
        calls: Vec<ToolCall>,
        cancel: &CancellationToken,
    ) -> Result<Vec<ResponseItem>, TurnError> {
        let mut set = tokio::task::JoinSet::new();
        let count = calls.len();
        for (index, call) in calls.into_iter().enumerate() {
            let services = Arc::clone(&self.services);
            let settings = self.settings.clone();
            let state = Arc::clone(&self.state);
            let turn_id = self.turn_id.clone();
            let cancel = cancel.clone();
            set.spawn(async move {
                (
                    index,
                    tools::dispatch(
                        ToolContext {
                            services: &services,
                            settings: &settings,
                        },
                        &state,
                        &turn_id,
                        call,
                        &cancel,
                    )
                    .await,
                )
            });
        }
        let mut outputs: Vec<Option<ResponseItem>> = vec![None; count];
        let mut fatal = None;
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((index, Ok(output))) => outputs[index] = Some(output),
                Ok((_, Err(TurnError::Fatal(message)))) => {
                    fatal.get_or_insert(message);
                }
                // Tools never stop a turn for its budget; only requests do.
                Ok((_, Err(TurnError::Cancelled | TurnError::Stopped(..)))) => {}
                Err(join_error) => {
                    fatal
                        .get_or_insert(format!("internal error: a tool task failed: {join_error}"));
                }
            }
        }
        if cancel.is_cancelled() {
            return Err(TurnError::Cancelled);
        }
        if let Some(message) = fatal {
            return Err(TurnError::Fatal(message));
        }
        Ok(outputs.into_iter().flatten().collect())
    }

    pub(crate) fn add_usage(&mut self, usage: duet_model::TokenUsage) {
        let last = Usage {
            input_tokens: usage.input_tokens,
            cached_input_tokens: usage.cached_input_tokens,
            cache_write_input_tokens: usage.cache_write_input_tokens,
            output_tokens: usage.output_tokens,
            reasoning_output_tokens: usage.reasoning_output_tokens,
        };
        self.turn_usage.add(&last);
        self.thread_usage.add(&last);
        self.context_tokens = last.input_tokens + last.output_tokens;
        // The cost ledger: written off the turn's path by the store's thread.
        let config = &self.settings.config;
        let cost = config
            .price()
            .map(|price| crate::catalogue::cost_pico(&price, &last));
        self.turn_cost.add(cost);
        self.requests += 1;
        self.services.recorder.request(
            &self.turn_id,
            (&config.model_provider.id, &config.model),
            &last,
            cost,
        );
        self.services.add_cost(cost);
        self.report_context(last);
    }

    /// Report the thread's usage and cost and how full the context is,
    /// after a response (`last`, its usage) or when no response said so
    /// (after a compaction, the new history's estimated size).
    pub(crate) fn report_context(&self, last: Usage) {
        self.send(EventMsg::TokenCount(TokenCount {
            last,
            total: self.thread_usage,
            context_tokens: self.context_tokens,
            context_window: self.window(),
            cost_usd: self.services.thread_cost().usd(),
        }));
    }

    fn complete(&self) {
        if let Some(item) = self.state.plan_item() {
            self.send(EventMsg::ItemCompleted { item });
        }
        self.send(EventMsg::TurnCompleted(TurnCompleted {
            usage: self.thread_usage,
            turn_usage: self.turn_usage,
            last_agent_message: self.last_agent_message.clone(),
            cost_usd: self.services.thread_cost().usd(),
            turn_cost_usd: self.turn_cost.usd(),
        }));
    }

    pub(crate) fn send(&self, msg: EventMsg) {
        self.services.events.send(Some(&self.turn_id), msg);
    }

    /// Hand the history items completed since the last call to the
    /// recorder, so that they are committed now, not when the turn ends.
    fn save_history(&mut self, history: &[ResponseItem]) {
        let new = history.get(self.saved..).unwrap_or_default();
        self.services.recorder.history(&self.turn_id, new);
        self.saved = history.len();
    }
}

/// Every call in the history must have an output, or the next request is
/// rejected; calls cut off by an interrupt or a failure get one that says so.
pub(crate) fn close_dangling_calls(history: &mut Vec<ResponseItem>) {
    let answered: std::collections::HashSet<String> = history
        .iter()
        .filter_map(|item| match item {
            ResponseItem::FunctionCallOutput { call_id, .. }
            | ResponseItem::CustomToolCallOutput { call_id, .. } => Some(call_id.clone()),
            _ => None,
        })
        .collect();
    let missing: Vec<ResponseItem> = history
        .iter()
        .filter_map(|item| match item {
            ResponseItem::FunctionCall { call_id, .. } if !answered.contains(call_id) => {
                Some(aborted_output(call_id.clone(), false))
            }
            ResponseItem::CustomToolCall { call_id, .. } if !answered.contains(call_id) => {
                Some(aborted_output(call_id.clone(), true))
            }
            _ => None,
        })
        .collect();
    history.extend(missing);
}

/// The output a call that never finished gets (`aborted`), of the kind its
/// call needs: a custom tool call's, or a function call's.
pub(crate) fn aborted_output(call_id: String, custom: bool) -> ResponseItem {
    if custom {
        ResponseItem::CustomToolCallOutput {
            call_id,
            output: "aborted".to_string(),
        }
    } else {
        ResponseItem::FunctionCallOutput {
            call_id,
            output: duet_model::FunctionCallOutput::Text("aborted".to_string()),
        }
    }
}

/// The text of a prompt as the transcript shows it (images as their paths).
fn prompt_text(inputs: &[UserInput]) -> String {
    inputs
        .iter()
        .map(|input| match input {
            UserInput::Text { text } => text.clone(),
            UserInput::LocalImage { path } => format!("[image {}]", path.display()),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn user_message(inputs: &[UserInput]) -> ResponseItem {
    let content = inputs
        .iter()
        .map(|input| match input {
            UserInput::Text { text } => ContentItem::InputText { text: text.clone() },
            UserInput::LocalImage { path } => match tools::image_data_url(path) {
                Ok(image_url) => ContentItem::InputImage { image_url },
                Err(error) => ContentItem::InputText {
                    text: format!("[image {} could not be attached: {error}]", path.display()),
                },
            },
        })
        .collect();
    ResponseItem::Message {
        id: None,
        role: "user".to_string(),
        content,
    }
}

/// `1 model request`, `2 model requests`.
fn requests(count: u64) -> String {
    format!("{count} model request{}", if count == 1 { "" } else { "s" })
}

/// `reasoning` of the request: what the config asks for; for reasoning
/// models with nothing configured, summaries on `auto`.
fn reasoning_for(config: &Config) -> Option<Reasoning> {
    let supported = config
        .model_supports_reasoning_summaries
        .unwrap_or_else(|| {
            crate::catalogue::lookup(&config.model).map_or_else(
                || is_reasoning_model(&config.model),
                |info| info.reasoning_summaries,
            )
        });
    let summary = match (
        config.model_supports_reasoning_summaries,
        config.model_reasoning_summary,
    ) {
        (Some(false), _) | (_, Some(ReasoningSummary::None)) => None,
        (_, Some(summary)) => Some(summary),
        (_, None) => supported.then_some(ReasoningSummary::Auto),
    };
    let effort = config.model_reasoning_effort;
    if effort.is_none() && summary.is_none() {
        return None;
    }
    Some(Reasoning { effort, summary })
}

fn is_reasoning_model(model: &str) -> bool {
    ["gpt-5", "gpt-6", "o1", "o3", "o4", "codex"]
        .iter()
        .any(|prefix| model.starts_with(prefix))
}
