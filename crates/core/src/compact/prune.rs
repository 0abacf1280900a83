//! Pruning old tool outputs from requests (`history.prune_tool_outputs_after_turns`):
//! the outputs of tool calls older than the last N turns are replaced in
//! the request by a line saying what they were. The history in memory and
//! in the store keeps them: [`prune`] swaps them out of a request's input
//! and [`restore`] puts them back once the request is sent.

use super::fit::{makers, without_output};
use super::user_prompt_text;
use duet_model::ResponseItem;

/// The items of `input` that were swapped out, by index.
pub(crate) type Pruned = Vec<(usize, ResponseItem)>;

/// Replace, in `input`, the outputs of the tool calls made before the
/// last `keep_turns` turns (a turn starts at a message the user typed).
pub(crate) fn prune(input: &mut [ResponseItem], keep_turns: u32) -> Pruned {
    let mut seen = 0;
    let mut boundary = None;
    for (index, item) in input.iter().enumerate().rev() {
        if user_prompt_text(item).is_some() {
            seen += 1;
            if seen == keep_turns {
                boundary = Some(index);
                break;
            }
        }
    }
    let Some(boundary) = boundary else {
        return Vec::new();
    };
    let makers = makers(&input[..boundary]);
    let why = format!(
        "pruned from this request (it is older than the last {}; run the command again if you need it)",
        if keep_turns == 1 {
            "turn".to_string()
        } else {
            format!("{keep_turns} turns")
        }
    );
    let mut pruned = Vec::new();
    for (index, item) in input[..boundary].iter_mut().enumerate() {
        if let Some(note) = without_output(item, &makers, &why) {
            pruned.push((index, std::mem::replace(item, note)));
        }
    }
    pruned
}

/// Put the swapped-out items back.
pub(crate) fn restore(history: &mut [ResponseItem], pruned: Pruned) {
    for (index, item) in pruned {
        if let Some(slot) = history.get_mut(index) {
            *slot = item;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use duet_model::FunctionCallOutput;
    use pretty_assertions::assert_eq;

    fn call(call_id: &str) -> ResponseItem {
        ResponseItem::FunctionCall {
            id: None,
            call_id: call_id.into(),
            name: "exec_command".into(),
            arguments: serde_json::json!({ "cmd": format!("cat {call_id}.txt") }).to_string(),
            namespace: None,
        }
    }

    fn output(call_id: &str, text: &str) -> ResponseItem {
        ResponseItem::FunctionCallOutput {
            call_id: call_id.into(),
            output: FunctionCallOutput::Text(text.into()),
        }
    }

    fn stored(item: ResponseItem) -> ResponseItem {
        ResponseItem::Stored(duet_model::StoredItem::new(
            serde_json::to_string(&item).expect("json"),
        ))
    }

    #[test]
    fn outputs_before_the_last_turns_are_swapped_out_and_back() {
        let history = vec![
            ResponseItem::developer_text("instructions"),
            stored(ResponseItem::user_text("one")),
            stored(call("a")),
            stored(output("a", &"x".repeat(2_000))),
            ResponseItem::user_text("two"),
            call("b"),
            output("b", "bbb"),
            ResponseItem::user_text("three"),
            call("c"),
            output("c", "ccc"),
        ];
        let mut input = history.clone();
        let pruned = prune(&mut input, 2);
        let mut expected = history.clone();
        expected[3] = output(
            "a",
            "[output pruned from this request (it is older than the last 2 turns; run the command again if you need it): 2.0 KiB of it, from `cat a.txt`]",
        );
        assert_eq!(input, expected);
        assert_eq!(pruned.len(), 1);
        restore(&mut input, pruned);
        assert_eq!(input, history);
        // Fewer turns than that: nothing to prune.
        let mut short = history.clone();
        assert_eq!(prune(&mut short, 5), Vec::new());
    }
}
