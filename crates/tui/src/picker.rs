//! A list to choose one row from, shown in the bottom pane in place of the
//! composer: `/model` (then the reasoning effort) and `/permissions`.
//!
//! Data and rendering only: what a chosen row does is `app/commands.rs`'s
//! business. Keys: Up/Down (or k/j) move, a row's number picks it, Enter
//! picks the highlighted one, Esc closes.

use crate::theme::Theme;
use crate::wrap::{truncate_line, wrap_text};
use duet_protocol::{ApprovalPolicy, ModelEntry, ModelList, ReasoningEffort, SandboxMode};
use ratatui::text::{Line, Span};

/// What choosing a row means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Model(String),
    Effort {
        model: String,
        /// `None`: the model's own default (left unset).
        effort: Option<ReasoningEffort>,
    },
    Permissions {
        sandbox: SandboxMode,
        approval: ApprovalPolicy,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub description: String,
    /// The setting in force now (marked in the list).
    pub current: bool,
    pub choice: Choice,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub title: String,
    pub rows: Vec<Row>,
    pub selected: usize,
}

/// What a key did to the picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerKey {
    Open,
    Closed,
    Chosen(Choice),
}

const MODEL_PICKER_TITLE: &str = "Choose a model for the next turns";

/// `272k context · $1.25 in, $10 out per M tokens`.
fn model_description(entry: &ModelEntry, listed: bool) -> String {
    let mut parts = Vec::new();
    if let Some(window) = entry.context_window {
        parts.push(format!("{} context", short_count(window)));
    }
    if let Some(price) = entry.price {
        parts.push(format!(
            "${} in, ${} out per M tokens",
            price.input, price.output
        ));
    }
    if listed && !entry.served {
        parts.push("not listed by the server".to_owned());
    }
    parts.join(" · ")
}

/// `8k`, `272k`, `1M`.
fn short_count(tokens: u64) -> String {
    if tokens >= 1_000_000 && tokens % 1_000_000 < 50_000 {
        format!("{}M", tokens / 1_000_000)
    } else if tokens >= 1_000 {
        format!("{}k", (tokens + 500) / 1_000)
    } else {
        tokens.to_string()
    }
}

/// Reasoning efforts from least to most, as Alt+, and Alt+. step through them.
pub const EFFORTS: &[(ReasoningEffort, &str)] = &[
    (ReasoningEffort::Minimal, "fastest, least thinking"),
    (ReasoningEffort::Low, "quick answers to clear tasks"),
    (ReasoningEffort::Medium, "balanced (the usual default)"),
    (ReasoningEffort::High, "thinks longer on hard problems"),
    (ReasoningEffort::Xhigh, "the most thinking, slowest"),
];

/// The permission presets of `/permissions`: label, description, modes.
pub const PRESETS: &[(&str, &str, SandboxMode, ApprovalPolicy)] = &[
    (
        "Read only",
        "read files; ask before anything that writes",
        SandboxMode::ReadOnly,
        ApprovalPolicy::OnRequest,
    ),
    (
        "Auto",
        "edit and run commands in the workspace; ask to leave it",
        SandboxMode::WorkspaceWrite,
        ApprovalPolicy::OnRequest,
    ),
    (
        "Full access",
        "no sandbox, never ask",
        SandboxMode::DangerFullAccess,
        ApprovalPolicy::Never,
    ),
];

impl Picker {
    /// `/model`: the model in use first, then the provider's others
    /// (what its server lists, merged with duet's catalogue). Until the
    /// list comes (`None`), only the model in use.
    pub fn models(current: &str, list: Option<&ModelList>) -> Picker {
        let listed = list.is_some_and(|list| list.listed);
        let row = |entry: Option<&ModelEntry>, id: &str| Row {
            label: id.to_owned(),
            description: entry.map_or_else(String::new, |entry| model_description(entry, listed)),
            current: id == current,
            choice: Choice::Model(id.to_owned()),
        };
        let mut rows = vec![row(
            list.and_then(|list| list.models.iter().find(|entry| entry.id == current)),
            current,
        )];
        match list {
            None => rows[0].description = "loading the provider's models…".to_owned(),
            Some(list) => rows.extend(
                list.models
                    .iter()
                    .filter(|entry| entry.id != current)
                    .map(|entry| row(Some(entry), &entry.id)),
            ),
        }
        Picker::new(MODEL_PICKER_TITLE, rows, 0)
    }

    /// Whether this is the `/model` picker (which a late model list updates).
    pub fn is_models(&self) -> bool {
        self.title == MODEL_PICKER_TITLE
    }

    /// The second step of `/model`: the reasoning effort for `model`.
    ///
    /// "default" (the model's own: no effort is sent) comes first.
    pub fn efforts(model: &str, current: Option<ReasoningEffort>) -> Picker {
        let choice = |effort| Choice::Effort {
            model: model.to_owned(),
            effort,
        };
        let mut rows = vec![Row {
            label: "default".to_owned(),
            description: "the model's own choice (no effort sent)".to_owned(),
            current: current.is_none(),
            choice: choice(None),
        }];
        rows.extend(EFFORTS.iter().map(|(effort, description)| Row {
            label: effort.as_str().to_owned(),
            description: (*description).to_owned(),
            current: Some(*effort) == current,
            choice: choice(Some(*effort)),
        }));
        let selected = rows.iter().position(|row| row.current).unwrap_or(0);
        Picker::new(&format!("Reasoning effort for {model}"), rows, selected)
    }

    /// `/permissions`.
    pub fn permissions(sandbox: SandboxMode, approval: ApprovalPolicy) -> Picker {
        let rows: Vec<Row> = PRESETS
            .iter()
            .map(
                |(label, description, preset_sandbox, preset_approval)| Row {
                    label: (*label).to_owned(),
                    description: format!("{description} ({preset_sandbox}, {preset_approval})"),
                    current: (*preset_sandbox, *preset_approval) == (sandbox, approval),
                    choice: Choice::Permissions {
                        sandbox: *preset_sandbox,
                        approval: *preset_approval,
                    },
                },
            )
            .collect();
        let selected = rows.iter().position(|row| row.current).unwrap_or(0);
        Picker::new("Permissions for the next turns", rows, selected)
    }

    fn new(title: &str, rows: Vec<Row>, selected: usize) -> Picker {
        Picker {
            title: title.to_owned(),
            rows,
            selected,
        }
    }

    pub fn on_key(&mut self, key: crossterm::event::KeyEvent) -> PickerKey {
        use crossterm::event::KeyCode;
        let last = self.rows.len().saturating_sub(1);
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => self.selected = (self.selected + 1).min(last),
            KeyCode::Char(digit @ '1'..='9') => {
                let index = usize::from(digit as u8 - b'1');
                if let Some(row) = self.rows.get(index) {
                    return PickerKey::Chosen(row.choice.clone());
                }
            }
            KeyCode::Enter => {
                if let Some(row) = self.rows.get(self.selected) {
                    return PickerKey::Chosen(row.choice.clone());
                }
            }
            KeyCode::Esc => return PickerKey::Closed,
            _ => {}
        }
        PickerKey::Open
    }

    pub fn lines(&self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        let mut lines = vec![Line::from(Span::styled(
            format!("  {}", self.title),
            theme.bold(),
        ))];
        let label = |row: &Row| {
            if row.current {
                format!("{} (current)", row.label)
            } else {
                row.label.clone()
            }
        };
        let label_width = self
            .rows
            .iter()
            .map(|row| unicode_width::UnicodeWidthStr::width(label(row).as_str()))
            .max()
            .unwrap_or(0);
        for (index, row) in self.rows.iter().enumerate() {
            let selected = index == self.selected;
            let marker = if selected { "› " } else { "  " };
            let label_style = if selected {
                theme.selected()
            } else {
                theme.plain()
            };
            let mut spans = vec![
                Span::styled(format!("  {marker}"), theme.selected()),
                Span::styled(format!("{}. ", index + 1), theme.dim()),
                Span::styled(format!("{:<label_width$}", label(row)), label_style),
                Span::styled(format!("  {}", row.description), theme.dim()),
            ];
            lines.push(truncate_line(Line::from(std::mem::take(&mut spans)), width));
        }
        lines.extend(wrap_text(
            "enter to choose · esc to cancel",
            theme.dim(),
            width,
            &[Span::raw("  ")],
            &[Span::raw("  ")],
        ));
        lines
    }
}

/// One step up (`up`) or down the effort ladder from `current` (the
/// model's default counts as medium); `None` at either end.
pub fn step_effort(current: Option<ReasoningEffort>, up: bool) -> Option<ReasoningEffort> {
    let current = current.unwrap_or(ReasoningEffort::Medium);
    let index = EFFORTS.iter().position(|(effort, _)| *effort == current)?;
    let next = if up {
        index.checked_add(1)?
    } else {
        index.checked_sub(1)?
    };
    EFFORTS.get(next).map(|(effort, _)| *effort)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn effort_steps_stop_at_the_ends() {
        use ReasoningEffort::{High, Low, Minimal, Xhigh};
        assert_eq!(
            [
                step_effort(None, true),
                step_effort(Some(High), true),
                step_effort(Some(Xhigh), true),
                step_effort(Some(Minimal), false),
                step_effort(Some(Low), false),
            ],
            [Some(High), Some(Xhigh), None, None, Some(Minimal)]
        );
    }

    #[test]
    fn default_effort_is_offered_first_and_marked_when_no_effort_is_set() {
        let labels = |picker: &Picker| -> Vec<(String, bool)> {
            picker
                .rows
                .iter()
                .map(|row| (row.label.clone(), row.current))
                .collect()
        };
        let unset = Picker::efforts("gpt-5.5", None);
        let set = Picker::efforts("gpt-5.5", Some(ReasoningEffort::Low));
        let expected = |current: &str| -> Vec<(String, bool)> {
            ["default", "minimal", "low", "medium", "high", "xhigh"]
                .into_iter()
                .map(|label| (label.to_owned(), label == current))
                .collect()
        };
        assert_eq!(
            (labels(&unset), unset.selected, labels(&set), set.selected),
            (expected("default"), 0, expected("low"), 2)
        );
        assert_eq!(
            unset.rows[0].choice,
            Choice::Effort {
                model: "gpt-5.5".into(),
                effort: None
            }
        );
    }

    #[test]
    fn digits_choose_and_esc_closes() {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
        let mut picker =
            Picker::permissions(SandboxMode::WorkspaceWrite, ApprovalPolicy::OnRequest);
        assert_eq!(picker.selected, 1);
        assert_eq!(
            [
                picker.on_key(key(KeyCode::Down)),
                picker.on_key(key(KeyCode::Char('1'))),
                picker.on_key(key(KeyCode::Esc)),
            ],
            [
                PickerKey::Open,
                PickerKey::Chosen(Choice::Permissions {
                    sandbox: SandboxMode::ReadOnly,
                    approval: ApprovalPolicy::OnRequest
                }),
                PickerKey::Closed,
            ]
        );
        assert_eq!(picker.selected, 2);
    }
}
