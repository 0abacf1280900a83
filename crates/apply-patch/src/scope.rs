//! Where a patch may write: a [`WriteScope`] is a set of writable roots
//! minus the protected folders directly under each of them, judged on real
//! paths (symlinks resolved). The caller (duet's core) builds it from the
//! sandbox policy, so a patch may write exactly where a confined command
//! could; this crate only applies it.

use std::path::{Component, Path, PathBuf};

/// Writable roots and the paths beneath them that stay read-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteScope {
    roots: Vec<PathBuf>,
    protected: Vec<PathBuf>,
    /// Single files allowed wherever they are (approved by the user).
    files: Vec<PathBuf>,
}

impl WriteScope {
    /// `roots` (resolved here) with each of `protected_names` directly under
    /// *every* root kept read-only, and the target of any of those that is
    /// a symlink too. A root inside another (a workspace in `/tmp`) keeps
    /// its own protected folders whatever the outer root allows.
    pub fn new(roots: &[PathBuf], protected_names: &[&str]) -> WriteScope {
        let roots: Vec<PathBuf> = roots.iter().map(|root| resolve(root)).collect();
        let mut protected = Vec::new();
        for root in &roots {
            for name in protected_names {
                let path = root.join(name);
                let target = resolve(&path);
                if target != path {
                    protected.push(target);
                }
                protected.push(path);
            }
        }
        WriteScope {
            roots,
            protected,
            files: Vec::new(),
        }
    }

    /// This scope, with these paths (and, for a symlink, its target) kept
    /// read-only too: the `.git` entries of nested repositories.
    pub fn with_protected(mut self, paths: &[PathBuf]) -> WriteScope {
        for path in paths {
            let target = resolve(path);
            if target != *path {
                self.protected.push(target);
            }
            self.protected.push(path.clone());
        }
        self
    }

    /// This scope, plus exactly these files (resolved here) wherever they
    /// are: what a user approved outside the roots, and nothing more.
    pub fn with_files(mut self, files: &[PathBuf]) -> WriteScope {
        self.files.extend(files.iter().map(|file| resolve(file)));
        self
    }

    /// Whether `real_path` (already resolved, see [`resolve`]) may be
    /// written: beneath a root and beneath no protected path.
    pub fn allows(&self, real_path: &Path) -> bool {
        if self.files.iter().any(|file| file == real_path) {
            return true;
        }
        self.roots.iter().any(|root| real_path.starts_with(root))
            && !self
                .protected
                .iter()
                .any(|protected| real_path.starts_with(protected))
    }
}

/// The real location of `path`: `.` and `..` folded, then symlinks resolved
/// for the part of the path that exists, the missing rest appended as
/// written. A write to the result goes where a write to `path` would go
/// (at the moment of the call).
pub fn resolve(path: &Path) -> PathBuf {
    let mut lexical = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            other => lexical.push(other),
        }
    }
    let mut existing = lexical.as_path();
    let mut missing = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut resolved = real;
            resolved.extend(missing.iter().rev());
            return resolved;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name.to_os_string());
                existing = parent;
            }
            _ => return lexical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn nested_roots_keep_their_protected_folders_and_symlinks_are_followed() {
        let temp = tempfile::tempdir().unwrap();
        let outer = temp.path().canonicalize().unwrap();
        let root = outer.join("repo");
        std::fs::create_dir_all(root.join(".git/hooks")).unwrap();
        std::fs::create_dir_all(outer.join("real-agents")).unwrap();
        std::os::unix::fs::symlink(root.join(".git"), root.join("g")).unwrap();
        std::os::unix::fs::symlink(outer.join("real-agents"), root.join(".agents")).unwrap();
        let scope = WriteScope::new(
            &[root.clone(), outer.clone()],
            &[".git", ".duet", ".agents"],
        );
        let judged: Vec<(String, bool)> = [
            ".git/config",
            "g/hooks/pre-commit",
            ".duet/config.toml",
            ".agents/x",
            "../real-agents/x",
            "src/new.rs",
            "../elsewhere.txt",
            "../../outside.txt",
        ]
        .iter()
        .map(|path| (path.to_string(), scope.allows(&resolve(&root.join(path)))))
        .collect();
        let expected: Vec<(String, bool)> = [
            (".git/config", false),
            ("g/hooks/pre-commit", false),
            (".duet/config.toml", false),
            (".agents/x", false),
            ("../real-agents/x", false),
            ("src/new.rs", true),
            ("../elsewhere.txt", true),
            ("../../outside.txt", false),
        ]
        .iter()
        .map(|(path, allowed)| (path.to_string(), *allowed))
        .collect();
        assert_eq!(judged, expected);
    }
}
