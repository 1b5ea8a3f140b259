//! The result of a check or activation, as the CLI prints it: named steps, a verdict and the
//! next action; `--json` gives one object with a stable shape for monitoring.

use crate::lifecycle::{ActivationReport, CheckStatus, Lifecycle, Step, StepName, StepResult};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct StepJson {
    pub name: StepName,
    pub result: StepResult,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub status: CheckStatus,
    pub reason: String,
    pub environment: String,
    pub base_url: String,
    pub company_id: Option<String>,
    pub company_name: Option<String>,
    pub key_hint: Option<String>,
    pub key_source: Option<String>,
    pub required_scopes: Vec<String>,
    pub granted_scopes: Vec<String>,
    pub missing_scopes: Vec<String>,
    pub installation_status: Option<String>,
    pub checked_at: Option<jiff::Timestamp>,
    pub expires_on: Option<jiff::civil::Date>,
    pub steps: Vec<StepJson>,
    pub message: String,
    pub next_action: Option<String>,
    /// Secondary remarks (key shape warnings, where the key is kept, env overrides).
    pub notes: Vec<String>,
}

impl Report {
    /// A report with only a verdict (no network run), e.g. not configured or a storage error.
    pub fn bare(state: &Lifecycle, environment: &str, base_url: &str) -> Report {
        Report {
            status: state.status(),
            reason: state.reason().to_string(),
            environment: environment.to_string(),
            base_url: base_url.to_string(),
            company_id: None,
            company_name: None,
            key_hint: None,
            key_source: None,
            required_scopes: vec![],
            granted_scopes: vec![],
            missing_scopes: vec![],
            installation_status: None,
            checked_at: None,
            expires_on: None,
            steps: vec![],
            message: state.headline(),
            next_action: state.recovery().cli_hint(),
            notes: vec![],
        }
    }

    pub fn from_activation(
        run: &ActivationReport,
        required_scopes: &[String],
        environment: &str,
        base_url: &str,
        checked_at: jiff::Timestamp,
        expires_on: Option<jiff::civil::Date>,
    ) -> Report {
        let state = run.lifecycle();
        let mut report = Report::bare(&state, environment, base_url);
        report.status = run.status();
        report.reason = run.reason().to_string();
        report.company_id = run.company_id.clone();
        report.company_name = run.company_name.clone();
        report.required_scopes = required_scopes.to_vec();
        report.granted_scopes = run.granted_scopes.clone();
        report.missing_scopes = run.missing_scopes.clone();
        report.installation_status = run.installation.as_ref().map(|i| i.status.to_string());
        report.checked_at = Some(checked_at);
        report.expires_on = expires_on;
        report.steps = run.steps.iter().map(step_json).collect();
        if report.status == CheckStatus::Warning {
            report.message = match (run.expires_in_days, expires_on) {
                (Some(days), Some(date)) if days >= 0 => format!(
                    "{} The key expires on {date}, in {days} day{}.",
                    state.headline(),
                    if days == 1 { "" } else { "s" }
                ),
                (_, Some(date)) => format!(
                    "{} The expiry date recorded for the key ({date}) has passed.",
                    state.headline()
                ),
                _ => state.headline(),
            };
            report.next_action = Some(
                "Create a replacement key in Pleo, then run: pleo-keys set-key --expires YYYY-MM-DD"
                    .into(),
            );
        }
        report
    }

    pub fn exit_code(&self) -> i32 {
        self.status.exit_code()
    }

    pub fn to_json(&self) -> String {
        // Serialising plain data cannot fail; fall back to a minimal object if it somehow does.
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|_| format!(r#"{{"status":"unknown","reason":"{}"}}"#, self.reason))
    }

    /// The human report: a header, one line per step, the verdict and the next action.
    pub fn to_human(&self, title: &str) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "{title} · {} · {}\n",
            self.environment, self.base_url
        ));
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
        let verdict = match self.status {
            CheckStatus::Ok => "OK",
            CheckStatus::Warning => "WARNING",
            CheckStatus::Critical => "CRITICAL",
            CheckStatus::Unknown => "UNKNOWN",
        };
        out.push_str(&format!("{verdict}: {}\n", self.message));
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

fn step_json(s: &Step) -> StepJson {
    StepJson {
        name: s.name,
        result: s.result,
        message: s.message.clone(),
    }
}
