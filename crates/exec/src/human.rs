//! The human renderer: [`Event`] in, transcript text for stderr out.
//!
//! It keeps only the bookkeeping needed to print each item once and well
//! (when a command started, what plan was last shown, the last error). It does
//! no IO and reads no clock: the caller passes the time since the run started,
//! so snapshot tests are deterministic. The final answer on stdout is not its
//! business (see `run.rs`).

use duet_protocol::{
    CommandStatus, Event, EventMsg, FileChangeKind, Item, ItemDetails, McpCallStatus, PatchStatus,
    ThreadStarted, TodoItem,
};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// Command output longer than this is cut in the middle.
pub const MAX_OUTPUT_LINES: usize = 200;

/// A compaction's summary longer than this is cut in the middle (all of
/// it is in `--json` and the saved session).
const MAX_SUMMARY_LINES: usize = 40;

/// What the renderer needs to know that is not in the events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HumanOptions {
    /// Emit ANSI colours.
    pub color: bool,
    /// The user's prompt, shown after the header.
    pub prompt: String,
    /// Shown in the header as `duet v<version>`.
    pub version: String,
}

#[derive(Debug)]
pub struct HumanRenderer {
    options: HumanOptions,
    cwd: PathBuf,
    /// When each running command started, by core item id.
    command_started_at: HashMap<String, Duration>,
    /// The item whose start line was the last thing printed, so a completion
    /// right after it does not repeat the command.
    last_started: Option<String>,
    /// The last plan shown for each todo-list item.
    shown_plans: HashMap<String, Vec<TodoItem>>,
    /// The last `ERROR:` printed, so a turn failure is not printed twice.
    last_error: Option<String>,
    /// How full the context is, as core last said: tokens taken, window.
    context: Option<(u64, u64)>,
    /// `provider/model`, for the cost line.
    model: String,
}

impl HumanRenderer {
    pub fn new(options: HumanOptions) -> Self {
        HumanRenderer {
            options,
            cwd: PathBuf::new(),
            command_started_at: HashMap::new(),
            last_started: None,
            shown_plans: HashMap::new(),
            last_error: None,
            context: None,
            model: String::new(),
        }
    }

    /// The text (possibly empty) this event adds to stderr. `at` is the time
    /// since the run started.
    pub fn render(&mut self, event: &Event, at: Duration) -> String {
        // Command output and model text may carry escape sequences (a
        // clipboard write, a screen clear, a title): shown, never obeyed.
        let event = &duet_protocol::display::visible(event);
        let mut out = String::new();
        let mut started = None;
        match &event.msg {
            EventMsg::ThreadStarted(thread) => {
                self.cwd = thread.cwd.clone();
                self.model = format!("{}/{}", thread.provider, thread.model);
                out.push_str(&self.header(thread));
                out.push_str(&self.label("user", "1;36"));
                push_block(&mut out, &self.options.prompt);
            }
            EventMsg::ItemStarted { item } => started = self.item_started(item, at, &mut out),
            EventMsg::ItemUpdated { item } => self.plan_if_changed(item, &mut out),
            EventMsg::ItemCompleted { item } => self.item_completed(item, at, &mut out),
            EventMsg::Warning { message } => self.warning(message, &mut out),
            EventMsg::Reconnecting(retry) => self.warning(
                &format!(
                    "{}; retrying in {:.1}s",
                    retry.message(),
                    retry.delay_ms as f64 / 1000.0
                ),
                &mut out,
            ),
            EventMsg::Error { message } => self.error(message, &mut out),
            EventMsg::TurnFailed { error } => {
                if self.last_error.as_deref() != Some(error.message.as_str()) {
                    self.error(&error.message, &mut out);
                }
            }
            EventMsg::TurnAborted { .. } => {
                out.push_str(&self.paint("turn interrupted", "1;33"));
                out.push('\n');
            }
            EventMsg::TurnCompleted(completed) => {
                self.totals(&completed.usage, completed.cost_usd, &mut out);
            }
            EventMsg::TurnStopped(stopped) => {
                out.push_str(&self.paint(
                    &format!(
                        "{}; the session is saved: `duet exec resume --last \"…\"` goes on",
                        stopped.message
                    ),
                    "1;33",
                ));
                out.push('\n');
                self.totals(&stopped.usage, stopped.cost_usd, &mut out);
            }
            EventMsg::TokenCount(count) => {
                self.context = Some((count.context_tokens, count.context_window));
            }
            EventMsg::ExecApprovalRequest(request) => self.warning(
                &format!(
                    "denied `{}`: duet exec cannot ask for approval; choose a --sandbox mode that allows it",
                    request.command
                ),
                &mut out,
            ),
            EventMsg::PatchApprovalRequest(_) => self.warning(
                "denied a patch: duet exec cannot ask for approval; choose a --sandbox mode that allows it",
                &mut out,
            ),
            EventMsg::McpApprovalRequest(request) => self.warning(
                &format!(
                    "denied MCP tool `{}` of `{}`: duet exec cannot ask for approval; set `mcp_servers.{}.tools.{}.approval_mode = \"approve\"` to allow it",
                    request.tool, request.server, request.server, request.tool
                ),
                &mut out,
            ),
            EventMsg::TurnStarted
            | EventMsg::AgentMessageDelta { .. }
            | EventMsg::ReasoningDelta { .. }
            | EventMsg::CommandOutputDelta { .. }
            | EventMsg::ContextCompacted
            | EventMsg::ThreadRolledBack { .. }
            | EventMsg::ModelList(_)
            | EventMsg::McpServers { .. }
            | EventMsg::CompactionReview { .. }
            | EventMsg::McpToolCallProgress { .. }
            | EventMsg::ShutdownComplete => {}
        }
        if !out.is_empty() {
            self.last_started = started;
        }
        out
    }

    fn header(&self, thread: &ThreadStarted) -> String {
        let mut sandbox = thread.sandbox.to_string();
        if !thread.writable_roots.is_empty() {
            let roots: Vec<String> = thread
                .writable_roots
                .iter()
                .map(|root| {
                    if *root == thread.cwd {
                        "workdir".to_owned()
                    } else {
                        root.display().to_string()
                    }
                })
                .collect();
            let _ = write!(sandbox, " [{}]", roots.join(", "));
        }
        let mut out = self.paint(&format!("duet v{}", self.options.version), "1");
        out.push_str("\n--------\n");
        let rows = [
            ("workdir", thread.cwd.display().to_string()),
            ("model", thread.model.clone()),
            ("provider", thread.provider.clone()),
            ("approval", thread.approval.to_string()),
            ("sandbox", sandbox),
            (
                "reasoning effort",
                thread
                    .reasoning_effort
                    .map_or("none", |e| e.as_str())
                    .to_owned(),
            ),
            (
                "reasoning summaries",
                thread
                    .reasoning_summary
                    .map_or("none", |s| s.as_str())
                    .to_owned(),
            ),
            ("session id", thread.thread_id.clone()),
        ];
        for (name, value) in rows {
            let _ = writeln!(out, "{}: {value}", self.paint(name, "1"));
        }
        out.push_str("--------\n");
        out
    }

    /// Returns the item id if a start line was printed.
    fn item_started(&mut self, item: &Item, at: Duration, out: &mut String) -> Option<String> {
        match &item.details {
            ItemDetails::CommandExecution { command, .. } => {
                self.command_started_at.insert(item.id.clone(), at);
                self.command_line(command, out);
                Some(item.id.clone())
            }
            ItemDetails::TodoList { .. } => {
                self.plan_if_changed(item, out);
                None
            }
            _ => None,
        }
    }

    fn item_completed(&mut self, item: &Item, at: Duration, out: &mut String) {
        match &item.details {
            ItemDetails::UserMessage { .. } => {}
            ItemDetails::AgentMessage { text } => {
                out.push_str(&self.label("duet", "1;3;35"));
                push_block(out, text);
            }
            ItemDetails::Reasoning { text } => {
                for line in text.lines() {
                    out.push_str(&self.paint(line, "2;3"));
                    out.push('\n');
                }
            }
            ItemDetails::CommandExecution {
                command,
                aggregated_output,
                exit_code,
                status,
            } => {
                if self.last_started.as_deref() != Some(item.id.as_str()) {
                    self.command_line(command, out);
                }
                let took = self
                    .command_started_at
                    .remove(&item.id)
                    .map(|start| at.saturating_sub(start));
                let took = took
                    .map(format_duration)
                    .map(|t| format!(" in {t}"))
                    .unwrap_or_default();
                let status_line = match (status, exit_code) {
                    (CommandStatus::Declined, _) => self.paint(" declined", "31"),
                    (_, Some(0)) => self.paint(&format!(" succeeded{took}:"), "32"),
                    (_, Some(code)) => self.paint(&format!(" exited {code}{took}:"), "31"),
                    (_, None) => self.paint(&format!(" failed{took}:"), "31"),
                };
                out.push_str(&status_line);
                out.push('\n');
                for line in cap_output(aggregated_output, MAX_OUTPUT_LINES).lines() {
                    out.push_str(&self.paint(line, "2"));
                    out.push('\n');
                }
            }
            ItemDetails::FileChange { changes, status } => {
                out.push_str(&self.label("apply patch", "1;35"));
                let (word, color) = match status {
                    PatchStatus::Completed => ("completed", "32"),
                    PatchStatus::Failed => ("failed", "31"),
                    PatchStatus::InProgress => ("in progress", "33"),
                };
                let _ = writeln!(out, "patch: {}", self.paint(word, color));
                for change in changes {
                    let kind = match change.kind {
                        FileChangeKind::Add => "A",
                        FileChangeKind::Delete => "D",
                        FileChangeKind::Update => "M",
                    };
                    let _ = writeln!(out, "{kind} {}", change.path);
                    if let Some(diff) = &change.diff {
                        for line in diff.lines() {
                            out.push_str(&self.diff_line(line));
                            out.push('\n');
                        }
                    }
                }
            }
            ItemDetails::McpToolCall {
                server,
                tool,
                arguments,
                result,
                error,
                status,
            } => {
                out.push_str(&self.label("tool", "1;35"));
                let _ = writeln!(
                    out,
                    "{}",
                    self.paint(&format!("{server}.{tool}({arguments})"), "1")
                );
                match (status, error) {
                    (_, Some(error)) => {
                        let _ = writeln!(
                            out,
                            "{}",
                            self.paint(&format!(" failed: {}", error.message), "31")
                        );
                    }
                    (McpCallStatus::Failed, None) => {
                        out.push_str(&format!("{}\n", self.paint(" failed:", "31")))
                    }
                    _ => out.push_str(&format!("{}\n", self.paint(" succeeded:", "32"))),
                }
                let texts = result
                    .iter()
                    .flat_map(|result| &result.content)
                    .filter_map(|c| c["text"].as_str());
                for text in texts {
                    for line in cap_output(text, MAX_OUTPUT_LINES).lines() {
                        out.push_str(&self.paint(line, "2"));
                        out.push('\n');
                    }
                }
            }
            ItemDetails::WebSearch { query } => {
                let _ = writeln!(out, "{} {query}", self.paint("web search:", "1;35"));
            }
            ItemDetails::TodoList { .. } => self.plan_if_changed(item, out),
            ItemDetails::Error { message } => self.warning(message, out),
            ItemDetails::ContextCompaction { summary, .. } => {
                if let Some(line) = item.details.compaction_line() {
                    out.push_str(&self.label(&line, "1;33"));
                }
                for line in cap_output(summary, MAX_SUMMARY_LINES).lines() {
                    out.push_str(&self.paint(line, "2"));
                    out.push('\n');
                }
            }
        }
    }

    /// The end of a turn: `tokens used`, the context left and the cost.
    fn totals(&self, usage: &duet_protocol::Usage, cost_usd: Option<f64>, out: &mut String) {
        out.push_str(&self.label("tokens used", "1;35"));
        out.push_str(&with_thousands(usage.blended_total()));
        out.push('\n');
        if let Some((taken, window)) = self.context {
            let _ = writeln!(
                out,
                "context left: {}% of {}",
                duet_protocol::context_left_percent(taken, window),
                with_thousands(window)
            );
        }
        let _ = writeln!(out, "{}", self.cost_line(usage, cost_usd));
    }

    /// `cost: $0.0071 · 20% of input from cache`, thread-cumulative like
    /// `tokens used`; without a price, what to set instead of a guess.
    fn cost_line(&self, usage: &duet_protocol::Usage, cost_usd: Option<f64>) -> String {
        let mut line = match cost_usd {
            Some(dollars) => format!("cost: {}", duet_protocol::display::format_usd(dollars)),
            None => format!(
                "cost: unknown (no price for `{model}`: set `[model_prices.\"{model}\"]`)",
                model = self.model
            ),
        };
        if let Some(hit) =
            duet_protocol::display::cache_hit_percent(usage.input_tokens, usage.cached_input_tokens)
        {
            line.push_str(&format!(" · {hit}% of input from cache"));
        }
        line
    }

    fn command_line(&self, command: &str, out: &mut String) {
        out.push_str(&self.label("exec", "1;35"));
        let _ = writeln!(
            out,
            "{} in {}",
            self.paint(command, "1"),
            self.cwd.display()
        );
    }

    /// Print a plan unless this exact plan was the last one shown for the item.
    fn plan_if_changed(&mut self, item: &Item, out: &mut String) {
        let ItemDetails::TodoList { items } = &item.details else {
            return;
        };
        if self.shown_plans.get(&item.id) == Some(items) {
            return;
        }
        self.shown_plans.insert(item.id.clone(), items.clone());
        out.push_str(&self.label("plan", "1;35"));
        for step in items {
            let mark = if step.completed {
                self.paint("✓", "32")
            } else {
                "•".to_owned()
            };
            let _ = writeln!(out, "  {mark} {}", step.text);
        }
    }

    fn warning(&self, message: &str, out: &mut String) {
        let _ = writeln!(out, "{} {message}", self.paint("warning:", "1;33"));
    }

    fn error(&mut self, message: &str, out: &mut String) {
        let _ = writeln!(out, "{} {message}", self.paint("ERROR:", "1;31"));
        self.last_error = Some(message.to_owned());
    }

    fn diff_line(&self, line: &str) -> String {
        if line.starts_with("+++") || line.starts_with("---") {
            self.paint(line, "1")
        } else if line.starts_with('+') {
            self.paint(line, "32")
        } else if line.starts_with('-') {
            self.paint(line, "31")
        } else if line.starts_with("@@") {
            self.paint(line, "36")
        } else {
            line.to_owned()
        }
    }

    /// A section label on its own line.
    fn label(&self, text: &str, codes: &str) -> String {
        format!("{}\n", self.paint(text, codes))
    }

    fn paint(&self, text: &str, codes: &str) -> String {
        if self.options.color && !text.is_empty() {
            format!("\x1b[{codes}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// Append `text`, ending it with exactly the newline it has or one added.
fn push_block(out: &mut String, text: &str) {
    out.push_str(text);
    if !text.ends_with('\n') {
        out.push('\n');
    }
}

/// Keep the first and last `max_lines / 2` lines of long output.
pub fn cap_output(text: &str, max_lines: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= max_lines {
        return text.to_owned();
    }
    let keep = max_lines / 2;
    let omitted = lines.len() - 2 * keep;
    let mut out = lines[..keep].join("\n");
    let _ = write!(out, "\n… {omitted} lines omitted …\n");
    out.push_str(&lines[lines.len() - keep..].join("\n"));
    out.push('\n');
    out
}

pub use duet_protocol::display::{format_duration, with_thousands};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use pretty_assertions::assert_eq;

    fn render_all(events: &[Event], color: bool) -> String {
        let mut renderer = HumanRenderer::new(HumanOptions {
            color,
            prompt: "create hello.txt".into(),
            version: "0.1.0".into(),
        });
        // Each event arrives 7 ms after the previous one.
        let step = Duration::from_millis(7);
        events
            .iter()
            .zip(1u32..)
            .map(|(event, n)| renderer.render(event, step * n))
            .collect()
    }

    /// Issue 16, item 8: escape sequences in command output and model text
    /// reached the terminal (an OSC 52 clipboard write, a screen clear).
    #[test]
    fn control_characters_from_commands_and_the_model_are_shown_escaped() {
        let mut events = fixtures::successful_turn();
        let injected = "\x1b]52;c;ZXZpbA==\x07\x1b[2J";
        for event in &mut events {
            let mut json = serde_json::to_value(&*event).unwrap();
            inject(&mut json, injected);
            *event = serde_json::from_value(json).unwrap();
        }
        let shown = render_all(&events, true);
        let without_our_styling = shown.replace("\x1b[0m", "").replace("\x1b[", "");
        assert!(!without_our_styling.contains('\x1b'), "{shown}");
        assert!(!shown.contains('\x07'), "{shown}");
        assert!(
            shown.contains("\\x1b]52;c;ZXZpbA==\\x07\\x1b[2J"),
            "{shown}"
        );
    }

    /// Append `text` to every string of the message texts and outputs.
    fn inject(json: &mut serde_json::Value, text: &str) {
        match json {
            serde_json::Value::Object(fields) => {
                for (name, field) in fields.iter_mut() {
                    match field {
                        serde_json::Value::String(value)
                            if matches!(
                                name.as_str(),
                                "text" | "aggregated_output" | "command" | "message"
                            ) =>
                        {
                            value.push_str(text)
                        }
                        _ => inject(field, text),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|item| inject(item, text)),
            _ => {}
        }
    }

    #[test]
    fn every_fixture_event_survives_the_visible_round_trip() {
        let events: Vec<Event> = [
            fixtures::successful_turn(),
            fixtures::failed_turn_with_retries(),
            fixtures::interrupted_turn(),
        ]
        .concat();
        for event in events {
            let json = serde_json::to_value(&event).unwrap();
            let back: Event = serde_json::from_value(json).unwrap();
            assert_eq!(back, event);
        }
    }

    #[test]
    fn successful_turn() {
        insta::assert_snapshot!(render_all(&fixtures::successful_turn(), false));
    }

    #[test]
    fn successful_turn_in_colour() {
        insta::assert_snapshot!(render_all(&fixtures::successful_turn(), true));
    }

    #[test]
    fn failed_turn_prints_the_final_error_once() {
        insta::assert_snapshot!(render_all(&fixtures::failed_turn_with_retries(), false));
    }

    #[test]
    fn interrupted_turn() {
        insta::assert_snapshot!(render_all(&fixtures::interrupted_turn(), false));
    }

    #[test]
    fn long_output_is_cut_in_the_middle() {
        let text: String = (1..=7).map(|n| format!("line {n}\n")).collect();
        assert_eq!(
            cap_output(&text, 4),
            "line 1\nline 2\n… 3 lines omitted …\nline 6\nline 7\n"
        );
        assert_eq!(cap_output(&text, 7), text);
    }

    #[test]
    fn thousands_separators() {
        let got: Vec<String> = [0, 999, 1000, 3460, 1_234_567]
            .into_iter()
            .map(with_thousands)
            .collect();
        assert_eq!(got, ["0", "999", "1,000", "3,460", "1,234,567"]);
    }

    #[test]
    fn durations() {
        let got: Vec<String> = [0, 25, 1500, 125_000]
            .into_iter()
            .map(|ms| format_duration(Duration::from_millis(ms)))
            .collect();
        assert_eq!(got, ["0ms", "25ms", "1.5s", "2m 05s"]);
    }
}
