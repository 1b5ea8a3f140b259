//! Activation and revalidation, in the order Pleo's integration design requires:
//! authenticate (introspect) → installation → company → scopes → expiry. Active only if all pass.

use super::scopes;
use super::state::{CheckStatus, Degradation, Lifecycle};
use crate::pleo::{
    ApiError, Company as PleoCompany, Installation as PleoInstallation, InstallationStatus,
    PleoApi, Subject,
};
use jiff::civil::Date;

/// Keys expiring within this many days give a warning.
pub const EXPIRY_WARNING_DAYS: i32 = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A key was just provided (or deliberately re-activated): create/activate the installation.
    Activate,
    /// A periodic check of a committed key: read only, never changes the installation.
    Revalidate,
}

#[derive(Debug, Clone)]
pub struct ActivationInput {
    pub mode: Mode,
    pub required_scopes: Vec<String>,
    /// `--company`: the company chosen for an organisation-level key.
    pub company_choice: Option<String>,
    /// The company the integration is bound to, if any.
    pub bound_company: Option<String>,
    pub confirm_company_change: bool,
    pub expires_on: Option<Date>,
    pub today: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepName {
    ReachPleo,
    Authenticate,
    Installation,
    Company,
    Scopes,
    Expiry,
}

impl StepName {
    pub fn label(self) -> &'static str {
        match self {
            StepName::ReachPleo => "reach Pleo",
            StepName::Authenticate => "authenticate",
            StepName::Installation => "installation",
            StepName::Company => "company",
            StepName::Scopes => "scopes",
            StepName::Expiry => "expiry",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepResult {
    Passed,
    Failed,
    Warning,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub name: StepName,
    pub result: StepResult,
    pub message: String,
}

/// Everything one run learned, whether or not it succeeded.
#[derive(Debug, Clone, Default)]
pub struct ActivationReport {
    pub lifecycle: Option<Lifecycle>,
    pub steps: Vec<Step>,
    pub granted_scopes: Vec<String>,
    pub missing_scopes: Vec<String>,
    pub installation: Option<PleoInstallation>,
    pub company_id: Option<String>,
    pub company_name: Option<String>,
    pub organization_id: Option<String>,
    /// Set when the run accepted a confirmed switch away from `bound_company`.
    pub company_changed_from: Option<String>,
    pub expires_in_days: Option<i32>,
}

impl ActivationReport {
    pub fn lifecycle(&self) -> Lifecycle {
        self.lifecycle.clone().unwrap_or(Lifecycle::Activating)
    }

    /// Every step passed (a warning about expiry still counts): the result may be committed.
    pub fn is_active(&self) -> bool {
        self.lifecycle().is_active()
    }

    /// ok / warning (expires soon) / critical / unknown.
    pub fn status(&self) -> CheckStatus {
        let base = self.lifecycle().status();
        if base == CheckStatus::Ok && self.expiry_warning() {
            CheckStatus::Warning
        } else {
            base
        }
    }

    pub fn reason(&self) -> &'static str {
        if self.status() == CheckStatus::Warning {
            "expires_soon"
        } else {
            self.lifecycle().reason()
        }
    }

    fn expiry_warning(&self) -> bool {
        self.steps
            .iter()
            .any(|s| s.name == StepName::Expiry && s.result == StepResult::Warning)
    }

    fn step(&mut self, name: StepName, result: StepResult, message: impl Into<String>) {
        self.steps.push(Step {
            name,
            result,
            message: message.into(),
        });
    }

    /// Record the first failure as the lifecycle state; later ones only add steps.
    fn fail(&mut self, state: Lifecycle) {
        if self.lifecycle.is_none() {
            self.lifecycle = Some(state);
        }
    }

    /// The company could not be settled before the installation: record why and stop there.
    fn stop_before_installation(&mut self, company_message: String, state: Lifecycle) {
        self.step(StepName::Installation, StepResult::Skipped, "not reached");
        self.step(StepName::Company, StepResult::Failed, company_message);
        self.skip_rest(&[StepName::Scopes, StepName::Expiry]);
        self.fail(state);
    }

    fn skip_rest(&mut self, from: &[StepName]) {
        for name in from {
            self.step(*name, StepResult::Skipped, "not reached");
        }
    }
}

/// Map a failed call to the state it means. `context` names what was being done.
fn state_for(err: &ApiError) -> Lifecycle {
    match err {
        ApiError::KeyRejected => Lifecycle::KeyRejected,
        ApiError::Forbidden {
            error_type,
            message,
        } => Lifecycle::AccessDenied {
            detail: message
                .clone()
                .or_else(|| error_type.clone())
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

/// Run the whole procedure. Never panics, never commits anything: the caller commits only
/// when `report.is_active()`.
pub async fn activate<A: PleoApi>(api: &A, input: &ActivationInput) -> ActivationReport {
    let mut r = ActivationReport::default();
    use StepName::*;

    // 1. Authenticate and learn the granted scopes.
    let intro = match api.introspect().await {
        Ok(i) => i,
        Err(e) => {
            let state = state_for(&e);
            if matches!(state, Lifecycle::Degraded(_))
                && !matches!(
                    e,
                    ApiError::Unexpected { .. }
                        | ApiError::NotFound { .. }
                        | ApiError::Client { .. }
                )
            {
                r.step(ReachPleo, StepResult::Failed, e.to_string());
                r.skip_rest(&[Authenticate, Installation, Company, Scopes, Expiry]);
            } else {
                r.step(ReachPleo, StepResult::Passed, "Pleo answered");
                let msg = match e {
                    ApiError::KeyRejected => "Pleo rejected the key (401): it may have expired, been revoked or deleted, or was created in the other environment (a staging key does not work in production and vice versa)".to_string(),
                    other => other.to_string(),
                };
                r.step(Authenticate, StepResult::Failed, msg);
                r.skip_rest(&[Installation, Company, Scopes, Expiry]);
            }
            r.fail(state);
            return r;
        }
    };
    r.step(ReachPleo, StepResult::Passed, "Pleo answered");
    r.granted_scopes = intro.scopes();
    let key_subject = intro
        .subject_urn
        .as_deref()
        .and_then(|u| Subject::parse(u).ok());
    let auth_msg = match &key_subject {
        Some(s) => format!("authenticated ({} key for {s})", intro.auth_method),
        None => format!("authenticated ({} key)", intro.auth_method),
    };
    r.step(Authenticate, StepResult::Passed, auth_msg);

    // 2. Which company: the key's own, or the one chosen from an organisation-level key.
    let company_param: Option<String>;
    let mut org_companies: Option<Vec<PleoCompany>> = None;
    match &key_subject {
        Some(Subject::Organization(org)) => {
            r.organization_id = Some(org.clone());
            let listed = api.list_companies(org).await;
            // A committed organisation key keeps using the company it was bound to.
            let choice = input
                .company_choice
                .clone()
                .or_else(|| input.bound_company.clone());
            match (&choice, listed) {
                (_, Err(e)) if e.is_transient() => {
                    r.stop_before_installation(
                        format!("could not list the organisation's companies: {e}"),
                        state_for(&e),
                    );
                    return r;
                }
                (None, listed) => {
                    let companies = listed.unwrap_or_default();
                    let detail = if companies.is_empty() {
                        format!(
                            "This key is for organisation {org}: choose one of its companies with --company <id>."
                        )
                    } else {
                        format!(
                            "This key is for organisation {org}: choose one of its companies with --company <id>: {}.",
                            listing(&companies)
                        )
                    };
                    r.stop_before_installation(
                        detail.clone(),
                        company_required(org, companies, detail),
                    );
                    return r;
                }
                (Some(choice), Ok(companies)) => {
                    let choice = choice.to_ascii_lowercase();
                    if !companies.iter().any(|c| c.id.eq_ignore_ascii_case(&choice)) {
                        let detail = format!(
                            "Company {choice} is not part of organisation {org}; choose one of: {}.",
                            listing(&companies)
                        );
                        r.stop_before_installation(
                            detail.clone(),
                            company_required(org, companies, detail),
                        );
                        return r;
                    }
                    org_companies = Some(companies);
                    company_param = Some(choice);
                }
                // Without companies:read the list is refused; Pleo itself then checks the
                // company_id on the installation call, and the resource must match below.
                (Some(choice), Err(_)) => company_param = Some(choice.to_ascii_lowercase()),
            }
        }
        Some(Subject::Company(id)) => {
            if let Some(choice) = &input.company_choice
                && !choice.eq_ignore_ascii_case(id)
            {
                r.stop_before_installation(
                    format!(
                        "--company {choice} was given, but this key belongs to company {id} only"
                    ),
                    Lifecycle::CompanyMismatch {
                        expected: choice.clone(),
                        got: id.clone(),
                    },
                );
                return r;
            }
            company_param = Some(id.clone());
        }
        None => company_param = input.bound_company.clone(),
    }

    // A key for another company changes nothing in Pleo (no installation is created or
    // activated for it) until the switch is confirmed.
    if let (Some(bound), Some(new)) = (&input.bound_company, &company_param)
        && !bound.eq_ignore_ascii_case(new)
        && !input.confirm_company_change
    {
        r.company_id = Some(new.clone());
        r.company_name = match org_companies
            .as_deref()
            .and_then(|cs| cs.iter().find(|c| c.id.eq_ignore_ascii_case(new)))
        {
            Some(c) => Some(c.name.clone()),
            None => api.get_company(new).await.ok().map(|c| c.name),
        };
        let shown = match &r.company_name {
            Some(n) => format!("{new} ({n})"),
            None => new.clone(),
        };
        r.stop_before_installation(
            format!(
                "the key belongs to company {shown}, not the connected company {bound}; nothing was changed. To switch, repeat with --confirm-company-change"
            ),
            Lifecycle::CompanyMismatch {
                expected: bound.clone(),
                got: new.clone(),
            },
        );
        return r;
    }

    // 3. The installation: found, created, or activated.
    let installation =
        match installation_step(api, input.mode, company_param.as_deref(), &mut r).await {
            Some(i) => i,
            None => {
                r.skip_rest(&[Company, Scopes, Expiry]);
                return r;
            }
        };

    // 4. The company, from the installation's resource, cross-checked with the key's subject.
    let company_id = match Subject::parse(&installation.resource) {
        Ok(Subject::Company(id)) => Some(id),
        Ok(Subject::Organization(_)) => company_param.clone(),
        Err(e) => {
            r.step(Company, StepResult::Failed, e.to_string());
            r.fail(Lifecycle::Degraded(Degradation::UnexpectedResponse {
                detail: format!("the installation's resource is not a company URN ({e})"),
            }));
            None
        }
    };
    r.installation = Some(installation);
    if let Some(company_id) = company_id {
        company_step(
            api,
            input,
            &mut r,
            &company_id,
            key_subject.as_ref(),
            org_companies.as_deref(),
        )
        .await;
    }

    // 5. Scopes.
    r.missing_scopes = scopes::missing(&input.required_scopes, &r.granted_scopes);
    if r.missing_scopes.is_empty() {
        r.step(
            Scopes,
            StepResult::Passed,
            format!(
                "all {} required scopes granted",
                input.required_scopes.len()
            ),
        );
    } else {
        r.step(
            Scopes,
            StepResult::Failed,
            format!(
                "missing {}: create a key in Pleo with these permissions, then replace the key",
                r.missing_scopes.join(", ")
            ),
        );
        r.fail(Lifecycle::MissingScopes {
            missing: r.missing_scopes.clone(),
        });
    }

    // 6. Expiry, as recorded by the operator (Pleo's API does not tell it).
    expiry_step(input, &mut r);

    if r.lifecycle.is_none() {
        r.lifecycle = Some(Lifecycle::Active {
            company_id: r.company_id.clone().unwrap_or_default(),
            company_name: r.company_name.clone(),
        });
    }
    r
}

/// "Acme (uuid), Borealis (uuid)".
fn listing(companies: &[PleoCompany]) -> String {
    companies
        .iter()
        .map(|c| format!("{} ({})", c.name, c.id))
        .collect::<Vec<_>>()
        .join(", ")
}

fn company_required(org: &str, companies: Vec<PleoCompany>, detail: String) -> Lifecycle {
    Lifecycle::CompanyRequired {
        organization_id: org.to_string(),
        companies: companies.into_iter().map(|c| (c.id, c.name)).collect(),
        detail,
    }
}

async fn installation_step<A: PleoApi>(
    api: &A,
    mode: Mode,
    company: Option<&str>,
    r: &mut ActivationReport,
) -> Option<PleoInstallation> {
    use StepName::Installation as Step;
    let mut created = false;
    let mut found = match api.get_installation(company).await {
        Ok(i) => i,
        Err(ApiError::NotFound { .. }) if mode == Mode::Revalidate => {
            r.step(
                Step,
                StepResult::Failed,
                "the installation no longer exists in Pleo",
            );
            r.fail(Lifecycle::InstallationInactive {
                status: "MISSING".into(),
                error_code: None,
            });
            return None;
        }
        // INFERRED: Pleo may answer a key with no installation yet by 404 or another 4xx.
        Err(ApiError::NotFound { .. } | ApiError::Client { .. }) => {
            match api.create_installation(company).await {
                Ok(i) => {
                    created = true;
                    i
                }
                // 409: created meanwhile (another process); read it.
                Err(ApiError::Client { status: 409, .. }) => {
                    match api.get_installation(company).await {
                        Ok(i) => i,
                        Err(e) => return installation_failed(r, e),
                    }
                }
                Err(e) => return installation_failed(r, e),
            }
        }
        Err(e) => return installation_failed(r, e),
    };
    if found.status != InstallationStatus::Activated && mode == Mode::Activate {
        match api.activate_installation(company).await {
            Ok(i) => found = i,
            Err(e) => return installation_failed(r, e),
        }
    }
    if found.status != InstallationStatus::Activated {
        let code = found.error_code.as_ref().map(|c| c.as_str().to_string());
        let why = match &found.error_code {
            Some(c) => format!(
                "installation {} is {} ({}): {}",
                found.id,
                found.status,
                c.as_str(),
                c.explain()
            ),
            None => format!(
                "installation {} is {}, not ACTIVATED",
                found.id, found.status
            ),
        };
        r.step(Step, StepResult::Failed, why);
        r.fail(Lifecycle::InstallationInactive {
            status: found.status.to_string(),
            error_code: code,
        });
        r.installation = Some(found.clone());
        // The company is still worth reporting.
        return Some(found);
    }
    let verb = if created { "created" } else { "found" };
    r.step(
        Step,
        StepResult::Passed,
        format!("installation {} {verb}, ACTIVATED", found.id),
    );
    Some(found)
}

fn installation_failed(r: &mut ActivationReport, e: ApiError) -> Option<PleoInstallation> {
    r.step(StepName::Installation, StepResult::Failed, e.to_string());
    r.fail(state_for(&e));
    None
}

async fn company_step<A: PleoApi>(
    api: &A,
    input: &ActivationInput,
    r: &mut ActivationReport,
    company_id: &str,
    key_subject: Option<&Subject>,
    org_companies: Option<&[PleoCompany]>,
) {
    use StepName::Company as Step;
    r.company_id = Some(company_id.to_string());
    if let Some(Subject::Company(key_company)) = key_subject
        && key_company != company_id
    {
        r.step(
            Step,
            StepResult::Failed,
            format!(
                "Pleo disagrees with itself: the key is for company {key_company} but its installation is for {company_id}"
            ),
        );
        r.fail(Lifecycle::CompanyMismatch {
            expected: key_company.clone(),
            got: company_id.to_string(),
        });
        return;
    }
    // The name is a courtesy: its failure never blocks activation.
    let mut name_note = String::new();
    if let Some(c) =
        org_companies.and_then(|cs| cs.iter().find(|c| c.id.eq_ignore_ascii_case(company_id)))
    {
        r.company_name = Some(c.name.clone());
    } else {
        match api.get_company(company_id).await {
            Ok(c) => r.company_name = Some(c.name),
            Err(ApiError::Forbidden { .. }) => {
                name_note = " (name not shown: the key lacks companies:read)".into()
            }
            Err(e) => name_note = format!(" (name not read: {e})"),
        }
    }
    let shown = match &r.company_name {
        Some(n) => format!("{company_id} ({n})"),
        None => company_id.to_string(),
    };
    match &input.bound_company {
        Some(bound) if !bound.eq_ignore_ascii_case(company_id) => {
            if input.confirm_company_change {
                r.company_changed_from = Some(bound.clone());
                r.step(
                    Step,
                    StepResult::Warning,
                    format!("switching from company {bound} to {shown}, as confirmed{name_note}"),
                );
            } else {
                r.step(
                    Step,
                    StepResult::Failed,
                    format!(
                        "the key belongs to company {shown}, not the connected company {bound}; nothing was changed. To switch, repeat with --confirm-company-change"
                    ),
                );
                r.fail(Lifecycle::CompanyMismatch {
                    expected: bound.clone(),
                    got: company_id.to_string(),
                });
            }
        }
        _ => r.step(
            Step,
            StepResult::Passed,
            format!("Connected to Company ID: {shown}{name_note}"),
        ),
    }
}

fn expiry_step(input: &ActivationInput, r: &mut ActivationReport) {
    use StepName::Expiry as Step;
    let Some(expires) = input.expires_on else {
        r.step(
            Step,
            StepResult::Skipped,
            "no expiry date recorded: add it with set-key --expires YYYY-MM-DD to be warned 14 days ahead",
        );
        return;
    };
    let days = match input.today.until(expires) {
        Ok(span) => span.get_days(),
        Err(_) => {
            r.step(Step, StepResult::Skipped, "could not compute the days left");
            return;
        }
    };
    r.expires_in_days = Some(days);
    if days < 0 {
        r.step(
            Step,
            StepResult::Warning,
            format!(
                "the recorded expiry date {expires} has passed, yet Pleo still accepts the key: check the date in Pleo and record it again"
            ),
        );
    } else if days <= EXPIRY_WARNING_DAYS {
        r.step(
            Step,
            StepResult::Warning,
            format!(
                "the key expires on {expires}, in {days} day{}: create a replacement key in Pleo and run pleo-keys set-key",
                if days == 1 { "" } else { "s" }
            ),
        );
    } else {
        r.step(
            Step,
            StepResult::Passed,
            format!("expires on {expires}, in {days} days"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pleo::{Introspection, NetworkKind};
    use std::sync::Mutex;
    use std::time::Duration;

    const ACME: &str = "11111111-1111-4111-8111-111111111111";
    const COBALT: &str = "33333333-3333-4333-8333-333333333333";
    const ORG: &str = "99999999-9999-4999-8999-999999999999";

    /// A Pleo whose answers are set per test; it records the calls made.
    struct Scripted {
        introspect: Result<Introspection, ApiError>,
        installation: Mutex<Result<PleoInstallation, ApiError>>,
        activate_result: Option<Result<PleoInstallation, ApiError>>,
        company: Result<PleoCompany, ApiError>,
        companies: Result<Vec<PleoCompany>, ApiError>,
        calls: Mutex<Vec<String>>,
    }

    fn intro(subject: &str, scope: &str) -> Introspection {
        Introspection {
            auth_method: "API_KEY".into(),
            client_id: "c".into(),
            scope: scope.into(),
            application_name: None,
            subject_urn: Some(subject.into()),
        }
    }

    fn inst(resource: &str, status: &str, code: Option<&str>) -> PleoInstallation {
        PleoInstallation {
            id: "inst-1".into(),
            application_id: "app".into(),
            resource: resource.into(),
            status: status.to_string().into(),
            error_code: code.map(|c| c.to_string().into()),
            metadata: Default::default(),
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    fn company(id: &str, name: &str) -> PleoCompany {
        PleoCompany {
            id: id.into(),
            name: name.into(),
            organization_id: Some(ORG.into()),
            registration_number: None,
        }
    }

    const FULL: &str = "export-jobs:read export-jobs:write export-items:read companies:read";

    fn healthy() -> Scripted {
        Scripted {
            introspect: Ok(intro(&format!("urn:pleo:company:{ACME}"), FULL)),
            installation: Mutex::new(Err(ApiError::NotFound {
                error_type: Some("INSTALLATION_NOT_FOUND".into()),
                message: None,
            })),
            activate_result: None,
            company: Ok(company(ACME, "Acme")),
            companies: Ok(vec![
                company(ACME, "Acme"),
                company("22222222-2222-4222-8222-222222222222", "Borealis"),
            ]),
            calls: Mutex::new(vec![]),
        }
    }

    impl Scripted {
        fn log(&self, s: String) {
            self.calls.lock().unwrap().push(s);
        }
        fn calls(&self) -> Vec<String> {
            self.calls.lock().unwrap().clone()
        }
    }

    impl PleoApi for Scripted {
        async fn introspect(&self) -> Result<Introspection, ApiError> {
            self.log("introspect".into());
            self.introspect.clone()
        }
        async fn get_installation(&self, c: Option<&str>) -> Result<PleoInstallation, ApiError> {
            self.log(format!("get_installation {c:?}"));
            self.installation.lock().unwrap().clone()
        }
        async fn create_installation(&self, c: Option<&str>) -> Result<PleoInstallation, ApiError> {
            self.log(format!("create_installation {c:?}"));
            let resource = format!("urn:pleo:company:{}", c.unwrap_or(ACME));
            let i = inst(&resource, "ACTIVATED", None);
            *self.installation.lock().unwrap() = Ok(i.clone());
            Ok(i)
        }
        async fn activate_installation(
            &self,
            c: Option<&str>,
        ) -> Result<PleoInstallation, ApiError> {
            self.log(format!("activate_installation {c:?}"));
            if let Some(r) = &self.activate_result {
                return r.clone();
            }
            let mut cur = self.installation.lock().unwrap();
            if let Ok(i) = cur.as_mut() {
                i.status = InstallationStatus::Activated;
                i.error_code = None;
            }
            cur.clone()
        }
        async fn get_company(&self, id: &str) -> Result<PleoCompany, ApiError> {
            self.log(format!("get_company {id}"));
            self.company.clone()
        }
        async fn list_companies(&self, org: &str) -> Result<Vec<PleoCompany>, ApiError> {
            self.log(format!("list_companies {org}"));
            self.companies.clone()
        }
    }

    fn input(mode: Mode) -> ActivationInput {
        ActivationInput {
            mode,
            required_scopes: scopes::DEFAULT_REQUIRED_SCOPES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            company_choice: None,
            bound_company: None,
            confirm_company_change: false,
            expires_on: None,
            today: jiff::civil::date(2026, 11, 28),
        }
    }

    fn results(r: &ActivationReport) -> Vec<(StepName, StepResult)> {
        r.steps.iter().map(|s| (s.name, s.result)).collect()
    }

    #[tokio::test]
    async fn first_activation_creates_the_installation_and_is_active() {
        let api = healthy();
        let r = activate(&api, &input(Mode::Activate)).await;
        assert_eq!(
            r.lifecycle(),
            Lifecycle::Active {
                company_id: ACME.into(),
                company_name: Some("Acme".into())
            }
        );
        assert_eq!(r.status(), CheckStatus::Ok);
        assert_eq!(
            api.calls(),
            [
                "introspect".to_string(),
                format!("get_installation Some(\"{ACME}\")"),
                format!("create_installation Some(\"{ACME}\")"),
                format!("get_company {ACME}"),
            ]
        );
        use StepName::*;
        assert_eq!(
            results(&r),
            [
                (ReachPleo, StepResult::Passed),
                (Authenticate, StepResult::Passed),
                (Installation, StepResult::Passed),
                (Company, StepResult::Passed),
                (Scopes, StepResult::Passed),
                (Expiry, StepResult::Skipped),
            ]
        );
        assert!(
            r.steps[3]
                .message
                .contains(&format!("Connected to Company ID: {ACME} (Acme)"))
        );
    }

    #[tokio::test]
    async fn inactive_installation_is_put_to_activated_on_activation_only() {
        let api = healthy();
        *api.installation.lock().unwrap() =
            Ok(inst(&format!("urn:pleo:company:{ACME}"), "INACTIVE", None));
        let r = activate(&api, &input(Mode::Revalidate)).await;
        assert_eq!(r.lifecycle().reason(), "installation_inactive");
        assert!(
            !api.calls()
                .iter()
                .any(|c| c.starts_with("activate_installation")),
            "revalidation never writes"
        );

        let r = activate(&api, &input(Mode::Activate)).await;
        assert!(r.is_active(), "{:?}", r.steps);
        assert!(
            api.calls()
                .iter()
                .any(|c| c.starts_with("activate_installation"))
        );
    }

    #[tokio::test]
    async fn installation_stuck_in_error_is_not_active_and_says_why() {
        let mut api = healthy();
        let stuck = inst(
            &format!("urn:pleo:company:{ACME}"),
            "ERROR",
            Some("NOT_ENTITLED"),
        );
        *api.installation.lock().unwrap() = Ok(stuck.clone());
        api.activate_result = Some(Ok(stuck));
        let r = activate(&api, &input(Mode::Activate)).await;
        assert_eq!(
            r.lifecycle(),
            Lifecycle::InstallationInactive {
                status: "ERROR".into(),
                error_code: Some("NOT_ENTITLED".into())
            }
        );
        assert_eq!(r.status(), CheckStatus::Critical);
        let msg = &r
            .steps
            .iter()
            .find(|s| s.name == StepName::Installation)
            .unwrap()
            .message;
        assert!(msg.contains("not entitled"), "{msg}");
    }

    #[tokio::test]
    async fn rejected_key_stops_at_authenticate() {
        let mut api = healthy();
        api.introspect = Err(ApiError::KeyRejected);
        let r = activate(&api, &input(Mode::Activate)).await;
        assert_eq!(r.lifecycle(), Lifecycle::KeyRejected);
        assert_eq!(api.calls(), ["introspect"]);
        use StepName::*;
        assert_eq!(
            results(&r)[..3],
            [
                (ReachPleo, StepResult::Passed),
                (Authenticate, StepResult::Failed),
                (Installation, StepResult::Skipped)
            ]
        );
    }

    #[tokio::test]
    async fn transient_faults_degrade_and_say_pleo_was_not_reached() {
        for (err, reason) in [
            (ApiError::Server { status: 503 }, "server_error"),
            (
                ApiError::RateLimited {
                    retry_after: Some(Duration::from_secs(30)),
                },
                "rate_limited",
            ),
            (
                ApiError::Network {
                    kind: NetworkKind::Connect,
                    detail: "refused".into(),
                },
                "unreachable",
            ),
        ] {
            let mut api = healthy();
            api.introspect = Err(err);
            let r = activate(&api, &input(Mode::Revalidate)).await;
            assert_eq!(r.reason(), reason);
            assert_eq!(r.status(), CheckStatus::Unknown);
            assert_eq!(r.steps[0].result, StepResult::Failed);
        }
    }

    #[tokio::test]
    async fn missing_scopes_are_listed() {
        let mut api = healthy();
        api.introspect = Ok(intro(
            &format!("urn:pleo:company:{ACME}"),
            "export-jobs:read export-items:read",
        ));
        let r = activate(&api, &input(Mode::Activate)).await;
        assert_eq!(
            r.lifecycle(),
            Lifecycle::MissingScopes {
                missing: vec!["export-jobs:write".into()]
            }
        );
        assert_eq!(r.missing_scopes, ["export-jobs:write"]);
    }

    #[tokio::test]
    async fn other_company_needs_confirmation() {
        let mut api = healthy();
        api.introspect = Ok(intro(&format!("urn:pleo:company:{COBALT}"), FULL));
        api.company = Ok(company(COBALT, "Cobalt"));
        let mut inp = input(Mode::Activate);
        inp.bound_company = Some(ACME.into());
        let r = activate(&api, &inp).await;
        assert_eq!(
            r.lifecycle(),
            Lifecycle::CompanyMismatch {
                expected: ACME.into(),
                got: COBALT.into()
            }
        );
        assert_eq!(
            r.company_name.as_deref(),
            Some("Cobalt"),
            "named for the confirmation"
        );
        assert!(
            !api.calls().iter().any(|c| c.contains("installation")),
            "nothing is installed for an unconfirmed company: {:?}",
            api.calls()
        );
        inp.confirm_company_change = true;
        let r = activate(&api, &inp).await;
        assert!(r.is_active());
        assert_eq!(r.company_changed_from.as_deref(), Some(ACME));
    }

    #[tokio::test]
    async fn organisation_key_needs_an_explicit_company_of_that_organisation() {
        let mut api = healthy();
        api.introspect = Ok(intro(&format!("urn:pleo:organization:{ORG}"), FULL));
        let r = activate(&api, &input(Mode::Activate)).await;
        match r.lifecycle() {
            Lifecycle::CompanyRequired {
                companies, detail, ..
            } => {
                assert_eq!(companies.len(), 2);
                assert!(detail.contains("--company"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            !api.calls().iter().any(|c| c.contains("installation")),
            "nothing installed before a choice"
        );

        let mut inp = input(Mode::Activate);
        inp.company_choice = Some(COBALT.into());
        let r = activate(&api, &inp).await;
        assert_eq!(
            r.lifecycle().reason(),
            "company_required",
            "Cobalt is not in the organisation"
        );

        inp.company_choice = Some(ACME.into());
        let r = activate(&api, &inp).await;
        assert!(r.is_active(), "{:?}", r.steps);
        assert_eq!(r.organization_id.as_deref(), Some(ORG));
        assert!(
            api.calls()
                .contains(&format!("get_installation Some(\"{ACME}\")"))
        );
    }

    #[tokio::test]
    async fn subject_and_resource_disagreeing_is_a_mismatch() {
        let api = healthy();
        *api.installation.lock().unwrap() = Ok(inst(
            &format!("urn:pleo:company:{COBALT}"),
            "ACTIVATED",
            None,
        ));
        let r = activate(&api, &input(Mode::Activate)).await;
        assert_eq!(r.lifecycle().reason(), "company_mismatch");
    }

    #[tokio::test]
    async fn company_name_failure_does_not_block() {
        let mut api = healthy();
        api.company = Err(ApiError::Forbidden {
            error_type: None,
            message: None,
        });
        let r = activate(&api, &input(Mode::Activate)).await;
        assert!(r.is_active());
        assert_eq!(r.company_name, None);
        assert!(r.steps[3].message.contains("companies:read"));
    }

    #[tokio::test]
    async fn expiry_within_14_days_warns_but_stays_active() {
        let api = healthy();
        let mut inp = input(Mode::Activate);
        inp.expires_on = Some(jiff::civil::date(2026, 12, 5));
        let r = activate(&api, &inp).await;
        assert!(r.is_active());
        assert_eq!(r.status(), CheckStatus::Warning);
        assert_eq!(r.reason(), "expires_soon");
        assert_eq!(r.expires_in_days, Some(7));
        inp.expires_on = Some(jiff::civil::date(2027, 6, 1));
        let r = activate(&api, &inp).await;
        assert_eq!(r.status(), CheckStatus::Ok);
    }

    #[tokio::test]
    async fn revalidation_of_a_deleted_installation_does_not_recreate_it() {
        let api = healthy();
        let r = activate(&api, &input(Mode::Revalidate)).await;
        assert_eq!(
            r.lifecycle(),
            Lifecycle::InstallationInactive {
                status: "MISSING".into(),
                error_code: None
            }
        );
        assert!(!api.calls().iter().any(|c| c.starts_with("create")));
    }
}
