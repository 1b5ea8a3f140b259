//! The sandbox's switches and demo keys, in the dashboard (sandbox only).

use super::super::keymap::{self, Action};
use super::super::model::App;
use super::super::msg::Cmd;
use super::{KeyEntry, Overlay};
use ratatui::crossterm::event::KeyEvent;
use zeroize::Zeroizing;

/// What the sandbox panel can do to the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxAction {
    RevokeKey,
    ExpireKey,
    RestoreKey,
    DropScope,
    InstallationError,
    InstallationInactive,
    RateLimitStorm,
    Outage,
    SlowResponses,
    ClearFaults,
    Reset,
}

impl SandboxAction {
    pub const ALL: [SandboxAction; 11] = [
        SandboxAction::RevokeKey,
        SandboxAction::ExpireKey,
        SandboxAction::RestoreKey,
        SandboxAction::DropScope,
        SandboxAction::InstallationError,
        SandboxAction::InstallationInactive,
        SandboxAction::RateLimitStorm,
        SandboxAction::Outage,
        SandboxAction::SlowResponses,
        SandboxAction::ClearFaults,
        SandboxAction::Reset,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SandboxAction::RevokeKey => "Revoke the current key",
            SandboxAction::ExpireKey => "Expire the current key",
            SandboxAction::RestoreKey => "Restore the current key",
            SandboxAction::DropScope => "Drop export-jobs:write from the current key",
            SandboxAction::InstallationError => "Set the installation to ERROR (NOT_ENTITLED)",
            SandboxAction::InstallationInactive => "Set the installation to INACTIVE",
            SandboxAction::RateLimitStorm => "429 storm (Retry-After 30 s)",
            SandboxAction::Outage => "Outage (503)",
            SandboxAction::SlowResponses => "Slow responses (3 s)",
            SandboxAction::ClearFaults => "Clear faults",
            SandboxAction::Reset => "Reset the sandbox",
        }
    }
}

#[derive(Debug, Default)]
pub struct SandboxPanel {
    /// Index into `SandboxAction::ALL` followed by the demo keys.
    pub selected: usize,
}

pub(super) fn on_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    let Overlay::Sandbox(panel) = &mut app.overlay else {
        return vec![];
    };
    let rows = SandboxAction::ALL.len() + app.ctx.demo_keys.len();
    match keymap::action_for(keymap::SANDBOX, &ev) {
        Some(Action::Close) => app.overlay = Overlay::None,
        Some(Action::Up) => panel.selected = panel.selected.saturating_sub(1),
        Some(Action::Down) => panel.selected = (panel.selected + 1).min(rows.saturating_sub(1)),
        Some(Action::Submit) => {
            let i = panel.selected;
            if let Some(action) = SandboxAction::ALL.get(i) {
                let action = *action;
                app.overlay = Overlay::None;
                return vec![Cmd::Sandbox { action }];
            }
            // A demo key: open the key modal with it filled in (shown masked, like any key).
            let demo = i
                .checked_sub(SandboxAction::ALL.len())
                .and_then(|j| app.ctx.demo_keys.get(j));
            if let Some((_, key, _)) = demo {
                app.overlay = Overlay::KeyEntry(KeyEntry {
                    text: Zeroizing::new(key.clone()),
                    ..KeyEntry::default()
                });
            }
        }
        _ => {}
    }
    vec![]
}
