//! Patch cells: for each changed file a header (`Edited src/lib.rs (+3 -1)`)
//! and its unified diff with old/new line numbers, additions green and
//! removals red. Also used by `/diff` for `git diff` output, which is the
//! same format with `diff --git` lines between files.

use crate::theme::Theme;
use crate::wrap::wrap_text;
use duet_protocol::{FileChange, FileChangeKind};
use ratatui::text::{Line, Span};

/// Lines of a diff shown per file before `… +N lines`; the approval modal
/// and history show the same cut, the pager (later) the whole diff.
pub const MAX_DIFF_LINES: usize = 200;

/// The lines of a file-change cell.
pub fn patch_lines(changes: &[FileChange], width: usize, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (idx, change) in changes.iter().enumerate() {
        if idx > 0 {
            lines.push(Line::default());
        }
        let diff = change.diff.as_deref().unwrap_or_default();
        let (added, removed) = count_changes(diff);
        let verb = match change.kind {
            FileChangeKind::Add => "Added ",
            FileChangeKind::Delete => "Deleted ",
            FileChangeKind::Update => "Edited ",
        };
        lines.push(Line::from(vec![
            Span::styled("• ", theme.dim()),
            Span::styled(verb, theme.bold()),
            Span::raw(change.path.clone()),
            Span::raw(" ("),
            Span::styled(format!("+{added}"), theme.diff_added()),
            Span::raw(" "),
            Span::styled(format!("-{removed}"), theme.diff_removed()),
            Span::raw(")"),
        ]));
        lines.extend(diff_lines(diff, width, theme));
    }
    lines
}

/// `(added, removed)` line counts of a unified diff.
pub fn count_changes(diff: &str) -> (usize, usize) {
    let mut counts = (0, 0);
    for line in diff.lines() {
        if line.starts_with("+++") || line.starts_with("---") {
            continue;
        }
        if line.starts_with('+') {
            counts.0 += 1;
        } else if line.starts_with('-') {
            counts.1 += 1;
        }
    }
    counts
}

/// A unified diff as numbered, coloured lines indented under a header.
pub fn diff_lines(diff: &str, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let number_width = max_line_number(diff).to_string().len();
    let (mut old_line, mut new_line) = (0usize, 0usize);
    // Between `diff --git` and the first `@@` come git's extended header
    // lines (`new file mode`, `rename from`, …): not file content.
    let mut in_hunk = true;
    let mut lines = Vec::new();
    let total = diff.lines().count();
    for (shown, raw) in diff.lines().enumerate() {
        if shown == MAX_DIFF_LINES {
            lines.push(Line::from(Span::styled(
                format!("    … +{} lines", total - shown),
                theme.dim(),
            )));
            break;
        }
        if raw.starts_with("+++") || raw.starts_with("---") || raw.starts_with("index ") {
            continue;
        }
        if let Some(path) = raw.strip_prefix("diff --git ") {
            lines.push(Line::from(Span::styled(format!("  {path}"), theme.bold())));
            (old_line, new_line) = (0, 0);
            in_hunk = false;
            continue;
        }
        if let Some((old_start, new_start)) = parse_hunk_header(raw) {
            in_hunk = true;
            if old_line != 0 || new_line != 0 {
                lines.push(Line::from(Span::styled(
                    format!("    {:>number_width$} ⋮", ""),
                    theme.diff_hunk(),
                )));
            }
            (old_line, new_line) = (old_start, new_start);
            continue;
        }
        if !in_hunk {
            const SHOWN: [&str; 7] = [
                "new file mode",
                "deleted file mode",
                "old mode",
                "new mode",
                "rename from",
                "rename to",
                "Binary files",
            ];
            if SHOWN.iter().any(|header| raw.starts_with(header)) {
                lines.push(Line::from(Span::styled(format!("    {raw}"), theme.dim())));
            }
            continue;
        }
        let (number, sign, style) = match raw.chars().next() {
            Some('+') => {
                new_line += 1;
                (new_line - 1, "+", theme.diff_added())
            }
            Some('-') => {
                old_line += 1;
                (old_line - 1, "-", theme.diff_removed())
            }
            Some('\\') => continue,
            _ => {
                old_line += 1;
                new_line += 1;
                (new_line - 1, " ", theme.plain())
            }
        };
        let text = raw.get(1..).unwrap_or_default().replace('\t', "    ");
        let gutter = format!("    {number:>number_width$} ");
        let first = [
            Span::styled(gutter.clone(), theme.dim()),
            Span::styled(sign.to_owned(), style),
        ];
        let rest = [Span::raw(" ".repeat(gutter.len() + 1))];
        lines.extend(wrap_text(&text, style, width, &first, &rest));
    }
    lines
}

/// `@@ -12,3 +12,4 @@` → (12, 12).
fn parse_hunk_header(line: &str) -> Option<(usize, usize)> {
    let rest = line.strip_prefix("@@ -")?;
    let (old, rest) = rest.split_once(" +")?;
    let (new, _) = rest.split_once(" @@")?;
    let start = |range: &str| range.split(',').next()?.parse::<usize>().ok();
    Some((start(old)?, start(new)?))
}

fn max_line_number(diff: &str) -> usize {
    diff.lines()
        .filter_map(parse_hunk_header)
        .map(|(old, new)| old.max(new))
        .max()
        .unwrap_or(0)
        + diff.lines().count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrap::lines_text;
    use pretty_assertions::assert_eq;

    #[test]
    fn diffs_are_numbered_by_side() {
        let diff = "--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -10,1 +10,2 @@\n x\n+y\n";
        let change = FileChange {
            path: "f.txt".into(),
            kind: FileChangeKind::Update,
            diff: Some(diff.into()),
        };
        let lines = patch_lines(&[change], 40, Theme::new(false));
        assert_eq!(
            lines_text(&lines),
            [
                "• Edited f.txt (+2 -1)",
                "     1  a",
                "     2 -b",
                "     2 +B",
                "     3  c",
                "       ⋮",
                "    10  x",
                "    11 +y",
            ]
        );
    }

    /// Issue 16, item 20: an untracked file's `new file mode` header was
    /// shown as a numbered content line (`0  ew file mode 100644`).
    #[test]
    fn extended_headers_are_not_content() {
        let diff = "diff --git a/new.txt b/new.txt\nnew file mode 100644\nindex 0000000..ce01362\n\
                    --- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+hello\n\
                    diff --git a/old.sh b/old.sh\nold mode 100644\nnew mode 100755\n";
        assert_eq!(
            lines_text(&diff_lines(diff, 60, Theme::new(false))),
            [
                "  a/new.txt b/new.txt",
                "    new file mode 100644",
                "     1 +hello",
                "  a/old.sh b/old.sh",
                "    old mode 100644",
                "    new mode 100755",
            ]
        );
    }

    #[test]
    fn hunk_headers_parse() {
        assert_eq!(
            [
                parse_hunk_header("@@ -0,0 +1 @@"),
                parse_hunk_header("@@ -12,3 +14,4 @@ fn x"),
                parse_hunk_header("not a hunk"),
            ],
            [Some((0, 1)), Some((12, 14)), None]
        );
    }
}
