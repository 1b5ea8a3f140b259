//! Why the integration is or is not active, as one code (the JSON `reason`), and the
//! monitoring-plugin status (the exit code) each code carries.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Monitoring-plugin status, also the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
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

    /// The word the CLI prints before the verdict.
    pub fn label(self) -> &'static str {
        match self {
            CheckStatus::Ok => "OK",
            CheckStatus::Warning => "WARNING",
            CheckStatus::Critical => "CRITICAL",
            CheckStatus::Unknown => "UNKNOWN",
        }
    }
}

/// The JSON `reason` codes. Each lifecycle state has exactly one, and the active state three
/// (active, expiring soon, scopes unverified).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Active,
    ExpiresSoon,
    ScopesUnverified,
    Activating,
    NotConfigured,
    InvalidKeyFormat,
    KeyRejected,
    AccessDenied,
    MissingScopes,
    InstallationInactive,
    CompanyMismatch,
    CompanyRequired,
    ReplacementPending,
    RateLimited,
    Unreachable,
    ServerError,
    UnexpectedResponse,
    StorageError,
}

impl Reason {
    pub const ALL: [Reason; 18] = [
        Reason::Active,
        Reason::ExpiresSoon,
        Reason::ScopesUnverified,
        Reason::Activating,
        Reason::NotConfigured,
        Reason::InvalidKeyFormat,
        Reason::KeyRejected,
        Reason::AccessDenied,
        Reason::MissingScopes,
        Reason::InstallationInactive,
        Reason::CompanyMismatch,
        Reason::CompanyRequired,
        Reason::ReplacementPending,
        Reason::RateLimited,
        Reason::Unreachable,
        Reason::ServerError,
        Reason::UnexpectedResponse,
        Reason::StorageError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Active => "active",
            Reason::ExpiresSoon => "expires_soon",
            Reason::ScopesUnverified => "scopes_unverified",
            Reason::Activating => "activating",
            Reason::NotConfigured => "not_configured",
            Reason::InvalidKeyFormat => "invalid_key_format",
            Reason::KeyRejected => "key_rejected",
            Reason::AccessDenied => "access_denied",
            Reason::MissingScopes => "missing_scopes",
            Reason::InstallationInactive => "installation_inactive",
            Reason::CompanyMismatch => "company_mismatch",
            Reason::CompanyRequired => "company_required",
            Reason::ReplacementPending => "replacement_pending",
            Reason::RateLimited => "rate_limited",
            Reason::Unreachable => "unreachable",
            Reason::ServerError => "server_error",
            Reason::UnexpectedResponse => "unexpected_response",
            Reason::StorageError => "storage_error",
        }
    }

    pub fn status(self) -> CheckStatus {
        match self {
            Reason::Active => CheckStatus::Ok,
            Reason::ExpiresSoon | Reason::ScopesUnverified => CheckStatus::Warning,
            Reason::Activating
            | Reason::RateLimited
            | Reason::Unreachable
            | Reason::ServerError
            | Reason::UnexpectedResponse
            | Reason::StorageError => CheckStatus::Unknown,
            _ => CheckStatus::Critical,
        }
    }

    /// The key may be used: normal operation (possibly with a warning).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Reason::Active | Reason::ExpiresSoon | Reason::ScopesUnverified
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_json() {
        for r in Reason::ALL {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
            assert_eq!(serde_json::from_str::<Reason>(&json).unwrap(), r);
        }
    }

    #[test]
    fn severities() {
        assert_eq!(Reason::Active.status().exit_code(), 0);
        assert_eq!(Reason::ExpiresSoon.status().exit_code(), 1);
        assert_eq!(Reason::ScopesUnverified.status().exit_code(), 1);
        assert_eq!(Reason::KeyRejected.status().exit_code(), 2);
        assert_eq!(Reason::ReplacementPending.status().exit_code(), 2);
        assert_eq!(Reason::RateLimited.status().exit_code(), 3);
        assert_eq!(Reason::StorageError.status().exit_code(), 3);
    }
}
