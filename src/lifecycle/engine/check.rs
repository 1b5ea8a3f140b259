//! `check`: revalidate the stored key (or the `PLEO_API_KEY` one) now. Read-only towards Pleo;
//! writes `state.json` only when a fact changed, and `last-check.json` always.

use super::Engine;
use crate::domain::{KeySource, Reason};
use crate::lifecycle::activation::Mode;
use crate::lifecycle::outcome::Outcome;
use crate::lifecycle::state::Lifecycle;
use crate::secret::ApiKey;
use crate::store::{AuditEvent, AuditKind, LastCheck, Replacement, State, StoreError};

impl Engine {
    /// Revalidate the committed key now.
    pub async fn check(&self) -> Outcome {
        self.check_inner(false).await
    }

    /// The key a run uses: PLEO_API_KEY wins over the stored one.
    pub async fn current_key(&self) -> Result<Option<(ApiKey, KeySource)>, StoreError> {
        if let Some(k) = &self.env_key {
            return Ok(Some((k.clone(), KeySource::Environment)));
        }
        Ok(self.store.load().await?.map(|k| (k, self.store.kind())))
    }

    /// `clear_own_marker`: this process's replacement marker is settled by this check.
    pub(super) async fn check_inner(&self, clear_own_marker: bool) -> Outcome {
        let state = match self.home.state() {
            Ok(s) => s,
            Err(e) => return self.storage(&e),
        };
        let (key, source) = match self.current_key().await {
            Ok(Some(found)) => found,
            Ok(None) => {
                let mut o = Outcome::bare(Lifecycle::NotConfigured);
                if state.is_some() {
                    o.notes.push(format!(
                        "The state file names a key, but {} holds none (a kernel keyring forgets keys on reboot).",
                        self.store.location()
                    ));
                }
                return o;
            }
            Err(e) => return self.storage(&e),
        };
        if source == KeySource::Environment {
            return self.check_one_run_key(key, state.as_ref()).await;
        }
        let Some(state) = state else {
            // A key without a state (the state file was lost): activate it fully.
            return self.commit_stored_key(key, None).await;
        };
        if state.facts.key.fingerprint != key.fingerprint() {
            let marker = self.home.load::<Replacement>().ok().flatten();
            if marker.is_some_and(|m| m.candidate.fingerprint == key.fingerprint()) {
                // A replacement was interrupted between storing the key and the state.
                return self.commit_stored_key(key, Some(state)).await;
            }
            return self.storage(&StoreError::KeyMismatch {
                store: self.store.location(),
                found: key.id().to_string(),
                expected: state.facts.key.to_string(),
            });
        }
        let mut input = self.input(Mode::Revalidate, source, Some(&state.facts));
        input.expires_on = state.facts.expires_on;
        let (run, mut outcome, took) = self.run(&key, &input).await;

        let _lock = match self.lock_if_unchanged(Some(&state)).await {
            Ok(Some(lock)) => lock,
            Ok(None) => {
                outcome.notes.push(
                    "The stored key changed while this check ran; nothing was recorded. Check again."
                        .into(),
                );
                return outcome;
            }
            Err(failed) => return failed,
        };
        let last = self
            .home
            .load::<LastCheck>()
            .ok()
            .flatten()
            .filter(|l| l.key.as_ref() == Some(&state.facts.key));
        let was = last.as_ref().map(|l| l.reason);
        let last_success = last.as_ref().and_then(|l| l.last_success_at);
        let now = input.now;
        if let (true, Some(run_facts)) = (outcome.is_active(), run.facts) {
            let fresh = crate::domain::ConnectionFacts {
                activated_at: state.facts.activated_at,
                expires_on: state.facts.expires_on,
                key_source: state.facts.key_source,
                ..run_facts
            };
            if !Engine::same_facts(&state.facts, &fresh) {
                let next = State {
                    generation: state.generation + 1,
                    facts: fresh.clone(),
                    ..state.clone()
                };
                if let Err(e) = self.home.save(&next) {
                    return self.storage(&e);
                }
                outcome.committed = true;
            }
            outcome.facts = Some(fresh);
            self.record_check(&outcome, Some(now), took);
            if !was.is_some_and(Reason::is_active) {
                self.home.audit(
                    AuditEvent::new(AuditKind::RevalidationPassed)
                        .key(&state.facts.key)
                        .source(source)
                        .company(state.facts.company_id),
                );
            }
        } else {
            // Transient faults and lasting ones are logged once per streak, not every minute.
            if was != Some(outcome.reason) {
                self.home.audit(
                    AuditEvent::new(AuditKind::RevalidationFailed)
                        .key(&state.facts.key)
                        .source(source)
                        .company(state.facts.company_id)
                        .reason(outcome.reason)
                        .detail(&outcome.lifecycle.headline()),
                );
            }
            self.record_check(&outcome, last_success, took);
            if outcome.lifecycle.is_degraded() {
                outcome.notes.push(format!(
                    "Last known good: company {} checked {}.",
                    state.facts.company_label(),
                    last_success
                        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_else(|| "never".into())
                ));
            }
            if outcome.facts.is_none() {
                let mut known = state.facts.clone();
                known.last_good_check = last_success;
                outcome.facts = Some(known);
            }
        }
        self.settle_marker(clear_own_marker);
        outcome
    }

    /// An interrupted replacement is resolved by a check of the stored key; a running one is
    /// left to its process.
    fn settle_marker(&self, own: bool) {
        if let Ok(Some(m)) = self.home.load::<Replacement>()
            && (m.is_stale() || (own && m.pid == std::process::id()))
            && let Err(e) = self.home.remove::<Replacement>()
        {
            tracing::warn!(error = %e, "could not remove the replacement marker");
        }
    }

    /// `PLEO_API_KEY`: checked read-only; nothing is stored or written but the audit line.
    async fn check_one_run_key(&self, key: ApiKey, state: Option<&State>) -> Outcome {
        let input = self.input(
            Mode::Revalidate,
            KeySource::Environment,
            state.map(|s| &s.facts),
        );
        let (_, mut outcome, _) = self.run(&key, &input).await;
        let kind = if outcome.is_active() {
            AuditKind::RevalidationPassed
        } else {
            AuditKind::RevalidationFailed
        };
        self.home.audit(
            AuditEvent::new(kind)
                .key(&key.id())
                .source(KeySource::Environment)
                .reason(outcome.reason)
                .detail("the key came from PLEO_API_KEY; nothing was stored"),
        );
        outcome.notes.push(
            "The key came from PLEO_API_KEY for this run only: nothing was stored or recorded, and the stored key (if any) is as it was."
                .into(),
        );
        outcome
    }

    /// A stored key the state does not describe: activate it fully and commit it.
    async fn commit_stored_key(&self, key: ApiKey, old: Option<State>) -> Outcome {
        let source = self.store.kind();
        let input = self.input(Mode::Activate, source, old.as_ref().map(|s| &s.facts));
        let (run, mut outcome, took) = self.run(&key, &input).await;
        let _lock = match self.lock_if_unchanged(old.as_ref()).await {
            Ok(Some(lock)) => lock,
            Ok(None) => return self.conflict(),
            Err(failed) => return failed,
        };
        let (true, Some(facts)) = (outcome.is_active(), run.facts) else {
            self.record_check(&outcome, None, took);
            self.home.audit(
                AuditEvent::new(AuditKind::ActivationFailed)
                    .key(&key.id())
                    .source(source)
                    .reason(outcome.reason)
                    .detail(&outcome.lifecycle.headline()),
            );
            return outcome;
        };
        let state = self.next_state(old.as_ref(), facts.clone());
        if let Err(e) = self.home.save(&state) {
            return self.storage(&e);
        }
        outcome.committed = true;
        outcome.facts = Some(facts.clone());
        self.record_check(&outcome, Some(input.now), took);
        self.home.audit(
            AuditEvent::new(AuditKind::ActivationPassed)
                .key(&facts.key)
                .source(source)
                .company(facts.company_id),
        );
        if let Err(e) = self.home.remove::<Replacement>() {
            tracing::warn!(error = %e, "could not remove the replacement marker");
        }
        outcome
    }
}
