//! One table of keys per mode: it drives key handling, the footer and the help popup, so what
//! the footer says is what the keys do.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    // The dashboard.
    Quit,
    Help,
    EnterKey,
    Revalidate,
    Reactivate,
    SetExpiry,
    Unlock,
    SandboxPanel,
    /// Move the selection in the lower panel's list (calls, checks, audit).
    Newer,
    Older,
    PageNewer,
    PageOlder,
    Newest,
    Oldest,
    /// The selected call's detail.
    Open,
    Filter,
    /// Switch the lower panel: calls, checks, audit.
    NextView,
    CopyCompany,
    CopyStatus,
    // The overlays.
    Submit,
    Cancel,
    NextField,
    ClearField,
    DeleteChar,
    Up,
    Down,
    Yes,
    No,
    Close,
}

/// A key, with or without Ctrl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn plain(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

const fn ch(c: char) -> Key {
    plain(KeyCode::Char(c))
}

pub struct Binding {
    pub action: Action,
    pub keys: &'static [Key],
    /// As shown in the footer and help ("k", "↑↓", "Enter").
    pub label: &'static str,
    /// The footer's words; empty: not in the footer.
    pub short: &'static str,
    /// The help popup's line; empty: not in help.
    pub help: &'static str,
    /// When the footer is too narrow, higher ranks are dropped first; 0 is never dropped.
    pub drop_rank: u8,
}

const fn bind(
    action: Action,
    keys: &'static [Key],
    label: &'static str,
    short: &'static str,
    help: &'static str,
    drop_rank: u8,
) -> Binding {
    Binding {
        action,
        keys,
        label,
        short,
        help,
        drop_rank,
    }
}

// The keys every field and list shares (one line each: a table reads better).
#[rustfmt::skip]
const CANCEL: Binding = bind(Action::Cancel, &[plain(KeyCode::Esc)], "Esc", "cancel", "", 0);
#[rustfmt::skip]
const DELETE: Binding = bind(Action::DeleteChar, &[plain(KeyCode::Backspace)], "⌫", "", "", 0);
#[rustfmt::skip]
const UP: Binding = bind(Action::Up, &[plain(KeyCode::Up)], "↑↓", "choose", "", 0);
#[rustfmt::skip]
const DOWN: Binding = bind(Action::Down, &[plain(KeyCode::Down)], "↓", "", "", 0);
const ENTER: &[Key] = &[plain(KeyCode::Enter)];
const CTRL_U: &[Key] = &[Key {
    code: KeyCode::Char('u'),
    ctrl: true,
}];

const fn submit(short: &'static str) -> Binding {
    bind(Action::Submit, ENTER, "Enter", short, "", 0)
}

const fn clear(short: &'static str) -> Binding {
    bind(Action::ClearField, CTRL_U, "Ctrl-U", short, "", 4)
}

/// The dashboard with no overlay open. `e` enters a key: `k`/`j` belong to navigation.
#[rustfmt::skip]
pub const KEYMAP: &[Binding] = &[
    bind(Action::EnterKey, &[ch('e')], "e", "key", "enter or replace the API key", 0),
    bind(Action::Revalidate, &[ch('r')], "r", "check now", "check with Pleo now", 1),
    bind(Action::Reactivate, &[ch('a')], "a", "re-activate", "re-activate the stored key (full activation)", 0),
    bind(Action::SetExpiry, &[ch('x')], "x", "expiry", "record the key's expiry date (as Pleo shows it)", 6),
    bind(Action::Unlock, &[ch('p')], "p", "passphrase", "enter the key file's passphrase (when it is locked)", 0),
    bind(Action::SandboxPanel, &[ch('s')], "s", "sandbox", "sandbox switches and demo keys (sandbox only)", 2),
    bind(Action::NextView, &[plain(KeyCode::Tab)], "Tab", "calls/checks/audit", "switch the lower panel: calls, checks, audit log", 4),
    bind(Action::Newer, &[ch('k'), plain(KeyCode::Up)], "j/k", "move", "select the newer row (k or ↑)", 5),
    bind(Action::Older, &[ch('j'), plain(KeyCode::Down)], "↓", "", "select the older row (j or ↓)", 5),
    bind(Action::PageNewer, &[plain(KeyCode::PageUp)], "PgUp", "", "a page newer", 9),
    bind(Action::PageOlder, &[plain(KeyCode::PageDown)], "PgDn", "", "a page older", 9),
    bind(Action::Newest, &[ch('g'), plain(KeyCode::Home)], "g", "", "the newest row (g or Home)", 9),
    bind(Action::Oldest, &[ch('G'), plain(KeyCode::End)], "G", "", "the oldest row (G or End)", 9),
    bind(Action::Open, &[plain(KeyCode::Enter)], "Enter", "detail", "the selected call's detail", 7),
    bind(Action::Filter, &[ch('/')], "/", "filter", "filter the calls by path, status or source", 7),
    bind(Action::CopyCompany, &[ch('y')], "y", "copy id", "copy the company id (OSC 52: works over SSH and tmux)", 8),
    bind(Action::CopyStatus, &[ch('Y')], "Y", "", "copy the status as JSON", 8),
    bind(Action::Help, &[ch('?')], "?", "help", "help: all keys, files and versions", 0),
    bind(Action::Quit, &[ch('q')], "q", "quit", "quit (Ctrl-C always quits)", 0),
];

/// A call's detail.
#[rustfmt::skip]
pub const DETAIL: &[Binding] = &[
    bind(Action::Newer, &[ch('k'), plain(KeyCode::Up)], "j/k", "newer/older call", "", 3),
    bind(Action::Older, &[ch('j'), plain(KeyCode::Down)], "↓", "", "", 3),
    bind(Action::Close, &[plain(KeyCode::Esc), plain(KeyCode::Enter), ch('q')], "Esc", "close", "", 0),
];

/// Typing a filter; any other character is typed into it.
#[rustfmt::skip]
pub const FILTER: &[Binding] = &[
    bind(Action::Submit, ENTER, "Enter", "keep filter", "", 0),
    bind(Action::Cancel, &[plain(KeyCode::Esc)], "Esc", "clear", "", 0),
    DELETE,
];

/// The key entry field; any other character is typed into the focused field.
#[rustfmt::skip]
pub const KEY_ENTRY: &[Binding] = &[
    submit("connect"),
    bind(Action::NextField, &[plain(KeyCode::Tab), plain(KeyCode::BackTab)], "Tab", "next field", "", 3),
    clear("clear field"),
    CANCEL,
    DELETE,
];

/// A date field.
pub const DATE_FIELD: &[Binding] = &[submit("record"), clear("clear"), CANCEL, DELETE];

/// A passphrase field.
pub const PASSPHRASE: &[Binding] = &[submit("unlock"), CANCEL, DELETE];

/// Switch to the other company, or keep the current one.
#[rustfmt::skip]
pub const CONFIRM_COMPANY: &[Binding] = &[
    bind(Action::Yes, &[ch('y'), ch('Y')], "y", "switch company", "", 0),
    bind(Action::No, &[ch('n'), ch('N'), plain(KeyCode::Esc)], "n", "keep current", "", 0),
];

/// A list to choose from.
pub const PICKER: &[Binding] = &[UP, DOWN, submit("connect"), CANCEL];

/// The sandbox panel.
#[rustfmt::skip]
pub const SANDBOX: &[Binding] = &[
    UP,
    DOWN,
    submit("apply"),
    bind(Action::Close, &[plain(KeyCode::Esc), ch('s'), ch('q')], "Esc", "close", "", 0),
];

/// The help popup.
#[rustfmt::skip]
pub const HELP: &[Binding] = &[
    bind(Action::Newer, &[ch('k'), plain(KeyCode::Up)], "j/k", "scroll", "", 1),
    bind(Action::Older, &[ch('j'), plain(KeyCode::Down)], "↓", "", "", 1),
    bind(Action::Close, &[plain(KeyCode::Esc), ch('?'), ch('q'), plain(KeyCode::Enter)], "Esc", "close", "", 0),
];

/// While Pleo is being asked: only Ctrl-C (always quits).
pub const BUSY: &[Binding] = &[];

/// The action `ev` means in `map`. Alt never matches; Shift is part of the character.
pub fn action_for(map: &[Binding], ev: &KeyEvent) -> Option<Action> {
    if ev.modifiers.contains(KeyModifiers::ALT) {
        return None;
    }
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    map.iter()
        .find(|b| b.keys.iter().any(|k| k.code == ev.code && k.ctrl == ctrl))
        .map(|b| b.action)
}

/// The key label for a dashboard action, so banners never hard-code a key.
pub fn key_label(action: Action) -> &'static str {
    KEYMAP
        .iter()
        .find(|b| b.action == action)
        .map(|b| b.label)
        .unwrap_or("?")
}

/// A character typed into a field: no Ctrl or Alt.
pub fn typed_char(ev: &KeyEvent) -> Option<char> {
    match ev.code {
        KeyCode::Char(c)
            if !ev
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}

/// Ctrl-C quits from anywhere, whatever is open.
pub fn is_ctrl_c(ev: &KeyEvent) -> bool {
    ev.modifiers.contains(KeyModifiers::CONTROL)
        && matches!(ev.code, KeyCode::Char('c') | KeyCode::Char('C'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn every_mode_maps_each_key_to_one_action() {
        for map in [
            KEYMAP,
            KEY_ENTRY,
            PASSPHRASE,
            CONFIRM_COMPANY,
            PICKER,
            SANDBOX,
            HELP,
            DETAIL,
            FILTER,
            DATE_FIELD,
        ] {
            let mut seen = Vec::new();
            for b in map {
                for k in b.keys {
                    assert!(!seen.contains(k), "{k:?} is bound twice");
                    seen.push(*k);
                }
            }
        }
    }

    #[test]
    fn ctrl_and_alt_are_told_apart() {
        let none = KeyModifiers::NONE;
        assert_eq!(
            action_for(KEYMAP, &key(KeyCode::Char('q'), none)),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(KEYMAP, &key(KeyCode::Char('q'), KeyModifiers::ALT)),
            None
        );
        assert_eq!(
            action_for(KEY_ENTRY, &key(KeyCode::Char('u'), KeyModifiers::CONTROL)),
            Some(Action::ClearField)
        );
        assert_eq!(action_for(KEY_ENTRY, &key(KeyCode::Char('u'), none)), None);
        assert_eq!(key_label(Action::EnterKey), "e");
        assert_eq!(
            action_for(KEYMAP, &key(KeyCode::Char('k'), none)),
            Some(Action::Newer),
            "k moves, as in vim"
        );
    }
}
