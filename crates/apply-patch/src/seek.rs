//! Finding a run of lines in a file, from a forward cursor, with the
//! reference's ladder of ever looser comparisons.
//!
//! Each level scans every candidate position before the next level is tried,
//! and the first hit wins, so an exact match further down beats a loose one
//! nearer. Ambiguity is not reported (as the reference). Comparisons borrow:
//! no line is copied or allocated; the exact level, which finds almost every
//! chunk of a good patch, rejects most lines on their length and last bytes.

use crate::text::SourceText;

/// How strictly two lines must agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Exact,
    TrimEnd,
    Trim,
    /// `Trim`, and typographic dashes, quotes and spaces read as ASCII.
    Normalised,
}

/// The ladder, strictest first (`seek` runs the exact level through
/// `SourceText::find_exact`, which is faster on long files).
const LADDER: [Level; 4] = [Level::Exact, Level::TrimEnd, Level::Trim, Level::Normalised];

impl Level {
    pub(crate) fn same(self, file_line: &str, patch_line: &str) -> bool {
        match self {
            Level::Exact => file_line == patch_line,
            Level::TrimEnd => file_line.trim_end() == patch_line.trim_end(),
            Level::Trim => file_line.trim() == patch_line.trim(),
            Level::Normalised => loosely_equal(file_line, patch_line),
        }
    }
}

/// Equal at the loosest level of the ladder.
pub(crate) fn loosely_equal(a: &str, b: &str) -> bool {
    a.trim()
        .chars()
        .map(normalise)
        .eq(b.trim().chars().map(normalise))
}

/// The punctuation models and editors swap: typographic dashes, quotes and
/// spaces become their ASCII look-alikes.
fn normalise(c: char) -> char {
    match c {
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        '\u{2018}'..='\u{201B}' => '\'',
        '\u{201C}'..='\u{201F}' => '"',
        '\u{00A0}' | '\u{2002}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
        other => other,
    }
}

/// The first line index at or after `start` where `pattern` matches, trying
/// each level of the ladder in turn. With `end_of_file` only the position
/// that ends the pattern at the last line is tried. An empty pattern
/// matches at `start`.
pub(crate) fn seek(
    source: &SourceText,
    pattern: &[&str],
    start: usize,
    end_of_file: bool,
) -> Option<usize> {
    if pattern.is_empty() {
        return Some(start);
    }
    let line_count = source.line_count();
    let last_start = line_count.checked_sub(pattern.len())?;
    let first_start = if end_of_file { last_start } else { start };
    if let Some(at) = source.find_exact(pattern, first_start, last_start) {
        return Some(at);
    }
    LADDER[1..].iter().find_map(|level| {
        (first_start..=last_start).find(|&at| {
            pattern
                .iter()
                .enumerate()
                .all(|(offset, line)| level.same(source.line(at + offset), line))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn check(file: &str, pattern: &[&str], start: usize, end_of_file: bool) -> Option<usize> {
        seek(
            &SourceText::new(file.to_owned()),
            pattern,
            start,
            end_of_file,
        )
    }

    #[test]
    fn an_exact_match_later_beats_a_loose_one_earlier() {
        assert_eq!(check(" x\nx\n", &["x"], 0, false), Some(1));
    }

    #[test]
    fn the_exact_search_finds_the_first_full_match() {
        let file = "long line one\r\nshort\nlong line one\nlong line one x\nshort\nlong line one";
        assert_eq!(
            [
                check(file, &["long line one", "short"], 0, false),
                check(file, &["long line one", "long line one x"], 1, false),
                check(file, &["short", "long line one"], 2, false),
                check(file, &["long line one"], 3, false),
                check(file, &["ong line one"], 0, false),
                check(file, &["  long line one x"], 0, false),
            ],
            [Some(0), Some(2), Some(4), Some(5), None, Some(3)]
        );
    }

    #[test]
    fn each_level_of_the_ladder() {
        let found: Vec<Option<usize>> = [
            ("x  \n", "x"),
            ("  x\n", "x"),
            ("a \u{2013} \u{201C}b\u{201D}\u{00A0}c\n", "a - \"b\" c"),
            ("a  b\n", "a b"),
            ("Ab\n", "ab"),
        ]
        .into_iter()
        .map(|(file, line)| check(file, &[line], 0, false))
        .collect();
        assert_eq!(found, [Some(0), Some(0), Some(0), None, None]);
    }

    #[test]
    fn the_search_starts_at_the_cursor_or_at_the_end() {
        let file = "a\nb\na\nb\nc\n";
        assert_eq!(
            [
                check(file, &["a", "b"], 1, false),
                check(file, &["a", "b"], 3, false),
                check(file, &["b", "c"], 0, true),
                check(file, &["a", "b"], 0, true),
                check(file, &[], 4, false),
                check("a\n", &["a", "b"], 0, false),
            ],
            [Some(2), None, Some(3), None, Some(4), None]
        );
    }
}
