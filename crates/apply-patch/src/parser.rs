//! The V4A patch language: text in, [`Patch`] out.
//!
//! The parser accepts what the reference (Codex CLI 0.169.0) accepts, with
//! its leniencies: the whole text is trimmed, CRLF lines read as LF, markers
//! may be padded with whitespace, a `<<'EOF'` … `EOF` heredoc wrapper is
//! dropped, and an `*** Environment ID:` line after the opening marker is
//! ignored. One deliberate extension: consecutive `@@` lines stack, each
//! narrowing the search of the next (the reference rejects the second one).
//! It does not touch the file system: finding the lines is `chunks.rs`.

use crate::error::ParseError;
use std::path::PathBuf;

const BEGIN_PATCH: &str = "*** Begin Patch";
const END_PATCH: &str = "*** End Patch";
const ADD_FILE: &str = "*** Add File: ";
const DELETE_FILE: &str = "*** Delete File: ";
const UPDATE_FILE: &str = "*** Update File: ";
const MOVE_TO: &str = "*** Move to: ";
const END_OF_FILE: &str = "*** End of File";
const ENVIRONMENT_ID: &str = "*** Environment ID:";

/// A parsed patch: its file operations in the order written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Patch {
    pub hunks: Vec<Hunk>,
}

/// One file operation. Paths are exactly as written in the patch (relative
/// ones are resolved against the working directory when applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hunk {
    /// Create or overwrite `path` with `contents` (each `+` line and `\n`).
    Add { path: PathBuf, contents: String },
    /// Remove the file at `path`.
    Delete { path: PathBuf },
    /// Edit `path` chunk by chunk, then optionally rename it to `move_path`.
    Update {
        path: PathBuf,
        move_path: Option<PathBuf>,
        chunks: Vec<Chunk>,
    },
}

impl Hunk {
    /// The path the hunk names first (the source of a move).
    pub fn path(&self) -> &PathBuf {
        match self {
            Hunk::Add { path, .. } | Hunk::Delete { path } | Hunk::Update { path, .. } => path,
        }
    }
}

/// One `@@` section of an Update.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Chunk {
    /// The text after each `@@ ` header, in order; each is sought from where
    /// the previous one was found. Empty for a bare `@@` or no header.
    pub contexts: Vec<String>,
    /// The diff lines, in order.
    pub lines: Vec<ChunkLine>,
    /// `*** End of File` closed the chunk: its old lines must end the file.
    pub end_of_file: bool,
}

/// One diff line of a chunk, without its one-character prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkLine {
    /// ` text` (or an empty line): present before and after.
    Context(String),
    /// `-text`: present before only.
    Delete(String),
    /// `+text`: present after only.
    Insert(String),
}

impl Chunk {
    /// The lines the file must contain for this chunk to apply.
    pub fn old_lines(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().filter_map(|line| match line {
            ChunkLine::Context(text) | ChunkLine::Delete(text) => Some(text.as_str()),
            ChunkLine::Insert(_) => None,
        })
    }

    /// The lines that replace them.
    pub fn new_lines(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().filter_map(|line| match line {
            ChunkLine::Context(text) | ChunkLine::Insert(text) => Some(text.as_str()),
            ChunkLine::Delete(_) => None,
        })
    }
}

/// Parse patch text (the tool's argument, a heredoc body, or stdin).
pub fn parse_patch(text: &str) -> Result<Patch, ParseError> {
    let all_lines: Vec<&str> = text.trim().lines().collect();
    let lines = match check_boundaries(&all_lines) {
        Ok(()) => &all_lines[..],
        Err(error) => unwrap_heredoc(&all_lines).ok_or(error)?,
    };
    // Both markers are present, so there are at least two lines.
    let mut body = &lines[1..lines.len() - 1];
    let mut line_number = 2;
    if body
        .first()
        .is_some_and(|line| line.trim().starts_with(ENVIRONMENT_ID))
    {
        body = &body[1..];
        line_number += 1;
    }
    let mut hunks = Vec::new();
    while !body.is_empty() {
        let (hunk, used) = parse_hunk(body, line_number)?;
        hunks.push(hunk);
        line_number += used;
        body = &body[used..];
    }
    Ok(Patch { hunks })
}

fn check_boundaries(lines: &[&str]) -> Result<(), ParseError> {
    let first = lines.first().map(|line| line.trim());
    let last = lines.last().map(|line| line.trim());
    match (first, last) {
        (Some(BEGIN_PATCH), Some(END_PATCH)) if lines.len() >= 2 => Ok(()),
        (Some(first), _) if first != BEGIN_PATCH => Err(ParseError::FirstLine),
        _ => Err(ParseError::LastLine),
    }
}

/// `<<'EOF'` / `<<"EOF"` / `<<EOF` … `EOF` around a patch, as a model
/// writes it when it thinks it is typing into a shell.
fn unwrap_heredoc<'a>(lines: &'a [&'a str]) -> Option<&'a [&'a str]> {
    let [first, .., last] = lines else {
        return None;
    };
    let opens = matches!(*first, "<<EOF" | "<<'EOF'" | "<<\"EOF\"");
    if !opens || !last.ends_with("EOF") || lines.len() < 4 {
        return None;
    }
    let inner = &lines[1..lines.len() - 1];
    check_boundaries(inner).ok().map(|()| inner)
}

/// Parse the hunk starting at `lines[0]`; returns it and how many lines it used.
fn parse_hunk(lines: &[&str], line_number: usize) -> Result<(Hunk, usize), ParseError> {
    let header = lines[0].trim();
    if let Some(path) = header.strip_prefix(ADD_FILE) {
        let mut contents = String::new();
        let mut used = 1;
        for line in &lines[1..] {
            let Some(text) = line.strip_prefix('+') else {
                break;
            };
            contents.push_str(text);
            contents.push('\n');
            used += 1;
        }
        let path = PathBuf::from(path);
        return Ok((Hunk::Add { path, contents }, used));
    }
    if let Some(path) = header.strip_prefix(DELETE_FILE) {
        return Ok((
            Hunk::Delete {
                path: PathBuf::from(path),
            },
            1,
        ));
    }
    if let Some(path) = header.strip_prefix(UPDATE_FILE) {
        return parse_update(path, lines, line_number);
    }
    Err(ParseError::Hunk {
        line: line_number,
        message: format!(
            "'{header}' is not a valid hunk header. Valid hunk headers: \
             '*** Add File: {{path}}', '*** Delete File: {{path}}', '*** Update File: {{path}}'"
        ),
    })
}

fn parse_update(
    path: &str,
    lines: &[&str],
    line_number: usize,
) -> Result<(Hunk, usize), ParseError> {
    let mut rest = &lines[1..];
    let mut used = 1;
    // Only directly under the header and only unindented, as the reference.
    let move_path = rest
        .first()
        .and_then(|line| line.strip_prefix(MOVE_TO))
        .map(|dest| PathBuf::from(dest.trim_end()));
    if move_path.is_some() {
        rest = &rest[1..];
        used += 1;
    }
    let mut chunks = Vec::new();
    while let Some(line) = rest.first() {
        if line.trim().is_empty() {
            used += 1;
            rest = &rest[1..];
            continue;
        }
        if line.starts_with("***") {
            break;
        }
        let (chunk, chunk_used) = parse_chunk(rest, line_number + used, chunks.is_empty())?;
        chunks.push(chunk);
        used += chunk_used;
        rest = &rest[chunk_used..];
    }
    if chunks.is_empty() {
        return Err(ParseError::Hunk {
            line: line_number,
            message: format!("Update file hunk for path '{path}' is empty"),
        });
    }
    let path = PathBuf::from(path);
    let hunk = Hunk::Update {
        path,
        move_path,
        chunks,
    };
    Ok((hunk, used))
}

/// The text of a `@@` header line: `Some("")` for a bare `@@` (or `@@ `).
fn context_header(line: &str) -> Option<&str> {
    if line.trim_end() == "@@" {
        return Some("");
    }
    line.strip_prefix("@@ ")
}

/// Parse one chunk starting at `lines[0]` (the line numbered `line_number`).
fn parse_chunk(
    lines: &[&str],
    line_number: usize,
    first_chunk: bool,
) -> Result<(Chunk, usize), ParseError> {
    let mut chunk = Chunk::default();
    let mut headers = 0;
    while let Some(context) = lines.get(headers).and_then(|line| context_header(line)) {
        if !context.is_empty() {
            chunk.contexts.push(context.to_owned());
        }
        headers += 1;
    }
    if headers == 0 && !first_chunk {
        return Err(ParseError::Hunk {
            line: line_number,
            message: format!(
                "Expected update hunk to start with a @@ context marker, got: '{}'",
                lines[0]
            ),
        });
    }
    let no_lines = |line| ParseError::Hunk {
        line,
        message: "Update hunk does not contain any lines".to_owned(),
    };
    if headers >= lines.len() {
        return Err(no_lines(line_number + headers));
    }
    let mut used = 0;
    for line in &lines[headers..] {
        if line.trim() == END_OF_FILE {
            if used == 0 {
                return Err(no_lines(line_number + headers));
            }
            chunk.end_of_file = true;
            used += 1;
            break;
        }
        let diff_line = match line.as_bytes().first() {
            None => ChunkLine::Context(String::new()),
            Some(b' ') => ChunkLine::Context(line[1..].to_owned()),
            Some(b'+') => ChunkLine::Insert(line[1..].to_owned()),
            Some(b'-') => ChunkLine::Delete(line[1..].to_owned()),
            Some(_) if used == 0 => {
                return Err(ParseError::Hunk {
                    line: line_number + headers,
                    message: format!(
                        "Unexpected line found in update hunk: '{line}'. Every line should \
                         start with ' ' (context line), '+' (added line), or '-' (removed line)"
                    ),
                });
            }
            // The start of the next chunk or hunk.
            Some(_) => break,
        };
        chunk.lines.push(diff_line);
        used += 1;
    }
    Ok((chunk, headers + used))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn update(path: &str, chunks: Vec<Chunk>) -> Patch {
        Patch {
            hunks: vec![Hunk::Update {
                path: path.into(),
                move_path: None,
                chunks,
            }],
        }
    }

    fn context(text: &str) -> ChunkLine {
        ChunkLine::Context(text.to_owned())
    }

    #[test]
    fn stacked_headers_are_one_chunk_with_two_contexts() {
        let patch = "*** Begin Patch\n*** Update File: f.py\n@@ class A:\n@@     def m(self):\n \
                     x\n*** End Patch";
        let chunk = Chunk {
            contexts: vec!["class A:".to_owned(), "    def m(self):".to_owned()],
            lines: vec![context("x")],
            end_of_file: false,
        };
        assert_eq!(parse_patch(patch), Ok(update("f.py", vec![chunk])));
    }

    #[test]
    fn the_first_chunk_may_omit_its_header_and_blank_lines_before_it_are_skipped() {
        let patch = "*** Begin Patch\n*** Update File: f\n\n-a\n+b\n\n*** End Patch";
        let chunk = Chunk {
            contexts: vec![],
            lines: vec![
                ChunkLine::Delete("a".to_owned()),
                ChunkLine::Insert("b".to_owned()),
            ],
            end_of_file: false,
        };
        // The blank line after `+b` is an empty context line of the chunk.
        let mut with_blank = chunk.clone();
        with_blank.lines.push(context(""));
        assert_eq!(parse_patch(patch), Ok(update("f", vec![with_blank])));
    }

    #[test]
    fn an_environment_id_line_is_ignored_and_counted() {
        let patch = "*** Begin Patch\n*** Environment ID: env-1\n*** Bogus\n*** End Patch";
        assert_eq!(
            parse_patch(patch).map_err(|error| error.to_string()),
            Err(
                "Invalid patch hunk on line 3: '*** Bogus' is not a valid hunk header. Valid \
                 hunk headers: '*** Add File: {path}', '*** Delete File: {path}', \
                 '*** Update File: {path}'"
                    .to_owned()
            )
        );
    }

    #[test]
    fn a_whitespace_only_line_between_chunks_is_skipped() {
        let patch = "*** Begin Patch\n*** Update File: f\n-a\n\t\n@@\n-b\n*** End Patch";
        let delete = |text: &str| Chunk {
            contexts: vec![],
            lines: vec![ChunkLine::Delete(text.to_owned())],
            end_of_file: false,
        };
        assert_eq!(
            parse_patch(patch),
            Ok(update("f", vec![delete("a"), delete("b")]))
        );
    }

    #[test]
    fn a_second_chunk_without_a_header_is_an_error_naming_its_line() {
        let patch = "*** Begin Patch\n*** Update File: f\n-a\nzz\n*** End Patch";
        assert_eq!(
            parse_patch(patch).map_err(|error| error.to_string()),
            Err(
                "Invalid patch hunk on line 4: Expected update hunk to start with a @@ context \
                 marker, got: 'zz'"
                    .to_owned()
            )
        );
    }
}
