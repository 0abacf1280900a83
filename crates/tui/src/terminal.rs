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
use std::sync::atomic::{AtomicBool, Ordering};

/// The modes [`TerminalModes::enter`] set, for [`suspend`] to undo and redo.
static ALT_SCREEN: AtomicBool = AtomicBool::new(false);
static KEYBOARD_ENHANCED: AtomicBool = AtomicBool::new(false);

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
        ALT_SCREEN.store(alt_screen, Ordering::Relaxed);
        KEYBOARD_ENHANCED.store(keyboard_enhanced, Ordering::Relaxed);
        Ok(TerminalModes {
            alt_screen,
            keyboard_enhanced,
        })
    }
}

/// Ctrl+Z: restore the terminal, stop the process as the shell's job
/// control expects (SIGTSTP; raw mode keeps the terminal from sending it),
/// and once continued set the modes again. Returns the cursor's row.
pub fn suspend() -> io::Result<u16> {
    let alt_screen = ALT_SCREEN.load(Ordering::Relaxed);
    let keyboard_enhanced = KEYBOARD_ENHANCED.load(Ordering::Relaxed);
    restore(alt_screen, keyboard_enhanced);
    // `kill` rather than `raise`: no unsafe code outside the sandbox crate.
    // It returns once the signal is sent; this process stops then and
    // goes on here after `fg`.
    let status = duet_sandbox::host_std_command("kill")
        .args(["-TSTP", &std::process::id().to_string()])
        .stdin(std::process::Stdio::null())
        .status();
    crossterm::terminal::enable_raw_mode()?;
    let mut stdout = io::stdout();
    execute!(stdout, EnableBracketedPaste, EnableFocusChange)?;
    if alt_screen {
        execute!(stdout, EnterAlternateScreen)?;
    }
    if keyboard_enhanced {
        execute!(
            stdout,
            PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
        )?;
    }
    status.map_err(|error| {
        io::Error::other(format!(
            "cannot suspend: `kill -TSTP` did not run ({error}); use the terminal's own job control"
        ))
    })?;
    Ok(crossterm::cursor::position().map_or(0, |(_, row)| row))
}

/// Whether the terminal shows OSC 9 messages as notifications (iTerm2,
/// WezTerm, Ghostty, kitty); the others get a bell.
pub fn supports_osc9(term_program: Option<&str>, term: Option<&str>) -> bool {
    matches!(term_program, Some("iTerm.app" | "WezTerm" | "ghostty"))
        || term.is_some_and(|term| term.contains("kitty") || term.contains("ghostty"))
}

/// The bytes of a notification: OSC 9 with the message, or BEL.
pub fn notification(message: &str, osc9: bool) -> String {
    if osc9 {
        let clean: String = message.chars().filter(|c| !c.is_control()).collect();
        format!("\x1b]9;{clean}\x07")
    } else {
        "\x07".to_owned()
    }
}

impl Drop for TerminalModes {
    fn drop(&mut self) {
        restore(self.alt_screen, self.keyboard_enhanced);
    }
}

/// Give the terminal to another program (the external editor): every
/// mode undone, as on exit.
pub fn hand_over(alt_screen: bool) {
    restore(alt_screen, true);
}

/// Take the terminal back after [`hand_over`]; errors are ignored (the next
/// draw reports a terminal that is really gone).
pub fn take_back(alt_screen: bool) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn notifications_use_osc9_where_the_terminal_shows_it() {
        assert_eq!(
            [
                supports_osc9(Some("iTerm.app"), Some("xterm-256color")),
                supports_osc9(None, Some("xterm-kitty")),
                supports_osc9(Some("Apple_Terminal"), Some("xterm-256color")),
                supports_osc9(None, None),
            ],
            [true, true, false, false]
        );
        assert_eq!(
            [
                notification("duet: turn\nfinished", true),
                notification("duet: turn finished", false)
            ],
            ["\x1b]9;duet: turnfinished\x07", "\x07"]
        );
    }
}
