//! The branch, commit and origin of the repository a thread runs in, read
//! from the `.git` files directly: spawning `git` three times would cost more
//! than the rest of a session's start.

use std::path::{Path, PathBuf};

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct GitInfo {
    pub branch: Option<String>,
    pub commit: Option<String>,
    pub origin: Option<String>,
}

/// Whatever can be read; missing pieces are `None`, never an error.
pub(crate) fn read(cwd: &Path) -> GitInfo {
    let Some(git_dir) = find_git_dir(cwd) else {
        return GitInfo::default();
    };
    let head = std::fs::read_to_string(git_dir.join("HEAD")).unwrap_or_default();
    let head = head.trim();
    let (branch, commit) = match head.strip_prefix("ref: ") {
        Some(reference) => (
            reference.strip_prefix("refs/heads/").map(str::to_string),
            resolve_ref(&git_dir, reference),
        ),
        None if !head.is_empty() => (None, Some(head.to_string())),
        None => (None, None),
    };
    let config = std::fs::read_to_string(common_dir(&git_dir).join("config")).unwrap_or_default();
    GitInfo {
        branch,
        commit,
        origin: origin_url(&config),
    }
}

/// The root of the repository holding `cwd`: the nearest ancestor with a
/// `.git` directory or worktree file.
pub(crate) fn repo_root(cwd: &Path) -> Option<PathBuf> {
    cwd.ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}

/// `.git` as a directory, or the directory a `.git` file (worktree) points to.
fn find_git_dir(cwd: &Path) -> Option<PathBuf> {
    for dir in cwd.ancestors() {
        let candidate = dir.join(".git");
        if candidate.is_dir() {
            return Some(candidate);
        }
        if candidate.is_file() {
            let text = std::fs::read_to_string(&candidate).ok()?;
            let target = text.trim().strip_prefix("gitdir: ")?;
            return Some(dir.join(target));
        }
    }
    None
}

/// Worktrees keep refs and config in the main repository's git dir.
fn common_dir(git_dir: &Path) -> PathBuf {
    match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(text) => git_dir.join(text.trim()),
        Err(_) => git_dir.to_path_buf(),
    }
}

fn resolve_ref(git_dir: &Path, reference: &str) -> Option<String> {
    for dir in [git_dir.to_path_buf(), common_dir(git_dir)] {
        if let Ok(text) = std::fs::read_to_string(dir.join(reference)) {
            return Some(text.trim().to_string());
        }
    }
    let packed = std::fs::read_to_string(common_dir(git_dir).join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (hash, name) = line.split_once(' ')?;
        (name == reference).then(|| hash.to_string())
    })
}

/// `url` of `[remote "origin"]` in a git config file.
fn origin_url(config: &str) -> Option<String> {
    let mut in_origin = false;
    for line in config.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_origin = line == "[remote \"origin\"]";
        } else if in_origin
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "url"
        {
            return Some(value.trim().to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn reads_branch_commit_and_origin_from_files() {
        let temp = tempfile::tempdir().unwrap();
        let git = temp.path().join(".git");
        std::fs::create_dir_all(git.join("refs/heads")).unwrap();
        std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(git.join("refs/heads/main"), "abc123\n").unwrap();
        std::fs::write(
            git.join("config"),
            "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = git@example.com:a/b.git\n",
        )
        .unwrap();
        let sub = temp.path().join("src");
        std::fs::create_dir(&sub).unwrap();
        assert_eq!(
            read(&sub),
            GitInfo {
                branch: Some("main".into()),
                commit: Some("abc123".into()),
                origin: Some("git@example.com:a/b.git".into()),
            }
        );
    }

    #[test]
    fn packed_refs_and_detached_head() {
        let temp = tempfile::tempdir().unwrap();
        let git = temp.path().join(".git");
        std::fs::create_dir_all(&git).unwrap();
        std::fs::write(git.join("HEAD"), "ref: refs/heads/dev\n").unwrap();
        std::fs::write(
            git.join("packed-refs"),
            "# pack-refs\nfff000 refs/heads/dev\n",
        )
        .unwrap();
        assert_eq!(read(temp.path()).commit.as_deref(), Some("fff000"));
        std::fs::write(git.join("HEAD"), "0123abcd\n").unwrap();
        assert_eq!(
            read(temp.path()),
            GitInfo {
                branch: None,
                commit: Some("0123abcd".into()),
                origin: None
            }
        );
    }

    #[test]
    fn outside_a_repository_nothing_is_known() {
        let temp = tempfile::tempdir().unwrap();
        assert_eq!(read(temp.path()), GitInfo::default());
    }
}
