//! The sandbox's installation and introspect answers, and the requests sent to it, checked against
//! Pleo's published OpenAPI (vendored byte for byte in tests/contract/).
//!
//! `assert_requests_follow_the_spec` walks a sandbox's request log; point it at any client's traffic.

use pleo_keys::sandbox::{self, Sandbox, SeenRequest};
use serde_json::{Value, json};

const JSON: &str = "application/json;charset=UTF-8";

fn spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/contract/pleo-app-marketplace-openapi.yml"
    );
    let text = std::fs::read_to_string(path).expect("read the vendored spec");
    serde_norway::from_str(&text).expect("parse the vendored spec")
}

/// A named schema under `#/components/schemas/`.
fn named<'a>(spec: &'a Value, name: &str) -> &'a Value {
    let schema = &spec["components"]["schemas"][name];
    assert!(schema.is_object(), "the spec has no schema {name}");
    schema
}

/// Follow `$ref`s to `#/components/schemas/...`.
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unsupported $ref {r}"));
            resolve(spec, named(spec, name))
        }
        None => schema,
    }
}

/// Check `value` against `schema`, appending every problem found (with its JSON path). Knows
/// `type`, `enum`, `format` (uuid, date-time), `nullable`, `required`, `properties`,
/// `additionalProperties` and `items`.
fn check(spec: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    let schema = resolve(spec, schema);
    if value.is_null() {
        // OpenAPI 3.0: null is a value only where the schema says `nullable: true`.
        if schema.get("nullable") != Some(&Value::Bool(true)) {
            problems.push(format!("{at}: null is not allowed (not nullable)"));
        }
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        problems.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    let ty = schema.get("type").and_then(Value::as_str);
    let type_ok = match ty {
        Some("object") => value.is_object(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("array") => value.is_array(),
        Some(other) => {
            problems.push(format!("{at}: the checker does not know type {other}"));
            true
        }
        None => true,
    };
    if !type_ok {
        problems.push(format!("{at}: expected {}, got {value}", ty.unwrap_or("?")));
        return;
    }
    if let (Some(format), Some(s)) = (schema.get("format").and_then(Value::as_str), value.as_str())
    {
        let ok = match format {
            "uuid" => uuid::Uuid::parse_str(s).is_ok(),
            "date-time" => s.parse::<jiff::Timestamp>().is_ok(),
            _ => true,
        };
        if !ok {
            problems.push(format!("{at}: {s:?} is not a valid {format}"));
        }
    }
    if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
        for (i, v) in values.iter().enumerate() {
            check(spec, items, v, &format!("{at}[{i}]"), problems);
        }
    }
    if let Some(obj) = value.as_object() {
        let required = schema.get("required").and_then(Value::as_array);
        for name in required.into_iter().flatten().filter_map(Value::as_str) {
            if !obj.contains_key(name) {
                problems.push(format!("{at}: required field {name} is missing"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (name, v) in obj {
            let at = format!("{at}.{name}");
            match (
                props.and_then(|p| p.get(name)),
                schema.get("additionalProperties"),
            ) {
                (Some(sub), _) => check(spec, sub, v, &at, problems),
                (None, Some(Value::Bool(false))) => {
                    problems.push(format!("{at}: no additional properties are allowed"));
                }
                (None, Some(extra @ Value::Object(_))) => check(spec, extra, v, &at, problems),
                (None, _) => {}
            }
        }
    }
}

/// Properties of `value` that `schema_name` does not list; the spec leaves them undocumented.
fn unlisted(spec: &Value, schema_name: &str, value: &Value) -> Vec<String> {
    let props = named(spec, schema_name)["properties"]
        .as_object()
        .expect("properties");
    value
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !props.contains_key(*k))
        .map(|(k, _)| format!("$: property {k} is not in {schema_name}"))
        .collect()
}

/// An `InstallationResponse`: the schema, plus the enums the spec gives only in prose, plus no
/// property outside the schema.
fn installation_problems(spec: &Value, value: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check(
        spec,
        named(spec, "InstallationResponse"),
        value,
        "$",
        &mut problems,
    );
    problems.extend(unlisted(spec, "InstallationResponse", value));
    if let Some(obj) = value.as_object() {
        for (field, enum_schema) in [
            ("status", "InstallationStatus"),
            ("errorCode", "InstallationErrorCode"),
        ] {
            if let Some(v) = obj.get(field) {
                check(
                    spec,
                    named(spec, enum_schema),
                    v,
                    &format!("$.{field}"),
                    &mut problems,
                );
            }
        }
    }
    problems
}

/// What is wrong with a request body for schema `schema_name`, including properties the schema
/// does not list (Pleo may ignore them; a client should not rely on that).
fn request_problems(spec: &Value, schema_name: &str, body: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check(spec, named(spec, schema_name), body, "$", &mut problems);
    problems.extend(unlisted(spec, schema_name, body));
    problems
}

fn assert_installation(spec: &Value, value: &Value) {
    let problems = installation_problems(spec, value);
    assert!(
        problems.is_empty(),
        "{value} breaks the contract:\n{}",
        problems.join("\n")
    );
}

fn assert_request(spec: &Value, schema: &str, body: &Value) {
    let problems = request_problems(spec, schema, body);
    assert!(
        problems.is_empty(),
        "the test's own {schema} is wrong: {problems:?}"
    );
}

/// Query parameters the sandbox takes beyond the spec, INFERRED (src/sandbox/routes.rs): an
/// organisation-level key names one of its companies on every installation call.
const ORG_KEY_PARAMS: &[(&str, &str, &str)] = &[
    ("post", "/v1/installations/me", "company_id"),
    ("put", "/v1/installations/me", "company_id"),
    ("delete", "/v1/installations/me", "company_id"),
    ("post", "/v1/installations/me:activate", "company_id"),
    ("put", "/v1/installations/completions", "company_id"),
];

/// The spec's path template matching a request path, if the spec has one.
fn spec_path<'a>(spec: &'a Value, path: &str) -> Option<&'a str> {
    let path = path.replace("%3A", ":").replace("%3a", ":");
    let segments: Vec<&str> = path.split('/').collect();
    spec["paths"].as_object()?.keys().find_map(|template| {
        let parts: Vec<&str> = template.split('/').collect();
        let matches = parts.len() == segments.len()
            && parts.iter().zip(&segments).all(|(t, s)| {
                *t == *s || (t.starts_with('{') && t.ends_with('}') && !s.is_empty())
            });
        matches.then_some(template.as_str())
    })
}

/// A raw query value as the JSON its parameter schema describes.
fn param_value(spec: &Value, schema: &Value, raw: &str) -> Value {
    match resolve(spec, schema).get("type").and_then(Value::as_str) {
        Some("integer") => raw.parse::<i64>().map_or_else(|_| json!(raw), |n| json!(n)),
        Some("boolean") => raw
            .parse::<bool>()
            .map_or_else(|_| json!(raw), |b| json!(b)),
        _ => json!(raw),
    }
}

/// Problems with one request against `spec`; None when the spec does not have its path.
fn request_log_entry_problems(spec: &Value, r: &SeenRequest) -> Option<Vec<String>> {
    let (path, query) = match r.path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (r.path_and_query.as_str(), None),
    };
    let template = spec_path(spec, path)?;
    let method = r.method.to_lowercase();
    let at = format!("{} {}", r.method, r.path_and_query);
    let Some(op) = spec["paths"][template].get(&method) else {
        return Some(vec![format!(
            "{at}: the spec has no {method} on {template}"
        )]);
    };
    let mut problems = Vec::new();
    let params: Vec<&Value> = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query")
        .collect();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    for (name, raw) in &pairs {
        match params.iter().find(|p| p["name"] == name.as_str()) {
            Some(p) => {
                let schema = &p["schema"];
                // Form style, exploded: an array parameter repeats, one item per occurrence.
                let (item_schema, where_) = match resolve(spec, schema).get("items") {
                    Some(items) => (items, format!("{at}: query {name}[]")),
                    None => (schema, format!("{at}: query {name}")),
                };
                let value = param_value(spec, item_schema, raw);
                check(spec, item_schema, &value, &where_, &mut problems);
            }
            None => {
                let inferred = ORG_KEY_PARAMS
                    .iter()
                    .any(|(m, p, n)| *m == method && *p == template && n == name)
                    && r.key_name.is_some_and(sandbox::is_organisation_key);
                if !inferred {
                    problems.push(format!("{at}: query parameter {name} is not documented"));
                }
            }
        }
    }
    for p in params.iter().filter(|p| p["required"] == true) {
        if !pairs.iter().any(|(k, _)| p["name"] == k.as_str()) {
            problems.push(format!(
                "{at}: required query parameter {} is missing",
                p["name"]
            ));
        }
    }
    let body_schema = op["requestBody"]["content"]
        .as_object()
        .and_then(|c| c.values().next())
        .map(|media| &media["schema"]);
    match (body_schema, &r.body) {
        (Some(schema), Some(body)) => {
            let name = schema["$ref"]
                .as_str()
                .and_then(|s| s.strip_prefix("#/components/schemas/"))
                .expect("request bodies in the spec are named schemas");
            problems.extend(
                request_problems(spec, name, body)
                    .into_iter()
                    .map(|p| format!("{at}: body {p}")),
            );
        }
        (Some(_), None) if op["requestBody"]["required"] == true => {
            problems.push(format!("{at}: no JSON body, though the spec requires one"));
        }
        (None, Some(_)) => problems.push(format!("{at}: sends a body the operation does not take")),
        _ => {}
    }
    Some(problems)
}

/// Every problem in a request log, and how many requests the spec covered (the rest are paths it
/// does not describe, e.g. `/v1/companies` for the App Marketplace spec).
fn request_log_problems(spec: &Value, requests: &[SeenRequest]) -> (usize, Vec<String>) {
    let mut covered = 0;
    let mut problems = Vec::new();
    for r in requests {
        if let Some(found) = request_log_entry_problems(spec, r) {
            covered += 1;
            problems.extend(found);
        }
    }
    (covered, problems)
}

/// Every request `spec` describes used only documented query parameters with valid values and a
/// body valid against its request schema. Returns how many requests it checked.
fn assert_requests_follow_the_spec(spec: &Value, requests: &[SeenRequest]) -> usize {
    let (covered, problems) = request_log_problems(spec, requests);
    assert!(
        problems.is_empty(),
        "requests that break the spec:\n{}",
        problems.join("\n")
    );
    covered
}

struct Api {
    sandbox: Sandbox,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Api {
        let sandbox = Sandbox::start(0).await.expect("start the sandbox");
        let http = reqwest::Client::builder().build().expect("client");
        Api { sandbox, http }
    }

    /// Send as `key`; the status, content type and JSON body (Null when empty).
    async fn send(
        &self,
        method: &str,
        path: &str,
        key: &str,
        body: Option<&Value>,
    ) -> (u16, String, Value) {
        self.send_raw(method, path, key, body.map(Value::to_string))
            .await
    }

    /// Send a body as given, valid JSON or not.
    async fn send_raw(
        &self,
        method: &str,
        path: &str,
        key: &str,
        body: Option<String>,
    ) -> (u16, String, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sandbox.url()))
            .basic_auth(key, Some(""));
        if let Some(body) = body {
            req = req.header("content-type", JSON).body(body);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = resp.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON body")
        };
        (status, ct, value)
    }

    /// An operation that must answer 200 with a valid InstallationResponse.
    async fn installation(
        &self,
        spec: &Value,
        method: &str,
        path: &str,
        key: &str,
        body: Option<&Value>,
    ) -> Value {
        let (status, ct, value) = self.send(method, path, key, body).await;
        assert_eq!(status, 200, "{method} {path}: {value}");
        assert_eq!(ct, JSON, "{method} {path}");
        assert_installation(spec, &value);
        value
    }
}

#[tokio::test]
async fn introspect_matches_the_spec() {
    let spec = spec();
    let api = Api::start().await;
    for k in sandbox::DEMO_KEYS.iter().filter(|k| k.name != "revoked") {
        let (status, ct, value) = api.send("GET", "/v1/introspect", k.key, None).await;
        assert_eq!((status, ct.as_str()), (200, JSON), "{}", k.name);
        let mut problems = Vec::new();
        check(
            &spec,
            named(&spec, "ExternalClientModelDetails"),
            &value,
            "$",
            &mut problems,
        );
        assert!(problems.is_empty(), "{}: {problems:?}", k.name);
        assert_eq!(value["data"]["authMethod"], "API_KEY");
    }
}

#[tokio::test]
async fn every_installation_operation_matches_the_spec() {
    let spec = spec();
    let api = Api::start().await;
    let key = sandbox::HEALTHY_KEY;
    let me = "/v1/installations/me";
    let urn = format!("urn:pleo:company:{}", sandbox::ACME_ID);

    let (status, ct, value) = api.send("GET", me, key, None).await;
    assert_eq!(
        (status, ct.as_str(), value["type"].as_str()),
        (404, JSON, Some("INSTALLATION_NOT_FOUND"))
    );

    let create =
        json!({"metadata": {"externalConfiguration": {"id": "123456789"}}, "status": "ACTIVATED"});
    assert_request(&spec, "CreateClientInstallationRequest", &create);
    let created = api
        .installation(&spec, "POST", me, key, Some(&create))
        .await;
    assert_eq!(created["resource"], urn);
    assert_eq!(created["applicationId"], sandbox::APPLICATION_ID);

    let again = api
        .installation(&spec, "POST", me, sandbox::ROTATED_KEY, Some(&json!({})))
        .await;
    assert_eq!(again["id"], created["id"]);
    let got = api
        .installation(
            &spec,
            "GET",
            &format!("{me}?company_id={}", sandbox::ACME_ID),
            key,
            None,
        )
        .await;
    assert_eq!(got["id"], created["id"]);

    let update = json!({"status": "ERROR", "errorCode": "NOT_ENTITLED", "metadata": {"externalApplication": {"id": "1"}}});
    assert_request(&spec, "UpdateInstallationRequest", &update);
    let updated = api.installation(&spec, "PUT", me, key, Some(&update)).await;
    assert_eq!(
        (updated["status"].as_str(), updated["errorCode"].as_str()),
        (Some("ERROR"), Some("NOT_ENTITLED"))
    );

    let activated = api
        .installation(&spec, "POST", "/v1/installations/me:activate", key, None)
        .await;
    assert_eq!(activated["status"], "ACTIVATED");
    assert!(activated.get("errorCode").is_none());
    let completed = api
        .installation(&spec, "PUT", "/v1/installations/completions", key, None)
        .await;
    assert_eq!(completed["status"], "ACTIVATED");

    // The switches: from Rust, then over HTTP.
    let control = api.sandbox.control();
    control.set_installation(&urn, "ERROR", Some("AUTH_ERROR"), true);
    let locked = api
        .installation(&spec, "POST", "/v1/installations/me:activate", key, None)
        .await;
    assert_eq!(
        (locked["status"].as_str(), locked["errorCode"].as_str()),
        (Some("ERROR"), Some("AUTH_ERROR"))
    );
    for status in ["INACTIVE", "AUTHORIZED", "PENDING_INTEGRATION"] {
        let switch = json!({"resource": urn, "status": status, "errorCode": null, "locked": false});
        let resp = api
            .http
            .post(format!("{}/_sandbox/installation", api.sandbox.url()))
            .body(switch.to_string())
            .send()
            .await
            .expect("switch");
        assert_eq!(resp.status().as_u16(), 200);
        let got = api.installation(&spec, "GET", me, key, None).await;
        assert_eq!(got["status"], status);
    }

    // An organisation key: its own resource, and a company of its organisation.
    let org = sandbox::ORG_KEY;
    let org_inst = api
        .installation(
            &spec,
            "POST",
            me,
            org,
            Some(&json!({"status": "PENDING_INTEGRATION"})),
        )
        .await;
    assert_eq!(
        org_inst["resource"],
        format!("urn:pleo:organization:{}", sandbox::NORTHWIND_ORG_ID)
    );
    let borealis = format!("{me}?company_id={}", sandbox::BOREALIS_ID);
    let b = api
        .installation(&spec, "POST", &borealis, org, Some(&json!({})))
        .await;
    assert_eq!(
        b["resource"],
        format!("urn:pleo:company:{}", sandbox::BOREALIS_ID)
    );

    let (status, ct, value) = api.send("DELETE", me, key, None).await;
    assert_eq!((status, value), (204, Value::Null));
    assert!(ct.is_empty(), "a 204 carries no content type");
    let (status, _, value) = api.send("DELETE", me, key, None).await;
    assert_eq!(
        (status, value["type"].as_str()),
        (404, Some("INSTALLATION_NOT_FOUND"))
    );
}

/// Bodies the published schemas refuse: (method, body as sent).
const INVALID_BODIES: &[(&str, &str)] = &[
    ("POST", r#"{"status":null}"#),
    ("POST", r#"{"status":"BROKEN"}"#),
    ("POST", r#"{"status":"activated"}"#),
    ("POST", r#"{"status":1}"#),
    ("POST", r#"{"metadata":"x"}"#),
    ("POST", r#"{"metadata":[]}"#),
    ("POST", r#"{"metadata":null}"#),
    ("POST", r#"{"metadata":{"createdBy":"x"}}"#),
    ("POST", r#"{"metadata":{"n":1}}"#),
    ("POST", r#"{"metadata":{"ok":{},"bad":null}}"#),
    ("PUT", r#"{}"#),
    ("PUT", r#"{"metadata":{}}"#),
    ("PUT", r#"{"status":null}"#),
    ("PUT", r#"{"status":"NOPE"}"#),
    ("PUT", r#"{"status":"ERROR","errorCode":"NOPE"}"#),
    ("PUT", r#"{"status":"ERROR","errorCode":null}"#),
    ("PUT", r#"{"status":"ACTIVATED","metadata":{"a":"b"}}"#),
    ("PUT", r#"{"status":"ACTIVATED","metadata":7}"#),
];

fn request_schema(method: &str) -> &'static str {
    match method {
        "POST" => "CreateClientInstallationRequest",
        _ => "UpdateInstallationRequest",
    }
}

#[tokio::test]
async fn the_sandbox_rejects_every_body_the_schema_refuses() {
    let spec = spec();
    let api = Api::start().await;
    let (me, key) = ("/v1/installations/me", sandbox::HEALTHY_KEY);
    let before = api
        .installation(&spec, "POST", me, key, Some(&json!({})))
        .await;
    for (method, text) in INVALID_BODIES {
        let body: Value = serde_json::from_str(text).expect("the fixture is JSON");
        // The checker agrees with the fixture, so neither can drift into a tautology.
        let problems = request_problems(&spec, request_schema(method), &body);
        assert!(
            !problems.is_empty(),
            "{method} {text} is valid per the spec"
        );

        let (status, ct, value) = api.send_raw(method, me, key, Some(text.to_string())).await;
        assert_eq!(
            (status, ct.as_str()),
            (400, JSON),
            "{method} {text}: {value}"
        );
        let kind = value["type"].as_str().unwrap_or_default();
        assert!(
            ["JSON_MAPPING_EXCEPTION", "VALIDATION_FAILED"].contains(&kind),
            "{method} {text}: {value}"
        );
        assert!(value["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(value.as_object().map(|o| o.len()), Some(2), "{value}");
    }
    // Not one of them changed the installation.
    let after = api.installation(&spec, "GET", me, key, None).await;
    assert_eq!(after, before);
    // Bodies that are not JSON objects at all.
    for text in ["", "not json", "[1]", "\"ACTIVATED\""] {
        let (status, _, value) = api.send_raw("POST", me, key, Some(text.to_owned())).await;
        assert_eq!(
            (status, value["type"].as_str()),
            (400, Some("JSON_MAPPING_EXCEPTION")),
            "{text:?}"
        );
    }
}

#[tokio::test]
async fn every_valid_body_gets_a_valid_200() {
    let spec = spec();
    let api = Api::start().await;
    let (me, key) = ("/v1/installations/me", sandbox::HEALTHY_KEY);
    let mut bodies = vec![
        ("POST", json!({})),
        ("POST", json!({"metadata": {}})),
        (
            "POST",
            json!({"metadata": {"a": {"b": [1, null, "c"]}, "d": {}}}),
        ),
    ];
    for status in [
        "ACTIVATED",
        "INACTIVE",
        "AUTHORIZED",
        "PENDING_INTEGRATION",
        "ERROR",
    ] {
        bodies.push(("POST", json!({"status": status})));
        bodies.push((
            "PUT",
            json!({"status": status, "metadata": {"by": {"n": 1}}}),
        ));
        for code in ["NOT_ENTITLED", "AUTH_ERROR"] {
            bodies.push(("PUT", json!({"status": status, "errorCode": code})));
        }
    }
    for (method, body) in &bodies {
        assert_request(&spec, request_schema(method), body);
        let got = api.installation(&spec, method, me, key, Some(body)).await;
        if let Some(metadata) = body.get("metadata") {
            assert_eq!(&got["metadata"], metadata);
        }
    }
    // The organisation's own installation too.
    let org = api
        .installation(&spec, "POST", me, sandbox::ORG_KEY, Some(&json!({})))
        .await;
    assert!(
        org["resource"]
            .as_str()
            .is_some_and(|r| r.starts_with("urn:pleo:organization:"))
    );
    // And the log of all that follows the spec.
    let checked = assert_requests_follow_the_spec(&spec, &api.sandbox.control().requests());
    assert_eq!(checked, bodies.len() + 1);
}

#[tokio::test]
async fn a_scripted_session_follows_the_spec() {
    let spec = spec();
    let api = Api::start().await;
    let (me, key, org) = (
        "/v1/installations/me",
        sandbox::HEALTHY_KEY,
        sandbox::ORG_KEY,
    );
    let acme = format!("{me}?company_id={}", sandbox::ACME_ID);
    let create = json!({"status": "ACTIVATED", "metadata": {"createdBy": {"name": "pleo-keys"}}});
    let script: Vec<(&str, &str, &str, Option<Value>)> = vec![
        ("GET", "/v1/introspect", key, None),
        ("GET", me, key, None),
        ("POST", me, key, Some(create.clone())),
        ("GET", acme.as_str(), key, None),
        ("PUT", me, key, Some(json!({"status": "INACTIVE"}))),
        ("POST", "/v1/installations/me:activate", key, None),
        ("PUT", "/v1/installations/completions", key, None),
        ("GET", "/v1/introspect", org, None),
        ("POST", acme.as_str(), org, Some(create)),
        (
            "PUT",
            acme.as_str(),
            org,
            Some(json!({"status": "ACTIVATED"})),
        ),
        ("DELETE", acme.as_str(), org, None),
        ("DELETE", me, key, None),
    ];
    for (method, path, k, body) in &script {
        let (status, _, value) = api.send(method, path, k, body.as_ref()).await;
        assert!(status < 500, "{method} {path}: {status} {value}");
    }
    // Paths outside this spec are passed over, not counted.
    let company = format!("/v1/companies/{}", sandbox::ACME_ID);
    api.send("GET", &company, key, None).await;
    let requests = api.sandbox.control().requests();
    assert_eq!(requests.len(), script.len() + 1);
    assert_eq!(
        assert_requests_follow_the_spec(&spec, &requests),
        script.len()
    );
}

#[tokio::test]
async fn the_log_walker_catches_what_the_spec_forbids() {
    let spec = spec();
    let api = Api::start().await;
    let me = "/v1/installations/me";
    let acme = format!("{me}?company_id={}", sandbox::ACME_ID);
    let key = sandbox::HEALTHY_KEY;
    // What pleo-keys' own client once sent: a string metadata value. The sandbox refuses it...
    let (status, _, _) = api
        .send_raw(
            "POST",
            me,
            key,
            Some(r#"{"status":"ACTIVATED","metadata":{"createdBy":"pleo-keys/0.1.0"}}"#.to_owned()),
        )
        .await;
    assert_eq!(status, 400);
    api.send("POST", me, key, Some(&json!({}))).await;
    api.send("GET", &format!("{me}?company_id=not-a-uuid"), key, None)
        .await;
    let camel_case = format!("{me}?companyId={}", sandbox::ACME_ID);
    api.send("GET", &camel_case, key, None).await;
    // company_id on a write from a company-level key: not documented, and not the org-key case.
    api.send("PUT", &acme, key, Some(&json!({"status": "ACTIVATED"})))
        .await;
    api.send_raw("PUT", me, key, None).await;
    api.send(
        "POST",
        "/v1/installations/me:activate",
        key,
        Some(&json!({"status": "ACTIVATED"})),
    )
    .await;
    api.send(
        "POST",
        me,
        key,
        Some(&json!({"status": "ACTIVATED", "errorCode": "AUTH_ERROR"})),
    )
    .await;
    let mut requests = api.sandbox.control().requests();
    // ...and a method the spec does not have on the path.
    requests.push(SeenRequest {
        method: "PATCH".to_owned(),
        path_and_query: me.to_owned(),
        had_authorization: true,
        status: 405,
        key_name: Some("healthy"),
        body: None,
    });

    let (covered, problems) = request_log_problems(&spec, &requests);
    assert_eq!(covered, requests.len());
    let all = problems.join("\n");
    for expected in [
        "body $.metadata.createdBy: expected object",
        "query company_id: \"not-a-uuid\" is not a valid uuid",
        "query parameter companyId is not documented",
        &format!("PUT {acme}: query parameter company_id is not documented"),
        "PUT /v1/installations/me: no JSON body, though the spec requires one",
        "POST /v1/installations/me:activate: sends a body the operation does not take",
        "body $: property errorCode is not in CreateClientInstallationRequest",
        "the spec has no patch on /v1/installations/me",
    ] {
        assert!(all.contains(expected), "missed {expected:?} in:\n{all}");
    }
    assert_eq!(problems.len(), 8, "{all}");
}

#[tokio::test]
async fn every_spec_operation_is_routed() {
    let spec = spec();
    let api = Api::start().await;
    let paths = spec["paths"].as_object().expect("paths");
    for (path, ops) in paths {
        for method in ops.as_object().expect("operations").keys() {
            let (status, _, value) = api
                .send(&method.to_uppercase(), path, sandbox::HEALTHY_KEY, None)
                .await;
            assert!(
                status != 405 && value["type"] != "NOT_FOUND",
                "{method} {path} is not served: {status} {value}"
            );
        }
    }
}

#[test]
fn the_checker_enforces_nullable_and_additional_properties() {
    let spec = json!({});
    let schema = json!({
        "type": "object",
        "required": ["a"],
        "properties": {
            "a": {"type": "string", "nullable": true},
            "b": {"type": "string"},
            "c": {"enum": ["X"]},
            "list": {"type": "array", "items": {"type": "integer"}},
        },
        "additionalProperties": {"type": "object"},
    });
    // Sorted, as the order of an object's properties is serde_json's business.
    let problems = |value: Value| {
        let mut found = Vec::new();
        check(&spec, &schema, &value, "$", &mut found);
        found.sort();
        found
    };
    assert_eq!(problems(json!({"a": null})), Vec::<String>::new());
    assert_eq!(
        problems(json!({"a": "x", "extra": {}, "list": [1, 2]})),
        Vec::<String>::new()
    );
    assert_eq!(
        problems(json!({"a": "x", "b": null, "c": null})),
        [
            "$.b: null is not allowed (not nullable)",
            "$.c: null is not allowed (not nullable)"
        ]
    );
    assert_eq!(
        problems(json!({"a": "x", "extra": "y", "more": 1, "list": [1, "2"]})),
        [
            "$.extra: expected object, got \"y\"",
            "$.list[1]: expected integer, got \"2\"",
            "$.more: expected object, got 1"
        ]
    );
    let closed = json!({"type": "object", "additionalProperties": false, "properties": {"a": {}}});
    let mut found = Vec::new();
    check(&spec, &closed, &json!({"a": 1, "b": 2}), "$", &mut found);
    assert_eq!(found, ["$.b: no additional properties are allowed"]);
}

#[test]
fn the_checker_reports_a_bad_installation() {
    let spec = spec();
    let bad = json!({
        "applicationId": "not-a-uuid",
        "resource": 7,
        "status": "SLEEPING",
        "errorCode": "TEAPOT",
        "metadata": [],
        "createdAt": "yesterday",
        "updatedAt": null,
        "companyId": "11111111-1111-4111-8111-111111111111"
    });
    let problems = installation_problems(&spec, &bad).join("\n");
    for expected in [
        "required field id is missing",
        "$.applicationId: \"not-a-uuid\" is not a valid uuid",
        "$.resource: expected string",
        "$.status: \"SLEEPING\" is not one of",
        "$.errorCode: \"TEAPOT\" is not one of",
        "$.metadata: expected object",
        "$.createdAt: \"yesterday\" is not a valid date-time",
        "$.updatedAt: null is not allowed",
        "property companyId is not in InstallationResponse",
    ] {
        assert!(
            problems.contains(expected),
            "missed {expected:?} in:\n{problems}"
        );
    }
    let mut good = json!({
        "id": "123e4567-e89b-12d3-a456-426614174000",
        "applicationId": "123e4567-e89b-12d3-a456-426614174000",
        "resource": "urn:pleo:company:123e4567-e89b-12d3-a456-426614174000",
        "status": "ACTIVATED",
        "metadata": {"key": {"value": 1}},
        "createdAt": "2021-01-01T00:00:00Z",
        "updatedAt": "2021-01-01T00:00:00Z"
    });
    assert_eq!(installation_problems(&spec, &good), Vec::<String>::new());
    // The spec's own example, {"key": "value"}, breaks its additionalProperties: {type: object}.
    good["metadata"] = json!({"key": "value"});
    assert_eq!(
        installation_problems(&spec, &good),
        ["$.metadata.key: expected object, got \"value\""]
    );
}

#[test]
fn request_problems_name_each_fault() {
    let spec = spec();
    let create = "CreateClientInstallationRequest";
    assert_eq!(
        request_problems(
            &spec,
            create,
            &json!({"status": "ERROR", "metadata": {"a": {}}})
        ),
        Vec::<String>::new()
    );
    let mut found = request_problems(
        &spec,
        create,
        &json!({"status": null, "metadata": {"a": "b"}, "x": 1}),
    );
    found.sort();
    assert_eq!(
        found,
        [
            "$.metadata.a: expected object, got \"b\"",
            "$.status: null is not allowed (not nullable)",
            "$: property x is not in CreateClientInstallationRequest",
        ]
    );
    assert_eq!(
        request_problems(
            &spec,
            "UpdateInstallationRequest",
            &json!({"errorCode": "NOT_ENTITLED"})
        ),
        ["$: required field status is missing"]
    );
}

/// What pleo-keys itself sends follows the published spec: every body against its request
/// schema, every query parameter a documented one, with the sandbox in strict mode (which
/// refuses undocumented parameters outright). A company key and an organisation key, through
/// activation, a check, a re-activation of an inactive installation and a replacement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_own_traffic_follows_the_spec() {
    use pleo_keys::domain::{CompanyId, Environment, scopes};
    use pleo_keys::lifecycle::{Engine, ReplaceOptions};
    use pleo_keys::pleo::{CallLog, ClientSettings, Endpoint, PleoClient};
    use pleo_keys::store::{Home, Paths, SecretStore};
    use std::sync::Arc;

    let spec = spec();
    let sb = Sandbox::start(0).await.expect("sandbox");
    sb.control().behave(|b| b.strict = true);
    let home = tempfile::tempdir().expect("tempdir");
    let paths = Paths::resolve(Some(home.path())).expect("paths");
    paths.ensure_dirs().expect("dirs");
    let endpoint = Endpoint::custom(&sb.url(), Environment::Sandbox).expect("endpoint");
    let client = PleoClient::new(
        endpoint.clone(),
        ClientSettings::default(),
        CallLog::default(),
    )
    .expect("client");
    let engine = Engine {
        home: Home::unchecked(paths),
        store: SecretStore::in_memory(),
        pleo: Arc::new(client),
        endpoint,
        required_scopes: scopes::normalise(scopes::DEFAULT_REQUIRED_SCOPES),
        env_key: None,
        clock: pleo_keys::lifecycle::engine::system_clock(),
    };
    let key = |k: &str| pleo_keys::secret::ApiKey::parse(k).expect("key").0;
    let opts = ReplaceOptions::default();
    assert!(
        engine
            .replace_key(key(sandbox::HEALTHY_KEY), &opts)
            .await
            .committed
    );
    assert!(engine.check().await.is_active());
    sb.control().set_installation(
        &format!("urn:pleo:company:{}", sandbox::ACME_ID),
        "INACTIVE",
        None,
        false,
    );
    assert!(engine.reactivate(&opts).await.committed);
    assert!(
        engine
            .replace_key(key(sandbox::ROTATED_KEY), &opts)
            .await
            .committed
    );
    // An organisation key names its company.
    let org = ReplaceOptions {
        company: CompanyId::parse(sandbox::ACME_ID).ok(),
        ..ReplaceOptions::default()
    };
    let outcome = engine.replace_key(key(sandbox::ORG_KEY), &org).await;
    assert!(outcome.committed, "{:?}", outcome.steps);
    assert!(engine.check().await.is_active());

    let requests = sb.control().requests();
    // The only 4xx: the first GET of an installation that does not exist yet.
    let refused: Vec<String> = requests
        .iter()
        .filter(|r| r.status >= 400 && r.status != 404)
        .map(|r| format!("{} {} -> {}", r.method, r.path_and_query, r.status))
        .collect();
    assert!(
        refused.is_empty(),
        "the strict sandbox refused: {refused:?}"
    );
    let checked = assert_requests_follow_the_spec(&spec, &requests);
    assert!(checked >= 10, "only {checked} requests were checked");
}
