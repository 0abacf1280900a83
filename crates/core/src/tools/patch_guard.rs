//! The two checks that stand between a patch and the disk: recognising a
//! shell command that is really a patch (so it gets the same checks as the
//! `apply_patch` tool), and finding the paths a patch would write outside the
//! writable roots (those need approval).
//!
//! The recogniser is deliberately strict: only a script that is exactly one
//! `apply_patch <<'EOF' … EOF`, optionally preceded by `cd DIR &&`, is taken
//! as a patch. Anything else runs as an ordinary command, under the sandbox.

use duet_apply_patch::WriteScope;
use duet_sandbox::PROTECTED_FOLDERS;
use std::path::PathBuf;

/// A shell command that is a patch invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeredocPatch {
    /// The directory of a leading `cd DIR &&`, as written.
    pub cd: Option<String>,
    /// The heredoc body: the patch text.
    pub patch: String,
}

/// `[cd DIR &&] apply_patch <<DELIM\n…\nDELIM`, with `DELIM` bare, 'quoted'
/// or "quoted", and `applypatch` accepted as the program name.
pub(crate) fn parse_heredoc_invocation(script: &str) -> Option<HeredocPatch> {
    let script = script.trim();
    let (first_line, rest) = script.split_once('\n')?;
    let mut words = Words::new(first_line);

    let mut cd = None;
    let mut program = words.next()?;
    if program == "cd" {
        cd = Some(words.next()?);
        if words.next()?.as_str() != "&&" {
            return None;
        }
        program = words.next()?;
    }
    if program != "apply_patch" && program != "applypatch" {
        return None;
    }
    let delimiter = words.heredoc_delimiter()?;
    if !words.rest.trim().is_empty() {
        return None;
    }

    // The body runs to the first line that is exactly the delimiter, and
    // nothing but blank space may follow it.
    let mut body = Vec::new();
    let mut lines = rest.split('\n');
    for line in lines.by_ref() {
        if line.trim_end_matches('\r') == delimiter {
            let trailing: String = lines.collect::<Vec<_>>().join("\n");
            return trailing.trim().is_empty().then(|| HeredocPatch {
                cd,
                patch: body.join("\n"),
            });
        }
        body.push(line);
    }
    None
}

/// Splits the first line of a script into shell words, understanding just
/// enough quoting for the one form we accept.
struct Words<'a> {
    rest: &'a str,
}

impl<'a> Words<'a> {
    fn new(line: &'a str) -> Self {
        Words { rest: line }
    }

    fn next(&mut self) -> Option<String> {
        self.rest = self.rest.trim_start();
        let first = self.rest.chars().next()?;
        match first {
            '\'' => self.quoted('\''),
            '"' => self.quoted('"'),
            '&' if self.rest.starts_with("&&") => {
                self.rest = &self.rest[2..];
                Some("&&".to_string())
            }
            _ => {
                let end = self
                    .rest
                    .find(|c: char| c.is_whitespace() || "&|;<>()$`\\'\"".contains(c))
                    .unwrap_or(self.rest.len());
                if end == 0 {
                    // An operator we do not accept here.
                    return None;
                }
                let word = &self.rest[..end];
                self.rest = &self.rest[end..];
                Some(word.to_string())
            }
        }
    }

    /// A quoted word with no escapes or expansions inside.
    fn quoted(&mut self, quote: char) -> Option<String> {
        let inner = &self.rest[1..];
        let end = inner.find(quote)?;
        let word = &inner[..end];
        if quote == '"' && word.contains(['$', '`', '\\']) {
            return None;
        }
        self.rest = &inner[end + 1..];
        // A quoted word must end here, not run into more text.
        if self.rest.starts_with(|c: char| !c.is_whitespace()) && !self.rest.starts_with("&&") {
            return None;
        }
        Some(word.to_string())
    }

    /// `<<DELIM`, `<<'DELIM'` or `<<"DELIM"` (space after `<<` allowed).
    fn heredoc_delimiter(&mut self) -> Option<String> {
        self.rest = self.rest.trim_start().strip_prefix("<<")?;
        if self.rest.starts_with('-') || self.rest.starts_with('<') {
            return None;
        }
        let delimiter = self.next()?;
        let valid = !delimiter.is_empty()
            && delimiter
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        valid.then_some(delimiter)
    }
}

/// The paths among `paths` (absolute) that a policy with these writable roots
/// does not let a patch write: outside every root, or inside a protected
/// folder (`.git`, `.duet`, `.agents`) directly under *any* root, or at the
/// target of a protected name that is a symlink. Paths are resolved through
/// symlinks first, so this is the set a sandboxed command could not write
/// either: a workspace inside another root (`/tmp/repo` under `/tmp`) keeps
/// its protected folders. `None` roots: everything is writable
/// (`danger-full-access`).
pub(crate) fn paths_outside_writable_roots(
    paths: &[PathBuf],
    writable_roots: Option<&[PathBuf]>,
) -> Vec<PathBuf> {
    let Some(roots) = writable_roots else {
        return Vec::new();
    };
    let scope = write_scope(roots);
    paths
        .iter()
        .filter(|path| !scope.allows(&duet_apply_patch::resolve(path)))
        .cloned()
        .collect()
}

/// Where a patch may write under these roots: what a confined command may
/// (so not the `.git` of a submodule or linked worktree either).
pub(crate) fn write_scope(writable_roots: &[PathBuf]) -> WriteScope {
    let nested: Vec<PathBuf> = writable_roots
        .iter()
        .flat_map(|root| duet_sandbox::nested_git_entries(&duet_apply_patch::resolve(root)))
        .collect();
    WriteScope::new(writable_roots, &PROTECTED_FOLDERS).with_protected(&nested)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn check(script: &str, expected: Option<(Option<&str>, &str)>) {
        let got = parse_heredoc_invocation(script);
        let expected = expected.map(|(cd, patch)| HeredocPatch {
            cd: cd.map(str::to_string),
            patch: patch.to_string(),
        });
        assert_eq!(got, expected, "script: {script:?}");
    }

    const BODY: &str = "*** Begin Patch\n*** Add File: a.txt\n+a\n*** End Patch";

    #[test]
    fn recognises_the_heredoc_forms() {
        check(
            &format!("apply_patch <<'EOF'\n{BODY}\nEOF"),
            Some((None, BODY)),
        );
        check(
            &format!("apply_patch <<EOF\n{BODY}\nEOF\n"),
            Some((None, BODY)),
        );
        check(
            &format!("applypatch << \"PATCH\"\n{BODY}\nPATCH"),
            Some((None, BODY)),
        );
        check(
            &format!("  cd sub && apply_patch <<'EOF'\n{BODY}\nEOF  "),
            Some((Some("sub"), BODY)),
        );
        check(
            &format!("cd 'my dir' && apply_patch <<'EOF'\n{BODY}\nEOF"),
            Some((Some("my dir"), BODY)),
        );
        check(
            &format!("cd \"a b\"&& apply_patch <<'EOF'\n{BODY}\nEOF"),
            Some((Some("a b"), BODY)),
        );
    }

    #[test]
    fn refuses_anything_more_than_one_patch() {
        check(&format!("echo hi; apply_patch <<'EOF'\n{BODY}\nEOF"), None);
        check(
            &format!("apply_patch <<'EOF'\n{BODY}\nEOF\necho done"),
            None,
        );
        check(
            &format!("apply_patch <<'EOF' && echo done\n{BODY}\nEOF"),
            None,
        );
        check(&format!("apply_patch <<'EOF' | cat\n{BODY}\nEOF"), None);
        check(&format!("cd a || apply_patch <<'EOF'\n{BODY}\nEOF"), None);
        check(
            &format!("cd $HOME && apply_patch <<'EOF'\n{BODY}\nEOF"),
            None,
        );
        check(
            &format!("cd \"$HOME\" && apply_patch <<'EOF'\n{BODY}\nEOF"),
            None,
        );
        check(&format!("apply_patch extra <<'EOF'\n{BODY}\nEOF"), None);
        check(&format!("apply_patch <<-EOF\n{BODY}\nEOF"), None);
        check(&format!("apply_patch <<'EOF'\n{BODY}"), None);
        check(&format!("sudo apply_patch <<'EOF'\n{BODY}\nEOF"), None);
        check("apply_patch", None);
    }

    #[test]
    fn paths_outside_roots_and_protected_folders_need_approval() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().join("repo");
        std::fs::create_dir_all(root.join(".git")).unwrap();
        let outside = temp.path().join("elsewhere/file.txt");
        let paths = vec![
            root.join("src/new.rs"),
            root.join("sub/../ok.txt"),
            root.join(".git/config"),
            root.join(".duet/rules/default.rules"),
            root.join("../escape.txt"),
            outside.clone(),
        ];
        assert_eq!(
            paths_outside_writable_roots(&paths, Some(std::slice::from_ref(&root))),
            vec![
                root.join(".git/config"),
                root.join(".duet/rules/default.rules"),
                root.join("../escape.txt"),
                outside,
            ]
        );
        assert_eq!(
            paths_outside_writable_roots(&paths, None),
            Vec::<PathBuf>::new()
        );
        assert_eq!(paths_outside_writable_roots(&paths, Some(&[])), paths);
    }

    /// A submodule's `.git` file names its git directory: rewritten, it
    /// would make the user's next `git status` run a planted config.
    #[test]
    fn a_submodule_s_git_file_is_protected_like_git() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().canonicalize().unwrap().join("repo");
        std::fs::create_dir_all(root.join(".git/modules/lib")).unwrap();
        std::fs::create_dir_all(root.join("lib")).unwrap();
        std::fs::write(
            root.join(".git/modules/lib/config"),
            "[core]\n\tworktree = ../../../lib\n",
        )
        .unwrap();
        std::fs::write(root.join("lib/.git"), "gitdir: ../.git/modules/lib\n").unwrap();
        let paths = vec![root.join("lib/.git"), root.join("lib/src.rs")];
        assert_eq!(
            paths_outside_writable_roots(&paths, Some(std::slice::from_ref(&root))),
            vec![root.join("lib/.git")]
        );
    }

    #[test]
    fn a_symlink_cannot_carry_a_write_out_of_a_root() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().join("repo");
        let outside = temp.path().join("outside");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
        let target = root.join("link/file.txt");
        assert_eq!(
            paths_outside_writable_roots(std::slice::from_ref(&target), Some(&[root])),
            vec![target]
        );
    }
}
