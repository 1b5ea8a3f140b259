//! Activation and revalidation, in the order Pleo's integration design requires: authenticate
//! (introspect) → company → installation → scopes → expiry. Active only if all pass.
//!
//! A routine check (revalidation) sends introspect and the installation GET at once and never
//! writes to Pleo; activation keeps the order where a step needs the previous one's answer.
//! Where Pleo's documentation is silent the procedure does not bet on one guess: a GET that fails
//! otherwise than 401/403 leads to one POST, a POST that says "exists" falls back to GET/PUT, and
//! an introspection Pleo does not offer leaves the scopes unverified instead of failing.

mod checks;
mod company;
mod installation;

use super::state::{CompanyChoice, Degradation, Lifecycle};
use super::steps::{Step, StepLog, StepName, StepResult};
use crate::domain::{CompanyId, ConnectionFacts, KeySource, OrganizationId, Subject, Text};
use crate::pleo::{ApiError, Company, Installation, InstallationCall, Introspection, PleoApi};
use crate::secret::ApiKey;
use installation::installation_for_activation;
use jiff::Timestamp;
use jiff::civil::Date;

/// Keys expiring within this many days give a warning.
pub const EXPIRY_WARNING_DAYS: i32 = 14;
/// A company name read from Pleo is trusted this long before a check reads it again.
pub const NAME_MAX_AGE: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A key was just provided (or deliberately re-activated): create/activate the installation.
    Activate,
    /// A routine check of a committed key: read only, never changes anything in Pleo.
    Revalidate,
}

/// The company the integration is bound to, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub company: CompanyId,
    pub name: Option<Text>,
    pub name_read_at: Option<Timestamp>,
}

impl Bound {
    pub fn of(facts: &ConnectionFacts) -> Bound {
        Bound {
            company: facts.company_id,
            name: facts.company_name.clone(),
            name_read_at: facts.company_name_read_at,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ActivationInput {
    pub mode: Mode,
    pub key_source: KeySource,
    pub required_scopes: Vec<String>,
    /// The company chosen for an organisation-level key (or confirmed for one Pleo did not name).
    pub company_choice: Option<CompanyId>,
    pub bound: Option<Bound>,
    pub confirm_company_change: bool,
    pub expires_on: Option<Date>,
    pub now: Timestamp,
    pub today: Date,
}

/// Everything one run learned, whether or not it succeeded. Nothing is committed here.
#[derive(Debug, Clone)]
pub struct Run {
    pub lifecycle: Lifecycle,
    pub steps: Vec<Step>,
    /// What the run established, when it got that far (active, missing scopes, inactive).
    pub facts: Option<ConnectionFacts>,
    /// Set when the run accepted a confirmed switch away from the bound company.
    pub company_changed_from: Option<CompanyId>,
    pub notes: Vec<String>,
}

/// Run the whole procedure. Never panics, never commits anything.
pub async fn activate(api: &dyn PleoApi, key: &ApiKey, input: &ActivationInput) -> Run {
    let mut a = Activation::new(input);
    let installed = match input.mode {
        Mode::Revalidate => a.revalidate(api, key).await,
        Mode::Activate => a.activate(api, key).await,
    };
    // Past the installation (`None`: the run stopped there): the company, scopes, expiry.
    if let Some(name) = installed {
        a.company_step(api, key, name).await;
        a.scopes_step();
        a.expiry_step();
    }
    a.finish(key)
}

/// The state a failed call means.
pub fn state_for(err: &ApiError) -> Lifecycle {
    match err {
        ApiError::KeyRejected => Lifecycle::KeyRejected,
        ApiError::Forbidden {
            error_type,
            message,
        } => Lifecycle::AccessDenied {
            detail: message
                .as_ref()
                .or(error_type.as_ref())
                .map(|t| t.to_string())
                .unwrap_or_else(|| "403 Forbidden".into()),
        },
        // Whatever produced the wait (a header, a test's fake), the lifecycle believes an hour.
        ApiError::RateLimited { retry_after } => Lifecycle::Degraded(Degradation::RateLimited {
            retry_after: retry_after.map(|w| w.min(crate::pleo::MAX_RETRY_AFTER)),
        }),
        ApiError::Server { status } => {
            Lifecycle::Degraded(Degradation::ServerError { status: *status })
        }
        ApiError::Network { detail, .. } => Lifecycle::Degraded(Degradation::Unreachable {
            detail: detail.clone(),
        }),
        // The detail alone: the state's own words already say "unexpected response".
        ApiError::Unexpected { detail } => Lifecycle::Degraded(Degradation::UnexpectedResponse {
            detail: detail.clone(),
        }),
        ApiError::NotFound { .. } | ApiError::Client { .. } => {
            Lifecycle::Degraded(Degradation::UnexpectedResponse {
                detail: err.to_string(),
            })
        }
    }
}

const REJECTED: &str = "Pleo rejected the key (401): it may have expired, been revoked or deleted, or was created in the other environment (a staging key does not work in production and vice versa)";

/// A company key's name, when it was read alongside the installation.
type NameLookup = Option<Result<Company, ApiError>>;

struct Activation<'i> {
    input: &'i ActivationInput,
    log: StepLog,
    granted: Option<Vec<String>>,
    subject: Option<Subject>,
    organization: Option<OrganizationId>,
    org_companies: Option<Vec<CompanyChoice>>,
    installation: Option<Installation>,
    company: Option<CompanyId>,
    name: Option<Text>,
    name_read_at: Option<Timestamp>,
    changed_from: Option<CompanyId>,
    notes: Vec<String>,
}

impl<'i> Activation<'i> {
    fn new(input: &'i ActivationInput) -> Activation<'i> {
        Activation {
            input,
            log: StepLog::default(),
            granted: None,
            subject: None,
            organization: None,
            org_companies: None,
            installation: None,
            company: None,
            name: None,
            name_read_at: None,
            changed_from: None,
            notes: Vec::new(),
        }
    }

    fn stopped(&self) -> bool {
        self.log.failure.is_some()
    }

    /// A routine check: introspect and the installation at once, nothing written.
    async fn revalidate(&mut self, api: &dyn PleoApi, key: &ApiKey) -> Option<NameLookup> {
        let narrow = self.input.bound.as_ref().map(|b| b.company);
        let (intro, inst) = tokio::join!(
            api.introspect(key),
            api.installation(key, InstallationCall::Get, narrow)
        );
        // A 401 on either call: the key is rejected, whatever the other said.
        if matches!(inst, Err(ApiError::KeyRejected))
            && !matches!(intro, Err(ApiError::KeyRejected))
        {
            self.log
                .step(StepName::ReachPleo, StepResult::Passed, "Pleo answered");
            self.log
                .step(StepName::Authenticate, StepResult::Failed, REJECTED);
            self.log.fail(Lifecycle::KeyRejected);
            self.log.skip(&[
                StepName::Installation,
                StepName::Company,
                StepName::Scopes,
                StepName::Expiry,
            ]);
            return None;
        }
        if !self.authenticate(intro) {
            return None;
        }
        if let Some(Subject::Organization(org)) = self.subject {
            self.organization = Some(org);
        }
        match inst {
            Ok(i) => {
                self.installation_settled(i, false);
            }
            Err(e) => {
                let (state, message) = match &e {
                    // INFERRED: what Pleo answers for a deleted installation is not documented.
                    ApiError::NotFound { .. } => (
                        Lifecycle::InstallationInactive {
                            status: None,
                            error_code: None,
                        },
                        "the installation no longer exists in Pleo".to_string(),
                    ),
                    other => (state_for(other), other.to_string()),
                };
                self.installation_failed(state, message);
                return None;
            }
        }
        Some(None)
    }

    /// A new (or deliberately re-activated) key.
    async fn activate(&mut self, api: &dyn PleoApi, key: &ApiKey) -> Option<NameLookup> {
        let intro = api.introspect(key).await;
        if !self.authenticate(intro) {
            return None;
        }
        let narrow = self.choose_company(api, key).await?;
        // company_id is documented on GET only. INFERRED: POST and PUT take it too for an
        // organisation-level key, which would otherwise not say which company it installs.
        let write_company = match self.subject {
            Some(Subject::Organization(_)) => {
                self.notes.push("company_id was sent on the installation POST/PUT for this organisation-level key: Pleo documents it on GET only (INFERRED)".into());
                narrow
            }
            _ => None,
        };
        // A company key's name is read while the installation is settled.
        let name_lookup = async {
            match self.subject {
                Some(Subject::Company(id)) if self.org_companies.is_none() => {
                    Some(api.get_company(key, id).await)
                }
                _ => None,
            }
        };
        let (installed, name) = tokio::join!(
            installation_for_activation(api, key, narrow, write_company),
            name_lookup
        );
        match installed {
            Ok((i, created)) => {
                if !self.installation_settled(i, created) && !self.stopped() {
                    // Settled but inactive: recorded; the company is still worth reporting.
                }
            }
            Err(e) => {
                self.installation_failed(state_for(&e), e.to_string());
                return None;
            }
        }
        Some(name)
    }

    /// The installation step failed: the run stops with `state`, the later steps skipped.
    fn installation_failed(&mut self, state: Lifecycle, message: String) {
        self.log
            .step(StepName::Installation, StepResult::Failed, message);
        self.log.fail(state);
        self.log
            .skip(&[StepName::Company, StepName::Scopes, StepName::Expiry]);
    }

    /// Step 1: the key authenticates and its scopes are read. `false` stops the run.
    fn authenticate(&mut self, intro: Result<Introspection, ApiError>) -> bool {
        use StepName::*;
        let intro = match intro {
            Ok(i) => i,
            // INFERRED: introspection is not documented for standalone keys. Without it, the
            // installation still binds the company and the scopes stay unverified.
            Err(ApiError::NotFound { .. } | ApiError::Forbidden { .. }) => {
                self.log
                    .step(ReachPleo, StepResult::Passed, "Pleo answered");
                self.log.step(
                    Authenticate,
                    StepResult::Warning,
                    "introspection is not available to this key (404/403): the installation is checked instead, and the scopes cannot be verified",
                );
                return true;
            }
            Err(e) => {
                let state = state_for(&e);
                if e.is_transient() {
                    self.log.step(ReachPleo, StepResult::Failed, e.to_string());
                    self.log
                        .skip(&[Authenticate, Installation, Company, Scopes, Expiry]);
                } else {
                    self.log
                        .step(ReachPleo, StepResult::Passed, "Pleo answered");
                    let msg = match e {
                        ApiError::KeyRejected => REJECTED.to_string(),
                        other => other.to_string(),
                    };
                    self.log.step(Authenticate, StepResult::Failed, msg);
                    self.log.skip(&[Installation, Company, Scopes, Expiry]);
                }
                self.log.fail(state);
                return false;
            }
        };
        self.log
            .step(ReachPleo, StepResult::Passed, "Pleo answered");
        self.granted = Some(intro.scopes());
        self.subject = intro.subject();
        let msg = match &self.subject {
            Some(s) => format!("authenticated ({} key for {s})", intro.auth_method),
            None => format!("authenticated ({} key)", intro.auth_method),
        };
        self.log.step(Authenticate, StepResult::Passed, msg);
        true
    }

    fn finish(self, key: &ApiKey) -> Run {
        let lifecycle = self.log.failure.clone().unwrap_or(Lifecycle::Active);
        let has_facts = matches!(
            lifecycle,
            Lifecycle::Active
                | Lifecycle::MissingScopes { .. }
                | Lifecycle::InstallationInactive { .. }
        );
        let facts = match (has_facts, self.company, &self.installation) {
            (true, Some(company), Some(inst)) => Some(ConnectionFacts {
                company_id: company,
                company_name: self.name,
                company_name_read_at: self.name_read_at,
                organization_id: self.organization,
                key: key.id(),
                key_source: self.input.key_source,
                installation_id: inst.id.clone(),
                installation_status: inst.status.clone(),
                installation_error: inst.error_code.clone(),
                required_scopes: self.input.required_scopes.clone(),
                granted_scopes: self.granted,
                expires_on: self.input.expires_on,
                last_good_check: lifecycle.is_active().then_some(self.input.now),
                activated_at: self.input.now,
            }),
            _ => None,
        };
        Run {
            lifecycle,
            steps: self.log.steps,
            facts,
            company_changed_from: self.changed_from,
            notes: self.notes,
        }
    }
}
