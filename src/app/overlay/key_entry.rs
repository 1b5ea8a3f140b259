//! The key entry field: masked, accepts paste, with an optional expiry date.

use super::super::keymap::{self, Action};
use super::super::model::{App, PendingActivation};
use super::super::msg::{Attempt, Cmd};
use super::super::update::start_activation;
use super::{Overlay, PassphrasePrompt};
use crate::domain::sentence;
use crate::lifecycle::{CompanyChange, ReplaceOptions};
use crate::secret::{ApiKey, MAX_KEY_BYTES};
use ratatui::crossterm::event::KeyEvent;
use zeroize::Zeroizing;

/// A paste longer than this is not a key and is not kept in memory at all.
pub(crate) const MAX_PASTE: usize = 4 * MAX_KEY_BYTES;
const DATE_LEN: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyField {
    Key,
    Expiry,
}

/// The text is zeroed when dropped and only ever drawn as mask characters.
pub struct KeyEntry {
    pub text: Zeroizing<String>,
    pub expiry: String,
    pub focus: KeyField,
    pub error: Option<String>,
    pub warning: Option<String>,
    pub busy: bool,
}

impl Default for KeyEntry {
    fn default() -> Self {
        KeyEntry {
            text: Zeroizing::new(String::new()),
            expiry: String::new(),
            focus: KeyField::Key,
            error: None,
            warning: None,
            busy: false,
        }
    }
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("text", &format_args!("<{} characters>", self.len()))
            .field("expiry", &self.expiry)
            .field("focus", &self.focus)
            .field("error", &self.error)
            .field("busy", &self.busy)
            .finish_non_exhaustive()
    }
}

impl KeyEntry {
    /// How many characters have been entered (what the mask shows).
    pub fn len(&self) -> usize {
        self.text.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub(super) fn paste(&mut self, text: &str) {
        let text = text.trim_end_matches(['\r', '\n']);
        if text.len() > MAX_PASTE {
            self.error = Some(format!(
                "That paste is {} bytes: far too long for a key. Copy only the key.",
                text.len()
            ));
            return;
        }
        match self.focus {
            KeyField::Key => self.text.push_str(text),
            KeyField::Expiry => {
                let room = DATE_LEN.saturating_sub(self.expiry.len());
                self.expiry.extend(text.chars().take(room));
            }
        }
        self.error = None;
    }
}

pub(super) fn on_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    let Overlay::KeyEntry(entry) = &mut app.overlay else {
        return vec![];
    };
    match keymap::action_for(keymap::KEY_ENTRY, &ev) {
        Some(Action::Cancel) => app.overlay = Overlay::None,
        Some(Action::Submit) => return submit(app),
        Some(Action::NextField) => {
            entry.focus = match entry.focus {
                KeyField::Key => KeyField::Expiry,
                KeyField::Expiry => KeyField::Key,
            };
        }
        Some(Action::DeleteChar) => {
            match entry.focus {
                KeyField::Key => {
                    entry.text.pop();
                }
                KeyField::Expiry => {
                    entry.expiry.pop();
                }
            }
            entry.error = None;
        }
        Some(Action::ClearField) => {
            match entry.focus {
                KeyField::Key => entry.text.clear(),
                KeyField::Expiry => entry.expiry.clear(),
            }
            entry.error = None;
        }
        _ => {
            if let Some(c) = keymap::typed_char(&ev) {
                match entry.focus {
                    KeyField::Key if entry.text.len() < MAX_PASTE => entry.text.push(c),
                    KeyField::Expiry if entry.expiry.len() < DATE_LEN => entry.expiry.push(c),
                    _ => {}
                }
                entry.error = None;
            }
        }
    }
    vec![]
}

fn submit(app: &mut App) -> Vec<Cmd> {
    let Overlay::KeyEntry(entry) = &mut app.overlay else {
        return vec![];
    };
    let (key, warnings) = match ApiKey::parse(&entry.text) {
        Ok(parsed) => parsed,
        Err(e) => {
            entry.error = Some(sentence(&e.to_string()));
            entry.focus = KeyField::Key;
            return vec![];
        }
    };
    let expires_on = if entry.expiry.trim().is_empty() {
        None
    } else {
        match entry.expiry.trim().parse::<jiff::civil::Date>() {
            Ok(d) => Some(d),
            Err(_) => {
                entry.error =
                    Some("The expiry date must look like 2027-03-31 (YYYY-MM-DD).".into());
                entry.focus = KeyField::Expiry;
                return vec![];
            }
        }
    };
    entry.warning = warnings.first().map(|w| sentence(w.message()));
    entry.error = None;
    let opts = ReplaceOptions {
        expires_on,
        company: None,
        company_change: CompanyChange::Ask,
    };
    if app.needs_new_passphrase {
        // The key file does not exist yet: choose its passphrase first, then activate.
        app.pending_activation = Some(PendingActivation { key, opts });
        app.overlay = Overlay::Passphrase(PassphrasePrompt {
            creating: true,
            ..PassphrasePrompt::default()
        });
        return vec![];
    }
    entry.busy = true;
    start_activation(
        app,
        Attempt {
            key: Some(key),
            opts,
        },
    )
}
