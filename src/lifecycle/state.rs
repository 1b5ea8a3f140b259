//! The lifecycle state: what the integration is, in one word, with one explanation and one action.

use std::time::Duration;

/// Monitoring-plugin status, also the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl CheckStatus {
    pub fn exit_code(self) -> i32 {
        match self {
            CheckStatus::Ok => 0,
            CheckStatus::Warning => 1,
            CheckStatus::Critical => 2,
            CheckStatus::Unknown => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Ok => "ok",
            CheckStatus::Warning => "warning",
            CheckStatus::Critical => "critical",
            CheckStatus::Unknown => "unknown",
        }
    }
}

/// Why Pleo could not give an answer this time. The last good facts stay valid meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Degradation {
    RateLimited { retry_after: Option<Duration> },
    Unreachable { detail: String },
    ServerError { status: u16 },
    UnexpectedResponse { detail: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lifecycle {
    NotConfigured,
    /// The key entered was refused before any network call.
    InvalidKeyFormat {
        problem: String,
    },
    Activating,
    Active {
        company_id: String,
        company_name: Option<String>,
    },
    /// 401: expired, revoked, deleted or from the other environment (Pleo does not say which).
    KeyRejected,
    /// 403 where no scope explains it.
    AccessDenied {
        detail: String,
    },
    MissingScopes {
        missing: Vec<String>,
    },
    InstallationInactive {
        status: String,
        error_code: Option<String>,
    },
    /// The key belongs to another company than the one the integration is bound to.
    CompanyMismatch {
        expected: String,
        got: String,
    },
    /// An organisation-level key: a company must be chosen explicitly.
    CompanyRequired {
        organization_id: String,
        companies: Vec<(String, String)>,
        detail: String,
    },
    /// A key replacement was attempted and did not complete; the stored key is no longer in use.
    Superseded {
        detail: String,
    },
    Degraded(Degradation),
    StorageError {
        detail: String,
    },
}

/// The one thing to do next. The CLI prints it as a command; the dashboard maps it to a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    None,
    EnterKey,
    FixKeyText,
    CreateKeyWithScopes(Vec<String>),
    ReactivateInstallation,
    AskPleoToEnable,
    ConfirmCompanyChange,
    ChooseCompany,
    ReactivateOrReplace,
    RetryLater(Option<Duration>),
    CheckBaseUrl,
    FixStorage,
}

impl Lifecycle {
    /// The JSON `reason`.
    pub fn reason(&self) -> &'static str {
        match self {
            Lifecycle::NotConfigured => "not_configured",
            Lifecycle::InvalidKeyFormat { .. } => "invalid_key_format",
            Lifecycle::Activating => "activating",
            Lifecycle::Active { .. } => "active",
            Lifecycle::KeyRejected => "key_rejected",
            Lifecycle::AccessDenied { .. } => "access_denied",
            Lifecycle::MissingScopes { .. } => "missing_scopes",
            Lifecycle::InstallationInactive { .. } => "installation_inactive",
            Lifecycle::CompanyMismatch { .. } => "company_mismatch",
            Lifecycle::CompanyRequired { .. } => "company_required",
            Lifecycle::Superseded { .. } => "replacement_pending",
            Lifecycle::Degraded(Degradation::RateLimited { .. }) => "rate_limited",
            Lifecycle::Degraded(Degradation::Unreachable { .. }) => "unreachable",
            Lifecycle::Degraded(Degradation::ServerError { .. }) => "server_error",
            Lifecycle::Degraded(Degradation::UnexpectedResponse { .. }) => "unexpected_response",
            Lifecycle::StorageError { .. } => "storage_error",
        }
    }

    pub fn status(&self) -> CheckStatus {
        match self {
            Lifecycle::Active { .. } => CheckStatus::Ok,
            Lifecycle::Activating | Lifecycle::Degraded(_) | Lifecycle::StorageError { .. } => {
                CheckStatus::Unknown
            }
            _ => CheckStatus::Critical,
        }
    }

    pub fn is_active(&self) -> bool {
        matches!(self, Lifecycle::Active { .. })
    }

    /// One line: what is the matter.
    pub fn headline(&self) -> String {
        match self {
            Lifecycle::NotConfigured => "No API key is set up yet.".into(),
            Lifecycle::InvalidKeyFormat { problem } => format!("That is not a usable key: {problem}."),
            Lifecycle::Activating => "Activating the API key with Pleo…".into(),
            Lifecycle::Active {
                company_id,
                company_name,
            } => match company_name {
                Some(name) => format!("Connected to Company ID: {company_id} ({name})."),
                None => format!("Connected to Company ID: {company_id}."),
            },
            Lifecycle::KeyRejected => {
                "API key rejected: it may have expired, been revoked or deleted, or belong to the other Pleo environment.".into()
            }
            Lifecycle::AccessDenied { detail } => format!("Pleo denied access with this key: {detail}."),
            Lifecycle::MissingScopes { missing } => {
                format!("The key lacks {}.", missing.join(", "))
            }
            Lifecycle::InstallationInactive { status, error_code } => match error_code {
                Some(code) => format!("The Pleo installation is {status} ({code})."),
                None => format!("The Pleo installation is {status}, not ACTIVATED."),
            },
            Lifecycle::CompanyMismatch { expected, got } => format!(
                "The key belongs to company {got}, not the connected company {expected}."
            ),
            Lifecycle::CompanyRequired { detail, .. } => detail.clone(),
            Lifecycle::Superseded { detail } => detail.clone(),
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
            Lifecycle::StorageError { detail } => format!("Storage problem: {detail}"),
        }
    }

    pub fn recovery(&self) -> Recovery {
        match self {
            Lifecycle::NotConfigured => Recovery::EnterKey,
            Lifecycle::InvalidKeyFormat { .. } => Recovery::FixKeyText,
            Lifecycle::Activating | Lifecycle::Active { .. } => Recovery::None,
            Lifecycle::KeyRejected | Lifecycle::AccessDenied { .. } => Recovery::EnterKey,
            Lifecycle::MissingScopes { missing } => Recovery::CreateKeyWithScopes(missing.clone()),
            Lifecycle::InstallationInactive { error_code, .. } => match error_code.as_deref() {
                Some("NOT_ENTITLED") => Recovery::AskPleoToEnable,
                Some("AUTH_ERROR") => Recovery::EnterKey,
                _ => Recovery::ReactivateInstallation,
            },
            Lifecycle::CompanyMismatch { .. } => Recovery::ConfirmCompanyChange,
            Lifecycle::CompanyRequired { .. } => Recovery::ChooseCompany,
            Lifecycle::Superseded { .. } => Recovery::ReactivateOrReplace,
            Lifecycle::Degraded(Degradation::RateLimited { retry_after }) => {
                Recovery::RetryLater(*retry_after)
            }
            Lifecycle::Degraded(Degradation::UnexpectedResponse { .. }) => Recovery::CheckBaseUrl,
            Lifecycle::Degraded(_) => Recovery::RetryLater(None),
            Lifecycle::StorageError { .. } => Recovery::FixStorage,
        }
    }
}

impl Recovery {
    /// The action as a shell command or instruction, for the CLI report.
    pub fn cli_hint(&self) -> Option<String> {
        Some(match self {
            Recovery::None => return None,
            Recovery::EnterKey => {
                "Create a key in Pleo (Settings → API keys), then run: pleo-keys set-key".into()
            }
            Recovery::FixKeyText => "Copy the key again from where you saved it, then run: pleo-keys set-key".into(),
            Recovery::CreateKeyWithScopes(missing) => format!(
                "Create a key in Pleo with {} (Settings → API keys), then run: pleo-keys set-key",
                missing.join(", ")
            ),
            Recovery::ReactivateInstallation => "Run: pleo-keys reactivate".into(),
            Recovery::AskPleoToEnable => {
                "Ask Pleo to enable the application for this company, then run: pleo-keys reactivate".into()
            }
            Recovery::ConfirmCompanyChange => {
                "If switching company is intended, run: pleo-keys set-key --confirm-company-change; otherwise use a key for the connected company".into()
            }
            Recovery::ChooseCompany => "Run: pleo-keys set-key --company <company id>".into(),
            Recovery::ReactivateOrReplace => {
                "Run: pleo-keys set-key with another key, or pleo-keys reactivate to use the stored key again".into()
            }
            Recovery::RetryLater(Some(d)) => format!("Retry in {} s: pleo-keys check", d.as_secs()),
            Recovery::RetryLater(None) => "Retry shortly: pleo-keys check".into(),
            Recovery::CheckBaseUrl => {
                "Check --base-url and any proxy in between, then retry: pleo-keys check".into()
            }
            Recovery::FixStorage => "Fix the file or store named above, then retry".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_has_a_reason_a_status_and_an_action() {
        let all = [
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
                status: "ERROR".into(),
                error_code: Some("NOT_ENTITLED".into()),
            },
            Lifecycle::CompanyMismatch {
                expected: "a".into(),
                got: "b".into(),
            },
            Lifecycle::CompanyRequired {
                organization_id: "o".into(),
                companies: vec![],
                detail: "choose".into(),
            },
            Lifecycle::Superseded { detail: "x".into() },
            Lifecycle::Degraded(Degradation::ServerError { status: 503 }),
            Lifecycle::StorageError { detail: "x".into() },
        ];
        for s in all {
            assert_ne!(s.status(), CheckStatus::Ok, "{s:?}");
            assert!(s.recovery().cli_hint().is_some(), "{s:?}");
            assert!(!s.headline().is_empty());
        }
    }

    #[test]
    fn transient_faults_are_unknown_and_rejections_critical() {
        assert_eq!(
            Lifecycle::Degraded(Degradation::RateLimited { retry_after: None }).status(),
            CheckStatus::Unknown
        );
        assert_eq!(Lifecycle::KeyRejected.status(), CheckStatus::Critical);
        assert_eq!(CheckStatus::Unknown.exit_code(), 3);
    }

    #[test]
    fn missing_scopes_action_names_them() {
        let s = Lifecycle::MissingScopes {
            missing: vec!["export-jobs:write".into()],
        };
        assert!(
            s.recovery()
                .cli_hint()
                .unwrap()
                .contains("export-jobs:write")
        );
    }
}
