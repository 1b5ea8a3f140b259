//! The dashboard's own keys (no dialog open): what each one does to the model.

use super::calls_view::View;
use super::keymap::{self, Action};
use super::model::{App, Banner, BannerLevel, countdown};
use super::msg::{Attempt, Cmd};
use super::overlay::{ExpiryPrompt, KeyEntry, Overlay, PassphrasePrompt, SandboxPanel};
use super::update::{quit, start_activation, start_check};
use crate::lifecycle::{CompanyChange, Degradation, Lifecycle, ReplaceOptions};
use ratatui::crossterm::event::KeyEvent;

pub(super) fn on_dashboard_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    let Some(action) = keymap::action_for(keymap::KEYMAP, &ev) else {
        return vec![];
    };
    match action {
        Action::Quit => quit(app),
        Action::Help => {
            app.overlay = Overlay::Help;
            vec![]
        }
        Action::EnterKey => {
            app.overlay = Overlay::KeyEntry(KeyEntry::default());
            vec![]
        }
        Action::Revalidate => {
            if !app.has_key {
                return vec![];
            }
            // Pleo asked to wait (Retry-After): asking sooner only earns another 429.
            if let (
                Lifecycle::Degraded(Degradation::RateLimited {
                    retry_after: Some(_),
                }),
                Some(at),
            ) = (&app.lifecycle, app.next_check_at)
                && at > app.now
            {
                app.notice = Some(Banner::new(
                    BannerLevel::Info,
                    format!(
                        "Pleo asked to wait (Retry-After): the next check runs at {} UTC, in {}.",
                        at.strftime("%H:%M:%S"),
                        countdown(app.now, at)
                    ),
                ));
                return vec![];
            }
            app.notice = None;
            // The pending retry is this check: it is not run again right after.
            app.next_check_at = None;
            app.manual_check = true;
            start_check(app)
        }
        Action::Reactivate => {
            if !app.has_key {
                return vec![];
            }
            let cmds = start_activation(
                app,
                Attempt {
                    key: None,
                    opts: ReplaceOptions {
                        company_change: CompanyChange::Ask,
                        ..ReplaceOptions::default()
                    },
                },
            );
            app.check_in_flight = true;
            cmds
        }
        Action::SetExpiry => {
            if app.facts.is_some() {
                app.overlay = Overlay::Expiry(ExpiryPrompt::for_app(app));
            }
            vec![]
        }
        Action::Unlock => {
            if matches!(
                app.lifecycle,
                Lifecycle::StorageError {
                    needs_passphrase: true,
                    ..
                }
            ) {
                app.overlay = Overlay::Passphrase(PassphrasePrompt::default());
            }
            vec![]
        }
        Action::SandboxPanel => {
            if app.ctx.sandbox {
                app.overlay = Overlay::Sandbox(SandboxPanel::default());
            }
            vec![]
        }
        Action::NextView => {
            app.list.view = app.list.view.next();
            app.list.to_newest();
            vec![]
        }
        Action::Newer | Action::Older | Action::PageNewer | Action::PageOlder => {
            let total = app.list_len();
            let page = app.list.page_rows();
            let delta = match action {
                Action::Newer => -1,
                Action::Older => 1,
                Action::PageNewer => -page,
                _ => page,
            };
            app.list.move_by(delta, total);
            vec![]
        }
        Action::Newest => {
            app.list.to_newest();
            vec![]
        }
        Action::Oldest => {
            let total = app.list_len();
            app.list.to_oldest(total);
            vec![]
        }
        Action::Open => {
            if app.list.view == View::Calls {
                crate::app::overlay::open_call(app);
            }
            vec![]
        }
        Action::Filter => {
            app.list.view = View::Calls;
            app.overlay = Overlay::Filter;
            vec![]
        }
        Action::CopyCompany => match &app.facts {
            Some(f) => {
                app.notice = Some(Banner::new(
                    BannerLevel::Info,
                    format!(
                        "Copied the company id {} (OSC 52: the terminal must allow clipboard access).",
                        f.company_id
                    ),
                ));
                vec![Cmd::Copy {
                    text: f.company_id.to_string(),
                }]
            }
            None => vec![],
        },
        Action::CopyStatus => {
            app.notice = Some(Banner::new(
                BannerLevel::Info,
                "Copied the status as JSON (OSC 52: the terminal must allow clipboard access).",
            ));
            vec![Cmd::Copy {
                text: status_json(app),
            }]
        }
        _ => vec![],
    }
}

/// What `check --json` would print for what the dashboard shows.
fn status_json(app: &App) -> String {
    let outcome = crate::lifecycle::Outcome {
        reason: app.reason,
        facts: app.facts.clone(),
        key: app.facts.as_ref().map(|f| f.key.clone()),
        checked_at: app.last_checked_at,
        ..crate::lifecycle::Outcome::bare(app.lifecycle.clone())
    };
    let endpoint = crate::pleo::Endpoint::custom(&app.ctx.base_url, app.ctx.environment)
        .unwrap_or_else(|_| crate::pleo::Endpoint::for_environment(app.ctx.environment));
    crate::commands::report::Report::new(
        &outcome,
        crate::commands::report::Command::Status,
        &endpoint,
        &app.ctx.required_scopes,
        app.now.to_zoned(jiff::tz::TimeZone::UTC).date(),
    )
    .to_json()
}
