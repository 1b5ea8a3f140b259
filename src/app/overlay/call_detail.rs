//! A call's detail, and the calls filter being typed.

use super::super::keymap::{self, Action};
use super::super::model::App;
use super::super::msg::Cmd;
use super::Overlay;
use crate::store::history::CallEntry;
use ratatui::crossterm::event::KeyEvent;

/// The call on show: a copy, so calls arriving meanwhile do not change it under the reader.
#[derive(Debug, Clone)]
pub struct CallDetail {
    pub call: CallEntry,
}

/// Open the selected call (the newest when none is selected).
pub fn open(app: &mut App) {
    let calls = app.list.calls(&app.calls);
    let index = app.list.cursor.unwrap_or(0);
    if let Some(call) = calls.get(index) {
        let call = (*call).clone();
        app.list.cursor = Some(index);
        app.overlay = Overlay::CallDetail(CallDetail { call });
    }
}

pub(super) fn on_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    let total = app.list.count(&app.calls);
    match keymap::action_for(keymap::DETAIL, &ev) {
        Some(Action::Close) => app.overlay = Overlay::None,
        Some(Action::Newer) => {
            app.list.move_by(-1, total);
            open(app);
        }
        Some(Action::Older) => {
            app.list.move_by(1, total);
            open(app);
        }
        _ => {}
    }
    vec![]
}

/// Typing the filter: the list follows each key.
pub(super) fn on_filter_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    match keymap::action_for(keymap::FILTER, &ev) {
        Some(Action::Submit) => app.overlay = Overlay::None,
        Some(Action::Cancel) => {
            app.list.filter.clear();
            app.overlay = Overlay::None;
        }
        Some(Action::DeleteChar) => {
            app.list.filter.pop();
        }
        _ => {
            if let Some(c) = keymap::typed_char(&ev)
                && app.list.filter.chars().count() < 60
                && !c.is_control()
            {
                app.list.filter.push(c);
            }
        }
    }
    app.list.to_newest();
    vec![]
}
