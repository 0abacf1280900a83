//! `duet config import --from codex`: a Codex user's settings copied into
//! `$DUET_HOME`, with a report of what duet will do with each key.
//!
//! Copied as they are (comments and layout kept): `config.toml`, profile
//! files (`NAME.config.toml`), `rules/*.rules`, `AGENTS.md`,
//! `AGENTS.override.md` and `hooks.json`. Nothing that exists in
//! `$DUET_HOME` is replaced without `force`. Each configuration key is
//! reported as used, read but not acted on yet, or unknown to duet (which
//! then warns about it at every start until it is removed); a file duet
//! cannot load at all is reported and not copied.

use super::schema::{ConfigToml, unknown_keys, unsupported_keys};
use super::{CONFIG_FILE_NAME, ConfigError};
use std::path::{Path, PathBuf};

/// What an import did, or would do (`dry_run`): one line per file and per
/// configuration key, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub lines: Vec<String>,
    /// Files written (none in a dry run).
    pub written: Vec<PathBuf>,
}

/// The files an import copies besides the configuration.
const OTHER_FILES: [(&str, &str); 3] = [
    ("AGENTS.md", "instructions for every project"),
    (
        "AGENTS.override.md",
        "instructions that replace `AGENTS.md`",
    ),
    (
        "hooks.json",
        "hooks; duet does not run hooks yet, so it is kept for later",
    ),
];

/// Copy the settings of the Codex home `codex_home` into `duet_home`.
pub fn import_codex_settings(
    codex_home: &Path,
    duet_home: &Path,
    dry_run: bool,
    force: bool,
) -> Result<ImportReport, String> {
    if !codex_home.is_dir() {
        return Err(format!(
            "there is no Codex home at `{}`: set `CODEX_HOME` to the folder that holds Codex's \
             `config.toml`",
            codex_home.display()
        ));
    }
    let mut import = Import {
        duet_home,
        dry_run,
        force,
        report: ImportReport::default(),
    };
    let mut configs: Vec<PathBuf> = list(codex_home)
        .into_iter()
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name == CONFIG_FILE_NAME || name.ends_with(".config.toml"))
        })
        .collect();
    configs.sort();
    if configs.is_empty() {
        import.say(format!(
            "no `config.toml` in `{}`: nothing to import there",
            codex_home.display()
        ));
    }
    for path in configs {
        import.config(&path)?;
    }
    let mut rules: Vec<PathBuf> = list(&codex_home.join("rules"))
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "rules"))
        .collect();
    rules.sort();
    for path in rules {
        let name = path.file_name().map(PathBuf::from).unwrap_or_default();
        import.copy(&path, &Path::new("rules").join(name), "rules")?;
    }
    for (name, what) in OTHER_FILES {
        let path = codex_home.join(name);
        if path.is_file() {
            import.copy(&path, Path::new(name), what)?;
        }
    }
    Ok(import.report)
}

struct Import<'a> {
    duet_home: &'a Path,
    dry_run: bool,
    force: bool,
    report: ImportReport,
}

impl Import<'_> {
    fn say(&mut self, line: String) {
        self.report.lines.push(line);
    }

    /// One configuration file: checked with duet's own loader, each key
    /// reported, then copied as it is.
    fn config(&mut self, path: &Path) -> Result<(), String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                self.say(format!(
                    "not copied `{}`: cannot read it ({error})",
                    path.display()
                ));
                return Ok(());
            }
        };
        let checked: ConfigToml = match toml::from_str(&text) {
            Ok(checked) => checked,
            Err(error) => {
                let error = ConfigError::from_toml(path, &text, &error);
                self.say(format!(
                    "not copied `{}`: duet cannot load it ({error}); fix it and import again",
                    path.display()
                ));
                return Ok(());
            }
        };
        let name = path.file_name().map(PathBuf::from).unwrap_or_default();
        let what = if name == Path::new(CONFIG_FILE_NAME) {
            "the configuration".to_string()
        } else {
            format!("the profile `{}`", profile_name(&name))
        };
        if !self.copy(path, &name, &what)? {
            return Ok(());
        }
        let unknown = unknown_keys(&checked);
        let unsupported = unsupported_keys(&checked);
        let table: toml::Table = toml::from_str(&text).unwrap_or_default();
        for key in table.keys() {
            let unknown_here: Vec<&String> = unknown
                .iter()
                .filter(|path| *path == key || path.starts_with(&format!("{key}.")))
                .collect();
            let line = if unknown_here.contains(&key) {
                format!(
                    "  `{key}`: unknown to duet, which ignores it and warns; remove it to silence that"
                )
            } else if let Some(note) = unsupported
                .iter()
                .find(|note| note.starts_with(&format!("`{key}")))
            {
                format!("  `{key}`: kept, not acted on yet ({note})")
            } else if unknown_here.is_empty() {
                format!("  `{key}`: used")
            } else {
                let names: Vec<String> = unknown_here
                    .iter()
                    .map(|path| format!("`{path}`"))
                    .collect();
                format!(
                    "  `{key}`: used, except {} (unknown to duet, ignored with a warning)",
                    names.join(", ")
                )
            };
            self.say(line);
        }
        Ok(())
    }

    /// Copy `from` to `$DUET_HOME/<to>` unless it exists there (and not
    /// `force`): whether it was (or, in a dry run, would be) copied.
    fn copy(&mut self, from: &Path, to: &Path, what: &str) -> Result<bool, String> {
        let dest = self.duet_home.join(to);
        if dest.exists() && !self.force {
            self.say(format!(
                "skipped `{}` ({what}): `{}` exists; run again with `--force` to replace it",
                from.display(),
                dest.display()
            ));
            return Ok(false);
        }
        let verb = if self.dry_run { "would copy" } else { "copied" };
        self.say(format!(
            "{verb} `{}` to `{}` ({what})",
            from.display(),
            dest.display()
        ));
        if self.dry_run {
            return Ok(true);
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| format!("cannot create `{}`: {error}", parent.display()))?;
        }
        std::fs::copy(from, &dest).map_err(|error| {
            format!(
                "cannot copy `{}` to `{}`: {error}",
                from.display(),
                dest.display()
            )
        })?;
        self.report.written.push(dest);
        Ok(true)
    }
}

fn profile_name(file_name: &Path) -> String {
    file_name
        .to_string_lossy()
        .trim_end_matches(".config.toml")
        .to_string()
}

/// The regular files in `dir` (none when it cannot be read).
fn list(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
                .map(|entry| entry.path())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn settings_are_copied_and_each_key_reported() {
        let dir = tempfile::tempdir().unwrap();
        let (codex, duet) = (dir.path().join("codex"), dir.path().join("duet"));
        std::fs::create_dir_all(codex.join("rules")).unwrap();
        std::fs::create_dir_all(&duet).unwrap();
        let config = "# mine\nmodel = \"gpt-5.5\"\nnotify = [\"say\"]\nweb_search = \"live\"\n\
                      [tools]\nupdate_plan = true\nweb_search = true\n";
        std::fs::write(codex.join("config.toml"), config).unwrap();
        std::fs::write(codex.join("fast.config.toml"), "model = \"mini\"\n").unwrap();
        std::fs::write(codex.join("broken.config.toml"), "model = \n").unwrap();
        std::fs::write(codex.join("rules/default.rules"), "# r\n").unwrap();
        std::fs::write(codex.join("rules/notes.txt"), "x").unwrap();
        std::fs::write(codex.join("AGENTS.md"), "be brief\n").unwrap();
        std::fs::write(codex.join("hooks.json"), "{}").unwrap();
        std::fs::write(duet.join("AGENTS.md"), "mine\n").unwrap();

        let report = import_codex_settings(&codex, &duet, false, false).unwrap();
        let shown: Vec<String> = report
            .lines
            .iter()
            .map(|line| line.replace(&dir.path().display().to_string(), "<dir>"))
            .collect();
        assert_eq!(
            shown,
            vec![
                "not copied `<dir>/codex/broken.config.toml`: duet cannot load it (<dir>/codex/broken.config.toml:1:9: string values must be quoted, expected literal string); fix it and import again",
                "copied `<dir>/codex/config.toml` to `<dir>/duet/config.toml` (the configuration)",
                "  `model`: used",
                "  `notify`: kept, not acted on yet (`notify` is not supported yet: no program is run when a turn ends)",
                "  `tools`: used, except `tools.web_search` (unknown to duet, ignored with a warning)",
                "  `web_search`: unknown to duet, which ignores it and warns; remove it to silence that",
                "copied `<dir>/codex/fast.config.toml` to `<dir>/duet/fast.config.toml` (the profile `fast`)",
                "  `model`: used",
                "copied `<dir>/codex/rules/default.rules` to `<dir>/duet/rules/default.rules` (rules)",
                "skipped `<dir>/codex/AGENTS.md` (instructions for every project): `<dir>/duet/AGENTS.md` exists; run again with `--force` to replace it",
                "copied `<dir>/codex/hooks.json` to `<dir>/duet/hooks.json` (hooks; duet does not run hooks yet, so it is kept for later)",
            ]
        );
        assert_eq!(
            std::fs::read_to_string(duet.join("config.toml")).unwrap(),
            config
        );
        assert_eq!(
            std::fs::read_to_string(duet.join("AGENTS.md")).unwrap(),
            "mine\n"
        );
        assert!(!duet.join("rules/notes.txt").exists());
        assert_eq!(report.written.len(), 4);

        // A dry run writes nothing; `force` replaces.
        let again = tempfile::tempdir().unwrap();
        let dry = import_codex_settings(&codex, again.path(), true, false).unwrap();
        assert!(dry.written.is_empty());
        assert!(std::fs::read_dir(again.path()).unwrap().next().is_none());
        let forced = import_codex_settings(&codex, &duet, false, true).unwrap();
        assert_eq!(
            std::fs::read_to_string(duet.join("AGENTS.md")).unwrap(),
            "be brief\n"
        );
        assert_eq!(forced.written.len(), 5);
    }

    #[test]
    fn a_missing_codex_home_is_an_error_that_says_what_to_set() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        assert_eq!(
            import_codex_settings(&missing, dir.path(), false, false).unwrap_err(),
            format!(
                "there is no Codex home at `{}`: set `CODEX_HOME` to the folder that holds \
                 Codex's `config.toml`",
                missing.display()
            )
        );
    }
}
