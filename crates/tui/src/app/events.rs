//! Session events into app state: items start, stream and finish as live
//! cells; turn ends flush them; approvals open the modal; usage feeds the
//! status line.

use super::{App, Outgoing, SessionInfo};
use crate::approval::{Modal, Request};
use crate::history::command::CommandRun;
use crate::history::{Cell, NoticeKind};
use duet_protocol::{
    AbortReason, CommandStatus, Event, EventMsg, Item, ItemDetails, McpCallStatus,
};

/// Output kept per running command; older output is dropped from the front
/// (only a tail is shown while it runs, and the full output comes with the
/// completed item).
const MAX_LIVE_OUTPUT: usize = 64 * 1024;

impl App {
    pub(super) fn on_core(&mut self, event: Event) {
        match event.msg {
            EventMsg::ThreadStarted(thread) => {
                self.turn.session = Some(SessionInfo {
                    thread_id: thread.thread_id.clone(),
                    model: thread.model.clone(),
                    provider: thread.provider,
                    cwd: thread.cwd.clone(),
                    sandbox: thread.sandbox,
                    approval: thread.approval,
                    reasoning_effort: thread.reasoning_effort,
                });
                self.push_cell(Cell::Header {
                    version: self.view.version.clone(),
                    model: thread.model,
                    cwd: thread.cwd,
                });
                self.draw_transcript(&thread.thread_id);
                self.turn.last_thread_id = Some(thread.thread_id);
                self.send_initial_message();
            }
            EventMsg::TurnStarted => {
                if self.turn.turn_started.is_none() {
                    self.turn.turn_started = Some(self.now);
                    self.tick(self.now);
                }
            }
            EventMsg::ItemStarted { item } => self.item_started(item),
            EventMsg::ItemUpdated { item } => {
                if let ItemDetails::TodoList { items } = item.details {
                    self.plan(items);
                }
            }
            EventMsg::ItemCompleted { item } => self.item_completed(item),
            EventMsg::AgentMessageDelta { item_id, delta } => {
                self.transcript.live.answer_mut(&item_id).push(&delta);
            }
            EventMsg::ReasoningDelta { item_id, delta } => {
                self.transcript
                    .live
                    .reasoning_mut(&item_id)
                    .0
                    .push_str(&delta);
            }
            EventMsg::CommandOutputDelta { item_id, chunk } => {
                if let Some(run) = self.transcript.live.run_mut(&item_id) {
                    run.output.push_str(&chunk);
                    if run.output.len() > MAX_LIVE_OUTPUT {
                        let mut cut = run.output.len() - MAX_LIVE_OUTPUT;
                        while !run.output.is_char_boundary(cut) {
                            cut += 1;
                        }
                        run.output.drain(..cut);
                    }
                }
            }
            EventMsg::TokenCount(count) => {
                self.turn.usage = count.total;
                self.turn.context_tokens = count.context_tokens;
                self.turn.cost_usd = count.cost_usd;
                self.turn.context_window = Some(count.context_window);
            }
            // The compaction's item has shown it.
            EventMsg::ContextCompacted => {}
            EventMsg::CompactionReview { summary } => self.review_compaction(summary),
            EventMsg::TurnCompleted(completed) => {
                self.turn.usage = completed.usage;
                self.turn.cost_usd = completed.cost_usd;
                self.notify("duet: turn finished");
                self.end_turn(Some("Worked for".to_owned()), false);
            }
            EventMsg::TurnStopped(stopped) => {
                self.turn.usage = stopped.usage;
                self.turn.cost_usd = stopped.cost_usd;
                self.notice(
                    NoticeKind::Warning,
                    format!(
                        "{}; send a message to go on (each message has the same allowance)",
                        stopped.message
                    ),
                );
                self.notify("duet: turn stopped at its budget");
                self.end_turn(Some("Stopped after".to_owned()), false);
            }
            EventMsg::TurnFailed { error } => {
                if self.transcript.last_error.as_deref() != Some(error.message.as_str()) {
                    self.notice(NoticeKind::Error, error.message);
                }
                self.end_turn(Some("Failed after".to_owned()), false);
            }
            EventMsg::TurnAborted { reason } => {
                self.turn.approvals.clear();
                if reason == AbortReason::Interrupted {
                    self.notice(
                        NoticeKind::Error,
                        "Conversation interrupted: tell duet what to do differently".to_owned(),
                    );
                }
                self.end_turn(None, true);
            }
            EventMsg::Warning { message } => self.notice(NoticeKind::Warning, message),
            EventMsg::Reconnecting(retry) => self.notice(NoticeKind::Warning, retry.message()),
            EventMsg::Error { message } => {
                self.transcript.last_error = Some(message.clone());
                self.notice(NoticeKind::Error, message);
            }
            EventMsg::ExecApprovalRequest(request) => {
                self.notify("duet: approval needed");
                self.turn
                    .approvals
                    .push_back(Modal::new(Request::Exec(request)));
            }
            EventMsg::PatchApprovalRequest(request) => {
                self.notify("duet: approval needed");
                self.turn
                    .approvals
                    .push_back(Modal::new(Request::Patch(request)));
            }
            EventMsg::McpApprovalRequest(request) => {
                self.notify("duet: approval needed");
                self.turn
                    .approvals
                    .push_back(Modal::new(Request::Mcp(request)));
            }
            EventMsg::McpToolCallProgress { item_id, message } => {
                if let Some(call) = self.transcript.mcp_calls.get(&item_id) {
                    self.hint = Some(format!("{call}: {message}"));
                }
            }
            EventMsg::McpServers { servers } => {
                let card = crate::app::commands::mcp_card(&servers, self.view.mcp_verbose);
                self.push_cell(card);
            }
            EventMsg::ThreadRolledBack { num_turns } => self.rolled_back(num_turns),
            EventMsg::ModelList(list) => self.model_list(list),
            EventMsg::ShutdownComplete => self.quit = true,
        }
    }

    /// The provider's models came: the `/model` picker, if still open,
    /// lists them.
    fn model_list(&mut self, list: duet_protocol::ModelList) {
        let Some(crate::app::Overlay::Picker(picker)) = &mut self.view.overlay else {
            return;
        };
        if !picker.is_models() {
            return;
        }
        let current = self.turn.session.as_ref().map_or("", |s| s.model.as_str());
        let selected = picker.selected;
        *picker = crate::picker::Picker::models(current, Some(&list));
        picker.selected = selected.min(picker.rows.len().saturating_sub(1));
        for warning in list.warnings {
            self.push_cell(Cell::Notice {
                kind: NoticeKind::Warning,
                text: warning,
            });
        }
    }

    pub(super) fn item_started(&mut self, item: Item) {
        match item.details {
            ItemDetails::CommandExecution { command, .. } => {
                let mut run = CommandRun::new(item.id.clone(), &command);
                run.status = CommandStatus::InProgress;
                self.transcript.command_started.insert(item.id, self.now);
                self.transcript.live.start_command(run);
            }
            ItemDetails::FileChange { changes, status } => {
                self.transcript.live.patch(&item.id, changes, status);
            }
            ItemDetails::TodoList { items } => self.plan(items),
            ItemDetails::AgentMessage { .. } => {
                self.transcript.live.answer_mut(&item.id);
            }
            ItemDetails::Reasoning { .. } => {
                self.transcript.live.reasoning_mut(&item.id);
            }
            ItemDetails::McpToolCall { server, tool, .. } => {
                let call = format!("{server}.{tool}");
                self.hint = Some(format!("calling {call}…"));
                self.transcript.mcp_calls.insert(item.id, call);
            }
            _ => {}
        }
    }

    pub(super) fn item_completed(&mut self, item: Item) {
        match item.details {
            ItemDetails::AgentMessage { text } => {
                self.transcript.live.finish_answer(&item.id, &text)
            }
            ItemDetails::Reasoning { text } => {
                let (current, done) = self.transcript.live.reasoning_mut(&item.id);
                if !text.is_empty() {
                    *current = text;
                }
                *done = true;
            }
            ItemDetails::CommandExecution {
                command,
                aggregated_output,
                exit_code,
                status,
            } => {
                let started = self.transcript.command_started.remove(&item.id);
                if self.transcript.live.run_mut(&item.id).is_none() {
                    self.transcript
                        .live
                        .start_command(CommandRun::new(item.id.clone(), &command));
                }
                if let Some(run) = self.transcript.live.run_mut(&item.id) {
                    run.output = aggregated_output;
                    run.exit_code = exit_code;
                    run.status = status;
                    run.duration = started.map(|at| self.now - at);
                }
            }
            ItemDetails::FileChange { changes, status } => {
                self.transcript.live.patch(&item.id, changes, status);
            }
            ItemDetails::TodoList { items } => self.plan(items),
            ItemDetails::McpToolCall {
                server,
                tool,
                error,
                status,
                ..
            } => {
                if self.transcript.mcp_calls.remove(&item.id).is_some()
                    && self.transcript.mcp_calls.is_empty()
                {
                    self.hint = None;
                }
                let text = match (status, error) {
                    (McpCallStatus::Failed, Some(error)) => {
                        format!("Called {server}.{tool}: failed: {}", error.message)
                    }
                    _ => format!("Called {server}.{tool}"),
                };
                self.notice(NoticeKind::Info, text);
            }
            ItemDetails::WebSearch { query } => {
                self.notice(NoticeKind::Info, format!("Searched the web for {query}"));
            }
            ItemDetails::Error { message } => self.notice(NoticeKind::Error, message),
            ItemDetails::ContextCompaction { ref summary, .. } => {
                let title = item.details.compaction_line().unwrap_or_default();
                let summary = summary.clone();
                self.push_cell(Cell::Compaction { title, summary });
            }
            ItemDetails::UserMessage { .. } => {}
        }
    }

    /// Show the plan, unless it is the one shown last.
    fn plan(&mut self, items: Vec<duet_protocol::TodoItem>) {
        if self.transcript.last_plan.as_ref() == Some(&items) {
            return;
        }
        self.transcript.last_plan = Some(items.clone());
        self.transcript.live.close_groups();
        self.push_cell(Cell::Plan { items });
    }

    /// Start over with a new session (`/new`): the old transcript stays in
    /// the scrollback; state tied to the old session goes.
    pub(super) fn new_session(&mut self) {
        self.send(Outgoing::NewSession);
        self.reset_session_state();
        self.notice(NoticeKind::Info, "Starting a new session".to_owned());
    }

    /// Forget what belonged to the session being replaced.
    pub(super) fn reset_session_state(&mut self) {
        self.turn.session = None;
        self.turn.session_name = None;
        self.turn.usage = duet_protocol::Usage::default();
        self.turn.context_tokens = 0;
        self.turn.context_window = None;
        self.turn.cost_usd = None;
        self.turn.approvals.clear();
        self.turn.queued.clear();
        self.transcript.last_plan = None;
    }
}
