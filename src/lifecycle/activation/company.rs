//! Which company a run is about: an organisation key's choice, a company key's own, the bound
//! one; and the company step proper, cross-checking the installation and reading the name.

use super::{Activation, Mode, NAME_MAX_AGE, state_for};
use crate::domain::facts::company_label;
use crate::domain::{CompanyId, Subject, Text};
use crate::lifecycle::state::{CompanyChoice, Degradation, Lifecycle};
use crate::lifecycle::steps::{StepName, StepResult};
use crate::pleo::{ApiError, Company, PleoApi};
use crate::secret::ApiKey;

impl Activation<'_> {
    /// Step 2 (activation): which company. `None` stops the run; `Some(narrow)` is the
    /// company_id to send on the installation GET.
    pub(super) async fn choose_company(
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

    /// Step 4: the company, from the installation's resource, cross-checked with the key's
    /// subject and the bound company; its name when the key may read it.
    pub(super) async fn company_step(
        &mut self,
        api: &dyn PleoApi,
        key: &ApiKey,
        looked_up: super::NameLookup,
    ) {
        use StepName::Company as Step;
        let Some(installation) = &self.installation else {
            return;
        };
        let narrow = self
            .input
            .company_choice
            .or(self.input.bound.as_ref().map(|b| b.company));
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
