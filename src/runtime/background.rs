//! Is the terminal light or dark? Asked only when nothing else said (`--theme`, NO_COLOR,
//! COLORFGBG), and only of a terminal that may know (not the Linux console or a vt100), over
//! OSC 10/11, which xterm, VTE, iTerm2, kitty, WezTerm, Windows Terminal and tmux answer.
//! terminal-colorsaurus sends DA1 behind the query; every terminal answers that, so one that
//! cannot tell its colours costs a round trip, not the timeout.

use terminal_colorsaurus::{QueryOptions, ThemeMode};

/// `Some(true)` for a light background; `None` when the terminal did not say. The query waits up
/// to a second (the crate's default): an answer that arrived after we stopped listening would be
/// read as keystrokes, and an SSH round trip can be long.
pub fn light_by_query() -> Option<bool> {
    if crate::ui::ascii::basic_terminal() {
        return None;
    }
    match terminal_colorsaurus::theme_mode(QueryOptions::default()) {
        Ok(ThemeMode::Light) => Some(true),
        Ok(ThemeMode::Dark) => Some(false),
        Err(e) => {
            tracing::debug!(error = %e, "the terminal did not tell its background colour");
            None
        }
    }
}
