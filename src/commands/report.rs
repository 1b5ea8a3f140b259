//! The CLI's view of an outcome: named steps, a verdict and the next action as a command; with
//! `--json`, one object with a stable shape for monitoring. Nothing here is read back.

use crate::domain::{CheckStatus, Reason, facts::company_label};
use crate::lifecycle::{Degradation, Lifecycle, Outcome, Replaced, Step, StepResult};
use crate::pleo::Endpoint;
use serde::Serialize;

/// Which command produced the outcome: the next action names the right one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    SetKey,
    Check,
    Reactivate,
    Status,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub status: CheckStatus,
    pub reason: Reason,
    pub environment: String,
    pub base_url: String,
    pub company_id: Option<String>,
    pub company_name: Option<String>,
    pub key_hint: Option<String>,
    pub key_fingerprint: Option<String>,
    pub key_source: Option<String>,
    pub required_scopes: Vec<String>,
    /// Null when Pleo could not say (scopes unverified).
    pub granted_scopes: Option<Vec<String>>,
    pub missing_scopes: Vec<String>,
    pub installation_status: Option<String>,
    pub checked_at: Option<jiff::Timestamp>,
    pub expires_on: Option<jiff::civil::Date>,
    pub steps: Vec<Step>,
    pub message: String,
    pub next_action: Option<String>,
    /// Secondary remarks (key shape warnings, where the key is kept, inferred behaviour).
    pub notes: Vec<String>,
}

impl Report {
    pub fn new(
        outcome: &Outcome,
        command: Command,
        endpoint: &Endpoint,
        required_scopes: &[String],
        today: jiff::civil::Date,
    ) -> Report {
        let facts = outcome.facts.as_ref();
        let key = outcome.key.as_ref().or(facts.map(|f| &f.key));
        let mut notes = outcome.notes.clone();
        let mut message = message(outcome, today);
        let mut next_action = next_action(outcome, command);
        match &outcome.replaced {
            Some(Replaced::Retired { old }) => {
                next_action = Some(format!(
                    "The previous key {} is no longer used: delete it in Pleo (Settings, API keys)",
                    old.hint
                ));
                notes.push(format!("Retired key: {old}"));
            }
            Some(Replaced::Kept { current, check }) => {
                let how = match check.as_ref().map(|c| c.reason) {
                    Some(r) if r.is_active() => "is still active".to_string(),
                    Some(r) if r.status() == CheckStatus::Unknown => {
                        format!("stays (it could not be checked again: {r})")
                    }
                    Some(r) => format!("stays, but is not active either ({r})"),
                    None => "stays (not checked again: Pleo did not answer)".to_string(),
                };
                message = format!(
                    "The new key was not used; the current key {} {how}. {message}",
                    current.hint
                );
            }
            None => {}
        }
        let from_run = outcome.lifecycle.is_active()
            || matches!(
                outcome.lifecycle,
                Lifecycle::MissingScopes { .. } | Lifecycle::InstallationInactive { .. }
            )
            || command == Command::Status;
        let facts = facts.filter(|_| from_run);
        let (company_id, company_name) = match (&outcome.lifecycle, facts) {
            (Lifecycle::CompanyMismatch { got, got_name, .. }, _) => (
                Some(got.to_string()),
                got_name.as_ref().map(|n| n.to_string()),
            ),
            (_, Some(f)) => (
                Some(f.company_id.to_string()),
                f.company_name.as_ref().map(|n| n.to_string()),
            ),
            _ => (None, None),
        };
        Report {
            status: outcome.reason.status(),
            reason: outcome.reason,
            environment: endpoint.environment.to_string(),
            base_url: endpoint.base_url.to_string(),
            company_id,
            company_name,
            key_hint: key.map(|k| k.hint.clone()),
            key_fingerprint: key.map(|k| k.fingerprint.clone()),
            key_source: outcome
                .key_source
                .or(facts.map(|f| f.key_source))
                .map(|s| s.describe().to_string()),
            required_scopes: facts
                .map(|f| f.required_scopes.clone())
                .unwrap_or_else(|| required_scopes.to_vec()),
            granted_scopes: facts.and_then(|f| f.granted_scopes.clone()),
            missing_scopes: match &outcome.lifecycle {
                Lifecycle::MissingScopes { missing } => missing.clone(),
                _ => facts.map(|f| f.missing_scopes()).unwrap_or_default(),
            },
            installation_status: match &outcome.lifecycle {
                Lifecycle::InstallationInactive { status: None, .. } => Some("MISSING".into()),
                _ => facts.map(|f| f.installation_status.to_string()),
            },
            checked_at: outcome.checked_at,
            expires_on: facts.and_then(|f| f.expires_on),
            steps: outcome.steps.clone(),
            message,
            next_action,
            notes,
        }
    }

    pub fn exit_code(&self) -> i32 {
        self.status.exit_code()
    }

    pub fn to_json(&self) -> String {
        // Serialising plain data cannot fail; fall back to a minimal object if it somehow does.
        serde_json::to_string_pretty(self).unwrap_or_else(|_| {
            format!(
                r#"{{"status":"unknown","reason":"{}"}}"#,
                self.reason.as_str()
            )
        })
    }

    /// The human report: a header, one line per step, the verdict and the next action.
    pub fn to_human(&self, title: &str) -> String {
        let mut out = format!("{title} · {} · {}\n", self.environment, self.base_url);
        if !self.steps.is_empty() {
            out.push('\n');
            for s in &self.steps {
                let (glyph, word) = match s.result {
                    StepResult::Passed => ("✔", "ok  "),
                    StepResult::Failed => ("✖", "FAIL"),
                    StepResult::Warning => ("▲", "warn"),
                    StepResult::Skipped => ("·", "skip"),
                };
                out.push_str(&format!(
                    "  {glyph} {word}  {:<13} {}\n",
                    s.name.label(),
                    s.message
                ));
            }
        }
        out.push('\n');
        out.push_str(&format!("{}: {}\n", self.status.label(), self.message));
        if let Some(next) = &self.next_action {
            out.push_str(&format!("Next: {next}\n"));
        }
        if let (Some(hint), Some(source)) = (&self.key_hint, &self.key_source) {
            out.push_str(&format!("Key: {hint} · {source}\n"));
        }
        for note in &self.notes {
            out.push_str(&format!("Note: {note}\n"));
        }
        out
    }
}

/// The verdict sentence.
fn message(outcome: &Outcome, today: jiff::civil::Date) -> String {
    let facts = outcome.facts.as_ref();
    match (&outcome.lifecycle, facts) {
        (Lifecycle::Active, Some(f)) => {
            let mut m = format!("Connected to Company ID: {}.", f.company_label());
            match (outcome.reason, f.expires_on, f.expires_in_days(today)) {
                (Reason::ExpiresSoon, Some(date), Some(days)) if days >= 0 => m.push_str(&format!(
                    " The key expires on {date}, in {days} day{}.",
                    if days == 1 { "" } else { "s" }
                )),
                (Reason::ExpiresSoon, Some(date), _) => m.push_str(&format!(
                    " The expiry date recorded for the key ({date}) has passed."
                )),
                (Reason::ScopesUnverified, _, _) => m.push_str(
                    " Pleo did not say which scopes the key has, so they are unverified.",
                ),
                _ => {}
            }
            m
        }
        (Lifecycle::CompanyRequired { companies, .. }, _) if !companies.is_empty() => format!(
            "{} Companies: {}.",
            outcome.lifecycle.headline(),
            companies
                .iter()
                .map(|c| format!("{} ({})", c.name, c.id))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (lifecycle, _) => lifecycle.headline(),
    }
}

/// The one thing to do next, as a command.
fn next_action(outcome: &Outcome, command: Command) -> Option<String> {
    let stored = matches!(
        command,
        Command::Check | Command::Reactivate | Command::Status
    );
    let again = if stored { "reactivate" } else { "set-key" };
    Some(match &outcome.lifecycle {
        Lifecycle::Active => match outcome.reason {
            Reason::ExpiresSoon => "Create a replacement key in Pleo, then run: pleo-keys set-key --expires YYYY-MM-DD".into(),
            Reason::ScopesUnverified => format!(
                "Check in Pleo (Settings → API keys) that the key has {}",
                outcome
                    .facts
                    .as_ref()
                    .map(|f| f.required_scopes.join(", "))
                    .unwrap_or_default()
            ),
            _ => return None,
        },
        Lifecycle::Activating => return None,
        Lifecycle::NotConfigured | Lifecycle::KeyRejected | Lifecycle::AccessDenied { .. } => {
            "Create a key in Pleo (Settings → API keys), then run: pleo-keys set-key".into()
        }
        Lifecycle::InvalidKeyFormat { .. } => {
            "Copy the key again from where you saved it, then run: pleo-keys set-key".into()
        }
        Lifecycle::MissingScopes { missing } => format!(
            "Create a key in Pleo with {} (Settings → API keys), then run: pleo-keys set-key",
            missing.join(", ")
        ),
        Lifecycle::InstallationInactive { error_code, .. } => match error_code {
            Some(crate::domain::InstallationErrorCode::NotEntitled) => {
                "Ask Pleo to enable the application for this company, then run: pleo-keys reactivate".into()
            }
            Some(crate::domain::InstallationErrorCode::AuthError) => {
                "Create a new key in Pleo, then run: pleo-keys set-key".into()
            }
            _ => "Run: pleo-keys reactivate".into(),
        },
        Lifecycle::CompanyMismatch { got, got_name, .. } => format!(
            "If switching to company {} is intended, run: pleo-keys {again} --confirm-company-change; otherwise use a key for the connected company",
            company_label(*got, got_name.as_ref())
        ),
        Lifecycle::CompanyRequired { .. } => {
            format!("Run: pleo-keys {again} --company <company id>")
        }
        Lifecycle::ReplacementPending { .. } => {
            "Run: pleo-keys check (it checks the stored key again)".into()
        }
        Lifecycle::Degraded(Degradation::RateLimited {
            retry_after: Some(d),
        }) => format!("Retry in {} s: pleo-keys check", d.as_secs()),
        Lifecycle::Degraded(Degradation::UnexpectedResponse { .. }) => {
            "Check --base-url and any proxy in between, then retry: pleo-keys check".into()
        }
        Lifecycle::Degraded(_) => "Retry shortly: pleo-keys check".into(),
        Lifecycle::StorageError {
            needs_passphrase: true,
            ..
        } => "Run it on a terminal to type the passphrase, or set PLEO_KEYS_PASSPHRASE or PLEO_KEYS_PASSPHRASE_FILE".into(),
        Lifecycle::StorageError { .. } => "Fix the file or store named above, then retry".into(),
    })
}
