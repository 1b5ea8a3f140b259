//! A key for another company than the connected one: switch only on an explicit yes.

use super::super::keymap::{self, Action};
use super::super::model::{App, Banner, BannerLevel};
use super::super::msg::{Attempt, Cmd};
use super::super::update::{next_generation, start_activation};
use super::Overlay;
use crate::domain::{CompanyId, Text};
use crate::lifecycle::CompanyChange;
use ratatui::crossterm::event::KeyEvent;

#[derive(Debug)]
pub struct ConfirmCompany {
    /// The activation that stopped for confirmation, with its company choice (an organisation
    /// key's chosen company is kept, so confirming does not ask for it again).
    pub attempt: Attempt,
    pub current: CompanyId,
    pub current_name: Option<Text>,
    pub new: CompanyId,
    pub new_name: Option<Text>,
    pub busy: bool,
}

pub(super) fn on_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    let Overlay::ConfirmCompany(c) = &mut app.overlay else {
        return vec![];
    };
    match keymap::action_for(keymap::CONFIRM_COMPANY, &ev) {
        Some(Action::Yes) => {
            c.busy = true;
            let mut attempt = c.attempt.clone();
            attempt.opts.company_change = CompanyChange::Confirm;
            start_activation(app, attempt)
        }
        Some(Action::No) => {
            let company = c.new;
            let key = c.attempt.key.clone();
            app.overlay = Overlay::None;
            app.notice = Some(Banner::new(
                BannerLevel::Info,
                "Keeping the current company: checking the current key again…",
            ));
            let generation = next_generation(app);
            app.check_in_flight = true;
            match key {
                Some(key) => vec![Cmd::DeclineCompanyChange {
                    generation,
                    key,
                    company,
                }],
                None => vec![Cmd::Check { generation }],
            }
        }
        _ => vec![],
    }
}
