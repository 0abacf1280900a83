//! STUB: being written in another branch (AGENTS.md, environment context,
//! permissions text, base instructions).

use crate::config::Config;
use std::path::PathBuf;

pub(crate) struct AgentsDoc {
    pub text: Option<String>,
    pub files: Vec<PathBuf>,
    pub warnings: Vec<String>,
}

pub(crate) fn load_agents_md(config: &Config) -> AgentsDoc {
    let _ = config;
    AgentsDoc { text: None, files: Vec::new(), warnings: Vec::new() }
}

pub(crate) fn environment_context(config: &Config, shell: &str, now: jiff::Zoned) -> String {
    format!(
        "<environment_context>\n  <cwd>{}</cwd>\n  <shell>{shell}</shell>\n  <current_date>{}</current_date>\n</environment_context>",
        config.cwd.display(),
        now.date()
    )
}

pub(crate) fn permissions_instructions(config: &Config) -> String {
    format!("<permissions instructions>sandbox_mode is `{}`</permissions instructions>", config.sandbox_mode)
}

pub(crate) fn base_instructions(config: &Config) -> String {
    config.base_instructions_override.clone().unwrap_or_else(|| "You are duet, a coding agent.".to_string())
}
