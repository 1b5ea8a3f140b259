//! `update(app, msg) -> Vec<Cmd>`: every change to the dashboard happens here, synchronously.
//! The runtime sets `app.now` before each call, so time is an input like any other.

use super::keymap::{Action, is_ctrl_c};
use super::model::*;
use crate::lifecycle::engine::ReplaceOptions;
use crate::lifecycle::{CheckStatus, Degradation, Lifecycle};
use crate::pleo::CallRecord;
use crate::secret::{ApiKey, MAX_KEY_BYTES};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::time::Duration;
use zeroize::Zeroizing;

/// First retry after a transient fault; doubles per failure up to the revalidation interval.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(15);
/// A paste longer than this is not a key and is not kept in memory at all.
const MAX_PASTE: usize = 4 * MAX_KEY_BYTES;

/// `Debug` never shows pasted text (it may be a key).
pub enum Msg {
    Key(KeyEvent),
    /// Bracketed paste: one event, never keystrokes that could fire bindings.
    Paste(String),
    Resize(u16, u16),
    /// The runtime's clock moved (spinner frame, countdowns).
    Tick,
    /// The revalidation timer fired.
    CheckDue,
    CheckFinished {
        generation: u64,
        result: RunResult,
    },
    /// A new key, a confirmed company change, a chosen company, or a re-activation finished.
    ActivationFinished {
        generation: u64,
        result: RunResult,
        /// The key that was tried, when it was a new one (needed to confirm a company change).
        key: Option<ApiKey>,
        expires_on: Option<jiff::civil::Date>,
    },
    Call(CallRecord),
    /// The file store was unlocked (Ok(has a key)) or not (Err(message)).
    StoreUnlocked(Result<bool, String>),
    SandboxDone(Result<String, String>),
    /// SIGTERM, SIGHUP or SIGINT.
    Shutdown,
}

/// `Debug` never shows the passphrase; keys are `ApiKey`, which redacts itself.
#[derive(Debug)]
pub enum Cmd {
    Check {
        generation: u64,
    },
    Activate {
        generation: u64,
        key: ApiKey,
        opts: ReplaceOptions,
    },
    Reactivate {
        generation: u64,
    },
    /// Replace any pending revalidation timer with one at `at`.
    ScheduleCheck {
        at: jiff::Timestamp,
    },
    Unlock {
        passphrase: Redacted,
    },
    Sandbox {
        action: SandboxAction,
    },
    Quit,
}

/// A secret string whose `Debug` says only that it is there.
pub struct Redacted(pub Zeroizing<String>);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Msg::Key(ev) => write!(f, "Key({ev:?})"),
            Msg::Paste(text) => write!(f, "Paste(<{} bytes>)", text.len()),
            Msg::Resize(w, h) => write!(f, "Resize({w}, {h})"),
            Msg::Tick => f.write_str("Tick"),
            Msg::CheckDue => f.write_str("CheckDue"),
            Msg::CheckFinished { generation, result } => {
                write!(
                    f,
                    "CheckFinished({generation}, {})",
                    result.lifecycle.reason()
                )
            }
            Msg::ActivationFinished {
                generation, result, ..
            } => {
                write!(
                    f,
                    "ActivationFinished({generation}, {})",
                    result.lifecycle.reason()
                )
            }
            Msg::Call(c) => write!(f, "Call({} {})", c.method, c.path),
            Msg::StoreUnlocked(r) => write!(f, "StoreUnlocked({})", r.is_ok()),
            Msg::SandboxDone(r) => write!(f, "SandboxDone({})", r.is_ok()),
            Msg::Shutdown => f.write_str("Shutdown"),
        }
    }
}

pub fn update(app: &mut App, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Key(ev) => {
            if ev.kind == KeyEventKind::Release {
                return vec![];
            }
            if is_ctrl_c(&ev) {
                return quit(app);
            }
            on_key(app, ev)
        }
        Msg::Paste(text) => on_paste(app, text),
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
            if app.has_key {
                start_check(app)
            } else {
                vec![]
            }
        }
        Msg::CheckFinished { generation, result } => {
            if generation != app.generation {
                return vec![]; // a result for a key that is no longer current
            }
            app.check_in_flight = false;
            let mut cmds = apply_result(app, result);
            if app.check_again {
                app.check_again = false;
                cmds.extend(start_check(app));
            }
            cmds
        }
        Msg::ActivationFinished {
            generation,
            result,
            key,
            expires_on,
        } => {
            if generation != app.generation {
                return vec![];
            }
            on_activation(app, result, key, expires_on)
        }
        Msg::Call(record) => {
            if app.calls.len() == MAX_CALLS {
                app.calls.pop_front();
            }
            app.calls.push_back(record);
            if app.calls_scroll > 0 {
                // Keep the rows being read in place as new ones arrive on top.
                app.calls_scroll = (app.calls_scroll + 1).min(app.calls.len().saturating_sub(1));
            }
            vec![]
        }
        Msg::StoreUnlocked(result) => match result {
            Ok(has_key) => {
                app.overlay = Overlay::None;
                app.needs_new_passphrase = false;
                if let Some((key, opts)) = app.pending_activation.take() {
                    app.overlay = Overlay::KeyEntry(KeyEntry {
                        busy: true,
                        ..KeyEntry::default()
                    });
                    return start_activation(app, key, opts);
                }
                app.has_key = has_key;
                if has_key {
                    app.lifecycle = Lifecycle::Activating;
                    start_check(app)
                } else {
                    app.lifecycle = Lifecycle::NotConfigured;
                    vec![]
                }
            }
            Err(message) => {
                if let Overlay::Passphrase(p) = &mut app.overlay {
                    p.busy = false;
                    p.text = Zeroizing::new(String::new());
                    p.error = Some(message);
                }
                vec![]
            }
        },
        Msg::SandboxDone(result) => {
            app.notice = Some(match result {
                Ok(text) => Banner {
                    level: BannerLevel::Info,
                    text: format!(
                        "Sandbox: {text}. Press {} to check now.",
                        Action::Revalidate.key_label()
                    ),
                },
                Err(text) => Banner {
                    level: BannerLevel::Error,
                    text: format!("Sandbox switch failed: {text}"),
                },
            });
            vec![]
        }
        Msg::Shutdown => quit(app),
    }
}

fn quit(app: &mut App) -> Vec<Cmd> {
    app.should_quit = true;
    vec![Cmd::Quit]
}

/// Single flight: a second request while one runs only queues one more.
fn start_check(app: &mut App) -> Vec<Cmd> {
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
fn next_generation(app: &mut App) -> u64 {
    app.generation += 1;
    app.check_in_flight = false;
    app.check_again = false;
    app.generation
}

fn on_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    match &mut app.overlay {
        Overlay::None => {}
        Overlay::Help => {
            if matches!(
                ev.code,
                KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') | KeyCode::Enter
            ) {
                app.overlay = Overlay::None;
            }
            return vec![];
        }
        Overlay::KeyEntry(_) => return key_entry_key(app, ev),
        Overlay::ConfirmCompany(_) => return confirm_key(app, ev),
        Overlay::ChooseCompany(_) => return picker_key(app, ev),
        Overlay::Passphrase(_) => return passphrase_key(app, ev),
        Overlay::Sandbox(_) => return sandbox_key(app, ev),
    }
    let Some(action) = Action::for_key(&ev) else {
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
            if app.has_key {
                app.notice = None;
                start_check(app)
            } else {
                vec![]
            }
        }
        Action::Reactivate => {
            if !app.has_key {
                return vec![];
            }
            let generation = next_generation(app);
            app.check_in_flight = true;
            app.lifecycle = Lifecycle::Activating;
            app.notice = None;
            vec![Cmd::Reactivate { generation }]
        }
        Action::SandboxPanel => {
            if app.ctx.sandbox {
                app.overlay = Overlay::Sandbox(SandboxPanel::default());
            }
            vec![]
        }
        Action::ScrollUp => {
            app.calls_scroll = app.calls_scroll.saturating_sub(1);
            vec![]
        }
        Action::ScrollDown => {
            app.calls_scroll = (app.calls_scroll + 1).min(app.calls.len().saturating_sub(1));
            vec![]
        }
    }
}

fn plain_char(ev: &KeyEvent) -> Option<char> {
    match ev.code {
        KeyCode::Char(c)
            if !ev
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}

fn key_entry_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    let Overlay::KeyEntry(entry) = &mut app.overlay else {
        return vec![];
    };
    if entry.busy {
        return vec![]; // activation running: the field is frozen until it answers
    }
    let clear_line = ev.modifiers.contains(KeyModifiers::CONTROL) && ev.code == KeyCode::Char('u');
    match ev.code {
        KeyCode::Esc => {
            app.overlay = Overlay::None;
            return vec![];
        }
        KeyCode::Enter => return submit_key(app),
        KeyCode::Tab | KeyCode::BackTab => {
            entry.focus = match entry.focus {
                KeyField::Key => KeyField::Expiry,
                KeyField::Expiry => KeyField::Key,
            };
        }
        KeyCode::Backspace => {
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
        _ if clear_line => {
            match entry.focus {
                KeyField::Key => entry.text.clear(),
                KeyField::Expiry => entry.expiry.clear(),
            }
            entry.error = None;
        }
        _ => {
            if let Some(c) = plain_char(&ev) {
                match entry.focus {
                    KeyField::Key if entry.text.len() < MAX_PASTE => entry.text.push(c),
                    KeyField::Expiry if entry.expiry.len() < 10 => entry.expiry.push(c),
                    _ => {}
                }
                entry.error = None;
            }
        }
    }
    vec![]
}

fn submit_key(app: &mut App) -> Vec<Cmd> {
    let Overlay::KeyEntry(entry) = &mut app.overlay else {
        return vec![];
    };
    let (key, warnings) = match ApiKey::parse(&entry.text) {
        Ok(parsed) => parsed,
        Err(e) => {
            entry.error = Some(capitalise(&e.to_string()));
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
    entry.warning = warnings.first().map(|w| capitalise(w.message()));
    entry.error = None;
    let opts = ReplaceOptions {
        expires_on,
        company: None,
        confirm_company_change: false,
    };
    if app.needs_new_passphrase {
        // The key file does not exist yet: choose its passphrase first, then activate.
        app.pending_activation = Some((key, opts));
        app.overlay = Overlay::Passphrase(PassphrasePrompt {
            creating: true,
            ..PassphrasePrompt::default()
        });
        return vec![];
    }
    entry.busy = true;
    start_activation(app, key, opts)
}

fn start_activation(app: &mut App, key: ApiKey, opts: ReplaceOptions) -> Vec<Cmd> {
    let generation = next_generation(app);
    app.lifecycle = Lifecycle::Activating;
    app.notice = None;
    vec![Cmd::Activate {
        generation,
        key,
        opts,
    }]
}

fn on_paste(app: &mut App, text: String) -> Vec<Cmd> {
    let text = Zeroizing::new(text);
    let trimmed = text.trim_end_matches(['\r', '\n']);
    match &mut app.overlay {
        Overlay::KeyEntry(entry) if !entry.busy => {
            if trimmed.len() > MAX_PASTE {
                entry.error = Some(format!(
                    "That paste is {} bytes: far too long for a key. Copy only the key.",
                    trimmed.len()
                ));
                return vec![];
            }
            match entry.focus {
                KeyField::Key => entry.text.push_str(trimmed),
                KeyField::Expiry => {
                    let room = 10usize.saturating_sub(entry.expiry.len());
                    entry.expiry.extend(trimmed.chars().take(room));
                }
            }
            entry.error = None;
        }
        Overlay::Passphrase(p) if !p.busy && trimmed.len() <= MAX_PASTE => {
            p.text.push_str(trimmed);
        }
        // Anywhere else a paste is ignored: it must never act as key presses.
        _ => {}
    }
    vec![]
}

fn confirm_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    let Overlay::ConfirmCompany(c) = &mut app.overlay else {
        return vec![];
    };
    if c.busy {
        return vec![];
    }
    match ev.code {
        KeyCode::Char('y') | KeyCode::Char('Y') => {
            c.busy = true;
            let key = c.key.clone();
            let opts = ReplaceOptions {
                expires_on: c.expires_on,
                company: None,
                confirm_company_change: true,
            };
            start_activation(app, key, opts)
        }
        KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
            let current = c.current_id.clone();
            let current_name = c.current_name.clone();
            app.overlay = Overlay::None;
            app.pending_replacement = true;
            let shown = match current_name {
                Some(n) => format!("{current} ({n})"),
                None => current,
            };
            app.lifecycle = Lifecycle::Superseded {
                detail: format!("Company change declined: still bound to {shown}, but not active."),
            };
            vec![]
        }
        _ => vec![],
    }
}

fn picker_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    let Overlay::ChooseCompany(p) = &mut app.overlay else {
        return vec![];
    };
    if p.busy {
        return vec![];
    }
    match ev.code {
        KeyCode::Up => p.selected = p.selected.saturating_sub(1),
        KeyCode::Down => p.selected = (p.selected + 1).min(p.companies.len().saturating_sub(1)),
        KeyCode::Esc => app.overlay = Overlay::None,
        KeyCode::Enter => {
            let Some((id, _)) = p.companies.get(p.selected) else {
                return vec![];
            };
            let opts = ReplaceOptions {
                expires_on: p.expires_on,
                company: Some(id.clone()),
                confirm_company_change: false,
            };
            p.busy = true;
            let key = p.key.clone();
            return start_activation(app, key, opts);
        }
        _ => {}
    }
    vec![]
}

fn passphrase_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    let Overlay::Passphrase(p) = &mut app.overlay else {
        return vec![];
    };
    if p.busy {
        return vec![];
    }
    match ev.code {
        KeyCode::Esc if p.creating => {
            // Back out of choosing a passphrase: nothing was stored, the key is dropped.
            app.pending_activation = None;
            app.overlay = Overlay::KeyEntry(KeyEntry::default());
        }
        KeyCode::Enter if p.creating && p.first.is_none() && !p.text.is_empty() => {
            p.first = Some(std::mem::take(&mut p.text));
            p.error = None;
        }
        KeyCode::Enter if p.creating && !p.text.is_empty() => {
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
            let passphrase = Redacted(std::mem::take(&mut p.text));
            return vec![Cmd::Unlock { passphrase }];
        }
        KeyCode::Esc => {
            app.overlay = Overlay::None;
            app.lifecycle = Lifecycle::StorageError {
                detail: format!(
                    "The stored key is locked in its encrypted file. Restart pleo-keys to unlock it, or press {} to enter a key.",
                    Action::EnterKey.key_label()
                ),
            };
        }
        KeyCode::Enter if !p.text.is_empty() => {
            p.busy = true;
            p.error = None;
            let passphrase = Redacted(Zeroizing::new(p.text.to_string()));
            return vec![Cmd::Unlock { passphrase }];
        }
        KeyCode::Backspace => {
            p.text.pop();
        }
        _ => {
            if let Some(c) = plain_char(&ev) {
                p.text.push(c);
            }
        }
    }
    vec![]
}

fn sandbox_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    let Overlay::Sandbox(panel) = &mut app.overlay else {
        return vec![];
    };
    let rows = SandboxAction::ALL.len() + app.ctx.demo_keys.len();
    match ev.code {
        KeyCode::Esc | KeyCode::Char('s') | KeyCode::Char('q') => app.overlay = Overlay::None,
        KeyCode::Up => panel.selected = panel.selected.saturating_sub(1),
        KeyCode::Down => panel.selected = (panel.selected + 1).min(rows.saturating_sub(1)),
        KeyCode::Enter => {
            let i = panel.selected;
            if let Some(action) = SandboxAction::ALL.get(i) {
                let action = *action;
                app.overlay = Overlay::None;
                return vec![Cmd::Sandbox { action }];
            }
            // A demo key: open the key modal with it filled in (shown masked, like any key).
            if let Some((_, key, _)) = app.ctx.demo_keys.get(i - SandboxAction::ALL.len()) {
                let entry = KeyEntry {
                    text: Zeroizing::new(key.clone()),
                    ..KeyEntry::default()
                };
                app.overlay = Overlay::KeyEntry(entry);
            }
        }
        _ => {}
    }
    vec![]
}

fn on_activation(
    app: &mut App,
    result: RunResult,
    key: Option<ApiKey>,
    expires_on: Option<jiff::civil::Date>,
) -> Vec<Cmd> {
    app.check_in_flight = false;
    if result.committed || result.lifecycle.is_active() {
        app.overlay = Overlay::None;
        app.has_key = true;
        app.pending_replacement = false;
        let cmds = apply_result(app, result);
        if let Lifecycle::Active {
            company_id,
            company_name,
        } = &app.lifecycle
        {
            let shown = match company_name {
                Some(n) => format!("{company_id} ({n})"),
                None => company_id.clone(),
            };
            app.notice = Some(Banner {
                level: BannerLevel::Success,
                text: format!("Connected to Company ID: {shown}."),
            });
        }
        return cmds;
    }
    match (&result.lifecycle, key) {
        (Lifecycle::CompanyMismatch { expected, got }, Some(key)) => {
            let current_name = if app.facts.company_id.as_deref() == Some(expected) {
                app.facts.company_name.clone()
            } else {
                None
            };
            app.overlay = Overlay::ConfirmCompany(ConfirmCompany {
                key,
                expires_on,
                current_id: expected.clone(),
                current_name,
                new_id: got.clone(),
                new_name: result.report.company_name.clone(),
                busy: false,
            });
            app.lifecycle = result.lifecycle.clone();
            app.pending_replacement = app.has_key;
            vec![]
        }
        (
            Lifecycle::CompanyRequired {
                organization_id,
                companies,
                ..
            },
            Some(key),
        ) if !companies.is_empty() => {
            app.overlay = Overlay::ChooseCompany(CompanyPicker {
                key,
                expires_on,
                organization_id: organization_id.clone(),
                companies: companies.clone(),
                selected: 0,
                busy: false,
            });
            app.lifecycle = result.lifecycle.clone();
            vec![]
        }
        _ => {
            // Failed: say what failed inside the modal, and leave the text to fix or replace.
            let message = format!(
                "{} {}",
                result.lifecycle.headline(),
                dashboard_hint(&result.lifecycle)
            );
            match &mut app.overlay {
                Overlay::KeyEntry(entry) => {
                    entry.busy = false;
                    entry.error = Some(message.trim().to_string());
                }
                _ => {
                    // A confirmation or a company choice that failed: back to the key modal.
                    app.overlay = Overlay::KeyEntry(KeyEntry {
                        error: Some(message.trim().to_string()),
                        ..KeyEntry::default()
                    });
                }
            }
            app.pending_replacement = app.has_key;
            let cmds = apply_result(app, result);
            // Degraded: the new key is not active yet; retry it by entering it again.
            cmds
        }
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

/// Fold a check or activation result into the model, and schedule the next check.
fn apply_result(app: &mut App, result: RunResult) -> Vec<Cmd> {
    let report = &result.report;
    app.facts.last_checked_at = Some(app.now);
    match &result.lifecycle {
        Lifecycle::Active { .. } => {
            let was_active = app.lifecycle.is_active();
            app.failures = 0;
            app.facts.company_id = report.company_id.clone();
            app.facts.company_name = report.company_name.clone();
            app.facts.installation_status = report.installation_status.clone();
            app.facts.required_scopes = report.required_scopes.clone();
            app.facts.granted_scopes = report.granted_scopes.clone();
            app.facts.key_hint = report.key_hint.clone().or(app.facts.key_hint.take());
            app.facts.key_source = report.key_source.clone().or(app.facts.key_source.take());
            app.facts.expires_on = report.expires_on.or(app.facts.expires_on);
            app.facts.last_success_at = Some(app.now);
            if !was_active && app.notice.is_none() && report.status != CheckStatus::Warning {
                app.notice = Some(Banner {
                    level: BannerLevel::Success,
                    text: result.lifecycle.headline(),
                });
            }
        }
        Lifecycle::Degraded(_) => {
            // Transient: keep the last good facts on screen.
            app.failures = app.failures.saturating_add(1);
        }
        Lifecycle::MissingScopes { .. } => {
            app.failures = 0;
            app.facts.required_scopes = report.required_scopes.clone();
            app.facts.granted_scopes = report.granted_scopes.clone();
        }
        Lifecycle::InstallationInactive { status, .. } => {
            app.failures = 0;
            app.facts.installation_status = Some(status.clone());
        }
        _ => app.failures = 0,
    }
    if !result.lifecycle.is_active() {
        app.notice = None;
    }
    app.lifecycle = result.lifecycle;
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
    let at = app.now
        + jiff::SignedDuration::try_from(delay).unwrap_or(jiff::SignedDuration::from_secs(300));
    app.next_check_at = Some(at);
    vec![Cmd::ScheduleCheck { at }]
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => {
            let mut out: String = first.to_uppercase().collect();
            out.push_str(chars.as_str());
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Report;
    use ratatui::crossterm::event::KeyEventState;

    const ACME: &str = "11111111-1111-4111-8111-111111111111";
    const COBALT: &str = "33333333-3333-4333-8333-333333333333";
    const KEY: &str = "pls_0f3c9a7e21d84b6fa5c2e9d17b40c8e3_7d21a4";

    fn now() -> jiff::Timestamp {
        "2026-11-28T12:00:00Z".parse().unwrap()
    }

    fn ctx() -> Context {
        Context {
            environment: "staging".into(),
            base_url: "https://external.staging.pleo.io".into(),
            sandbox: true,
            version: "0.1.0",
            config_file: "/c/config.toml".into(),
            state_file: "/s/state.json".into(),
            audit_log: "/s/audit.log".into(),
            log_dir: "/s/logs".into(),
            store: "kernel keyring (forgotten on reboot)".into(),
            revalidate_every: Duration::from_secs(300),
            demo_keys: vec![("healthy".into(), KEY.into(), "Acme".into())],
        }
    }

    fn app(has_key: bool) -> App {
        App::new(ctx(), Facts::default(), has_key, Theme::Default, now())
    }

    fn key(code: KeyCode) -> Msg {
        Msg::Key(KeyEvent {
            code,
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        })
    }

    fn ctrl(c: char) -> Msg {
        Msg::Key(KeyEvent {
            code: KeyCode::Char(c),
            modifiers: KeyModifiers::CONTROL,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        })
    }

    fn result(state: Lifecycle, committed: bool) -> RunResult {
        let mut report = Report::bare(&state, "staging", "https://x");
        if let Lifecycle::Active {
            company_id,
            company_name,
        } = &state
        {
            report.company_id = Some(company_id.clone());
            report.company_name = company_name.clone();
            report.key_hint = Some("…21a4".into());
            report.granted_scopes = vec!["export-jobs:read".into()];
            report.installation_status = Some("ACTIVATED".into());
        }
        RunResult {
            lifecycle: state,
            report,
            committed,
        }
    }

    fn active() -> Lifecycle {
        Lifecycle::Active {
            company_id: ACME.into(),
            company_name: Some("Acme".into()),
        }
    }

    /// An app that has completed its first check and is active.
    fn active_app() -> App {
        let mut a = app(true);
        let cmds = update(&mut a, Msg::CheckDue);
        assert!(matches!(cmds[..], [Cmd::Check { generation: 0 }]));
        update(
            &mut a,
            Msg::CheckFinished {
                generation: 0,
                result: result(active(), false),
            },
        );
        a
    }

    #[test]
    fn first_check_makes_it_active_and_schedules_the_next() {
        let mut a = app(true);
        assert_eq!(a.lifecycle, Lifecycle::Activating);
        update(&mut a, Msg::CheckDue);
        assert!(a.check_in_flight);
        let cmds = update(
            &mut a,
            Msg::CheckFinished {
                generation: 0,
                result: result(active(), false),
            },
        );
        assert_eq!(a.lifecycle, active());
        assert_eq!(a.facts.company_id.as_deref(), Some(ACME));
        assert_eq!(a.facts.last_success_at, Some(now()));
        let at = now() + jiff::SignedDuration::from_secs(300);
        assert!(matches!(cmds[..], [Cmd::ScheduleCheck { at: t }] if t == at));
        assert_eq!(a.next_check_at, Some(at));
        assert!(!a.check_in_flight);
    }

    #[test]
    fn revalidation_is_single_flight() {
        let mut a = active_app();
        let first = update(&mut a, key(KeyCode::Char('r')));
        assert_eq!(first.len(), 1);
        assert!(
            update(&mut a, key(KeyCode::Char('r'))).is_empty(),
            "queued, not sent"
        );
        assert!(
            update(&mut a, key(KeyCode::Char('r'))).is_empty(),
            "still only one queued"
        );
        let cmds = update(
            &mut a,
            Msg::CheckFinished {
                generation: 0,
                result: result(active(), false),
            },
        );
        let checks = cmds
            .iter()
            .filter(|c| matches!(c, Cmd::Check { .. }))
            .count();
        assert_eq!(checks, 1, "exactly one more check runs after the first");
        assert!(a.check_in_flight);
        let cmds = update(
            &mut a,
            Msg::CheckFinished {
                generation: 0,
                result: result(active(), false),
            },
        );
        assert!(!cmds.iter().any(|c| matches!(c, Cmd::Check { .. })));
    }

    #[test]
    fn revoked_key_shows_the_rejected_banner_with_its_key() {
        let mut a = active_app();
        update(&mut a, Msg::CheckDue);
        update(
            &mut a,
            Msg::CheckFinished {
                generation: 0,
                result: result(Lifecycle::KeyRejected, false),
            },
        );
        let b = a.banner().unwrap();
        assert_eq!(b.level, BannerLevel::Error);
        assert_eq!(
            b.text,
            "API key rejected: it may have expired or been revoked. Press k to enter a new key."
        );
    }

    #[test]
    fn degraded_keeps_last_good_facts_and_backs_off_then_recovers() {
        let mut a = active_app();
        let facts = a.facts.clone();
        for (n, expected_secs) in [(1, 15), (2, 30), (3, 60)] {
            update(&mut a, Msg::CheckDue);
            let cmds = update(
                &mut a,
                Msg::CheckFinished {
                    generation: 0,
                    result: result(
                        Lifecycle::Degraded(Degradation::ServerError { status: 503 }),
                        false,
                    ),
                },
            );
            assert_eq!(a.failures, n);
            let at = now() + jiff::SignedDuration::from_secs(expected_secs);
            assert!(
                matches!(cmds[..], [Cmd::ScheduleCheck { at: t }] if t == at),
                "{n}: {cmds:?}"
            );
        }
        assert_eq!(a.facts.company_id, facts.company_id, "last good facts kept");
        assert_eq!(a.facts.granted_scopes, facts.granted_scopes);
        a.now = now() + jiff::SignedDuration::from_secs(24);
        assert_eq!(
            a.banner().unwrap().text,
            "Pleo server error (503): retrying in 36 s (r to retry now)."
        );
        update(&mut a, Msg::CheckDue);
        update(
            &mut a,
            Msg::CheckFinished {
                generation: 0,
                result: result(active(), false),
            },
        );
        assert_eq!(a.failures, 0);
        assert_eq!(
            a.banner().unwrap().level,
            BannerLevel::Success,
            "recovery is confirmed"
        );
    }

    #[test]
    fn rate_limit_waits_for_retry_after() {
        let mut a = active_app();
        update(&mut a, Msg::CheckDue);
        let cmds = update(
            &mut a,
            Msg::CheckFinished {
                generation: 0,
                result: result(
                    Lifecycle::Degraded(Degradation::RateLimited {
                        retry_after: Some(Duration::from_secs(90)),
                    }),
                    false,
                ),
            },
        );
        let at = now() + jiff::SignedDuration::from_secs(90);
        assert!(matches!(cmds[..], [Cmd::ScheduleCheck { at: t }] if t == at));
    }

    fn open_modal_and_paste(a: &mut App, text: &str) {
        update(a, key(KeyCode::Char('k')));
        assert!(matches!(a.overlay, Overlay::KeyEntry(_)));
        update(a, Msg::Paste(text.into()));
    }

    #[test]
    fn pasted_key_with_newline_is_one_event_and_enter_activates_with_a_new_generation() {
        let mut a = active_app();
        update(&mut a, Msg::CheckDue); // a check in flight for the old key
        open_modal_and_paste(&mut a, &format!("{KEY}\n"));
        let Overlay::KeyEntry(entry) = &a.overlay else {
            panic!()
        };
        assert_eq!(
            entry.text.as_str(),
            KEY,
            "trailing newline dropped, nothing fired"
        );
        let cmds = update(&mut a, key(KeyCode::Enter));
        let [
            Cmd::Activate {
                generation,
                key,
                opts,
            },
        ] = &cmds[..]
        else {
            panic!("{cmds:?}")
        };
        assert_eq!(*generation, 1);
        assert_eq!(key.expose(), KEY);
        assert!(!opts.confirm_company_change);
        assert_eq!(a.lifecycle, Lifecycle::Activating);
        assert!(matches!(&a.overlay, Overlay::KeyEntry(e) if e.busy));

        // The old key's check answers late: dropped.
        let stale = update(
            &mut a,
            Msg::CheckFinished {
                generation: 0,
                result: result(Lifecycle::KeyRejected, false),
            },
        );
        assert!(stale.is_empty());
        assert_eq!(a.lifecycle, Lifecycle::Activating);

        update(
            &mut a,
            Msg::ActivationFinished {
                generation: 1,
                result: result(active(), true),
                key: None,
                expires_on: None,
            },
        );
        assert!(matches!(a.overlay, Overlay::None));
        assert_eq!(
            a.banner().unwrap().text,
            format!("Connected to Company ID: {ACME} (Acme).")
        );
    }

    #[test]
    fn keys_typed_in_the_modal_never_fire_bindings() {
        let mut a = active_app();
        update(&mut a, key(KeyCode::Char('k')));
        for c in "qrsa?".chars() {
            assert!(update(&mut a, key(KeyCode::Char(c))).is_empty());
        }
        assert!(!a.should_quit);
        let Overlay::KeyEntry(entry) = &a.overlay else {
            panic!()
        };
        assert_eq!(entry.text.as_str(), "qrsa?");
        // Ctrl-C still quits from inside the modal.
        assert!(matches!(update(&mut a, ctrl('c'))[..], [Cmd::Quit]));
    }

    #[test]
    fn local_validation_errors_stay_in_the_modal_and_send_nothing() {
        let mut a = app(false);
        open_modal_and_paste(&mut a, "pls_ab cd_12");
        assert!(update(&mut a, key(KeyCode::Enter)).is_empty());
        let Overlay::KeyEntry(entry) = &a.overlay else {
            panic!()
        };
        assert!(entry.error.as_deref().unwrap().contains("space"));
        assert!(!entry.busy);

        let mut a = app(false);
        open_modal_and_paste(&mut a, KEY);
        update(&mut a, key(KeyCode::Tab));
        for c in "31/12/2026".chars() {
            update(&mut a, key(KeyCode::Char(c)));
        }
        assert!(update(&mut a, key(KeyCode::Enter)).is_empty());
        let Overlay::KeyEntry(entry) = &a.overlay else {
            panic!()
        };
        assert!(entry.error.as_deref().unwrap().contains("YYYY-MM-DD"));

        // A huge paste is refused without being kept.
        let mut a = app(false);
        open_modal_and_paste(&mut a, &"x".repeat(10 * 1024 * 1024));
        let Overlay::KeyEntry(entry) = &a.overlay else {
            panic!()
        };
        assert!(entry.text.is_empty());
        assert!(entry.error.as_deref().unwrap().contains("too long"));
    }

    #[test]
    fn failed_activation_keeps_the_modal_open_with_what_failed() {
        let mut a = active_app();
        open_modal_and_paste(&mut a, KEY);
        update(&mut a, key(KeyCode::Enter));
        update(
            &mut a,
            Msg::ActivationFinished {
                generation: 1,
                result: result(Lifecycle::KeyRejected, false),
                key: None,
                expires_on: None,
            },
        );
        let Overlay::KeyEntry(entry) = &a.overlay else {
            panic!()
        };
        assert!(!entry.busy);
        assert!(
            entry
                .error
                .as_deref()
                .unwrap()
                .starts_with("API key rejected")
        );
        assert_eq!(
            entry.text.as_str(),
            KEY,
            "the text stays to be fixed or replaced"
        );
        update(&mut a, key(KeyCode::Esc));
        let banner = a.banner().unwrap().text;
        assert!(
            banner.contains("Press k")
                && banner.contains("press a to re-activate the previous key"),
            "{banner}"
        );
    }

    fn mismatch_app() -> App {
        let mut a = active_app();
        open_modal_and_paste(&mut a, KEY);
        let cmds = update(&mut a, key(KeyCode::Enter));
        let [Cmd::Activate { key: k, .. }] = &cmds[..] else {
            panic!()
        };
        let mut r = result(
            Lifecycle::CompanyMismatch {
                expected: ACME.into(),
                got: COBALT.into(),
            },
            false,
        );
        r.report.company_name = Some("Cobalt".into());
        update(
            &mut a,
            Msg::ActivationFinished {
                generation: 1,
                result: r,
                key: Some(k.clone()),
                expires_on: None,
            },
        );
        a
    }

    #[test]
    fn company_change_needs_confirmation_and_declining_leaves_it_inactive() {
        let mut a = mismatch_app();
        let Overlay::ConfirmCompany(c) = &a.overlay else {
            panic!("{:?}", a.overlay)
        };
        assert_eq!(
            (c.current_id.as_str(), c.current_name.as_deref()),
            (ACME, Some("Acme"))
        );
        assert_eq!(
            (c.new_id.as_str(), c.new_name.as_deref()),
            (COBALT, Some("Cobalt"))
        );
        assert!(
            update(&mut a, key(KeyCode::Char('x'))).is_empty(),
            "only y or n decide"
        );
        assert!(update(&mut a, key(KeyCode::Char('n'))).is_empty());
        assert!(matches!(a.overlay, Overlay::None));
        assert!(!a.lifecycle.is_active());
        let banner = a.banner().unwrap().text;
        assert!(
            banner.contains("declined")
                && banner.contains("Press a")
                && banner.contains("k to enter another"),
            "{banner}"
        );
        let cmds = update(&mut a, key(KeyCode::Char('a')));
        assert!(matches!(cmds[..], [Cmd::Reactivate { generation: 2 }]));
    }

    #[test]
    fn confirming_the_company_change_reruns_activation_with_confirmation() {
        let mut a = mismatch_app();
        let cmds = update(&mut a, key(KeyCode::Char('y')));
        let [
            Cmd::Activate {
                generation,
                key,
                opts,
            },
        ] = &cmds[..]
        else {
            panic!("{cmds:?}")
        };
        assert_eq!(*generation, 2);
        assert_eq!(key.expose(), KEY);
        assert!(opts.confirm_company_change);
        update(
            &mut a,
            Msg::ActivationFinished {
                generation: 2,
                result: result(
                    Lifecycle::Active {
                        company_id: COBALT.into(),
                        company_name: Some("Cobalt".into()),
                    },
                    true,
                ),
                key: Some(key.clone()),
                expires_on: None,
            },
        );
        assert!(matches!(a.overlay, Overlay::None));
        assert_eq!(a.facts.company_id.as_deref(), Some(COBALT));
        assert!(!a.pending_replacement);
    }

    #[test]
    fn organisation_key_opens_a_picker_and_the_choice_is_explicit() {
        let mut a = app(false);
        open_modal_and_paste(&mut a, KEY);
        let cmds = update(&mut a, key(KeyCode::Enter));
        let [
            Cmd::Activate {
                key: k, generation, ..
            },
        ] = &cmds[..]
        else {
            panic!()
        };
        let companies = vec![
            (ACME.to_string(), "Acme".to_string()),
            ("2".to_string(), "Borealis".to_string()),
        ];
        update(
            &mut a,
            Msg::ActivationFinished {
                generation: *generation,
                result: result(
                    Lifecycle::CompanyRequired {
                        organization_id: "org".into(),
                        companies,
                        detail: "choose".into(),
                    },
                    false,
                ),
                key: Some(k.clone()),
                expires_on: None,
            },
        );
        assert!(matches!(a.overlay, Overlay::ChooseCompany(_)));
        update(&mut a, key(KeyCode::Down));
        let cmds = update(&mut a, key(KeyCode::Enter));
        let [Cmd::Activate { opts, .. }] = &cmds[..] else {
            panic!()
        };
        assert_eq!(opts.company.as_deref(), Some("2"));
    }

    #[test]
    fn paste_outside_a_field_does_nothing() {
        let mut a = active_app();
        assert!(update(&mut a, Msg::Paste("q".into())).is_empty());
        assert!(!a.should_quit);
    }

    #[test]
    fn wrong_passphrase_says_so_and_a_right_one_starts_a_check() {
        let mut a = app(true);
        a.overlay = Overlay::Passphrase(PassphrasePrompt::default());
        update(&mut a, Msg::Paste("secret\n".into()));
        let cmds = update(&mut a, key(KeyCode::Enter));
        assert!(
            matches!(&cmds[..], [Cmd::Unlock { passphrase }] if passphrase.0.as_str() == "secret")
        );
        assert_eq!(format!("{cmds:?}"), "[Unlock { passphrase: <redacted> }]");
        update(
            &mut a,
            Msg::StoreUnlocked(Err("wrong passphrase for key.age".into())),
        );
        let Overlay::Passphrase(p) = &a.overlay else {
            panic!()
        };
        assert_eq!(p.error.as_deref(), Some("wrong passphrase for key.age"));
        assert!(p.text.is_empty());
        update(&mut a, Msg::Paste("right".into()));
        update(&mut a, key(KeyCode::Enter));
        let cmds = update(&mut a, Msg::StoreUnlocked(Ok(true)));
        assert!(matches!(cmds[..], [Cmd::Check { .. }]));
        assert!(matches!(a.overlay, Overlay::None));
    }

    #[test]
    fn sandbox_panel_only_in_the_sandbox_and_demo_keys_prefill_the_modal() {
        let mut a = active_app();
        a.ctx.sandbox = false;
        update(&mut a, key(KeyCode::Char('s')));
        assert!(matches!(a.overlay, Overlay::None));
        a.ctx.sandbox = true;
        update(&mut a, key(KeyCode::Char('s')));
        assert!(matches!(a.overlay, Overlay::Sandbox(_)));
        let cmds = update(&mut a, key(KeyCode::Enter));
        assert!(matches!(
            cmds[..],
            [Cmd::Sandbox {
                action: SandboxAction::RevokeKey
            }]
        ));
        update(&mut a, key(KeyCode::Char('s')));
        for _ in 0..SandboxAction::ALL.len() {
            update(&mut a, key(KeyCode::Down));
        }
        update(&mut a, key(KeyCode::Enter));
        let Overlay::KeyEntry(entry) = &a.overlay else {
            panic!()
        };
        assert_eq!(entry.text.as_str(), KEY);
    }

    #[test]
    fn calls_are_bounded() {
        let mut a = active_app();
        for i in 0..(MAX_CALLS + 20) {
            update(
                &mut a,
                Msg::Call(CallRecord {
                    at: now(),
                    method: "GET",
                    path: format!("/{i}"),
                    outcome: crate::pleo::CallOutcome::Status(200),
                    latency: Duration::from_millis(12),
                }),
            );
        }
        assert_eq!(a.calls.len(), MAX_CALLS);
        assert_eq!(a.calls.front().unwrap().path, "/20");
    }

    #[test]
    fn q_quits_and_shutdown_quits() {
        let mut a = active_app();
        assert!(matches!(
            update(&mut a, key(KeyCode::Char('q')))[..],
            [Cmd::Quit]
        ));
        let mut a = active_app();
        assert!(matches!(update(&mut a, Msg::Shutdown)[..], [Cmd::Quit]));
        assert!(a.should_quit);
    }
}
