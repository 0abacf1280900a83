//! The few styles the TUI uses, built only from the 16 ANSI palette colours
//! (never RGB or the 256-colour cube), so the terminal's own theme decides
//! how they look on a light or a dark background. With `NO_COLOR` set, every
//! colour is dropped and only modifiers (bold, dim, italic, underline) stay.

use ratatui::style::{Color, Modifier, Style};

/// Whether to colour, and the styles derived from it. Cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    color: bool,
}

impl Theme {
    pub fn new(color: bool) -> Theme {
        Theme { color }
    }

    /// Colour unless `no_color` (the value of `NO_COLOR`) is set and not empty,
    /// as <https://no-color.org> asks.
    pub fn from_no_color(no_color: Option<&str>) -> Theme {
        Theme::new(no_color.is_none_or(str::is_empty))
    }

    pub fn color_enabled(self) -> bool {
        self.color
    }

    /// `style` with foreground `color`, or `style` alone without colour.
    pub fn fg(self, style: Style, color: Color) -> Style {
        if self.color { style.fg(color) } else { style }
    }

    pub fn plain(self) -> Style {
        Style::new()
    }

    pub fn dim(self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    pub fn bold(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The `›` of a user prompt, and other accents.
    pub fn accent(self) -> Style {
        self.fg(self.bold(), Color::Cyan)
    }

    pub fn success(self) -> Style {
        self.fg(Style::new(), Color::Green)
    }

    pub fn failure(self) -> Style {
        self.fg(self.bold(), Color::Red)
    }

    pub fn warning(self) -> Style {
        self.fg(Style::new(), Color::Yellow)
    }

    /// Inline code in Markdown.
    pub fn code(self) -> Style {
        self.fg(Style::new(), Color::Cyan)
    }

    pub fn link(self) -> Style {
        self.fg(Style::new().add_modifier(Modifier::UNDERLINED), Color::Blue)
    }

    pub fn diff_added(self) -> Style {
        self.fg(Style::new(), Color::Green)
    }

    pub fn diff_removed(self) -> Style {
        self.fg(Style::new(), Color::Red)
    }

    pub fn diff_hunk(self) -> Style {
        self.fg(self.dim(), Color::Cyan)
    }

    /// A highlighted row in a popup or a selected option.
    pub fn selected(self) -> Style {
        self.fg(self.bold(), Color::Cyan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn no_color_drops_colours_but_keeps_modifiers() {
        let colored = Theme::from_no_color(None);
        let plain = Theme::from_no_color(Some("1"));
        assert_eq!(
            (
                colored.failure(),
                plain.failure(),
                Theme::from_no_color(Some(""))
            ),
            (
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                Style::new().add_modifier(Modifier::BOLD),
                colored
            )
        );
    }
}
