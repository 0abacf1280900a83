//! Splitting a command line into words the way `sh` would for plain quoted
//! text (used for `match` examples written as strings), and quoting words
//! back for display. No expansions: that is `shell.rs`'s business.

/// Split `text` into words: whitespace separates, `'…'` is literal, `"…"`
/// honours `\"`, `\\`, `\$` and `` \` ``, a bare `\` escapes the next
/// character. `None` when a quote is not closed.
pub fn split(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\' | '$' | '`') => word.push(c),
                            '\n' => {}
                            c => {
                                word.push('\\');
                                word.push(c);
                            }
                        },
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') | None => {}
                    Some(c) => word.push(c),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

/// Words joined with spaces, each quoted for `sh` when it needs it.
pub fn join(words: &[String]) -> String {
    words
        .iter()
        .map(|word| quote(word))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn splits_like_sh() {
        assert_eq!(
            split(r#"gh pr  list --state 'open now' "a\"b" c\ d"#).unwrap(),
            ["gh", "pr", "list", "--state", "open now", "a\"b", "c d"]
        );
        assert_eq!(split("''"), Some(vec![String::new()]));
        assert_eq!(split("echo 'oops"), None);
    }

    #[test]
    fn quotes_only_what_needs_it() {
        let words: Vec<String> = ["git", "commit", "-m", "it's done", ""]
            .map(String::from)
            .to_vec();
        assert_eq!(join(&words), r"git commit -m 'it'\''s done' ''");
    }
}
