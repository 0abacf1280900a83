//! What one `exec_command` or `write_stdin` call returns, and the exact text
//! the model reads (the reference's header, then head-and-tail truncation).
//!
//! This module formats; it does not run or track processes.

use std::time::Duration;

/// The result of one `exec_command` or `write_stdin` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExecOutput {
    /// Six random hex digits naming this chunk of output.
    pub chunk_id: String,
    /// How long the call took.
    pub wall_time: Duration,
    /// Set once the process has exited (signal N is 128 + N).
    pub exit_code: Option<i32>,
    /// Set while the process is still running: pass it to `write_stdin`.
    pub session_id: Option<i32>,
    /// What arrived during this call: stdout and stderr merged in arrival
    /// order, lossy UTF-8. Bounded: beyond about 2 MiB the middle is dropped
    /// with a `…N bytes omitted…` line.
    pub output: String,
    /// All output of the process so far, bounded the same way.
    pub aggregated_output: String,
    /// Tokens in all bytes that arrived during this call (bytes / 4, rounded
    /// up), including any dropped from `output`.
    pub original_token_count: usize,
    /// Lines that arrived during this call, including dropped ones.
    pub original_line_count: usize,
}

/// The approximate token count the reference reports: one token per 4 bytes.
pub(crate) fn approx_token_count(bytes: usize) -> usize {
    bytes.div_ceil(4)
}

/// A random six-hex-digit chunk id.
pub(crate) fn new_chunk_id() -> String {
    format!("{:06x}", fastrand::u32(..0x0100_0000))
}

impl ExecOutput {
    /// The tool output text for the model, with `output` cut to about
    /// `max_output_tokens` tokens (head and tail kept, middle elided).
    pub fn to_model_text(&self, max_output_tokens: usize) -> String {
        let mut text = format!(
            "Chunk ID: {}\nWall time: {:.4} seconds\n",
            self.chunk_id,
            self.wall_time.as_secs_f64()
        );
        match (self.exit_code, self.session_id) {
            (Some(code), _) => text.push_str(&format!("Process exited with code {code}\n")),
            (None, Some(id)) => text.push_str(&format!("Process running with session ID {id}\n")),
            (None, None) => {}
        }
        text.push_str(&format!(
            "Original token count: {}\nOutput:\n",
            self.original_token_count
        ));
        let budget_bytes = max_output_tokens.saturating_mul(4);
        if self.output.len() <= budget_bytes {
            text.push_str(&self.output);
            return text;
        }
        text.push_str(&format!(
            "Warning: truncated output (original token count: {})\nTotal output lines: {}\n\n",
            self.original_token_count, self.original_line_count
        ));
        text.push_str(&head_and_tail(&self.output, budget_bytes));
        text
    }
}

/// `text` (longer than `budget_bytes`) cut to a head and a tail of half the
/// budget each, on line boundaries where a line boundary exists within the
/// half, with the middle replaced by `…K tokens truncated…`.
pub(crate) fn head_and_tail(text: &str, budget_bytes: usize) -> String {
    let head_budget = budget_bytes / 2;
    let tail_budget = budget_bytes - head_budget;

    let head_limit = floor_char_boundary(text, head_budget);
    let head_end = match text[..head_limit].rfind('\n') {
        Some(newline) => newline + 1,
        None => head_limit,
    };
    let tail_limit = ceil_char_boundary(text, text.len() - tail_budget).max(head_end);
    let tail_start = match text[tail_limit..].find('\n') {
        Some(newline) if tail_limit + newline + 1 < text.len() => tail_limit + newline + 1,
        _ => tail_limit,
    };
    // A cut just after a newline already starts a line; keep it.
    let tail_start = if tail_limit > 0 && text.as_bytes()[tail_limit - 1] == b'\n' {
        tail_limit
    } else {
        tail_start
    };

    let removed_tokens = approx_token_count(tail_start - head_end);
    let head = &text[..head_end];
    let separator = if head.ends_with('\n') { "\n" } else { "" };
    format!(
        "{head}…{removed_tokens} tokens truncated…{separator}{}",
        &text[tail_start..]
    )
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_char_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn output(exit_code: Option<i32>, session_id: Option<i32>, text: &str) -> ExecOutput {
        ExecOutput {
            chunk_id: "33c3d9".to_string(),
            wall_time: Duration::from_micros(9_300),
            exit_code,
            session_id,
            output: text.to_string(),
            aggregated_output: text.to_string(),
            original_token_count: approx_token_count(text.len()),
            original_line_count: text.lines().count(),
        }
    }

    #[test]
    fn finished_command() {
        assert_eq!(
            output(Some(0), None, "created\n.\n..\n").to_model_text(10_000),
            "Chunk ID: 33c3d9\nWall time: 0.0093 seconds\nProcess exited with code 0\n\
             Original token count: 4\nOutput:\ncreated\n.\n..\n"
        );
    }

    #[test]
    fn running_command() {
        assert_eq!(
            output(None, Some(59930), "").to_model_text(10_000),
            "Chunk ID: 33c3d9\nWall time: 0.0093 seconds\nProcess running with session ID 59930\n\
             Original token count: 0\nOutput:\n"
        );
    }

    #[test]
    fn truncation_cuts_on_lines() {
        // 10 lines of 4 bytes = 40 bytes = 10 tokens; a budget of 4 tokens
        // keeps 8 bytes of head and 8 of tail.
        let text: String = (0..10).map(|i| format!("ln{i}\n")).collect();
        assert_eq!(
            output(Some(0), None, &text).to_model_text(4),
            "Chunk ID: 33c3d9\nWall time: 0.0093 seconds\nProcess exited with code 0\n\
             Original token count: 10\nOutput:\n\
             Warning: truncated output (original token count: 10)\nTotal output lines: 10\n\n\
             ln0\nln1\n…6 tokens truncated…\nln8\nln9\n"
        );
    }

    #[test]
    fn truncation_of_one_long_line_keeps_utf8_valid() {
        // 12 two-byte characters; a 2-token budget is 4 bytes of head and tail.
        let text = "é".repeat(12);
        assert_eq!(
            output(Some(1), None, &text).to_model_text(2),
            "Chunk ID: 33c3d9\nWall time: 0.0093 seconds\nProcess exited with code 1\n\
             Original token count: 6\nOutput:\n\
             Warning: truncated output (original token count: 6)\nTotal output lines: 1\n\n\
             éé…4 tokens truncated…éé"
        );
    }

    #[test]
    fn truncation_with_an_odd_cut_inside_lines() {
        // The 6-byte head budget ends inside "bbbb", so the head is "aaaa\n";
        // the 6-byte tail budget starts inside "yyyy\n", so the tail is "zzzz\n".
        let text = "aaaa\nbbbb\ncccc\nyyyy\nzzzz\n";
        assert_eq!(
            head_and_tail(text, 12),
            "aaaa\n…4 tokens truncated…\nzzzz\n"
        );
    }

    #[test]
    fn token_count_rounds_up() {
        assert_eq!([0, 1, 4, 5].map(approx_token_count), [0, 1, 1, 2]);
    }
}
