//! `GET /v1/introspect`: what the calling key is, as Pleo describes it.

use serde_json::json;

use crate::sandbox::auth::{KeyState, subject_urn};
use crate::sandbox::demo::APPLICATION_NAME;
use crate::sandbox::reply::Reply;

pub(crate) fn introspect(key: &KeyState) -> Reply {
    Reply::json(
        200,
        &json!({ "data": {
            "authMethod": "API_KEY",
            "clientId": key.client_id,
            "scope": key.scopes.join(" "),
            "applicationName": APPLICATION_NAME,
            "subjectURN": subject_urn(key.subject),
        }}),
    )
}

#[cfg(test)]
mod tests {

    use crate::sandbox::demo::*;
    use crate::sandbox::state::State;
    use crate::sandbox::testing::*;

    #[test]
    fn introspect_reports_scopes_and_subject() {
        let mut s = State::seed();
        let (status, body) = call(&mut s, "GET", "/v1/introspect", MISSING_SCOPE_KEY, "");
        assert_eq!(status, 200);
        assert_eq!(body["data"]["authMethod"], "API_KEY");
        assert_eq!(
            body["data"]["scope"],
            "export-jobs:read export-items:read companies:read users:read"
        );
        assert_eq!(
            body["data"]["subjectURN"],
            format!("urn:pleo:company:{ACME_ID}")
        );
        let (_, org) = call(&mut s, "GET", "/v1/introspect", ORG_KEY, "");
        assert_eq!(
            org["data"]["subjectURN"],
            format!("urn:pleo:organization:{NORTHWIND_ORG_ID}")
        );
    }
}
