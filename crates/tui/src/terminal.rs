//! Terminal modes for the TUI: raw mode, bracketed paste, focus events, the
//! keyboard protocol that reports Shift+Enter where the terminal has it,
//! and the alternate screen when asked. [`TerminalModes`] restores them on
//! drop, and [`install_panic_hook`] restores them before a panic message is
//! printed, so a crash never leaves the shell in raw mode.

use crossterm::event::{
    DisableBracketedPaste, DisableFocusChange, EnableBracketedPaste, EnableFocusChange,
    KeyboardEnhancementFlags, PopKeyboardEnhancementFlags, PushKeyboardEnhancementFlags,
};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use std::io::{self, Write};

/// The modes in force; dropping this restores the terminal.
pub struct TerminalModes {
    alt_screen: bool,
    keyboard_enhanced: bool,
}

impl TerminalModes {
    pub fn enter(alt_screen: bool) -> io::Result<TerminalModes> {
        crossterm::terminal::enable_raw_mode()?;
        let mut stdout = io::stdout();
        execute!(stdout, EnableBracketedPaste, EnableFocusChange)?;
        if alt_screen {
            execute!(stdout, EnterAlternateScreen)?;
        }
        let keyboard_enhanced =
            crossterm::terminal::supports_keyboard_enhancement().unwrap_or(false);
        if keyboard_enhanced {
            execute!(
                stdout,
                PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
            )?;
        }
        Ok(TerminalModes {
            alt_screen,
            keyboard_enhanced,
        })
    }
}

impl Drop for TerminalModes {
    fn drop(&mut self) {
        restore(self.alt_screen, self.keyboard_enhanced);
    }
}

/// Give the terminal to another program (the external editor): every
/// mode undone, as on exit.
pub fn suspend(alt_screen: bool) {
    restore(alt_screen, true);
}

/// Take the terminal back after [`suspend`]; errors are ignored (the next
/// draw reports a terminal that is really gone).
pub fn resume(alt_screen: bool) {
    let _ = crossterm::terminal::enable_raw_mode();
    let mut stdout = io::stdout();
    let _ = execute!(stdout, EnableBracketedPaste, EnableFocusChange);
    if alt_screen {
        let _ = execute!(stdout, EnterAlternateScreen);
    }
    if crossterm::terminal::supports_keyboard_enhancement().unwrap_or(false) {
        let _ = execute!(
            stdout,
            PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
        );
    }
}

/// Undo every mode, ignoring errors (the terminal may be gone).
fn restore(alt_screen: bool, keyboard_enhanced: bool) {
    let mut stdout = io::stdout();
    if keyboard_enhanced {
        let _ = execute!(stdout, PopKeyboardEnhancementFlags);
    }
    let _ = execute!(
        stdout,
        DisableBracketedPaste,
        DisableFocusChange,
        cursor::Show
    );
    if alt_screen {
        let _ = execute!(stdout, LeaveAlternateScreen);
    }
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = stdout.flush();
}

/// Restore the terminal before the previous panic hook prints.
pub fn install_panic_hook(alt_screen: bool) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore(alt_screen, true);
        previous(info);
    }));
}
