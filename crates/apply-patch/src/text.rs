//! A file's text as lines, and the edits that turn it into the new text.
//!
//! [`SourceText`] keeps the file as one `String` plus the byte offset where
//! each line starts: no allocation per line, and a line is a slice. Line
//! endings follow the reference: a line's `\r\n` or `\n` is not part of its
//! text; untouched and context lines keep their own ending; inserted lines get
//! the file's preferred ending (that of its first line break); the last line
//! always gets an ending.
//!
//! [`EditedText`] is the source plus [`Edit`]s; it renders the new text
//! straight into a writer, so a large file is not held twice in memory.

use std::io;
use std::ops::Range;
use std::sync::Arc;

/// A file's text indexed by line.
#[derive(Debug)]
pub(crate) struct SourceText {
    text: String,
    /// Byte offset of the start of each line.
    starts: Vec<usize>,
    eol: &'static str,
}

impl SourceText {
    pub(crate) fn new(text: String) -> Self {
        let starts = line_starts(text.as_bytes());
        let eol = match text.find('\n') {
            Some(at) if at > 0 && text.as_bytes()[at - 1] == b'\r' => "\r\n",
            _ => "\n",
        };
        SourceText { text, starts, eol }
    }

    /// The number of lines (a final line break does not start a line).
    pub(crate) fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Line `index` without its ending.
    pub(crate) fn line(&self, index: usize) -> &str {
        let (start, end) = self.text_span(index);
        &self.text[start..end]
    }

    /// The first `at` in `from..=last` where lines `at..` are exactly
    /// `pattern` (non-empty). Most lines are rejected on their length and
    /// last bytes before any full comparison.
    pub(crate) fn find_exact(&self, pattern: &[&str], from: usize, last: usize) -> Option<usize> {
        let first = pattern[0].as_bytes();
        let bytes = self.text.as_bytes();
        // The last (up to) eight bytes as one word: a register compare, not
        // a `memcmp` call, rejects almost every line of the same length.
        let last_word = |line: &[u8]| {
            let tail = &line[line.len().saturating_sub(8)..];
            tail.iter()
                .fold(0u64, |word, byte| word << 8 | u64::from(*byte))
        };
        let wanted = last_word(first);
        (from..=last).find(|&at| {
            let (start, end) = self.text_span(at);
            end - start == first.len()
                && last_word(&bytes[start..end]) == wanted
                && &bytes[start..end] == first
                && pattern[1..]
                    .iter()
                    .enumerate()
                    .all(|(offset, line)| self.line(at + 1 + offset) == *line)
        })
    }

    /// The byte range of line `index`'s text, ending excluded.
    fn text_span(&self, index: usize) -> (usize, usize) {
        let bytes = self.text.as_bytes();
        let start = self.starts[index];
        let mut end = self.starts.get(index + 1).copied().unwrap_or(bytes.len());
        if end > start && bytes[end - 1] == b'\n' {
            end -= 1;
            if end > start && bytes[end - 1] == b'\r' {
                end -= 1;
            }
        }
        (start, end)
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    #[cfg(test)]
    pub(crate) fn eol(&self) -> &'static str {
        self.eol
    }

    /// Bytes of lines `from..to`, endings included.
    fn span(&self, from: usize, to: usize) -> Range<usize> {
        let end = self.starts.get(to).copied().unwrap_or(self.text.len());
        self.starts[from]..end
    }

    /// Write lines `from..to` with their endings, adding the preferred ending
    /// to a last line that has none.
    fn put_lines(&self, from: usize, to: usize, out: &mut impl Sink) -> io::Result<()> {
        if from >= to {
            return Ok(());
        }
        out.put(&self.text[self.span(from, to)])?;
        if to == self.line_count() && !self.text.ends_with('\n') {
            out.put(self.eol)?;
        }
        Ok(())
    }
}

/// Where each line starts: 0, and after every `\n` but a final one.
///
/// Eight bytes at a time: a word with no `\n` costs a few instructions,
/// which beats a `memchr` call per line when lines are short (the usual
/// case). The bit trick flags exactly the bytes equal to `\n`.
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const NEWLINES: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let mut starts = Vec::with_capacity(bytes.len() / 32 + 1);
    if bytes.is_empty() {
        return starts;
    }
    starts.push(0);
    let (words, tail) = bytes.as_chunks::<8>();
    for (word_index, word) in words.iter().enumerate() {
        let diff = u64::from_le_bytes(*word) ^ NEWLINES;
        // The high bit of each byte of `diff` that is zero.
        let mut newlines = !(((diff & LOWS) + LOWS) | diff | LOWS);
        let next_line = word_index * 8 + 1;
        while newlines != 0 {
            starts.push(next_line + (newlines.trailing_zeros() / 8) as usize);
            newlines &= newlines - 1;
        }
    }
    let tail_start = bytes.len() - tail.len();
    for (offset, byte) in tail.iter().enumerate() {
        if *byte == b'\n' {
            starts.push(tail_start + offset + 1);
        }
    }
    if starts.last() == Some(&bytes.len()) {
        starts.pop();
    }
    starts
}

/// One step of an edit over the matched lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    /// A context line: the file's line stays, with its text and ending. The
    /// range is the patch's text of the line in the arena, used only when an
    /// overlapping edit removed the file's line first.
    Keep(Range<usize>),
    /// A removed line.
    Skip,
    /// An added line: text in the arena, written with the preferred ending.
    Insert(Range<usize>),
}

/// A chunk placed in the file: from line `start`, `old_len` lines are
/// consumed by the `Keep` and `Skip` ops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edit {
    pub(crate) start: usize,
    pub(crate) old_len: usize,
    pub(crate) ops: Vec<Op>,
}

/// A file's new text, kept as its old text and the edits to it.
#[derive(Debug)]
pub(crate) struct EditedText {
    pub(crate) source: Arc<SourceText>,
    /// In chunk order.
    pub(crate) edits: Vec<Edit>,
    /// The text of every `Keep` and `Insert` op.
    pub(crate) arena: String,
}

/// Where rendered text goes: a `String` or a file.
pub(crate) trait Sink {
    fn put(&mut self, text: &str) -> io::Result<()>;
}

impl Sink for String {
    fn put(&mut self, text: &str) -> io::Result<()> {
        self.push_str(text);
        Ok(())
    }
}

impl<W: io::Write> Sink for io::BufWriter<W> {
    fn put(&mut self, text: &str) -> io::Result<()> {
        io::Write::write_all(self, text.as_bytes())
    }
}

impl EditedText {
    pub(crate) fn render_to_string(&self) -> String {
        let mut out = String::with_capacity(self.source.text.len() + self.arena.len() + 64);
        self.render(&mut out)
            .expect("writing into a String cannot fail");
        out
    }

    /// Write the new text. Edits are merged in one forward pass; if two of
    /// them overlap (possible only with `*** End of File` chunks or pure
    /// additions, which ignore the cursor), they are applied back to front
    /// on a list of lines, as the reference does.
    pub(crate) fn render(&self, out: &mut impl Sink) -> io::Result<()> {
        let mut order: Vec<&Edit> = self.edits.iter().collect();
        order.sort_by_key(|edit| edit.start);
        let overlapping = order
            .windows(2)
            .any(|pair| pair[1].start < pair[0].start + pair[0].old_len);
        if overlapping {
            return self.render_overlapping(&order, out);
        }
        let source = &self.source;
        let eol = source.eol;
        let mut line = 0;
        for edit in order {
            source.put_lines(line, edit.start, out)?;
            line = edit.start;
            for op in &edit.ops {
                match op {
                    Op::Keep(_) => {
                        source.put_lines(line, (line + 1).min(source.line_count()), out)?;
                        line += 1;
                    }
                    Op::Skip => line += 1,
                    Op::Insert(range) => {
                        out.put(&self.arena[range.clone()])?;
                        out.put(eol)?;
                    }
                }
            }
            line = line.max(edit.start + edit.old_len);
        }
        source.put_lines(line.min(source.line_count()), source.line_count(), out)
    }

    fn render_overlapping(&self, order: &[&Edit], out: &mut impl Sink) -> io::Result<()> {
        #[derive(Clone)]
        enum Item {
            Source(usize),
            Text(Range<usize>),
        }
        let mut items: Vec<Item> = (0..self.source.line_count()).map(Item::Source).collect();
        for edit in order.iter().rev() {
            let start = edit.start.min(items.len());
            let end = (start + edit.old_len).min(items.len());
            let mut removed = items.drain(start..end).collect::<Vec<_>>().into_iter();
            let mut replacement = Vec::with_capacity(edit.ops.len());
            for op in &edit.ops {
                match op {
                    Op::Keep(text) => {
                        replacement.push(removed.next().unwrap_or(Item::Text(text.clone())))
                    }
                    Op::Skip => {
                        removed.next();
                    }
                    Op::Insert(text) => replacement.push(Item::Text(text.clone())),
                }
            }
            items.splice(start..start, replacement);
        }
        for item in items {
            match item {
                Item::Source(line) => self.source.put_lines(line, line + 1, out)?,
                Item::Text(range) => {
                    out.put(&self.arena[range])?;
                    out.put(self.source.eol)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn lines(text: &str) -> (usize, Vec<String>, &'static str) {
        let source = SourceText::new(text.to_owned());
        let all = (0..source.line_count())
            .map(|index| source.line(index).to_owned())
            .collect();
        (source.line_count(), all, source.eol())
    }

    #[test]
    fn lines_drop_their_endings_and_a_final_break_starts_no_line() {
        assert_eq!(lines(""), (0, vec![], "\n"));
        assert_eq!(lines("a"), (1, vec!["a".to_owned()], "\n"));
        assert_eq!(
            lines("a\r\n\n"),
            (2, vec!["a".to_owned(), String::new()], "\r\n")
        );
        assert_eq!(
            lines("a\nb\r\nc"),
            (
                3,
                vec!["a".to_owned(), "b".to_owned(), "c".to_owned()],
                "\n"
            )
        );
    }

    #[test]
    fn line_starts_agree_with_a_plain_scan() {
        let texts = [
            "a\nbb\n\nccc\r\ndddddddd\n\x0b\n\x0b\x0b\nend".to_owned(),
            "\n".repeat(20),
            "x".repeat(17),
            "0123456\n89abcdef\n".to_owned(),
        ];
        for text in texts {
            let plain: Vec<usize> = std::iter::once(0)
                .chain(text.match_indices('\n').map(|(at, _)| at + 1))
                .filter(|&start| start < text.len())
                .collect();
            assert_eq!(line_starts(text.as_bytes()), plain, "{text:?}");
        }
    }

    #[test]
    fn inserted_lines_take_the_preferred_ending_and_kept_lines_their_own() {
        let arena = "xBy".to_owned();
        let edited = EditedText {
            source: Arc::new(SourceText::new("a\r\nb\nc".to_owned())),
            edits: vec![Edit {
                start: 1,
                old_len: 2,
                ops: vec![Op::Skip, Op::Insert(1..2), Op::Keep(2..3)],
            }],
            arena,
        };
        assert_eq!(edited.render_to_string(), "a\r\nB\r\nc\r\n");
    }

    #[test]
    fn overlapping_edits_apply_back_to_front() {
        // Replace lines 1..3 with X, and insert Y at line 2 (inside it).
        let edited = EditedText {
            source: Arc::new(SourceText::new("a\nb\nc\nd\n".to_owned())),
            edits: vec![
                Edit {
                    start: 1,
                    old_len: 2,
                    ops: vec![Op::Skip, Op::Skip, Op::Insert(0..1)],
                },
                Edit {
                    start: 2,
                    old_len: 0,
                    ops: vec![Op::Insert(1..2)],
                },
            ],
            arena: "XY".to_owned(),
        };
        // Y goes in first at line 2; then lines 1..3 (b and Y) become X.
        assert_eq!(edited.render_to_string(), "a\nX\nc\nd\n");
    }
}
