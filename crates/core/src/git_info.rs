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

/// The root of the repository holding `cwd`: the nearest ancestor that
/// [`holds_repository`].
pub fn repo_root(cwd: &Path) -> Option<PathBuf> {
    cwd.ancestors()
        .find(|dir| holds_repository(dir))
        .map(Path::to_path_buf)
}

/// Whether `dir` holds a git repository as git recognises one: a `.git`
/// directory with a valid `HEAD` (a symbolic ref or an object id), or a
/// `.git` file naming a git directory (`gitdir: …`, a worktree or a
/// submodule). An empty `.git` (a mount point a killed sandbox left
/// behind, say) is not a repository, for git or for duet.
pub fn holds_repository(dir: &Path) -> bool {
    git_dir_of(dir).is_some()
}

/// The git directory of the repository whose top is `dir`, if any.
fn git_dir_of(dir: &Path) -> Option<PathBuf> {
    let candidate = dir.join(".git");
    let metadata = std::fs::metadata(&candidate).ok()?;
    if metadata.is_dir() {
        return valid_head(&candidate).then_some(candidate);
    }
    let text = std::fs::read_to_string(&candidate).ok()?;
    let target = text.trim().strip_prefix("gitdir:")?.trim();
    (!target.is_empty()).then(|| dir.join(target))
}

/// Whether `git_dir/HEAD` is what git accepts: `ref: refs/…` or an object id.
fn valid_head(git_dir: &Path) -> bool {
    let Ok(head) = std::fs::read_to_string(git_dir.join("HEAD")) else {
        return false;
    };
    let head = head.trim();
    match head.strip_prefix("ref:") {
        Some(reference) => reference.trim().starts_with("refs/"),
        None => matches!(head.len(), 40 | 64) && head.bytes().all(|byte| byte.is_ascii_hexdigit()),
    }
}

/// `.git` as a directory, or the directory a `.git` file (worktree) points to.
fn find_git_dir(cwd: &Path) -> Option<PathBuf> {
    cwd.ancestors().find_map(git_dir_of)
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
        std::fs::write(
            git.join("HEAD"),
            "0123abcd0123abcd0123abcd0123abcd0123abcd\n",
        )
        .unwrap();
        assert_eq!(
            read(temp.path()),
            GitInfo {
                branch: None,
                commit: Some("0123abcd0123abcd0123abcd0123abcd0123abcd".into()),
                origin: None
            }
        );
    }

    #[test]
    fn outside_a_repository_nothing_is_known() {
        let temp = tempfile::tempdir().unwrap();
        assert_eq!(read(temp.path()), GitInfo::default());
    }

    #[test]
    fn only_what_git_recognises_is_a_repository() {
        let temp = tempfile::tempdir().unwrap();
        let base = temp.path();
        let cases = [
            ("empty-git-dir", None, false),
            ("head-ref", Some("ref: refs/heads/main\n"), true),
            (
                "head-oid",
                Some("0123456789abcdef0123456789abcdef01234567\n"),
                true,
            ),
            ("head-junk", Some("hello\n"), false),
        ];
        for (name, head, expected) in cases {
            let dir = base.join(name);
            std::fs::create_dir_all(dir.join(".git")).unwrap();
            if let Some(head) = head {
                std::fs::write(dir.join(".git/HEAD"), head).unwrap();
            }
            assert_eq!(holds_repository(&dir), expected, "{name}");
        }
        let worktree = base.join("worktree");
        std::fs::create_dir_all(&worktree).unwrap();
        std::fs::write(
            worktree.join(".git"),
            "gitdir: /elsewhere/.git/worktrees/w\n",
        )
        .unwrap();
        assert!(holds_repository(&worktree));
        std::fs::write(worktree.join(".git"), "not a pointer\n").unwrap();
        assert!(!holds_repository(&worktree));
        // An empty `.git` above a real repository does not hide it, and one
        // above a plain folder does not make it a repository.
        std::fs::create_dir_all(base.join("head-ref/sub/.git")).unwrap();
        assert_eq!(
            repo_root(&base.join("head-ref/sub")),
            Some(base.join("head-ref"))
        );
        assert_eq!(repo_root(&base.join("empty-git-dir")), None);
    }
}
