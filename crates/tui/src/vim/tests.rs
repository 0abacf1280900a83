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
