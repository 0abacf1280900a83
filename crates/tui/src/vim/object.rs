//! Text objects: the range an `i`/`a` object covers around the cursor
//! (words, quotes, brackets).

use super::motion::*;
use std::ops::Range;

/// `iw` (`iW`): the run of word characters, punctuation or blanks the
/// cursor is on, within its line. `aw` adds the blanks after it, or
/// before it when none follow (or the run itself is blank: then the
/// word after it).
pub(super) fn word_object(text: &str, at: usize, big: bool, around: bool) -> Range<usize> {
    let start = line_start(text, at);
    let end = line_end(text, at);
    let Some(here) = char_at(text, at)
        .filter(|&ch| ch != '\n')
        .map(|ch| class(ch, big))
    else {
        return at..at;
    };
    let same = |ch: char| class(ch, big) == here;
    let run = |from: usize, same: &dyn Fn(char) -> bool| {
        let mut first = from;
        while let Some(prev) = prev_char(text, first).filter(|&p| p >= start) {
            if !char_at(text, prev).is_some_and(same) {
                break;
            }
            first = prev;
        }
        let mut last = from;
        while let Some(next) = next_char(text, last).filter(|&n| n < end) {
            if !char_at(text, next).is_some_and(same) {
                break;
            }
            last = next;
        }
        (first, next_char(text, last).unwrap_or(last))
    };
    let (first, after) = run(at, &same);
    if !around {
        return first..after;
    }
    let blank = |ch: char| ch == ' ' || ch == '\t';
    if here == 0 {
        // On blanks: the blanks and the word after them.
        return match char_at(text, after).filter(|&ch| ch != '\n') {
            Some(ch) => {
                let next_class = class(ch, big);
                first..run(after, &|ch| class(ch, big) == next_class).1
            }
            None => first..after,
        };
    }
    match char_at(text, after).filter(|&ch| blank(ch)) {
        Some(_) => first..run(after, &blank).1,
        None => match prev_char(text, first).filter(|&p| p >= start) {
            Some(prev) if char_at(text, prev).is_some_and(blank) => run(prev, &blank).0..after,
            _ => first..after,
        },
    }
}

/// `i"` / `a"` (and `'`, `` ` ``): the quoted text on the cursor's line
/// that holds the cursor, or the first one after it. Quotes pair up from
/// the line's start; a quote after a backslash does not count. `a`
/// includes the quotes and the blanks after them (or before, when none
/// follow).
pub(super) fn quote_object(
    text: &str,
    at: usize,
    quote: char,
    around: bool,
) -> Option<Range<usize>> {
    let start = line_start(text, at);
    let end = line_end(text, at);
    let mut quotes = Vec::new();
    let mut escaped = false;
    for (offset, ch) in text[start..end].char_indices() {
        if ch == quote && !escaped {
            quotes.push(start + offset);
        }
        escaped = ch == '\\' && !escaped;
    }
    let (open, close) = quotes
        .chunks_exact(2)
        .map(|pair| (pair[0], pair[1]))
        .find(|&(_, close)| at <= close)?;
    if !around {
        return Some(open + quote.len_utf8()..close);
    }
    let after = close + quote.len_utf8();
    let trailing = text[after..end].len() - text[after..end].trim_start_matches([' ', '\t']).len();
    if trailing > 0 {
        return Some(open..after + trailing);
    }
    let leading = text[start..open].len() - text[start..open].trim_end_matches([' ', '\t']).len();
    Some(open - leading..after)
}

/// `i(` / `a(` (and the other pairs): the innermost `open`…`close` pair
/// around the cursor (on either bracket counts as inside), across lines,
/// skipping nested pairs. `i` is what lies between; `a` the brackets too.
pub(super) fn bracket_object(
    text: &str,
    at: usize,
    open: char,
    close: char,
    around: bool,
) -> Option<Range<usize>> {
    let mut depth = 0usize;
    let mut opened = None;
    let on = char_at(text, at);
    let search_from = if on == Some(close) {
        at
    } else {
        next_char(text, at).unwrap_or(at)
    };
    for (offset, ch) in text[..search_from].char_indices().rev() {
        if ch == close {
            depth += 1;
        } else if ch == open {
            if depth == 0 {
                opened = Some(offset);
                break;
            }
            depth -= 1;
        }
    }
    let opened = opened?;
    let mut depth = 0usize;
    let inner_start = opened + open.len_utf8();
    let closed = text[inner_start..]
        .char_indices()
        .find_map(|(offset, ch)| {
            if ch == open {
                depth += 1;
            } else if ch == close {
                if depth == 0 {
                    return Some(inner_start + offset);
                }
                depth -= 1;
            }
            None
        })?;
    Some(if around {
        opened..closed + close.len_utf8()
    } else {
        inner_start..closed
    })
}
