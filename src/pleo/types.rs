//! Response shapes from Pleo's published OpenAPI (App Marketplace 39.4.0, Oberon companies).
//! Decoding accepts every documented field and value, and unknown extra fields.

use serde::{Deserialize, Serialize};
use std::fmt;

/// `GET /v1/introspect` → `ExternalClientModelDetails`.
#[derive(Debug, Clone, Deserialize)]
pub struct IntrospectResponse {
    pub data: Introspection,
}

/// `ExternalClientModel`. `authMethod`, `clientId` and `scope` are required by the spec.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Introspection {
    pub auth_method: String,
    pub client_id: String,
    /// Space-separated, OAuth style.
    pub scope: String,
    #[serde(default)]
    pub application_name: Option<String>,
    #[serde(default, rename = "subjectURN")]
    pub subject_urn: Option<String>,
}

impl Introspection {
    pub fn scopes(&self) -> Vec<String> {
        let mut scopes: Vec<String> = self.scope.split_whitespace().map(str::to_string).collect();
        scopes.sort();
        scopes.dedup();
        scopes
    }
}

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
            _ => InstallationStatus::Other(s),
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
            _ => InstallationErrorCode::Other(s),
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

    /// What the operator can do about it.
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

/// `InstallationResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Installation {
    pub id: String,
    pub application_id: String,
    /// `urn:pleo:company:<uuid>` (or an organisation URN).
    pub resource: String,
    pub status: InstallationStatus,
    #[serde(default)]
    pub error_code: Option<InstallationErrorCode>,
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub created_at: String,
    pub updated_at: String,
}

/// `GET /v1/companies/{id}` → `{data: Company}`.
#[derive(Debug, Clone, Deserialize)]
pub struct CompanyResponse {
    pub data: Company,
}

/// `GET /v1/companies?organization_id=` → a cursor page of companies.
#[derive(Debug, Clone, Deserialize)]
pub struct CompanyPage {
    pub data: Vec<Company>,
    #[serde(default)]
    pub pagination: Option<Pagination>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    #[serde(default)]
    pub has_next_page: bool,
    #[serde(default)]
    pub end_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Company {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub organization_id: Option<String>,
    #[serde(default)]
    pub registration_number: Option<String>,
}

/// `ExceptionInfo`: Pleo's documented error body.
#[derive(Debug, Clone, Deserialize)]
pub struct ExceptionInfo {
    #[serde(rename = "type")]
    pub error_type: String,
    #[serde(default)]
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_documented_installation_example() {
        let json = r#"{
          "id": "123e4567-e89b-12d3-a456-426614174000",
          "applicationId": "123e4567-e89b-12d3-a456-426614174000",
          "resource": "urn:pleo:company:123e4567-e89b-12d3-a456-426614174000",
          "status": "ACTIVATED",
          "errorCode": "NOT_ENTITLED",
          "metadata": { "key": "value" },
          "createdAt": "2021-01-01T00:00:00Z",
          "updatedAt": "2021-01-01T00:00:00Z"
        }"#;
        let i: Installation = serde_json::from_str(json).unwrap();
        assert_eq!(i.status, InstallationStatus::Activated);
        assert_eq!(i.error_code, Some(InstallationErrorCode::NotEntitled));
    }

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
    fn decodes_the_documented_introspect_example() {
        let json = r#"{ "data": {
            "authMethod": "API_KEY",
            "clientId": "d8b8a6d4-3c4b-4b8e-8b2e-1f2a3d4e5f6a",
            "scope": "export:read users:write expense:read",
            "applicationName": "Netsuite",
            "subjectURN": "urn:pleo:company:d7b8a6d4-3c4b-4b8e-8b2e-1f2a3d4e5f6b"
        } }"#;
        let r: IntrospectResponse = serde_json::from_str(json).unwrap();
        assert_eq!(
            r.data.scopes(),
            ["expense:read", "export:read", "users:write"]
        );
        assert_eq!(
            r.data.subject_urn.as_deref(),
            Some("urn:pleo:company:d7b8a6d4-3c4b-4b8e-8b2e-1f2a3d4e5f6b")
        );
        // Only the required fields.
        let r: IntrospectResponse =
            serde_json::from_str(r#"{"data":{"authMethod":"NONE","clientId":"x","scope":""}}"#)
                .unwrap();
        assert!(r.data.scopes().is_empty());
    }

    #[test]
    fn missing_required_field_is_an_error() {
        assert!(serde_json::from_str::<Installation>(r#"{"id":"x"}"#).is_err());
        assert!(serde_json::from_str::<IntrospectResponse>(r#"{"unexpected":true}"#).is_err());
    }
}
