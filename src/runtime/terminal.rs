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
    terminal: Terminal<DashboardBackend>,
}

/// What the dashboard draws through: synchronized, basic colours as basic codes.
pub type DashboardBackend = SyncBackend<super::basic_colors::BasicColors<Stdout>>;

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
        let backend = SyncBackend::new(super::basic_colors::BasicColors::new(io::stdout()))
            .with_ascii(crate::ui::ascii::wanted());
        let terminal = setup.and_then(|()| Terminal::new(backend));
        match terminal {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    pub fn terminal(&mut self) -> &mut Terminal<DashboardBackend> {
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

/// Restore the terminal before the previous hook (the one `main` installs) prints.
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
///
/// A frame whose diff is empty writes nothing at all (no synchronized update, no cursor sequences):
/// the once-a-second redraw for relative times costs no terminal output when the text on screen
/// did not change, which matters over SSH and for several dashboards on one server.
pub struct SyncBackend<W: Write = Stdout> {
    inner: CrosstermBackend<W>,
    /// A synchronized update was begun by `draw` and is ended by the next `flush`.
    in_update: bool,
    /// What the terminal's cursor was last told: hidden or not, and where. `None` is unknown.
    cursor_hidden: Option<bool>,
    cursor_at: Option<Position>,
    /// Write ASCII stand-ins for the glyphs (see `ui::ascii`).
    ascii: bool,
}

impl<W: Write> SyncBackend<W> {
    pub fn new(writer: W) -> SyncBackend<W> {
        SyncBackend {
            inner: CrosstermBackend::new(writer),
            in_update: false,
            cursor_hidden: None,
            cursor_at: None,
            ascii: false,
        }
    }

    /// Draw glyphs as ASCII (the Linux console and other terminals without them).
    pub fn with_ascii(self, ascii: bool) -> SyncBackend<W> {
        SyncBackend { ascii, ..self }
    }

    /// Tell the terminal only when it changes: the idle redraw stays silent.
    fn set_cursor_hidden(&mut self, hidden: bool) -> io::Result<()> {
        if self.cursor_hidden == Some(hidden) {
            return Ok(());
        }
        if hidden {
            self.inner.hide_cursor()?;
        } else {
            self.inner.show_cursor()?;
        }
        self.cursor_hidden = Some(hidden);
        Ok(())
    }
}

impl<W: Write> Backend for SyncBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut content = content.peekable();
        if content.peek().is_none() {
            return Ok(()); // nothing changed on screen: write nothing
        }
        queue!(self.inner, terminal::BeginSynchronizedUpdate)?;
        self.in_update = true;
        // Drawing moves the terminal's cursor.
        self.cursor_at = None;
        if !self.ascii {
            return self.inner.draw(content);
        }
        let cells: Vec<(u16, u16, Cell)> = content
            .map(|(x, y, cell)| {
                let mut cell = cell.clone();
                if let Some(s) = crate::ui::ascii::stand_in(cell.symbol()) {
                    cell.set_symbol(s);
                }
                (x, y, cell)
            })
            .collect();
        self.inner.draw(cells.iter().map(|(x, y, c)| (*x, *y, c)))
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.set_cursor_hidden(true)
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.set_cursor_hidden(false)
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let position = position.into();
        if self.cursor_at == Some(position) {
            return Ok(());
        }
        self.inner.set_cursor_position(position)?;
        self.cursor_at = Some(position);
        Ok(())
    }

    fn clear(&mut self) -> io::Result<()> {
        self.cursor_at = None;
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.cursor_at = None;
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.in_update) {
            queue!(self.inner, terminal::EndSynchronizedUpdate)?;
        }
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::widgets::Paragraph;
    use ratatui::{TerminalOptions, Viewport};

    use std::cell::RefCell;
    use std::rc::Rc;

    const END: &str = "\x1b[?2026l";

    /// What the backend wrote, readable from the test.
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    type Term = Terminal<SyncBackend<Shared>>;

    fn terminal() -> (Term, Shared) {
        let out = Shared::default();
        let t = Terminal::with_options(
            SyncBackend::new(out.clone()),
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, 20, 2)),
            },
        )
        .unwrap();
        (t, out)
    }

    fn written(out: &Shared) -> String {
        String::from_utf8(std::mem::take(&mut *out.0.borrow_mut())).unwrap()
    }

    fn draw(t: &mut Term, text: &str) {
        t.draw(|f| f.render_widget(Paragraph::new(text), f.area()))
            .unwrap();
    }

    #[test]
    fn an_ascii_terminal_gets_stand_ins_for_the_glyphs() {
        let out = Shared::default();
        let mut t = Terminal::with_options(
            SyncBackend::new(out.clone()).with_ascii(true),
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, 20, 2)),
            },
        )
        .unwrap();
        draw(&mut t, "✔ ok ▲ ⠋ …");
        let text = written(&out);
        for stand_in in ["H+", "Hok", "H!", "H|", "H~"] {
            assert!(text.contains(stand_in), "{stand_in} in {text:?}");
        }
        assert!(text.is_ascii(), "{text:?}");
    }

    #[test]
    fn an_unchanged_frame_writes_nothing() {
        let (mut t, out) = terminal();
        draw(&mut t, "next check in 5 s");
        let first = written(&out);
        assert_eq!(first.matches(END).count(), 1, "{first:?}");
        assert!(first.contains("\x1b[?25l"), "the cursor is hidden once");
        draw(&mut t, "next check in 5 s");
        assert_eq!(written(&out), "", "same text: no bytes at all");
        draw(&mut t, "next check in 4 s");
        let changed = written(&out);
        assert_eq!(changed.matches(END).count(), 1, "{changed:?}");
        assert!(
            changed.contains('4') && !changed.contains("next"),
            "only the diff"
        );
        assert!(
            !changed.contains("\x1b[?25l"),
            "the cursor is not hidden again"
        );
    }

    #[test]
    fn the_cursor_is_put_back_after_a_draw_moved_it() {
        let (mut t, out) = terminal();
        let frame = |t: &mut Term, text: &str| {
            t.draw(|f| {
                f.render_widget(Paragraph::new(text.to_string()), f.area());
                f.set_cursor_position(Position::new(3, 1));
            })
            .unwrap();
        };
        frame(&mut t, "abc");
        let first = written(&out);
        assert!(
            first.contains("\x1b[?25h") && first.contains("\x1b[2;4H"),
            "{first:?}"
        );
        frame(&mut t, "abc");
        assert_eq!(written(&out), "", "cursor already shown and in place");
        frame(&mut t, "abd");
        let changed = written(&out);
        assert!(
            changed.ends_with("\x1b[2;4H\x1b[?2026l"),
            "the cursor is moved back inside the update: {changed:?}"
        );
    }
}
