//! Unified diffs of one hunk's effect, for front ends to show and for
//! approval prompts. Made with `similar`; three lines of context, `a/` and
//! `b/` prefixes on relative paths as git writes them.

use std::path::Path;

/// A unified diff from `old` to `new`; a missing name is `/dev/null`.
pub(crate) fn unified(
    old_name: Option<&Path>,
    new_name: Option<&Path>,
    old: &str,
    new: &str,
) -> String {
    let name = |path: Option<&Path>, prefix: &str| match path {
        None => "/dev/null".to_owned(),
        Some(path) if path.is_absolute() => path.display().to_string(),
        Some(path) => format!("{prefix}{}", path.display()),
    };
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&name(old_name, "a/"), &name(new_name, "b/"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn an_update_and_an_add() {
        assert_eq!(
            unified(
                Some(Path::new("f.txt")),
                Some(Path::new("g.txt")),
                "a\nb\n",
                "a\nB\n"
            ),
            "--- a/f.txt\n+++ b/g.txt\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n"
        );
        assert_eq!(
            unified(None, Some(Path::new("/w/n.txt")), "", "x\n"),
            "--- /dev/null\n+++ /w/n.txt\n@@ -0,0 +1 @@\n+x\n"
        );
    }
}
