//! The approval modal: a command (with its cwd, the model's justification
//! and the prefix "always" would save), a patch (its diff) or an MCP tool
//! call (its arguments) waiting for the user's answer, and the keys that
//! answer it.
//!
//! Keys: `y` once, `a` for this session, `s` always (only when core
//! proposed a rule to save), `n` deny (then optional feedback for the model,
//! sent as the next message), `Esc` deny and stop the turn. Keyboard only.

use crate::history::patch::patch_lines;
use crate::theme::Theme;
use crate::wrap::wrap_text;
use duet_protocol::{
    ExecApprovalRequest, McpApprovalRequest, Op, PatchApprovalRequest, ReviewDecision,
};
use ratatui::text::{Line, Span};

/// The most lines of an MCP call's arguments the modal shows.
const ARGUMENT_LINES: usize = 12;

#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Exec(ExecApprovalRequest),
    Patch(PatchApprovalRequest),
    Mcp(McpApprovalRequest),
}

/// A request on screen, and whether the user is typing feedback after `n`.
#[derive(Debug, Clone, PartialEq)]
pub struct Modal {
    pub request: Request,
    /// `Some` after `n`: the feedback typed so far.
    pub feedback: Option<String>,
}

/// What a key did to the modal.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Still open (a key that means nothing here, or feedback typing).
    Open,
    /// Answered: send the op; `feedback` (if any) is the user's next message;
    /// `summary` is the history line recording the answer.
    Done {
        op: Op,
        feedback: Option<String>,
        summary: String,
        approved: bool,
    },
}

impl Modal {
    pub fn new(request: Request) -> Modal {
        Modal {
            request,
            feedback: None,
        }
    }

    fn call_id(&self) -> &str {
        match &self.request {
            Request::Exec(r) => &r.call_id,
            Request::Patch(r) => &r.call_id,
            Request::Mcp(r) => &r.call_id,
        }
    }

    fn proposed_rule(&self) -> Option<&[String]> {
        match &self.request {
            Request::Exec(r) => r.proposed_rule.as_deref(),
            Request::Patch(_) | Request::Mcp(_) => None,
        }
    }

    fn what(&self) -> String {
        match &self.request {
            Request::Exec(r) => format!(
                "run `{}`",
                crate::history::command::strip_shell_wrapper(&r.command)
            ),
            Request::Patch(r) => match r.changes.as_slice() {
                [one] => format!("edit `{}`", one.path),
                many => format!("edit {} files", many.len()),
            },
            Request::Mcp(r) => format!("call `{}` of the MCP server `{}`", r.tool, r.server),
        }
    }

    fn answer(&self, decision: ReviewDecision, feedback: Option<String>) -> Answer {
        let call_id = self.call_id().to_owned();
        let op = match self.request {
            Request::Exec(_) => Op::ExecApproval { call_id, decision },
            Request::Patch(_) => Op::PatchApproval { call_id, decision },
            Request::Mcp(_) => Op::McpApproval { call_id, decision },
        };
        let what = self.what();
        let summary = match decision {
            ReviewDecision::Approved => format!("You approved duet to {what} this time"),
            ReviewDecision::ApprovedForSession => {
                format!("You approved duet to {what} for this session")
            }
            ReviewDecision::ApprovedAndSaveRule => format!(
                "You approved duet to {what}, and always for commands that start with `{}`",
                self.proposed_rule().unwrap_or_default().join(" ")
            ),
            ReviewDecision::Denied => format!("You denied duet to {what}"),
            ReviewDecision::Abort => format!("You denied duet to {what} and stopped the turn"),
        };
        let approved = matches!(
            decision,
            ReviewDecision::Approved
                | ReviewDecision::ApprovedForSession
                | ReviewDecision::ApprovedAndSaveRule
        );
        Answer::Done {
            op,
            feedback,
            summary,
            approved,
        }
    }

    /// A typed character (no modifiers but Shift).
    pub fn on_char(&mut self, ch: char) -> Answer {
        if let Some(feedback) = &mut self.feedback {
            feedback.push(ch);
            return Answer::Open;
        }
        match ch.to_ascii_lowercase() {
            'y' => self.answer(ReviewDecision::Approved, None),
            'a' => self.answer(ReviewDecision::ApprovedForSession, None),
            's' if self.proposed_rule().is_some() => {
                self.answer(ReviewDecision::ApprovedAndSaveRule, None)
            }
            'n' => {
                self.feedback = Some(String::new());
                Answer::Open
            }
            _ => Answer::Open,
        }
    }

    pub fn on_backspace(&mut self) {
        if let Some(feedback) = &mut self.feedback {
            feedback.pop();
        }
    }

    /// Enter: sends the feedback after `n`; otherwise nothing.
    pub fn on_enter(&mut self) -> Answer {
        match self.feedback.take() {
            Some(text) => {
                let text = text.trim().to_owned();
                self.answer(ReviewDecision::Denied, (!text.is_empty()).then_some(text))
            }
            None => Answer::Open,
        }
    }

    pub fn on_esc(&mut self) -> Answer {
        self.answer(ReviewDecision::Abort, None)
    }

    pub fn lines(&self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        let indent = [Span::raw("  ")];
        let mut lines = Vec::new();
        match &self.request {
            Request::Exec(request) => {
                lines.push(Line::from(Span::styled(
                    "Would you like to run the following command?",
                    theme.bold(),
                )));
                lines.push(Line::default());
                let command = crate::history::command::strip_shell_wrapper(&request.command);
                let dollar = [Span::styled("$ ", theme.dim())];
                lines.extend(wrap_text(&command, theme.plain(), width, &dollar, &indent));
                lines.push(Line::from(vec![
                    Span::styled("  in ", theme.dim()),
                    Span::raw(request.cwd.display().to_string()),
                ]));
                if let Some(reason) = &request.justification {
                    let label = [Span::styled("  Reason: ", theme.dim())];
                    lines.extend(wrap_text(reason, theme.plain(), width, &label, &indent));
                }
            }
            Request::Patch(request) => {
                lines.push(Line::from(Span::styled(
                    "Would you like to make the following edits?",
                    theme.bold(),
                )));
                if let Some(reason) = &request.justification {
                    let label = [Span::styled("  Reason: ", theme.dim())];
                    lines.extend(wrap_text(reason, theme.plain(), width, &label, &indent));
                }
                lines.push(Line::default());
                lines.extend(patch_lines(&request.changes, width, theme));
            }
            Request::Mcp(request) => {
                lines.push(Line::from(Span::styled(
                    format!(
                        "Would you like to call the tool `{}` of the MCP server `{}`?",
                        request.tool, request.server
                    ),
                    theme.bold(),
                )));
                lines.push(Line::default());
                let arguments = serde_json::to_string_pretty(&request.arguments)
                    .unwrap_or_else(|_| request.arguments.to_string());
                for line in arguments.lines().take(ARGUMENT_LINES) {
                    lines.extend(wrap_text(line, theme.code(), width, &indent, &indent));
                }
                let more = arguments.lines().count().saturating_sub(ARGUMENT_LINES);
                if more > 0 {
                    lines.push(Line::from(Span::styled(
                        format!("  … {more} more lines"),
                        theme.dim(),
                    )));
                }
            }
        }
        lines.push(Line::default());
        match &self.feedback {
            Some(feedback) => {
                lines.push(Line::from(Span::styled(
                    "Tell duet what to do differently (enter to send, empty to just deny, esc to stop the turn):",
                    theme.bold(),
                )));
                let prompt = [Span::styled("› ", theme.accent())];
                lines.extend(wrap_text(feedback, theme.plain(), width, &prompt, &indent));
            }
            None => {
                let key = |k: &str| Span::styled(k.to_owned(), theme.selected());
                lines.push(Line::from(vec![key("y"), Span::raw("  Yes, this time")]));
                lines.push(Line::from(vec![
                    key("a"),
                    Span::raw("  Yes, and don't ask again this session"),
                ]));
                if let Some(rule) = self.proposed_rule() {
                    lines.push(Line::from(vec![
                        key("s"),
                        Span::raw("  Yes, always: save a rule for commands that start with "),
                        Span::styled(format!("`{}`", rule.join(" ")), theme.code()),
                    ]));
                }
                lines.push(Line::from(vec![
                    key("n"),
                    Span::raw("  No, and tell duet what to do differently"),
                ]));
                lines.push(Line::from(vec![
                    key("esc"),
                    Span::raw(" No, and stop the turn"),
                ]));
            }
        }
        lines.push(Line::default());
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn exec(rule: Option<&[&str]>) -> Modal {
        Modal::new(Request::Exec(ExecApprovalRequest {
            call_id: "c1".into(),
            command: "/bin/bash -lc 'cargo test'".into(),
            cwd: "/repo".into(),
            justification: Some("run the tests".into()),
            proposed_rule: rule.map(|r| r.iter().map(|s| (*s).to_owned()).collect()),
        }))
    }

    fn decision(answer: Answer) -> Option<(ReviewDecision, Option<String>)> {
        match answer {
            Answer::Done {
                op: Op::ExecApproval { decision, .. },
                feedback,
                ..
            } => Some((decision, feedback)),
            _ => None,
        }
    }

    #[test]
    fn mnemonic_keys_answer() {
        let got = [
            decision(exec(None).on_char('y')),
            decision(exec(None).on_char('A')),
            decision(exec(Some(&["cargo", "test"])).on_char('s')),
            decision(exec(None).on_char('s')),
            decision(exec(None).on_esc()),
        ];
        assert_eq!(
            got,
            [
                Some((ReviewDecision::Approved, None)),
                Some((ReviewDecision::ApprovedForSession, None)),
                Some((ReviewDecision::ApprovedAndSaveRule, None)),
                None,
                Some((ReviewDecision::Abort, None)),
            ]
        );
    }

    #[test]
    fn no_then_feedback_denies_and_carries_the_message() {
        let mut modal = exec(None);
        assert_eq!(modal.on_char('n'), Answer::Open);
        for ch in "use nextestx".chars() {
            modal.on_char(ch);
        }
        modal.on_backspace();
        assert_eq!(
            modal.on_enter(),
            Answer::Done {
                op: Op::ExecApproval {
                    call_id: "c1".into(),
                    decision: ReviewDecision::Denied
                },
                feedback: Some("use nextest".into()),
                summary: "You denied duet to run `cargo test`".into(),
                approved: false,
            }
        );
    }

    #[test]
    fn an_mcp_call_shows_its_arguments_and_answers_with_its_op() {
        let mut modal = Modal::new(Request::Mcp(McpApprovalRequest {
            call_id: "m1".into(),
            server: "tracker".into(),
            tool: "create_issue".into(),
            arguments: serde_json::json!({"title": "Crash on start", "labels": ["bug"]}),
        }));
        let text: Vec<String> = modal
            .lines(60, Theme::new(false))
            .iter()
            .map(|line| {
                line.spans
                    .iter()
                    .map(|span| span.content.as_ref())
                    .collect()
            })
            .collect();
        assert_eq!(
            text[..8],
            [
                "Would you like to call the tool `create_issue` of the MCP server `tracker`?",
                "",
                "  {",
                "    \"title\": \"Crash on start\",",
                "    \"labels\": [",
                "      \"bug\"",
                "    ]",
                "  }",
            ]
        );
        assert!(!text.iter().any(|line| line.contains("Yes, always")));
        assert_eq!(
            modal.on_char('a'),
            Answer::Done {
                op: Op::McpApproval {
                    call_id: "m1".into(),
                    decision: ReviewDecision::ApprovedForSession
                },
                feedback: None,
                summary: "You approved duet to call `create_issue` of the MCP server `tracker` for this session".into(),
                approved: true,
            }
        );
    }
}
