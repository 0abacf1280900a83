//! `[projects."<abs path>"] trust_level`: which projects the user trusts,
//! and which project a session is in.
//!
//! Trust decides one thing today: whether the project's own
//! `.duet/rules/*.rules` are loaded (see `crate::rules`). It does not change
//! the approval policy or the sandbox.

use super::Config;
use std::path::{Path, PathBuf};

/// `trust_level` of a `[projects."<abs path>"]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustLevel {
    Trusted,
    Untrusted,
}

impl Config {
    /// The project the session works in: the root of the git repository
    /// holding the cwd (the nearest ancestor with a `.git` directory or
    /// worktree file), else the cwd itself.
    pub fn project_root(&self) -> PathBuf {
        crate::git_info::repo_root(&self.cwd).unwrap_or_else(|| self.cwd.clone())
    }

    /// The trust level configured for the project at `root`, if any. A key
    /// names the project when it is the same path, or the same directory
    /// once resolved (a key written through a symlink still counts).
    pub fn trust_level(&self, root: &Path) -> Option<TrustLevel> {
        if let Some(level) = self.projects.get(root) {
            return Some(*level);
        }
        self.projects
            .iter()
            .find(|(path, _)| path.canonicalize().is_ok_and(|real| real == root))
            .map(|(_, level)| *level)
    }

    /// The project root when the project is trusted, for loading its rules.
    /// Free when no project is configured.
    pub fn trusted_project_root(&self) -> Option<PathBuf> {
        if self.projects.is_empty() {
            return None;
        }
        let root = self.project_root();
        (self.trust_level(&root) == Some(TrustLevel::Trusted)).then_some(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn config(cwd: &Path, projects: &[(&Path, TrustLevel)]) -> Config {
        let mut config = Config::defaults(PathBuf::from("/duet-home"), cwd.to_path_buf());
        config.projects = projects
            .iter()
            .map(|(path, level)| (path.to_path_buf(), *level))
            .collect();
        config
    }

    #[test]
    fn the_project_is_the_git_root_else_the_cwd() {
        let temp = tempfile::tempdir().unwrap();
        let base = temp.path().canonicalize().unwrap();
        let repo = base.join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::create_dir_all(repo.join("src/deep")).unwrap();
        let worktree = base.join("worktree");
        std::fs::create_dir_all(worktree.join("sub")).unwrap();
        std::fs::write(worktree.join(".git"), "gitdir: /elsewhere\n").unwrap();
        let plain = base.join("plain");
        std::fs::create_dir_all(plain.join("sub")).unwrap();

        let roots: Vec<PathBuf> = [
            repo.join("src/deep"),
            repo.clone(),
            worktree.join("sub"),
            plain.join("sub"),
        ]
        .iter()
        .map(|cwd| config(cwd, &[]).project_root())
        .collect();
        assert_eq!(roots, vec![repo.clone(), repo, worktree, plain.join("sub")]);
    }

    #[test]
    fn trust_is_looked_up_by_project_root() {
        let temp = tempfile::tempdir().unwrap();
        let base = temp.path().canonicalize().unwrap();
        let trusted = base.join("trusted");
        let untrusted = base.join("untrusted");
        let unlisted = base.join("unlisted");
        for repo in [&trusted, &untrusted, &unlisted] {
            std::fs::create_dir_all(repo.join(".git")).unwrap();
            std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
            std::fs::create_dir_all(repo.join("src")).unwrap();
        }
        let link = base.join("link");
        std::os::unix::fs::symlink(&trusted, &link).unwrap();
        let projects = [
            (link.as_path(), TrustLevel::Trusted),
            (untrusted.as_path(), TrustLevel::Untrusted),
        ];
        let found: Vec<(Option<TrustLevel>, Option<PathBuf>)> = [&trusted, &untrusted, &unlisted]
            .iter()
            .map(|repo| {
                let config = config(&repo.join("src"), &projects);
                (
                    config.trust_level(&config.project_root()),
                    config.trusted_project_root(),
                )
            })
            .collect();
        assert_eq!(
            found,
            vec![
                (Some(TrustLevel::Trusted), Some(trusted.clone())),
                (Some(TrustLevel::Untrusted), None),
                (None, None),
            ]
        );
    }
}
