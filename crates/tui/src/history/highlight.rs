//! Syntax highlighting of code blocks with syntect, mapped onto the 16 ANSI
//! palette colours so the result follows the terminal's theme (light or
//! dark). The syntax and theme sets load lazily on the first code block, so
//! start-up does not pay for them.
//!
//! The mapping takes the hue of each token's colour in a base16 theme (base16-eighties,
//! whose accents are the ANSI hues) and picks the ANSI colour of that
//! hue; greys become the default colour, dim for the darker ones (comments).

use crate::theme::Theme;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use std::sync::OnceLock;
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, Theme as SyntectTheme, ThemeSet};
use syntect::parsing::SyntaxSet;

/// Highlighted lines of `code` (no trailing newline per line) in language
/// `lang` (a fence info string such as `rust` or `py`); plain lines when the
/// language is unknown or colour is off.
pub fn highlight(code: &str, lang: &str, theme: Theme) -> Vec<Line<'static>> {
    let plain = || {
        code.lines()
            .map(|line| Line::from(line.to_owned()))
            .collect()
    };
    if !theme.color_enabled() || lang.is_empty() {
        return plain();
    }
    let (syntaxes, syntect_theme) = assets();
    let Some(syntax) = syntaxes
        .find_syntax_by_token(lang)
        .or_else(|| syntaxes.find_syntax_by_extension(lang))
    else {
        return plain();
    };
    let mut highlighter = HighlightLines::new(syntax, syntect_theme);
    let mut lines = Vec::new();
    for line in code.lines() {
        // syntect wants the newline to keep its state machine right.
        let with_newline = format!("{line}\n");
        let Ok(regions) = highlighter.highlight_line(&with_newline, syntaxes) else {
            return plain();
        };
        let spans: Vec<Span<'static>> = regions
            .into_iter()
            .map(|(style, text)| {
                Span::styled(text.trim_end_matches('\n').to_owned(), ansi_style(style))
            })
            .filter(|span| !span.content.is_empty())
            .collect();
        lines.push(Line::from(spans));
    }
    lines
}

fn assets() -> &'static (SyntaxSet, SyntectTheme) {
    static ASSETS: OnceLock<(SyntaxSet, SyntectTheme)> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let syntaxes = SyntaxSet::load_defaults_newlines();
        let mut themes = ThemeSet::load_defaults();
        let theme = themes
            .themes
            .remove("base16-eighties.dark")
            .unwrap_or_default();
        (syntaxes, theme)
    })
}

fn ansi_style(style: syntect::highlighting::Style) -> Style {
    let fg = style.foreground;
    let mut out = match ansi_color(fg.r, fg.g, fg.b) {
        Some(color) => Style::new().fg(color),
        None if luminance(fg.r, fg.g, fg.b) < 0.5 => Style::new().add_modifier(Modifier::DIM),
        None => Style::new(),
    };
    if style.font_style.contains(FontStyle::BOLD) {
        out = out.add_modifier(Modifier::BOLD);
    }
    if style.font_style.contains(FontStyle::ITALIC) {
        out = out.add_modifier(Modifier::ITALIC);
    }
    out
}

/// The ANSI colour of this RGB colour's hue; `None` for greys.
pub fn ansi_color(r: u8, g: u8, b: u8) -> Option<Color> {
    let (r, g, b) = (
        f32::from(r) / 255.0,
        f32::from(g) / 255.0,
        f32::from(b) / 255.0,
    );
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let chroma = max - min;
    if max == 0.0 || chroma / max < 0.2 {
        return None;
    }
    let hue = if max == r {
        60.0 * ((g - b) / chroma).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / chroma + 2.0)
    } else {
        60.0 * ((r - g) / chroma + 4.0)
    };
    Some(match hue {
        h if !(15.0..345.0).contains(&h) => Color::Red,
        h if h < 70.0 => Color::Yellow,
        h if h < 165.0 => Color::Green,
        h if h < 200.0 => Color::Cyan,
        h if h < 260.0 => Color::Blue,
        _ => Color::Magenta,
    })
}

fn luminance(r: u8, g: u8, b: u8) -> f32 {
    (0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b)) / 255.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn base16_accents_map_to_their_ansi_hues() {
        // base16-eighties' accents, in base08..base0E order, then two greys.
        let got: Vec<Option<Color>> = [
            (0xf2, 0x77, 0x7a),
            (0xf9, 0x91, 0x57),
            (0xff, 0xcc, 0x66),
            (0x99, 0xcc, 0x99),
            (0x66, 0xcc, 0xcc),
            (0x66, 0x99, 0xcc),
            (0xcc, 0x99, 0xcc),
            (0x74, 0x73, 0x69),
            (0xd3, 0xd0, 0xc8),
        ]
        .into_iter()
        .map(|(r, g, b)| ansi_color(r, g, b))
        .collect();
        assert_eq!(
            got,
            [
                Some(Color::Red),
                Some(Color::Yellow),
                Some(Color::Yellow),
                Some(Color::Green),
                Some(Color::Cyan),
                Some(Color::Blue),
                Some(Color::Magenta),
                None,
                None
            ]
        );
    }

    #[test]
    fn rust_is_highlighted_with_palette_colours_only() {
        let lines = highlight("fn main() {\n    let x = 1;\n}", "rust", Theme::new(true));
        let texts: Vec<String> = lines.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["fn main() {", "    let x = 1;", "}"]);
        let colors: Vec<Color> = lines
            .iter()
            .flat_map(|line| &line.spans)
            .filter_map(|span| span.style.fg)
            .collect();
        assert!(!colors.is_empty(), "nothing highlighted: {lines:?}");
        assert!(
            colors
                .iter()
                .all(|color| !matches!(color, Color::Rgb(..) | Color::Indexed(_))),
            "{colors:?}"
        );
    }

    #[test]
    fn unknown_languages_and_no_color_are_plain() {
        let plain = vec![Line::from("a b")];
        assert_eq!(
            highlight("a b", "no-such-language", Theme::new(true)),
            plain
        );
        assert_eq!(highlight("a b", "rust", Theme::new(false)), plain);
    }
}
