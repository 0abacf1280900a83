//! The tool definitions sent with every request. Names and parameters match
//! the reference's classic tool surface; the descriptions are our own.

use crate::config::{ApplyPatchToolType, ToolsConfig};
use serde_json::{Value, json};

/// The V4A language as a Lark grammar, for the freeform `apply_patch` tool.
const PATCH_GRAMMAR: &str = include_str!("patch_grammar.lark");

pub(crate) fn specs(tools: &ToolsConfig) -> Vec<Value> {
    let mut specs = vec![exec_command(), write_stdin()];
    match tools.apply_patch {
        Some(ApplyPatchToolType::Freeform) => specs.push(apply_patch_freeform()),
        Some(ApplyPatchToolType::Function) => specs.push(apply_patch_function()),
        None => {}
    }
    if tools.update_plan {
        specs.push(update_plan());
    }
    if tools.view_image {
        specs.push(view_image());
    }
    // Keys in sorted order, as the reference sends its tool schemas (its
    // properties are a sorted map): the request stays byte-stable whatever
    // order the definitions below are written in.
    specs.iter_mut().for_each(sort_keys);
    specs
}

/// Sort the keys of every object in `value`, recursively.
pub(crate) fn sort_keys(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.sort_keys();
            fields.values_mut().for_each(sort_keys);
        }
        Value::Array(items) => items.iter_mut().for_each(sort_keys),
        _ => {}
    }
}

fn exec_command() -> Value {
    json!({
        "type": "function",
        "name": "exec_command",
        "description": "Run a shell command in the workspace and return its output. Commands that are still running when `yield_time_ms` passes keep running in the background; their output says `Process running with session ID N`, and `write_stdin` reads more of it or sends it input.",
        "strict": false,
        "parameters": {
            "type": "object",
            "properties": {
                "cmd": {"type": "string", "description": "The shell command to run."},
                "workdir": {"type": "string", "description": "Directory to run in; relative paths are resolved from the session's working directory. Defaults to it."},
                "shell": {"type": "string", "description": "Shell binary to run the command with. Defaults to the user's shell."},
                "login": {"type": "boolean", "description": "Run with the login shell's environment (profile sourced). Defaults to true."},
                "tty": {"type": "boolean", "description": "Ask for a terminal. Commands currently always run with pipes."},
                "yield_time_ms": {"type": "number", "description": "How long to wait for output before returning, in milliseconds (250 to 30000, default 10000)."},
                "max_output_tokens": {"type": "number", "description": "Longest output to return, in tokens (default 10000); longer output keeps its head and tail."},
                "sandbox_permissions": {"type": "string", "enum": ["use_default", "require_escalated"], "description": "`require_escalated` asks the user to run this command outside the sandbox; set `justification` too."},
                "justification": {"type": "string", "description": "Why the command needs escalated permissions, shown to the user when asking."},
                "prefix_rule": {"type": "array", "items": {"type": "string"}, "description": "With `require_escalated`: the command prefix the user may approve for the rest of the session."}
            },
            "required": ["cmd"],
            "additionalProperties": false
        }
    })
}

fn write_stdin() -> Value {
    json!({
        "type": "function",
        "name": "write_stdin",
        "description": "Send characters to a command that is still running (by the session ID `exec_command` returned) and return the output it printed since. Send empty `chars` to just wait for more output.",
        "strict": false,
        "parameters": {
            "type": "object",
            "properties": {
                "session_id": {"type": "number", "description": "The session ID of the running command."},
                "chars": {"type": "string", "description": "Characters to write to its standard input; may be empty."},
                "yield_time_ms": {"type": "number", "description": "How long to wait for output, in milliseconds (default 250)."},
                "max_output_tokens": {"type": "number", "description": "Longest output to return, in tokens."}
            },
            "required": ["session_id"],
            "additionalProperties": false
        }
    })
}

const APPLY_PATCH_DESCRIPTION: &str = "Edit files with a patch in the V4A format: `*** Begin Patch`, then one or more file operations (`*** Add File: path` followed by `+` lines; `*** Delete File: path`; `*** Update File: path`, optionally `*** Move to: new/path`, then sections of ` ` context, `-` removed and `+` added lines, each optionally opened by `@@ text` lines naming an enclosing line such as a class or function to narrow where it applies, and `*** End of File` to pin a section to the end), then `*** End Patch`. Give about three lines of unchanged context around each change. Paths are relative to the working directory. Nothing is written unless every change applies.";

fn apply_patch_freeform() -> Value {
    json!({
        "type": "custom",
        "name": "apply_patch",
        "description": APPLY_PATCH_DESCRIPTION,
        "format": {"type": "grammar", "syntax": "lark", "definition": PATCH_GRAMMAR}
    })
}

fn apply_patch_function() -> Value {
    json!({
        "type": "function",
        "name": "apply_patch",
        "description": APPLY_PATCH_DESCRIPTION,
        "strict": false,
        "parameters": {
            "type": "object",
            "properties": {
                "input": {"type": "string", "description": "The whole patch, from `*** Begin Patch` to `*** End Patch`."}
            },
            "required": ["input"],
            "additionalProperties": false
        }
    })
}

fn update_plan() -> Value {
    json!({
        "type": "function",
        "name": "update_plan",
        "description": "Record or revise the plan for the task as a short list of steps, each `pending`, `in_progress` or `completed`. Keep at most one step in progress, and update the plan as steps finish.",
        "strict": false,
        "parameters": {
            "type": "object",
            "properties": {
                "explanation": {"type": "string"},
                "plan": {
                    "type": "array",
                    "description": "The steps, in order.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "step": {"type": "string"},
                            "status": {"type": "string", "enum": ["pending", "in_progress", "completed"]}
                        },
                        "required": ["step", "status"],
                        "additionalProperties": false
                    }
                }
            },
            "required": ["plan"],
            "additionalProperties": false
        }
    })
}

fn view_image() -> Value {
    json!({
        "type": "function",
        "name": "view_image",
        "description": "Look at a local image file (PNG, JPEG, GIF or WebP), given by its path.",
        "strict": false,
        "parameters": {
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "Path of the image, absolute or relative to the working directory."}
            },
            "required": ["path"],
            "additionalProperties": false
        }
    })
}
