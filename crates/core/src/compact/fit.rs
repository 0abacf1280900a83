//! Making a history fit a token budget for a request that must not
//! overflow (the summary request, the history kept after it): the oldest
//! tool outputs are elided first, each replaced by a line that says how
//! large it was and what made it; then, if allowed, the oldest whole turns
//! are left out. Only requests change: the store keeps everything.

use super::{
    CALLS, OUTPUTS, estimated_tokens, may_be, parsed, task_state::command_of, user_prompt_text,
};
use duet_model::{FunctionCallOutput, ResponseItem};
use std::collections::HashMap;

/// A history cut down to a budget, and what was cut.
#[derive(Debug, PartialEq)]
pub(crate) struct Fitted {
    pub items: Vec<ResponseItem>,
    pub elided_outputs: u32,
    pub omitted_turns: u32,
}

/// `items` within `budget` tokens (by [`estimated_tokens`]) if eliding
/// tool outputs (oldest first) and, with `drop_turns`, leaving out the
/// oldest turns (never the last) gets there; otherwise as small as that
/// makes it. Items before the first user prompt (the opening context) are
/// kept.
pub(crate) fn fit(items: Vec<ResponseItem>, budget: u64, drop_turns: bool) -> Fitted {
    let mut total = estimated_tokens(&items);
    let mut fitted = Fitted {
        items,
        elided_outputs: 0,
        omitted_turns: 0,
    };
    if total <= budget {
        return fitted;
    }
    let makers = makers(&fitted.items);
    for index in 0..fitted.items.len() {
        if total <= budget {
            return fitted;
        }
        let Some(replacement) = without_output(
            &fitted.items[index],
            &makers,
            "elided to fit the context window",
        ) else {
            continue;
        };
        let before = estimated_tokens(std::slice::from_ref(&fitted.items[index]));
        let after = estimated_tokens(std::slice::from_ref(&replacement));
        fitted.items[index] = replacement;
        fitted.elided_outputs += 1;
        total = total.saturating_sub(before) + after;
    }
    if total <= budget || !drop_turns {
        return fitted;
    }
    // The turns, each from one user prompt to the next.
    let starts: Vec<usize> = fitted
        .items
        .iter()
        .enumerate()
        .filter(|(_, item)| user_prompt_text(item).is_some())
        .map(|(index, _)| index)
        .collect();
    let Some(&first) = starts.first() else {
        return fitted;
    };
    let mut cut_to = first;
    for &next in starts.iter().skip(1) {
        if total <= budget {
            break;
        }
        total = total.saturating_sub(estimated_tokens(&fitted.items[cut_to..next]));
        cut_to = next;
        fitted.omitted_turns += 1;
    }
    if fitted.omitted_turns > 0 {
        let note = ResponseItem::user_text(format!(
            "[{} earlier turn{} of this conversation {} left out here to fit the context window]",
            fitted.omitted_turns,
            if fitted.omitted_turns == 1 { "" } else { "s" },
            if fitted.omitted_turns == 1 {
                "is"
            } else {
                "are"
            }
        ));
        fitted.items.splice(first..cut_to, [note]);
    }
    fitted
}

/// What made each tool output in `items`, by call id: a command line, else
/// the tool's name.
pub(crate) fn makers(items: &[ResponseItem]) -> HashMap<String, String> {
    let mut makers = HashMap::new();
    for item in items {
        if !may_be(item, CALLS) {
            continue;
        }
        let Some(item) = parsed(item) else { continue };
        match &*item {
            ResponseItem::FunctionCall {
                call_id,
                name,
                arguments,
                ..
            } => {
                let maker = command_of(arguments)
                    .filter(|_| name == "exec_command" || name == "shell")
                    .map(|command| format!("`{command}`"))
                    .unwrap_or_else(|| format!("the `{name}` tool"));
                makers.insert(call_id.clone(), maker);
            }
            ResponseItem::CustomToolCall { call_id, name, .. } => {
                makers.insert(call_id.clone(), format!("the `{name}` tool"));
            }
            _ => {}
        }
    }
    makers
}

/// `item` with its output replaced by a line saying it was `why`, how
/// large it was and what made it; `None` if it is not a tool output.
pub(crate) fn without_output(
    item: &ResponseItem,
    makers: &HashMap<String, String>,
    why: &str,
) -> Option<ResponseItem> {
    if !may_be(item, OUTPUTS) {
        return None;
    }
    let item = parsed(item)?;
    let (call_id, size) = match &*item {
        ResponseItem::FunctionCallOutput { call_id, output } => (
            call_id.clone(),
            match output {
                FunctionCallOutput::Text(text) => text.len(),
                FunctionCallOutput::Content(parts) => {
                    serde_json::to_string(parts).map_or(0, |json| json.len())
                }
            },
        ),
        ResponseItem::CustomToolCallOutput { call_id, output } => (call_id.clone(), output.len()),
        _ => return None,
    };
    let maker = makers.get(&call_id).map_or("a tool", String::as_str);
    let note = format!("[output {why}: {} of it, from {maker}]", bytes(size));
    Some(match &*item {
        ResponseItem::CustomToolCallOutput { .. } => ResponseItem::CustomToolCallOutput {
            call_id,
            output: note,
        },
        _ => ResponseItem::FunctionCallOutput {
            call_id,
            output: FunctionCallOutput::Text(note),
        },
    })
}

/// `size` bytes as people read them.
fn bytes(size: usize) -> String {
    match size {
        0..1_024 => format!("{size} bytes"),
        1_024..1_048_576 => format!("{:.1} KiB", size as f64 / 1_024.0),
        _ => format!("{:.1} MiB", size as f64 / 1_048_576.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn call(call_id: &str, cmd: &str) -> ResponseItem {
        ResponseItem::FunctionCall {
            id: None,
            call_id: call_id.into(),
            name: "exec_command".into(),
            arguments: serde_json::json!({ "cmd": cmd }).to_string(),
            namespace: None,
        }
    }

    fn output(call_id: &str, text: &str) -> ResponseItem {
        ResponseItem::FunctionCallOutput {
            call_id: call_id.into(),
            output: FunctionCallOutput::Text(text.into()),
        }
    }

    fn turns() -> Vec<ResponseItem> {
        vec![
            ResponseItem::developer_text("instructions"),
            ResponseItem::user_text("first task"),
            call("c1", "cat big.log"),
            output("c1", &"a".repeat(40_000)),
            ResponseItem::user_text("second task"),
            call("c2", "cargo test"),
            output("c2", &"b".repeat(20_000)),
            ResponseItem::user_text("third task"),
        ]
    }

    #[test]
    fn what_fits_is_left_alone() {
        let fitted = fit(turns(), 100_000, true);
        assert_eq!((fitted.items, fitted.elided_outputs), (turns(), 0));
    }

    #[test]
    fn the_oldest_outputs_go_first_and_say_what_they_were() {
        let fitted = fit(turns(), 8_000, true);
        let mut expected = turns();
        expected[3] = output(
            "c1",
            "[output elided to fit the context window: 39.1 KiB of it, from `cat big.log`]",
        );
        assert_eq!(fitted.items, expected);
        assert_eq!((fitted.elided_outputs, fitted.omitted_turns), (1, 0));
    }

    #[test]
    fn then_the_oldest_turns_but_never_the_last() {
        let items: Vec<ResponseItem> = turns()
            .into_iter()
            .chain([ResponseItem::user_text("c".repeat(2_000))])
            .collect();
        let fitted = fit(items.clone(), 600, true);
        assert_eq!(fitted.elided_outputs, 2);
        assert_eq!(fitted.omitted_turns, 2);
        assert_eq!(
            fitted.items,
            vec![
                ResponseItem::developer_text("instructions"),
                ResponseItem::user_text(
                    "[2 earlier turns of this conversation are left out here to fit the context window]"
                ),
                ResponseItem::user_text("third task"),
                items[8].clone(),
            ]
        );
        // However small the budget, the last turn stays.
        let tiny = fit(items.clone(), 1, true);
        assert_eq!(tiny.omitted_turns, 3);
        assert_eq!(tiny.items.last(), items.last());
        // Without leave to drop turns, only outputs go.
        let outputs_only = fit(items, 600, false);
        assert_eq!(
            (outputs_only.elided_outputs, outputs_only.omitted_turns),
            (2, 0)
        );
    }
}
