//! The lifecycle state: what the integration is, in one word, with one explanation. Each state
//! has one name: the variant, its reason code and its label say the same thing.

use crate::domain::{
    CompanyId, InstallationErrorCode, InstallationStatus, OrganizationId, Reason, Text,
    facts::company_label,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Why Pleo could not give an answer this time. The last good facts stay valid meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Degradation {
    RateLimited { retry_after: Option<Duration> },
    Unreachable { detail: String },
    ServerError { status: u16 },
    UnexpectedResponse { detail: String },
}

/// One company an organisation-level key can serve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyChoice {
    pub id: CompanyId,
    pub name: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "detail", rename_all = "snake_case")]
pub enum Lifecycle {
    NotConfigured,
    /// The key entered was refused before any network call.
    InvalidKeyFormat {
        problem: String,
    },
    Activating,
    /// Every step passed. The facts are in the run's `ConnectionFacts`.
    Active,
    /// 401: expired, revoked, deleted or from the other environment (Pleo does not say which).
    KeyRejected,
    /// 403 where no scope explains it.
    AccessDenied {
        detail: String,
    },
    MissingScopes {
        missing: Vec<String>,
    },
    /// `status` None: the installation no longer exists.
    InstallationInactive {
        status: Option<InstallationStatus>,
        error_code: Option<InstallationErrorCode>,
    },
    /// The key belongs to another company than the one the integration is bound to.
    CompanyMismatch {
        expected: CompanyId,
        got: CompanyId,
        got_name: Option<Text>,
    },
    /// A company must be chosen explicitly: an organisation-level key, or a key whose company
    /// Pleo did not confirm.
    CompanyRequired {
        organization: Option<OrganizationId>,
        companies: Vec<CompanyChoice>,
        /// The company asked for, when it is not one of `companies`.
        refused: Option<CompanyId>,
    },
    /// A key replacement is running (or was interrupted): the stored key is checked again
    /// before it is used.
    ReplacementPending {
        since: jiff::Timestamp,
    },
    Degraded(Degradation),
    StorageError {
        detail: String,
        /// The encrypted key file is locked: its passphrase would fix it.
        needs_passphrase: bool,
    },
}

impl Lifecycle {
    /// The JSON `reason`. `Active` is refined by the run (expiring soon, scopes unverified).
    pub fn reason(&self) -> Reason {
        match self {
            Lifecycle::NotConfigured => Reason::NotConfigured,
            Lifecycle::InvalidKeyFormat { .. } => Reason::InvalidKeyFormat,
            Lifecycle::Activating => Reason::Activating,
            Lifecycle::Active => Reason::Active,
            Lifecycle::KeyRejected => Reason::KeyRejected,
            Lifecycle::AccessDenied { .. } => Reason::AccessDenied,
            Lifecycle::MissingScopes { .. } => Reason::MissingScopes,
            Lifecycle::InstallationInactive { .. } => Reason::InstallationInactive,
            Lifecycle::CompanyMismatch { .. } => Reason::CompanyMismatch,
            Lifecycle::CompanyRequired { .. } => Reason::CompanyRequired,
            Lifecycle::ReplacementPending { .. } => Reason::ReplacementPending,
            Lifecycle::Degraded(Degradation::RateLimited { .. }) => Reason::RateLimited,
            Lifecycle::Degraded(Degradation::Unreachable { .. }) => Reason::Unreachable,
            Lifecycle::Degraded(Degradation::ServerError { .. }) => Reason::ServerError,
            Lifecycle::Degraded(Degradation::UnexpectedResponse { .. }) => {
                Reason::UnexpectedResponse
            }
            Lifecycle::StorageError { .. } => Reason::StorageError,
        }
    }

    pub fn is_active(&self) -> bool {
        matches!(self, Lifecycle::Active)
    }

    pub fn is_degraded(&self) -> bool {
        matches!(self, Lifecycle::Degraded(_))
    }

    pub fn storage(detail: impl Into<String>) -> Lifecycle {
        Lifecycle::StorageError {
            detail: detail.into(),
            needs_passphrase: false,
        }
    }

    /// One line: what is the matter, in words that suit the CLI and the dashboard alike.
    pub fn headline(&self) -> String {
        match self {
            Lifecycle::NotConfigured => "No API key is set up yet.".into(),
            Lifecycle::InvalidKeyFormat { problem } => {
                format!("That is not a usable key: {problem}.")
            }
            Lifecycle::Activating => "Activating the API key with Pleo…".into(),
            Lifecycle::Active => "Connected.".into(),
            Lifecycle::KeyRejected => {
                "API key rejected: it may have expired, been revoked or deleted, or belong to the other Pleo environment.".into()
            }
            Lifecycle::AccessDenied { detail } => {
                format!("Pleo denied access with this key: {detail}.")
            }
            Lifecycle::MissingScopes { missing } => {
                format!("The key lacks {}.", missing.join(", "))
            }
            Lifecycle::InstallationInactive { status, error_code } => {
                match (status, error_code) {
                    (None, _) => "The Pleo installation no longer exists.".into(),
                    (Some(s), Some(code)) => format!("The Pleo installation is {s} ({code})."),
                    (Some(s), None) => format!("The Pleo installation is {s}, not ACTIVATED."),
                }
            }
            Lifecycle::CompanyMismatch {
                expected,
                got,
                got_name,
            } => format!(
                "The key belongs to company {}, not the connected company {expected}.",
                company_label(*got, got_name.as_ref())
            ),
            Lifecycle::CompanyRequired {
                organization,
                refused,
                ..
            } => match (organization, refused) {
                (Some(org), Some(c)) => {
                    format!("Company {c} is not part of organisation {org}: choose one of its companies.")
                }
                (Some(org), None) => {
                    format!("This key is for organisation {org}: choose the company this integration serves.")
                }
                (None, _) => {
                    "Pleo did not confirm which company this key belongs to: confirm the company explicitly.".into()
                }
            },
            Lifecycle::ReplacementPending { since } => format!(
                "A key replacement started at {} has not finished; the stored key is checked again before it is used.",
                since.strftime("%Y-%m-%d %H:%M UTC")
            ),
            Lifecycle::Degraded(Degradation::RateLimited { retry_after }) => match retry_after {
                Some(d) => format!("Pleo is rate limiting requests: retry in {} s.", d.as_secs()),
                None => "Pleo is rate limiting requests.".into(),
            },
            Lifecycle::Degraded(Degradation::Unreachable { detail }) => {
                format!("Pleo unreachable: {detail}.")
            }
            Lifecycle::Degraded(Degradation::ServerError { status }) => {
                format!("Pleo had a server error ({status}).")
            }
            Lifecycle::Degraded(Degradation::UnexpectedResponse { detail }) => {
                format!("Unexpected response from Pleo: {detail}.")
            }
            Lifecycle::StorageError { detail, .. } => format!("Storage problem: {detail}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<Lifecycle> {
        let acme = CompanyId::parse("11111111-1111-4111-8111-111111111111").unwrap();
        vec![
            Lifecycle::NotConfigured,
            Lifecycle::InvalidKeyFormat {
                problem: "x".into(),
            },
            Lifecycle::KeyRejected,
            Lifecycle::AccessDenied { detail: "x".into() },
            Lifecycle::MissingScopes {
                missing: vec!["export-jobs:write".into()],
            },
            Lifecycle::InstallationInactive {
                status: Some(InstallationStatus::Error),
                error_code: Some(InstallationErrorCode::NotEntitled),
            },
            Lifecycle::InstallationInactive {
                status: None,
                error_code: None,
            },
            Lifecycle::CompanyMismatch {
                expected: acme,
                got: acme,
                got_name: None,
            },
            Lifecycle::CompanyRequired {
                organization: None,
                companies: vec![],
                refused: None,
            },
            Lifecycle::ReplacementPending {
                since: jiff::Timestamp::UNIX_EPOCH,
            },
            Lifecycle::Degraded(Degradation::ServerError { status: 503 }),
            Lifecycle::Degraded(Degradation::RateLimited {
                retry_after: Some(Duration::from_secs(3)),
            }),
            Lifecycle::storage("x"),
        ]
    }

    #[test]
    fn every_failure_has_a_reason_a_status_and_words() {
        for s in all() {
            assert!(!s.reason().is_active(), "{s:?}");
            assert!(!s.headline().is_empty());
        }
    }

    #[test]
    fn a_lifecycle_survives_the_last_check_file() {
        for s in all() {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(
                serde_json::from_str::<Lifecycle>(&json).unwrap(),
                s,
                "{json}"
            );
        }
    }
}
