//! One table of actions: it drives key handling, the footer and the help popup.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    EnterKey,
    Revalidate,
    Reactivate,
    SandboxPanel,
    ScrollUp,
    ScrollDown,
}

pub struct Binding {
    pub action: Action,
    pub key: KeyCode,
    /// As shown in the footer and help ("k", "↑").
    pub label: &'static str,
    pub help: &'static str,
}

pub const KEYMAP: &[Binding] = &[
    Binding {
        action: Action::EnterKey,
        key: KeyCode::Char('k'),
        label: "k",
        help: "enter or replace the API key",
    },
    Binding {
        action: Action::Revalidate,
        key: KeyCode::Char('r'),
        label: "r",
        help: "check with Pleo now",
    },
    Binding {
        action: Action::Reactivate,
        key: KeyCode::Char('a'),
        label: "a",
        help: "re-activate the stored key (full activation)",
    },
    Binding {
        action: Action::SandboxPanel,
        key: KeyCode::Char('s'),
        label: "s",
        help: "sandbox switches and demo keys (sandbox only)",
    },
    Binding {
        action: Action::ScrollUp,
        key: KeyCode::Up,
        label: "↑",
        help: "scroll recent calls to newer",
    },
    Binding {
        action: Action::ScrollDown,
        key: KeyCode::Down,
        label: "↓",
        help: "scroll recent calls to older",
    },
    Binding {
        action: Action::Help,
        key: KeyCode::Char('?'),
        label: "?",
        help: "help: all keys, files and versions",
    },
    Binding {
        action: Action::Quit,
        key: KeyCode::Char('q'),
        label: "q",
        help: "quit (Ctrl-C always quits)",
    },
];

impl Action {
    /// The dashboard's action for a key press, if any.
    pub fn for_key(ev: &KeyEvent) -> Option<Action> {
        if ev
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return None;
        }
        KEYMAP.iter().find(|b| b.key == ev.code).map(|b| b.action)
    }

    /// The key label for an action, so banners never hard-code a key.
    pub fn key_label(self) -> &'static str {
        KEYMAP
            .iter()
            .find(|b| b.action == self)
            .map(|b| b.label)
            .unwrap_or("?")
    }

    pub fn short_label(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::EnterKey => "key",
            Action::Revalidate => "check now",
            Action::Reactivate => "re-activate",
            Action::SandboxPanel => "sandbox",
            Action::ScrollUp | Action::ScrollDown => "scroll",
        }
    }
}

/// Ctrl-C quits from anywhere, whatever is open.
pub fn is_ctrl_c(ev: &KeyEvent) -> bool {
    ev.modifiers.contains(KeyModifiers::CONTROL)
        && matches!(ev.code, KeyCode::Char('c') | KeyCode::Char('C'))
}
