//! Keys saved by `duet login`: `$DUET_HOME/auth.json`, one key per
//! provider id, readable by the user alone and replaced whole on every
//! change (a temporary file renamed over it), so a crash never leaves half
//! a file. The environment always wins: a provider's key comes from
//! `DUET_API_KEY`/`CODEX_API_KEY`, then its `env_key` variable, and only
//! then from this file.

use crate::config::Config;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file under `$DUET_HOME`.
pub const AUTH_FILE: &str = "auth.json";

#[derive(Debug, Default, Serialize, Deserialize)]
struct AuthFile {
    #[serde(default)]
    providers: BTreeMap<String, ProviderAuth>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ProviderAuth {
    api_key: String,
}

/// Where a provider's key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// An environment variable, by name.
    Env(String),
    /// `$DUET_HOME/auth.json` (`duet login`).
    File(PathBuf),
    /// The provider needs no key (no `env_key`).
    NotNeeded,
}

impl KeySource {
    /// Where a sent key came from, as a refused key's message names it;
    /// `None` when no key is needed.
    pub fn describe(&self) -> Option<String> {
        match self {
            KeySource::Env(var) => Some(format!("`{var}`")),
            KeySource::File(path) => Some(format!("`{}` (`duet login`)", path.display())),
            KeySource::NotNeeded => None,
        }
    }
}

/// A key to send and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedKey {
    pub key: Option<String>,
    pub source: KeySource,
}

fn path(duet_home: &Path) -> PathBuf {
    duet_home.join(AUTH_FILE)
}

fn read(duet_home: &Path) -> Result<AuthFile, String> {
    let path = path(duet_home);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(|error| {
            format!(
                "`{}` is not a duet key file ({error}); remove it and run `duet login` again",
                path.display()
            )
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(AuthFile::default()),
        Err(error) => Err(format!("cannot read `{}`: {error}", path.display())),
    }
}

fn write(duet_home: &Path, file: &AuthFile) -> Result<(), String> {
    let target = path(duet_home);
    let fail = |error: std::io::Error| format!("cannot write `{}`: {error}", target.display());
    std::fs::create_dir_all(duet_home).map_err(fail)?;
    let temporary = duet_home.join(format!(".{AUTH_FILE}.{}", std::process::id()));
    let text = serde_json::to_string_pretty(file).map_err(|error| error.to_string())?;
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut out = options.open(&temporary)?;
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
        out.sync_all()?;
        std::fs::rename(&temporary, &target)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(fail)
}

/// The key `duet login` saved for `provider`, if any.
pub fn stored_key(duet_home: &Path, provider: &str) -> Result<Option<String>, String> {
    Ok(read(duet_home)?
        .providers
        .remove(provider)
        .map(|auth| auth.api_key)
        .filter(|key| !key.is_empty()))
}

/// Every provider with a saved key, and the key.
pub fn stored_keys(duet_home: &Path) -> Result<Vec<(String, String)>, String> {
    Ok(read(duet_home)?
        .providers
        .into_iter()
        .map(|(id, auth)| (id, auth.api_key))
        .collect())
}

/// Save `key` for `provider`, keeping the other providers' keys.
pub fn save_key(duet_home: &Path, provider: &str, key: &str) -> Result<(), String> {
    let mut file = read(duet_home)?;
    file.providers.insert(
        provider.to_string(),
        ProviderAuth {
            api_key: key.to_string(),
        },
    );
    write(duet_home, &file)
}

/// Forget the saved key of `provider`, or of every provider; the ids whose
/// key was removed.
pub fn remove_keys(duet_home: &Path, provider: Option<&str>) -> Result<Vec<String>, String> {
    let mut file = read(duet_home)?;
    let removed: Vec<String> = match provider {
        Some(id) => file
            .providers
            .remove(id)
            .map(|_| vec![id.to_string()])
            .unwrap_or_default(),
        None => std::mem::take(&mut file.providers).into_keys().collect(),
    };
    if !removed.is_empty() {
        write(duet_home, &file)?;
    }
    Ok(removed)
}

/// The key a session of `config` sends: the environment's, else the one
/// `duet login` saved. The error says which variable is missing and how
/// to save a key instead.
pub fn resolve_key(
    config: &Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ResolvedKey, String> {
    let provider = &config.model_provider;
    let non_empty = |var: &str| env(var).filter(|value| !value.is_empty());
    if let Some(var) = duet_model::API_KEY_OVERRIDE_VARS
        .iter()
        .find(|var| non_empty(var).is_some())
    {
        return Ok(ResolvedKey {
            key: non_empty(var),
            source: KeySource::Env((*var).to_string()),
        });
    }
    match provider.resolve_api_key(env) {
        Ok(None) => Ok(ResolvedKey {
            key: None,
            source: KeySource::NotNeeded,
        }),
        Ok(Some(key)) => Ok(ResolvedKey {
            key: Some(key),
            source: KeySource::Env(provider.env_key.clone().unwrap_or_default()),
        }),
        Err(missing) => match stored_key(&config.duet_home, &provider.id)? {
            Some(key) => Ok(ResolvedKey {
                key: Some(key),
                source: KeySource::File(path(&config.duet_home)),
            }),
            None => Err(format!(
                "{missing}; or save a key for provider `{}` with `duet login --provider {} --with-api-key` (the key on stdin)",
                provider.id, provider.id
            )),
        },
    }
}

/// `key` as `duet login status` shows it: its first and last four
/// characters at most.
pub fn masked(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 12 {
        return "…".to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn keys_are_saved_private_replaced_whole_and_removed() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(stored_key(home.path(), "openai"), Ok(None));
        save_key(home.path(), "openai", "sk-one").unwrap();
        save_key(home.path(), "anthropic", "sk-ant").unwrap();
        save_key(home.path(), "openai", "sk-two").unwrap();
        assert_eq!(
            (
                stored_key(home.path(), "openai"),
                stored_key(home.path(), "anthropic")
            ),
            (
                Ok(Some("sk-two".to_string())),
                Ok(Some("sk-ant".to_string()))
            )
        );
        let mode = std::fs::metadata(home.path().join(AUTH_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let names: Vec<String> = std::fs::read_dir(home.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [AUTH_FILE], "no temporary file is left");
        assert_eq!(
            remove_keys(home.path(), Some("openai")),
            Ok(vec!["openai".to_string()])
        );
        assert_eq!(stored_key(home.path(), "openai"), Ok(None));
        assert_eq!(
            remove_keys(home.path(), None),
            Ok(vec!["anthropic".to_string()])
        );
    }

    #[test]
    fn a_damaged_file_is_an_error_and_is_not_overwritten() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join(AUTH_FILE), "not json").unwrap();
        let error = save_key(home.path(), "openai", "sk-x").unwrap_err();
        assert!(error.contains("is not a duet key file"), "{error}");
        assert_eq!(
            std::fs::read_to_string(home.path().join(AUTH_FILE)).unwrap(),
            "not json"
        );
    }

    #[test]
    fn the_environment_wins_then_the_file_then_an_error_naming_both() {
        let home = tempfile::tempdir().unwrap();
        let config = Config::defaults(home.path().to_path_buf(), "/w".into());
        let no_env = |_: &str| None;
        let error = resolve_key(&config, &no_env).unwrap_err();
        assert!(
            error.contains("OPENAI_API_KEY")
                && error.ends_with(
                    "or save a key for provider `openai` with `duet login --provider openai --with-api-key` (the key on stdin)"
                ),
            "{error}"
        );
        save_key(home.path(), "openai", "sk-saved").unwrap();
        assert_eq!(
            resolve_key(&config, &no_env),
            Ok(ResolvedKey {
                key: Some("sk-saved".to_string()),
                source: KeySource::File(home.path().join(AUTH_FILE)),
            })
        );
        let env = |name: &str| (name == "OPENAI_API_KEY").then(|| "sk-env".to_string());
        assert_eq!(
            resolve_key(&config, &env),
            Ok(ResolvedKey {
                key: Some("sk-env".to_string()),
                source: KeySource::Env("OPENAI_API_KEY".to_string()),
            })
        );
    }

    #[test]
    fn a_masked_key_shows_at_most_its_ends() {
        assert_eq!(
            [masked("sk-proj-abcdefghijklmnop"), masked("short-key")],
            ["sk-p…mnop".to_string(), "…".to_string()]
        );
    }
}
