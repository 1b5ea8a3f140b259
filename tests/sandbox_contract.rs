//! The sandbox's installation and introspect answers, checked against Pleo's published OpenAPI
//! (vendored byte for byte in tests/contract/).

use pleo_keys::sandbox::{self, Sandbox};
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

/// Check `value` against `schema`, appending every problem found (with its JSON path).
fn check(spec: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    let schema = resolve(spec, schema);
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
    if let Some(obj) = value.as_object() {
        let required = schema.get("required").and_then(Value::as_array);
        for name in required.into_iter().flatten().filter_map(Value::as_str) {
            if !obj.contains_key(name) {
                problems.push(format!("{at}: required field {name} is missing"));
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, sub) in props {
                if let Some(v) = obj.get(name) {
                    check(spec, sub, v, &format!("{at}.{name}"), problems);
                }
            }
        }
    }
}

/// An `InstallationResponse`: the schema, plus the enums the spec gives only in prose, plus no
/// property outside the schema.
fn installation_problems(spec: &Value, value: &Value) -> Vec<String> {
    let schema = named(spec, "InstallationResponse");
    let mut problems = Vec::new();
    check(spec, schema, value, "$", &mut problems);
    let props = schema["properties"].as_object().expect("properties");
    if let Some(obj) = value.as_object() {
        for name in obj.keys().filter(|k| !props.contains_key(*k)) {
            problems.push(format!("$: property {name} is not in InstallationResponse"));
        }
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

fn assert_installation(spec: &Value, value: &Value) {
    let problems = installation_problems(spec, value);
    assert!(
        problems.is_empty(),
        "{value} breaks the contract:\n{}",
        problems.join("\n")
    );
}

fn assert_request(spec: &Value, schema: &str, body: &Value) {
    let mut problems = Vec::new();
    check(spec, named(spec, schema), body, "$", &mut problems);
    assert!(
        problems.is_empty(),
        "the test's own {schema} is wrong: {problems:?}"
    );
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
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sandbox.url()))
            .basic_auth(key, Some(""));
        if let Some(body) = body {
            req = req.header("content-type", JSON).body(body.to_string());
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
fn the_checker_reports_a_bad_installation() {
    let spec = spec();
    let bad = json!({
        "applicationId": "not-a-uuid",
        "resource": 7,
        "status": "SLEEPING",
        "errorCode": "TEAPOT",
        "metadata": [],
        "createdAt": "yesterday",
        "updatedAt": "2021-01-01T00:00:00Z",
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
        "property companyId is not in InstallationResponse",
    ] {
        assert!(
            problems.contains(expected),
            "missed {expected:?} in:\n{problems}"
        );
    }
    let good = json!({
        "id": "123e4567-e89b-12d3-a456-426614174000",
        "applicationId": "123e4567-e89b-12d3-a456-426614174000",
        "resource": "urn:pleo:company:123e4567-e89b-12d3-a456-426614174000",
        "status": "ACTIVATED",
        "metadata": {"key": "value"},
        "createdAt": "2021-01-01T00:00:00Z",
        "updatedAt": "2021-01-01T00:00:00Z"
    });
    assert_eq!(installation_problems(&spec, &good), Vec::<String>::new());
}
