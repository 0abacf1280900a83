//! The messages that open every thread, before the user's first prompt:
//! duet's base instructions, the permissions text, and the AGENTS.md and
//! environment context the model needs to work in this repository.

use crate::config::Config;
use crate::instructions;
use duet_model::{ContentItem, ResponseItem};
use std::path::Path;

/// The opening items of a new thread. Warnings (an AGENTS.md that did not
/// fit) go to `warn`.
pub(crate) fn initial_context(
    config: &Config,
    shell: &Path,
    mut warn: impl FnMut(String),
) -> Vec<ResponseItem> {
    let mut items = vec![ResponseItem::developer_text(
        instructions::base_instructions(config),
    )];

    let mut developer_parts = Vec::new();
    if config.include_permissions_instructions {
        developer_parts.push(instructions::permissions_instructions(config));
    }
    if let Some(extra) = &config.developer_instructions {
        developer_parts.push(extra.clone());
    }
    if !developer_parts.is_empty() {
        items.push(message("developer", developer_parts));
    }

    let agents = instructions::load_agents_md(config);
    for warning in agents.warnings {
        warn(warning);
    }
    let mut user_parts = Vec::new();
    if let Some(text) = agents.text {
        user_parts.push(text);
    }
    if config.include_environment_context {
        let shell_name = shell
            .file_name()
            .map(|name| name.to_string_lossy().into_owned());
        user_parts.push(instructions::environment_context(
            config,
            shell_name.as_deref().unwrap_or("sh"),
            instructions::local_now(),
        ));
    }
    if !user_parts.is_empty() {
        items.push(message("user", user_parts));
    }
    items
}

/// The environment context again, for a thread resumed in a directory
/// other than the one its last environment context names: the model must
/// hear where it now is (the reference adds the same). `None` when the
/// context is switched off or already names `config.cwd`.
pub(crate) fn moved_context(
    config: &Config,
    shell: &Path,
    history: &[ResponseItem],
) -> Option<ResponseItem> {
    if !config.include_environment_context || last_context_names_cwd(history, config) {
        return None;
    }
    let shell_name = shell
        .file_name()
        .map(|name| name.to_string_lossy().into_owned());
    Some(message(
        "user",
        vec![instructions::environment_context(
            config,
            shell_name.as_deref().unwrap_or("sh"),
            instructions::local_now(),
        )],
    ))
}

/// Whether the newest environment context in `history` names `config.cwd`
/// (no context at all counts as not).
fn last_context_names_cwd(history: &[ResponseItem], config: &Config) -> bool {
    let element = instructions::cwd_element(config);
    // Stored items are the JSON text they were saved as.
    let in_json = serde_json::to_string(&element).unwrap_or_default();
    let in_json = in_json.trim_matches('"');
    for item in history.iter().rev() {
        let text = match item {
            ResponseItem::Stored(stored) => stored.json().to_string(),
            ResponseItem::Message { content, .. } => content
                .iter()
                .filter_map(|part| match part {
                    ContentItem::InputText { text } => Some(text.as_str()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("\n"),
            _ => continue,
        };
        if text.contains("<environment_context>") {
            return text.contains(&element) || text.contains(in_json);
        }
    }
    false
}

fn message(role: &str, parts: Vec<String>) -> ResponseItem {
    ResponseItem::Message {
        id: None,
        role: role.to_string(),
        content: parts
            .into_iter()
            .map(|text| ContentItem::InputText { text })
            .collect(),
    }
}
