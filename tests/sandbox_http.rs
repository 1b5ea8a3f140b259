//! The sandbox end to end over real HTTP: auth failures, scopes, faults and the switches.

use std::time::{Duration, Instant};

use base64::Engine as _;
use pleo_keys::sandbox::{
    self, ExistingInstallation, HostileText, IntrospectAnswer, Malformed, MissingInstallation,
    RetryAfter, Sandbox, ScopeSeparator,
};
use serde_json::{Value, json};

const JSON: &str = "application/json;charset=UTF-8";

struct Answer {
    status: u16,
    content_type: String,
    retry_after: Option<String>,
    reason: Option<String>,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

struct Api {
    sandbox: Sandbox,
    http: reqwest::Client,
}

enum Auth<'a> {
    None,
    Key(&'a str),
    Raw(&'a str),
}

impl Api {
    async fn start() -> Api {
        let sandbox = Sandbox::start(0).await.expect("start the sandbox");
        let http = reqwest::Client::builder().build().expect("client");
        Api { sandbox, http }
    }

    async fn send(&self, method: &str, path: &str, auth: Auth<'_>, body: Option<&str>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sandbox.url()));
        req = match auth {
            Auth::None => req,
            Auth::Key(key) => req.basic_auth(key, Some("")),
            Auth::Raw(value) => req.header("authorization", value),
        };
        if let Some(body) = body {
            req = req.header("content-type", JSON).body(body.to_owned());
        }
        let resp = req.send().await.expect("send");
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Answer {
            status: resp.status().as_u16(),
            content_type: header("content-type").unwrap_or_default(),
            retry_after: header("retry-after"),
            reason: header("x-sandbox-reason"),
            text: resp.text().await.expect("body"),
        }
    }

    async fn get(&self, path: &str, key: &str) -> Answer {
        self.send("GET", path, Auth::Key(key), None).await
    }

    async fn switch(&self, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}/_sandbox/{path}", self.sandbox.url()));
        if let Some(body) = body {
            req = req.body(body.to_string());
        }
        let resp = req.send().await.expect("switch");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The status of the healthy key's introspection.
    async fn introspect_healthy(&self) -> u16 {
        self.get("/v1/introspect", sandbox::HEALTHY_KEY)
            .await
            .status
    }

    /// `GET /_sandbox/state`, as it is sent.
    async fn state_text(&self) -> String {
        let resp = self
            .http
            .get(format!("{}/_sandbox/state", self.sandbox.url()))
            .send()
            .await
            .expect("state");
        resp.text().await.expect("state body")
    }

    /// `GET /_sandbox/state`.
    async fn state(&self) -> Value {
        serde_json::from_str(&self.state_text().await).expect("state JSON")
    }

    /// The names of the companies in the Northwind organisation, as `key` lists them; and the
    /// whole answer.
    async fn northwind(&self, key: &str) -> (Vec<String>, Value) {
        let list = format!(
            "/v1/companies?organization_id={}",
            sandbox::NORTHWIND_ORG_ID
        );
        let companies = self.get(&list, key).await.json();
        let names = companies["data"]
            .as_array()
            .expect("data")
            .iter()
            .filter_map(|c| c["name"].as_str().map(str::to_owned))
            .collect();
        (names, companies)
    }
}

#[tokio::test]
async fn bad_credentials_get_one_generic_401_each() {
    let api = Api::start().await;
    let no_colon = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(sandbox::HEALTHY_KEY)
    );
    let bearer = format!("Bearer {}", sandbox::HEALTHY_KEY);
    for auth in [
        Auth::None,
        Auth::Raw(&bearer),
        Auth::Raw("Basic %%%not-base64%%%"),
        Auth::Raw(&no_colon),
    ] {
        let a = api.send("GET", "/v1/introspect", auth, None).await;
        assert_eq!((a.status, a.content_type.as_str()), (401, JSON));
        assert_eq!(
            a.json(),
            json!({"type": "UNAUTHORIZED", "message": "Missing or malformed credentials"})
        );
        assert_eq!(a.reason, None);
    }
    api.sandbox.control().expire(sandbox::ROTATED_KEY);
    for (key, reason) in [
        ("pls_ffffffffffffffffffffffffffffffff_ffffff", "unknown"),
        (sandbox::REVOKED_KEY, "revoked"),
        (sandbox::ROTATED_KEY, "expired"),
    ] {
        let a = api.get("/v1/installations/me", key).await;
        assert_eq!((a.status, a.content_type.as_str()), (401, JSON));
        assert_eq!(
            a.json(),
            json!({"type": "UNAUTHORIZED", "message": "Invalid API key"})
        );
        assert_eq!(a.reason.as_deref(), Some(reason));
    }
}

#[tokio::test]
async fn missing_scope_and_foreign_company_get_403() {
    let api = Api::start().await;
    let jobs = format!("/v3/export-jobs?company_id={}", sandbox::ACME_ID);
    let a = api
        .send("POST", &jobs, Auth::Key(sandbox::MISSING_SCOPE_KEY), None)
        .await;
    assert_eq!(a.status, 403);
    assert_eq!(
        a.json(),
        json!({"type": "ACCESS_DENIED", "message": "Missing scope export-jobs:write"})
    );
    let acme = format!("/v1/companies/{}", sandbox::ACME_ID);
    let a = api.get(&acme, sandbox::NO_COMPANY_READ_KEY).await;
    assert_eq!(
        (a.status, a.json()["message"].as_str()),
        (403, Some("Missing scope companies:read"))
    );
    assert_eq!(api.get(&acme, sandbox::HEALTHY_KEY).await.status, 200);

    let cobalt = format!("/v1/companies/{}", sandbox::COBALT_ID);
    let a = api.get(&cobalt, sandbox::HEALTHY_KEY).await;
    assert_eq!(
        (a.status, a.json()["type"].as_str()),
        (403, Some("ACCESS_DENIED"))
    );
    let foreign = format!("/v1/installations/me?company_id={}", sandbox::COBALT_ID);
    assert_eq!(api.get(&foreign, sandbox::ORG_KEY).await.status, 403);
    let foreign = format!("/v2/employees?companyId={}", sandbox::BOREALIS_ID);
    assert_eq!(api.get(&foreign, sandbox::HEALTHY_KEY).await.status, 403);
}

#[tokio::test]
async fn rate_limit_in_both_forms_then_runs_out() {
    let api = Api::start().await;
    let control = api.sandbox.control();
    control.rate_limit(RetryAfter::Seconds(5), Some(2));
    for _ in 0..2 {
        let a = api.get("/v1/introspect", sandbox::HEALTHY_KEY).await;
        assert_eq!((a.status, a.retry_after.as_deref()), (429, Some("5")));
        assert_eq!(
            a.json(),
            json!({"type": "TOO_MANY_REQUESTS", "message": "Rate limit exceeded"})
        );
    }
    assert_eq!(api.introspect_healthy().await, 200);

    control.rate_limit(RetryAfter::HttpDate(120), Some(1));
    let a = api.get("/v1/introspect", sandbox::HEALTHY_KEY).await;
    assert_eq!(a.status, 429);
    let date = a.retry_after.expect("Retry-After");
    assert!(date.ends_with(" GMT"), "{date}");
    let when =
        jiff::Timestamp::strptime("%a, %d %b %Y %H:%M:%S %z", date.replace(" GMT", " +0000"))
            .expect("an IMF-fixdate");
    let ahead = when.as_second() - jiff::Timestamp::now().as_second();
    assert!((100..=121).contains(&ahead), "{date} is {ahead}s ahead");
    assert_eq!(api.introspect_healthy().await, 200);
}

#[tokio::test]
async fn outages_then_recovery() {
    let api = Api::start().await;
    let control = api.sandbox.control();
    control.outage(503, Some(2));
    for _ in 0..2 {
        let a = api.get("/v1/installations/me", sandbox::HEALTHY_KEY).await;
        assert_eq!((a.status, a.content_type.as_str()), (503, JSON));
        assert_eq!(a.json()["type"], "SERVICE_UNAVAILABLE");
    }
    assert_eq!(api.introspect_healthy().await, 200);

    control.outage(502, None);
    for _ in 0..3 {
        let a = api.get("/v1/introspect", sandbox::HEALTHY_KEY).await;
        assert_eq!(a.status, 502);
        assert!(
            a.content_type.starts_with("text/html"),
            "{}",
            a.content_type
        );
        assert!(a.text.contains("<html>"));
    }
    control.outage(500, Some(1));
    let a = api.get("/v1/introspect", sandbox::HEALTHY_KEY).await;
    assert_eq!((a.status, a.content_type.as_str()), (500, JSON));
    control.clear_faults();
    assert_eq!(api.introspect_healthy().await, 200);
}

#[tokio::test]
async fn malformed_bodies_replace_only_200s() {
    let api = Api::start().await;
    let control = api.sandbox.control();
    for (kind, body) in [
        (Malformed::NotJson, r#"{"data": {"authMethod""#),
        (Malformed::WrongShape, r#"{"unexpected": true}"#),
        (Malformed::Empty, ""),
    ] {
        control.malformed(Some(kind), Some(1));
        // A 404 passes through untouched and does not use up the fault.
        assert_eq!(
            api.get("/v1/installations/me", sandbox::HEALTHY_KEY)
                .await
                .status,
            404
        );
        let a = api.get("/v1/introspect", sandbox::HEALTHY_KEY).await;
        assert_eq!(
            (a.status, a.content_type.as_str(), a.text.as_str()),
            (200, JSON, body)
        );
        assert!(api.get("/v1/introspect", sandbox::HEALTHY_KEY).await.json()["data"].is_object());
    }
}

#[tokio::test]
async fn org_key_installation_with_company_id() {
    let api = Api::start().await;
    let org = sandbox::ORG_KEY;
    let acme = format!("/v1/installations/me?company_id={}", sandbox::ACME_ID);
    let a = api
        .send(
            "POST",
            &acme,
            Auth::Key(org),
            Some(r#"{"metadata":{"by":{"name":"org"}}}"#),
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.json()["resource"],
        format!("urn:pleo:company:{}", sandbox::ACME_ID)
    );
    // The company's own key sees the installation the org key made for it.
    let mine = api
        .get("/v1/installations/me", sandbox::HEALTHY_KEY)
        .await
        .json();
    assert_eq!(mine["metadata"], json!({"by": {"name": "org"}}));
    // Without company_id the org key addresses the organisation, which has none yet.
    assert_eq!(api.get("/v1/installations/me", org).await.status, 404);
    let (names, companies) = api.northwind(org).await;
    assert_eq!(names, [sandbox::ACME_NAME, sandbox::BOREALIS_NAME]);
    assert_eq!(companies["pagination"]["total"], 2);
}

#[tokio::test]
async fn http_switches() {
    let api = Api::start().await;
    let (status, body) = api.switch("keys/healthy/revoke", None).await;
    assert_eq!((status, body), (200, json!({"ok": true})));
    let a = api.get("/v1/introspect", sandbox::HEALTHY_KEY).await;
    assert_eq!((a.status, a.reason.as_deref()), (401, Some("revoked")));
    assert_eq!(api.switch("keys/healthy/restore", None).await.0, 200);
    assert_eq!(api.switch("keys/healthy/expire", None).await.0, 200);
    assert_eq!(
        api.get("/v1/introspect", sandbox::HEALTHY_KEY)
            .await
            .reason
            .as_deref(),
        Some("expired")
    );
    let (status, body) = api.switch("keys/nobody/revoke", None).await;
    assert_eq!(status, 400);
    assert!(body["message"].is_string());

    let scopes = json!({"scopes": ["export-jobs:read"]});
    assert_eq!(
        api.switch("keys/missing-scope/scopes", Some(scopes))
            .await
            .0,
        200
    );
    let scope = api
        .get("/v1/introspect", sandbox::MISSING_SCOPE_KEY)
        .await
        .json();
    assert_eq!(scope["data"]["scope"], "export-jobs:read");

    let urn = format!("urn:pleo:company:{}", sandbox::ACME_ID);
    let inst =
        json!({"resource": urn, "status": "ERROR", "errorCode": "NOT_ENTITLED", "locked": true});
    assert_eq!(api.switch("installation", Some(inst)).await.0, 200);
    let a = api
        .send(
            "PUT",
            "/v1/installations/me",
            Auth::Key(sandbox::ROTATED_KEY),
            Some(r#"{"status":"ACTIVATED"}"#),
        )
        .await;
    assert_eq!(
        (a.status, a.json()["status"].as_str()),
        (200, Some("ERROR"))
    );
    assert_eq!(
        api.sandbox.control().installation_status(&urn).as_deref(),
        Some("ERROR")
    );

    let faults = json!({"rate_limit": {"retry_after_secs": 9, "http_date": false, "count": 1}});
    assert_eq!(api.switch("faults", Some(faults)).await.0, 200);
    let a = api.get("/v1/introspect", sandbox::ROTATED_KEY).await;
    assert_eq!((a.status, a.retry_after.as_deref()), (429, Some("9")));
    assert_eq!(
        api.switch("faults", Some(json!({"slow_ms": 200}))).await.0,
        200
    );
    let started = Instant::now();
    assert_eq!(
        api.get("/v1/introspect", sandbox::ROTATED_KEY).await.status,
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
    let faults = json!({"outage": {"status": 503, "count": null}, "malformed": {"kind": "empty", "count": 1}});
    assert_eq!(api.switch("faults", Some(faults)).await.0, 200);
    assert_eq!(
        api.switch("faults", Some(json!({"outage": {"status": 200}})))
            .await
            .0,
        400
    );

    let text = api.state_text().await;
    assert!(
        !text.contains(sandbox::HEALTHY_KEY),
        "the state must not show keys"
    );
    let state: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(state["keys"]["healthy"]["expired"], true);
    assert_eq!(state["installations"][&urn]["locked"], true);
    assert_eq!(
        state["faults"]["outage"],
        json!({"status": 503, "count": null})
    );
    assert_eq!(state["faults"]["slow_ms"], 200);

    assert_eq!(api.switch("faults/clear", None).await.0, 200);
    assert_eq!(api.switch("reset", None).await.0, 200);
    assert_eq!(api.introspect_healthy().await, 200);
    assert_eq!(
        api.get("/v1/installations/me", sandbox::HEALTHY_KEY)
            .await
            .status,
        404
    );

    // Switch calls are not API requests; the log keeps every API call in order.
    let seen = api.sandbox.control().requests();
    assert_eq!(seen.len(), api.sandbox.control().request_count());
    assert!(
        seen.iter()
            .all(|r| !r.path_and_query.starts_with("/_sandbox"))
    );
    assert_eq!(seen.last().map(|r| r.status), Some(404));
    assert!(seen.iter().all(|r| r.had_authorization));
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let api = Api::start().await;
    let a = api.get("/v1/nothing-here", sandbox::HEALTHY_KEY).await;
    assert_eq!(
        (a.status, a.content_type.as_str(), a.json()["type"].as_str()),
        (404, JSON, Some("NOT_FOUND"))
    );
    let a = api
        .send(
            "PATCH",
            "/v1/introspect",
            Auth::Key(sandbox::HEALTHY_KEY),
            None,
        )
        .await;
    assert_eq!((a.status, a.content_type.as_str()), (405, JSON));
}

#[tokio::test]
async fn dropping_the_sandbox_stops_it() {
    let api = Api::start().await;
    let url = api.sandbox.url();
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with('/'));
    assert!(api.sandbox.describe().contains(sandbox::ORG_KEY));
    let Api { sandbox, http } = api;
    drop(sandbox);
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let fresh = reqwest::Client::builder().build().expect("client");
        if fresh
            .get(format!("{url}/v1/introspect"))
            .send()
            .await
            .is_err()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sandbox still answers after drop"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(http);
}

#[tokio::test]
async fn strict_mode_refuses_undocumented_query_parameters() {
    let api = Api::start().await;
    let typo = format!("/v2/employees?company_id={}", sandbox::ACME_ID);
    // Off by default: the misspelt parameter is ignored and the list comes back.
    assert_eq!(api.get(&typo, sandbox::HEALTHY_KEY).await.status, 200);

    let (status, body) = api.switch("strict", Some(json!({"strict": true}))).await;
    assert_eq!((status, body), (200, json!({"ok": true})));
    let a = api.get(&typo, sandbox::HEALTHY_KEY).await;
    assert_eq!((a.status, a.content_type.as_str()), (400, JSON));
    assert_eq!(
        a.json(),
        json!({"type": "PARAMETER_VALIDATION_FAILED", "message": "unknown query parameter company_id"})
    );
    let fixed = format!("/v2/employees?companyId={}&limit=1", sandbox::ACME_ID);
    assert_eq!(api.get(&fixed, sandbox::HEALTHY_KEY).await.status, 200);

    // company_id on a write: only an organisation-level key may send it.
    let acme = format!("/v1/installations/me?company_id={}", sandbox::ACME_ID);
    let body = Some(r#"{"status":"ACTIVATED"}"#);
    let a = api
        .send("POST", &acme, Auth::Key(sandbox::HEALTHY_KEY), body)
        .await;
    assert_eq!(
        (a.status, a.json()["message"].as_str()),
        (400, Some("unknown query parameter company_id"))
    );
    let a = api
        .send("POST", &acme, Auth::Key(sandbox::ORG_KEY), body)
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(api.get(&acme, sandbox::HEALTHY_KEY).await.status, 200);

    let state = api.state().await;
    assert_eq!(state["behaviour"]["strict"], true);
    // From Rust, and reset turns it off.
    api.sandbox.control().behave(|b| b.strict = false);
    assert_eq!(api.get(&typo, sandbox::HEALTHY_KEY).await.status, 200);
    api.sandbox.control().behave(|b| b.strict = true);
    assert_eq!(api.get(&typo, sandbox::HEALTHY_KEY).await.status, 400);
    assert_eq!(api.switch("reset", None).await.0, 200);
    assert_eq!(api.get(&typo, sandbox::HEALTHY_KEY).await.status, 200);
    assert_eq!(
        api.switch("strict", Some(json!({"strict": "yes"}))).await.0,
        400
    );
}

#[tokio::test]
async fn a_missing_installation_can_answer_404_400_or_a_lasting_500() {
    let api = Api::start().await;
    let me = "/v1/installations/me";
    let a = api.get(me, sandbox::HEALTHY_KEY).await;
    assert_eq!(
        (a.status, a.json()["type"].as_str()),
        (404, Some("INSTALLATION_NOT_FOUND"))
    );

    let (status, _) = api
        .switch("behaviour", Some(json!({"missing_installation": 400})))
        .await;
    assert_eq!(status, 200);
    let a = api.get(me, sandbox::HEALTHY_KEY).await;
    assert_eq!((a.status, a.content_type.as_str()), (400, JSON));
    assert!(a.json()["type"].is_string() && a.json()["message"].is_string());

    api.sandbox
        .control()
        .behave(|b| b.missing_installation = MissingInstallation::ServerError);
    for _ in 0..3 {
        let a = api.get(me, sandbox::HEALTHY_KEY).await;
        assert_eq!((a.status, a.content_type.as_str()), (500, JSON));
        assert_eq!(a.json()["type"], "INTERNAL_SERVER_ERROR");
    }
    assert_eq!(api.state().await["behaviour"]["missing_installation"], 500);
    // Creating it ends the 500s; the switch is about a missing installation only.
    let a = api
        .send("POST", me, Auth::Key(sandbox::HEALTHY_KEY), Some("{}"))
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(api.get(me, sandbox::HEALTHY_KEY).await.status, 200);
    assert_eq!(api.switch("reset", None).await.0, 200);
    assert_eq!(api.get(me, sandbox::HEALTHY_KEY).await.status, 404);
}

#[tokio::test]
async fn a_second_post_can_conflict() {
    let api = Api::start().await;
    let me = "/v1/installations/me";
    let post = |key| api.send("POST", me, Auth::Key(key), Some(r#"{"status":"INACTIVE"}"#));
    let first = post(sandbox::HEALTHY_KEY).await;
    assert_eq!(first.status, 200);
    // Idempotent by default.
    let again = post(sandbox::ROTATED_KEY).await;
    assert_eq!(
        (again.status, again.json()["id"].clone()),
        (200, first.json()["id"].clone())
    );

    let (status, _) = api
        .switch("behaviour", Some(json!({"existing_installation": 409})))
        .await;
    assert_eq!(status, 200);
    let a = post(sandbox::ROTATED_KEY).await;
    assert_eq!((a.status, a.content_type.as_str()), (409, JSON));
    assert_eq!(a.json()["type"], "INSTALLATION_ALREADY_EXISTS");
    assert_eq!(api.get(me, sandbox::HEALTHY_KEY).await.status, 200);
    // Another company has none yet, so its first POST still creates.
    assert_eq!(post(sandbox::OTHER_COMPANY_KEY).await.status, 200);

    api.sandbox
        .control()
        .behave(|b| b.existing_installation = ExistingInstallation::Returned);
    assert_eq!(post(sandbox::ROTATED_KEY).await.status, 200);
}

#[tokio::test]
async fn introspect_can_be_missing_forbidden_or_differently_shaped() {
    let api = Api::start().await;
    let control = api.sandbox.control();
    control.behave(|b| b.introspect = IntrospectAnswer::NotFound);
    let a = api.get("/v1/introspect", sandbox::HEALTHY_KEY).await;
    assert_eq!(
        (a.status, a.json()["type"].as_str()),
        (404, Some("NOT_FOUND"))
    );
    // Like an unknown route: no key needed to learn that.
    let a = api.send("GET", "/v1/introspect", Auth::None, None).await;
    assert_eq!(a.status, 404);

    let (status, _) = api
        .switch("behaviour", Some(json!({"introspect": 403})))
        .await;
    assert_eq!(status, 200);
    let a = api.get("/v1/introspect", sandbox::HEALTHY_KEY).await;
    assert_eq!(
        (a.status, a.json()["type"].as_str()),
        (403, Some("ACCESS_DENIED"))
    );
    let a = api.get("/v1/introspect", sandbox::REVOKED_KEY).await;
    assert_eq!(a.status, 401, "a bad key is still a 401 first");
    // The rest of the API is still there.
    assert_eq!(
        api.get("/v2/employees", sandbox::HEALTHY_KEY).await.status,
        200
    );

    let (status, _) = api
        .switch(
            "behaviour",
            Some(json!({"introspect": 200, "scope_separator": "comma", "subject_urn": false})),
        )
        .await;
    assert_eq!(status, 200);
    let data = api.get("/v1/introspect", sandbox::HEALTHY_KEY).await.json()["data"].clone();
    assert_eq!(
        data["scope"],
        "export-jobs:read,export-jobs:write,export-items:read,companies:read,users:read"
    );
    assert!(data.get("subjectURN").is_none(), "{data}");
    let state = api.state().await;
    assert_eq!(state["behaviour"]["scope_separator"], "comma");
    assert_eq!(state["behaviour"]["subject_urn"], false);

    control.behave(|b| b.scope_separator = ScopeSeparator::Space);
    control.behave(|b| b.subject_urn = true);
    let data = api.get("/v1/introspect", sandbox::HEALTHY_KEY).await.json()["data"].clone();
    assert!(
        data["scope"]
            .as_str()
            .is_some_and(|s| s.contains("read export"))
    );
    assert_eq!(
        data["subjectURN"],
        format!("urn:pleo:company:{}", sandbox::ACME_ID)
    );
    let (status, body) = api
        .switch("behaviour", Some(json!({"scope_separator": ";"})))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("space, comma"))
    );
}

/// Whether text holds anything a terminal would act on rather than print.
fn has_controls(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c))
}

#[tokio::test]
async fn hostile_text_reaches_names_errors_and_introspect() {
    let api = Api::start().await;
    let acme = format!("/v1/companies/{}", sandbox::ACME_ID);
    let calm = api.get(&acme, sandbox::HEALTHY_KEY).await.json();
    assert!(!has_controls(&calm["data"]["name"].to_string()));

    let (status, _) = api
        .switch("behaviour", Some(json!({"hostile_text": "controls"})))
        .await;
    assert_eq!(status, 200);
    let a = api.get(&acme, sandbox::HEALTHY_KEY).await;
    assert_eq!((a.status, a.content_type.as_str()), (200, JSON));
    // The escapes travel JSON-escaped: no raw ESC on the wire, the real thing once parsed.
    assert!(!a.text.contains('\u{1b}') && a.text.contains("\\u001b]2;pwned"));
    let name = a.json()["data"]["name"].as_str().expect("name").to_owned();
    assert!(name.starts_with(sandbox::ACME_NAME), "{name:?}");
    assert!(name.contains("\u{1b}]52;c;") && name.contains("\r\nFAKE: OK"));
    assert!(name.ends_with('\u{202e}'));

    let (names, _) = api.northwind(sandbox::ORG_KEY).await;
    assert_eq!(names.len(), 2);
    assert!(names.iter().all(|n| has_controls(n)), "{names:?}");

    for a in [
        api.get("/v1/introspect", "pls_nope").await,
        api.get("/v1/installations/me", sandbox::HEALTHY_KEY).await,
        api.get(&acme, sandbox::NO_COMPANY_READ_KEY).await,
    ] {
        assert!(a.status >= 400);
        let body = a.json();
        let (kind, message) = (
            body["type"].as_str().expect("type"),
            body["message"].as_str().expect("message"),
        );
        assert!(has_controls(kind) && has_controls(message), "{body}");
    }
    // The 401's status and the fake's header are untouched: only text a client might print changes.
    let a = api.get("/v1/introspect", sandbox::REVOKED_KEY).await;
    assert_eq!((a.status, a.reason.as_deref()), (401, Some("revoked")));

    let data = api.get("/v1/introspect", sandbox::HEALTHY_KEY).await.json()["data"].clone();
    assert!(has_controls(
        data["authMethod"].as_str().expect("authMethod")
    ));
    let scopes: Vec<&str> = data["scope"].as_str().expect("scope").split(' ').collect();
    assert_eq!(scopes.len(), 6, "{scopes:?}");
    assert_eq!(scopes.iter().filter(|s| has_controls(s)).count(), 1);

    api.sandbox
        .control()
        .behave(|b| b.hostile_text = HostileText::LongNames);
    let name = api.get(&acme, sandbox::HEALTHY_KEY).await.json()["data"]["name"].clone();
    let name = name.as_str().expect("name");
    assert_eq!(name.chars().count(), 10_000);
    assert!(!has_controls(name));
    let a = api.get("/v1/introspect", "pls_nope").await;
    assert_eq!(
        a.json(),
        json!({"type": "UNAUTHORIZED", "message": "Invalid API key"})
    );

    assert_eq!(api.state().await["behaviour"]["hostile_text"], "long_names");
    assert_eq!(api.switch("reset", None).await.0, 200);
    let calm = api.get(&acme, sandbox::HEALTHY_KEY).await.json();
    assert_eq!(calm["data"]["name"], sandbox::ACME_NAME);
}

#[tokio::test]
async fn the_request_log_names_the_key_and_keeps_the_json_body() {
    let api = Api::start().await;
    let body = r#"{"status":"ACTIVATED","metadata":{"createdBy":{"tool":"test"}}}"#;
    let a = api
        .send(
            "POST",
            "/v1/installations/me",
            Auth::Key(sandbox::HEALTHY_KEY),
            Some(body),
        )
        .await;
    assert_eq!(a.status, 200);
    api.get("/v1/introspect", sandbox::REVOKED_KEY).await;
    api.send("GET", "/v1/introspect", Auth::None, None).await;
    api.get("/v1/introspect", sandbox::ORG_KEY).await;

    let log = api.sandbox.control().requests();
    let names: Vec<Option<&str>> = log.iter().map(|r| r.key_name).collect();
    assert_eq!(names, [Some("healthy"), None, None, Some("org-level")]);
    assert_eq!(
        log[0].body,
        Some(serde_json::from_str::<Value>(body).expect("JSON"))
    );
    assert!(log[1..].iter().all(|r| r.body.is_none()));
    assert_eq!(
        log.iter().map(|r| r.had_authorization).collect::<Vec<_>>(),
        [true, true, false, true]
    );
    let dump = format!("{log:?}");
    for k in sandbox::DEMO_KEYS {
        assert!(!dump.contains(k.key), "the log holds {}", k.name);
    }
}
