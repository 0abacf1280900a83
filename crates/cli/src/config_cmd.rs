//! `duet config import --from codex`: copy a Codex user's settings into
//! `$DUET_HOME` and say what duet will do with each key
//! (`duet_core::config::import_codex_settings`).

use clap::{Subcommand, ValueEnum};
use std::process::ExitCode;

/// `duet config <COMMAND>`.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum ConfigCommand {
    /// Copy another agent's settings into `$DUET_HOME`: `config.toml`,
    /// profile files, `rules/`, `AGENTS.md` and `hooks.json`, reporting
    /// what duet does with each configuration key.
    Import {
        /// Whose settings: `codex` (`$CODEX_HOME`, else `~/.codex`).
        #[arg(long = "from", value_enum)]
        from: ImportSource,
        /// Say what would be copied; write nothing.
        #[arg(long = "dry-run")]
        dry_run: bool,
        /// Replace files that exist in `$DUET_HOME`.
        #[arg(long = "force")]
        force: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportSource {
    Codex,
}

pub fn run(command: ConfigCommand) -> ExitCode {
    let ConfigCommand::Import {
        from: ImportSource::Codex,
        dry_run,
        force,
    } = command;
    let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let Some(codex_home) = duet_core::config::codex_home(&env) else {
        eprintln!(
            "error: neither `CODEX_HOME` nor `HOME` is set: set `CODEX_HOME` to Codex's folder"
        );
        return ExitCode::from(1);
    };
    let duet_home = match duet_core::config::duet_home(&env) {
        Ok(home) => home,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    };
    match duet_core::config::import_codex_settings(&codex_home, &duet_home, dry_run, force) {
        Ok(report) => {
            for line in report.lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}
