//! A finished cell's Markdown, parsed once and kept, so drawing the cell
//! again at another width (a resize, the alternate screen, the Ctrl+T
//! transcript) only wraps it.
//!
//! It is a cache, not part of the cell's value: it compares equal to any
//! other and prints as nothing. It is only valid for the text it was filled
//! from, which holds because a finished cell's text never changes. Once
//! forgotten (the cell is older than what a resize redraws) it keeps
//! nothing again, so an alt-screen redraw of the whole transcript does not
//! fill it back.

use super::markdown::Markdown;
use crate::theme::Theme;
use std::borrow::Cow;
use std::sync::OnceLock;

#[derive(Clone)]
pub struct MarkdownMemo {
    kept: OnceLock<(Theme, Markdown)>,
    /// Whether to keep a parse (false once forgotten).
    keep: bool,
}

impl Default for MarkdownMemo {
    fn default() -> MarkdownMemo {
        MarkdownMemo {
            kept: OnceLock::new(),
            keep: true,
        }
    }
}

impl MarkdownMemo {
    /// A memo that keeps nothing: every `get` parses.
    pub fn forgotten() -> MarkdownMemo {
        MarkdownMemo {
            kept: OnceLock::new(),
            keep: false,
        }
    }

    /// `text` parsed with `theme`: kept from the first call, or parsed
    /// afresh when the theme differs from the kept one (no run changes its
    /// theme, so that is only a safeguard) or the memo was forgotten.
    pub fn get(&self, text: &str, theme: Theme) -> Cow<'_, Markdown> {
        if !self.keep {
            return Cow::Owned(Markdown::parse(text, theme));
        }
        let (kept_theme, markdown) = self
            .kept
            .get_or_init(|| (theme, Markdown::parse(text, theme)));
        if *kept_theme == theme {
            Cow::Borrowed(markdown)
        } else {
            Cow::Owned(Markdown::parse(text, theme))
        }
    }

    /// Whether a parse is kept.
    #[cfg(test)]
    pub fn is_kept(&self) -> bool {
        self.kept.get().is_some()
    }
}

impl PartialEq for MarkdownMemo {
    fn eq(&self, _other: &MarkdownMemo) -> bool {
        true
    }
}

impl std::fmt::Debug for MarkdownMemo {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("MarkdownMemo")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn the_first_parse_is_kept_for_its_theme_only() {
        let memo = MarkdownMemo::default();
        let text = "**bold** and `code`";
        let colour = Theme::new(true);
        let plain = Theme::new(false);
        assert_eq!(*memo.get(text, colour), Markdown::parse(text, colour));
        assert!(matches!(memo.get(text, colour), Cow::Borrowed(_)));
        assert_eq!(
            memo.get(text, plain),
            Cow::<Markdown>::Owned(Markdown::parse(text, plain))
        );
    }
}
