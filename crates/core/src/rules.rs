//! The session's command rules (`.rules` files, see docs/execpolicy.md):
//! which files a session loads when it starts, and saving the prefix of an
//! "always allow" answer both to `$DUET_HOME/rules/default.rules` and to the
//! running session's policy.
//!
//! It does not decide anything about a command: `tools/escalation.rs`
//! composes the policy's evaluation with the approval policy and the sandbox.

use crate::config::Config;
use duet_execpolicy::{Decision, Policy};
use std::sync::RwLock;

/// `$DUET_HOME/rules/*.rules`, then `<project>/.duet/rules/*.rules` when
/// the project is trusted, each folder sorted by path. A file that does not
/// load is an error naming it (with line and column): the session must not
/// start with some of the user's rules silently missing. Without a rules
/// folder this costs one failed `read_dir`.
pub(crate) fn load(config: &Config) -> Result<Policy, duet_execpolicy::Error> {
    let project = config.trusted_project_root();
    let files = duet_execpolicy::rules_files(&config.duet_home, project.as_deref());
    Policy::load(&files)
}

/// Save `prefix` as an `allow` rule: appended to
/// `$DUET_HOME/rules/default.rules` (created with its folder when missing)
/// and added to `policy`, so the running session honours it at once. The
/// in-memory rule is added even when the file cannot be written; the error
/// says what went wrong, for a warning.
pub(crate) fn save_allow_rule(
    config: &Config,
    policy: &RwLock<Policy>,
    prefix: &[String],
) -> Result<(), String> {
    if let Ok(mut policy) = policy.write() {
        policy.add_prefix_rule(prefix, Decision::Allow);
    }
    let path = duet_execpolicy::default_rules_file(&config.duet_home);
    duet_execpolicy::append_rule(&path, prefix, Decision::Allow).map_err(|error| {
        format!(
            "could not save the rule `{}` to `{}` ({error}); it applies to this session only, \
             check that the folder is writable",
            prefix.join(" "),
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TrustLevel;
    use pretty_assertions::assert_eq;
    use std::path::{Path, PathBuf};

    struct Dirs {
        _temp: tempfile::TempDir,
        home: PathBuf,
        repo: PathBuf,
    }

    fn dirs() -> Dirs {
        let temp = tempfile::tempdir().unwrap();
        let base = temp.path().canonicalize().unwrap();
        let home = base.join("home");
        let repo = base.join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::create_dir_all(repo.join("src")).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        Dirs {
            _temp: temp,
            home,
            repo,
        }
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn sources(policy: &Policy) -> Vec<String> {
        policy
            .rules()
            .iter()
            .map(|rule| format!("{} {}:{}", rule.program, rule.source.path, rule.source.line))
            .collect()
    }

    #[test]
    fn loads_user_rules_then_a_trusted_projects_rules() {
        let dirs = dirs();
        write(&dirs.home.join("rules/b.rules"), "prefix_rule([\"b\"])\n");
        write(&dirs.home.join("rules/a.rules"), "\nprefix_rule([\"a\"])\n");
        write(&dirs.home.join("rules/notes.txt"), "not rules");
        write(
            &dirs.repo.join(".duet/rules/team.rules"),
            "prefix_rule([\"team\"], \"prompt\")\n",
        );
        let mut config = Config::defaults(dirs.home.clone(), dirs.repo.join("src"));
        let user = vec![
            format!("a {}:2", dirs.home.join("rules/a.rules").display()),
            format!("b {}:1", dirs.home.join("rules/b.rules").display()),
        ];
        assert_eq!(sources(&load(&config).unwrap()), user);

        config
            .projects
            .insert(dirs.repo.clone(), TrustLevel::Untrusted);
        assert_eq!(sources(&load(&config).unwrap()), user);

        config
            .projects
            .insert(dirs.repo.clone(), TrustLevel::Trusted);
        let mut all = user.clone();
        all.push(format!(
            "team {}:1",
            dirs.repo.join(".duet/rules/team.rules").display()
        ));
        assert_eq!(sources(&load(&config).unwrap()), all);
    }

    #[test]
    fn a_broken_file_is_an_error_naming_it() {
        let dirs = dirs();
        let bad = dirs.home.join("rules/bad.rules");
        write(
            &bad,
            "prefix_rule([\"ls\"])\nprefix_rule([\"rm\"], comment = \"x\")\n",
        );
        let config = Config::defaults(dirs.home.clone(), dirs.repo.clone());
        assert_eq!(
            load(&config).unwrap_err().to_string(),
            format!(
                "`{}`:2:1: unknown parameter `comment` for `prefix_rule`: it takes pattern, \
                 decision, match, not_match, justification; fix the rule or move the file out \
                 of the rules folder",
                bad.display()
            )
        );
    }

    #[test]
    fn saving_a_rule_appends_it_and_applies_it_at_once() {
        let dirs = dirs();
        let config = Config::defaults(dirs.home.clone(), dirs.repo.clone());
        let policy = RwLock::new(Policy::empty());
        let prefix = vec!["cargo".to_string(), "test".to_string()];
        save_allow_rule(&config, &policy, &prefix).unwrap();
        save_allow_rule(&config, &policy, &prefix).unwrap();
        assert_eq!(
            std::fs::read_to_string(dirs.home.join("rules/default.rules")).unwrap(),
            "prefix_rule(pattern=[\"cargo\", \"test\"], decision=\"allow\")\n"
        );
        let argv = ["cargo", "test", "--all"].map(String::from);
        assert_eq!(
            policy.read().unwrap().decide(&argv, true),
            Some(Decision::Allow)
        );
    }
}
