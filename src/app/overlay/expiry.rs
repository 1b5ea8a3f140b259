//! Record or correct the key's expiry date (as Pleo shows it) without entering the key again.

use super::super::keymap::{self, Action};
use super::super::model::App;
use super::super::msg::Cmd;
use super::Overlay;
use ratatui::crossterm::event::KeyEvent;

const DATE_LEN: usize = 10;

#[derive(Debug, Default)]
pub struct ExpiryPrompt {
    pub text: String,
    pub error: Option<String>,
    pub busy: bool,
}

impl ExpiryPrompt {
    /// Filled in with the date recorded now, to correct it.
    pub fn for_app(app: &App) -> ExpiryPrompt {
        ExpiryPrompt {
            text: app
                .facts
                .as_ref()
                .and_then(|f| f.expires_on)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            ..ExpiryPrompt::default()
        }
    }

    pub(super) fn paste(&mut self, text: &str) {
        let room = DATE_LEN.saturating_sub(self.text.len());
        self.text
            .extend(text.trim().chars().filter(|c| !c.is_control()).take(room));
    }
}

pub(super) fn on_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    let today = app.today();
    let Overlay::Expiry(p) = &mut app.overlay else {
        return vec![];
    };
    match keymap::action_for(keymap::DATE_FIELD, &ev) {
        Some(Action::Cancel) => app.overlay = Overlay::None,
        Some(Action::DeleteChar) => {
            p.text.pop();
            p.error = None;
        }
        Some(Action::ClearField) => {
            p.text.clear();
            p.error = None;
        }
        Some(Action::Submit) => {
            let text = p.text.trim();
            let date = if text.is_empty() {
                None
            } else {
                match text.parse::<jiff::civil::Date>() {
                    Ok(d) if d < today => {
                        p.error = Some(format!(
                            "{d} is in the past: give the date Pleo shows for the key, or clear the field."
                        ));
                        return vec![];
                    }
                    Ok(d) => Some(d),
                    Err(_) => {
                        p.error = Some(format!(
                            "{text:?} is not a date: write it like 2027-03-31 (YYYY-MM-DD)."
                        ));
                        return vec![];
                    }
                }
            };
            p.busy = true;
            p.error = None;
            return vec![Cmd::SetExpiry { date }];
        }
        _ => {
            if let Some(c) = keymap::typed_char(&ev)
                && p.text.len() < DATE_LEN
            {
                p.text.push(c);
                p.error = None;
            }
        }
    }
    vec![]
}
