//! The procedures that tie a run against Pleo to what is stored: replace a key, check, re-activate,
//! record an expiry, forget. Shared by the CLI, the dashboard and the gateway.
//!
//! Every procedure reads what it acts on, runs against Pleo without holding the home lock, then
//! commits under the lock only if the state is still the generation it read. A replacement is a
//! transaction: the new key is activated on its own and committed only on full success; anything
//! else leaves what is stored as it was, and the current key is checked again.

mod admin;
mod check;
mod replace;

pub use admin::{AdminError, Forgotten};

use super::activation::{ActivationInput, Bound, Mode, Run, activate};
use super::outcome::{Outcome, verdict};
use super::state::Lifecycle;
use crate::domain::{CompanyId, ConnectionFacts, KeySource};
use crate::pleo::{Endpoint, PleoApi};
use crate::secret::ApiKey;
use crate::store::checks::{CheckEntry, CheckHistory};
use crate::store::lock::HomeLock;
use crate::store::{Home, LastCheck, Replacement, SecretStore, State, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use std::sync::Arc;
use std::time::Duration;

/// Wall-clock time; tests inject a fixed one.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(Timestamp::now)
}

/// What to do with a key for another company than the bound one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompanyChange {
    /// Refuse it, and record the refusal (CLI without `--confirm-company-change`).
    #[default]
    Refuse,
    /// Stop and let the caller ask the operator (the dashboard); record nothing yet.
    Ask,
    /// Switch; the operator confirmed.
    Confirm,
}

#[derive(Debug, Clone, Default)]
pub struct ReplaceOptions {
    /// The new key's expiry date; a replacement never inherits the previous key's.
    pub expires_on: Option<Date>,
    /// The company for an organisation-level key.
    pub company: Option<CompanyId>,
    pub company_change: CompanyChange,
}

/// Everything a procedure needs: one home, one store, one Pleo.
pub struct Engine {
    pub home: Home,
    pub store: SecretStore,
    pub pleo: Arc<dyn PleoApi>,
    pub endpoint: Endpoint,
    pub required_scopes: Vec<String>,
    /// `PLEO_API_KEY`: used for a run instead of the stored key; never stored, never written.
    pub env_key: Option<ApiKey>,
    pub clock: Clock,
}

impl Engine {
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// Today's date in UTC, as the dashboard counts it too: expiry dates are calendar dates.
    pub fn today(&self) -> Date {
        self.now().to_zoned(jiff::tz::TimeZone::UTC).date()
    }

    fn storage(&self, e: &StoreError) -> Outcome {
        Outcome::bare(Lifecycle::StorageError {
            detail: e.to_string(),
            needs_passphrase: e.needs_passphrase(),
        })
    }

    fn input(
        &self,
        mode: Mode,
        source: KeySource,
        bound: Option<&ConnectionFacts>,
    ) -> ActivationInput {
        let now = self.now();
        ActivationInput {
            mode,
            key_source: source,
            required_scopes: self.required_scopes.clone(),
            company_choice: None,
            bound: bound.map(Bound::of),
            confirm_company_change: false,
            expires_on: None,
            now,
            today: self.today(),
        }
    }

    /// Run the procedure against Pleo and shape the outcome (nothing committed yet); also how
    /// long the run took (tokio's clock: paused time in tests, the monotonic clock otherwise).
    /// The calls it makes say which run they were part of.
    async fn run(&self, key: &ApiKey, input: &ActivationInput) -> (Run, Outcome, Duration) {
        let label = match input.mode {
            Mode::Revalidate => format!("the check at {}", input.now.strftime("%H:%M:%S UTC")),
            Mode::Activate => format!("the activation of key {}", key.hint()),
        };
        let started = tokio::time::Instant::now();
        let run = crate::pleo::calls::in_run(label, activate(self.pleo.as_ref(), key, input)).await;
        let took = started.elapsed();
        let outcome = Outcome {
            reason: verdict(&run.lifecycle, run.facts.as_ref(), input.today),
            lifecycle: run.lifecycle.clone(),
            facts: run.facts.clone(),
            key: Some(key.id()),
            key_source: Some(input.key_source),
            steps: run.steps.clone(),
            committed: false,
            checked_at: Some(input.now),
            notes: run.notes.clone(),
            replaced: None,
        };
        (run, outcome, took)
    }

    /// The check's verdict, kept apart from the state so that a failed check never rewrites it,
    /// and a line in the check history. `took`: how long the run against Pleo took.
    fn record_check(&self, outcome: &Outcome, last_success_at: Option<Timestamp>, took: Duration) {
        let last = LastCheck {
            version: crate::store::LAST_CHECK_VERSION,
            checked_at: outcome.checked_at.unwrap_or_else(|| self.now()),
            reason: outcome.reason,
            lifecycle: outcome.lifecycle.clone(),
            key: outcome.key.clone(),
            last_success_at,
        };
        if let Err(e) = self.home.save(&last) {
            tracing::warn!(error = %e, "could not record the last check");
        }
        let entry = CheckEntry::new(last.checked_at, last.reason, took, last.key);
        if let Err(e) = CheckHistory::new(&self.home.paths.check_history).append(&entry) {
            tracing::warn!(error = %e, "could not append to the check history");
        }
    }

    /// The state to write after `previous`: the next generation, for this endpoint.
    fn next_state(&self, previous: Option<&State>, facts: ConnectionFacts) -> State {
        State {
            version: crate::store::STATE_VERSION,
            generation: previous.map_or(1, |s| s.generation + 1),
            environment: self.endpoint.environment,
            base_url: self.endpoint.base_url.to_string(),
            facts,
        }
    }

    /// The home's lock for a write, or why there is none: a storage problem (`Err`), or another
    /// process changed the state since `seen` (`Ok(None)`), so this run must not write.
    async fn lock_if_unchanged(&self, seen: Option<&State>) -> Result<Option<HomeLock>, Outcome> {
        let lock = self.home.lock().await.map_err(|e| self.storage(&e))?;
        let now = self.home.state().map_err(|e| self.storage(&e))?;
        let changed = now.as_ref().map(|s| s.generation) != seen.map(|s| s.generation);
        Ok((!changed).then_some(lock))
    }

    fn conflict(&self) -> Outcome {
        Outcome::bare(Lifecycle::storage(format!(
            "another pleo-keys changed the stored key in {} while this one was working; nothing was stored. Run the command again",
            self.home.paths.state_file.display()
        )))
    }

    /// What is stored, without asking anybody: the state, the last check's verdict, and a
    /// replacement in progress.
    pub fn status(&self) -> Outcome {
        let state = match self.home.state() {
            Ok(s) => s,
            Err(e) => return self.storage(&e),
        };
        let last = self.home.load::<LastCheck>().ok().flatten();
        let marker = self.home.load::<Replacement>().ok().flatten();
        let Some(state) = state else {
            return Outcome::bare(Lifecycle::NotConfigured);
        };
        let mut facts = state.facts;
        let last = last.filter(|l| l.key.as_ref() == Some(&facts.key));
        if let Some(l) = &last {
            facts.last_good_check = l.last_success_at.or(facts.last_good_check);
        }
        let lifecycle = match (&marker, &last) {
            (Some(m), _) => Lifecycle::ReplacementPending {
                since: m.started_at,
            },
            (None, Some(l)) => l.lifecycle.clone(),
            (None, None) => Lifecycle::Active,
        };
        let reason = match (&last, lifecycle.is_active()) {
            (_, true) => verdict(&lifecycle, Some(&facts), self.today()),
            (Some(l), false) if marker.is_none() => l.reason,
            _ => lifecycle.reason(),
        };
        Outcome {
            lifecycle,
            reason,
            key: Some(facts.key.clone()),
            key_source: Some(facts.key_source),
            facts: Some(facts),
            steps: Vec::new(),
            committed: false,
            checked_at: last.map(|l| l.checked_at),
            notes: Vec::new(),
            replaced: None,
        }
    }

    /// Whether a run's facts differ from the stored ones in anything but when they were seen.
    fn same_facts(old: &ConnectionFacts, new: &ConnectionFacts) -> bool {
        let strip = |f: &ConnectionFacts| ConnectionFacts {
            last_good_check: None,
            ..f.clone()
        };
        strip(old) == strip(new)
    }
}
