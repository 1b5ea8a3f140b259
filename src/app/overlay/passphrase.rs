//! The encrypted key file's passphrase, asked inside the dashboard (a raw-mode terminal cannot
//! take a prompt): to unlock the file, or chosen twice for a new one.

use super::super::keymap::{self, Action};
use super::super::model::App;
use super::super::msg::Cmd;
use super::{KeyEntry, Overlay};
use crate::lifecycle::Lifecycle;
use ratatui::crossterm::event::KeyEvent;
use secrecy::SecretString;
use zeroize::Zeroizing;

#[derive(Default)]
pub struct PassphrasePrompt {
    pub text: Zeroizing<String>,
    pub error: Option<String>,
    pub busy: bool,
    /// Choosing the passphrase of a new key file: asked twice.
    pub creating: bool,
    /// The first entry while the second is typed.
    pub first: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for PassphrasePrompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassphrasePrompt")
            .field("text", &"<redacted>")
            .field("error", &self.error)
            .field("busy", &self.busy)
            .field("creating", &self.creating)
            .finish_non_exhaustive()
    }
}

impl PassphrasePrompt {
    pub(super) fn paste(&mut self, text: &str) {
        let text = text.trim_end_matches(['\r', '\n']);
        if text.len() <= super::key_entry::MAX_PASTE {
            self.text.push_str(text);
        }
    }
}

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

pub(super) fn on_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    let Overlay::Passphrase(p) = &mut app.overlay else {
        return vec![];
    };
    match keymap::action_for(keymap::PASSPHRASE, &ev) {
        Some(Action::Cancel) if p.creating => {
            // Back out of choosing a passphrase: nothing was stored, the key is dropped.
            app.pending_activation = None;
            app.overlay = Overlay::KeyEntry(KeyEntry::default());
        }
        Some(Action::Cancel) => {
            app.overlay = Overlay::None;
            app.lifecycle = Lifecycle::StorageError {
                detail: "The stored key is locked in its encrypted file.".into(),
                needs_passphrase: true,
            };
            app.reason = app.lifecycle.reason();
        }
        Some(Action::Submit) if p.text.is_empty() => {}
        Some(Action::Submit) if p.creating && p.first.is_none() => {
            p.first = Some(std::mem::take(&mut p.text));
            p.error = None;
        }
        Some(Action::Submit) if p.creating => {
            let matches = p
                .first
                .as_ref()
                .is_some_and(|f| f.as_str() == p.text.as_str());
            if !matches {
                p.first = None;
                p.text = Zeroizing::new(String::new());
                p.error = Some("The two entries differ: choose the passphrase again.".into());
                return vec![];
            }
            p.busy = true;
            p.error = None;
            let passphrase = secret(&std::mem::take(&mut p.text));
            return vec![Cmd::Unlock { passphrase }];
        }
        Some(Action::Submit) => {
            p.busy = true;
            p.error = None;
            return vec![Cmd::Unlock {
                passphrase: secret(&p.text),
            }];
        }
        Some(Action::DeleteChar) => {
            p.text.pop();
        }
        _ => {
            if let Some(c) = keymap::typed_char(&ev) {
                p.text.push(c);
            }
        }
    }
    vec![]
}
