//! What can go wrong while resolving the configuration, and how a TOML
//! error becomes `file:line:column: message for key `a.b``.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "cannot find the duet home: neither `DUET_HOME` nor `HOME` is set; set `DUET_HOME` to a directory"
    )]
    NoHome,
    #[error("cannot read {}: {error}; fix its permissions or point `DUET_HOME` elsewhere", path.display())]
    ReadFile {
        path: PathBuf,
        // In the message, so not a `#[source]`: `{:#}` would print it twice.
        error: io::Error,
    },
    /// A syntax or type error in a config file.
    #[error("{}", Located { path, position: *position, message, key: key.as_deref() })]
    Parse {
        path: PathBuf,
        /// 1-based line and column, when the parser knows where.
        position: Option<(usize, usize)>,
        message: String,
        /// The dotted key whose value has the wrong type.
        key: Option<String>,
    },
    #[error("invalid `-c` override `{raw}`: {reason}")]
    InvalidOverride { raw: String, reason: String },
    /// A `-c` value of the wrong type (`-c sandbox_mode=1`).
    #[error("invalid `-c` override `{key}`: {message}")]
    OverrideValue { key: String, message: String },
    #[error(
        "config profile `{name}` is not defined; known profiles: {}; add `[profiles.{name}]` to {} \
         or create {}",
        list_or_none(known),
        path.display(),
        file.display()
    )]
    UnknownProfile {
        name: String,
        known: Vec<String>,
        path: PathBuf,
        /// Where a profile file of that name would be.
        file: PathBuf,
    },
    #[error(
        "model provider `{id}` is not defined; known providers: {}; add `[model_providers.{id}]` with a `base_url` to {}",
        list_or_none(known),
        path.display()
    )]
    UnknownProvider {
        id: String,
        known: Vec<String>,
        path: PathBuf,
    },
    #[error(
        "`{id}` is not a local provider `--oss` can use: pick `ollama` or `lmstudio` (`--local-provider` or `oss_provider`)"
    )]
    UnknownOssProvider { id: String },
    #[error("{message}; fix it in the config")]
    Mcp { message: String },
    #[error("`budget.{key}` {message}; fix it in the config or the flag")]
    Budget { key: &'static str, message: String },
    #[error("`model_prices.\"{key}\"`: {message}; fix it in the config")]
    ModelPrice { key: String, message: String },
    #[error("model provider `{id}` has no `base_url`; set `model_providers.{id}.base_url`")]
    MissingBaseUrl { id: String },
    #[error("cannot read `model_instructions_file` {}: {error}; fix the path or remove the key", path.display())]
    InstructionsFile { path: PathBuf, error: io::Error },
    #[error("cannot read `experimental_compact_prompt_file` {}: {error}; fix the path or remove the key", path.display())]
    CompactPromptFile { path: PathBuf, error: io::Error },
    #[error("cannot use {} as the working directory: {error}; pass an existing directory with `-C`", path.display())]
    Cwd { path: PathBuf, error: io::Error },
    #[error("cannot determine the current directory: {error}; pass one with `-C`")]
    CurrentDir { error: io::Error },
    /// Unknown keys under `--strict-config`; each entry is a full sentence.
    #[error("{}; remove them or run without `--strict-config`", problems.join("; "))]
    StrictUnknownKeys { problems: Vec<String> },
    /// The merged tree did not deserialise although each layer did; a bug
    /// in the merge rather than in the user's files.
    #[error("invalid configuration after applying the profile and `-c` overrides: {message}")]
    Merged { message: String },
}

impl ConfigError {
    /// A TOML error in the file at `path` whose text is `source`.
    pub(super) fn from_toml(path: &Path, source: &str, error: &toml::de::Error) -> Self {
        ConfigError::Parse {
            path: path.to_path_buf(),
            position: error.span().map(|span| line_column(source, span.start)),
            message: error.message().trim_end().to_string(),
            key: error_key(error),
        }
    }

    /// A type error in the `-c` override of `key`.
    pub(super) fn from_override(key: &str, error: &toml::de::Error) -> Self {
        let mut message = error.message().trim_end().to_string();
        if let Some(error_key) = error_key(error).filter(|error_key| error_key != key) {
            message.push_str(&format!(" for key `{error_key}`"));
        }
        ConfigError::OverrideValue {
            key: key.to_string(),
            message,
        }
    }
}

/// The dotted key a toml error is about. toml keeps it private but prints
/// it as a trailing "in `a.b`" line when it has no source text to quote.
fn error_key(error: &toml::de::Error) -> Option<String> {
    let mut bare = error.clone();
    bare.set_input(None);
    let rendered = bare.to_string();
    let rest = rendered.strip_prefix(error.message())?;
    let key = rest.trim().strip_prefix("in `")?.strip_suffix('`')?;
    Some(key.to_string())
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names
            .iter()
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

struct Located<'a> {
    path: &'a Path,
    position: Option<(usize, usize)>,
    message: &'a str,
    key: Option<&'a str>,
}

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(key) = self.key {
            write!(f, " for key `{key}`")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn line_column_counts_characters_from_one() {
        let source = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_column(source, 0), (1, 1));
        assert_eq!(line_column(source, 6), (2, 1));
        // "bé = " is six bytes but five characters.
        assert_eq!(line_column(source, 12), (2, 6));
        assert_eq!(line_column(source, 999), (3, 1));
    }

    #[test]
    fn lists_name_each_entry_or_say_none() {
        assert_eq!(list_or_none(&[]), "none");
        assert_eq!(list_or_none(&["a".into(), "b".into()]), "`a`, `b`");
    }
}
