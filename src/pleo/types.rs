//! Response shapes from Pleo's published OpenAPI (App Marketplace 39.4.0, Oberon companies).
//! Decoding accepts what the schemas allow and more (unknown fields and enum values, a null or
//! missing `metadata`, missing fields pleo-keys does not use), and every string that will be
//! shown or stored comes out sanitised.

use crate::domain::{
    CompanyId, InstallationErrorCode, InstallationStatus, Subject, Text, scopes, text::sanitize,
};
use serde::Deserialize;

/// `GET /v1/introspect` → `ExternalClientModelDetails`.
#[derive(Debug, Clone, Deserialize)]
pub struct IntrospectResponse {
    pub data: Introspection,
}

/// `ExternalClientModel`. `authMethod`, `clientId` and `scope` are required by the spec.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Introspection {
    pub auth_method: Text,
    #[serde(default)]
    pub client_id: Option<Text>,
    /// Space-separated, OAuth style (commas accepted too).
    pub scope: String,
    #[serde(default)]
    pub application_name: Option<Text>,
    #[serde(default, rename = "subjectURN")]
    pub subject_urn: Option<String>,
}

impl Introspection {
    pub fn scopes(&self) -> Vec<String> {
        scopes::from_server(&self.scope)
    }

    /// The subject, when the answer names one Pleo-shaped.
    pub fn subject(&self) -> Option<Subject> {
        self.subject_urn
            .as_deref()
            .and_then(|u| Subject::parse(u).ok())
    }
}

/// `InstallationResponse`. Only `id`, `resource` and `status` are used; the other required
/// fields of the schema are not insisted on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Installation {
    pub id: Text,
    /// `urn:pleo:company:<uuid>` (or an organisation URN).
    pub resource: String,
    pub status: InstallationStatus,
    #[serde(default)]
    pub error_code: Option<InstallationErrorCode>,
}

impl Installation {
    /// `resource` for messages: sanitised and short.
    pub fn resource_text(&self) -> String {
        sanitize(&self.resource, 120)
    }
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
    pub name: Text,
}

impl Company {
    /// The id, when it is a UUID (a company Pleo names otherwise is not usable).
    pub fn company_id(&self) -> Option<CompanyId> {
        CompanyId::parse(&self.id).ok()
    }
}

/// `ExceptionInfo`: Pleo's documented error body.
#[derive(Debug, Clone, Deserialize)]
pub struct ExceptionInfo {
    #[serde(rename = "type")]
    pub error_type: Text,
    #[serde(default)]
    pub message: Option<Text>,
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
    fn decodes_what_the_schema_allows_and_what_pleo_may_leave_out() {
        for json in [
            r#"{"id":"i","resource":"urn:pleo:company:123e4567-e89b-12d3-a456-426614174000","status":"INACTIVE","metadata":null}"#,
            r#"{"id":"i","resource":"r","status":"SOMETHING_NEW","extra":{"a":1},"errorCode":"NEW_CODE"}"#,
        ] {
            let i: Installation = serde_json::from_str(json).unwrap();
            assert!(!i.id.is_empty());
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
        assert!(matches!(r.data.subject(), Some(Subject::Company(_))));
        let r: IntrospectResponse =
            serde_json::from_str(r#"{"data":{"authMethod":"NONE","clientId":"x","scope":""}}"#)
                .unwrap();
        assert!(r.data.scopes().is_empty());
        assert_eq!(r.data.subject(), None);
    }

    #[test]
    fn hostile_text_is_sanitised_on_the_way_in() {
        let r: IntrospectResponse = serde_json::from_str(
            r#"{"data":{"authMethod":"API_KEY\u001b]2;x\u0007","scope":"a:read b:read\u001b[8m"}}"#,
        )
        .unwrap();
        assert_eq!(r.data.auth_method.as_str(), "API_KEY]2;x");
        assert_eq!(r.data.scopes(), ["a:read", "b:read[8m"]);
        let c: CompanyResponse = serde_json::from_str(
            r#"{"data":{"id":"x","name":"Acme\r\nFAKE: OK\u202e","address":{}}}"#,
        )
        .unwrap();
        assert_eq!(c.data.name.as_str(), "Acme  FAKE: OK");
    }

    #[test]
    fn missing_required_field_is_an_error() {
        assert!(serde_json::from_str::<Installation>(r#"{"id":"x"}"#).is_err());
        assert!(serde_json::from_str::<IntrospectResponse>(r#"{"unexpected":true}"#).is_err());
    }
}
