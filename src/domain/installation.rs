//! The installation's status and error code, as Pleo's App Marketplace API names them. Unknown
//! values are kept (sanitised), not refused: Pleo may add some.

use super::text::sanitize;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `InstallationStatus`: the five documented values, and whatever else Pleo may add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum InstallationStatus {
    Activated,
    Inactive,
    Authorized,
    PendingIntegration,
    Error,
    Other(String),
}

impl From<String> for InstallationStatus {
    fn from(s: String) -> Self {
        match s.as_str() {
            "ACTIVATED" => InstallationStatus::Activated,
            "INACTIVE" => InstallationStatus::Inactive,
            "AUTHORIZED" => InstallationStatus::Authorized,
            "PENDING_INTEGRATION" => InstallationStatus::PendingIntegration,
            "ERROR" => InstallationStatus::Error,
            _ => InstallationStatus::Other(sanitize(&s, 40)),
        }
    }
}

impl From<InstallationStatus> for String {
    fn from(s: InstallationStatus) -> String {
        s.as_str().to_string()
    }
}

impl InstallationStatus {
    pub fn as_str(&self) -> &str {
        match self {
            InstallationStatus::Activated => "ACTIVATED",
            InstallationStatus::Inactive => "INACTIVE",
            InstallationStatus::Authorized => "AUTHORIZED",
            InstallationStatus::PendingIntegration => "PENDING_INTEGRATION",
            InstallationStatus::Error => "ERROR",
            InstallationStatus::Other(s) => s,
        }
    }
}

impl fmt::Display for InstallationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `InstallationErrorCode`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum InstallationErrorCode {
    NotEntitled,
    AuthError,
    Other(String),
}

impl From<String> for InstallationErrorCode {
    fn from(s: String) -> Self {
        match s.as_str() {
            "NOT_ENTITLED" => InstallationErrorCode::NotEntitled,
            "AUTH_ERROR" => InstallationErrorCode::AuthError,
            _ => InstallationErrorCode::Other(sanitize(&s, 40)),
        }
    }
}

impl From<InstallationErrorCode> for String {
    fn from(c: InstallationErrorCode) -> String {
        c.as_str().to_string()
    }
}

impl InstallationErrorCode {
    pub fn as_str(&self) -> &str {
        match self {
            InstallationErrorCode::NotEntitled => "NOT_ENTITLED",
            InstallationErrorCode::AuthError => "AUTH_ERROR",
            InstallationErrorCode::Other(s) => s,
        }
    }

    /// What it means, for the operator.
    pub fn explain(&self) -> &'static str {
        match self {
            InstallationErrorCode::NotEntitled => {
                "the company is not entitled to use this application: ask Pleo (your partner manager or support) to enable it"
            }
            InstallationErrorCode::AuthError => {
                "Pleo had an authentication error during installation: replace the key and activate again"
            }
            InstallationErrorCode::Other(_) => "Pleo reported an installation error",
        }
    }
}

impl fmt::Display for InstallationErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_status_and_an_unknown_one_decode() {
        for (raw, want) in [
            ("ACTIVATED", InstallationStatus::Activated),
            ("INACTIVE", InstallationStatus::Inactive),
            ("AUTHORIZED", InstallationStatus::Authorized),
            (
                "PENDING_INTEGRATION",
                InstallationStatus::PendingIntegration,
            ),
            ("ERROR", InstallationStatus::Error),
            ("PAUSED", InstallationStatus::Other("PAUSED".into())),
        ] {
            let s: InstallationStatus = serde_json::from_value(serde_json::json!(raw)).unwrap();
            assert_eq!(s, want);
            assert_eq!(s.as_str(), raw);
        }
    }

    #[test]
    fn unknown_values_are_sanitised() {
        let s: InstallationStatus =
            serde_json::from_value(serde_json::json!("OK\u{1b}[2J")).unwrap();
        assert_eq!(s.as_str(), "OK[2J");
    }
}
