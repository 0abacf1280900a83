//! The opt-in log: `RUST_LOG` (or `log_level` in the config) turns it on,
//! and records go to `$DUET_HOME/log/duet.log`, one line each, so that a
//! bug report can carry more than the session database.
//!
//! Off by default. Then no logger is installed and every `log` call in
//! duet is one load and compare of the facade's level. Only duet's own
//! crates are logged unless `RUST_LOG` names another target
//! (`RUST_LOG=debug,reqwest=debug`). Records never carry a secret: every
//! value of an environment variable whose name says it is one (`KEY`,
//! `SECRET`, `TOKEN`, `PASSWORD`, as for children's environments) and the
//! provider's key are replaced by `[redacted]` before a line is written.
//! `trace` is compiled out.

use duet_core::Config;
use log::{LevelFilter, Log, Metadata, Record};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The log file under `$DUET_HOME`.
pub const LOG_FILE: &str = "log/duet.log";
/// A log larger than this at start is moved to `duet.log.1` (one kept).
const ROTATE_BYTES: u64 = 10 * 1024 * 1024;

/// Which records are kept: a level for duet's crates, and levels for the
/// targets `RUST_LOG` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    duet: LevelFilter,
    targets: Vec<(String, LevelFilter)>,
}

impl Filter {
    /// `RUST_LOG`'s form: `LEVEL`, `TARGET=LEVEL` or a comma-separated list
    /// of both. `Err` names the part that is neither.
    pub fn parse(text: &str) -> Result<Filter, String> {
        let mut filter = Filter {
            duet: LevelFilter::Off,
            targets: Vec::new(),
        };
        for part in text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let level = |text: &str| {
                text.parse::<LevelFilter>().map_err(|_| {
                    format!(
                        "`{part}` in `RUST_LOG` is not a level or `target=level` \
                         (levels: off, error, warn, info, debug)"
                    )
                })
            };
            match part.split_once('=') {
                Some((target, value)) => filter.targets.push((target.to_string(), level(value)?)),
                None => filter.duet = level(part)?,
            }
        }
        Ok(filter)
    }

    fn level_for(&self, target: &str) -> LevelFilter {
        let named = self
            .targets
            .iter()
            .filter(|(prefix, _)| target.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len());
        match named {
            Some((_, level)) => *level,
            None if target.starts_with("duet") => self.duet,
            None => LevelFilter::Off,
        }
    }

    fn max(&self) -> LevelFilter {
        self.targets
            .iter()
            .map(|(_, level)| *level)
            .chain([self.duet])
            .max()
            .unwrap_or(LevelFilter::Off)
    }
}

/// The filter `RUST_LOG` (first) or `log_level` asks for; `None`: no log.
pub fn requested(rust_log: Option<&str>, config: &Config) -> Result<Option<Filter>, String> {
    let filter = match rust_log.filter(|text| !text.trim().is_empty()) {
        Some(text) => Filter::parse(text)?,
        None => match config.log_level {
            Some(level) => Filter::parse(level.as_str())?,
            None => return Ok(None),
        },
    };
    Ok((filter.max() != LevelFilter::Off).then_some(filter))
}

/// Turn the log on as `config` and the environment ask; a log that cannot
/// be opened or a `RUST_LOG` that does not parse is returned as a warning
/// for the user (the run goes on without a log).
pub fn init(config: &Config) -> Option<String> {
    let rust_log = std::env::var("RUST_LOG").ok();
    let filter = match requested(rust_log.as_deref(), config) {
        Ok(Some(filter)) => filter,
        Ok(None) => return None,
        Err(message) => return Some(format!("no log is written: {message}")),
    };
    let path = config.duet_home.join(LOG_FILE);
    let file = match open(&path) {
        Ok(file) => file,
        Err(error) => {
            return Some(format!(
                "no log is written: cannot open `{}`: {error}",
                path.display()
            ));
        }
    };
    let mut secrets: Vec<String> = std::env::vars()
        .filter(|(name, _)| duet_sandbox::looks_like_credential(name))
        .map(|(_, value)| value)
        .collect();
    let provider = &config.model_provider;
    secrets.extend(
        provider
            .env_key
            .iter()
            .chain(provider.env_http_headers.values())
            .filter_map(|name| std::env::var(name).ok()),
    );
    secrets.extend(provider.http_headers.values().cloned());
    // Short values would blank ordinary words out of every line.
    secrets.retain(|secret| secret.len() >= 8);
    secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    let max = filter.max();
    let logger = FileLogger {
        filter,
        secrets,
        file: Mutex::new(file),
    };
    // Installed once per process, for its whole life.
    if log::set_logger(Box::leak(Box::new(logger))).is_ok() {
        log::set_max_level(max);
    }
    log::info!(
        target: "duet",
        "duet {} started in `{}`: model `{}`, provider `{}` at {}, sandbox {} (backend {}), approval {}",
        env!("CARGO_PKG_VERSION"),
        config.cwd.display(),
        config.model,
        provider.id,
        provider.base_url,
        config.sandbox_mode.as_str(),
        config.sandbox_backend.name(),
        config.approval_policy.as_str(),
    );
    None
}

/// [`init`] for a front end about to start: a problem joins its warnings.
pub fn start(settings: &mut duet_core::config::Settings) {
    if let Some(warning) = init(&settings.config) {
        settings.warnings.push(warning);
    }
    for warning in &settings.warnings {
        log::warn!(target: "duet", "{warning}");
    }
}

/// Open `path` for appending, making its folder (private to the user) and
/// moving a too-large log aside first.
fn open(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if std::fs::metadata(path).is_ok_and(|meta| meta.len() > ROTATE_BYTES) {
        let mut old = PathBuf::from(path);
        old.set_extension("log.1");
        let _ = std::fs::rename(path, old);
    }
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

struct FileLogger {
    filter: Filter,
    /// Longest first, so a secret containing another is replaced whole.
    secrets: Vec<String>,
    file: Mutex<File>,
}

impl FileLogger {
    fn line(&self, record: &Record<'_>) -> String {
        let mut message = record.args().to_string();
        for secret in &self.secrets {
            if message.contains(secret.as_str()) {
                message = message.replace(secret.as_str(), "[redacted]");
            }
        }
        // One record, one line.
        let message = message.replace('\n', "\\n");
        format!(
            "{} {} {:<5} {}: {message}\n",
            jiff::Timestamp::now(),
            std::process::id(),
            record.level(),
            record.target()
        )
    }
}

impl Log for FileLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.filter.level_for(metadata.target())
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = self.line(record);
        if let Ok(mut file) = self.file.lock() {
            // A full disk must not stop the session; the log just ends.
            let _ = file.write_all(line.as_bytes());
        }
    }

    fn flush(&self) {
        if let Ok(mut file) = self.file.lock() {
            let _ = file.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn a_bare_level_is_for_duet_and_named_targets_for_themselves() {
        let filter = Filter::parse("info, reqwest=debug ,duet_sandbox=off").unwrap();
        let levels: Vec<LevelFilter> = [
            "duet_core::session",
            "duet_sandbox::spawn",
            "reqwest::connect",
            "mio::poll",
        ]
        .iter()
        .map(|target| filter.level_for(target))
        .collect();
        assert_eq!(
            levels,
            [
                LevelFilter::Info,
                LevelFilter::Off,
                LevelFilter::Debug,
                LevelFilter::Off
            ]
        );
        assert_eq!(filter.max(), LevelFilter::Debug);
    }

    #[test]
    fn a_bad_part_is_named() {
        assert_eq!(
            Filter::parse("info,chatty").unwrap_err(),
            "`chatty` in `RUST_LOG` is not a level or `target=level` (levels: off, error, warn, info, debug)"
        );
    }

    #[test]
    fn rust_log_wins_over_log_level_and_off_writes_nothing() {
        let mut config = Config::defaults("/h".into(), "/w".into());
        assert_eq!(requested(None, &config), Ok(None));
        config.log_level = Some(duet_core::config::LogLevel::Info);
        assert_eq!(
            requested(None, &config).unwrap().map(|filter| filter.duet),
            Some(LevelFilter::Info)
        );
        assert_eq!(
            requested(Some("debug"), &config)
                .unwrap()
                .map(|filter| filter.duet),
            Some(LevelFilter::Debug)
        );
        assert_eq!(requested(Some("off"), &config), Ok(None));
    }

    #[test]
    fn secrets_are_redacted_and_a_record_is_one_line() {
        let logger = FileLogger {
            filter: Filter::parse("debug").unwrap(),
            secrets: vec!["sk-secret-value-123".to_string()],
            file: Mutex::new(tempfile::tempfile().unwrap()),
        };
        let line = logger.line(
            &Record::builder()
                .args(format_args!("key sk-secret-value-123\nnext"))
                .level(log::Level::Info)
                .target("duet_model::client")
                .build(),
        );
        let (_, rest) = line
            .split_once(" INFO  ")
            .expect("level after time and pid");
        assert_eq!(rest, "duet_model::client: key [redacted]\\nnext\n");
    }
}
