//! The API side of the sandbox: one request in, faults and auth applied, routed to its endpoint,
//! recorded in the request log. Free of IO, so everything here is testable without a socket.

pub(crate) mod body;
pub(crate) mod directory;
pub(crate) mod exports;
pub(crate) mod installations;
pub(crate) mod introspect;
pub(crate) mod page;

use jiff::Timestamp;

use super::auth::authenticate;
use super::faults::{malformed, outage, rate_limited, take};
use super::hostile;
use super::reply::{Reply, bad_parameter, forbidden, no_route};
use super::routes::{Endpoint, required_scope, route, undocumented_param};
use super::state::{State, stamp};
use super::{IntrospectAnswer, SeenRequest};

/// Bodies above this are not kept in the request log, which holds up to 10,000 requests.
const MAX_LOGGED_BODY: usize = 64 * 1024;

/// The parts of an API request the fake looks at.
pub(crate) struct ApiRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub authorization: Option<&'a [u8]>,
    pub body: &'a [u8],
}

impl State {
    /// Answer one API request (anything outside `/_sandbox/`) and record it. The slow fault is
    /// applied by the caller, which can wait without holding the lock.
    pub(crate) fn handle_api(&mut self, req: &ApiRequest<'_>, now: Timestamp) -> Reply {
        let (reply, key_name) = self.api_reply(req, now);
        let reply = hostile::error_reply(reply, self.behaviour.hostile_text);
        let path_and_query = match req.query {
            Some(q) => format!("{}?{q}", req.path),
            None => req.path.to_owned(),
        };
        let body = (!req.body.is_empty() && req.body.len() <= MAX_LOGGED_BODY)
            .then(|| serde_json::from_slice(req.body).ok())
            .flatten();
        self.record(SeenRequest {
            method: req.method.to_owned(),
            path_and_query,
            had_authorization: req.authorization.is_some(),
            status: reply.status,
            key_name,
            body,
        });
        reply
    }

    /// The answer; `key_name` is set once a key has authenticated.
    fn api_reply(&mut self, req: &ApiRequest<'_>, now: Timestamp) -> (Reply, Option<&'static str>) {
        // INFERRED: throttling and outages happen in front of auth, as a gateway would do them.
        if let Some(retry) = take(&mut self.faults.rate_limit) {
            return (rate_limited(retry, now), None);
        }
        if let Some(status) = take(&mut self.faults.outage) {
            return (outage(status), None);
        }
        let mut key_name = None;
        let reply = match self.routed(req, stamp(now), &mut key_name) {
            Ok(reply) | Err(reply) => reply,
        };
        if reply.status == 200
            && let Some(kind) = take(&mut self.faults.malformed)
        {
            return (malformed(kind), key_name);
        }
        (reply, key_name)
    }

    fn routed(
        &mut self,
        req: &ApiRequest<'_>,
        now: Timestamp,
        key_name: &mut Option<&'static str>,
    ) -> Result<Reply, Reply> {
        // INFERRED: an unknown route or method answers before auth is looked at.
        let route = route(req.path)
            .filter(|r| {
                r.endpoint != Endpoint::Introspect
                    || self.behaviour.introspect != IntrospectAnswer::NotFound
            })
            .ok_or_else(|| no_route(req.path))?;
        if !route.methods.contains(&req.method) {
            return Err(Reply::error(
                405,
                "METHOD_NOT_ALLOWED",
                &format!("{} is not supported on {}", req.method, req.path),
            )
            .with_header("allow", route.methods.join(", ")));
        }
        let key = authenticate(&self.keys, req.authorization)?;
        *key_name = Some(self.keys[key].name);
        // INFERRED: parameters are checked after auth, so a bad key learns nothing about them.
        let subject = self.keys[key].subject;
        if self.behaviour.strict
            && let Some(name) = undocumented_param(route.endpoint, req.method, subject, req.query)
        {
            return Err(bad_parameter(&format!("unknown query parameter {name}")));
        }
        // INFERRED: a key that may not introspect is told so once it has authenticated.
        if route.endpoint == Endpoint::Introspect
            && self.behaviour.introspect == IntrospectAnswer::Forbidden
        {
            return Err(forbidden(
                "Introspection is not available for standalone API keys",
            ));
        }
        if let Some(scope) = required_scope(route.endpoint, req.method)
            && !self.keys[key].has_scope(scope)
        {
            return Err(forbidden(&format!("Missing scope {scope}")));
        }
        match route.endpoint {
            Endpoint::Introspect => Ok(introspect::introspect(&self.keys[key], self.behaviour)),
            Endpoint::InstallationMe | Endpoint::Activate | Endpoint::Completions => {
                installations::answer(self, route.endpoint, subject, req, now)
            }
            Endpoint::Company => directory::company(
                subject,
                route.id.as_deref().unwrap_or(""),
                self.behaviour.hostile_text,
            ),
            Endpoint::Companies => {
                directory::companies(subject, req.query, self.behaviour.hostile_text)
            }
            Endpoint::Employees => directory::employees(subject, req.query),
            Endpoint::ExportJobs if req.method == "POST" => {
                exports::create_job(self, subject, req, now)
            }
            Endpoint::ExportJobs => exports::list_jobs(self, subject, req.query),
            Endpoint::ExportItems => exports::list_items(subject, req.query),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::sandbox::demo::*;
    use crate::sandbox::reply::HTML;
    use crate::sandbox::state::State;
    use crate::sandbox::testing::*;
    use crate::sandbox::{Malformed, RetryAfter};

    #[test]
    fn auth_failures_share_one_body_and_say_why_in_a_header() {
        let mut s = State::seed();
        let missing = call_raw(&mut s, "GET", "/v1/introspect", None, "");
        assert_eq!(missing.status, 401);
        let body: Value = serde_json::from_slice(&missing.body).unwrap_or_default();
        assert_eq!(body["message"], "Missing or malformed credentials");
        assert_eq!(missing.header("x-sandbox-reason"), None);

        s.expire(HEALTHY_KEY);
        for (key, reason) in [
            ("pls_00000000000000000000000000000000_000000", "unknown"),
            (REVOKED_KEY, "revoked"),
            (HEALTHY_KEY, "expired"),
        ] {
            let reply = reply_of(&mut s, "GET", "/v1/introspect", key);
            assert_eq!(reply.status, 401);
            let body: Value = serde_json::from_slice(&reply.body).unwrap_or_default();
            assert_eq!(
                body,
                json!({"type": "UNAUTHORIZED", "message": "Invalid API key"})
            );
            assert_eq!(reply.header("x-sandbox-reason"), Some(reason));
        }
        s.restore(HEALTHY_KEY);
        s.restore(REVOKED_KEY);
        assert_eq!(status_of(&mut s, "GET", "/v1/introspect", REVOKED_KEY), 200);
    }

    #[test]
    fn scopes_are_enforced_per_route() {
        let mut s = State::seed();
        let q = format!("/v3/export-jobs?company_id={ACME_ID}");
        let (status, body) = call(&mut s, "POST", &q, MISSING_SCOPE_KEY, "");
        assert_eq!(status, 403);
        assert_eq!(
            body,
            json!({"type": "ACCESS_DENIED", "message": "Missing scope export-jobs:write"})
        );
        assert_eq!(status_of(&mut s, "GET", &q, MISSING_SCOPE_KEY), 200);
        assert_eq!(status_of(&mut s, "POST", &q, HEALTHY_KEY), 201);
        let company = format!("/v1/companies/{ACME_ID}");
        assert_eq!(status_of(&mut s, "GET", &company, NO_COMPANY_READ_KEY), 403);
        s.remove_scope(HEALTHY_KEY, "users:read");
        assert_eq!(status_of(&mut s, "GET", "/v2/employees", HEALTHY_KEY), 403);
        s.set_scopes(HEALTHY_KEY, &["users:read"]);
        assert_eq!(status_of(&mut s, "GET", "/v2/employees", HEALTHY_KEY), 200);
        assert_eq!(status_of(&mut s, "GET", &company, HEALTHY_KEY), 403);
    }

    #[test]
    fn unknown_route_and_wrong_method() {
        let mut s = State::seed();
        let (status, body) = call(&mut s, "GET", "/v9/nothing", HEALTHY_KEY, "");
        assert_eq!((status, body["type"].as_str()), (404, Some("NOT_FOUND")));
        let reply = reply_of(&mut s, "PATCH", "/v1/installations/me", HEALTHY_KEY);
        assert_eq!(reply.status, 405);
        assert_eq!(reply.header("allow"), Some("GET, POST, PUT, DELETE"));
    }

    #[test]
    fn faults_apply_in_order_and_run_out() {
        let mut s = State::seed();
        s.rate_limit(RetryAfter::Seconds(7), Some(2));
        s.outage(503, Some(1));
        s.malformed(Some(Malformed::WrongShape), Some(1));
        let statuses: Vec<u16> = (0..4)
            .map(|_| call_raw(&mut s, "GET", "/v1/introspect", None, "").status)
            .collect();
        // Faults come before auth: two 429s, one 503, then the real 401 (malformed waits for a 200).
        assert_eq!(statuses, [429, 429, 503, 401]);
        let reply = reply_of(&mut s, "GET", "/v1/introspect", HEALTHY_KEY);
        assert_eq!(
            (reply.status, reply.body.as_slice()),
            (200, &br#"{"unexpected": true}"#[..])
        );
        assert_eq!(status_of(&mut s, "GET", "/v1/introspect", HEALTHY_KEY), 200);
        assert!(call(&mut s, "GET", "/v1/introspect", HEALTHY_KEY, "").1["data"].is_object());

        s.outage(502, None);
        for _ in 0..3 {
            let reply = call_raw(&mut s, "GET", "/v1/introspect", None, "");
            assert_eq!((reply.status, reply.content_type), (502, Some(HTML)));
        }
        s.clear_faults();
        s.rate_limit(RetryAfter::Seconds(1), Some(0));
        assert_eq!(status_of(&mut s, "GET", "/v1/introspect", HEALTHY_KEY), 200);
        assert_eq!(s.request_count(), 11);
        assert_eq!(s.requests()[0].status, 429);
        assert!(!s.requests()[0].had_authorization);
    }

    #[test]
    fn strict_mode_refuses_undocumented_query_parameters() {
        let mut s = State::seed();
        let with_company = format!("/v1/installations/me?company_id={ACME_ID}");
        let typo = format!("/v2/employees?company_id={ACME_ID}");
        // Lenient by default: the unknown parameter is ignored.
        assert_eq!(status_of(&mut s, "GET", &typo, HEALTHY_KEY), 200);
        assert_eq!(
            call(&mut s, "POST", &with_company, HEALTHY_KEY, "{}").0,
            200
        );

        s.behaviour.strict = true;
        let (status, body) = call(&mut s, "GET", &typo, HEALTHY_KEY, "");
        assert_eq!(
            (status, body),
            (
                400,
                json!({"type": "PARAMETER_VALIDATION_FAILED", "message": "unknown query parameter company_id"})
            )
        );
        let (status, body) = call(
            &mut s,
            "PUT",
            &with_company,
            HEALTHY_KEY,
            r#"{"status":"ACTIVATED"}"#,
        );
        assert_eq!(
            (status, body["message"].as_str()),
            (400, Some("unknown query parameter company_id"))
        );
        // The organisation key may name one of its companies on every installation call.
        assert_eq!(
            call(
                &mut s,
                "PUT",
                &with_company,
                ORG_KEY,
                r#"{"status":"INACTIVE"}"#
            )
            .0,
            200
        );
        assert_eq!(status_of(&mut s, "GET", &with_company, HEALTHY_KEY), 200);
        for ok in [
            format!("/v1/companies?organization_id={NORTHWIND_ORG_ID}&limit=5&offset=0"),
            format!("/v2/employees?companyId={ACME_ID}&email=ada%40acme.example&code=E001"),
            format!("/v3/export-jobs?company_id={ACME_ID}&statuses=completed&statuses=failed"),
            format!("/v3/export-items?company_id={ACME_ID}&limit=1"),
        ] {
            assert_eq!(status_of(&mut s, "GET", &ok, ORG_KEY), 200, "{ok}");
        }
        for bad in ["/v1/introspect?verbose=1", "/v1/companies?limit=1&Limit=2"] {
            assert_eq!(status_of(&mut s, "GET", bad, HEALTHY_KEY), 400, "{bad}");
        }
        // Auth still comes first: a bad key learns nothing about the parameters.
        let anonymous = call_raw(&mut s, "GET", "/v1/introspect?verbose=1", None, "");
        assert_eq!(anonymous.status, 401);
        s.reset();
        assert_eq!(
            status_of(&mut s, "GET", "/v1/introspect?verbose=1", HEALTHY_KEY),
            200
        );
    }

    #[test]
    fn the_log_names_the_key_and_keeps_json_bodies() {
        let mut s = State::seed();
        let me = "/v1/installations/me";
        call(&mut s, "POST", me, HEALTHY_KEY, r#"{"status":"ACTIVATED"}"#);
        call(&mut s, "PUT", me, ORG_KEY, "not json");
        call(&mut s, "GET", "/v1/introspect", REVOKED_KEY, "");
        call_raw(&mut s, "GET", "/v1/introspect", None, "");
        s.rate_limit(RetryAfter::Seconds(1), Some(1));
        call(&mut s, "GET", "/v1/introspect", HEALTHY_KEY, "");
        let big = format!(
            r#"{{"status":"ACTIVATED","metadata":{{"a":{{"b":"{}"}}}}}}"#,
            "x".repeat(70_000)
        );
        call(&mut s, "POST", me, ROTATED_KEY, &big);

        let log = s.requests();
        let seen: Vec<(Option<&str>, Option<Value>, u16)> = log
            .iter()
            .map(|r| (r.key_name, r.body.clone(), r.status))
            .collect();
        assert_eq!(
            seen,
            [
                (Some("healthy"), Some(json!({"status": "ACTIVATED"})), 200),
                (Some("org-level"), None, 400),
                (None, None, 401),
                (None, None, 401),
                (None, None, 429),
                (Some("rotated"), None, 200),
            ]
        );
        for r in &log {
            let text = format!("{r:?}");
            assert!(DEMO_KEYS.iter().all(|k| !text.contains(k.key)), "{text}");
        }
    }
}
