//! The terminal while the dashboard owns it: raw mode, alternate screen, bracketed paste, no mouse,
//! hidden cursor. Restored on drop and from the panic hook, so a crash never leaves a dead shell.

use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::crossterm::{cursor, event, execute, queue, terminal};
use ratatui::layout::{Position, Size};
use std::io::{self, Stdout, Write};
use std::sync::Once;

/// Owns the terminal; dropping it puts the terminal back as it was.
pub struct TerminalGuard {
    terminal: Terminal<SyncBackend>,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        terminal::enable_raw_mode()?;
        let setup = execute!(
            io::stdout(),
            terminal::EnterAlternateScreen,
            event::EnableBracketedPaste,
            // Mouse reporting breaks text selection over SSH; make sure it is off.
            event::DisableMouseCapture,
            cursor::Hide
        );
        let terminal = setup.and_then(|()| {
            Terminal::new(SyncBackend {
                inner: CrosstermBackend::new(io::stdout()),
            })
        });
        match terminal {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    pub fn terminal(&mut self) -> &mut Terminal<SyncBackend> {
        &mut self.terminal
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        // Shown here so ratatui's own drop does not write after the alternate screen is left.
        let _ = self.terminal.show_cursor();
        restore();
    }
}

/// Put the terminal back; safe to call more than once and when it was never set up.
pub fn restore() {
    let _ = execute!(
        io::stdout(),
        event::DisableBracketedPaste,
        terminal::EndSynchronizedUpdate,
        cursor::Show,
        // Last, so the shell's screen comes back only once everything else is undone.
        terminal::LeaveAlternateScreen
    );
    let _ = terminal::disable_raw_mode();
}

/// Restore the terminal before the previous hook (color-eyre's, installed in `main`) prints.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// The crossterm backend with each frame wrapped in a synchronized update, so terminals that
/// support it never show a half-drawn frame (others ignore the sequences).
pub struct SyncBackend {
    inner: CrosstermBackend<Stdout>,
}

impl Backend for SyncBackend {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        // Same process-wide stdout buffer as the backend's, so the order is kept.
        queue!(io::stdout(), terminal::BeginSynchronizedUpdate)?;
        self.inner.draw(content)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        queue!(io::stdout(), terminal::EndSynchronizedUpdate)?;
        Backend::flush(&mut self.inner)?;
        io::stdout().flush()
    }
}
