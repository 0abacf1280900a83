//! When a chunk does not match: where in the file it most nearly does.
//!
//! Runs only on failure, so it may scan the whole file, but it stays linear
//! in (file lines × chunk lines) with a cheap per-line similarity (shared
//! prefix and suffix, no allocation) and a cap on the work for huge files.
//! The text it builds follows the reference's first lines of the error.

use crate::seek::loosely_equal;
use crate::text::SourceText;
use std::fmt::Write;

/// Line comparisons allowed for one search; past it the search keeps to the
/// lines around the cursor.
const WORK_CAP: usize = 4_000_000;

/// The detail under "Failed to find expected lines": the chunk, where the
/// search ran, and the closest region with its differing lines.
pub(crate) fn lines_detail(
    source: &SourceText,
    chunk: &str,
    expected: &[&str],
    cursor: usize,
    end_of_file: bool,
) -> String {
    let line_count = source.line_count();
    let mut out = String::new();
    let searched = if end_of_file {
        format!(
            "the chunk ends with `*** End of File`, so these {} line(s) must be the last of the file",
            expected.len()
        )
    } else {
        searched_from(cursor, line_count)
    };
    let _ = write!(out, "\n{chunk}: {searched}");
    if expected
        .iter()
        .any(|line| line.trim_start().starts_with("*** Move to:"))
    {
        out.push_str(
            "\n`*** Move to:` is read only at the start of the line directly under `*** Update File:`",
        );
    }
    let Some((start, score)) = best_window(source, expected, cursor) else {
        let _ = write!(
            out,
            "\nthe file has only {line_count} line(s): read it again and rebuild the chunk from its current text"
        );
        return out;
    };
    if score <= 0.0 {
        out.push_str(
            "\nno region of the file resembles these lines: read the file again and rebuild the chunk from its current text",
        );
        return out;
    }
    let _ = write!(
        out,
        "\nclosest region: lines {}-{} of the file (`-` what the chunk expects, `+` what the file has):",
        start + 1,
        start + expected.len()
    );
    for (offset, wanted) in expected.iter().enumerate() {
        let actual = source.line(start + offset);
        if loosely_equal(actual, wanted) {
            let _ = write!(out, "\n {actual}");
        } else {
            let _ = write!(out, "\n-{wanted}\n+{actual}");
        }
    }
    if start < cursor && !end_of_file {
        out.push_str(
            "\nthat region is before where this chunk's search began: chunks of one file must be in file order",
        );
    }
    out
}

/// The detail under "Failed to find context": where the search ran and the
/// lines most like the header.
pub(crate) fn context_detail(
    source: &SourceText,
    chunk: &str,
    context: &str,
    cursor: usize,
) -> String {
    let mut out = format!("\n{chunk}: {}", searched_from(cursor, source.line_count()));
    let mut scored: Vec<(f64, usize)> = (0..source.line_count())
        .map(|index| (similarity(source.line(index), context), index))
        .filter(|&(score, _)| score >= 0.5)
        .collect();
    // Best first; on a tie the line nearer the cursor.
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| a.1.abs_diff(cursor).cmp(&b.1.abs_diff(cursor)))
    });
    if scored.is_empty() {
        out.push_str("\nno line of the file resembles it: check the header against the file");
        return out;
    }
    out.push_str("\nclosest lines of the file:");
    for &(_, index) in scored.iter().take(3) {
        let _ = write!(out, "\n{}: {}", index + 1, source.line(index));
    }
    out
}

fn searched_from(cursor: usize, line_count: usize) -> String {
    if cursor >= line_count {
        format!(
            "the previous chunks already reached the end of the file (line {line_count}), so nothing was left to search"
        )
    } else {
        format!("searched from line {} to the end of the file", cursor + 1)
    }
}

/// The start of the window most like `pattern`, and its score (0 when no
/// line is alike). `None` when the file is shorter than the pattern.
fn best_window(source: &SourceText, pattern: &[&str], cursor: usize) -> Option<(usize, f64)> {
    let last_start = source.line_count().checked_sub(pattern.len())?;
    let reach = WORK_CAP / pattern.len().max(1) / 2;
    let from = cursor.saturating_sub(reach).min(last_start);
    let to = cursor.saturating_add(reach).min(last_start);
    let mut best: Option<(usize, f64)> = None;
    for start in from..=to {
        let score: f64 = pattern
            .iter()
            .enumerate()
            .map(|(offset, line)| similarity(source.line(start + offset), line))
            .sum();
        let better = match best {
            None => true,
            Some((best_start, best_score)) => {
                score > best_score
                    || (score == best_score && best_start < cursor && start >= cursor)
            }
        };
        if better {
            best = Some((start, score));
        }
    }
    best
}

/// 1 for lines equal at the loosest level; otherwise the share of the
/// longer trimmed line covered by the prefix and suffix both share, scaled
/// below 1 so an equal line always counts more.
fn similarity(a: &str, b: &str) -> f64 {
    if loosely_equal(a, b) {
        return 1.0;
    }
    let (a, b) = (a.trim().as_bytes(), b.trim().as_bytes());
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 0.0;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    0.9 * (prefix + suffix) as f64 / longest as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn the_closest_region_shows_only_the_differing_lines_as_changes() {
        let source = SourceText::new("fn a() {\n    let x = 1;\n    x + 1\n}\n".to_owned());
        let detail = lines_detail(
            &source,
            "in `*** Update File: a.rs`, chunk 1 of 1",
            &["    let x = 2;", "    x + 1"],
            0,
            false,
        );
        assert_eq!(
            detail,
            "\nin `*** Update File: a.rs`, chunk 1 of 1: searched from line 1 to the end of the file\
             \nclosest region: lines 2-3 of the file (`-` what the chunk expects, `+` what the file has):\
             \n-    let x = 2;\
             \n+    let x = 1;\
             \n     x + 1"
        );
    }

    #[test]
    fn a_region_before_the_cursor_is_flagged() {
        let source = SourceText::new("alpha\nbeta\ngamma\n".to_owned());
        let detail = lines_detail(&source, "in chunk 2 of 2", &["alpha!"], 2, false);
        assert_eq!(
            detail,
            "\nin chunk 2 of 2: searched from line 3 to the end of the file\
             \nclosest region: lines 1-1 of the file (`-` what the chunk expects, `+` what the file has):\
             \n-alpha!\
             \n+alpha\
             \nthat region is before where this chunk's search began: chunks of one file must be in file order"
        );
    }

    #[test]
    fn context_detail_lists_the_most_similar_lines() {
        let source = SourceText::new("def alpha():\n    pass\ndef alpha2():\n".to_owned());
        assert_eq!(
            context_detail(&source, "in chunk 1 of 1", "def alpha(x):", 0),
            "\nin chunk 1 of 1: searched from line 1 to the end of the file\
             \nclosest lines of the file:\
             \n1: def alpha():\
             \n3: def alpha2():"
        );
    }
}
