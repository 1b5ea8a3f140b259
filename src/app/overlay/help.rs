//! The help popup: every key, the files and the version.

use super::super::keymap::{self, Action};
use super::super::model::App;
use super::super::msg::Cmd;
use super::Overlay;
use ratatui::crossterm::event::KeyEvent;

pub(super) fn on_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    if keymap::action_for(keymap::HELP, &ev) == Some(Action::Close) {
        app.overlay = Overlay::None;
    }
    vec![]
}
