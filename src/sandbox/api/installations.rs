//! `/v1/installations/*`: the installation record and the calls that read and change it.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::ApiRequest;
use super::body::{CREATE_INSTALLATION, UPDATE_INSTALLATION, checked, string};
use crate::sandbox::auth::{company_urn, in_reach, subject_urn};
use crate::sandbox::demo::{APPLICATION_ID, Subject};
use crate::sandbox::query::optional_uuid;
use crate::sandbox::reply::{Reply, bad_body, no_access_to_company};
use crate::sandbox::routes::Endpoint;
use crate::sandbox::state::State;
use crate::sandbox::{ExistingInstallation, MissingInstallation};

pub(crate) struct Installation {
    pub id: String,
    pub resource: String,
    pub status: String,
    pub error_code: Option<String>,
    /// Always a JSON object.
    pub metadata: Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Set by the switches: the client cannot change the status while it holds.
    pub locked: bool,
}

impl Installation {
    pub(crate) fn new(resource: &str, now: Timestamp) -> Installation {
        Installation {
            id: uuid::Uuid::new_v4().to_string(),
            resource: resource.to_owned(),
            status: "ACTIVATED".to_owned(),
            error_code: None,
            metadata: json!({}),
            created_at: now,
            updated_at: now,
            locked: false,
        }
    }

    fn set_status(&mut self, status: &str) {
        self.status = status.to_owned();
        if status == "ACTIVATED" {
            self.error_code = None;
        }
    }

    /// `InstallationResponse`, with exactly the spec's fields.
    pub(crate) fn to_json(&self) -> Value {
        let mut out = json!({
            "id": self.id,
            "applicationId": APPLICATION_ID,
            "resource": self.resource,
            "status": self.status,
            "metadata": self.metadata,
            "createdAt": self.created_at.to_string(),
            "updatedAt": self.updated_at.to_string(),
        });
        if let (Some(code), Some(obj)) = (&self.error_code, out.as_object_mut()) {
            obj.insert("errorCode".to_owned(), json!(code));
        }
        out
    }
}

// CONFIRMED for DELETE; INFERRED for GET, PUT and :activate, and the body everywhere.
fn not_found() -> Reply {
    Reply::error(404, "INSTALLATION_NOT_FOUND", "Installation does not exist")
}

/// `GET /v1/installations/me` without an installation, as the behaviour switch says.
// INFERRED: the 400 and 500 bodies; the spec documents both statuses for GET, and no 404.
fn missing(answer: MissingInstallation) -> Reply {
    match answer {
        MissingInstallation::NotFound => not_found(),
        MissingInstallation::BadRequest => {
            Reply::error(400, "BAD_REQUEST", "No installation for this client")
        }
        MissingInstallation::ServerError => {
            Reply::error(500, "INTERNAL_SERVER_ERROR", "Cannot retrieve installation")
        }
    }
}

/// The installation resource a request addresses: the key's own subject, or with `company_id`
/// that company (which must be in reach).
fn resource(subject: Subject, query: Option<&str>) -> Result<String, Reply> {
    match optional_uuid(query, "company_id")? {
        Some(id) if in_reach(subject, &id) => Ok(company_urn(&id)),
        Some(_) => Err(no_access_to_company()),
        None => Ok(subject_urn(subject)),
    }
}

/// Any `/v1/installations/*` call.
pub(crate) fn answer(
    state: &mut State,
    endpoint: Endpoint,
    subject: Subject,
    req: &ApiRequest<'_>,
    now: Timestamp,
) -> Result<Reply, Reply> {
    let resource = resource(subject, req.query)?;
    match (endpoint, req.method) {
        (Endpoint::InstallationMe, "GET") => state
            .installations
            .get(&resource)
            .map(|i| Reply::json(200, &i.to_json()))
            .ok_or_else(|| missing(state.behaviour.missing_installation)),
        (Endpoint::InstallationMe, "POST") => create(state, &resource, req.body, now),
        (Endpoint::InstallationMe, "PUT") => update(state, &resource, req.body, now),
        (Endpoint::InstallationMe, _) => state
            .installations
            .remove(&resource)
            .map(|_| Reply::no_content())
            .ok_or_else(not_found),
        _ => activate(state, &resource, now),
    }
}

fn create(state: &mut State, resource: &str, body: &[u8], now: Timestamp) -> Result<Reply, Reply> {
    let body = checked(body, CREATE_INSTALLATION)?;
    let status = string(&body, "status");
    let metadata = body.get("metadata").cloned();
    let conflict = state.behaviour.existing_installation == ExistingInstallation::Conflict;
    let inst = match state.installations.get_mut(resource) {
        // INFERRED: the 409 body (pleo-api.md §12.3).
        Some(_) if conflict => {
            return Err(Reply::error(
                409,
                "INSTALLATION_ALREADY_EXISTS",
                "An installation already exists for this client",
            ));
        }
        Some(inst) => {
            // INFERRED: a second POST answers 200 with the existing installation, updated.
            let changes = status.is_some() || metadata.is_some();
            if changes && !inst.locked {
                if let Some(s) = status {
                    inst.set_status(&s);
                }
                if let Some(m) = metadata {
                    inst.metadata = m;
                }
                inst.updated_at = now;
            }
            inst
        }
        None => {
            let mut inst = Installation::new(resource, now);
            // INFERRED: the status defaults to ACTIVATED when the body leaves it out.
            inst.set_status(status.as_deref().unwrap_or("ACTIVATED"));
            inst.metadata = metadata.unwrap_or_else(|| json!({}));
            state
                .installations
                .entry(resource.to_owned())
                .or_insert(inst)
        }
    };
    Ok(Reply::json(200, &inst.to_json()))
}

fn update(state: &mut State, resource: &str, body: &[u8], now: Timestamp) -> Result<Reply, Reply> {
    let body = checked(body, UPDATE_INSTALLATION)?;
    let status = string(&body, "status")
        .ok_or_else(|| bad_body("Validation failed for request body: status is required"))?;
    let error_code = string(&body, "errorCode");
    let metadata = body.get("metadata").cloned();
    let inst = state
        .installations
        .get_mut(resource)
        .ok_or_else(not_found)?;
    if !inst.locked {
        inst.set_status(&status);
        // INFERRED: a PUT states the whole error: no errorCode means none, ACTIVATED has none.
        if status != "ACTIVATED" {
            inst.error_code = error_code;
        }
        if let Some(m) = metadata {
            inst.metadata = m;
        }
        inst.updated_at = now;
    }
    Ok(Reply::json(200, &inst.to_json()))
}

/// `POST /v1/installations/me:activate` and the deprecated `PUT /v1/installations/completions`.
fn activate(state: &mut State, resource: &str, now: Timestamp) -> Result<Reply, Reply> {
    let inst = state
        .installations
        .get_mut(resource)
        .ok_or_else(not_found)?;
    // INFERRED: Pleo documents :activate for OAuth; the fake lets API keys use it too.
    if !inst.locked {
        inst.set_status("ACTIVATED");
        inst.updated_at = now;
    }
    Ok(Reply::json(200, &inst.to_json()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::sandbox::{ExistingInstallation, MissingInstallation};

    use super::*;
    use crate::sandbox::demo::*;
    use crate::sandbox::state::State;
    use crate::sandbox::testing::*;

    #[test]
    fn installation_create_get_and_idempotent_post() {
        let mut s = State::seed();
        let me = "/v1/installations/me";
        assert_eq!(
            error_of(&mut s, "GET", me, HEALTHY_KEY, ""),
            (404, "INSTALLATION_NOT_FOUND".into())
        );

        let (status, created) = call(
            &mut s,
            "POST",
            me,
            HEALTHY_KEY,
            r#"{"metadata":{"a":{"b":"1"}}}"#,
        );
        assert_eq!(status, 200);
        assert_eq!(created["status"], "ACTIVATED");
        assert_eq!(created["resource"], format!("urn:pleo:company:{ACME_ID}"));
        assert_eq!(created["applicationId"], APPLICATION_ID);
        assert_eq!(created["metadata"], json!({"a": {"b": "1"}}));
        assert!(created.get("errorCode").is_none());

        // Another key of the same company sees the same installation.
        let (_, seen) = call(&mut s, "GET", me, ROTATED_KEY, "");
        assert_eq!(seen["id"], created["id"]);

        let (status, again) = call(&mut s, "POST", me, ROTATED_KEY, r#"{"status":"INACTIVE"}"#);
        assert_eq!(status, 200);
        assert_eq!(again["id"], created["id"]);
        assert_eq!(again["status"], "INACTIVE");
        assert_eq!(again["metadata"], json!({"a": {"b": "1"}}));

        for bad in [
            "",
            "not json",
            "[1]",
            r#"{"status":"BROKEN"}"#,
            r#"{"status":null}"#,
            r#"{"metadata":3}"#,
        ] {
            assert_eq!(
                error_of(&mut s, "POST", me, HEALTHY_KEY, bad),
                (400, "JSON_MAPPING_EXCEPTION".into()),
                "{bad}"
            );
        }
        // The spec's metadata holds objects; a string value is refused, never echoed.
        let (status, body) = call(
            &mut s,
            "POST",
            me,
            HEALTHY_KEY,
            r#"{"metadata":{"createdBy":"x"}}"#,
        );
        assert_eq!(
            (status, body["type"].as_str(), body["message"].as_str()),
            (
                400,
                Some("VALIDATION_FAILED"),
                Some("metadata.createdBy must be a JSON object")
            )
        );
        let (_, kept) = call(&mut s, "GET", me, HEALTHY_KEY, "");
        assert_eq!(kept["metadata"], json!({"a": {"b": "1"}}));
        // The other company's key has its own (absent) installation.
        assert_eq!(status_of(&mut s, "GET", me, OTHER_COMPANY_KEY), 404);
    }

    #[test]
    fn installation_put_activate_and_delete() {
        let mut s = State::seed();
        let me = "/v1/installations/me";
        assert_eq!(
            call(&mut s, "PUT", me, HEALTHY_KEY, r#"{"status":"ERROR"}"#).0,
            404
        );
        assert_eq!(
            status_of(&mut s, "POST", "/v1/installations/me:activate", HEALTHY_KEY),
            404
        );
        assert_eq!(status_of(&mut s, "DELETE", me, HEALTHY_KEY), 404);
        call(&mut s, "POST", me, HEALTHY_KEY, "{}");

        assert_eq!(call(&mut s, "PUT", me, HEALTHY_KEY, "{}").0, 400);
        assert_eq!(
            call(
                &mut s,
                "PUT",
                me,
                HEALTHY_KEY,
                r#"{"status":"ERROR","errorCode":"NOPE"}"#
            )
            .0,
            400
        );
        let (status, body) = call(
            &mut s,
            "PUT",
            me,
            HEALTHY_KEY,
            r#"{"status":"ERROR","errorCode":"AUTH_ERROR"}"#,
        );
        assert_eq!(status, 200);
        assert_eq!(
            (body["status"].as_str(), body["errorCode"].as_str()),
            (Some("ERROR"), Some("AUTH_ERROR"))
        );

        let (_, body) = call(
            &mut s,
            "POST",
            "/v1/installations/me%3Aactivate",
            HEALTHY_KEY,
            "",
        );
        assert_eq!(body["status"], "ACTIVATED");
        assert!(body.get("errorCode").is_none());

        call(&mut s, "PUT", me, HEALTHY_KEY, r#"{"status":"INACTIVE"}"#);
        let (_, body) = call(
            &mut s,
            "PUT",
            "/v1/installations/completions",
            HEALTHY_KEY,
            "",
        );
        assert_eq!(body["status"], "ACTIVATED");

        let reply = reply_of(&mut s, "DELETE", me, HEALTHY_KEY);
        assert_eq!(
            (reply.status, reply.body.len(), reply.content_type),
            (204, 0, None)
        );
        assert_eq!(status_of(&mut s, "GET", me, HEALTHY_KEY), 404);
    }

    #[test]
    fn locked_installation_ignores_client_changes_until_switched_again() {
        let mut s = State::seed();
        let me = "/v1/installations/me";
        let urn = format!("urn:pleo:company:{ACME_ID}");
        s.set_installation(&urn, "ERROR", Some("NOT_ENTITLED"), true, now());
        for (method, path, body) in [
            ("POST", me, r#"{"status":"ACTIVATED"}"#),
            ("PUT", me, r#"{"status":"ACTIVATED","metadata":{"x":{}}}"#),
            ("POST", "/v1/installations/me:activate", ""),
            ("PUT", "/v1/installations/completions", ""),
        ] {
            let (status, body) = call(&mut s, method, path, HEALTHY_KEY, body);
            assert_eq!(status, 200, "{method} {path}");
            assert_eq!(body["status"], "ERROR");
            assert_eq!(body["errorCode"], "NOT_ENTITLED");
            assert_eq!(body["metadata"], json!({}));
        }
        s.set_installation(&urn, "ERROR", Some("NOT_ENTITLED"), false, now());
        let (_, body) = call(
            &mut s,
            "POST",
            "/v1/installations/me:activate",
            HEALTHY_KEY,
            "",
        );
        assert_eq!(body["status"], "ACTIVATED");
        assert_eq!(s.installation_status(&urn).as_deref(), Some("ACTIVATED"));
        s.delete_installation(&urn);
        assert_eq!(s.installation_status(&urn), None);
    }

    #[test]
    fn company_id_scopes_installations() {
        let mut s = State::seed();
        let me = "/v1/installations/me";
        let acme = format!("{me}?company_id={ACME_ID}");
        let cobalt = format!("{me}?company_id={COBALT_ID}");
        // Company key: its own company only.
        assert_eq!(call(&mut s, "POST", &acme, HEALTHY_KEY, "{}").0, 200);
        assert_eq!(status_of(&mut s, "GET", &cobalt, HEALTHY_KEY), 403);
        assert_eq!(
            call(
                &mut s,
                "GET",
                &format!("{me}?company_id=nope"),
                HEALTHY_KEY,
                ""
            )
            .0,
            400
        );
        // Org key: a company of its org addresses that company's installation.
        let (status, body) = call(&mut s, "GET", &acme, ORG_KEY, "");
        assert_eq!(
            (status, body["resource"].clone()),
            (200, json!(format!("urn:pleo:company:{ACME_ID}")))
        );
        assert_eq!(status_of(&mut s, "GET", &cobalt, ORG_KEY), 403);
        // Without company_id the org key's resource is the organisation.
        assert_eq!(status_of(&mut s, "GET", me, ORG_KEY), 404);
        let (_, body) = call(&mut s, "POST", me, ORG_KEY, "{}");
        assert_eq!(
            body["resource"],
            format!("urn:pleo:organization:{NORTHWIND_ORG_ID}")
        );
        let borealis = format!("{me}?company_id={BOREALIS_ID}");
        assert_eq!(status_of(&mut s, "DELETE", &borealis, ORG_KEY), 404);
    }

    #[test]
    fn missing_and_existing_installations_follow_the_behaviour_switches() {
        let mut s = State::seed();
        let me = "/v1/installations/me";
        for (answer, status, kind) in [
            (MissingInstallation::BadRequest, 400, "BAD_REQUEST"),
            (
                MissingInstallation::ServerError,
                500,
                "INTERNAL_SERVER_ERROR",
            ),
            (MissingInstallation::NotFound, 404, "INSTALLATION_NOT_FOUND"),
        ] {
            s.behaviour.missing_installation = answer;
            // It persists: every GET gets it while there is no installation.
            for _ in 0..2 {
                let (got, body) = call(&mut s, "GET", me, HEALTHY_KEY, "");
                assert_eq!((got, body["type"].as_str()), (status, Some(kind)));
                assert!(body["message"].is_string());
            }
        }
        s.behaviour.missing_installation = MissingInstallation::ServerError;
        // Only GET changes: DELETE and PUT still say 404.
        assert_eq!(status_of(&mut s, "DELETE", me, HEALTHY_KEY), 404);
        assert_eq!(
            call(&mut s, "PUT", me, HEALTHY_KEY, r#"{"status":"ACTIVATED"}"#).0,
            404
        );
        let (_, created) = call(&mut s, "POST", me, HEALTHY_KEY, "{}");
        assert_eq!(status_of(&mut s, "GET", me, HEALTHY_KEY), 200);

        s.behaviour.existing_installation = ExistingInstallation::Conflict;
        assert_eq!(
            error_of(&mut s, "POST", me, ROTATED_KEY, r#"{"status":"INACTIVE"}"#),
            (409, "INSTALLATION_ALREADY_EXISTS".into())
        );
        let (_, kept) = call(&mut s, "GET", me, HEALTHY_KEY, "");
        assert_eq!(
            (kept["id"].clone(), kept["status"].as_str()),
            (created["id"].clone(), Some("ACTIVATED"))
        );
        // A bad body is still a 400, and a new resource is still created.
        assert_eq!(
            call(&mut s, "POST", me, HEALTHY_KEY, r#"{"status":null}"#).0,
            400
        );
        assert_eq!(call(&mut s, "POST", me, OTHER_COMPANY_KEY, "{}").0, 200);
    }
}
