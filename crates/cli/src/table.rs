//! Plain-text tables for the command line's listings (`duet sessions
//! list`, `duet models`, `duet sessions cost`, `duet usage`): each column
//! padded to its widest cell, two spaces apart, words left-aligned and
//! numbers right-aligned, no blanks at the end of a line.

/// `rows` (the header first) as lines; `right_aligned(column)` says which
/// columns are numbers.
pub(crate) fn render<R: AsRef<[String]>>(
    rows: &[R],
    right_aligned: impl Fn(usize) -> bool,
) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (index, cell) in row.as_ref().iter().enumerate() {
            let width = cell.chars().count();
            match widths.get_mut(index) {
                Some(widest) => *widest = (*widest).max(width),
                None => widths.push(width),
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        // Where the last cell's text ends: padding after it is dropped.
        let mut end = 0;
        for (index, cell) in row.as_ref().iter().enumerate() {
            if index > 0 {
                line.push_str("  ");
            }
            let pad = widths[index] - cell.chars().count();
            if right_aligned(index) {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
            }
            if !cell.is_empty() {
                end = line.len();
            }
            if !right_aligned(index) {
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        line.truncate(end);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn rows(cells: &[&[&str]]) -> Vec<Vec<String>> {
        cells
            .iter()
            .map(|row| row.iter().map(|cell| cell.to_string()).collect())
            .collect()
    }

    #[test]
    fn numbers_right_words_left_and_no_trailing_blanks() {
        let rows = rows(&[
            &["MODEL", "REQUESTS", "NOTE"],
            &["gpt-5.1", "1,200", ""],
            &["total", "", "unpriced"],
        ]);
        assert_eq!(
            render(&rows, |column| column == 1),
            "MODEL    REQUESTS  NOTE\ngpt-5.1     1,200\ntotal              unpriced\n"
        );
    }
}
