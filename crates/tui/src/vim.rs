//! Vim mode for the composer (`tui.vim = true`, `/vim`): Normal and Insert
//! modes over the same [`Composer`].
//!
//! Normal mode has counts (`3w`, `2dd`), the motions `h j k l w b e W B E
//! 0 ^ $ gg G` and `f F t T{char}` with `;` `,`, the operators `d c y` with
//! any of those motions, doubled for whole lines (`dw`, `c$`, `y2j`, `3yy`,
//! `dt)`), or with a text object (`iw aw iW aW`, `i" a' i``, `i( a) ib i[
//! a{ iB i< a>`), the shorthands `x X D C s S Y`, `r{char}`, `p P` from one
//! unnamed register, `u` (undo; an Insert-mode session is one change), and
//! `i a I A o O` into Insert mode, `.` to repeat the last change (with
//! what its Insert-mode session typed), and Ctrl+R to redo what `u` took
//! back. Not built: named registers, visual mode, counts on text objects.
//!
//! It sees a key before the app does and says whether it took it; keys it
//! does not take (Enter, Ctrl+…, anything in Insert mode but Esc) go on to
//! the usual bindings.

mod motion;
mod object;

use crate::composer::Composer;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use motion::*;
use object::*;
use std::ops::Range;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    Normal,
    #[default]
    Insert,
}

/// What the vim layer did with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Handled here; the app does nothing more.
    Taken,
    /// Not a vim key: the app handles it as usual.
    Passed,
    /// `j` / `k` on the last / first line: the app recalls history.
    HistoryNext,
    HistoryPrev,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Delete,
    Change,
    Yank,
}

/// What a motion covers when an operator applies to it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Span {
    /// These bytes.
    Chars(Range<usize>),
    /// Whole lines, first and last (0-based, inclusive).
    Lines(usize, usize),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vim {
    pub mode: Mode,
    /// The count typed so far (`3` of `3w`, or of `d3w` after the operator).
    count: Option<usize>,
    /// An operator waiting for its motion, with the count typed before it.
    operator: Option<(Operator, usize)>,
    /// `r`, `f F t T` waiting for their character, the first `g` of
    /// `gg`, or `i`/`a` after an operator waiting for a text object.
    prefix: Option<char>,
    /// The last `f F t T` and its character, for `;` and `,`.
    last_find: Option<(char, char)>,
    /// The unnamed register: the text, and whether it is whole lines.
    register: Option<(String, bool)>,
    /// Drafts (text, cursor) before each change made from Normal mode,
    /// newest last; an Insert-mode session counts as one change.
    undo: Vec<(String, usize)>,
    /// Drafts that `u` took back, for Ctrl+R; a new change clears them.
    redo: Vec<(String, usize)>,
    /// The keys of the Normal-mode command being typed.
    typing: Vec<KeyCode>,
    /// The keys of the last change, for `.`: its command and, when it
    /// entered Insert mode, what was typed there up to Esc.
    last_change: Vec<KeyCode>,
    /// Insert-mode keys are being added to `last_change`.
    recording: bool,
    /// `.` is replaying `last_change`: record nothing, and leave undo to
    /// the `.` itself (one change).
    replaying: bool,
}

/// How many changes `u` can take back.
const UNDO_DEPTH: usize = 100;

impl Vim {
    pub fn on_key(&mut self, key: KeyEvent, composer: &mut Composer) -> Outcome {
        // Ctrl+R in Normal mode is vim's redo (in Insert mode it stays the
        // app's reverse search).
        if self.mode == Mode::Normal
            && key.modifiers == KeyModifiers::CONTROL
            && key.code == KeyCode::Char('r')
        {
            self.reset();
            self.redo_once(composer);
            return Outcome::Taken;
        }
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            self.reset();
            self.stop_recording();
            return Outcome::Passed;
        }
        match self.mode {
            Mode::Insert => {
                if key.code == KeyCode::Esc {
                    self.mode = Mode::Normal;
                    composer.left_in_line();
                    self.stop_recording();
                    return Outcome::Taken;
                }
                if self.recording {
                    match key.code {
                        KeyCode::Char(_) | KeyCode::Backspace => self.last_change.push(key.code),
                        // Moving about (arrows, Enter) ends what `.` repeats.
                        _ => self.stop_recording(),
                    }
                }
                Outcome::Passed
            }
            Mode::Normal => match key.code {
                KeyCode::Char(_) | KeyCode::Backspace => {
                    if !self.is_pending() {
                        self.typing.clear();
                    }
                    self.typing.push(key.code);
                    let before = (composer.text().to_owned(), composer.cursor());
                    let outcome = match key.code {
                        // As in vim: Space and Backspace move like `l` and `h`.
                        KeyCode::Char(' ') => self.motion('l', composer),
                        KeyCode::Backspace => self.motion('h', composer),
                        KeyCode::Char(ch) => self.normal(ch, composer),
                        _ => Outcome::Passed,
                    };
                    let changed = composer.text() != before.0 || self.mode == Mode::Insert;
                    let undo_or_repeat = matches!(key.code, KeyCode::Char('u' | '.'));
                    if changed && key.code != KeyCode::Char('u') && !self.replaying {
                        if self.undo.len() == UNDO_DEPTH {
                            self.undo.remove(0);
                        }
                        self.undo.push(before);
                        self.redo.clear();
                    }
                    if changed && !undo_or_repeat && !self.replaying && !self.is_pending() {
                        self.last_change = self.typing.clone();
                        self.recording = self.mode == Mode::Insert;
                    }
                    outcome
                }
                // Esc cancels a half-typed command; otherwise Esc, arrows
                // and Enter keep their usual meaning.
                KeyCode::Esc if self.is_pending() => {
                    self.reset();
                    Outcome::Taken
                }
                _ => {
                    self.reset();
                    Outcome::Passed
                }
            },
        }
    }

    /// End the Insert-mode part of `last_change` as Esc would.
    fn stop_recording(&mut self) {
        if self.recording {
            self.recording = false;
            self.last_change.push(KeyCode::Esc);
        }
    }

    /// `.`: the last change again, `count` times, as one change for `u`.
    fn repeat_last_change(&mut self, count: usize, composer: &mut Composer) {
        let keys = self.last_change.clone();
        self.replaying = true;
        for _ in 0..count {
            for &code in &keys {
                self.feed(KeyEvent::new(code, KeyModifiers::NONE), composer);
            }
        }
        self.replaying = false;
    }

    /// [`Vim::on_key`], then what the app does with a plain character or
    /// Backspace that vim passes on (Insert mode): type it or delete.
    fn feed(&mut self, key: KeyEvent, composer: &mut Composer) {
        if self.on_key(key, composer) == Outcome::Passed && key.modifiers == KeyModifiers::NONE {
            match key.code {
                KeyCode::Char(ch) => composer.insert(ch.encode_utf8(&mut [0; 4])),
                KeyCode::Backspace => composer.backspace(),
                _ => {}
            }
        }
    }

    fn is_pending(&self) -> bool {
        self.count.is_some() || self.operator.is_some() || self.prefix.is_some()
    }

    fn reset(&mut self) {
        self.count = None;
        self.operator = None;
        self.prefix = None;
    }

    fn normal(&mut self, ch: char, composer: &mut Composer) -> Outcome {
        match self.prefix.take() {
            Some('r') => {
                let count = self.take_count();
                self.operator = None;
                replace_chars(composer, ch, count);
                return Outcome::Taken;
            }
            Some(kind @ ('f' | 'F' | 't' | 'T')) => {
                self.last_find = Some((kind, ch));
                return self.find(kind, ch, false, composer);
            }
            Some(around @ ('i' | 'a')) => return self.text_object(around == 'a', ch, composer),
            Some(_) => {
                // `g`: only `gg` is known.
                if ch == 'g' {
                    return self.motion('g', composer);
                }
                self.reset();
                return Outcome::Taken;
            }
            None => {}
        }
        match ch {
            '1'..='9' | '0' if ch != '0' || self.count.is_some() => {
                let digit = ch.to_digit(10).unwrap_or(0) as usize;
                let count = self.count.unwrap_or(0);
                self.count = Some(count.saturating_mul(10).saturating_add(digit).min(9_999));
            }
            'd' | 'c' | 'y' => {
                let op = match ch {
                    'd' => Operator::Delete,
                    'c' => Operator::Change,
                    _ => Operator::Yank,
                };
                match self.operator.take() {
                    // Doubled: whole lines, as many as counted.
                    Some((pending, before)) if pending == op => {
                        let count = before.saturating_mul(self.take_count());
                        let line = line_of(composer.text(), composer.cursor());
                        let last = (line + count - 1).min(line_count(composer.text()) - 1);
                        self.apply(op, Span::Lines(line, last), composer);
                    }
                    Some(_) => self.reset(),
                    None => self.operator = Some((op, self.take_count())),
                }
            }
            'h' | 'l' | 'w' | 'b' | 'e' | 'W' | 'B' | 'E' | '0' | '^' | '$' | 'j' | 'k' | 'G' => {
                return self.motion(ch, composer);
            }
            'g' | 'r' | 'f' | 'F' | 't' | 'T' => self.prefix = Some(ch),
            // After an operator, `i` and `a` start a text object (`diw`, `ca"`).
            'i' | 'a' if self.operator.is_some() => self.prefix = Some(ch),
            ';' | ',' => {
                let Some((kind, target)) = self.last_find else {
                    self.reset();
                    return Outcome::Taken;
                };
                let kind = if ch == ';' { kind } else { reverse_find(kind) };
                return self.find(kind, target, true, composer);
            }
            'x' | 'X' | 'D' | 'C' | 's' | 'S' | 'Y' => {
                let (op, motion) = match ch {
                    'x' => (Operator::Delete, 'l'),
                    'X' => (Operator::Delete, 'h'),
                    'D' => (Operator::Delete, '$'),
                    'C' => (Operator::Change, '$'),
                    's' => (Operator::Change, 'l'),
                    'S' => (Operator::Change, '_'),
                    _ => (Operator::Yank, '_'),
                };
                if self.operator.take().is_some() {
                    self.reset();
                    return Outcome::Taken;
                }
                self.operator = Some((op, 1));
                return self.motion(motion, composer);
            }
            'u' => {
                let count = self.take_count();
                self.operator = None;
                for _ in 0..count {
                    self.undo_once(composer);
                }
            }
            'p' | 'P' => {
                let count = self.take_count();
                self.operator = None;
                self.paste(ch == 'p', count, composer);
            }
            '.' => {
                let count = self.take_count();
                self.operator = None;
                self.repeat_last_change(count, composer);
            }
            'i' | 'a' | 'I' | 'A' | 'o' | 'O' => {
                self.reset();
                match ch {
                    'a' => composer.right_in_line(),
                    'I' => composer.set_cursor(first_non_blank(composer.text(), composer.cursor())),
                    'A' => composer.line_end(),
                    'o' => {
                        composer.line_end();
                        composer.insert("\n");
                    }
                    'O' => {
                        composer.line_start();
                        composer.insert("\n");
                        composer.left();
                    }
                    _ => {}
                }
                self.mode = Mode::Insert;
            }
            // Other letters do nothing in Normal mode rather than type.
            _ => self.reset(),
        }
        Outcome::Taken
    }

    fn take_count(&mut self) -> usize {
        self.count.take().unwrap_or(1)
    }

    /// A motion: moves the cursor, or gives the span of a pending operator.
    /// `_` is the current line (and `count - 1` more), for `S` and `Y`.
    fn motion(&mut self, motion: char, composer: &mut Composer) -> Outcome {
        let explicit = self.count.is_some();
        let count = self.take_count();
        let operator = self.operator.take();
        let count = operator.map_or(count, |(_, before)| before.saturating_mul(count));
        if operator.is_none() && matches!(motion, 'j' | 'k') {
            let down = motion == 'j';
            let at_edge = |composer: &Composer| {
                if down {
                    composer.on_last_line()
                } else {
                    composer.on_first_line()
                }
            };
            if at_edge(composer) {
                return if down {
                    Outcome::HistoryNext
                } else {
                    Outcome::HistoryPrev
                };
            }
            for _ in 0..count {
                if at_edge(composer) {
                    break;
                }
                if down {
                    composer.down();
                } else {
                    composer.up();
                }
            }
            return Outcome::Taken;
        }
        let text = composer.text();
        let at = composer.cursor();
        let line = line_of(text, at);
        let last_line = line_count(text) - 1;
        // `gg` and `G`: the first or last line, or line N with a count.
        let goto_line = match (explicit, motion) {
            (true, _) => (count - 1).min(last_line),
            (false, 'G') => last_line,
            (false, _) => 0,
        };
        let Some((op, _)) = operator else {
            let target = match motion {
                'G' | 'g' => first_non_blank(text, line_start_of(text, goto_line)),
                'e' | 'E' => repeat(count, at, |at| word_end(text, at, motion == 'E')),
                // The others (`$` too: `clamp_normal` steps back onto the
                // line's last character) go to the far end of their span.
                _ => match char_span(text, at, motion, count, None) {
                    Some(span) if span.start < at => span.start,
                    Some(span) => span.end,
                    None => at,
                },
            };
            composer.set_cursor(target);
            clamp_normal(composer);
            return Outcome::Taken;
        };
        let span = match motion {
            'j' => Span::Lines(line, (line + count).min(last_line)),
            'k' => Span::Lines(line.saturating_sub(count), line),
            '_' => Span::Lines(line, (line + count - 1).min(last_line)),
            'G' | 'g' => Span::Lines(line.min(goto_line), line.max(goto_line)),
            _ => match char_span(text, at, motion, count, Some(op)) {
                Some(span) => Span::Chars(span),
                None => return Outcome::Taken,
            },
        };
        self.apply(op, span, composer);
        Outcome::Taken
    }

    /// `f F t T` (and `;` `,`, with `again`): move to the `count`th
    /// `target` on this line, or give the operator what lies between.
    fn find(&mut self, kind: char, target: char, again: bool, composer: &mut Composer) -> Outcome {
        let count = self.take_count();
        let operator = self.operator.take();
        let count = operator.map_or(count, |(_, before)| before.saturating_mul(count));
        let text = composer.text();
        let at = composer.cursor();
        let Some(to) = find_in_line(text, at, kind, target, count, again) else {
            return Outcome::Taken;
        };
        match operator {
            None => composer.set_cursor(to),
            Some((op, _)) => {
                // Forward finds include the character they land on;
                // backward ones stop short of the cursor's.
                let span = if matches!(kind, 'f' | 't') {
                    at..next_char(text, to).unwrap_or(to)
                } else {
                    to..at
                };
                self.apply(op, Span::Chars(span), composer);
            }
        }
        Outcome::Taken
    }

    /// A text object after an operator: `iw aw iW aW`, quotes (`i" a' i``)
    /// and brackets (`i( a) ib i[ a{ iB i< a>`).
    fn text_object(&mut self, around: bool, object: char, composer: &mut Composer) -> Outcome {
        self.count = None;
        let Some((op, _)) = self.operator.take() else {
            return Outcome::Taken;
        };
        let text = composer.text();
        let at = composer.cursor();
        let range = match object {
            'w' | 'W' => Some(word_object(text, at, object == 'W', around)),
            '"' | '\'' | '`' => quote_object(text, at, object, around),
            '(' | ')' | 'b' => bracket_object(text, at, '(', ')', around),
            '[' | ']' => bracket_object(text, at, '[', ']', around),
            '{' | '}' | 'B' => bracket_object(text, at, '{', '}', around),
            '<' | '>' => bracket_object(text, at, '<', '>', around),
            _ => None,
        };
        match range {
            // `ci(` on `()`: nothing to delete, but insert between them.
            Some(range) if range.is_empty() && op == Operator::Change => {
                composer.set_cursor(range.start);
                self.mode = Mode::Insert;
            }
            Some(range) => self.apply(op, Span::Chars(range), composer),
            None => {}
        }
        Outcome::Taken
    }

    fn apply(&mut self, op: Operator, span: Span, composer: &mut Composer) {
        let text = composer.text().to_owned();
        match span {
            Span::Chars(range) => {
                if range.is_empty() {
                    return;
                }
                self.register = Some((text[range.clone()].to_owned(), false));
                match op {
                    Operator::Yank => composer.set_cursor(range.start),
                    Operator::Delete | Operator::Change => composer.replace_range(range, ""),
                }
            }
            Span::Lines(first, last) => {
                let start = line_start_of(&text, first);
                let end = line_end(&text, line_start_of(&text, last));
                self.register = Some((format!("{}\n", &text[start..end]), true));
                match op {
                    Operator::Yank => {}
                    Operator::Change => composer.replace_range(start..end, ""),
                    Operator::Delete => {
                        // The break after the lines goes with them, or the
                        // one before them when they end the text.
                        let range = if end < text.len() {
                            start..end + 1
                        } else {
                            start.saturating_sub(1)..end
                        };
                        composer.replace_range(range, "");
                        let at = line_start(composer.text(), composer.cursor());
                        composer.set_cursor(first_non_blank(composer.text(), at));
                    }
                }
            }
        }
        if op == Operator::Change {
            self.mode = Mode::Insert;
        } else {
            clamp_normal(composer);
        }
    }

    /// Go back to the draft before the last change (skipping any that
    /// left the text as it is now).
    fn undo_once(&mut self, composer: &mut Composer) {
        while let Some((text, cursor)) = self.undo.pop() {
            if text != composer.text() {
                self.redo
                    .push((composer.text().to_owned(), composer.cursor()));
                composer.set_text(&text);
                composer.set_cursor(cursor);
                clamp_normal(composer);
                return;
            }
        }
    }

    /// Ctrl+R: put back the draft the last `u` took away.
    fn redo_once(&mut self, composer: &mut Composer) {
        if let Some((text, cursor)) = self.redo.pop() {
            self.undo
                .push((composer.text().to_owned(), composer.cursor()));
            composer.set_text(&text);
            composer.set_cursor(cursor);
            clamp_normal(composer);
        }
    }

    fn paste(&mut self, after: bool, count: usize, composer: &mut Composer) {
        let Some((text, linewise)) = self.register.clone() else {
            return;
        };
        let at = composer.cursor();
        if linewise {
            let lines = text.repeat(count);
            if after {
                let end = line_end(composer.text(), at);
                let lines = lines.strip_suffix('\n').unwrap_or(&lines);
                composer.replace_range(end..end, &format!("\n{lines}"));
                composer.set_cursor(end + 1);
            } else {
                let start = line_start(composer.text(), at);
                composer.replace_range(start..start, &lines);
                composer.set_cursor(start);
            }
            let line_start = composer.cursor();
            composer.set_cursor(first_non_blank(composer.text(), line_start));
        } else {
            let at = match composer.text()[at..].chars().next() {
                Some(ch) if after && ch != '\n' => at + ch.len_utf8(),
                _ => at,
            };
            composer.replace_range(at..at, &text.repeat(count));
            composer.left();
        }
    }
}

/// Replace `count` characters from the cursor with `ch`, if the line has
/// that many; the cursor ends on the last one.
fn replace_chars(composer: &mut Composer, ch: char, count: usize) {
    let at = composer.cursor();
    let end = line_end(composer.text(), at);
    let chars: Vec<(usize, char)> = composer.text()[at..end].char_indices().collect();
    if chars.len() < count || ch == '\n' {
        return;
    }
    let stop = chars.get(count).map_or(end, |(offset, _)| at + offset);
    composer.replace_range(at..stop, &ch.to_string().repeat(count));
    composer.left();
}

/// In Normal mode the cursor sits on a character, not after the last one
/// of a line (unless the line is empty).
fn clamp_normal(composer: &mut Composer) {
    let text = composer.text();
    let at = composer.cursor();
    if at > line_start(text, at) && text[at..].chars().next().is_none_or(|ch| ch == '\n') {
        composer.left();
    }
}

/// The bytes between the cursor and where a character motion (`h l w b e
/// W B E 0 ^ $`) goes, as an `operator` takes them; `None` for an unknown
/// motion. Two of vim's rules for operators: `cw` on a word changes to its
/// end (like `ce`), and a `w` that would take a line break stops before it.
fn char_span(
    text: &str,
    at: usize,
    motion: char,
    count: usize,
    operator: Option<Operator>,
) -> Option<Range<usize>> {
    let start = line_start(text, at);
    let end = line_end(text, at);
    let span = match motion {
        'h' => {
            repeat(count, at, |at| {
                prev_char(text, at).filter(|&p| p >= start).unwrap_or(at)
            })..at
        }
        'l' => {
            at..repeat(count, at, |at| {
                next_char(text, at).filter(|&n| n <= end).unwrap_or(at)
            })
        }
        'w' | 'W' => {
            let big = motion == 'W';
            let on_word = char_at(text, at).is_some_and(|ch| !ch.is_whitespace());
            if operator == Some(Operator::Change) && on_word {
                let first = word_end_from(text, at, big, true);
                let last = repeat(count - 1, first, |at| word_end(text, at, big));
                at..next_char(text, last).unwrap_or(last)
            } else {
                let stop = repeat(count, at, |at| next_word_start(text, at, big));
                let skipped = &text[at..stop];
                let kept = skipped.trim_end().len();
                match skipped[kept..].find('\n') {
                    Some(break_at) if operator.is_some() => at..at + kept + break_at,
                    _ => at..stop,
                }
            }
        }
        'e' | 'E' => {
            let last = repeat(count, at, |at| word_end(text, at, motion == 'E'));
            at..next_char(text, last).unwrap_or(last)
        }
        'b' | 'B' => repeat(count, at, |at| prev_word_start(text, at, motion == 'B'))..at,
        '0' => start..at,
        '^' => {
            let first = first_non_blank(text, at);
            first.min(at)..first.max(at)
        }
        '$' => {
            let last_line = line_count(text) - 1;
            let line = (line_of(text, at) + count - 1).min(last_line);
            at..line_end(text, line_start_of(text, line))
        }
        _ => return None,
    };
    Some(span)
}

#[cfg(test)]
mod tests;
