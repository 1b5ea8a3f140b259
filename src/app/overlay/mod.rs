//! The overlays drawn over the dashboard, each in its own module with its state, its keys and
//! its footer hints: key entry, passphrase, company confirmation, company picker, sandbox panel
//! and help.

mod call_detail;
mod company_picker;
mod confirm_company;
mod expiry;
mod help;
mod key_entry;
mod passphrase;
mod sandbox_panel;

pub use call_detail::CallDetail;
pub use company_picker::CompanyPicker;
pub use confirm_company::ConfirmCompany;
pub use expiry::ExpiryPrompt;
pub use key_entry::{KeyEntry, KeyField};
pub use passphrase::PassphrasePrompt;
pub use sandbox_panel::{SandboxAction, SandboxPanel};

use super::keymap::{self, Binding};
use super::model::App;
use super::msg::Cmd;
use ratatui::crossterm::event::KeyEvent;

#[derive(Debug, Default)]
pub enum Overlay {
    #[default]
    None,
    KeyEntry(KeyEntry),
    ConfirmCompany(ConfirmCompany),
    ChooseCompany(CompanyPicker),
    Passphrase(PassphrasePrompt),
    Expiry(ExpiryPrompt),
    Help,
    Sandbox(SandboxPanel),
    CallDetail(CallDetail),
    /// The calls filter is being typed (its text is `App::list.filter`).
    Filter,
}

/// Open the selected call's detail.
pub fn open_call(app: &mut App) {
    call_detail::open(app);
}

impl Overlay {
    /// Waiting for Pleo or the store: the overlay takes no keys but Ctrl-C.
    pub fn is_busy(&self) -> bool {
        match self {
            Overlay::KeyEntry(o) => o.busy,
            Overlay::ConfirmCompany(o) => o.busy,
            Overlay::ChooseCompany(o) => o.busy,
            Overlay::Passphrase(o) => o.busy,
            Overlay::Expiry(o) => o.busy,
            Overlay::None
            | Overlay::Help
            | Overlay::Sandbox(_)
            | Overlay::CallDetail(_)
            | Overlay::Filter => false,
        }
    }

    /// The keys that work now, for handling and the footer. `None`: the dashboard's own.
    pub fn keymap(&self) -> Option<&'static [Binding]> {
        if self.is_busy() {
            return Some(keymap::BUSY);
        }
        Some(match self {
            Overlay::None => return None,
            Overlay::KeyEntry(_) => keymap::KEY_ENTRY,
            Overlay::ConfirmCompany(_) => keymap::CONFIRM_COMPANY,
            Overlay::ChooseCompany(_) => keymap::PICKER,
            Overlay::Passphrase(_) => keymap::PASSPHRASE,
            Overlay::Expiry(_) => keymap::DATE_FIELD,
            Overlay::Help => keymap::HELP,
            Overlay::Sandbox(_) => keymap::SANDBOX,
            Overlay::CallDetail(_) => keymap::DETAIL,
            Overlay::Filter => keymap::FILTER,
        })
    }

    /// The footer's words for an action whose meaning depends on the overlay's step.
    pub fn short_for(&self, b: &Binding) -> &'static str {
        match (self, b.action) {
            (Overlay::Passphrase(p), keymap::Action::Submit) if p.creating => {
                if p.first.is_none() {
                    "next"
                } else {
                    "save the key"
                }
            }
            _ => b.short,
        }
    }
}

/// A key press while an overlay is open. `None` when none is.
pub(super) fn on_key(app: &mut App, ev: KeyEvent) -> Option<Vec<Cmd>> {
    if app.overlay.is_busy() {
        // Pleo is being asked: the fields are frozen until it answers.
        return if matches!(app.overlay, Overlay::None) {
            None
        } else {
            Some(vec![])
        };
    }
    Some(match &app.overlay {
        Overlay::None => return None,
        Overlay::KeyEntry(_) => key_entry::on_key(app, ev),
        Overlay::ConfirmCompany(_) => confirm_company::on_key(app, ev),
        Overlay::ChooseCompany(_) => company_picker::on_key(app, ev),
        Overlay::Passphrase(_) => passphrase::on_key(app, ev),
        Overlay::Expiry(_) => expiry::on_key(app, ev),
        Overlay::Help => help::on_key(app, ev),
        Overlay::Sandbox(_) => sandbox_panel::on_key(app, ev),
        Overlay::CallDetail(_) => call_detail::on_key(app, ev),
        Overlay::Filter => call_detail::on_filter_key(app, ev),
    })
}

/// A paste: into the open field, if any; never as key presses anywhere.
pub(super) fn on_paste(app: &mut App, text: &str) {
    match &mut app.overlay {
        Overlay::KeyEntry(entry) if !entry.busy => entry.paste(text),
        Overlay::Passphrase(p) if !p.busy => p.paste(text),
        Overlay::Expiry(p) if !p.busy => p.paste(text),
        _ => {}
    }
}
