//! `GET /v1/introspect`: what the calling key is, as Pleo describes it.

use serde_json::json;

use crate::sandbox::Behaviour;
use crate::sandbox::auth::{KeyState, subject_urn};
use crate::sandbox::demo::APPLICATION_NAME;
use crate::sandbox::hostile::{extra_scope, label};
use crate::sandbox::reply::Reply;

/// `ExternalClientModelDetails` for `key`, shaped by the behaviour switches.
pub(crate) fn introspect(key: &KeyState, behaviour: Behaviour) -> Reply {
    let hostile = behaviour.hostile_text;
    let scopes: Vec<&str> = key
        .scopes
        .iter()
        .map(String::as_str)
        .chain(extra_scope(hostile))
        .collect();
    let mut data = json!({
        "authMethod": label("API_KEY", hostile),
        "clientId": key.client_id,
        "scope": scopes.join(behaviour.scope_separator.as_str()),
        "applicationName": label(APPLICATION_NAME, hostile),
    });
    if let (true, Some(obj)) = (behaviour.subject_urn, data.as_object_mut()) {
        obj.insert("subjectURN".to_owned(), json!(subject_urn(key.subject)));
    }
    Reply::json(200, &json!({ "data": data }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::sandbox::demo::*;
    use crate::sandbox::state::State;
    use crate::sandbox::testing::*;
    use crate::sandbox::{IntrospectAnswer, ScopeSeparator};

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

    #[test]
    fn introspect_follows_the_behaviour_switches() {
        let mut s = State::seed();
        s.behaviour.scope_separator = ScopeSeparator::Comma;
        s.behaviour.subject_urn = false;
        let (status, body) = call(&mut s, "GET", "/v1/introspect", MISSING_SCOPE_KEY, "");
        assert_eq!(status, 200);
        assert_eq!(
            body["data"]["scope"],
            "export-jobs:read,export-items:read,companies:read,users:read"
        );
        assert!(body["data"].get("subjectURN").is_none());
        assert_eq!(body["data"]["clientId"].as_str().map(str::len), Some(36));

        s.behaviour.introspect = IntrospectAnswer::Forbidden;
        assert_eq!(
            error_of(&mut s, "GET", "/v1/introspect", HEALTHY_KEY, ""),
            (403, "ACCESS_DENIED".into())
        );
        // A bad key still gets its 401 first.
        assert_eq!(status_of(&mut s, "GET", "/v1/introspect", REVOKED_KEY), 401);

        s.behaviour.introspect = IntrospectAnswer::NotFound;
        let unknown = call_raw(&mut s, "GET", "/v1/introspect", None, "");
        let body: serde_json::Value = serde_json::from_slice(&unknown.body).unwrap_or_default();
        assert_eq!(
            (unknown.status, body),
            (
                404,
                json!({"type": "NOT_FOUND", "message": "No route for /v1/introspect"})
            )
        );
        // Other routes are untouched.
        assert_eq!(status_of(&mut s, "GET", "/v2/employees", HEALTHY_KEY), 200);
    }

    /// "Restore the current key" brings back what the panel's switches took: its scopes too.
    #[test]
    fn restoring_a_key_brings_back_a_dropped_scope() {
        let mut s = State::seed();
        let scope = |s: &mut State| {
            let (_, body) = call(s, "GET", "/v1/introspect", HEALTHY_KEY, "");
            body["data"]["scope"].as_str().unwrap_or("").to_string()
        };
        s.remove_scope(HEALTHY_KEY, "export-jobs:write");
        s.revoke(HEALTHY_KEY);
        s.restore(HEALTHY_KEY);
        assert!(scope(&mut s).contains("export-jobs:write"));
    }
}
