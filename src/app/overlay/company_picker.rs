//! Choose the company an organisation-level key serves (or confirm the one Pleo did not name).

use super::super::keymap::{self, Action};
use super::super::model::App;
use super::super::msg::{Attempt, Cmd};
use super::super::update::start_activation;
use super::Overlay;
use crate::domain::OrganizationId;
use crate::lifecycle::CompanyChoice;
use ratatui::crossterm::event::KeyEvent;

#[derive(Debug)]
pub struct CompanyPicker {
    pub attempt: Attempt,
    pub organization: Option<OrganizationId>,
    pub companies: Vec<CompanyChoice>,
    pub selected: usize,
    pub busy: bool,
}

pub(super) fn on_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    let Overlay::ChooseCompany(p) = &mut app.overlay else {
        return vec![];
    };
    match keymap::action_for(keymap::PICKER, &ev) {
        Some(Action::Up) => p.selected = p.selected.saturating_sub(1),
        Some(Action::Down) => {
            p.selected = (p.selected + 1).min(p.companies.len().saturating_sub(1))
        }
        Some(Action::Cancel) => app.overlay = Overlay::None,
        Some(Action::Submit) => {
            let Some(choice) = p.companies.get(p.selected) else {
                return vec![];
            };
            let mut attempt = p.attempt.clone();
            attempt.opts.company = Some(choice.id);
            p.busy = true;
            return start_activation(app, attempt);
        }
        _ => {}
    }
    vec![]
}
