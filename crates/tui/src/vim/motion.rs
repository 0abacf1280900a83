//! Where motions go in the composer's text: characters, words (`w b e`,
//! big or small), lines, and finds on the line (`f F t T`). Byte offsets
//! in, byte offsets out; no state.

pub(super) fn repeat(count: usize, at: usize, step: impl Fn(usize) -> usize) -> usize {
    (0..count).fold(at, |at, _| step(at))
}

/// 0 blank, 1 word characters, 2 other punctuation; `big` (`W B E`)
/// makes every non-blank one class.
pub(super) fn class(ch: char, big: bool) -> u8 {
    if ch.is_whitespace() {
        0
    } else if big || ch.is_alphanumeric() || ch == '_' {
        1
    } else {
        2
    }
}

pub(super) fn char_at(text: &str, at: usize) -> Option<char> {
    text[at..].chars().next()
}

pub(super) fn next_char(text: &str, at: usize) -> Option<usize> {
    char_at(text, at).map(|ch| at + ch.len_utf8())
}

pub(super) fn prev_char(text: &str, at: usize) -> Option<usize> {
    text[..at].char_indices().next_back().map(|(idx, _)| idx)
}

/// `w`: past the rest of this word, then past blanks.
pub(super) fn next_word_start(text: &str, at: usize, big: bool) -> usize {
    let mut at = at;
    if let Some(ch) = char_at(text, at) {
        let here = class(ch, big);
        if here != 0 {
            while char_at(text, at).is_some_and(|ch| class(ch, big) == here) {
                at = next_char(text, at).unwrap_or(at);
            }
        }
    }
    while char_at(text, at).is_some_and(char::is_whitespace) {
        at = next_char(text, at).unwrap_or(at);
    }
    at
}

/// `e`: on the last character of this word, or of the next one when
/// already there.
pub(super) fn word_end(text: &str, at: usize, big: bool) -> usize {
    word_end_from(text, at, big, false)
}

/// The last character of the word at or after `at`; with `stay`, the
/// word the cursor is on counts even when it is on its last character.
pub(super) fn word_end_from(text: &str, at: usize, big: bool, stay: bool) -> usize {
    let mut at = at;
    if !stay {
        match next_char(text, at) {
            Some(next) if next < text.len() => at = next,
            _ => return at,
        }
    }
    while char_at(text, at).is_some_and(char::is_whitespace) {
        match next_char(text, at) {
            Some(next) if next < text.len() => at = next,
            _ => return at,
        }
    }
    let here = char_at(text, at).map_or(0, |ch| class(ch, big));
    while let Some(next) = next_char(text, at) {
        if char_at(text, next).is_some_and(|ch| class(ch, big) == here) {
            at = next;
        } else {
            break;
        }
    }
    at
}

/// `b`: to the start of this word, or of the previous one when already
/// there.
pub(super) fn prev_word_start(text: &str, at: usize, big: bool) -> usize {
    let mut at = at;
    while let Some(prev) = prev_char(text, at) {
        at = prev;
        if !char_at(text, at).is_some_and(char::is_whitespace) {
            break;
        }
    }
    let here = char_at(text, at).map_or(0, |ch| class(ch, big));
    while let Some(prev) = prev_char(text, at) {
        if char_at(text, prev).is_some_and(|ch| class(ch, big) == here && here != 0) {
            at = prev;
        } else {
            break;
        }
    }
    at
}

pub(super) fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |idx| idx + 1)
}

pub(super) fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |idx| at + idx)
}

pub(super) fn line_of(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count()
}

pub(super) fn line_count(text: &str) -> usize {
    text.matches('\n').count() + 1
}

/// The byte offset where line `line` (0-based) starts.
pub(super) fn line_start_of(text: &str, line: usize) -> usize {
    if line == 0 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 1)
        .map_or(text.len(), |(idx, _)| idx + 1)
}

/// The first non-blank character of the line holding `at` (its end when
/// the line is blank).
pub(super) fn first_non_blank(text: &str, at: usize) -> usize {
    let start = line_start(text, at);
    let end = line_end(text, at);
    text[start..end]
        .find(|ch: char| ch != ' ' && ch != '\t')
        .map_or(end, |idx| start + idx)
}

pub(super) fn reverse_find(kind: char) -> char {
    match kind {
        'f' => 'F',
        'F' => 'f',
        't' => 'T',
        _ => 't',
    }
}

/// Where `f F t T` with `target` land from `at`, on the same line: the
/// `count`th match after (`f t`) or before (`F T`) the cursor, or the
/// character just short of it (`t T`). Repeated (`;` `,`), `t` and `T`
/// skip a match right next to the cursor, as vim does, so they move on.
pub(super) fn find_in_line(
    text: &str,
    at: usize,
    kind: char,
    target: char,
    count: usize,
    again: bool,
) -> Option<usize> {
    let start = line_start(text, at);
    let end = line_end(text, at);
    let skip = usize::from(again && matches!(kind, 't' | 'T'));
    if matches!(kind, 'f' | 't') {
        let from = next_char(text, at).filter(|&from| from <= end)?;
        let (found, _) = text[from..end]
            .char_indices()
            .skip(skip)
            .filter(|&(_, ch)| ch == target)
            .nth(count - 1)?;
        let found = from + found;
        Some(if kind == 't' {
            prev_char(text, found).unwrap_or(found)
        } else {
            found
        })
    } else {
        let (found, _) = text[start..at]
            .char_indices()
            .rev()
            .skip(skip)
            .filter(|&(_, ch)| ch == target)
            .nth(count - 1)?;
        let found = start + found;
        Some(if kind == 'T' {
            next_char(text, found).unwrap_or(found)
        } else {
            found
        })
    }
}
