//! A byte buffer that keeps the head and the tail of a stream and counts
//! everything, so a command printing gigabytes costs a bounded amount of
//! memory while the token count stays exact.
//!
//! It stores bytes, not text: conversion to (lossy) UTF-8 happens once, when
//! the caller asks for a string.

/// Keeps the first `head_cap` and the last `tail_cap` bytes pushed, and
/// counts all bytes and lines.
#[derive(Debug, Clone)]
pub(crate) struct HeadTailBuffer {
    head: Vec<u8>,
    /// The most recent bytes; may temporarily hold up to twice `tail_cap`
    /// so trimming its front is amortised.
    tail: Vec<u8>,
    head_cap: usize,
    tail_cap: usize,
    total_bytes: usize,
    newlines: usize,
    ends_with_newline: bool,
}

impl HeadTailBuffer {
    pub(crate) fn new(head_cap: usize, tail_cap: usize) -> Self {
        Self {
            head: Vec::new(),
            tail: Vec::new(),
            head_cap,
            tail_cap,
            total_bytes: 0,
            newlines: 0,
            ends_with_newline: true,
        }
    }

    pub(crate) fn push(&mut self, mut bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.total_bytes += bytes.len();
        self.newlines += bytes.iter().filter(|&&b| b == b'\n').count();
        self.ends_with_newline = bytes.last() == Some(&b'\n');
        let head_room = self.head_cap.saturating_sub(self.head.len());
        let into_head = head_room.min(bytes.len());
        self.head.extend_from_slice(&bytes[..into_head]);
        bytes = &bytes[into_head..];
        if bytes.is_empty() {
            return;
        }
        self.tail.extend_from_slice(bytes);
        if self.tail.len() > self.tail_cap.saturating_mul(2).max(1) {
            let excess = self.tail.len() - self.tail_cap;
            self.tail.drain(..excess);
        }
    }

    /// Every byte ever pushed, kept or not.
    pub(crate) fn total_bytes(&self) -> usize {
        self.total_bytes
    }

    /// Lines ever pushed; a final line without a newline counts.
    pub(crate) fn total_lines(&self) -> usize {
        self.newlines + usize::from(!self.ends_with_newline)
    }

    /// Bytes pushed but no longer held.
    pub(crate) fn omitted_bytes(&self) -> usize {
        self.total_bytes - self.head.len() - self.kept_tail().len()
    }

    /// The kept bytes as lossy UTF-8; when bytes were dropped, a line
    /// `…N bytes omitted…` stands between head and tail.
    pub(crate) fn to_string_lossy(&self) -> String {
        let omitted = self.omitted_bytes();
        if omitted == 0 {
            let mut all = self.head.clone();
            all.extend_from_slice(self.kept_tail());
            return String::from_utf8_lossy(&all).into_owned();
        }
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("…{omitted} bytes omitted…\n"));
        text.push_str(&String::from_utf8_lossy(self.kept_tail()));
        text
    }

    /// Take everything as lossy UTF-8 and reset the kept bytes and counters,
    /// except that an incomplete UTF-8 sequence at the very end (a character
    /// split across reads) is held back for the next take when `hold_partial`.
    pub(crate) fn take_string(&mut self, hold_partial: bool) -> String {
        if hold_partial && self.omitted_bytes() == 0 {
            let mut all = std::mem::take(&mut self.head);
            all.extend_from_slice(self.kept_tail());
            let split = match std::str::from_utf8(&all) {
                Err(error) if error.error_len().is_none() => error.valid_up_to(),
                _ => all.len(),
            };
            let partial = all.split_off(split);
            *self = Self::new(self.head_cap, self.tail_cap);
            self.push(&partial);
            return String::from_utf8_lossy(&all).into_owned();
        }
        let text = self.to_string_lossy();
        *self = Self::new(self.head_cap, self.tail_cap);
        text
    }

    fn kept_tail(&self) -> &[u8] {
        let start = self.tail.len().saturating_sub(self.tail_cap);
        &self.tail[start..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn small_input_is_kept_whole() {
        let mut buffer = HeadTailBuffer::new(8, 8);
        buffer.push(b"ab\ncd");
        assert_eq!(
            (
                buffer.to_string_lossy(),
                buffer.total_bytes(),
                buffer.total_lines()
            ),
            ("ab\ncd".to_string(), 5, 2)
        );
    }

    #[test]
    fn large_input_keeps_head_and_tail_and_counts_everything() {
        let mut buffer = HeadTailBuffer::new(4, 4);
        for _ in 0..100 {
            buffer.push(b"0123456789\n");
        }
        assert_eq!(
            (
                buffer.to_string_lossy(),
                buffer.total_bytes(),
                buffer.total_lines()
            ),
            ("0123\n…1092 bytes omitted…\n789\n".to_string(), 1100, 100)
        );
    }

    #[test]
    fn take_holds_back_a_split_character() {
        let mut buffer = HeadTailBuffer::new(64, 64);
        let e_acute = "é".as_bytes();
        buffer.push(b"caf");
        buffer.push(&e_acute[..1]);
        assert_eq!(buffer.take_string(true), "caf");
        buffer.push(&e_acute[1..]);
        assert_eq!(buffer.take_string(true), "é");
    }

    #[test]
    fn binary_is_lossy_never_a_panic() {
        let mut buffer = HeadTailBuffer::new(2, 2);
        buffer.push(&[0xff, 0xfe, b'a', 0xc3, 0xff, b'z']);
        assert_eq!(
            buffer.take_string(false),
            "\u{fffd}\u{fffd}\n…2 bytes omitted…\n\u{fffd}z"
        );
        assert_eq!(buffer.total_bytes(), 0);
    }
}
