//! Replacing the key, as a transaction: the new key is activated on its own, and stored only on
//! full success (and, for another company, an explicit confirmation). A failed, interrupted or
//! declined replacement changes nothing stored, and the current key is checked again before it
//! is used (Pleo may have changed meanwhile).

use super::{CompanyChange, Engine, ReplaceOptions};
use crate::domain::{KeySource, Reason};
use crate::lifecycle::activation::Mode;
use crate::lifecycle::outcome::{Outcome, Replaced};
use crate::lifecycle::state::Lifecycle;
use crate::secret::ApiKey;
use crate::store::{AuditEvent, AuditKind, LastCheck, Replacement, State};

impl Engine {
    /// A newly provided key.
    pub async fn replace_key(&self, key: ApiKey, opts: &ReplaceOptions) -> Outcome {
        self.replace_inner(key, opts, false).await
    }

    /// Deliberately activate the stored key again, as if it had just been entered (after an
    /// inactive installation, or to switch an organisation key's company).
    pub async fn reactivate(&self, opts: &ReplaceOptions) -> Outcome {
        let key = match self.store.load().await {
            Ok(Some(k)) => k,
            Ok(None) => return Outcome::bare(Lifecycle::NotConfigured),
            Err(e) => return self.storage(&e),
        };
        self.replace_inner(key, opts, true).await
    }

    async fn replace_inner(&self, key: ApiKey, opts: &ReplaceOptions, same_key: bool) -> Outcome {
        let before = {
            let _lock = match self.home.lock().await {
                Ok(l) => l,
                Err(e) => return self.storage(&e),
            };
            let before = match self.home.state() {
                Ok(s) => s,
                Err(e) => return self.storage(&e),
            };
            // Whoever uses the key (a gateway) holds traffic until this settles.
            let marker = Replacement {
                version: crate::store::state::REPLACEMENT_VERSION,
                pid: std::process::id(),
                started_at: self.now(),
                candidate: key.id(),
            };
            if let Err(e) = self.home.save(&marker) {
                return self.storage(&e);
            }
            if !same_key {
                self.home.audit(
                    AuditEvent::new(AuditKind::KeyEntered)
                        .key(&key.id())
                        .source(KeySource::Entered),
                );
            }
            before
        };
        let source = if same_key {
            self.store.kind()
        } else {
            KeySource::Entered
        };
        let mut input = self.input(Mode::Activate, source, before.as_ref().map(|s| &s.facts));
        input.company_choice = opts.company;
        input.confirm_company_change = opts.company_change == CompanyChange::Confirm;
        input.expires_on = match (same_key, &before) {
            // Re-activating the same key keeps its recorded expiry unless a new one is given.
            (true, Some(s)) => opts.expires_on.or(s.facts.expires_on),
            _ => opts.expires_on,
        };
        let (run, mut outcome, took) = self.run(&key, &input).await;

        // Nothing is stored yet: whatever stops the commit here leaves no marker behind.
        let lock = match self.lock_if_unchanged(before.as_ref()).await {
            Ok(Some(lock)) => lock,
            Ok(None) => {
                self.drop_own_marker();
                return self.conflict();
            }
            Err(failed) => {
                self.drop_own_marker();
                return failed;
            }
        };
        let Some(facts) = run.facts.filter(|_| outcome.is_active()) else {
            self.record_failure(&key, &outcome, opts, before.is_some(), same_key);
            if same_key {
                // A re-activation's verdict is the stored key's own.
                let last = self.home.load::<LastCheck>().ok().flatten();
                self.record_check(&outcome, last.and_then(|l| l.last_success_at), took);
                self.drop_own_marker();
                return outcome;
            }
            drop(lock);
            return self.resume_current(outcome, before, opts).await;
        };

        // Commit: the key first, so a state file never names a key that was not stored.
        if !same_key && let Err(e) = self.store.save(&key).await {
            self.drop_own_marker();
            let mut failed = self.storage(&e);
            failed.key = Some(key.id());
            failed.steps = outcome.steps;
            return failed;
        }
        let facts = crate::domain::ConnectionFacts {
            key_source: self.store.kind(),
            activated_at: match &before {
                Some(b) if same_key => b.facts.activated_at,
                _ => facts.activated_at,
            },
            ..facts
        };
        let state = self.next_state(before.as_ref(), facts.clone());
        if let Err(e) = self.home.save(&state) {
            self.drop_own_marker();
            return self.storage(&e);
        }
        outcome.committed = true;
        outcome.key_source = Some(facts.key_source);
        outcome.facts = Some(facts.clone());
        self.record_check(&outcome, Some(input.now), took);
        self.drop_own_marker();
        // What the audit log says of a commit: each event names the company it is about.
        let about = |kind, key: &crate::domain::KeyId, detail: Option<String>| {
            let event = AuditEvent::new(kind).key(key).company(facts.company_id);
            self.home.audit(match detail {
                Some(d) => event.detail(&d),
                None => event.source(facts.key_source),
            });
        };
        if let Some(from) = run.company_changed_from {
            about(
                AuditKind::CompanyChangeConfirmed,
                &facts.key,
                Some(format!("from company {from}")),
            );
        }
        about(AuditKind::ActivationPassed, &facts.key, None);
        if let Some(old) = before.map(|b| b.facts.key)
            && old != facts.key
        {
            about(
                AuditKind::KeyReplaced,
                &facts.key,
                Some(format!("replaced key {old}")),
            );
            about(
                AuditKind::KeyRetired,
                &old,
                Some("delete it in Pleo (Settings, API keys)".into()),
            );
            outcome.replaced = Some(Replaced::Retired { old });
        }
        outcome
    }

    fn record_failure(
        &self,
        key: &ApiKey,
        outcome: &Outcome,
        opts: &ReplaceOptions,
        had_key: bool,
        same_key: bool,
    ) {
        let mismatch = matches!(outcome.lifecycle, Lifecycle::CompanyMismatch { .. });
        let kind = match (mismatch, opts.company_change, had_key && !same_key) {
            // The dashboard asks the operator; the answer is recorded then.
            (true, CompanyChange::Ask, _) => return,
            (true, CompanyChange::Refuse, _) => AuditKind::CompanyChangeDeclined,
            (_, _, true) => AuditKind::ReplacementFailed,
            _ => AuditKind::ActivationFailed,
        };
        let mut event = AuditEvent::new(kind)
            .key(&key.id())
            .reason(outcome.reason)
            .detail(&outcome.lifecycle.headline());
        if let Lifecycle::CompanyMismatch { got, .. } = &outcome.lifecycle {
            event = event.company(*got);
        }
        self.home.audit(event);
    }

    /// After a replacement that was not committed: the current key (if any) is checked again
    /// before it is used, and the outcome says it stays.
    async fn resume_current(
        &self,
        mut outcome: Outcome,
        before: Option<State>,
        opts: &ReplaceOptions,
    ) -> Outcome {
        let Some(before) = before else {
            self.drop_own_marker();
            return outcome;
        };
        let current = before.facts.key.clone();
        let awaiting_answer = opts.company_change == CompanyChange::Ask
            && matches!(outcome.lifecycle, Lifecycle::CompanyMismatch { .. });
        let check = if awaiting_answer || outcome.lifecycle.is_degraded() {
            // Pleo is not answering (or the operator is about to): no second round trip now.
            self.drop_own_marker();
            None
        } else {
            Some(Box::new(self.check_inner(true).await))
        };
        if outcome.key.as_ref() != Some(&current) {
            outcome.replaced = Some(Replaced::Kept { current, check });
        }
        outcome
    }

    /// The operator answered "keep current" to a key for another company.
    pub async fn decline_company_change(
        &self,
        candidate: &ApiKey,
        other: Option<crate::domain::CompanyId>,
    ) -> Outcome {
        let mut event = AuditEvent::new(AuditKind::CompanyChangeDeclined)
            .key(&candidate.id())
            .reason(Reason::CompanyMismatch)
            .detail("declined by the operator; the current key stays");
        if let Some(c) = other {
            event = event.company(c);
        }
        self.home.audit(event);
        let check = self.check().await;
        let mut outcome = check.clone();
        if let Some(current) = check.key.clone() {
            outcome.replaced = Some(Replaced::Kept {
                current,
                check: Some(Box::new(check)),
            });
        }
        outcome
    }

    fn drop_own_marker(&self) {
        if let Ok(Some(m)) = self.home.load::<Replacement>()
            && m.pid == std::process::id()
            && let Err(e) = self.home.remove::<Replacement>()
        {
            tracing::warn!(error = %e, "could not remove the replacement marker");
        }
    }
}
