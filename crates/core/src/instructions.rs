//! What the model is told besides the conversation: duet's base
//! instructions, the permissions text, the AGENTS.md chain and the
//! environment context.
//!
//! Each function returns text; where it goes in the request (developer or
//! user message, which part) is the turn loop's business, and so is
//! honouring `include_environment_context` and
//! `include_permissions_instructions`.

mod agents_md;
mod environment;
mod permissions;

pub(crate) use agents_md::load_agents_md;
pub(crate) use environment::{cwd_element, environment_context, local_now};
pub(crate) use permissions::permissions_instructions;

use crate::config::Config;

/// duet's own system prompt, written for this project.
const BASE_INSTRUCTIONS: &str = include_str!("prompt/base_instructions.md");

/// The base instructions: `model_instructions_file` when configured, else
/// duet's own.
pub(crate) fn base_instructions(config: &Config) -> String {
    match &config.base_instructions_override {
        Some(text) => text.clone(),
        None => BASE_INSTRUCTIONS.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::path::PathBuf;

    #[test]
    fn override_replaces_the_base_instructions() {
        let mut config = Config::defaults(PathBuf::from("/h"), PathBuf::from("/repo"));
        assert_eq!(base_instructions(&config), BASE_INSTRUCTIONS);
        assert!(BASE_INSTRUCTIONS.starts_with("You are duet, a coding agent"));
        config.base_instructions_override = Some("be a poet".to_string());
        assert_eq!(base_instructions(&config), "be a poet");
    }
}
