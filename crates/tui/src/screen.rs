//! Putting the app on a terminal, in one of two modes.
//!
//! **Inline** (the default): finished history is written into the
//! terminal's own scrollback, so its scrolling, search and selection work;
//! only the live area at the bottom is redrawn. The live area is a
//! `Viewport::Fixed` rectangle that this module moves and resizes itself
//! (ratatui's `Viewport::Inline` has a fixed height): history lines are
//! drawn just above it, first into free rows below (moving the live area
//! down), then by scrolling the rows above it up with a scrolling region,
//! which pushes the top rows into the scrollback.
//!
//! **Alternate screen** (`--alt-screen`): the whole screen is redrawn from
//! the transcript; the scrollback is not touched.
//!
//! Generic over the ratatui backend, so tests run it on `TestBackend`.

use crate::app::App;
use crate::render::{bottom_pane, live_area};
use ratatui::backend::{Backend, ClearType, TestBackend};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Position, Rect, Size};
use ratatui::text::{Line, Text};
use ratatui::widgets::{Paragraph, Widget};
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::io;
use unicode_width::UnicodeWidthStr;

/// What the `Backend` trait cannot do: clearing the terminal's scrollback,
/// and (with defaults that do nothing, for test backends) switching to the
/// alternate screen for the pager, notifying, and suspending the process.
pub trait PurgeScrollback: Backend<Error: Send + Sync + 'static> {
    fn purge_scrollback(&mut self) -> io::Result<()>;

    fn enter_alternate_screen(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn leave_alternate_screen(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// A desktop notification (OSC 9) or a bell.
    fn notify(&mut self, _message: &str) -> io::Result<()> {
        Ok(())
    }

    /// Restore the terminal, stop until `fg`, set it up again; returns the
    /// cursor's row afterwards (`None`: nothing happened).
    fn suspend(&mut self) -> io::Result<Option<u16>> {
        Ok(None)
    }
}

impl<W: io::Write> PurgeScrollback for ratatui::backend::CrosstermBackend<W> {
    fn purge_scrollback(&mut self) -> io::Result<()> {
        crossterm::execute!(
            self,
            crossterm::terminal::Clear(crossterm::terminal::ClearType::Purge)
        )
    }

    fn enter_alternate_screen(&mut self) -> io::Result<()> {
        crossterm::execute!(self, crossterm::terminal::EnterAlternateScreen)
    }

    fn leave_alternate_screen(&mut self) -> io::Result<()> {
        crossterm::execute!(self, crossterm::terminal::LeaveAlternateScreen)
    }

    fn notify(&mut self, message: &str) -> io::Result<()> {
        let osc9 = crate::terminal::supports_osc9(
            std::env::var("TERM_PROGRAM").ok().as_deref(),
            std::env::var("TERM").ok().as_deref(),
        );
        io::Write::write_all(
            self,
            crate::terminal::notification(message, osc9).as_bytes(),
        )?;
        io::Write::flush(self)
    }

    fn suspend(&mut self) -> io::Result<Option<u16>> {
        crate::terminal::suspend().map(Some)
    }
}

impl PurgeScrollback for TestBackend {
    /// `TestBackend` keeps its scrollback private; tests of a resize look at
    /// the screen only.
    fn purge_scrollback(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub struct Screen<B: Backend + PurgeScrollback> {
    terminal: Terminal<B>,
    alt_screen: bool,
    size: Size,
    /// Inline: the rows of the live area.
    viewport: Rect,
    /// Alt-screen: the transcript's lines for `cached_cells` cells at `cached_width`.
    transcript: Vec<Line<'static>>,
    cached_cells: usize,
    cached_width: u16,
    /// Inline: the pager is on the alternate screen; history waits in
    /// `deferred` until it closes.
    pager_shown: bool,
    deferred: Vec<Line<'static>>,
}

impl<B: Backend + PurgeScrollback> Screen<B> {
    /// An inline screen whose live area starts at row `top` (the cursor's row).
    pub fn inline(backend: B, top: u16) -> io::Result<Screen<B>> {
        let size = backend.size().map_err(io::Error::other)?;
        let viewport = Rect::new(0, top.min(size.height.saturating_sub(1)), size.width, 1);
        let terminal = Terminal::with_options(
            backend,
            TerminalOptions {
                viewport: Viewport::Fixed(viewport),
            },
        )
        .map_err(io::Error::other)?;
        Ok(Screen::with(terminal, false, size, viewport))
    }

    pub fn alt_screen(backend: B) -> io::Result<Screen<B>> {
        let size = backend.size().map_err(io::Error::other)?;
        let terminal = Terminal::with_options(
            backend,
            TerminalOptions {
                viewport: Viewport::Fullscreen,
            },
        )
        .map_err(io::Error::other)?;
        let area = Rect::new(0, 0, size.width, size.height);
        Ok(Screen::with(terminal, true, size, area))
    }

    fn with(terminal: Terminal<B>, alt_screen: bool, size: Size, viewport: Rect) -> Screen<B> {
        Screen {
            terminal,
            alt_screen,
            size,
            viewport,
            transcript: Vec::new(),
            cached_cells: 0,
            cached_width: size.width,
            pager_shown: false,
            deferred: Vec::new(),
        }
    }

    pub fn backend(&self) -> &B {
        self.terminal.backend()
    }

    pub fn backend_mut(&mut self) -> &mut B {
        self.terminal.backend_mut()
    }

    /// The rows the live area covers (inline mode).
    pub fn viewport(&self) -> Rect {
        self.viewport
    }

    /// Write finished history lines above the live area (inline mode).
    pub fn insert_history(&mut self, lines: Vec<Line<'static>>) -> io::Result<()> {
        if self.alt_screen || lines.is_empty() {
            return Ok(());
        }
        if self.pager_shown {
            self.deferred.extend(lines);
            return Ok(());
        }
        let count = u16::try_from(lines.len()).unwrap_or(u16::MAX);
        let mut drawn = 0u16;
        // Free rows below the live area: draw there and move it down.
        let room = self.size.height.saturating_sub(self.viewport.bottom());
        let below = count.min(room);
        if below > 0 {
            self.draw_lines(&lines[..usize::from(below)], self.viewport.y, false)?;
            drawn = below;
            self.move_viewport(Rect {
                y: self.viewport.y + below,
                ..self.viewport
            })?;
        }
        // The rest: scroll the rows above the live area up, into the
        // scrollback; the rows scrolled in are blank.
        while drawn < count && self.viewport.y > 0 {
            let top = self.viewport.y;
            let chunk = (count - drawn).min(top);
            self.terminal
                .backend_mut()
                .scroll_region_up(0..top, chunk)
                .map_err(io::Error::other)?;
            let first = usize::from(drawn);
            self.draw_lines(&lines[first..first + usize::from(chunk)], top - chunk, true)?;
            drawn += chunk;
        }
        self.terminal
            .backend_mut()
            .flush()
            .map_err(io::Error::other)
    }

    /// Draw `lines` on the rows from `y` down, at most a screen's worth.
    /// On rows known to be blank (`onto_blank`) a row's trailing blank
    /// cells are left out: a resize writes thousands of lines, most of
    /// them far shorter than the screen is wide. Each line is laid out in
    /// a buffer of its own, only as wide as it is drawn (filling a
    /// screen-wide buffer of blank cells first was a sixth of a resize).
    fn draw_lines(&mut self, lines: &[Line<'static>], y: u16, onto_blank: bool) -> io::Result<()> {
        let width = self.size.width;
        let rows: Vec<(u16, Buffer)> = (y..)
            .zip(lines)
            .filter_map(|(row, line)| {
                let columns = if onto_blank {
                    u16::try_from(line.width()).unwrap_or(u16::MAX).min(width)
                } else {
                    width
                };
                if columns == 0 {
                    return None;
                }
                let mut buffer = Buffer::empty(Rect::new(0, 0, columns, 1));
                buffer.set_line(0, 0, line, columns);
                Some((row, buffer))
            })
            .collect();
        let positioned = rows.iter().flat_map(|(row, buffer)| {
            printed_cells(&buffer.content)
                .map(move |(x, cell)| (u16::try_from(x).unwrap_or(0), *row, cell))
        });
        self.terminal
            .backend_mut()
            .draw(positioned)
            .map_err(io::Error::other)
    }

    /// Move or resize the live area. Every row from its new top to the
    /// bottom of the screen is blanked cell by cell first (above it is
    /// history, possibly just written), rather than trusting an erase
    /// sequence's idea of where the cursor is, so nothing of an older frame
    /// survives.
    fn move_viewport(&mut self, area: Rect) -> io::Result<()> {
        let from = area.y;
        let width = usize::from(self.size.width);
        let blank = ratatui::buffer::Cell::EMPTY;
        let rows = from..self.size.height;
        let cells = rows.flat_map(|y| (0..width).map(move |x| (u16::try_from(x).unwrap_or(0), y)));
        self.terminal
            .backend_mut()
            .draw(cells.map(|(x, y)| (x, y, &blank)))
            .map_err(io::Error::other)?;
        self.viewport = area;
        self.terminal.resize(area).map_err(io::Error::other)
    }

    /// Give the live area `rows` rows, scrolling history up if it must grow
    /// past the bottom of the screen.
    fn set_live_rows(&mut self, rows: u16) -> io::Result<()> {
        if rows == self.viewport.height && self.viewport.width == self.size.width {
            return Ok(());
        }
        let mut top = self.viewport.y;
        let overflow = (top + rows).saturating_sub(self.size.height);
        if overflow > 0 {
            self.terminal
                .backend_mut()
                .scroll_region_up(0..self.size.height, overflow)
                .map_err(io::Error::other)?;
            top -= overflow;
        }
        self.move_viewport(Rect::new(0, top, self.size.width, rows))
    }

    /// Draw the live area (inline) or the whole screen (alt-screen).
    pub fn draw(&mut self, app: &App) -> io::Result<()> {
        if app.pager_open() {
            return self.draw_pager(app);
        }
        if self.pager_shown {
            self.close_pager()?;
        }
        if self.alt_screen {
            return self.draw_full(app);
        }
        let width = usize::from(self.size.width);
        let max_rows = usize::from(self.size.height.saturating_sub(1).max(1));
        let (lines, cursor) = live_area(app, width, max_rows);
        let rows = u16::try_from(lines.len().max(1)).unwrap_or(1);
        self.set_live_rows(rows)?;
        self.terminal
            .draw(|frame| {
                let area = frame.area();
                Paragraph::new(Text::from(lines)).render(area, frame.buffer_mut());
                if let Some((x, y)) = cursor {
                    frame.set_cursor_position(Position::new(area.x + x, area.y + y));
                }
            })
            .map_err(io::Error::other)?;
        Ok(())
    }

    fn draw_full(&mut self, app: &App) -> io::Result<()> {
        let width = self.size.width;
        if width != self.cached_width || app.transcript.cells.len() < self.cached_cells {
            self.transcript.clear();
            self.cached_cells = 0;
            self.cached_width = width;
        }
        for cell in &app.transcript.cells[self.cached_cells..] {
            self.transcript
                .extend(cell.lines(usize::from(width), app.view.theme));
        }
        self.cached_cells = app.transcript.cells.len();
        let live = app
            .transcript
            .live
            .lines(usize::from(width), app.view.theme, true);
        let (pane, cursor) = bottom_pane(app, usize::from(width));
        let pane_rows = pane.len().min(usize::from(self.size.height));
        let transcript_rows = usize::from(self.size.height) - pane_rows;
        let total = self.transcript.len() + live.len();
        let end = total.saturating_sub(
            app.view
                .scroll_back
                .min(total.saturating_sub(transcript_rows)),
        );
        let start = end.saturating_sub(transcript_rows);
        let shown: Vec<Line<'static>> = self
            .transcript
            .iter()
            .chain(live.iter())
            .skip(start)
            .take(end - start)
            .cloned()
            .collect();
        let skip_pane = pane.len() - pane_rows;
        let pane: Vec<Line<'static>> = pane.into_iter().skip(skip_pane).collect();
        self.terminal
            .draw(|frame| {
                let area = frame.area();
                let top = u16::try_from(transcript_rows).unwrap_or(0);
                // Bottom-align the transcript, like a terminal's own scroll.
                let shown_rows = u16::try_from(shown.len()).unwrap_or(0);
                let transcript_area = Rect::new(
                    0,
                    top.saturating_sub(shown_rows),
                    area.width,
                    shown_rows.min(top),
                );
                Paragraph::new(Text::from(shown)).render(transcript_area, frame.buffer_mut());
                let pane_area = Rect::new(0, top, area.width, area.height - top);
                Paragraph::new(Text::from(pane)).render(pane_area, frame.buffer_mut());
                if let Some((x, y)) = cursor {
                    frame.set_cursor_position(Position::new(x, top + y));
                }
            })
            .map_err(io::Error::other)?;
        Ok(())
    }

    /// The pager over the whole screen (inline: on the alternate screen).
    fn draw_pager(&mut self, app: &App) -> io::Result<()> {
        let full = Rect::new(0, 0, self.size.width, self.size.height);
        if !self.pager_shown && !self.alt_screen {
            self.terminal.backend_mut().enter_alternate_screen()?;
            self.pager_shown = true;
            self.terminal.resize(full).map_err(io::Error::other)?;
            self.clear_viewport()?;
        }
        let Some(crate::app::Overlay::Pager(pager)) = &app.view.overlay else {
            return Ok(());
        };
        let lines = pager.screen_lines(
            usize::from(self.size.width),
            usize::from(self.size.height),
            app.view.theme,
        );
        self.terminal
            .draw(|frame| {
                Paragraph::new(Text::from(lines)).render(frame.area(), frame.buffer_mut());
            })
            .map_err(io::Error::other)?;
        Ok(())
    }

    /// Back from the pager: the terminal shows the main screen again; draw
    /// the live area afresh and the history that came meanwhile.
    fn close_pager(&mut self) -> io::Result<()> {
        self.pager_shown = false;
        self.terminal.backend_mut().leave_alternate_screen()?;
        self.terminal
            .resize(self.viewport)
            .map_err(io::Error::other)?;
        self.clear_viewport()?;
        let deferred = std::mem::take(&mut self.deferred);
        self.insert_history(deferred)
    }

    /// Do what the app asked of the terminal.
    pub fn terminal_request(
        &mut self,
        request: crate::app::TerminalRequest,
        app: &mut App,
    ) -> io::Result<()> {
        match request {
            crate::app::TerminalRequest::Notify(message) => {
                self.terminal.backend_mut().notify(&message)
            }
            crate::app::TerminalRequest::Suspend => {
                if !self.alt_screen {
                    // Leave the shell's prompt right under the transcript.
                    let top = self.viewport.y;
                    let backend = self.terminal.backend_mut();
                    backend
                        .set_cursor_position(Position::new(0, top))
                        .map_err(io::Error::other)?;
                    backend
                        .clear_region(ClearType::AfterCursor)
                        .map_err(io::Error::other)?;
                }
                let Some(row) = self.terminal.backend_mut().suspend()? else {
                    return Ok(());
                };
                self.size = self.terminal.backend().size().map_err(io::Error::other)?;
                if self.alt_screen {
                    self.terminal
                        .resize(Rect::new(0, 0, self.size.width, self.size.height))
                        .map_err(io::Error::other)?;
                } else {
                    let top = row.min(self.size.height.saturating_sub(1));
                    self.viewport = Rect::new(0, top, self.size.width, 1);
                    self.terminal
                        .resize(self.viewport)
                        .map_err(io::Error::other)?;
                }
                self.clear_viewport()?;
                self.draw(app)
            }
        }
    }

    /// Clear the viewport's rows and have the next draw paint all of it.
    /// Not `Terminal::clear`: ratatui's asks the terminal where its cursor
    /// is first, and a terminal that does not answer within two seconds (a
    /// busy machine, an editor that just gave the terminal back) made that
    /// an error that ended the TUI. Resizing to the same area clears the
    /// same rows without asking.
    fn clear_viewport(&mut self) -> io::Result<()> {
        let area = self.terminal.get_frame().area();
        self.terminal.resize(area).map_err(io::Error::other)
    }

    /// Paint everything again on the next draw (another program, such as
    /// the external editor, had the terminal).
    pub fn repaint(&mut self) -> io::Result<()> {
        self.clear_viewport()
    }

    /// After a resize: take the new size; inline, clear screen and
    /// scrollback and write the transcript's last turns again at the new
    /// width ([`App::transcript_lines`]: kept parses, only wrapping). The
    /// loop calls it once per batch of inputs, however many resizes the
    /// batch held.
    pub fn resized(&mut self, app: &mut App) -> io::Result<()> {
        self.size = self.terminal.backend().size().map_err(io::Error::other)?;
        if self.pager_shown {
            // The rewrite below includes what waited; the next draw opens
            // the pager again at the new size.
            self.pager_shown = false;
            self.deferred.clear();
            self.terminal.backend_mut().leave_alternate_screen()?;
        }
        if self.alt_screen {
            let area = Rect::new(0, 0, self.size.width, self.size.height);
            return self.terminal.resize(area).map_err(io::Error::other);
        }
        let backend = self.terminal.backend_mut();
        backend.purge_scrollback()?;
        backend
            .set_cursor_position(Position::ORIGIN)
            .map_err(io::Error::other)?;
        backend
            .clear_region(ClearType::All)
            .map_err(io::Error::other)?;
        self.move_viewport(Rect::new(0, 0, self.size.width, 1))?;
        let lines = app.transcript_lines();
        self.insert_history(lines)
    }
}

/// The cells of one row a terminal must be sent, with their columns: the
/// cells a wide character covers (the second column of a CJK character or
/// an emoji) are left out, since printing the character already moved the
/// cursor past them; printing their blank would push the rest of the row
/// one column right per wide character.
fn printed_cells(row: &[Cell]) -> impl Iterator<Item = (usize, &Cell)> {
    let mut covered = 0usize;
    row.iter().enumerate().filter(move |(_, cell)| {
        if covered > 0 {
            covered -= 1;
            return false;
        }
        covered = cell.symbol().width().saturating_sub(1);
        true
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn the_cells_a_wide_character_covers_are_not_printed() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 10, 1));
        buffer.set_line(0, 0, &Line::from("a你b🙂c"), 10);
        let printed: Vec<(usize, &str)> = printed_cells(&buffer.content)
            .map(|(x, cell)| (x, cell.symbol()))
            .collect();
        assert_eq!(
            printed,
            vec![
                (0, "a"),
                (1, "你"),
                (3, "b"),
                (4, "🙂"),
                (6, "c"),
                (7, " "),
                (8, " "),
                (9, " ")
            ]
        );
    }
}
