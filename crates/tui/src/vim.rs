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

use crate::composer::Composer;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
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

fn repeat(count: usize, at: usize, step: impl Fn(usize) -> usize) -> usize {
    (0..count).fold(at, |at, _| step(at))
}

/// 0 blank, 1 word characters, 2 other punctuation; `big` (`W B E`)
/// makes every non-blank one class.
fn class(ch: char, big: bool) -> u8 {
    if ch.is_whitespace() {
        0
    } else if big || ch.is_alphanumeric() || ch == '_' {
        1
    } else {
        2
    }
}

fn char_at(text: &str, at: usize) -> Option<char> {
    text[at..].chars().next()
}

fn next_char(text: &str, at: usize) -> Option<usize> {
    char_at(text, at).map(|ch| at + ch.len_utf8())
}

fn prev_char(text: &str, at: usize) -> Option<usize> {
    text[..at].char_indices().next_back().map(|(idx, _)| idx)
}

/// `w`: past the rest of this word, then past blanks.
fn next_word_start(text: &str, at: usize, big: bool) -> usize {
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
fn word_end(text: &str, at: usize, big: bool) -> usize {
    word_end_from(text, at, big, false)
}

/// The last character of the word at or after `at`; with `stay`, the
/// word the cursor is on counts even when it is on its last character.
fn word_end_from(text: &str, at: usize, big: bool, stay: bool) -> usize {
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
fn prev_word_start(text: &str, at: usize, big: bool) -> usize {
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

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |idx| idx + 1)
}

fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |idx| at + idx)
}

fn line_of(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count()
}

fn line_count(text: &str) -> usize {
    text.matches('\n').count() + 1
}

/// The byte offset where line `line` (0-based) starts.
fn line_start_of(text: &str, line: usize) -> usize {
    if line == 0 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 1)
        .map_or(text.len(), |(idx, _)| idx + 1)
}

/// The first non-blank character of the line holding `at` (its end when
/// the line is blank).
fn first_non_blank(text: &str, at: usize) -> usize {
    let start = line_start(text, at);
    let end = line_end(text, at);
    text[start..end]
        .find(|ch: char| ch != ' ' && ch != '\t')
        .map_or(end, |idx| start + idx)
}

fn reverse_find(kind: char) -> char {
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
fn find_in_line(
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

/// `iw` (`iW`): the run of word characters, punctuation or blanks the
/// cursor is on, within its line. `aw` adds the blanks after it, or
/// before it when none follow (or the run itself is blank: then the
/// word after it).
fn word_object(text: &str, at: usize, big: bool, around: bool) -> Range<usize> {
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
fn quote_object(text: &str, at: usize, quote: char, around: bool) -> Option<Range<usize>> {
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
fn bracket_object(
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

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    /// `⎋` Esc, `⌫` Backspace, `\u{12}` Ctrl+R, anything else itself.
    fn key_for(ch: char) -> KeyEvent {
        match ch {
            '⎋' => KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
            '⌫' => KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE),
            '\u{12}' => KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL),
            _ => KeyEvent::new(KeyCode::Char(ch), KeyModifiers::NONE),
        }
    }

    /// Keys (see [`key_for`]) from Insert mode on `start` with the cursor
    /// at its end; the text, with `|` at the cursor, and the mode.
    fn check(start: &str, keys: &str, expected: &str, mode: Mode) {
        let mut composer = Composer::default();
        composer.set_text(start);
        let mut vim = Vim::default();
        for ch in keys.chars() {
            vim.feed(key_for(ch), &mut composer);
        }
        let (before, after) = composer.text().split_at(composer.cursor());
        assert_eq!(
            (format!("{before}|{after}"), vim.mode),
            (expected.to_owned(), mode)
        );
    }

    #[test]
    fn esc_goes_to_normal_and_steps_back_like_vim() {
        check("hello", "⎋", "hell|o", Mode::Normal);
    }

    #[test]
    fn motions() {
        check("one two\nthree", "⎋0", "one two\n|three", Mode::Normal);
        check("one two\nthree", "⎋k$", "one tw|o\nthree", Mode::Normal);
        check("one two three", "⎋0ww", "one two |three", Mode::Normal);
        check("one two three", "⎋bh", "one two| three", Mode::Normal);
        check("abc", "⎋hhl", "a|bc", Mode::Normal);
    }

    #[test]
    fn edits_and_insert_entries() {
        check("abc", "⎋0x", "|bc", Mode::Normal);
        check("one\ntwo\nthree", "⎋kdd", "one\n|three", Mode::Normal);
        check("abc", "⎋0iX", "X|abc", Mode::Insert);
        check("abc", "⎋0aX", "aX|bc", Mode::Insert);
        check("abc", "⎋0AX", "abcX|", Mode::Insert);
        check("abc", "⎋IX", "X|abc", Mode::Insert);
        check("abc", "⎋oX", "abc\nX|", Mode::Insert);
    }

    #[test]
    fn j_and_k_at_the_edges_ask_for_history() {
        let mut composer = Composer::default();
        composer.set_text("one");
        let mut vim = Vim {
            mode: Mode::Normal,
            ..Vim::default()
        };
        let press = |vim: &mut Vim, composer: &mut Composer, ch| {
            vim.on_key(
                KeyEvent::new(KeyCode::Char(ch), KeyModifiers::NONE),
                composer,
            )
        };
        assert_eq!(
            [
                press(&mut vim, &mut composer, 'k'),
                press(&mut vim, &mut composer, 'j')
            ],
            [Outcome::HistoryPrev, Outcome::HistoryNext]
        );
    }

    #[test]
    fn counts_repeat_motions_and_edits() {
        check(
            "one two three four",
            "⎋03w",
            "one two three |four",
            Mode::Normal,
        );
        check("abcdef", "⎋03x", "|def", Mode::Normal);
        check("abcdef", "⎋02l3x", "ab|f", Mode::Normal);
        check("a\nb\nc\nd", "⎋gg2dd", "|c\nd", Mode::Normal);
        check("a\nb\nc\nd", "⎋ggd2d", "|c\nd", Mode::Normal);
        check("a\nb\nc\nd", "⎋gg2j", "a\nb\n|c\nd", Mode::Normal);
        check("a\nb\nc\nd", "⎋2G", "a\n|b\nc\nd", Mode::Normal);
        check("a\nb\nc\nd", "⎋gg10dd", "|", Mode::Normal);
        // `0` after digits is part of the count.
        check("abcdefghijklmno", "⎋010l", "abcdefghij|klmno", Mode::Normal);
    }

    #[test]
    fn word_motions_know_punctuation_and_big_words() {
        check("foo.bar baz", "⎋0w", "foo|.bar baz", Mode::Normal);
        check("foo.bar baz", "⎋0W", "foo.bar |baz", Mode::Normal);
        check("foo.bar baz", "⎋0e", "fo|o.bar baz", Mode::Normal);
        check("foo.bar baz", "⎋0E", "foo.ba|r baz", Mode::Normal);
        check("foo.bar baz", "⎋$b", "foo.bar |baz", Mode::Normal);
        check("foo.bar baz", "⎋$bb", "foo.|bar baz", Mode::Normal);
        check("foo.bar baz", "⎋$BB", "|foo.bar baz", Mode::Normal);
        check("  indented", "⎋^", "  |indented", Mode::Normal);
        check("one\ntwo", "⎋ggw", "one\n|two", Mode::Normal);
    }

    #[test]
    fn operators_take_motions() {
        check("one two three", "⎋0dw", "|two three", Mode::Normal);
        check("one two three", "⎋0d2w", "|three", Mode::Normal);
        check("one two three", "⎋02dw", "|three", Mode::Normal);
        check("one two three", "⎋0de", "| two three", Mode::Normal);
        check("one two three", "⎋0wd$", "one| ", Mode::Normal);
        check("one two three", "⎋0wD", "one| ", Mode::Normal);
        check("one two three", "⎋$d0", "|e", Mode::Normal);
        check("one two three", "⎋$db", "one two |e", Mode::Normal);
        check("one two three", "⎋0wdh", "one|two three", Mode::Normal);
        check("one two three", "⎋0wX", "one|two three", Mode::Normal);
        // `dw` on a line's last word keeps the line break.
        check("one two\nthree", "⎋ggwdw", "one| \nthree", Mode::Normal);
        check("a\nb\nc", "⎋ggjdj", "|a", Mode::Normal);
        check("a\nb\nc", "⎋Gdk", "|a", Mode::Normal);
        check("a\nb\nc", "⎋kdgg", "|c", Mode::Normal);
        check("a\nb\nc", "⎋ggdG", "|", Mode::Normal);
    }

    #[test]
    fn change_deletes_then_inserts() {
        check("one two three", "⎋0cwX", "X| two three", Mode::Insert);
        check("one two three", "⎋0c2wX", "X| three", Mode::Insert);
        check("one two three", "⎋0wCX", "one X|", Mode::Insert);
        check("one two three", "⎋0sX", "X|ne two three", Mode::Insert);
        check("one two three", "⎋03sX", "X| two three", Mode::Insert);
        check("a\n  b\nc", "⎋ggjccX", "a\nX|\nc", Mode::Insert);
        check("a\nb", "⎋SX", "a\nX|", Mode::Insert);
        // A motion that goes nowhere changes nothing and stays in Normal mode.
        check("ab", "⎋0cb", "|ab", Mode::Normal);
    }

    #[test]
    fn yank_and_put() {
        check("one two", "⎋0ywP", "one| one two", Mode::Normal);
        check("one two", "⎋0yw$p", "one twoone| ", Mode::Normal);
        check("ab", "⎋0x", "|b", Mode::Normal);
        check("ab", "⎋0xp", "b|a", Mode::Normal);
        check("ab", "⎋0x3p", "baa|a", Mode::Normal);
        check("a\nb", "⎋ggyyjp", "a\nb\n|a", Mode::Normal);
        check("a\nb", "⎋ggYjP", "a\n|a\nb", Mode::Normal);
        check("a\nb", "⎋ggddp", "b\n|a", Mode::Normal);
        check("  a\nb", "⎋ggyyGp", "  a\nb\n  |a", Mode::Normal);
        check("a\nb", "⎋gg2yyG2p", "a\nb\n|a\nb\na\nb", Mode::Normal);
        // Nothing yanked yet: nothing to put.
        check("ab", "⎋p", "a|b", Mode::Normal);
    }

    #[test]
    fn replace_and_open_above() {
        check("abc", "⎋0rX", "|Xbc", Mode::Normal);
        check("abc", "⎋02rX", "X|Xc", Mode::Normal);
        check("abc", "⎋05rX", "|abc", Mode::Normal);
        check("a\nb", "⎋OX", "a\nX|\nb", Mode::Insert);
        check("  abc", "⎋0IX", "  X|abc", Mode::Insert);
    }

    #[test]
    fn u_takes_changes_back_one_at_a_time() {
        check("one two three", "⎋0dwu", "|one two three", Mode::Normal);
        check("one two three", "⎋0dwdwuu", "|one two three", Mode::Normal);
        check("one two three", "⎋0dwdwu", "|two three", Mode::Normal);
        check("abcdef", "⎋0xxx2u", "|bcdef", Mode::Normal);
        // What was typed in one Insert-mode session is one change.
        check("abc", "⎋0iXY⎋u", "|abc", Mode::Normal);
        check("abc", "⎋0iX⎋AY⎋u", "|Xabc", Mode::Normal);
        // Nothing to take back, or a change that changed nothing.
        check("abc", "⎋u", "ab|c", Mode::Normal);
        check("abc", "⎋0i⎋u", "|abc", Mode::Normal);
        // Moves are not changes.
        check("a b", "⎋0xwu", "|a b", Mode::Normal);
    }

    #[test]
    fn space_moves_right_and_operators_take_it() {
        check("abc", "⎋0  ", "ab|c", Mode::Normal);
        check("abc", "⎋0d ", "|bc", Mode::Normal);
        check("abc", "⎋02d ", "|c", Mode::Normal);
        // A change made with them is a change for `u` and `.` too.
        check("abc", "⎋0d u", "|abc", Mode::Normal);
        check("abcd", "⎋0d .", "|cd", Mode::Normal);
        // Backspace moves left in Normal mode rather than deleting.
        let mut composer = Composer::default();
        composer.set_text("abc");
        let mut vim = Vim {
            mode: Mode::Normal,
            ..Vim::default()
        };
        let backspace = KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE);
        assert_eq!(vim.on_key(backspace, &mut composer), Outcome::Taken);
        assert_eq!((composer.text(), composer.cursor()), ("abc", 2));
    }

    #[test]
    fn f_and_t_find_on_the_line_and_repeat() {
        check("a,b,c,d", "⎋0f,", "a|,b,c,d", Mode::Normal);
        check("a,b,c,d", "⎋02f,", "a,b|,c,d", Mode::Normal);
        check("a,b,c,d", "⎋0t,", "|a,b,c,d", Mode::Normal);
        check("a,b,c,d", "⎋$F,", "a,b,c|,d", Mode::Normal);
        check("a,b,c,d", "⎋$T,", "a,b,c,|d", Mode::Normal);
        check("a,b,c,d", "⎋0f,;", "a,b|,c,d", Mode::Normal);
        check("a,b,c,d", "⎋0f,;;,", "a,b|,c,d", Mode::Normal);
        // `;` after `t` moves on past the match next to the cursor.
        check("a,b,c,d", "⎋0t,;", "a,|b,c,d", Mode::Normal);
        check("a,b,c,d", "⎋$T,;", "a,b,|c,d", Mode::Normal);
        // Only this line; no match: no move.
        check("ab\nc,d", "⎋ggf,", "|ab\nc,d", Mode::Normal);
        check("abc", "⎋0fz", "|abc", Mode::Normal);
        check("abc", "⎋0;", "|abc", Mode::Normal);
    }

    #[test]
    fn operators_take_finds() {
        check("one(two) three", "⎋0df(", "|two) three", Mode::Normal);
        check("one(two) three", "⎋0dt(", "|(two) three", Mode::Normal);
        check("one(two) three", "⎋$dF(", "one|e", Mode::Normal);
        check("one(two) three", "⎋$dT(", "one(|e", Mode::Normal);
        check("a.b.c", "⎋0d2f.", "|c", Mode::Normal);
        check("a.b.c", "⎋0ct.X", "X|.b.c", Mode::Insert);
        check("a.b.c", "⎋0yf.P", "a|.a.b.c", Mode::Normal);
        // Not found: nothing changes.
        check("abc", "⎋0dfz", "|abc", Mode::Normal);
    }

    #[test]
    fn word_text_objects() {
        check("one two three", "⎋0wldiw", "one | three", Mode::Normal);
        check("one two three", "⎋0wldaw", "one |three", Mode::Normal);
        check("one two three", "⎋$daw", "one tw|o", Mode::Normal);
        check("one two three", "⎋0wciwX", "one X| three", Mode::Insert);
        check("foo.bar baz", "⎋0diw", "|.bar baz", Mode::Normal);
        check("foo.bar baz", "⎋0diW", "| baz", Mode::Normal);
        check("foo.bar baz", "⎋0daW", "|baz", Mode::Normal);
        // On blanks: `iw` is the blanks, `aw` the blanks and the next word.
        check("a   b c", "⎋0ldiw", "a|b c", Mode::Normal);
        check("a   b c", "⎋0ldaw", "a| c", Mode::Normal);
        check("one two", "⎋0yiwP", "on|eone two", Mode::Normal);
    }

    #[test]
    fn quote_and_bracket_text_objects() {
        check(
            "say \"hi there\" now",
            "⎋0fhdi\"",
            "say \"|\" now",
            Mode::Normal,
        );
        check("say \"hi there\" now", "⎋0fhda\"", "say |now", Mode::Normal);
        // Before the first quote: the next quoted text on the line.
        check("say \"hi\" now", "⎋0ci\"X", "say \"X|\" now", Mode::Insert);
        check("a 'x\\'y' b", "⎋0fxdi'", "a '|' b", Mode::Normal);
        check("f(a, (b), c)", "⎋0fadi(", "f(|)", Mode::Normal);
        check("f(a, (b), c)", "⎋0fbdi(", "f(a, (|), c)", Mode::Normal);
        check("f(a, (b), c)", "⎋0fbda)", "f(a, |, c)", Mode::Normal);
        check("f(a, (b), c)", "⎋0f(dib", "f(|)", Mode::Normal);
        check("f(a, (b), c)", "⎋$di(", "f(|)", Mode::Normal);
        check("x = [1, 2]", "⎋0f1ci[9", "x = [9|]", Mode::Insert);
        check("fn x() {\n    body\n}", "⎋kdiB", "fn x() {|}", Mode::Normal);
        check("<a>", "⎋0fadi<", "<|>", Mode::Normal);
        // An empty pair: `c` still enters Insert mode between them.
        check("f()", "⎋0f(ci(X", "f(X|)", Mode::Insert);
        // No pair around the cursor: nothing happens.
        check("abc", "⎋0di(", "|abc", Mode::Normal);
        check("abc", "⎋0di\"", "|abc", Mode::Normal);
    }

    #[test]
    fn dot_repeats_the_last_change() {
        check("one two three four", "⎋0dw.", "|three four", Mode::Normal);
        check("abcdef", "⎋0x..", "|def", Mode::Normal);
        check("abcdef", "⎋02x.", "|ef", Mode::Normal);
        check("abcdef", "⎋0x3.", "|ef", Mode::Normal);
        check("a,b,c,d", "⎋0dt,l.", ",|,c,d", Mode::Normal);
        // With what was typed in Insert mode, Backspace included.
        check("one two", "⎋0ciwXY⎋w.", "XY X|Y", Mode::Normal);
        check("a\nb", "⎋ggAxz⌫⎋j.", "ax\nb|x", Mode::Normal);
        check("ab", "⎋0iX⎋l.", "X|Xab", Mode::Normal);
        // Moves and yanks are not changes; nothing to repeat yet is a no-op.
        check("abc", "⎋0x$.", "|b", Mode::Normal);
        check("abc", "⎋0ywl.", "a|bc", Mode::Normal);
        // One `u` takes back a whole `.`.
        check("one two three", "⎋0ciwX⎋w.u", "X |two three", Mode::Normal);
    }

    #[test]
    fn ctrl_r_redoes_what_u_took_back() {
        let mut composer = Composer::default();
        composer.set_text("one two three");
        composer.set_cursor(0);
        let mut vim = Vim {
            mode: Mode::Normal,
            ..Vim::default()
        };
        let mut press = |code, modifiers| {
            let outcome = vim.on_key(KeyEvent::new(code, modifiers), &mut composer);
            (outcome, composer.text().to_owned())
        };
        let ctrl_r = (KeyCode::Char('r'), KeyModifiers::CONTROL);
        let plain = |ch| (KeyCode::Char(ch), KeyModifiers::NONE);
        let steps = [
            plain('d'),
            plain('w'),
            plain('d'),
            plain('w'),
            plain('u'),
            plain('u'),
            ctrl_r,
            ctrl_r,
            // Nothing left to redo.
            ctrl_r,
            plain('u'),
            // A new change forgets what could be redone.
            plain('x'),
            ctrl_r,
        ];
        let texts: Vec<String> = steps
            .into_iter()
            .map(|(code, modifiers)| press(code, modifiers).1)
            .collect();
        assert_eq!(
            texts,
            [
                "one two three",
                "two three",
                "two three",
                "three",
                "two three",
                "one two three",
                "two three",
                "three",
                "three",
                "two three",
                "wo three",
                "wo three",
            ]
        );
        // In Insert mode Ctrl+R stays the app's (reverse search).
        vim.mode = Mode::Insert;
        assert_eq!(
            vim.on_key(
                KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL),
                &mut composer
            ),
            Outcome::Passed
        );
    }

    proptest::proptest! {
        /// Any keys on any text (multi-byte characters, blank lines,
        /// brackets and quotes included): no panic, and the cursor always
        /// on a character boundary of the text.
        #[test]
        fn any_keys_keep_the_cursor_on_a_character_boundary(
            start in "[a b(\")'{}.é\n\t😀]{0,12}",
            keys in proptest::collection::vec(
                proptest::sample::select(vec![
                    "⎋", "h", "l", "j", "k", "w", "b", "e", "W", "B", "E", "0", "^", "$",
                    "gg", "G", "x", "X", "D", "C", "s", "S", "Y", "rZ", "p", "P", "u", ".",
                    "i", "a", "I", "A", "o", "O", "dd", "cc", "yy", "dw", "cw", "d$", "2",
                    "3", "fa", "F(", "t)", "T\"", ";", ",", "diw", "caw", "di(", "da\"",
                    "ci{", "yi'", "dt.", "é", "😀", "\u{12}", " ", "⌫",
                ]),
                0..24,
            ),
        ) {
            let mut composer = Composer::default();
            composer.set_text(&start);
            let mut vim = Vim::default();
            for key in keys {
                for ch in key.chars() {
                    vim.feed(key_for(ch), &mut composer);
                    proptest::prop_assert!(composer.text().is_char_boundary(composer.cursor()));
                }
            }
        }
    }

    #[test]
    fn esc_cancels_a_half_typed_command() {
        let mut composer = Composer::default();
        composer.set_text("one two");
        let mut vim = Vim {
            mode: Mode::Normal,
            ..Vim::default()
        };
        composer.set_cursor(0);
        let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
        assert_eq!(
            vim.on_key(key(KeyCode::Char('d')), &mut composer),
            Outcome::Taken
        );
        assert_eq!(vim.on_key(key(KeyCode::Esc), &mut composer), Outcome::Taken);
        assert_eq!(
            vim.on_key(key(KeyCode::Char('w')), &mut composer),
            Outcome::Taken
        );
        assert_eq!((composer.text(), composer.cursor()), ("one two", 4));
        // With nothing pending, Esc is the app's.
        assert_eq!(
            vim.on_key(key(KeyCode::Esc), &mut composer),
            Outcome::Passed
        );
    }
}
