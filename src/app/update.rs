//! `update(app, msg) -> Vec<Cmd>`: every change to the dashboard happens here, synchronously.
//! The runtime sets `app.now` before each call, so time is an input like any other.

use super::calls_view::View;
use super::dashboard_keys::on_dashboard_key;
use super::keymap::{self, Action, key_label};
use super::model::{App, Banner, BannerLevel, MAX_CALLS};
use super::msg::{Attempt, Cmd, Msg};
use super::overlay::{self, CompanyPicker, ConfirmCompany, KeyEntry, Overlay};
use crate::lifecycle::{Degradation, Lifecycle, Outcome, Replaced};
use ratatui::crossterm::event::KeyEventKind;
use std::time::Duration;

/// First retry after a transient fault; doubles per failure up to the revalidation interval.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(15);

pub fn update(app: &mut App, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Key(ev) => {
            if ev.kind == KeyEventKind::Release {
                return vec![];
            }
            if keymap::is_ctrl_c(&ev) {
                return quit(app);
            }
            match overlay::on_key(app, ev) {
                Some(cmds) => cmds,
                None => on_dashboard_key(app, ev),
            }
        }
        Msg::Paste(text) => {
            let text = zeroize::Zeroizing::new(text);
            overlay::on_paste(app, &text);
            vec![]
        }
        Msg::Resize(w, h) => {
            app.size = (w, h);
            vec![]
        }
        Msg::Tick => {
            if app.is_animating() {
                app.spinner = app.spinner.wrapping_add(1);
            }
            vec![]
        }
        Msg::CheckDue => {
            // A scheduled check while one runs (a manual one) is simply that one.
            if app.has_key && !app.check_in_flight {
                app.manual_check = false;
                start_check(app)
            } else {
                vec![]
            }
        }
        Msg::CheckFinished {
            generation,
            outcome,
        } => {
            if generation != app.generation {
                return vec![]; // a result for a key that is no longer current
            }
            app.check_in_flight = false;
            let mut cmds = apply_outcome(app, &outcome);
            if let Some(Replaced::Kept { current, .. }) = &outcome.replaced {
                app.notice = Some(kept_notice(current.hint.as_str(), &outcome));
            }
            if app.check_again {
                app.check_again = false;
                cmds.extend(start_check(app));
            }
            cmds
        }
        Msg::ActivationFinished {
            generation,
            outcome,
            attempt,
        } => {
            if generation != app.generation {
                return vec![];
            }
            on_activation(app, *outcome, attempt)
        }
        Msg::StoreChanged(outcome) => on_store_changed(app, *outcome),
        Msg::Call(record) => {
            if app.calls.len() == MAX_CALLS {
                app.calls.pop_front();
            }
            // Keep the row being read selected as new ones arrive on top.
            let shown = app.list.shows(&record);
            app.calls.push_back(record);
            // Only a selection needs the count (and with a filter, that costs a pass).
            if shown && app.list.view == View::Calls && app.list.cursor.is_some() {
                let total = app.list.count(&app.calls);
                app.list.row_added(total);
            }
            vec![]
        }
        Msg::Proxies(proxies) => {
            app.proxies = proxies;
            vec![]
        }
        Msg::Audit(events) => {
            app.audit = events;
            vec![]
        }
        Msg::Checks(checks) => {
            app.checks = checks;
            vec![]
        }
        Msg::StoreUnlocked(result) => on_unlocked(app, result),
        Msg::ExpirySet(result) => {
            match result {
                Ok(facts) => {
                    app.overlay = Overlay::None;
                    let text = match facts.expires_on {
                        Some(d) => format!(
                            "Recorded: the key {} expires on {d}. Warnings start 14 days before.",
                            facts.key.hint
                        ),
                        None => format!("Cleared the expiry date of the key {}.", facts.key.hint),
                    };
                    app.notice = Some(Banner::new(BannerLevel::Success, text));
                    let last_good = app.facts.as_ref().and_then(|f| f.last_good_check);
                    app.facts = Some(crate::domain::ConnectionFacts {
                        last_good_check: last_good,
                        ..*facts
                    });
                }
                Err(message) => {
                    if let Overlay::Expiry(p) = &mut app.overlay {
                        p.busy = false;
                        p.error = Some(message);
                    }
                }
            }
            vec![]
        }
        Msg::SandboxDone(result) => {
            app.notice = Some(match result {
                Ok(text) => Banner::new(
                    BannerLevel::Info,
                    format!(
                        "Sandbox: {text}. Press {} to check now.",
                        key_label(Action::Revalidate)
                    ),
                ),
                Err(text) => {
                    Banner::new(BannerLevel::Error, format!("Sandbox switch failed: {text}"))
                }
            });
            vec![]
        }
        Msg::Shutdown => quit(app),
    }
}

pub(super) fn quit(app: &mut App) -> Vec<Cmd> {
    app.should_quit = true;
    vec![Cmd::Quit]
}

/// Single flight: a second request while one runs only queues one more.
pub(super) fn start_check(app: &mut App) -> Vec<Cmd> {
    if app.check_in_flight {
        app.check_again = true;
        return vec![];
    }
    app.check_in_flight = true;
    vec![Cmd::Check {
        generation: app.generation,
    }]
}

/// A new key (or a deliberate re-activation) starts: everything in flight becomes stale.
pub(super) fn next_generation(app: &mut App) -> u64 {
    app.generation += 1;
    app.check_in_flight = false;
    app.check_again = false;
    app.generation
}

/// Run an activation. The key in use stays as it is until a new one is committed; only a
/// first key (or a re-activation of the stored one) shows the integration as activating.
pub(super) fn start_activation(app: &mut App, attempt: Attempt) -> Vec<Cmd> {
    let generation = next_generation(app);
    if attempt.key.is_none() || !app.lifecycle.is_active() {
        app.lifecycle = Lifecycle::Activating;
        app.reason = app.lifecycle.reason();
    }
    app.notice = None;
    vec![Cmd::Activate {
        generation,
        attempt,
    }]
}

fn on_unlocked(app: &mut App, result: Result<bool, String>) -> Vec<Cmd> {
    match result {
        Ok(has_key) => {
            app.overlay = Overlay::None;
            app.needs_new_passphrase = false;
            if let Some(pending) = app.pending_activation.take() {
                app.overlay = Overlay::KeyEntry(KeyEntry {
                    busy: true,
                    ..KeyEntry::default()
                });
                return start_activation(
                    app,
                    Attempt {
                        key: Some(pending.key),
                        opts: pending.opts,
                    },
                );
            }
            app.has_key = has_key;
            if has_key {
                app.lifecycle = Lifecycle::Activating;
                app.reason = app.lifecycle.reason();
                start_check(app)
            } else {
                app.lifecycle = Lifecycle::NotConfigured;
                app.reason = app.lifecycle.reason();
                vec![]
            }
        }
        Err(message) => {
            if let Overlay::Passphrase(p) = &mut app.overlay {
                p.busy = false;
                p.text = zeroize::Zeroizing::new(String::new());
                p.error = Some(message);
            }
            vec![]
        }
    }
}

fn on_activation(app: &mut App, outcome: Outcome, attempt: Attempt) -> Vec<Cmd> {
    app.check_in_flight = false;
    if outcome.committed || outcome.is_active() {
        app.overlay = Overlay::None;
        app.has_key = true;
        let cmds = apply_outcome(app, &outcome);
        if let Some(f) = &outcome.facts {
            let mut text = format!("Connected to Company ID: {}.", f.company_label());
            if let Some(Replaced::Retired { old }) = &outcome.replaced {
                text.push_str(&format!(
                    " The previous key {} is no longer used: delete it in Pleo (Settings, API keys).",
                    old.hint
                ));
            }
            app.notice = Some(Banner::new(BannerLevel::Success, text));
        }
        return cmds;
    }
    let replacing = attempt.key.is_some() && app.has_key;
    match &outcome.lifecycle {
        Lifecycle::CompanyMismatch {
            expected,
            got,
            got_name,
        } if attempt.key.is_some() => {
            let current_name = app
                .facts
                .as_ref()
                .filter(|f| f.company_id == *expected)
                .and_then(|f| f.company_name.clone());
            app.overlay = Overlay::ConfirmCompany(ConfirmCompany {
                attempt,
                current: *expected,
                current_name,
                new: *got,
                new_name: got_name.clone(),
                busy: false,
            });
            restore_after_attempt(app, &outcome, replacing)
        }
        Lifecycle::CompanyRequired {
            organization,
            companies,
            ..
        } if !companies.is_empty() => {
            app.overlay = Overlay::ChooseCompany(CompanyPicker {
                attempt,
                organization: *organization,
                companies: companies.clone(),
                selected: 0,
                busy: false,
            });
            restore_after_attempt(app, &outcome, replacing)
        }
        _ => {
            // Failed: say what failed inside the modal, and leave the text to fix or replace.
            let message = format!(
                "{} {}",
                outcome.lifecycle.headline(),
                dashboard_hint(&outcome.lifecycle)
            );
            match &mut app.overlay {
                Overlay::KeyEntry(entry) => {
                    entry.busy = false;
                    entry.error = Some(message.trim().to_string());
                }
                _ if attempt.key.is_some() => {
                    // A confirmation or a company choice that failed: back to the key modal.
                    app.overlay = Overlay::KeyEntry(KeyEntry {
                        error: Some(message.trim().to_string()),
                        ..KeyEntry::default()
                    });
                }
                _ => app.overlay = Overlay::None,
            }
            restore_after_attempt(app, &outcome, replacing)
        }
    }
}

/// After a new key was not committed: the dashboard shows the current key's state again (its
/// fresh check when the engine made one), and says the new key was not used.
fn restore_after_attempt(app: &mut App, outcome: &Outcome, replacing: bool) -> Vec<Cmd> {
    if !replacing {
        return apply_outcome(app, outcome);
    }
    match &outcome.replaced {
        Some(Replaced::Kept {
            current,
            check: Some(check),
        }) => {
            let cmds = apply_outcome(app, check);
            app.notice = Some(kept_notice(current.hint.as_str(), check));
            cmds
        }
        _ => {
            // No fresh check (Pleo not answering, or the operator is asked): as it was.
            schedule_next(app)
        }
    }
}

fn kept_notice(hint: &str, check: &Outcome) -> Banner {
    if check.reason.is_active() {
        Banner::new(
            BannerLevel::Info,
            format!("The new key was not used; the current key {hint} is still active."),
        )
    } else {
        Banner::new(
            BannerLevel::Warning,
            format!(
                "The new key was not used; the current key {hint} stays, but is not active either."
            ),
        )
    }
}

/// What to do next, in dashboard words, inside the key modal.
fn dashboard_hint(state: &Lifecycle) -> String {
    match state {
        Lifecycle::KeyRejected => {
            "Check that the key was copied whole and is for this environment, or paste another."
                .into()
        }
        Lifecycle::MissingScopes { .. } => {
            "Create a key with these permissions in Pleo and paste it here.".into()
        }
        Lifecycle::Degraded(_) => "Press Enter to try again.".into(),
        _ => String::new(),
    }
}

/// Another process changed what is stored (a CLI `set-key`, a cron check): show it, and check
/// the new key now if the key itself changed.
fn on_store_changed(app: &mut App, stored: Outcome) -> Vec<Cmd> {
    let key_changed = stored.key.as_ref() != app.facts.as_ref().map(|f| &f.key);
    if stored.facts.is_none() {
        // Forgotten elsewhere.
        next_generation(app);
        app.has_key = false;
        app.facts = None;
        app.lifecycle = Lifecycle::NotConfigured;
        app.reason = app.lifecycle.reason();
        app.next_check_at = None;
        return vec![];
    }
    app.has_key = true;
    if !key_changed {
        // The same key: new facts (an expiry recorded, a name read) or another check's verdict.
        app.facts = stored.facts;
        if !app.check_in_flight {
            app.lifecycle = stored.lifecycle;
            app.reason = stored.reason;
        }
        return vec![];
    }
    let hint = stored
        .key
        .as_ref()
        .map(|k| k.hint.clone())
        .unwrap_or_default();
    app.facts = stored.facts;
    app.lifecycle = stored.lifecycle;
    app.reason = stored.reason;
    app.notice = Some(Banner::new(
        BannerLevel::Info,
        format!("The key was replaced by another pleo-keys: now using {hint}."),
    ));
    // Whatever was in flight was about the old key.
    next_generation(app);
    start_check(app)
}

/// Fold a check or activation outcome into the model, and schedule the next check.
fn apply_outcome(app: &mut App, outcome: &Outcome) -> Vec<Cmd> {
    app.last_checked_at = Some(app.now);
    match &outcome.lifecycle {
        Lifecycle::Active => {
            let was_active = app.lifecycle.is_active();
            app.failures = 0;
            if outcome.facts.is_some() {
                app.facts = outcome.facts.clone();
            }
            if let Some(f) = &mut app.facts {
                f.last_good_check = Some(app.now);
            }
            if !was_active
                && app.notice.is_none()
                && outcome.reason.status().exit_code() == 0
                && let Some(f) = &app.facts
            {
                app.notice = Some(Banner::new(
                    BannerLevel::Success,
                    format!("Connected to Company ID: {}.", f.company_label()),
                ));
            }
        }
        // Transient: keep the last good facts on screen.
        // Only scheduled checks back off further: pressing r again and again does not.
        Lifecycle::Degraded(_) if app.manual_check => app.failures = app.failures.max(1),
        Lifecycle::Degraded(_) => app.failures = app.failures.saturating_add(1),
        Lifecycle::MissingScopes { .. } | Lifecycle::InstallationInactive { .. } => {
            app.failures = 0;
            if let Some(fresh) = &outcome.facts {
                let last_good = app.facts.as_ref().and_then(|f| f.last_good_check);
                let mut fresh = fresh.clone();
                fresh.last_good_check = last_good;
                app.facts = Some(fresh);
            }
        }
        _ => app.failures = 0,
    }
    // A success notice is over once the key fails; a sandbox switch's confirmation stays under
    // the banner it caused.
    if !outcome.lifecycle.is_active()
        && app
            .notice
            .as_ref()
            .is_some_and(|n| n.level == BannerLevel::Success)
    {
        app.notice = None;
    }
    app.lifecycle = outcome.lifecycle.clone();
    app.reason = outcome.reason;
    schedule_next(app)
}

fn schedule_next(app: &mut App) -> Vec<Cmd> {
    if !app.has_key {
        app.next_check_at = None;
        return vec![];
    }
    let every = app.ctx.revalidate_every;
    let delay = match &app.lifecycle {
        Lifecycle::Degraded(d) => {
            let shift = app.failures.saturating_sub(1).min(16);
            let backoff = FIRST_BACKOFF.saturating_mul(1u32 << shift).min(every);
            match d {
                Degradation::RateLimited {
                    retry_after: Some(wait),
                } => backoff.max(*wait),
                _ => backoff,
            }
        }
        _ => every,
    };
    let at = jiff::SignedDuration::try_from(delay)
        .ok()
        .and_then(|d| app.now.checked_add(d).ok())
        .unwrap_or(app.now);
    app.next_check_at = Some(at);
    vec![Cmd::ScheduleCheck { at }]
}
