//! Markdown (CommonMark + strikethrough + tables as text) to styled,
//! wrapped terminal lines, via pulldown-cmark.
//!
//! Headings are bold (level 1 also underlined), emphasis italic, inline code
//! coloured without its backticks, links underlined with the address after
//! them, lists as `•`/`1.` with hanging indents, quotes behind a bar, fenced
//! code highlighted without its fences and never wrapped (it is cut into
//! width-sized pieces instead, so copying it keeps each line whole as far as
//! the terminal allows). Blocks at the top level are separated by a blank
//! line; inside lists they are not, which keeps agent answers compact.
//!
//! Rendering is two steps: [`Markdown::parse`] does everything that does
//! not depend on the width (parsing, styling, syntax highlighting) and
//! [`Markdown::lines`] only wraps, so a resize re-wraps a kept `Markdown`
//! without parsing or highlighting again.
//!
//! It renders a whole text; streaming is the caller's concern (see
//! `history/stream.rs`).

use super::highlight::highlight;
use crate::theme::Theme;
use crate::wrap::wrap_runs;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// A Markdown text parsed and styled, not yet wrapped: a sequence of
/// blocks that [`Markdown::lines`] lays out at a width.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Markdown {
    blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
enum Block {
    /// A line that is the same at any width (a blank separator, or the
    /// prefixes of one inside a quote).
    Fixed(Line<'static>),
    /// Inline text, word-wrapped behind the prefixes of its containers.
    Wrapped {
        text: Runs,
        first: Vec<Span<'static>>,
        rest: Vec<Span<'static>>,
    },
    /// Highlighted code lines (at least one), each cut into pieces that fit
    /// beside the continuation prefix.
    Code {
        lines: Vec<Runs>,
        first: Vec<Span<'static>>,
        rest: Vec<Span<'static>>,
    },
    /// A thematic break: a rule of up to 40 columns in this style.
    Rule(Style),
}

/// Styled text kept compact: the text once and where each styled span
/// ends, instead of a `String` per span (a highlighted line of code has
/// dozens of tokens, and every kept answer holds its parse).
#[derive(Debug, Clone, PartialEq)]
struct Runs {
    text: String,
    /// (end byte offset in `text`, style), one per span.
    runs: Vec<(u32, Style)>,
}

impl Runs {
    fn new(spans: &[Span<'_>]) -> Runs {
        let mut text = String::new();
        let mut runs = Vec::with_capacity(spans.len());
        for span in spans {
            text.push_str(&span.content);
            runs.push((u32::try_from(text.len()).unwrap_or(u32::MAX), span.style));
        }
        text.shrink_to_fit();
        Runs { text, runs }
    }

    /// The spans as (text, style), as they were given.
    fn spans(&self) -> impl Iterator<Item = (&str, Style)> {
        let mut start = 0;
        self.runs.iter().map(move |&(end, style)| {
            let end = usize::try_from(end)
                .unwrap_or(usize::MAX)
                .min(self.text.len());
            let text = self.text.get(start..end).unwrap_or_default();
            start = end;
            (text, style)
        })
    }
}

impl Markdown {
    /// Parse and style `text`; the slow part of rendering (pulldown-cmark
    /// and syntect), done once per text.
    pub fn parse(text: &str, theme: Theme) -> Markdown {
        let mut writer = Writer {
            theme,
            blocks: Vec::new(),
            inline: Vec::new(),
            styles: vec![Style::new()],
            containers: Vec::new(),
            link: None,
            code: None,
            just_opened: false,
        };
        let options =
            Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS;
        for event in Parser::new_ext(text, options) {
            writer.event(event);
        }
        writer.flush_inline();
        Markdown {
            blocks: writer.blocks,
        }
    }

    /// The lines at `width` columns (at least 4).
    pub fn lines(&self, width: usize) -> Vec<Line<'static>> {
        let width = width.max(4);
        let mut lines = Vec::new();
        for block in &self.blocks {
            match block {
                Block::Fixed(line) => lines.push(line.clone()),
                Block::Wrapped { text, first, rest } => {
                    lines.extend(wrap_runs(text.spans(), width, first, rest));
                }
                Block::Code {
                    lines: code,
                    first,
                    rest,
                } => {
                    let prefix_width: usize = rest.iter().map(Span::width).sum();
                    let room = width.saturating_sub(prefix_width).max(1);
                    for (idx, line) in code.iter().enumerate() {
                        let prefix = if idx == 0 { first } else { rest };
                        for piece in cut(line.spans(), room) {
                            let mut spans = prefix.clone();
                            spans.extend(piece.spans);
                            lines.push(Line::from(spans));
                        }
                    }
                }
                Block::Rule(style) => {
                    lines.push(Line::from(Span::styled("─".repeat(width.min(40)), *style)));
                }
            }
        }
        lines
    }
}

enum Container {
    Quote,
    /// A list; `next` is the next number of an ordered one.
    List {
        next: Option<u64>,
    },
    /// A list item: the marker is printed on its first line only.
    Item {
        marker: String,
        marker_shown: bool,
    },
}

struct CodeBlock {
    lang: String,
    text: String,
}

struct Writer {
    theme: Theme,
    blocks: Vec<Block>,
    /// The inline content of the block being built.
    inline: Vec<Span<'static>>,
    /// Inline styles, innermost last.
    styles: Vec<Style>,
    containers: Vec<Container>,
    /// The target of the link being built.
    link: Option<String>,
    code: Option<CodeBlock>,
    /// A quote just started: its first block needs no blank line before it.
    just_opened: bool,
}

impl Writer {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => match &mut self.code {
                Some(code) => code.text.push_str(&text),
                None => self.push_text(&text, self.style()),
            },
            Event::Code(code) => self.push_text(&code, self.style().patch(self.theme.code())),
            Event::SoftBreak => self.push_text(" ", self.style()),
            Event::HardBreak => self.push_text("\n", self.style()),
            Event::Rule => {
                self.block_start();
                self.blocks.push(Block::Rule(self.theme.dim()));
            }
            Event::TaskListMarker(done) => {
                self.push_text(if done { "[x] " } else { "[ ] " }, self.style());
            }
            Event::Html(html) | Event::InlineHtml(html) => self.push_text(&html, self.style()),
            Event::InlineMath(math) | Event::DisplayMath(math) => {
                self.push_text(&math, self.style())
            }
            Event::FootnoteReference(name) => self.push_text(&format!("[{name}]"), self.style()),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => self.block_start(),
            Tag::Heading { level, .. } => {
                self.block_start();
                let mut style = self.theme.bold();
                if level == HeadingLevel::H1 {
                    style = style.add_modifier(Modifier::UNDERLINED);
                }
                self.styles.push(style);
            }
            Tag::BlockQuote(_) => {
                self.block_start();
                self.containers.push(Container::Quote);
                self.just_opened = true;
            }
            Tag::CodeBlock(kind) => {
                self.block_start();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split([' ', ',']).next().unwrap_or_default().to_owned()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some(CodeBlock {
                    lang,
                    text: String::new(),
                });
            }
            Tag::List(start) => {
                self.flush_inline();
                if !self.in_list() {
                    self.block_start();
                }
                self.containers.push(Container::List { next: start });
            }
            Tag::Item => {
                self.flush_inline();
                let depth = self.list_depth();
                let marker = match self.containers.last_mut() {
                    Some(Container::List { next: Some(n) }) => {
                        let marker = format!("{n}. ");
                        *n += 1;
                        marker
                    }
                    _ if depth > 1 => "◦ ".to_owned(),
                    _ => "• ".to_owned(),
                };
                self.containers.push(Container::Item {
                    marker,
                    marker_shown: false,
                });
            }
            Tag::Emphasis => self.push_style(Style::new().add_modifier(Modifier::ITALIC)),
            Tag::Strong => self.push_style(Style::new().add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self.push_style(Style::new().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } => {
                self.link = Some(dest_url.into_string());
                self.push_style(self.theme.link());
            }
            Tag::Image { dest_url, .. } => {
                self.push_text(&format!("[image: {dest_url}] "), self.style())
            }
            Tag::TableRow | Tag::TableHead => self.flush_inline(),
            Tag::TableCell => self.push_text("│ ", self.theme.dim()),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::TableRow | TagEnd::TableHead => self.flush_inline(),
            TagEnd::Heading(_) => {
                self.flush_inline();
                self.styles.pop();
            }
            TagEnd::BlockQuote(_) => {
                self.flush_inline();
                self.containers.pop();
            }
            TagEnd::CodeBlock => {
                if let Some(code) = self.code.take() {
                    self.code_block(&code);
                }
            }
            TagEnd::List(_) | TagEnd::Item => {
                self.flush_inline();
                self.containers.pop();
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::Link => {
                self.styles.pop();
                if let Some(url) = self.link.take() {
                    let text: String = self.inline.iter().map(|s| s.content.as_ref()).collect();
                    if !text.ends_with(url.as_str()) && !url.starts_with('#') {
                        self.push_text(&format!(" ({url})"), self.theme.dim());
                    }
                }
            }
            _ => {}
        }
    }

    fn style(&self) -> Style {
        self.styles.last().copied().unwrap_or_default()
    }

    fn push_style(&mut self, style: Style) {
        self.styles.push(self.style().patch(style));
    }

    fn push_text(&mut self, text: &str, style: Style) {
        self.inline.push(Span::styled(text.to_owned(), style));
    }

    fn in_list(&self) -> bool {
        self.list_depth() > 0
    }

    fn list_depth(&self) -> usize {
        self.containers
            .iter()
            .filter(|c| matches!(c, Container::List { .. }))
            .count()
    }

    /// A blank line before a top-level block that follows another one.
    fn block_start(&mut self) {
        self.flush_inline();
        // No lines yet exactly when no blocks yet: every block gives at
        // least one line.
        if std::mem::take(&mut self.just_opened) || self.blocks.is_empty() || self.in_list() {
            return;
        }
        let (_, rest) = self.prefixes();
        self.blocks.push(Block::Fixed(trimmed(Line::from(rest))));
    }

    /// The prefixes for the next line: (first line, continuation lines).
    /// Taking the first marks the item markers as shown.
    fn prefixes(&mut self) -> (Vec<Span<'static>>, Vec<Span<'static>>) {
        let (mut first, mut rest) = (Vec::new(), Vec::new());
        let bar = Span::styled("│ ", self.theme.dim());
        for container in &mut self.containers {
            match container {
                Container::Quote => {
                    first.push(bar.clone());
                    rest.push(bar.clone());
                }
                Container::List { .. } => {}
                Container::Item {
                    marker,
                    marker_shown,
                } => {
                    let indent = " ".repeat(marker.chars().count());
                    if *marker_shown {
                        first.push(Span::raw(indent.clone()));
                    } else {
                        first.push(Span::styled(marker.clone(), self.theme.dim()));
                        *marker_shown = true;
                    }
                    rest.push(Span::raw(indent));
                }
            }
        }
        (first, rest)
    }

    fn flush_inline(&mut self) {
        if self.inline.is_empty() {
            return;
        }
        let spans = std::mem::take(&mut self.inline);
        let (first, rest) = self.prefixes();
        let quote = self
            .containers
            .iter()
            .any(|c| matches!(c, Container::Quote));
        let spans: Vec<Span<'static>> = if quote {
            spans
                .into_iter()
                .map(|s| Span::styled(s.content, s.style.patch(self.theme.dim())))
                .collect()
        } else {
            spans
        };
        self.blocks.push(Block::Wrapped {
            text: Runs::new(&spans),
            first,
            rest,
        });
    }

    fn code_block(&mut self, code: &CodeBlock) {
        let (first, rest) = self.prefixes();
        let lines: Vec<Runs> = highlight(code.text.trim_end_matches('\n'), &code.lang, self.theme)
            .iter()
            .map(|line| Runs::new(&line.spans))
            .collect();
        // An empty block gives no lines, so it is no block.
        if !lines.is_empty() {
            self.blocks.push(Block::Code { lines, first, rest });
        }
    }
}

/// Cut a line into pieces of at most `width` columns (code is not word-wrapped).
fn cut<'a>(spans: impl Iterator<Item = (&'a str, Style)>, width: usize) -> Vec<Line<'static>> {
    let mut out = vec![Vec::new()];
    let mut used = 0;
    for (content, style) in spans {
        let mut text = String::new();
        for ch in content.chars() {
            let w = ch.width().unwrap_or(0);
            if used + w > width {
                if let Some(current) = out.last_mut() {
                    current.push(Span::styled(std::mem::take(&mut text), style));
                }
                out.push(Vec::new());
                used = 0;
            }
            used += w;
            text.push(ch);
        }
        if let Some(current) = out.last_mut() {
            current.push(Span::styled(text, style));
        }
    }
    out.into_iter().map(Line::from).collect()
}

fn trimmed(line: Line<'static>) -> Line<'static> {
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    if text.trim().is_empty() {
        Line::default()
    } else {
        Line::from(text.trim_end().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrap::lines_text;
    use pretty_assertions::assert_eq;

    fn check(markdown: &str, width: usize, expected: &[&str]) {
        let lines = Markdown::parse(markdown, Theme::new(false)).lines(width);
        assert_eq!(lines_text(&lines), expected);
    }

    #[test]
    fn paragraphs_and_headings_are_separated_by_blank_lines() {
        check(
            "# Title\n\nSome *text* with `code` here.\n\nSecond paragraph.",
            40,
            &[
                "Title",
                "",
                "Some text with code here.",
                "",
                "Second paragraph.",
            ],
        );
    }

    #[test]
    fn lists_hang_their_continuation_lines() {
        check(
            "Steps:\n\n1. first step is long enough to wrap\n2. second\n   - nested item\n- after",
            24,
            &[
                "Steps:",
                "",
                "1. first step is long",
                "   enough to wrap",
                "2. second",
                "   ◦ nested item",
                "",
                "• after",
            ],
        );
    }

    #[test]
    fn code_blocks_lose_their_fences_and_are_cut_not_wrapped() {
        check(
            "Run:\n\n```sh\ncargo test --workspace --all-targets\n```\nDone.",
            20,
            &[
                "Run:",
                "",
                "cargo test --workspa",
                "ce --all-targets",
                "",
                "Done.",
            ],
        );
    }

    #[test]
    fn links_show_their_address_and_quotes_a_bar() {
        check(
            "See [the docs](https://example.com/d) or <https://x.y>.\n\n> quoted\n> text",
            60,
            &[
                "See the docs (https://example.com/d) or https://x.y.",
                "",
                "│ quoted text",
            ],
        );
    }

    #[test]
    fn styles_are_palette_only_and_inline_code_is_coloured() {
        let lines = Markdown::parse("**bold** `code` [l](u)", Theme::new(true)).lines(40);
        let styles: Vec<(String, Style)> = lines[0]
            .spans
            .iter()
            .map(|s| (s.content.to_string(), s.style))
            .collect();
        let theme = Theme::new(true);
        assert_eq!(
            styles,
            [
                ("bold".to_owned(), Style::new().add_modifier(Modifier::BOLD)),
                (" ".to_owned(), Style::new()),
                ("code".to_owned(), theme.code()),
                (" ".to_owned(), Style::new()),
                ("l".to_owned(), theme.link()),
                (" (u)".to_owned(), theme.dim()),
            ]
        );
    }
}
