//! The task-state block: what duet itself knows of the task, read from the
//! history and kept verbatim across a compaction, so that the facts a
//! summary might blur (the plan, the files changed, the last failure)
//! survive it exactly.

use super::{CALLS, OUTPUTS, may_be, parsed};
use duet_model::{FunctionCallOutput, ResponseItem};
use std::collections::HashMap;

/// Opens the block in the summary message and in the compaction prompt.
pub(crate) const OPEN: &str = "<task_state>";
const CLOSE: &str = "</task_state>";

/// How many changed files the block lists before it says how many more.
const MAX_FILES: usize = 200;
/// How much of a failing command line the block keeps.
const MAX_COMMAND: usize = 500;

/// What the history says of the task.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TaskState {
    /// The last plan sent with `update_plan`: (status, step).
    plan: Vec<(String, String)>,
    /// Files a patch added, changed or deleted, in the order first changed.
    changed: Vec<String>,
    /// The last command that exited with a non-zero code, and the code.
    last_failure: Option<(String, i64)>,
}

impl TaskState {
    /// Read `items` (oldest first) for the plan, the changed files and the
    /// last failing command.
    pub(crate) fn of(items: &[ResponseItem]) -> TaskState {
        let mut state = TaskState::default();
        // call id -> command line of an `exec_command` call.
        let mut commands: HashMap<String, String> = HashMap::new();
        for item in items {
            if !may_be(item, CALLS) && !may_be(item, OUTPUTS) {
                continue;
            }
            let Some(item) = parsed(item) else { continue };
            match &*item {
                ResponseItem::FunctionCall {
                    name,
                    arguments,
                    call_id,
                    ..
                } => match name.as_str() {
                    "update_plan" => {
                        if let Some(plan) = plan_of(arguments) {
                            state.plan = plan;
                        }
                    }
                    "exec_command" | "shell" => {
                        if let Some(command) = command_of(arguments) {
                            commands.insert(call_id.clone(), command);
                        }
                    }
                    _ => {}
                },
                ResponseItem::FunctionCallOutput { call_id, output } => {
                    let text = match output {
                        FunctionCallOutput::Text(text) => text.as_str(),
                        FunctionCallOutput::Content(_) => continue,
                    };
                    state.note_patch(text);
                    if let Some(command) = commands.remove(call_id)
                        && let Some(code) = exit_code_of(text)
                        && code != 0
                    {
                        state.last_failure = Some((command, code));
                    }
                }
                ResponseItem::CustomToolCallOutput { output, .. } => state.note_patch(output),
                _ => {}
            }
        }
        state
    }

    /// The files a successful patch's output lists (`apply_patch` as a
    /// tool, or run through the shell: the output is the same).
    fn note_patch(&mut self, output: &str) {
        let Some((_, files)) = output.split_once("Success. Updated the following files:\n") else {
            return;
        };
        for line in files.lines() {
            let Some(path) = ["A ", "M ", "D "]
                .iter()
                .find_map(|mark| line.strip_prefix(mark))
            else {
                break;
            };
            if !self.changed.iter().any(|known| known == path) {
                self.changed.push(path.to_string());
            }
        }
    }

    /// The block, or `None` when there is nothing to say.
    pub(crate) fn render(&self) -> Option<String> {
        if self.plan.is_empty() && self.changed.is_empty() && self.last_failure.is_none() {
            return None;
        }
        let mut out =
            format!("{OPEN}\nduet wrote this block from the session's record; it is exact.\n");
        if !self.plan.is_empty() {
            out.push_str("\nCurrent plan:\n");
            for (status, step) in &self.plan {
                let mark = match status.as_str() {
                    "completed" => "[x]",
                    "in_progress" => "[~]",
                    _ => "[ ]",
                };
                out.push_str(&format!("- {mark} {step}\n"));
            }
        }
        if !self.changed.is_empty() {
            out.push_str("\nFiles changed in this session:\n");
            for path in self.changed.iter().take(MAX_FILES) {
                out.push_str(&format!("- {path}\n"));
            }
            if self.changed.len() > MAX_FILES {
                out.push_str(&format!("- and {} more\n", self.changed.len() - MAX_FILES));
            }
        }
        if let Some((command, code)) = &self.last_failure {
            let mut command = command.clone();
            if command.len() > MAX_COMMAND {
                let mut cut = MAX_COMMAND;
                while !command.is_char_boundary(cut) {
                    cut -= 1;
                }
                command.truncate(cut);
                command.push('…');
            }
            out.push_str(&format!(
                "\nLast failing command: `{command}` (exit code {code})\n"
            ));
        }
        out.push_str(CLOSE);
        Some(out)
    }
}

fn plan_of(arguments: &str) -> Option<Vec<(String, String)>> {
    let value: serde_json::Value = serde_json::from_str(arguments).ok()?;
    value["plan"]
        .as_array()?
        .iter()
        .map(|step| {
            Some((
                step["status"].as_str()?.to_string(),
                step["step"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The command line of an `exec_command` (`cmd`) or `shell` (`command`
/// list) call.
pub(super) fn command_of(arguments: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(arguments).ok()?;
    if let Some(cmd) = value["cmd"].as_str() {
        return Some(cmd.to_string());
    }
    let words: Vec<&str> = value["command"]
        .as_array()?
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    Some(words.join(" "))
}

/// `N` of the `Process exited with code N` line of a command's output.
fn exit_code_of(output: &str) -> Option<i64> {
    output
        .lines()
        .take(4)
        .find_map(|line| line.strip_prefix("Process exited with code "))
        .and_then(|code| code.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn call(call_id: &str, name: &str, arguments: serde_json::Value) -> ResponseItem {
        ResponseItem::FunctionCall {
            id: None,
            call_id: call_id.into(),
            name: name.into(),
            arguments: arguments.to_string(),
            namespace: None,
        }
    }

    fn output(call_id: &str, text: &str) -> ResponseItem {
        ResponseItem::FunctionCallOutput {
            call_id: call_id.into(),
            output: FunctionCallOutput::Text(text.into()),
        }
    }

    fn exited(code: i32) -> String {
        format!("Chunk ID: 1\nWall time: 0.1 seconds\nProcess exited with code {code}\nOutput:\n")
    }

    #[test]
    fn the_last_plan_the_patched_files_and_the_last_failure_are_read() {
        let items = vec![
            call("p1", "update_plan", serde_json::json!({"plan": [{"step": "Old", "status": "pending"}]})),
            call(
                "p2",
                "update_plan",
                serde_json::json!({"plan": [
                    {"step": "Read the parser", "status": "completed"},
                    {"step": "Fix it", "status": "in_progress"},
                    {"step": "Run the tests", "status": "pending"}
                ]}),
            ),
            ResponseItem::CustomToolCallOutput {
                call_id: "a1".into(),
                output: "Exit code: 0\nWall time: 0.0 seconds\nOutput:\nSuccess. Updated the following files:\nA src/new.rs\nM src/parser.rs\n".into(),
            },
            call("c1", "exec_command", serde_json::json!({"cmd": "cargo test"})),
            output("c1", &exited(101)),
            call("c2", "exec_command", serde_json::json!({"cmd": "apply_patch <<'EOF'"})),
            output(
                "c2",
                &format!("{}Success. Updated the following files:\nD old.rs\nM src/parser.rs\n", exited(0)),
            ),
            call("c3", "exec_command", serde_json::json!({"cmd": "ls"})),
            output("c3", &exited(0)),
        ];
        // A resumed thread's items are stored text: read the same.
        let stored: Vec<ResponseItem> = items
            .iter()
            .map(|item| {
                ResponseItem::Stored(duet_model::StoredItem::new(
                    serde_json::to_string(item).expect("json"),
                ))
            })
            .collect();
        assert_eq!(TaskState::of(&stored), TaskState::of(&items));
        assert_eq!(
            TaskState::of(&items).render().expect("a block"),
            "<task_state>\nduet wrote this block from the session's record; it is exact.\n\
             \nCurrent plan:\n- [x] Read the parser\n- [~] Fix it\n- [ ] Run the tests\n\
             \nFiles changed in this session:\n- src/new.rs\n- src/parser.rs\n- old.rs\n\
             \nLast failing command: `cargo test` (exit code 101)\n</task_state>"
        );
    }

    #[test]
    fn nothing_known_is_no_block() {
        let items = vec![ResponseItem::user_text("hello"), output("c1", &exited(1))];
        assert_eq!(TaskState::of(&items).render(), None);
    }
}
