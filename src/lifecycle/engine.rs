//! The procedures that tie a Pleo run to what is stored: replace a key, check, re-activate,
//! forget. Shared by the CLI and the dashboard. Only a fully successful activation commits.

use super::activation::{ActivationInput, ActivationReport, Mode, activate};
use super::state::Lifecycle;
use crate::config::Paths;
use crate::pleo::{CallLog, ClientSettings, Endpoint, PleoClient};
use crate::report::Report;
use crate::secret::ApiKey;
use crate::store::lock::{HomeLock, LOCK_WAIT};
use crate::store::{
    AuditEvent, AuditKind, AuditLog, LastCheck, SecretStore, State, StoreKind, load_last_check,
    load_state, save_last_check, save_state,
};

/// Where the key used by a run came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    Store(StoreKind),
    Environment,
    Entered,
}

impl KeySource {
    pub fn describe(&self, store: &SecretStore) -> String {
        match self {
            KeySource::Store(_) => store.location(),
            KeySource::Environment => "the PLEO_API_KEY environment variable (not stored)".into(),
            KeySource::Entered => "entered now, not stored".into(),
        }
    }
}

/// Everything a command needs to run the lifecycle against one Pleo and one home.
pub struct Engine {
    pub paths: Paths,
    pub store: SecretStore,
    pub endpoint: Endpoint,
    pub settings: ClientSettings,
    pub required_scopes: Vec<String>,
    pub calls: CallLog,
    pub audit: AuditLog,
    /// `PLEO_API_KEY`: used for this run instead of the stored key, never stored.
    pub env_key: Option<ApiKey>,
}

#[derive(Debug, Clone, Default)]
pub struct ReplaceOptions {
    pub expires_on: Option<jiff::civil::Date>,
    pub company: Option<String>,
    pub confirm_company_change: bool,
}

/// The result of a procedure: the report to print, and the run behind it when there was one.
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    pub run: Option<ActivationReport>,
    pub committed: bool,
}

impl Engine {
    fn today() -> jiff::civil::Date {
        jiff::Zoned::now().date()
    }

    fn client(&self, key: &ApiKey) -> Result<PleoClient, Lifecycle> {
        PleoClient::new(
            key,
            self.endpoint.clone(),
            self.settings.clone(),
            self.calls.clone(),
        )
        .map_err(|e| {
            Lifecycle::Degraded(crate::lifecycle::Degradation::Unreachable {
                detail: e.to_string(),
            })
        })
    }

    fn bare(&self, state: &Lifecycle) -> Outcome {
        Outcome {
            report: Report::bare(
                state,
                &self.endpoint.environment,
                self.endpoint.base_url.as_str(),
            ),
            run: None,
            committed: false,
        }
    }

    fn audit(&self, event: AuditEvent) {
        // The audit log must not turn a good activation into a failure; say so in the log file.
        if let Err(e) = self.audit.append(event) {
            tracing::warn!(error = %e, "could not append to the audit log");
        }
    }

    fn record_check(
        &self,
        report: &Report,
        fingerprint: Option<String>,
        superseded: bool,
        last_success: Option<jiff::Timestamp>,
    ) {
        let last = LastCheck {
            version: 1,
            checked_at: report.checked_at.unwrap_or_else(jiff::Timestamp::now),
            status: report.status.as_str().to_string(),
            reason: report.reason.clone(),
            message: report.message.clone(),
            active: matches!(
                report.status,
                crate::lifecycle::CheckStatus::Ok | crate::lifecycle::CheckStatus::Warning
            ),
            last_success_at: last_success,
            key_fingerprint: fingerprint,
            superseded,
        };
        if let Err(e) = save_last_check(&self.paths.last_check_file, &last) {
            tracing::warn!(error = %e, "could not record the last check");
        }
    }

    fn storage_failure(&self, detail: String) -> Outcome {
        self.bare(&Lifecycle::StorageError { detail })
    }

    /// Serialise writers of this home (see `store::lock`).
    pub async fn lock_home(&self) -> Result<HomeLock, Outcome> {
        crate::store::lock::acquire(self.paths.lock_file.clone(), LOCK_WAIT)
            .await
            .map_err(|e| self.storage_failure(e.to_string()))
    }

    /// A newly provided key. The previous authentication state is invalidated at once; the new
    /// key is activated on its own and committed (stored, state written) only if every step passed.
    pub async fn replace_key(&self, key: ApiKey, opts: &ReplaceOptions) -> Outcome {
        let lock = match self.lock_home().await {
            Ok(l) => l,
            Err(o) => return o,
        };
        let previous = match load_state(&self.paths.state_file) {
            Ok(s) => s,
            Err(e) => return self.storage_failure(e.to_string()),
        };
        let previous_check = load_last_check(&self.paths.last_check_file).ok().flatten();
        self.audit(AuditEvent::new(AuditKind::KeyEntered).key(&key));
        if let Some(prev) = &previous {
            // Nothing uses the old key from here on, whatever happens next.
            let invalidated = Report::bare(
                &Lifecycle::Superseded {
                    detail: "A new key is being activated; the previous key is no longer in use."
                        .into(),
                },
                &self.endpoint.environment,
                self.endpoint.base_url.as_str(),
            );
            self.record_check(
                &invalidated,
                Some(prev.key_fingerprint.clone()),
                true,
                previous_check.as_ref().and_then(|c| c.last_success_at),
            );
        }
        // Not held across the network: another process may write meanwhile; checked below.
        drop(lock);
        let input = ActivationInput {
            mode: Mode::Activate,
            required_scopes: self.required_scopes.clone(),
            company_choice: opts.company.clone(),
            bound_company: previous.as_ref().map(|s| s.company_id.clone()),
            confirm_company_change: opts.confirm_company_change,
            expires_on: opts.expires_on,
            today: Self::today(),
        };
        let mut outcome = self.run(&key, &input, KeySource::Entered).await;
        let run = match &outcome.run {
            Some(run) => run.clone(),
            None => return outcome,
        };
        let _lock = match self.lock_home().await {
            Ok(l) => l,
            Err(o) => return o,
        };
        if let Some(conflict) = self.changed_meanwhile(previous.as_ref()) {
            return conflict;
        }
        if !run.is_active() {
            let state = run.lifecycle();
            self.audit(
                AuditEvent::new(AuditKind::ActivationFailed)
                    .key(&key)
                    .reason(state.reason())
                    .detail(&state.headline()),
            );
            if let Lifecycle::CompanyMismatch { got, .. } = &state {
                self.audit(
                    AuditEvent::new(AuditKind::CompanyChangeRefused)
                        .key(&key)
                        .company(got),
                );
                outcome.report.notes.push(
                    "Nothing stored was changed except that this replacement was refused; the previous key stays stored and can be re-activated with: pleo-keys reactivate".into(),
                );
            }
            self.record_check(
                &outcome.report,
                Some(key.fingerprint()),
                previous.is_some(),
                previous_check.and_then(|c| c.last_success_at),
            );
            return outcome;
        }
        // Commit: the key first, so a state file never points at a key that was not stored.
        if let Err(e) = self.store.save(&key).await {
            let mut failed = self.storage_failure(format!(
                "the key passed activation but could not be stored: {e}"
            ));
            failed.run = Some(run);
            self.record_check(
                &failed.report,
                Some(key.fingerprint()),
                previous.is_some(),
                None,
            );
            return failed;
        }
        let now = jiff::Timestamp::now();
        let state = self.state_from(&run, &key, self.store.kind(), now, opts.expires_on);
        if let Err(e) = save_state(&self.paths.state_file, &state) {
            return self.storage_failure(e.to_string());
        }
        outcome.committed = true;
        self.record_check(&outcome.report, Some(key.fingerprint()), false, Some(now));
        let company = state.company_id.clone();
        if let Some(from) = &run.company_changed_from {
            self.audit(
                AuditEvent::new(AuditKind::CompanyChangeConfirmed)
                    .key(&key)
                    .company(&company)
                    .detail(&format!("from company {from}")),
            );
        }
        self.audit(
            AuditEvent::new(AuditKind::ActivationPassed)
                .key(&key)
                .company(&company),
        );
        if let Some(prev) = &previous
            && prev.key_fingerprint != key.fingerprint()
        {
            self.audit(
                AuditEvent::new(AuditKind::KeyReplaced)
                    .key(&key)
                    .company(&company)
                    .detail(&format!("replaced key {}", prev.key_fingerprint)),
            );
        }
        outcome.report.key_source = Some(self.store.location());
        outcome
    }

    /// Revalidate the committed key (or the `PLEO_API_KEY` one) now.
    pub async fn check(&self) -> Outcome {
        let state = match load_state(&self.paths.state_file) {
            Ok(s) => s,
            Err(e) => return self.storage_failure(e.to_string()),
        };
        let last = load_last_check(&self.paths.last_check_file).ok().flatten();
        let (key, source) = match self.current_key().await {
            Ok(Some(found)) => found,
            Ok(None) => {
                let mut o = self.bare(&Lifecycle::NotConfigured);
                if state.is_some() {
                    o.report.message = format!(
                        "The state file names a key, but {} holds none (a kernel keyring forgets keys on reboot).",
                        self.store.location()
                    );
                }
                return o;
            }
            Err(e) => return self.storage_failure(e),
        };
        if source != KeySource::Environment
            && let Some(last) = &last
            && last.superseded
        {
            let at = last.checked_at.strftime("%Y-%m-%d %H:%M UTC");
            let what = match last.reason.as_str() {
                "replacement_pending" => {
                    format!("a key replacement started at {at} was interrupted")
                }
                "company_mismatch" => {
                    format!(
                        "a key replacement at {at} was refused: the new key belongs to another company"
                    )
                }
                other => format!("a key replacement at {at} failed ({other})"),
            };
            let mut o = self.bare(&Lifecycle::Superseded {
                detail: format!("Not active: {what}; the stored key is no longer in use."),
            });
            o.report.key_hint = Some(key.hint());
            o.report.key_source = Some(source.describe(&self.store));
            return o;
        }
        let same_key = state
            .as_ref()
            .is_some_and(|s| s.key_fingerprint == key.fingerprint());
        let input = ActivationInput {
            // A key the state does not know (PLEO_API_KEY, or a state lost) gets a full activation.
            mode: if same_key {
                Mode::Revalidate
            } else {
                Mode::Activate
            },
            required_scopes: self.required_scopes.clone(),
            company_choice: None,
            bound_company: state.as_ref().map(|s| s.company_id.clone()),
            confirm_company_change: false,
            expires_on: state
                .as_ref()
                .filter(|_| same_key)
                .and_then(|s| s.key_expires_on),
            today: Self::today(),
        };
        let mut outcome = self.run(&key, &input, source).await;
        let Some(run) = outcome.run.clone() else {
            return outcome;
        };
        let _lock = match self.lock_home().await {
            Ok(l) => l,
            Err(o) => return o,
        };
        if self.changed_meanwhile(state.as_ref()).is_some() {
            // Another process set a key while this check ran: its facts win; ours are stale.
            outcome.report.notes.push(
                "The stored key changed while this check ran; nothing was recorded. Check again."
                    .into(),
            );
            return outcome;
        }
        let last = load_last_check(&self.paths.last_check_file).ok().flatten();
        let was_active = last.as_ref().is_some_and(|l| l.active);
        let now = jiff::Timestamp::now();
        if run.is_active() {
            let kind = match source {
                KeySource::Environment => StoreKind::Environment,
                _ => self.store.kind(),
            };
            let fresh = self.state_from(&run, &key, kind, now, input.expires_on);
            // Rewrite the state only when a fact changed (scopes, name, status) or it is new.
            let changed = match &state {
                Some(old) => !same_facts(old, &fresh),
                None => true,
            };
            if changed {
                let keep_activated_at = state.as_ref().filter(|_| same_key).map(|s| s.activated_at);
                let fresh = State {
                    activated_at: keep_activated_at.unwrap_or(fresh.activated_at),
                    ..fresh
                };
                if let Err(e) = save_state(&self.paths.state_file, &fresh) {
                    return self.storage_failure(e.to_string());
                }
                outcome.committed = true;
            }
            if !was_active || !same_key {
                let kind = if same_key {
                    AuditKind::RevalidationPassed
                } else {
                    AuditKind::ActivationPassed
                };
                self.audit(
                    AuditEvent::new(kind)
                        .key(&key)
                        .company(&fresh_company(&run)),
                );
            }
            self.record_check(&outcome.report, Some(key.fingerprint()), false, Some(now));
        } else {
            let state_now = run.lifecycle();
            // Transient faults are logged once per streak, not every minute from cron.
            let already_failing = last
                .as_ref()
                .is_some_and(|l| !l.active && l.reason == outcome.report.reason);
            if !already_failing {
                self.audit(
                    AuditEvent::new(if same_key {
                        AuditKind::RevalidationFailed
                    } else {
                        AuditKind::ActivationFailed
                    })
                    .key(&key)
                    .reason(state_now.reason())
                    .detail(&state_now.headline()),
                );
            }
            let last_success = last.as_ref().and_then(|l| l.last_success_at);
            self.record_check(
                &outcome.report,
                Some(key.fingerprint()),
                false,
                last_success,
            );
            if matches!(state_now, Lifecycle::Degraded(_))
                && let Some(s) = &state
            {
                outcome.report.notes.push(format!(
                    "Last known good: company {} checked {}.",
                    s.company_id,
                    last_success
                        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_else(|| "never".into())
                ));
            }
        }
        outcome
    }

    /// The state file no longer says what it said when this run started.
    fn changed_meanwhile(&self, seen: Option<&State>) -> Option<Outcome> {
        let now = match load_state(&self.paths.state_file) {
            Ok(s) => s,
            Err(e) => return Some(self.storage_failure(e.to_string())),
        };
        let fingerprint =
            |s: Option<&State>| s.map(|s| (s.key_fingerprint.clone(), s.company_id.clone()));
        if fingerprint(now.as_ref()) == fingerprint(seen) {
            return None;
        }
        Some(self.storage_failure(format!(
            "another pleo-keys changed the stored key in {} while this one was working; nothing was stored. Run the command again.",
            self.paths.state_file.display()
        )))
    }

    /// Deliberately activate the stored key again, as if it had just been entered.
    pub async fn reactivate(&self, opts: &ReplaceOptions) -> Outcome {
        let key = match self.store.load().await {
            Ok(Some(k)) => k,
            Ok(None) => return self.bare(&Lifecycle::NotConfigured),
            Err(e) => return self.storage_failure(e.to_string()),
        };
        let expires = match load_state(&self.paths.state_file) {
            Ok(s) => opts.expires_on.or(s.and_then(|s| s.key_expires_on)),
            Err(e) => return self.storage_failure(e.to_string()),
        };
        let opts = ReplaceOptions {
            expires_on: expires,
            ..opts.clone()
        };
        self.replace_key(key, &opts).await
    }

    /// The key this run uses: PLEO_API_KEY wins over the stored one.
    pub async fn current_key(&self) -> Result<Option<(ApiKey, KeySource)>, String> {
        if let Some(k) = &self.env_key {
            return Ok(Some((k.clone(), KeySource::Environment)));
        }
        match self.store.load().await {
            Ok(Some(k)) => Ok(Some((k, KeySource::Store(self.store.kind())))),
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    async fn run(&self, key: &ApiKey, input: &ActivationInput, source: KeySource) -> Outcome {
        let client = match self.client(key) {
            Ok(c) => c,
            Err(state) => return self.bare(&state),
        };
        let run = activate(&client, input).await;
        let mut report = Report::from_activation(
            &run,
            &self.required_scopes,
            &self.endpoint.environment,
            self.endpoint.base_url.as_str(),
            jiff::Timestamp::now(),
            input.expires_on,
        );
        report.key_hint = Some(key.hint());
        report.key_source = Some(source.describe(&self.store));
        Outcome {
            report,
            run: Some(run),
            committed: false,
        }
    }

    fn state_from(
        &self,
        run: &ActivationReport,
        key: &ApiKey,
        kind: StoreKind,
        now: jiff::Timestamp,
        expires_on: Option<jiff::civil::Date>,
    ) -> State {
        State {
            version: crate::store::STATE_VERSION,
            environment: self.endpoint.environment.clone(),
            base_url: self.endpoint.base_url.to_string(),
            company_id: fresh_company(run),
            company_name: run.company_name.clone(),
            organization_id: run.organization_id.clone(),
            required_scopes: self.required_scopes.clone(),
            granted_scopes: run.granted_scopes.clone(),
            installation_id: run
                .installation
                .as_ref()
                .map(|i| i.id.clone())
                .unwrap_or_default(),
            installation_status: run
                .installation
                .as_ref()
                .map(|i| i.status.to_string())
                .unwrap_or_default(),
            key_hint: key.hint(),
            key_fingerprint: key.fingerprint(),
            store_kind: kind,
            activated_at: now,
            key_expires_on: expires_on,
        }
    }
}

fn fresh_company(run: &ActivationReport) -> String {
    run.company_id.clone().unwrap_or_default()
}

/// Equal apart from the activation time.
fn same_facts(a: &State, b: &State) -> bool {
    State {
        activated_at: b.activated_at,
        ..a.clone()
    } == *b
}
