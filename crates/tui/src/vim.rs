//! Vim mode for the composer (`tui.vim = true`, `/vim`): Normal and Insert
//! modes over the same [`Composer`], with the motions and edits people
//! reach for first: `h j k l w b 0 $`, `x`, `dd`, `i a I A o`, Esc to
//! Normal. Only this: no counts, registers, visual mode or text objects.
//!
//! It sees a key before the app does and says whether it took it; keys it
//! does not take (Enter, Ctrl+…, anything in Insert mode but Esc) go on to
//! the usual bindings.

use crate::composer::Composer;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vim {
    pub mode: Mode,
    /// The first `d` of `dd`.
    pending_delete: bool,
}

impl Vim {
    pub fn on_key(&mut self, key: KeyEvent, composer: &mut Composer) -> Outcome {
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            self.pending_delete = false;
            return Outcome::Passed;
        }
        match self.mode {
            Mode::Insert => {
                if key.code == KeyCode::Esc {
                    self.mode = Mode::Normal;
                    composer.left_in_line();
                    return Outcome::Taken;
                }
                Outcome::Passed
            }
            Mode::Normal => self.normal(key.code, composer),
        }
    }

    fn normal(&mut self, code: KeyCode, composer: &mut Composer) -> Outcome {
        let KeyCode::Char(ch) = code else {
            self.pending_delete = false;
            // Arrows, Enter, Esc, Backspace keep their usual meaning.
            return Outcome::Passed;
        };
        if std::mem::take(&mut self.pending_delete) {
            if ch == 'd' {
                composer.delete_line();
            }
            return Outcome::Taken;
        }
        match ch {
            'h' => composer.left_in_line(),
            'l' => composer.right_in_line(),
            'j' if composer.on_last_line() => return Outcome::HistoryNext,
            'k' if composer.on_first_line() => return Outcome::HistoryPrev,
            'j' => composer.down(),
            'k' => composer.up(),
            'w' => {
                // To the start of the next word, as vim does.
                let rest = &composer.text()[composer.cursor()..];
                let word = rest.find(char::is_whitespace).unwrap_or(rest.len());
                let space = rest[word..]
                    .find(|ch: char| !ch.is_whitespace())
                    .unwrap_or(rest.len() - word);
                composer.set_cursor(composer.cursor() + word + space);
            }
            'b' => composer.word_left(),
            '0' => composer.line_start(),
            '$' => composer.line_end(),
            'x' => composer.delete_in_line(),
            'd' => self.pending_delete = true,
            'i' => self.mode = Mode::Insert,
            'a' => {
                composer.right_in_line();
                self.mode = Mode::Insert;
            }
            'I' => {
                composer.line_start();
                self.mode = Mode::Insert;
            }
            'A' => {
                composer.line_end();
                self.mode = Mode::Insert;
            }
            'o' => {
                composer.line_end();
                composer.insert("\n");
                self.mode = Mode::Insert;
            }
            // Other letters do nothing in Normal mode rather than type.
            _ => {}
        }
        Outcome::Taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    /// Keys (a string of chars, `⎋` for Esc) from Insert mode on `start`
    /// with the cursor at its end; the text, with `|` at the cursor, and the mode.
    fn check(start: &str, keys: &str, expected: &str, mode: Mode) {
        let mut composer = Composer::default();
        composer.set_text(start);
        let mut vim = Vim::default();
        for ch in keys.chars() {
            let code = if ch == '⎋' {
                KeyCode::Esc
            } else {
                KeyCode::Char(ch)
            };
            if vim.on_key(KeyEvent::new(code, KeyModifiers::NONE), &mut composer) == Outcome::Passed
                && let KeyCode::Char(ch) = code
            {
                composer.insert(ch.encode_utf8(&mut [0; 4]));
            }
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
        check("one two\nthree", "⎋k$", "one two|\nthree", Mode::Normal);
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
            pending_delete: false,
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
}
