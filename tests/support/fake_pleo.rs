//! An in-process Pleo for tests that need no sockets: keys with subjects and scopes, one
//! installation per company, and failures injected per operation. Calls are logged, and take
//! `latency` of (tokio) time, so paused-time tests see them take time without waiting.

use pleo_keys::domain::{CompanyId, InstallationStatus, OrganizationId, Subject, Text};
use pleo_keys::pleo::types::{Company, Installation, Introspection};
use pleo_keys::pleo::{ApiError, ApiFuture, InstallationCall, PleoApi};
use pleo_keys::secret::ApiKey;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Introspect,
    GetInstallation,
    CreateInstallation,
    ActivateInstallation,
    GetCompany,
    ListCompanies,
}

#[derive(Debug, Clone)]
pub struct FakeKey {
    pub subject: Option<Subject>,
    /// Whose key it is when introspection does not say (no `subjectURN`).
    pub owner: Option<CompanyId>,
    pub scopes: String,
    pub rejected: bool,
}

#[derive(Default)]
struct FakeState {
    known: HashMap<String, FakeKey>,
    installations: HashMap<CompanyId, (InstallationStatus, Option<String>)>,
    companies: Vec<(CompanyId, String, OrganizationId)>,
    once: VecDeque<(Op, ApiError)>,
    always: HashMap<Op, ApiError>,
    log: Vec<String>,
    /// The key each call carried (its hint), in order.
    keys: Vec<String>,
    latency: Duration,
}

pub struct FakePleo {
    state: Mutex<FakeState>,
}

pub const FULL_SCOPES: &str = "export-jobs:read export-jobs:write export-items:read companies:read";

fn id(s: &str) -> CompanyId {
    CompanyId::parse(s).expect("a test company id")
}

impl Default for FakePleo {
    fn default() -> Self {
        FakePleo::new()
    }
}

impl FakePleo {
    /// Acme and Borealis in one organisation, Cobalt in another; no keys yet.
    pub fn new() -> FakePleo {
        let org = OrganizationId::parse(super::fixtures::ORG).expect("org id");
        let other = OrganizationId::parse("88888888-8888-4888-8888-888888888888").expect("org");
        let state = FakeState {
            companies: vec![
                (id(super::fixtures::ACME), "Acme".into(), org),
                (id(super::fixtures::BOREALIS), "Borealis".into(), org),
                (id(super::fixtures::COBALT), "Cobalt".into(), other),
            ],
            ..FakeState::default()
        };
        FakePleo {
            state: Mutex::new(state),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A company key with every scope.
    pub fn with_key(self, key: &str, company: &str) -> FakePleo {
        self.add_key(
            key,
            FakeKey {
                subject: Some(Subject::Company(id(company))),
                owner: None,
                scopes: FULL_SCOPES.into(),
                rejected: false,
            },
        );
        self
    }

    pub fn add_key(&self, key: &str, k: FakeKey) {
        self.lock().known.insert(key.to_string(), k);
    }

    pub fn org_key(self, key: &str) -> FakePleo {
        self.add_key(
            key,
            FakeKey {
                subject: Some(Subject::Organization(
                    OrganizationId::parse(super::fixtures::ORG).expect("org"),
                )),
                owner: None,
                scopes: FULL_SCOPES.into(),
                rejected: false,
            },
        );
        self
    }

    pub fn reject(&self, key: &str) {
        if let Some(k) = self.lock().known.get_mut(key) {
            k.rejected = true;
        }
    }

    pub fn set_scopes(&self, key: &str, scopes: &str) {
        if let Some(k) = self.lock().known.get_mut(key) {
            k.scopes = scopes.into();
        }
    }

    pub fn set_installation(&self, company: &str, status: &str, code: Option<&str>) {
        self.lock().installations.insert(
            id(company),
            (
                InstallationStatus::from(status.to_string()),
                code.map(str::to_string),
            ),
        );
    }

    pub fn remove_installation(&self, company: &str) {
        self.lock().installations.remove(&id(company));
    }

    pub fn installation(&self, company: &str) -> Option<String> {
        self.lock()
            .installations
            .get(&id(company))
            .map(|(s, _)| s.to_string())
    }

    /// The next call of `op` fails with `err` (once).
    pub fn fail_once(&self, op: Op, err: ApiError) {
        self.lock().once.push_back((op, err));
    }

    /// Every call of `op` fails with `err` until `heal`.
    pub fn fail_always(&self, op: Op, err: ApiError) {
        self.lock().always.insert(op, err);
    }

    pub fn heal(&self) {
        let mut s = self.lock();
        s.always.clear();
        s.once.clear();
    }

    pub fn set_latency(&self, d: Duration) {
        self.lock().latency = d;
    }

    /// "introspect", "get_installation …", … in order.
    pub fn calls(&self) -> Vec<String> {
        self.lock().log.clone()
    }

    pub fn count(&self, prefix: &str) -> usize {
        self.calls()
            .iter()
            .filter(|c| c.starts_with(prefix))
            .count()
    }

    pub fn clear_calls(&self) {
        let mut s = self.lock();
        s.log.clear();
        s.keys.clear();
    }

    /// The hint of the key each call carried, in order.
    pub fn keys_used(&self) -> Vec<String> {
        self.lock().keys.clone()
    }

    /// Log the call, apply latency and injected failures, and authenticate the key.
    async fn enter(&self, op: Op, line: String, key: &ApiKey) -> Result<FakeKey, ApiError> {
        let latency = {
            let mut s = self.lock();
            s.log.push(line);
            s.keys.push(key.hint());
            s.latency
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let mut s = self.lock();
        if let Some(i) = s.once.iter().position(|(o, _)| *o == op)
            && let Some((_, e)) = s.once.remove(i)
        {
            return Err(e);
        }
        if let Some(e) = s.always.get(&op) {
            return Err(e.clone());
        }
        match s.known.get(key.expose()) {
            Some(k) if !k.rejected => Ok(k.clone()),
            _ => Err(ApiError::KeyRejected),
        }
    }

    fn reaches(&self, k: &FakeKey, company: CompanyId) -> bool {
        let s = self.lock();
        match k.subject {
            Some(Subject::Company(c)) => c == company,
            Some(Subject::Organization(o)) => s
                .companies
                .iter()
                .any(|(c, _, org)| *c == company && *org == o),
            None => k.owner == Some(company),
        }
    }

    /// The company an installation call is about.
    fn target(&self, k: &FakeKey, company: Option<CompanyId>) -> Result<CompanyId, ApiError> {
        let c = match (company, k.subject, k.owner) {
            (Some(c), _, _) => c,
            (None, Some(Subject::Company(c)), _) | (None, None, Some(c)) => c,
            _ => {
                return Err(ApiError::Client {
                    status: 400,
                    error_type: Some(Text::new("PARAMETER_VALIDATION_FAILED")),
                    message: Some(Text::new("company_id is required")),
                });
            }
        };
        if self.reaches(k, c) {
            Ok(c)
        } else {
            Err(ApiError::Forbidden {
                error_type: Some(Text::new("ACCESS_DENIED")),
                message: None,
            })
        }
    }

    fn installation_of(&self, c: CompanyId) -> Option<Installation> {
        let s = self.lock();
        s.installations.get(&c).map(|(status, code)| Installation {
            id: Text::new(&format!("inst-{c}")),
            resource: format!("urn:pleo:company:{c}"),
            status: status.clone(),
            error_code: code.clone().map(Into::into),
        })
    }

    /// Get, create and activate: logged as `name`, the key authenticated and the company found
    /// alike; then what `op` does to that company's installation, which is returned.
    fn installation_call<'a>(
        &'a self,
        op: Op,
        name: &'static str,
        key: &'a ApiKey,
        company: Option<CompanyId>,
    ) -> ApiFuture<'a, Installation> {
        Box::pin(async move {
            let k = self
                .enter(op, format!("{name} {}", show(company)), key)
                .await?;
            let c = self.target(&k, company)?;
            self.apply(op, c)?;
            self.installation_of(c).ok_or_else(not_found)
        })
    }

    /// What `op` does to the installation: a create adds an activated one where there is none,
    /// an activate needs one; a get changes nothing.
    fn apply(&self, op: Op, c: CompanyId) -> Result<(), ApiError> {
        let mut s = self.lock();
        match (op, s.installations.get_mut(&c)) {
            (Op::CreateInstallation, None) => {
                s.installations
                    .insert(c, (InstallationStatus::Activated, None));
            }
            (Op::ActivateInstallation, None) => return Err(not_found()),
            // An installation Pleo keeps in ERROR stays so.
            (Op::ActivateInstallation, Some(inst)) if inst.1.is_none() => {
                inst.0 = InstallationStatus::Activated;
            }
            _ => {}
        }
        Ok(())
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound {
        error_type: Some(Text::new("INSTALLATION_NOT_FOUND")),
        message: None,
    }
}

fn show(c: Option<CompanyId>) -> String {
    c.map(|c| c.to_string()).unwrap_or_else(|| "-".into())
}

impl PleoApi for FakePleo {
    fn introspect<'a>(&'a self, key: &'a ApiKey) -> ApiFuture<'a, Introspection> {
        Box::pin(async move {
            let k = self.enter(Op::Introspect, "introspect".into(), key).await?;
            let subject = k.subject.map(|s| match s {
                Subject::Company(c) => format!("urn:pleo:company:{c}"),
                Subject::Organization(o) => format!("urn:pleo:organization:{o}"),
            });
            let json = serde_json::json!({
                "authMethod": "API_KEY", "clientId": "c", "scope": k.scopes, "subjectURN": subject
            });
            serde_json::from_value(json).map_err(|e| ApiError::Unexpected {
                detail: e.to_string(),
            })
        })
    }

    fn installation<'a>(
        &'a self,
        key: &'a ApiKey,
        call: InstallationCall,
        company: Option<CompanyId>,
    ) -> ApiFuture<'a, Installation> {
        let op = match call {
            InstallationCall::Get => Op::GetInstallation,
            InstallationCall::Create => Op::CreateInstallation,
            InstallationCall::Activate => Op::ActivateInstallation,
        };
        self.installation_call(op, call.name(), key, company)
    }

    fn get_company<'a>(&'a self, key: &'a ApiKey, id: CompanyId) -> ApiFuture<'a, Company> {
        Box::pin(async move {
            let k = self
                .enter(Op::GetCompany, format!("get_company {id}"), key)
                .await?;
            if !k.scopes.contains("companies:read") || !self.reaches(&k, id) {
                return Err(ApiError::Forbidden {
                    error_type: None,
                    message: None,
                });
            }
            let s = self.lock();
            let (c, name, _) = s
                .companies
                .iter()
                .find(|(c, _, _)| *c == id)
                .ok_or_else(not_found)?;
            Ok(Company {
                id: c.to_string(),
                name: Text::new(name),
            })
        })
    }

    fn list_companies<'a>(
        &'a self,
        key: &'a ApiKey,
        organization: OrganizationId,
    ) -> ApiFuture<'a, Vec<Company>> {
        let line = format!("list_companies {organization}");
        Box::pin(async move {
            let k = self.enter(Op::ListCompanies, line, key).await?;
            if !k.scopes.contains("companies:read") {
                return Err(ApiError::Forbidden {
                    error_type: None,
                    message: None,
                });
            }
            let s = self.lock();
            Ok(s.companies
                .iter()
                .filter(|(_, _, o)| *o == organization)
                .map(|(c, n, _)| Company {
                    id: c.to_string(),
                    name: Text::new(n),
                })
                .collect())
        })
    }
}
