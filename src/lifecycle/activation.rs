//! Activation and revalidation, in the order Pleo's integration design requires: authenticate
//! (introspect) → company → installation → scopes → expiry. Active only if all pass.
//!
//! A routine check (revalidation) sends introspect and the installation GET at once and never
//! writes to Pleo; activation keeps the order where a step needs the previous one's answer.
//! Where Pleo's documentation is silent the procedure does not bet on one guess: a GET that fails
//! otherwise than 401/403 leads to one POST, a POST that says "exists" falls back to GET/PUT, and
//! an introspection Pleo does not offer leaves the scopes unverified instead of failing.

use super::state::{CompanyChoice, Degradation, Lifecycle};
use super::steps::{Step, StepLog, StepName, StepResult};
use crate::domain::facts::company_label;
use crate::domain::{
    CompanyId, ConnectionFacts, InstallationStatus, KeySource, OrganizationId, Subject, Text,
    scopes,
};
use crate::pleo::{ApiError, Company, Installation, Introspection, PleoApi};
use crate::secret::ApiKey;
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
    match input.mode {
        Mode::Revalidate => a.revalidate(api, key).await,
        Mode::Activate => a.activate(api, key).await,
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
        ApiError::RateLimited { retry_after } => Lifecycle::Degraded(Degradation::RateLimited {
            retry_after: *retry_after,
        }),
        ApiError::Server { status } => {
            Lifecycle::Degraded(Degradation::ServerError { status: *status })
        }
        ApiError::Network { detail, .. } => Lifecycle::Degraded(Degradation::Unreachable {
            detail: detail.clone(),
        }),
        ApiError::NotFound { .. } | ApiError::Client { .. } | ApiError::Unexpected { .. } => {
            Lifecycle::Degraded(Degradation::UnexpectedResponse {
                detail: err.to_string(),
            })
        }
    }
}

const REJECTED: &str = "Pleo rejected the key (401): it may have expired, been revoked or deleted, or was created in the other environment (a staging key does not work in production and vice versa)";

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
    async fn revalidate(&mut self, api: &dyn PleoApi, key: &ApiKey) {
        let narrow = self.input.bound.as_ref().map(|b| b.company);
        let (intro, inst) = tokio::join!(api.introspect(key), api.get_installation(key, narrow));
        // A 401 on either call: the key is rejected, whatever the other said.
        if matches!(inst, Err(ApiError::KeyRejected)) && !matches!(intro, Err(ApiError::KeyRejected))
        {
            self.log.step(StepName::ReachPleo, StepResult::Passed, "Pleo answered");
            self.log
                .step(StepName::Authenticate, StepResult::Failed, REJECTED);
            self.log.fail(Lifecycle::KeyRejected);
            self.log.skip(&[
                StepName::Installation,
                StepName::Company,
                StepName::Scopes,
                StepName::Expiry,
            ]);
            return;
        }
        if !self.authenticate(intro) {
            return;
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
                self.log
                    .step(StepName::Installation, StepResult::Failed, message);
                self.log.fail(state);
                self.log
                    .skip(&[StepName::Company, StepName::Scopes, StepName::Expiry]);
                return;
            }
        }
        self.company_step(api, key, None).await;
        self.scopes_step();
        self.expiry_step();
    }

    /// A new (or deliberately re-activated) key.
    async fn activate(&mut self, api: &dyn PleoApi, key: &ApiKey) {
        let intro = api.introspect(key).await;
        if !self.authenticate(intro) {
            return;
        }
        let Some(narrow) = self.choose_company(api, key).await else {
            return;
        };
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
                self.log
                    .step(StepName::Installation, StepResult::Failed, e.to_string());
                self.log.fail(state_for(&e));
                self.log
                    .skip(&[StepName::Company, StepName::Scopes, StepName::Expiry]);
                return;
            }
        }
        self.company_step(api, key, name).await;
        self.scopes_step();
        self.expiry_step();
    }

    /// Step 1: the key authenticates and its scopes are read. `false` stops the run.
    fn authenticate(&mut self, intro: Result<Introspection, ApiError>) -> bool {
        use StepName::*;
        let intro = match intro {
            Ok(i) => i,
            // INFERRED: introspection is not documented for standalone keys. Without it, the
            // installation still binds the company and the scopes stay unverified.
            Err(ApiError::NotFound { .. } | ApiError::Forbidden { .. }) => {
                self.log.step(ReachPleo, StepResult::Passed, "Pleo answered");
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
                    self.log.step(ReachPleo, StepResult::Passed, "Pleo answered");
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
        self.log.step(ReachPleo, StepResult::Passed, "Pleo answered");
        self.granted = Some(intro.scopes());
        self.subject = intro.subject();
        let msg = match &self.subject {
            Some(s) => format!("authenticated ({} key for {s})", intro.auth_method),
            None => format!("authenticated ({} key)", intro.auth_method),
        };
        self.log.step(Authenticate, StepResult::Passed, msg);
        true
    }

    /// Step 2 (activation): which company. `None` stops the run; `Some(narrow)` is the
    /// company_id to send on the installation GET.
    async fn choose_company(
        &mut self,
        api: &dyn PleoApi,
        key: &ApiKey,
    ) -> Option<Option<CompanyId>> {
        let input = self.input;
        let bound = input.bound.as_ref().map(|b| b.company);
        let chosen = match self.subject {
            Some(Subject::Organization(org)) => {
                self.organization = Some(org);
                // A committed organisation key keeps using the company it was bound to.
                let choice = input.company_choice.or(bound);
                let listed = api.list_companies(key, org).await;
                let companies = match listed {
                    Err(e) if e.is_transient() => {
                        self.stop_before_installation(
                            format!("could not list the organisation's companies: {e}"),
                            state_for(&e),
                        );
                        return None;
                    }
                    // Without companies:read the list is refused; Pleo itself then checks the
                    // company_id on the installation call, and the resource must match below.
                    Err(_) => None,
                    Ok(list) => Some(choices(list)),
                };
                match (choice, companies) {
                    (None, companies) => {
                        let companies = companies.unwrap_or_default();
                        self.stop_before_installation(
                            format!(
                                "this key is for organisation {org}: choose one of its companies"
                            ),
                            Lifecycle::CompanyRequired {
                                organization: Some(org),
                                companies,
                                refused: None,
                            },
                        );
                        return None;
                    }
                    (Some(c), Some(companies)) if !companies.iter().any(|x| x.id == c) => {
                        self.stop_before_installation(
                            format!("company {c} is not part of organisation {org}"),
                            Lifecycle::CompanyRequired {
                                organization: Some(org),
                                companies,
                                refused: Some(c),
                            },
                        );
                        return None;
                    }
                    (Some(c), companies) => {
                        self.org_companies = companies;
                        Some(c)
                    }
                }
            }
            Some(Subject::Company(id)) => {
                if let Some(choice) = input.company_choice
                    && choice != id
                {
                    self.stop_before_installation(
                        format!("company {choice} was asked for, but this key belongs to company {id} only"),
                        Lifecycle::CompanyMismatch {
                            expected: choice,
                            got: id,
                            got_name: None,
                        },
                    );
                    return None;
                }
                Some(id)
            }
            None => input.company_choice.or(bound),
        };
        // A key for another company changes nothing in Pleo (no installation is created or
        // activated for it) until the switch is confirmed.
        if let (Some(b), Some(new)) = (bound, chosen)
            && b != new
            && !input.confirm_company_change
            && (self.subject.is_some() || input.company_choice.is_some())
        {
            let name = match self.org_name(new) {
                Some(n) => Some(n),
                None => api.get_company(key, new).await.ok().map(|c| c.name),
            };
            self.company = Some(new);
            self.name = name.clone();
            self.stop_before_installation(
                format!(
                    "the key belongs to company {}, not the connected company {b}; nothing was changed",
                    company_label(new, name.as_ref())
                ),
                Lifecycle::CompanyMismatch {
                    expected: b,
                    got: new,
                    got_name: name,
                },
            );
            return None;
        }
        Some(chosen)
    }

    fn org_name(&self, id: CompanyId) -> Option<Text> {
        self.org_companies
            .as_deref()
            .and_then(|cs| cs.iter().find(|c| c.id == id))
            .map(|c| c.name.clone())
    }

    /// The company could not be settled before the installation: record why and stop there.
    fn stop_before_installation(&mut self, company_message: String, state: Lifecycle) {
        self.log
            .step(StepName::Installation, StepResult::Skipped, "not reached");
        self.log
            .step(StepName::Company, StepResult::Failed, company_message);
        self.log.skip(&[StepName::Scopes, StepName::Expiry]);
        self.log.fail(state);
    }

    /// Record the installation found (or created). `false` when it is not ACTIVATED.
    fn installation_settled(&mut self, found: Installation, created: bool) -> bool {
        let ok = found.status == InstallationStatus::Activated;
        if ok {
            let verb = if created { "created" } else { "found" };
            self.log.step(
                StepName::Installation,
                StepResult::Passed,
                format!("installation {} {verb}, ACTIVATED", found.id),
            );
        } else {
            let why = match &found.error_code {
                Some(c) => format!(
                    "installation {} is {} ({c}): {}",
                    found.id,
                    found.status,
                    c.explain()
                ),
                None => format!(
                    "installation {} is {}, not ACTIVATED",
                    found.id, found.status
                ),
            };
            self.log.step(StepName::Installation, StepResult::Failed, why);
            self.log.fail(Lifecycle::InstallationInactive {
                status: Some(found.status.clone()),
                error_code: found.error_code.clone(),
            });
        }
        self.installation = Some(found);
        ok
    }

    /// Step 4: the company, from the installation's resource, cross-checked with the key's
    /// subject and the bound company; its name when the key may read it.
    async fn company_step(
        &mut self,
        api: &dyn PleoApi,
        key: &ApiKey,
        looked_up: Option<Result<Company, ApiError>>,
    ) {
        use StepName::Company as Step;
        let Some(installation) = &self.installation else {
            return;
        };
        let narrow = self.input.company_choice.or(self.input.bound.as_ref().map(|b| b.company));
        let company = match Subject::parse(&installation.resource) {
            Ok(Subject::Company(id)) => id,
            Ok(Subject::Organization(org)) => match narrow.or(match self.subject {
                Some(Subject::Company(id)) => Some(id),
                _ => None,
            }) {
                Some(id) => {
                    self.organization.get_or_insert(org);
                    id
                }
                None => {
                    self.log.step(
                        Step,
                        StepResult::Failed,
                        format!("the installation is for organisation {org}: choose one of its companies"),
                    );
                    self.log.fail(Lifecycle::CompanyRequired {
                        organization: Some(org),
                        companies: Vec::new(),
                        refused: None,
                    });
                    return;
                }
            },
            Err(e) => {
                self.log.step(Step, StepResult::Failed, e.to_string());
                self.log
                    .fail(Lifecycle::Degraded(Degradation::UnexpectedResponse {
                        detail: format!(
                            "the installation's resource {} is not a company URN",
                            installation.resource_text()
                        ),
                    }));
                return;
            }
        };
        self.company = Some(company);
        if let Some(Subject::Company(key_company)) = self.subject
            && key_company != company
        {
            self.log.step(
                Step,
                StepResult::Failed,
                format!(
                    "Pleo disagrees with itself: the key is for company {key_company} but its installation is for {company}"
                ),
            );
            self.log.fail(Lifecycle::CompanyMismatch {
                expected: key_company,
                got: company,
                got_name: None,
            });
            return;
        }
        // The name is a courtesy: its failure never blocks activation, except as below.
        let mut name_note = String::new();
        let mut unreadable = false;
        let bound = self.input.bound.as_ref().filter(|b| b.company == company);
        let fresh_cached = bound.and_then(|b| {
            let read_at = b.name_read_at?;
            let young = self.input.now.duration_since(read_at) < NAME_MAX_AGE;
            (young && self.input.mode == Mode::Revalidate).then(|| (b.name.clone(), read_at))
        });
        if let Some(name) = self.org_name(company) {
            self.name = Some(name);
            self.name_read_at = Some(self.input.now);
        } else if let Some((name, read_at)) = fresh_cached {
            self.name = name;
            self.name_read_at = Some(read_at);
        } else {
            let answer = match looked_up {
                Some(answer) => answer,
                None => api.get_company(key, company).await,
            };
            match answer {
                Ok(c) => {
                    self.name = Some(c.name);
                    self.name_read_at = Some(self.input.now);
                }
                Err(e) => {
                    // Keep the name already known rather than forget it.
                    if let Some(b) = bound {
                        self.name = b.name.clone();
                        self.name_read_at = b.name_read_at;
                    }
                    unreadable = matches!(e, ApiError::Forbidden { .. });
                    name_note = match e {
                        ApiError::Forbidden { .. } => {
                            " (name not read: the key lacks companies:read)".into()
                        }
                        other => format!(" (name not read: {other})"),
                    };
                }
            }
        }
        let shown = company_label(company, self.name.as_ref());
        // Without a subject Pleo never said whose key this is; a company the key cannot even
        // read is not bound silently.
        let confirmed = self.input.company_choice == Some(company) || bound.is_some();
        if self.subject.is_none() && unreadable && !confirmed {
            self.log.step(
                Step,
                StepResult::Failed,
                format!("Pleo did not name the key's company, and company {company} cannot be read with it: confirm the company explicitly"),
            );
            self.log.fail(Lifecycle::CompanyRequired {
                organization: self.organization,
                companies: vec![CompanyChoice {
                    id: company,
                    name: self.name.clone().unwrap_or_default(),
                }],
                refused: None,
            });
            return;
        }
        match &self.input.bound {
            Some(b) if b.company != company => {
                if self.input.confirm_company_change {
                    self.changed_from = Some(b.company);
                    self.log.step(
                        Step,
                        StepResult::Warning,
                        format!(
                            "switching from company {} to {shown}, as confirmed{name_note}",
                            b.company
                        ),
                    );
                } else {
                    self.log.step(
                        Step,
                        StepResult::Failed,
                        format!(
                            "the key belongs to company {shown}, not the connected company {}; nothing was changed",
                            b.company
                        ),
                    );
                    self.log.fail(Lifecycle::CompanyMismatch {
                        expected: b.company,
                        got: company,
                        got_name: self.name.clone(),
                    });
                }
            }
            _ => self.log.step(
                Step,
                StepResult::Passed,
                format!("Connected to Company ID: {shown}{name_note}"),
            ),
        }
    }

    /// Step 5: the required scopes against the granted ones.
    fn scopes_step(&mut self) {
        use StepName::Scopes as Step;
        if self.company.is_none() {
            return;
        }
        let required = &self.input.required_scopes;
        match &self.granted {
            None => self.log.step(
                Step,
                StepResult::Warning,
                format!(
                    "not verified: Pleo did not say which scopes the key has; check in Pleo that it has {}",
                    required.join(", ")
                ),
            ),
            Some(granted) => {
                let missing = scopes::missing(required, granted);
                if missing.is_empty() {
                    self.log.step(
                        Step,
                        StepResult::Passed,
                        format!("all {} required scopes granted", required.len()),
                    );
                } else {
                    self.log.step(
                        Step,
                        StepResult::Failed,
                        format!(
                            "missing {}: create a key in Pleo with these permissions, then replace the key",
                            missing.join(", ")
                        ),
                    );
                    self.log.fail(Lifecycle::MissingScopes { missing });
                }
            }
        }
    }

    /// Step 6: the expiry date the operator recorded (Pleo's API does not tell it).
    fn expiry_step(&mut self) {
        use StepName::Expiry as Step;
        if self.company.is_none() {
            return;
        }
        let Some(expires) = self.input.expires_on else {
            self.log.step(
                Step,
                StepResult::Skipped,
                "no expiry date recorded: record it to be warned 14 days ahead",
            );
            return;
        };
        let Ok(days) = self.input.today.until(expires).map(|s| s.get_days()) else {
            self.log
                .step(Step, StepResult::Skipped, "could not compute the days left");
            return;
        };
        if days < 0 {
            self.log.step(
                Step,
                StepResult::Warning,
                format!("the recorded expiry date {expires} has passed, yet Pleo still accepts the key: check the date in Pleo and record it again"),
            );
        } else if days <= EXPIRY_WARNING_DAYS {
            self.log.step(
                Step,
                StepResult::Warning,
                format!(
                    "the key expires on {expires}, in {days} day{}: create a replacement key in Pleo and replace it here",
                    if days == 1 { "" } else { "s" }
                ),
            );
        } else {
            self.log.step(
                Step,
                StepResult::Passed,
                format!("expires on {expires}, in {days} days"),
            );
        }
    }

    fn finish(self, key: &ApiKey) -> Run {
        let lifecycle = self.log.failure.clone().unwrap_or(Lifecycle::Active);
        let has_facts = matches!(
            lifecycle,
            Lifecycle::Active | Lifecycle::MissingScopes { .. } | Lifecycle::InstallationInactive { .. }
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

fn choices(list: Vec<Company>) -> Vec<CompanyChoice> {
    list.into_iter()
        .filter_map(|c| {
            Some(CompanyChoice {
                id: c.company_id()?,
                name: c.name,
            })
        })
        .collect()
}

/// The installation for a key being activated: found, created, or set ACTIVATED. Returns it and
/// whether it was created. Writes happen only here, and only in activation.
async fn installation_for_activation(
    api: &dyn PleoApi,
    key: &ApiKey,
    narrow: Option<CompanyId>,
    write_company: Option<CompanyId>,
) -> Result<(Installation, bool), ApiError> {
    let (found, created) = match api.get_installation(key, narrow).await {
        Ok(i) => (i, false),
        // INFERRED: Pleo may answer a key with no installation yet by 404, another 4xx or even
        // a 5xx; only an answer about the key itself (or no answer) stops here.
        Err(
            e @ (ApiError::KeyRejected
            | ApiError::Forbidden { .. }
            | ApiError::Network { .. }
            | ApiError::RateLimited { .. }
            | ApiError::Unexpected { .. }),
        ) => return Err(e),
        Err(_) => match api.create_installation(key, write_company).await {
            Ok(i) => (i, true),
            // It exists after all (or was created meanwhile): read it.
            Err(e) if says_exists(&e) => (api.get_installation(key, narrow).await?, false),
            Err(e) => return Err(e),
        },
    };
    if found.status == InstallationStatus::Activated {
        return Ok((found, created));
    }
    Ok((api.activate_installation(key, write_company).await?, created))
}

/// A POST refused because the installation exists (409, or a type that says so).
fn says_exists(e: &ApiError) -> bool {
    match e {
        ApiError::Client {
            status, error_type, ..
        } => {
            *status == 409
                || error_type
                    .as_ref()
                    .is_some_and(|t| t.as_str().to_ascii_uppercase().contains("EXIST"))
        }
        _ => false,
    }
}
