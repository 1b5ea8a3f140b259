//! The help popup: every key, the files and the version.

use super::super::keymap::{self, Action};
use super::super::model::App;
use super::super::msg::Cmd;
use super::Overlay;
use ratatui::crossterm::event::KeyEvent;

pub(super) fn on_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    match keymap::action_for(keymap::HELP, &ev) {
        Some(Action::Close) => {
            app.overlay = Overlay::None;
            app.help_scroll = 0;
        }
        // The renderer keeps it within the text.
        Some(Action::Older) => app.help_scroll = app.help_scroll.saturating_add(1),
        Some(Action::Newer) => app.help_scroll = app.help_scroll.saturating_sub(1),
        _ => {}
    }
    vec![]
}
