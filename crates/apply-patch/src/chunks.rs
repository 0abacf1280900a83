//! Placing the chunks of one Update in its file: from [`Chunk`]s to
//! [`Edit`]s, or the error that tells the model what to fix.
//!
//! The cursor only moves forward: each `@@` context is sought from the
//! cursor and moves it past its line; each chunk's old lines are sought from
//! there and move it past them. So chunks must come in file order, and the
//! whole placement is one pass over the file. Quirks kept from the reference:
//! a chunk with no old lines goes at the end of the file (after its last
//! line, even an empty one) whatever its header, and old lines ending in an
//! empty line are retried without it. An `*** End of File` chunk that would
//! match before the cursor (overlapping an earlier chunk) is not found.

use crate::closest;
use crate::error::Error;
use crate::parser::{Chunk, ChunkLine};
use crate::seek::seek;
use crate::text::{Edit, EditedText, Op, SourceText};
use std::path::Path;
use std::sync::Arc;

/// Names an Update for error messages.
pub(crate) struct UpdateLabel<'a> {
    /// The resolved path, for the reference's first line.
    pub(crate) resolved: &'a Path,
    /// The path as written in the patch.
    pub(crate) written: &'a Path,
}

/// Place every chunk; nothing is written.
pub(crate) fn place_chunks(
    source: Arc<SourceText>,
    chunks: &[Chunk],
    label: &UpdateLabel<'_>,
) -> Result<EditedText, Error> {
    let mut edits = Vec::with_capacity(chunks.len());
    let mut arena = String::new();
    let mut cursor = 0;
    let line_count = source.line_count();
    for (index, chunk) in chunks.iter().enumerate() {
        let where_ = ChunkPlace {
            label,
            number: index + 1,
            count: chunks.len(),
            chunk,
        };
        for context in &chunk.contexts {
            match seek(&source, &[context.as_str()], cursor, false) {
                Some(at) => cursor = at + 1,
                None => {
                    return Err(Error::ContextNotFound {
                        path: label.resolved.to_owned(),
                        context: context.clone(),
                        detail: closest::context_detail(
                            &source,
                            &where_.describe(),
                            context,
                            cursor,
                        ),
                    });
                }
            }
        }
        let mut ops = ops_of(chunk, &mut arena);
        let old: Vec<&str> = chunk.old_lines().collect();
        if old.is_empty() {
            // After the last line, even an empty one: a file holding only
            // `\n` gets `\nx\n`, as the reference writes it.
            edits.push(Edit {
                start: line_count,
                old_len: 0,
                ops: ops.into_iter().flatten().collect(),
            });
            continue;
        }
        let mut pattern = &old[..];
        let mut found = seek(&source, pattern, cursor, chunk.end_of_file);
        if found.is_none() && old.last() == Some(&"") {
            pattern = &old[..old.len() - 1];
            drop_trailing_empty(chunk, &mut ops);
            found = seek(&source, pattern, cursor, chunk.end_of_file);
        }
        // `*** End of File` seeks only at the end, which may lie before the
        // cursor: that chunk would overlap an earlier one, and one of the
        // two would be lost. The reference refuses such a patch too.
        let found = found.filter(|start| *start >= cursor);
        let Some(start) = found else {
            return Err(Error::LinesNotFound {
                path: label.resolved.to_owned(),
                expected: old.join("\n"),
                detail: closest::lines_detail(
                    &source,
                    &where_.describe(),
                    &old,
                    cursor,
                    chunk.end_of_file,
                ),
            });
        };
        edits.push(Edit {
            start,
            old_len: pattern.len(),
            ops: ops.into_iter().flatten().collect(),
        });
        cursor = start + pattern.len();
    }
    Ok(EditedText {
        source,
        edits,
        arena,
    })
}

/// The ops of a chunk, one per diff line (an `Option` so the retry can drop one).
fn ops_of(chunk: &Chunk, arena: &mut String) -> Vec<Option<Op>> {
    let mut keep = |text: &str| {
        let start = arena.len();
        arena.push_str(text);
        start..arena.len()
    };
    chunk
        .lines
        .iter()
        .map(|line| {
            Some(match line {
                ChunkLine::Context(text) => Op::Keep(keep(text)),
                ChunkLine::Delete(_) => Op::Skip,
                ChunkLine::Insert(text) => Op::Insert(keep(text)),
            })
        })
        .collect()
}

/// The reference's retry: drop the last old line (it is empty) and, if the
/// last new line is empty too, drop that one, keeping the ops aligned with
/// the shortened pattern.
fn drop_trailing_empty(chunk: &Chunk, ops: &mut [Option<Op>]) {
    let is_old = |line: &ChunkLine| !matches!(line, ChunkLine::Insert(_));
    let is_new = |line: &ChunkLine| !matches!(line, ChunkLine::Delete(_));
    let last_old = chunk.lines.iter().rposition(is_old);
    let last_new = chunk.lines.iter().rposition(is_new);
    let new_ends_empty = last_new.is_some_and(|at| match &chunk.lines[at] {
        ChunkLine::Context(text) | ChunkLine::Insert(text) => text.is_empty(),
        ChunkLine::Delete(_) => false,
    });
    let Some(last_old) = last_old else {
        return;
    };
    if Some(last_old) == last_new {
        // An empty context line: it leaves both sides.
        ops[last_old] = None;
        return;
    }
    ops[last_old] = match ops[last_old].take() {
        // A context line that stays on the new side only.
        Some(Op::Keep(text)) => Some(Op::Insert(text)),
        _ => None,
    };
    if let (true, Some(at)) = (new_ends_empty, last_new) {
        ops[at] = match ops[at].take() {
            // A context line that stays on the old side only.
            Some(Op::Keep(_)) => Some(Op::Skip),
            _ => None,
        };
    }
}

/// Which chunk of which Update failed, for the message.
struct ChunkPlace<'a> {
    label: &'a UpdateLabel<'a>,
    number: usize,
    count: usize,
    chunk: &'a Chunk,
}

impl ChunkPlace<'_> {
    fn describe(&self) -> String {
        let headers = if self.chunk.contexts.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = self
                .chunk
                .contexts
                .iter()
                .map(|context| format!("`@@ {context}`"))
                .collect();
            format!(" ({})", list.join(" then "))
        };
        format!(
            "in `*** Update File: {}`, chunk {} of {}{headers}",
            self.label.written.display(),
            self.number,
            self.count
        )
    }
}
