//! The sandbox's state and its request handling, free of IO: `http.rs` feeds requests in and writes
//! the replies out, so everything here is testable without a socket.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::demo::{self, APPLICATION_ID, APPLICATION_NAME, FULL_SCOPES, KEY_SEEDS, Subject};
use super::{Malformed, RetryAfter, SeenRequest};

pub(crate) const JSON: &str = "application/json;charset=UTF-8";
const HTML: &str = "text/html;charset=UTF-8";

/// `InstallationStatus` in the App Marketplace spec.
pub(crate) const STATUSES: &[&str] = &[
    "ACTIVATED",
    "INACTIVE",
    "AUTHORIZED",
    "PENDING_INTEGRATION",
    "ERROR",
];
/// `InstallationErrorCode` in the App Marketplace spec.
pub(crate) const ERROR_CODES: &[&str] = &["NOT_ENTITLED", "AUTH_ERROR"];

/// One answer, before it becomes an HTTP response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    /// None for a body-less answer (204).
    pub content_type: Option<&'static str>,
    /// Lower-case header names.
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            content_type: Some(JSON),
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        }
    }

    pub(crate) fn error(status: u16, kind: &str, message: &str) -> Reply {
        Reply::json(status, &json!({ "type": kind, "message": message }))
    }

    fn no_content() -> Reply {
        Reply {
            status: 204,
            content_type: None,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    fn with_header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }

    fn ok() -> Reply {
        Reply::json(200, &json!({ "ok": true }))
    }

    fn bad_switch(message: &str) -> Reply {
        Reply::json(400, &json!({ "ok": false, "message": message }))
    }
}

/// The parts of an API request the fake looks at.
pub(crate) struct ApiRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub authorization: Option<&'a [u8]>,
    pub body: &'a [u8],
}

struct KeyState {
    name: &'static str,
    key: &'static str,
    subject: Subject,
    scopes: Vec<String>,
    revoked: bool,
    expired: bool,
    client_id: &'static str,
}

impl KeyState {
    fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

struct Installation {
    id: String,
    resource: String,
    status: String,
    error_code: Option<String>,
    metadata: Value,
    created_at: Timestamp,
    updated_at: Timestamp,
    /// Set by the switches: the client cannot change the status while it holds.
    locked: bool,
}

impl Installation {
    fn new(resource: &str, now: Timestamp) -> Installation {
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
    fn to_json(&self) -> Value {
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

/// A fault that runs out after `left` affected requests (None = until cleared).
#[derive(Clone, Copy, Debug)]
struct Counted<T> {
    what: T,
    left: Option<u32>,
}

fn counted<T>(what: T, count: Option<u32>) -> Option<Counted<T>> {
    match count {
        Some(0) => None,
        left => Some(Counted { what, left }),
    }
}

/// Use one shot of a fault, clearing it when its count reaches 0.
fn take<T: Copy>(slot: &mut Option<Counted<T>>) -> Option<T> {
    let fault = slot.as_mut()?;
    let what = fault.what;
    match fault.left {
        Some(n) if n <= 1 => *slot = None,
        Some(n) => fault.left = Some(n - 1),
        None => {}
    }
    Some(what)
}

#[derive(Default)]
struct Faults {
    rate_limit: Option<Counted<RetryAfter>>,
    outage: Option<Counted<u16>>,
    slow: Option<Duration>,
    malformed: Option<Counted<Malformed>>,
}

/// Everything the sandbox knows. Guarded by one mutex in `SandboxControl`.
pub(crate) struct State {
    keys: Vec<KeyState>,
    installations: BTreeMap<String, Installation>,
    faults: Faults,
    /// Export jobs created through `POST /v3/export-jobs`.
    created_jobs: Vec<Value>,
    /// The newest `MAX_SEEN` requests: in `--sandbox` mode this lives in the dashboard's process.
    requests: std::collections::VecDeque<SeenRequest>,
    /// Every API request ever answered, including those dropped from `requests`.
    request_total: usize,
}

/// Requests kept in the sandbox's log.
const MAX_SEEN: usize = 10_000;

/// Millisecond precision keeps the timestamps short and still tells updates apart.
fn stamp(now: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now)
}

fn subject_urn(subject: Subject) -> String {
    match subject {
        Subject::Company(id) => company_urn(id),
        // INFERRED: Pleo never shows an org URN; the spelling follows pleo-api.md §3.1.
        Subject::Organization(id) => format!("urn:pleo:organization:{id}"),
    }
}

fn company_urn(id: &str) -> String {
    format!("urn:pleo:company:{id}")
}

/// Whether a key acting for `subject` may touch company `company_id`.
fn in_reach(subject: Subject, company_id: &str) -> bool {
    match subject {
        Subject::Company(id) => id.eq_ignore_ascii_case(company_id),
        Subject::Organization(org) => {
            demo::company(company_id).is_some_and(|c| c.organization_id == org)
        }
    }
}

/// The demo companies a key reaches, in seed order.
fn companies_in_reach(subject: Subject) -> impl Iterator<Item = &'static demo::DemoCompany> {
    demo::DEMO_COMPANIES
        .iter()
        .filter(move |c| in_reach(subject, c.id))
}

/// The username of a Basic `Authorization` header, or None when the header is missing or malformed.
pub(crate) fn decode_basic(header: Option<&[u8]>) -> Option<String> {
    let value = std::str::from_utf8(header?).ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    // INFERRED: the password is ignored; Pleo says to leave it empty but not what happens otherwise.
    let (user, _password) = text.split_once(':')?;
    Some(user.to_owned())
}

/// The `Retry-After` value: delta-seconds, or an IMF-fixdate that many seconds from `now`.
pub(crate) fn retry_after_value(retry: RetryAfter, now: Timestamp) -> String {
    match retry {
        RetryAfter::Seconds(secs) => secs.to_string(),
        RetryAfter::HttpDate(secs) => {
            let delta = SignedDuration::from_secs(i64::try_from(secs).unwrap_or(i64::MAX));
            let when = now.checked_add(delta).unwrap_or(Timestamp::MAX);
            when.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
        }
    }
}

fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit));
                match hex.and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first value of query parameter `name`, percent-decoded.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k) == name).then(|| percent_decode(v))
    })
}

fn bad_parameter(message: &str) -> Reply {
    Reply::error(400, "PARAMETER_VALIDATION_FAILED", message)
}

// INFERRED: Pleo documents the 403 status but not its body.
fn forbidden(message: &str) -> Reply {
    Reply::error(403, "ACCESS_DENIED", message)
}

// CONFIRMED for DELETE; INFERRED for GET, PUT and :activate, and the body everywhere.
fn installation_not_found() -> Reply {
    Reply::error(404, "INSTALLATION_NOT_FOUND", "Installation does not exist")
}

// INFERRED: JSON_MAPPING_EXCEPTION is a documented type, not documented for installations.
fn bad_body(message: &str) -> Reply {
    Reply::error(400, "JSON_MAPPING_EXCEPTION", message)
}

/// A uuid query or path parameter, in its canonical lower-case form.
fn parse_uuid(raw: &str, name: &str) -> Result<String, Reply> {
    uuid::Uuid::parse_str(raw)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| bad_parameter(&format!("{name} must be a UUID")))
}

fn optional_uuid(query: Option<&str>, name: &str) -> Result<Option<String>, Reply> {
    query_param(query, name)
        .map(|raw| parse_uuid(&raw, name))
        .transpose()
}

/// A request body that must be a JSON object.
fn json_object(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        // INFERRED: the spec marks these bodies required; Spring answers a missing one with 400.
        return Err(bad_body("Required request body is missing"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad_body("Request body must be a JSON object")),
        Err(_) => Err(bad_body("Malformed JSON request body")),
    }
}

/// An optional enum-valued string field; null counts as absent.
fn optional_enum(
    body: &Map<String, Value>,
    field: &str,
    allowed: &[&str],
) -> Result<Option<String>, Reply> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s.clone())),
        Some(_) => Err(bad_body(&format!(
            "{field} must be one of {}",
            allowed.join(", ")
        ))),
    }
}

fn optional_object(body: &Map<String, Value>, field: &str) -> Result<Option<Value>, Reply> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v.clone())),
        Some(_) => Err(bad_body(&format!("{field} must be a JSON object"))),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Route {
    Introspect,
    InstallationMe,
    Activate,
    Completions,
    Companies,
    Company(String),
    Employees,
    ExportJobs,
    ExportItems,
}

/// The route of an API path and the methods it answers.
fn route(path: &str) -> Option<(Route, &'static [&'static str])> {
    // Clients may percent-encode the colon of `me:activate`.
    let path = path.replace("%3A", ":").replace("%3a", ":");
    let found = match path.as_str() {
        "/v1/introspect" => (Route::Introspect, &["GET"][..]),
        "/v1/installations/me" => (Route::InstallationMe, &["GET", "POST", "PUT", "DELETE"][..]),
        "/v1/installations/me:activate" => (Route::Activate, &["POST"][..]),
        "/v1/installations/completions" => (Route::Completions, &["PUT"][..]),
        "/v1/companies" => (Route::Companies, &["GET"][..]),
        "/v2/employees" => (Route::Employees, &["GET"][..]),
        "/v3/export-jobs" => (Route::ExportJobs, &["GET", "POST"][..]),
        "/v3/export-items" => (Route::ExportItems, &["GET"][..]),
        other => {
            let id = other.strip_prefix("/v1/companies/")?;
            if id.is_empty() || id.contains('/') {
                return None;
            }
            (Route::Company(id.to_owned()), &["GET"][..])
        }
    };
    Some(found)
}

/// The scope each route needs (pleo-api.md §12.4); kept as data so it is easy to correct.
fn required_scope(route: &Route, method: &str) -> Option<&'static str> {
    match (route, method) {
        (Route::Companies | Route::Company(_), _) => Some("companies:read"),
        (Route::Employees, _) => Some("users:read"),
        (Route::ExportJobs, "POST") => Some("export-jobs:write"),
        (Route::ExportJobs, _) => Some("export-jobs:read"),
        (Route::ExportItems, _) => Some("export-items:read"),
        // INFERRED: installations and introspect need no scope.
        _ => None,
    }
}

fn company_json(c: &demo::DemoCompany) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "organizationId": c.organization_id,
        "registrationNumber": c.registration_number,
        "address": {
            "addressLine1": c.address_line1,
            "country": c.country,
            "locality": c.locality,
            "postalCode": c.postal_code,
        },
    })
}

/// (id, company, email, first name, last name, code)
const EMPLOYEES: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "a1000000-0000-4000-8000-000000000001",
        demo::ACME_ID,
        "ada@acme.example",
        "Ada",
        "Lovelace",
        "E001",
    ),
    (
        "a1000000-0000-4000-8000-000000000002",
        demo::ACME_ID,
        "grace@acme.example",
        "Grace",
        "Hopper",
        "E002",
    ),
    (
        "b2000000-0000-4000-8000-000000000001",
        demo::BOREALIS_ID,
        "greta@borealis.example",
        "Greta",
        "Garbo",
        "B001",
    ),
    (
        "c3000000-0000-4000-8000-000000000001",
        demo::COBALT_ID,
        "konrad@cobalt.example",
        "Konrad",
        "Zuse",
        "C001",
    ),
];

fn employee_json(e: &(&str, &str, &str, &str, &str, &str)) -> Value {
    json!({
        "id": e.0, "companyId": e.1, "email": e.2, "firstName": e.3, "lastName": e.4, "code": e.5,
    })
}

/// The last two hex digits of a company id tell the seeded rows of each company apart.
fn company_tag(company_id: &str) -> &str {
    company_id
        .get(company_id.len().saturating_sub(2)..)
        .unwrap_or("00")
}

fn seeded_job(company_id: &str) -> Value {
    json!({
        "id": format!("e0000000-0000-4000-8000-0000000000{}", company_tag(company_id)),
        "companyId": company_id,
        "createdAt": "2025-01-15T09:00:00Z",
        "createdBy": null,
        "startedAt": "2025-01-15T09:00:05Z",
        "completedAt": "2025-01-15T09:01:00Z",
        "expiredAt": null,
        "lastUpdatedAt": "2025-01-15T09:01:00Z",
        "expiresIn": 0,
        "isInteractive": false,
        "numberOfItems": 2,
        "status": "completed",
        "failureReason": null,
        "vendorBasedBookkeeping": false,
    })
}

// INFERRED: Pleo's export-item shape is not in our notes; these are minimal plausible rows.
fn export_items(company_id: &str) -> Vec<Value> {
    (1..=2)
        .map(|n| {
            json!({
                "id": format!("f0000000-0000-4000-8000-0000000{}00{n:02}", company_tag(company_id)),
                "companyId": company_id,
                "accountingEntryId": format!("d0000000-0000-4000-8000-0000000{}00{n:02}", company_tag(company_id)),
                "status": "pending",
                "createdAt": "2025-01-15T08:00:00Z",
            })
        })
        .collect()
}

// INFERRED: cursors are opaque to clients; ours encode a position with letters so they match the
// documented pattern ^[A-Z2-7=~]+$.
fn encode_cursor(index: usize) -> String {
    let digits: String = index
        .to_string()
        .bytes()
        .map(|d| char::from(b'A' + (d - b'0')))
        .collect();
    format!("SBX{digits}")
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let digits = cursor.strip_prefix("SBX")?;
    if digits.is_empty() {
        return None;
    }
    digits.bytes().try_fold(0usize, |acc, b| {
        let d = b.checked_sub(b'A').filter(|d| *d < 10)?;
        acc.checked_mul(10)?.checked_add(usize::from(d))
    })
}

/// One cursor page of `items`, honouring `limit` (1..=100, default 20) and `after`.
// INFERRED: those bounds are the accounting-entries API's; other APIs do not state theirs.
fn page(items: Vec<Value>, query: Option<&str>) -> Result<Reply, Reply> {
    let limit_param = query_param(query, "limit");
    let limit = match &limit_param {
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| bad_parameter("limit must be between 1 and 100"))?,
        None => 20,
    };
    let after = query_param(query, "after");
    let start = match &after {
        Some(c) => {
            decode_cursor(c).ok_or_else(|| bad_parameter("after is not a valid cursor"))? + 1
        }
        None => 0,
    };
    let total = items.len();
    let data: Vec<Value> = items.into_iter().skip(start).take(limit).collect();
    let end = start + data.len();
    let mut current = Map::new();
    current.insert("parameters".to_owned(), json!({}));
    if let Some(c) = after {
        current.insert("after".to_owned(), json!(c));
    }
    if limit_param.is_some() {
        current.insert("limit".to_owned(), json!(limit));
    }
    let mut pagination = json!({
        "currentRequestPagination": current,
        "hasNextPage": end < total,
        "hasPreviousPage": start > 0,
        "total": total,
    });
    if let (false, Some(p)) = (data.is_empty(), pagination.as_object_mut()) {
        p.insert("startCursor".to_owned(), json!(encode_cursor(start)));
        p.insert("endCursor".to_owned(), json!(encode_cursor(end - 1)));
    }
    Ok(Reply::json(
        200,
        &json!({ "data": data, "pagination": pagination }),
    ))
}

fn rate_limited(retry: RetryAfter, now: Timestamp) -> Reply {
    // INFERRED: Pleo documents neither the 429 body nor Retry-After.
    Reply::error(429, "TOO_MANY_REQUESTS", "Rate limit exceeded")
        .with_header("retry-after", retry_after_value(retry, now))
}

fn outage(status: u16) -> Reply {
    // INFERRED: bodies of 5xx answers; a gateway's 502/504 is typically HTML.
    match status {
        503 => Reply::error(
            503,
            "SERVICE_UNAVAILABLE",
            "Service temporarily unavailable",
        ),
        502 | 504 => {
            let title = if status == 502 {
                "502 Bad Gateway"
            } else {
                "504 Gateway Time-out"
            };
            Reply {
                status,
                content_type: Some(HTML),
                headers: Vec::new(),
                body: format!(
                    "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
                )
                .into_bytes(),
            }
        }
        s if (500..=599).contains(&s) => {
            Reply::error(s, "INTERNAL_SERVER_ERROR", "An unexpected error occurred")
        }
        _ => Reply::error(500, "INTERNAL_SERVER_ERROR", "An unexpected error occurred"),
    }
}

fn malformed(kind: Malformed) -> Reply {
    let body: &[u8] = match kind {
        Malformed::NotJson => br#"{"data": {"authMethod""#,
        Malformed::WrongShape => br#"{"unexpected": true}"#,
        Malformed::Empty => b"",
    };
    Reply {
        status: 200,
        content_type: Some(JSON),
        headers: Vec::new(),
        body: body.to_vec(),
    }
}

fn malformed_name(kind: Malformed) -> &'static str {
    match kind {
        Malformed::NotJson => "not_json",
        Malformed::WrongShape => "wrong_shape",
        Malformed::Empty => "empty",
    }
}

/// A resource URN the switches accept: `urn:pleo:company:<uuid>` or `urn:pleo:organization:<uuid>`.
fn valid_resource(resource: &str) -> bool {
    let id = resource
        .strip_prefix("urn:pleo:company:")
        .or_else(|| resource.strip_prefix("urn:pleo:organization:"));
    id.is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopesBody {
    scopes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct InstallationBody {
    resource: String,
    status: String,
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    locked: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceBody {
    resource: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimitBody {
    retry_after_secs: u64,
    #[serde(default)]
    http_date: bool,
    #[serde(default)]
    count: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutageBody {
    status: u16,
    #[serde(default)]
    count: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MalformedBody {
    kind: String,
    #[serde(default)]
    count: Option<u32>,
}

/// One validated change from `POST /_sandbox/faults`; None clears that fault.
enum FaultChange {
    RateLimit(Option<(RetryAfter, Option<u32>)>),
    Outage(Option<(u16, Option<u32>)>),
    Slow(Option<Duration>),
    Malformed(Option<(Malformed, Option<u32>)>),
}

fn parse_field<T: for<'de> Deserialize<'de>>(name: &str, v: Value) -> Result<Option<T>, Reply> {
    if v.is_null() {
        return Ok(None);
    }
    serde_json::from_value(v)
        .map(Some)
        .map_err(|e| Reply::bad_switch(&format!("{name}: {e}")))
}

fn fault_changes(body: &[u8]) -> Result<Vec<FaultChange>, Reply> {
    let map = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map,
        _ => return Err(Reply::bad_switch("body must be a JSON object")),
    };
    let mut changes = Vec::new();
    for (name, v) in map {
        let change = match name.as_str() {
            "rate_limit" => {
                FaultChange::RateLimit(parse_field::<RateLimitBody>(&name, v)?.map(|b| {
                    let retry = if b.http_date {
                        RetryAfter::HttpDate(b.retry_after_secs)
                    } else {
                        RetryAfter::Seconds(b.retry_after_secs)
                    };
                    (retry, b.count)
                }))
            }
            "outage" => {
                let body = parse_field::<OutageBody>(&name, v)?;
                if let Some(b) = &body
                    && !(500..=599).contains(&b.status)
                {
                    return Err(Reply::bad_switch("outage.status must be a 5xx status"));
                }
                FaultChange::Outage(body.map(|b| (b.status, b.count)))
            }
            "slow_ms" => FaultChange::Slow(
                parse_field::<u64>(&name, v)?
                    .filter(|ms| *ms > 0)
                    .map(Duration::from_millis),
            ),
            "malformed" => match parse_field::<MalformedBody>(&name, v)? {
                None => FaultChange::Malformed(None),
                Some(b) => {
                    let kind = match b.kind.as_str() {
                        "not_json" => Malformed::NotJson,
                        "wrong_shape" => Malformed::WrongShape,
                        "empty" => Malformed::Empty,
                        _ => {
                            return Err(Reply::bad_switch(
                                "malformed.kind must be not_json, wrong_shape or empty",
                            ));
                        }
                    };
                    FaultChange::Malformed(Some((kind, b.count)))
                }
            },
            other => {
                return Err(Reply::bad_switch(&format!(
                    "unknown fault {other:?}; expected rate_limit, outage, slow_ms or malformed"
                )));
            }
        };
        changes.push(change);
    }
    Ok(changes)
}

fn parse_switch_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Reply> {
    serde_json::from_slice(body).map_err(|e| Reply::bad_switch(&format!("bad body: {e}")))
}

impl State {
    pub(crate) fn seed() -> State {
        let keys = KEY_SEEDS
            .iter()
            .map(|s| KeyState {
                name: s.name,
                key: s.key,
                subject: s.subject,
                scopes: FULL_SCOPES
                    .iter()
                    .filter(|sc| !s.scopes_without.contains(sc))
                    .map(|sc| (*sc).to_owned())
                    .collect(),
                revoked: s.revoked,
                expired: false,
                client_id: s.client_id,
            })
            .collect();
        State {
            keys,
            installations: BTreeMap::new(),
            faults: Faults::default(),
            created_jobs: Vec::new(),
            requests: std::collections::VecDeque::new(),
            request_total: 0,
        }
    }

    // ----- switches (also used by SandboxControl) -----

    fn key_mut(&mut self, key: &str) -> Option<&mut KeyState> {
        self.keys.iter_mut().find(|k| k.key == key)
    }

    fn key_by_name_mut(&mut self, name: &str) -> Option<&mut KeyState> {
        self.keys.iter_mut().find(|k| k.name == name)
    }

    pub(crate) fn revoke(&mut self, key: &str) {
        if let Some(k) = self.key_mut(key) {
            k.revoked = true;
        }
    }

    pub(crate) fn expire(&mut self, key: &str) {
        if let Some(k) = self.key_mut(key) {
            k.expired = true;
        }
    }

    pub(crate) fn restore(&mut self, key: &str) {
        if let Some(k) = self.key_mut(key) {
            k.revoked = false;
            k.expired = false;
        }
    }

    pub(crate) fn set_scopes(&mut self, key: &str, scopes: &[&str]) {
        if let Some(k) = self.key_mut(key) {
            k.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        }
    }

    pub(crate) fn remove_scope(&mut self, key: &str, scope: &str) {
        if let Some(k) = self.key_mut(key) {
            k.scopes.retain(|s| s != scope);
        }
    }

    pub(crate) fn set_installation(
        &mut self,
        resource: &str,
        status: &str,
        error_code: Option<&str>,
        locked: bool,
        now: Timestamp,
    ) {
        let now = stamp(now);
        let inst = self
            .installations
            .entry(resource.to_owned())
            .or_insert_with(|| Installation::new(resource, now));
        inst.status = status.to_owned();
        inst.error_code = error_code.map(str::to_owned);
        inst.locked = locked;
        inst.updated_at = now;
    }

    pub(crate) fn delete_installation(&mut self, resource: &str) {
        self.installations.remove(resource);
    }

    pub(crate) fn installation_status(&self, resource: &str) -> Option<String> {
        self.installations.get(resource).map(|i| i.status.clone())
    }

    pub(crate) fn rate_limit(&mut self, retry: RetryAfter, count: Option<u32>) {
        self.faults.rate_limit = counted(retry, count);
    }

    pub(crate) fn outage(&mut self, status: u16, count: Option<u32>) {
        self.faults.outage = counted(status, count);
    }

    pub(crate) fn slow(&mut self, delay: Option<Duration>) {
        self.faults.slow = delay.filter(|d| !d.is_zero());
    }

    pub(crate) fn slow_delay(&self) -> Option<Duration> {
        self.faults.slow
    }

    pub(crate) fn malformed(&mut self, kind: Option<Malformed>, count: Option<u32>) {
        self.faults.malformed = kind.and_then(|k| counted(k, count));
    }

    pub(crate) fn clear_faults(&mut self) {
        self.faults = Faults::default();
    }

    /// Back to the seed. The request log is history, not scenario state, so it stays.
    pub(crate) fn reset(&mut self) {
        let requests = std::mem::take(&mut self.requests);
        let total = self.request_total;
        *self = State::seed();
        self.requests = requests;
        self.request_total = total;
    }

    pub(crate) fn requests(&self) -> Vec<SeenRequest> {
        self.requests.iter().cloned().collect()
    }

    pub(crate) fn request_count(&self) -> usize {
        self.request_total
    }

    /// `GET /_sandbox/state`. Keys appear by name and last four characters only.
    pub(crate) fn state_json(&self) -> Value {
        let keys: Map<String, Value> = self
            .keys
            .iter()
            .map(|k| {
                let last4 = k.key.get(k.key.len().saturating_sub(4)..).unwrap_or("");
                let value = json!({
                    "last4": last4,
                    "subjectURN": subject_urn(k.subject),
                    "scopes": k.scopes,
                    "revoked": k.revoked,
                    "expired": k.expired,
                });
                (k.name.to_owned(), value)
            })
            .collect();
        let installations: Map<String, Value> = self
            .installations
            .iter()
            .map(|(resource, inst)| {
                let mut v = inst.to_json();
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("locked".to_owned(), json!(inst.locked));
                }
                (resource.clone(), v)
            })
            .collect();
        let f = &self.faults;
        let faults = json!({
            "rate_limit": f.rate_limit.map(|c| {
                let (secs, http_date) = match c.what {
                    RetryAfter::Seconds(s) => (s, false),
                    RetryAfter::HttpDate(s) => (s, true),
                };
                json!({ "retry_after_secs": secs, "http_date": http_date, "count": c.left })
            }),
            "outage": f.outage.map(|c| json!({ "status": c.what, "count": c.left })),
            "slow_ms": f.slow.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            "malformed": f.malformed.map(|c| json!({ "kind": malformed_name(c.what), "count": c.left })),
        });
        json!({
            "keys": keys,
            "installations": installations,
            "faults": faults,
            "requestCount": self.request_total,
        })
    }

    /// The `/_sandbox/*` switches over HTTP. No auth: the sandbox only listens on 127.0.0.1.
    pub(crate) fn handle_switch(
        &mut self,
        method: &str,
        path: &str,
        body: &[u8],
        now: Timestamp,
    ) -> Reply {
        let rest = path.strip_prefix("/_sandbox").unwrap_or(path);
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        let parts: Vec<&str> = rest.split('/').collect();
        let expected = match parts.as_slice() {
            ["state"] => "GET",
            _ => "POST",
        };
        let known = matches!(
            parts.as_slice(),
            ["state"]
                | ["keys", _, "revoke" | "expire" | "restore" | "scopes"]
                | ["installation"]
                | ["installation", "delete"]
                | ["faults"]
                | ["faults", "clear"]
                | ["reset"]
        );
        if !known {
            return Reply::error(
                404,
                "NOT_FOUND",
                "Unknown sandbox switch; GET /_sandbox/state lists the state",
            );
        }
        if method != expected {
            return Reply::error(405, "METHOD_NOT_ALLOWED", &format!("Use {expected}"))
                .with_header("allow", expected.to_owned());
        }
        let result = match parts.as_slice() {
            ["state"] => return Reply::json(200, &self.state_json()),
            ["keys", name, action] => self.switch_key(name, action, body),
            ["installation"] => self.switch_installation(body, now),
            ["installation", "delete"] => parse_switch_body::<ResourceBody>(body).map(|b| {
                self.delete_installation(&b.resource);
            }),
            ["faults"] => fault_changes(body).map(|changes| {
                for change in changes {
                    match change {
                        FaultChange::RateLimit(v) => {
                            self.faults.rate_limit = v.and_then(|(r, c)| counted(r, c))
                        }
                        FaultChange::Outage(v) => {
                            self.faults.outage = v.and_then(|(s, c)| counted(s, c))
                        }
                        FaultChange::Slow(v) => self.faults.slow = v,
                        FaultChange::Malformed(v) => {
                            self.faults.malformed = v.and_then(|(k, c)| counted(k, c))
                        }
                    }
                }
            }),
            ["faults", "clear"] => {
                self.clear_faults();
                Ok(())
            }
            _ => {
                self.reset();
                Ok(())
            }
        };
        match result {
            Ok(()) => Reply::ok(),
            Err(reply) => reply,
        }
    }

    fn switch_key(&mut self, name: &str, action: &str, body: &[u8]) -> Result<(), Reply> {
        let scopes = if action == "scopes" {
            let b: ScopesBody = parse_switch_body(body)?;
            if b.scopes
                .iter()
                .any(|s| s.is_empty() || s.contains(char::is_whitespace))
            {
                return Err(Reply::bad_switch(
                    "a scope must be non-empty and without spaces",
                ));
            }
            Some(b.scopes)
        } else {
            None
        };
        let Some(k) = self.key_by_name_mut(name) else {
            let names: Vec<&str> = KEY_SEEDS.iter().map(|s| s.name).collect();
            return Err(Reply::bad_switch(&format!(
                "unknown key name {name:?}; known: {}",
                names.join(", ")
            )));
        };
        match (action, scopes) {
            ("revoke", _) => k.revoked = true,
            ("expire", _) => k.expired = true,
            ("restore", _) => {
                k.revoked = false;
                k.expired = false;
            }
            (_, Some(scopes)) => k.scopes = scopes,
            _ => {}
        }
        Ok(())
    }

    fn switch_installation(&mut self, body: &[u8], now: Timestamp) -> Result<(), Reply> {
        let b: InstallationBody = parse_switch_body(body)?;
        if !valid_resource(&b.resource) {
            return Err(Reply::bad_switch(
                "resource must be urn:pleo:company:<uuid> or urn:pleo:organization:<uuid>",
            ));
        }
        if !STATUSES.contains(&b.status.as_str()) {
            return Err(Reply::bad_switch(&format!(
                "status must be one of {}",
                STATUSES.join(", ")
            )));
        }
        if let Some(code) = &b.error_code
            && !ERROR_CODES.contains(&code.as_str())
        {
            return Err(Reply::bad_switch(&format!(
                "errorCode must be one of {}",
                ERROR_CODES.join(", ")
            )));
        }
        self.set_installation(
            &b.resource,
            &b.status,
            b.error_code.as_deref(),
            b.locked,
            now,
        );
        Ok(())
    }

    // ----- the API -----

    /// Answer one API request (anything outside `/_sandbox/`) and record it. The slow fault is
    /// applied by the caller, which can wait without holding the lock.
    pub(crate) fn handle_api(&mut self, req: &ApiRequest<'_>, now: Timestamp) -> Reply {
        let reply = self.api_reply(req, now);
        let path_and_query = match req.query {
            Some(q) => format!("{}?{q}", req.path),
            None => req.path.to_owned(),
        };
        if self.requests.len() == MAX_SEEN {
            self.requests.pop_front();
        }
        self.requests.push_back(SeenRequest {
            method: req.method.to_owned(),
            path_and_query,
            had_authorization: req.authorization.is_some(),
            status: reply.status,
        });
        self.request_total += 1;
        reply
    }

    fn api_reply(&mut self, req: &ApiRequest<'_>, now: Timestamp) -> Reply {
        // INFERRED: throttling and outages happen in front of auth, as a gateway would do them.
        if let Some(retry) = take(&mut self.faults.rate_limit) {
            return rate_limited(retry, now);
        }
        if let Some(status) = take(&mut self.faults.outage) {
            return outage(status);
        }
        let reply = match self.routed(req, stamp(now)) {
            Ok(reply) | Err(reply) => reply,
        };
        if reply.status == 200
            && let Some(kind) = take(&mut self.faults.malformed)
        {
            return malformed(kind);
        }
        reply
    }

    /// The index of the key a request authenticates as.
    fn authenticate(&self, authorization: Option<&[u8]>) -> Result<usize, Reply> {
        let Some(user) = decode_basic(authorization) else {
            return Err(Reply::error(
                401,
                "UNAUTHORIZED",
                "Missing or malformed credentials",
            ));
        };
        // INFERRED: one body for every rejected key, as Pleo does not tell the cases apart; the
        // reason goes in a header only the fake sends.
        let reject = |reason: &str| {
            Reply::error(401, "UNAUTHORIZED", "Invalid API key")
                .with_header("x-sandbox-reason", reason.to_owned())
        };
        match self.keys.iter().position(|k| k.key == user) {
            None => Err(reject("unknown")),
            Some(i) if self.keys[i].revoked => Err(reject("revoked")),
            Some(i) if self.keys[i].expired => Err(reject("expired")),
            Some(i) => Ok(i),
        }
    }

    fn routed(&mut self, req: &ApiRequest<'_>, now: Timestamp) -> Result<Reply, Reply> {
        // INFERRED: an unknown route or method answers before auth is looked at.
        let Some((route, methods)) = route(req.path) else {
            return Err(Reply::error(
                404,
                "NOT_FOUND",
                &format!("No route for {}", req.path),
            ));
        };
        if !methods.contains(&req.method) {
            return Err(Reply::error(
                405,
                "METHOD_NOT_ALLOWED",
                &format!("{} is not supported on {}", req.method, req.path),
            )
            .with_header("allow", methods.join(", ")));
        }
        let key = self.authenticate(req.authorization)?;
        if let Some(scope) = required_scope(&route, req.method)
            && !self.keys[key].has_scope(scope)
        {
            return Err(forbidden(&format!("Missing scope {scope}")));
        }
        let subject = self.keys[key].subject;
        match route {
            Route::Introspect => Ok(self.introspect(key)),
            Route::InstallationMe | Route::Activate | Route::Completions => {
                let resource = installation_resource(subject, req.query)?;
                match (route, req.method) {
                    (Route::InstallationMe, "GET") => self
                        .installations
                        .get(&resource)
                        .map(|i| Reply::json(200, &i.to_json()))
                        .ok_or_else(installation_not_found),
                    (Route::InstallationMe, "POST") => {
                        self.create_installation(&resource, req.body, now)
                    }
                    (Route::InstallationMe, "PUT") => {
                        self.update_installation(&resource, req.body, now)
                    }
                    (Route::InstallationMe, _) => self
                        .installations
                        .remove(&resource)
                        .map(|_| Reply::no_content())
                        .ok_or_else(installation_not_found),
                    _ => self.activate_installation(&resource, now),
                }
            }
            Route::Company(raw) => {
                let id = parse_uuid(&raw, "companyId")?;
                // INFERRED: the 404 type; the status is documented.
                let company = demo::company(&id).ok_or_else(|| {
                    Reply::error(404, "COMPANY_NOT_FOUND", &format!("Company {id} not found"))
                })?;
                if !in_reach(subject, company.id) {
                    return Err(forbidden("The API key has no access to this company"));
                }
                Ok(Reply::json(200, &json!({ "data": company_json(company) })))
            }
            Route::Companies => {
                // INFERRED: without organization_id the list is what the key reaches.
                if let Some(org) = optional_uuid(req.query, "organization_id")? {
                    let own_org = match subject {
                        Subject::Organization(o) => Some(o),
                        Subject::Company(c) => demo::company(c).map(|c| c.organization_id),
                    };
                    if own_org != Some(org.as_str()) {
                        return Err(forbidden("The API key has no access to this organisation"));
                    }
                }
                page(
                    companies_in_reach(subject).map(company_json).collect(),
                    req.query,
                )
            }
            Route::Employees => {
                // Pleo spells this one camelCase. INFERRED: without it, every employee in reach.
                let company = optional_uuid(req.query, "companyId")?;
                let ids = scoped_companies(subject, company)?;
                let rows = EMPLOYEES
                    .iter()
                    .filter(|e| ids.iter().any(|id| id == e.1))
                    .map(employee_json)
                    .collect();
                page(rows, req.query)
            }
            Route::ExportJobs if req.method == "POST" => self.create_export_job(subject, req, now),
            Route::ExportJobs => {
                let company = required_company(subject, req.query)?;
                let mut jobs = vec![seeded_job(&company)];
                jobs.extend(
                    self.created_jobs
                        .iter()
                        .filter(|j| j["companyId"] == company.as_str())
                        .cloned(),
                );
                page(jobs, req.query)
            }
            Route::ExportItems => {
                let company = required_company(subject, req.query)?;
                page(export_items(&company), req.query)
            }
        }
    }

    fn introspect(&self, key: usize) -> Reply {
        let k = &self.keys[key];
        Reply::json(
            200,
            &json!({ "data": {
                "authMethod": "API_KEY",
                "clientId": k.client_id,
                "scope": k.scopes.join(" "),
                "applicationName": APPLICATION_NAME,
                "subjectURN": subject_urn(k.subject),
            }}),
        )
    }

    fn create_installation(
        &mut self,
        resource: &str,
        body: &[u8],
        now: Timestamp,
    ) -> Result<Reply, Reply> {
        let body = json_object(body)?;
        let status = optional_enum(&body, "status", STATUSES)?;
        let metadata = optional_object(&body, "metadata")?;
        let inst = match self.installations.get_mut(resource) {
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
                self.installations
                    .entry(resource.to_owned())
                    .or_insert(inst)
            }
        };
        Ok(Reply::json(200, &inst.to_json()))
    }

    fn update_installation(
        &mut self,
        resource: &str,
        body: &[u8],
        now: Timestamp,
    ) -> Result<Reply, Reply> {
        let body = json_object(body)?;
        let status = optional_enum(&body, "status", STATUSES)?
            .ok_or_else(|| bad_body("Validation failed for request body: status is required"))?;
        let error_code = optional_enum(&body, "errorCode", ERROR_CODES)?;
        let metadata = optional_object(&body, "metadata")?;
        let inst = self
            .installations
            .get_mut(resource)
            .ok_or_else(installation_not_found)?;
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

    fn activate_installation(&mut self, resource: &str, now: Timestamp) -> Result<Reply, Reply> {
        let inst = self
            .installations
            .get_mut(resource)
            .ok_or_else(installation_not_found)?;
        // INFERRED: Pleo documents :activate for OAuth; the fake lets API keys use it too.
        if !inst.locked {
            inst.set_status("ACTIVATED");
            inst.updated_at = now;
        }
        Ok(Reply::json(200, &inst.to_json()))
    }

    fn create_export_job(
        &mut self,
        subject: Subject,
        req: &ApiRequest<'_>,
        now: Timestamp,
    ) -> Result<Reply, Reply> {
        let body = if req.body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            json_object(req.body)?
        };
        // INFERRED: the company comes from `company_id` in the query or `companyId` in the body.
        let company = match (query_param(req.query, "company_id"), body.get("companyId")) {
            (Some(raw), _) => parse_uuid(&raw, "company_id")?,
            (None, Some(Value::String(raw))) => parse_uuid(raw, "companyId")?,
            _ => return Err(bad_parameter("company_id is required")),
        };
        if !in_reach(subject, &company) {
            return Err(forbidden("The API key has no access to this company"));
        }
        // INFERRED: a job counts as in progress until something moves it on (nothing here does).
        let busy = self
            .created_jobs
            .iter()
            .any(|j| j["companyId"] == company.as_str() && j["status"] == "pending");
        if busy {
            return Err(Reply::error(
                409,
                "EXPORT_ALREADY_IN_PROGRESS",
                "An export is already in progress",
            ));
        }
        let job = json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "companyId": company,
            "createdAt": now.to_string(),
            "createdBy": null,
            "startedAt": null,
            "completedAt": null,
            "expiredAt": null,
            "lastUpdatedAt": now.to_string(),
            "expiresIn": 3600,
            "isInteractive": body.get("isInteractive").and_then(Value::as_bool).unwrap_or(false),
            "numberOfItems": export_items(&company).len(),
            "status": "pending",
            "failureReason": null,
            "vendorBasedBookkeeping": false,
        });
        self.created_jobs.push(job.clone());
        // INFERRED: wrapped in `data` like Pleo's other single-resource answers.
        Ok(Reply::json(201, &json!({ "data": job })))
    }
}

/// The installation resource a request addresses: the key's own subject, or with `company_id`
/// that company (which must be in reach).
fn installation_resource(subject: Subject, query: Option<&str>) -> Result<String, Reply> {
    match optional_uuid(query, "company_id")? {
        Some(id) if in_reach(subject, &id) => Ok(company_urn(&id)),
        Some(_) => Err(forbidden("The API key has no access to this company")),
        None => Ok(subject_urn(subject)),
    }
}

/// The companies a list call covers: the one asked for (if in reach), else all in reach.
fn scoped_companies(subject: Subject, company: Option<String>) -> Result<Vec<String>, Reply> {
    match company {
        Some(id) if in_reach(subject, &id) => Ok(vec![id]),
        Some(_) => Err(forbidden("The API key has no access to this company")),
        None => Ok(companies_in_reach(subject)
            .map(|c| c.id.to_owned())
            .collect()),
    }
}

/// The export API always names its company (pleo-api.md §10), for company and org keys alike.
fn required_company(subject: Subject, query: Option<&str>) -> Result<String, Reply> {
    let id = optional_uuid(query, "company_id")?
        .ok_or_else(|| bad_parameter("company_id is required"))?;
    if in_reach(subject, &id) {
        Ok(id)
    } else {
        Err(forbidden("The API key has no access to this company"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::demo::*;

    fn basic(key: &str) -> String {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
        format!("Basic {token}")
    }

    fn now() -> Timestamp {
        Timestamp::from_second(1_700_000_000).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn call_raw(
        state: &mut State,
        method: &str,
        path_and_query: &str,
        auth: Option<&str>,
        body: &str,
    ) -> Reply {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        let req = ApiRequest {
            method,
            path,
            query,
            authorization: auth.map(str::as_bytes),
            body: body.as_bytes(),
        };
        state.handle_api(&req, now())
    }

    /// Call as `key`; the answer's status and JSON body (Null when there is none).
    fn call(state: &mut State, method: &str, path: &str, key: &str, body: &str) -> (u16, Value) {
        let reply = call_raw(state, method, path, Some(&basic(key)), body);
        let value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
        (reply.status, value)
    }

    fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
        reply
            .headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn decode_basic_accepts_only_well_formed_basic() {
        let ok = basic("pls_abc_def");
        assert_eq!(
            decode_basic(Some(ok.as_bytes())).as_deref(),
            Some("pls_abc_def")
        );
        let lower = ok.replacen("Basic", "basic", 1);
        assert_eq!(
            decode_basic(Some(lower.as_bytes())).as_deref(),
            Some("pls_abc_def")
        );
        assert_eq!(decode_basic(None), None);
        assert_eq!(decode_basic(Some(b"Bearer pls_abc_def")), None);
        assert_eq!(decode_basic(Some(b"Basic !!!not-base64")), None);
        let no_colon = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("pls_abc_def")
        );
        assert_eq!(decode_basic(Some(no_colon.as_bytes())), None);
        assert_eq!(decode_basic(Some(b"Basic")), None);
        assert_eq!(decode_basic(Some(&[0xff, 0xfe])), None);
    }

    #[test]
    fn auth_failures_share_one_body_and_say_why_in_a_header() {
        let mut s = State::seed();
        let missing = call_raw(&mut s, "GET", "/v1/introspect", None, "");
        assert_eq!(missing.status, 401);
        let body: Value = serde_json::from_slice(&missing.body).unwrap_or_default();
        assert_eq!(body["message"], "Missing or malformed credentials");
        assert_eq!(header(&missing, "x-sandbox-reason"), None);

        s.expire(HEALTHY_KEY);
        for (key, reason) in [
            ("pls_00000000000000000000000000000000_000000", "unknown"),
            (REVOKED_KEY, "revoked"),
            (HEALTHY_KEY, "expired"),
        ] {
            let reply = call_raw(&mut s, "GET", "/v1/introspect", Some(&basic(key)), "");
            assert_eq!(reply.status, 401);
            let body: Value = serde_json::from_slice(&reply.body).unwrap_or_default();
            assert_eq!(
                body,
                json!({"type": "UNAUTHORIZED", "message": "Invalid API key"})
            );
            assert_eq!(header(&reply, "x-sandbox-reason"), Some(reason));
        }
        s.restore(HEALTHY_KEY);
        s.restore(REVOKED_KEY);
        assert_eq!(
            call(&mut s, "GET", "/v1/introspect", REVOKED_KEY, "").0,
            200
        );
    }

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
    fn scopes_are_enforced_per_route() {
        let mut s = State::seed();
        let q = format!("/v3/export-jobs?company_id={ACME_ID}");
        let (status, body) = call(&mut s, "POST", &q, MISSING_SCOPE_KEY, "");
        assert_eq!(status, 403);
        assert_eq!(
            body,
            json!({"type": "ACCESS_DENIED", "message": "Missing scope export-jobs:write"})
        );
        assert_eq!(call(&mut s, "GET", &q, MISSING_SCOPE_KEY, "").0, 200);
        assert_eq!(call(&mut s, "POST", &q, HEALTHY_KEY, "").0, 201);
        let company = format!("/v1/companies/{ACME_ID}");
        assert_eq!(
            call(&mut s, "GET", &company, NO_COMPANY_READ_KEY, "").0,
            403
        );
        s.remove_scope(HEALTHY_KEY, "users:read");
        assert_eq!(call(&mut s, "GET", "/v2/employees", HEALTHY_KEY, "").0, 403);
        s.set_scopes(HEALTHY_KEY, &["users:read"]);
        assert_eq!(call(&mut s, "GET", "/v2/employees", HEALTHY_KEY, "").0, 200);
        assert_eq!(call(&mut s, "GET", &company, HEALTHY_KEY, "").0, 403);
    }

    #[test]
    fn installation_create_get_and_idempotent_post() {
        let mut s = State::seed();
        let me = "/v1/installations/me";
        let (status, body) = call(&mut s, "GET", me, HEALTHY_KEY, "");
        assert_eq!(
            (status, body["type"].as_str()),
            (404, Some("INSTALLATION_NOT_FOUND"))
        );

        let (status, created) = call(&mut s, "POST", me, HEALTHY_KEY, r#"{"metadata":{"a":"1"}}"#);
        assert_eq!(status, 200);
        assert_eq!(created["status"], "ACTIVATED");
        assert_eq!(created["resource"], format!("urn:pleo:company:{ACME_ID}"));
        assert_eq!(created["applicationId"], APPLICATION_ID);
        assert_eq!(created["metadata"], json!({"a": "1"}));
        assert!(created.get("errorCode").is_none());

        // Another key of the same company sees the same installation.
        let (_, seen) = call(&mut s, "GET", me, ROTATED_KEY, "");
        assert_eq!(seen["id"], created["id"]);

        let (status, again) = call(&mut s, "POST", me, ROTATED_KEY, r#"{"status":"INACTIVE"}"#);
        assert_eq!(status, 200);
        assert_eq!(again["id"], created["id"]);
        assert_eq!(again["status"], "INACTIVE");
        assert_eq!(again["metadata"], json!({"a": "1"}));

        for bad in [
            "",
            "not json",
            "[1]",
            r#"{"status":"BROKEN"}"#,
            r#"{"metadata":3}"#,
        ] {
            let (status, body) = call(&mut s, "POST", me, HEALTHY_KEY, bad);
            assert_eq!(
                (status, body["type"].as_str()),
                (400, Some("JSON_MAPPING_EXCEPTION")),
                "{bad}"
            );
        }
        // The other company's key has its own (absent) installation.
        assert_eq!(call(&mut s, "GET", me, OTHER_COMPANY_KEY, "").0, 404);
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
            call(
                &mut s,
                "POST",
                "/v1/installations/me:activate",
                HEALTHY_KEY,
                ""
            )
            .0,
            404
        );
        assert_eq!(call(&mut s, "DELETE", me, HEALTHY_KEY, "").0, 404);
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

        let reply = call_raw(&mut s, "DELETE", me, Some(&basic(HEALTHY_KEY)), "");
        assert_eq!(
            (reply.status, reply.body.len(), reply.content_type),
            (204, 0, None)
        );
        assert_eq!(call(&mut s, "GET", me, HEALTHY_KEY, "").0, 404);
    }

    #[test]
    fn locked_installation_ignores_client_changes_until_switched_again() {
        let mut s = State::seed();
        let me = "/v1/installations/me";
        let urn = format!("urn:pleo:company:{ACME_ID}");
        s.set_installation(&urn, "ERROR", Some("NOT_ENTITLED"), true, now());
        for (method, path, body) in [
            ("POST", me, r#"{"status":"ACTIVATED"}"#),
            ("PUT", me, r#"{"status":"ACTIVATED","metadata":{"x":1}}"#),
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
        assert_eq!(call(&mut s, "GET", &cobalt, HEALTHY_KEY, "").0, 403);
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
        assert_eq!(call(&mut s, "GET", &cobalt, ORG_KEY, "").0, 403);
        // Without company_id the org key's resource is the organisation.
        assert_eq!(call(&mut s, "GET", me, ORG_KEY, "").0, 404);
        let (_, body) = call(&mut s, "POST", me, ORG_KEY, "{}");
        assert_eq!(
            body["resource"],
            format!("urn:pleo:organization:{NORTHWIND_ORG_ID}")
        );
        let borealis = format!("{me}?company_id={BOREALIS_ID}");
        assert_eq!(call(&mut s, "DELETE", &borealis, ORG_KEY, "").0, 404);
    }

    #[test]
    fn companies_are_scoped_to_the_key() {
        let mut s = State::seed();
        let (status, body) = call(
            &mut s,
            "GET",
            &format!("/v1/companies/{ACME_ID}"),
            HEALTHY_KEY,
            "",
        );
        assert_eq!(status, 200);
        assert_eq!(body["data"]["name"], ACME_NAME);
        assert_eq!(body["data"]["organizationId"], NORTHWIND_ORG_ID);
        assert!(body["data"]["address"]["addressLine1"].is_string());
        assert_eq!(
            call(
                &mut s,
                "GET",
                &format!("/v1/companies/{BOREALIS_ID}"),
                HEALTHY_KEY,
                ""
            )
            .0,
            403
        );
        assert_eq!(
            call(
                &mut s,
                "GET",
                &format!("/v1/companies/{BOREALIS_ID}"),
                ORG_KEY,
                ""
            )
            .0,
            200
        );
        assert_eq!(
            call(
                &mut s,
                "GET",
                &format!("/v1/companies/{COBALT_ID}"),
                ORG_KEY,
                ""
            )
            .0,
            403
        );
        let unknown = "/v1/companies/44444444-4444-4444-8444-444444444444";
        let (status, body) = call(&mut s, "GET", unknown, ORG_KEY, "");
        assert_eq!(
            (status, body["type"].as_str()),
            (404, Some("COMPANY_NOT_FOUND"))
        );

        let list = format!("/v1/companies?organization_id={NORTHWIND_ORG_ID}");
        let (_, body) = call(&mut s, "GET", &list, ORG_KEY, "");
        assert_eq!(body["pagination"]["total"], 2);
        let (_, body) = call(&mut s, "GET", &list, HEALTHY_KEY, "");
        assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
        assert_eq!(body["data"][0]["id"], ACME_ID);
        let other = format!("/v1/companies?organization_id={COBALT_ORG_ID}");
        assert_eq!(call(&mut s, "GET", &other, ORG_KEY, "").0, 403);
        assert_eq!(call(&mut s, "GET", &other, OTHER_COMPANY_KEY, "").0, 200);
    }

    #[test]
    fn company_scoped_lists() {
        let mut s = State::seed();
        let (_, body) = call(&mut s, "GET", "/v2/employees?limit=1", HEALTHY_KEY, "");
        assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
        assert_eq!(body["pagination"]["hasNextPage"], true);
        let after = body["pagination"]["endCursor"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let (_, next) = call(
            &mut s,
            "GET",
            &format!("/v2/employees?limit=1&after={after}"),
            HEALTHY_KEY,
            "",
        );
        assert_eq!(next["data"][0]["firstName"], "Grace");
        assert_eq!(next["pagination"]["hasNextPage"], false);
        assert_eq!(next["pagination"]["hasPreviousPage"], true);
        assert_eq!(
            call(&mut s, "GET", "/v2/employees?limit=0", HEALTHY_KEY, "").0,
            400
        );
        let (_, org) = call(&mut s, "GET", "/v2/employees", ORG_KEY, "");
        assert_eq!(org["pagination"]["total"], 3);
        let foreign = format!("/v2/employees?companyId={COBALT_ID}");
        assert_eq!(call(&mut s, "GET", &foreign, HEALTHY_KEY, "").0, 403);

        let (status, body) = call(&mut s, "GET", "/v3/export-jobs", HEALTHY_KEY, "");
        assert_eq!(
            (status, body["type"].as_str()),
            (400, Some("PARAMETER_VALIDATION_FAILED"))
        );
        assert_eq!(call(&mut s, "GET", "/v3/export-items", ORG_KEY, "").0, 400);
        let items = format!("/v3/export-items?company_id={BOREALIS_ID}");
        assert_eq!(call(&mut s, "GET", &items, ORG_KEY, "").0, 200);
        assert_eq!(call(&mut s, "GET", &items, HEALTHY_KEY, "").0, 403);
        let body = format!(r#"{{"companyId":"{BOREALIS_ID}"}}"#);
        assert_eq!(
            call(&mut s, "POST", "/v3/export-jobs", ORG_KEY, &body).0,
            201
        );
        assert_eq!(
            call(&mut s, "POST", "/v3/export-jobs", ORG_KEY, &body).0,
            409
        );
        let (_, jobs) = call(
            &mut s,
            "GET",
            &format!("/v3/export-jobs?company_id={BOREALIS_ID}"),
            ORG_KEY,
            "",
        );
        assert_eq!(jobs["pagination"]["total"], 2);
    }

    #[test]
    fn unknown_route_and_wrong_method() {
        let mut s = State::seed();
        let (status, body) = call(&mut s, "GET", "/v9/nothing", HEALTHY_KEY, "");
        assert_eq!((status, body["type"].as_str()), (404, Some("NOT_FOUND")));
        let reply = call_raw(
            &mut s,
            "PATCH",
            "/v1/installations/me",
            Some(&basic(HEALTHY_KEY)),
            "",
        );
        assert_eq!(reply.status, 405);
        assert_eq!(header(&reply, "allow"), Some("GET, POST, PUT, DELETE"));
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
        let reply = call_raw(
            &mut s,
            "GET",
            "/v1/introspect",
            Some(&basic(HEALTHY_KEY)),
            "",
        );
        assert_eq!(
            (reply.status, reply.body.as_slice()),
            (200, &br#"{"unexpected": true}"#[..])
        );
        assert_eq!(
            call(&mut s, "GET", "/v1/introspect", HEALTHY_KEY, "").0,
            200
        );
        assert!(call(&mut s, "GET", "/v1/introspect", HEALTHY_KEY, "").1["data"].is_object());

        s.outage(502, None);
        for _ in 0..3 {
            let reply = call_raw(&mut s, "GET", "/v1/introspect", None, "");
            assert_eq!((reply.status, reply.content_type), (502, Some(HTML)));
        }
        s.clear_faults();
        s.rate_limit(RetryAfter::Seconds(1), Some(0));
        assert_eq!(
            call(&mut s, "GET", "/v1/introspect", HEALTHY_KEY, "").0,
            200
        );
        assert_eq!(s.request_count(), 11);
        assert_eq!(s.requests()[0].status, 429);
        assert!(!s.requests()[0].had_authorization);
    }

    #[test]
    fn retry_after_formats() {
        let at = Timestamp::from_second(784_111_777 - 60).unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(retry_after_value(RetryAfter::Seconds(5), at), "5");
        assert_eq!(
            retry_after_value(RetryAfter::HttpDate(60), at),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        let reply = rate_limited(RetryAfter::Seconds(3), at);
        assert_eq!(header(&reply, "retry-after"), Some("3"));
        // An absurd delay saturates instead of panicking.
        assert!(!retry_after_value(RetryAfter::HttpDate(u64::MAX), at).is_empty());
    }

    #[test]
    fn switches_over_http_validate_and_apply() {
        let mut s = State::seed();
        let sw = |s: &mut State, method: &str, path: &str, body: &str| {
            let reply = s.handle_switch(method, path, body.as_bytes(), now());
            (
                reply.status,
                serde_json::from_slice::<Value>(&reply.body).unwrap_or_default(),
            )
        };
        assert_eq!(
            sw(&mut s, "POST", "/_sandbox/keys/healthy/revoke", "").0,
            200
        );
        assert_eq!(
            call(&mut s, "GET", "/v1/introspect", HEALTHY_KEY, "").0,
            401
        );
        assert_eq!(
            sw(&mut s, "POST", "/_sandbox/keys/healthy/restore", "").0,
            200
        );
        assert_eq!(
            sw(&mut s, "POST", "/_sandbox/keys/nobody/revoke", "").0,
            400
        );
        let scopes = r#"{"scopes":["users:read"]}"#;
        assert_eq!(
            sw(&mut s, "POST", "/_sandbox/keys/healthy/scopes", scopes).0,
            200
        );
        assert_eq!(
            sw(
                &mut s,
                "POST",
                "/_sandbox/keys/healthy/scopes",
                r#"{"scopes":["a b"]}"#
            )
            .0,
            400
        );
        let (_, state) = sw(&mut s, "GET", "/_sandbox/state", "");
        assert_eq!(state["keys"]["healthy"]["scopes"], json!(["users:read"]));
        assert_eq!(state["keys"]["revoked"]["revoked"], true);
        assert!(
            !state.to_string().contains(HEALTHY_KEY),
            "state must not show keys"
        );

        let inst = format!(
            r#"{{"resource":"urn:pleo:company:{ACME_ID}","status":"ERROR","errorCode":"NOT_ENTITLED","locked":true}}"#
        );
        assert_eq!(sw(&mut s, "POST", "/_sandbox/installation", &inst).0, 200);
        let (_, state) = sw(&mut s, "GET", "/_sandbox/state", "");
        let urn = format!("urn:pleo:company:{ACME_ID}");
        assert_eq!(state["installations"][&urn]["locked"], true);
        assert_eq!(
            sw(
                &mut s,
                "POST",
                "/_sandbox/installation",
                r#"{"resource":"x","status":"ERROR"}"#
            )
            .0,
            400
        );
        let bad_status = format!(r#"{{"resource":"{urn}","status":"NOPE"}}"#);
        assert_eq!(
            sw(&mut s, "POST", "/_sandbox/installation", &bad_status).0,
            400
        );
        let del = format!(r#"{{"resource":"{urn}"}}"#);
        assert_eq!(
            sw(&mut s, "POST", "/_sandbox/installation/delete", &del).0,
            200
        );
        assert_eq!(s.installation_status(&urn), None);

        let faults = r#"{"rate_limit":{"retry_after_secs":5,"http_date":true,"count":3},"slow_ms":20,"malformed":{"kind":"empty","count":null},"outage":{"status":503}}"#;
        assert_eq!(sw(&mut s, "POST", "/_sandbox/faults", faults).0, 200);
        let (_, state) = sw(&mut s, "GET", "/_sandbox/state", "");
        assert_eq!(
            state["faults"]["rate_limit"],
            json!({"retry_after_secs":5,"http_date":true,"count":3})
        );
        assert_eq!(state["faults"]["slow_ms"], 20);
        assert_eq!(state["faults"]["malformed"]["kind"], "empty");
        assert_eq!(
            sw(&mut s, "POST", "/_sandbox/faults", r#"{"rate_limit":null}"#).0,
            200
        );
        for bad in [
            r#"{"outage":{"status":404}}"#,
            r#"{"malformed":{"kind":"odd"}}"#,
            r#"{"typo":1}"#,
            "[]",
        ] {
            assert_eq!(sw(&mut s, "POST", "/_sandbox/faults", bad).0, 400, "{bad}");
        }
        let (_, state) = sw(&mut s, "GET", "/_sandbox/state", "");
        assert!(state["faults"]["rate_limit"].is_null());
        assert_eq!(sw(&mut s, "POST", "/_sandbox/faults/clear", "").0, 200);
        assert_eq!(s.slow_delay(), None);

        assert_eq!(sw(&mut s, "POST", "/_sandbox/reset", "").0, 200);
        let (_, state) = sw(&mut s, "GET", "/_sandbox/state", "");
        assert_eq!(
            state["keys"]["healthy"]["scopes"].as_array().map(Vec::len),
            Some(5)
        );
        assert_eq!(sw(&mut s, "GET", "/_sandbox/nothing", "").0, 404);
        assert_eq!(sw(&mut s, "GET", "/_sandbox/_sandbox/state", "").0, 404);
        assert_eq!(sw(&mut s, "POST", "/_sandbox/state", "").0, 405);
        assert_eq!(s.request_count(), 1, "switches are not API requests");
    }

    #[test]
    fn query_parsing() {
        assert_eq!(
            query_param(Some("a=1&b=x%2Fy+z"), "b").as_deref(),
            Some("x/y z")
        );
        assert_eq!(query_param(Some("a=%zz"), "a").as_deref(), Some("%zz"));
        assert_eq!(query_param(Some("a"), "a").as_deref(), Some(""));
        assert_eq!(query_param(None, "a"), None);
        assert_eq!(decode_cursor(&encode_cursor(1234)), Some(1234));
        assert_eq!(decode_cursor("SBX"), None);
        assert_eq!(decode_cursor("SBXZ"), None);
    }
}
