//! The fault matrix: activation, revalidation and replacement against every HTTP and transport
//! fault. Each must give the right state, reason and exit code, a banner that names the next
//! action, no retry storm, no key sent to a redirect target, and an untouched state file unless
//! a full activation succeeded. HTTP faults come from a raw TCP server scripted per test.

use crate::support;

use pleo_keys::app::{self, Msg};
use pleo_keys::domain::Environment;
use pleo_keys::lifecycle::{Engine, Lifecycle, Outcome, ReplaceOptions};
use pleo_keys::pleo::{CallLog, ClientSettings};
use pleo_keys::sandbox::{self, Sandbox};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::fixtures::{active_outcome, empty_app, facts_for, key};
use support::home::TestHome;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ACME: &str = sandbox::ACME_ID;
const COBALT: &str = sandbox::COBALT_ID;

#[derive(Clone)]
enum Reply {
    Full {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// Send the head and half a body, then drop the connection.
    ResetMidBody,
    /// Accept, read, and never answer.
    Never,
    /// One byte a second.
    Trickle,
    /// A 200 with a body of this many bytes.
    Huge(usize),
}

fn json(status: u16, body: serde_json::Value) -> Reply {
    Reply::Full {
        status,
        headers: vec![("content-type", "application/json;charset=UTF-8".into())],
        body: body.to_string().into_bytes(),
    }
}

fn raw(status: u16, content_type: &str, body: &str) -> Reply {
    Reply::Full {
        status,
        headers: vec![("content-type", content_type.into())],
        body: body.as_bytes().to_vec(),
    }
}

fn introspect(subject: &str) -> Reply {
    json(
        200,
        serde_json::json!({"data": {"authMethod": "API_KEY", "clientId": "c",
        "scope": "export-jobs:read export-jobs:write export-items:read companies:read",
        "subjectURN": subject}}),
    )
}

fn installation(resource: &str, status: &str, code: Option<&str>) -> Reply {
    let mut v = serde_json::json!({"id": "123e4567-e89b-12d3-a456-426614174000",
        "applicationId": "123e4567-e89b-12d3-a456-426614174000", "resource": resource,
        "status": status, "metadata": {}, "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"});
    if let Some(c) = code {
        v["errorCode"] = c.into();
    }
    json(200, v)
}

type Script = Arc<dyn Fn(&str, &str) -> Reply + Send + Sync>;

/// A raw HTTP/1.1 server whose every answer is scripted: (method, path) -> Reply.
struct FaultServer {
    url: String,
    seen: Arc<AtomicUsize>,
    authorized: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultServer {
    async fn start(script: Script) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(AtomicUsize::new(0));
        let authorized = Arc::new(Mutex::new(Vec::new()));
        let (s, a) = (seen.clone(), authorized.clone());
        let task = tokio::spawn(async move {
            // Bounded: no test makes more than a few hundred requests.
            for _ in 0..500 {
                let Ok((conn, _)) = listener.accept().await else {
                    return;
                };
                let (s, a, script) = (s.clone(), a.clone(), script.clone());
                tokio::spawn(serve(conn, s, a, script));
            }
        });
        FaultServer {
            url,
            seen,
            authorized,
            task,
        }
    }

    fn count(&self) -> usize {
        self.seen.load(Ordering::SeqCst)
    }
}

async fn serve(
    mut conn: TcpStream,
    seen: Arc<AtomicUsize>,
    auth: Arc<Mutex<Vec<String>>>,
    script: Script,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let Ok(n) = conn.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let path = first.next().unwrap_or("").to_string();
    let mut content_length = 0usize;
    for line in lines {
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("authorization:") {
            auth.lock().unwrap().push(path.clone());
        }
    }
    let mut have = buf.len() - head_end - 4;
    while have < content_length {
        let Ok(n) = conn.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            break;
        }
        have += n;
    }
    seen.fetch_add(1, Ordering::SeqCst);
    match script(&method, &path) {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut out = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let _ = conn.write_all(out.as_bytes()).await;
            let _ = conn.write_all(&body).await;
        }
        Reply::ResetMidBody => {
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"data\": {\"auth")
                .await;
            // Dropping the socket here cuts the body short.
        }
        Reply::Never => {
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Reply::Trickle => {
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n")
                .await;
            for _ in 0..100 {
                if conn.write_all(b" ").await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        Reply::Huge(n) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {n}\r\n\r\n"
            );
            let _ = conn.write_all(head.as_bytes()).await;
            let block = vec![b' '; 64 * 1024];
            let mut sent = 0;
            while sent < n {
                if conn.write_all(&block).await.is_err() {
                    return;
                }
                sent += block.len();
            }
        }
    }
    let _ = conn.shutdown().await;
}

struct World {
    home: TestHome,
}

impl World {
    fn new() -> World {
        World {
            home: TestHome::new(),
        }
    }

    fn engine(&self, url: &str) -> Engine {
        let settings = ClientSettings {
            connect_timeout: Duration::from_millis(500),
            request_timeout: Duration::from_millis(600),
            retries: 3,
            min_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(40),
        };
        self.home
            .http_engine_with(url, &CallLog::default(), settings)
    }

    fn state(&self) -> Option<Vec<u8>> {
        self.home.state_bytes()
    }
}

/// The same reply everywhere.
fn everywhere(reply: Reply) -> Script {
    Arc::new(move |_, _| reply.clone())
}

/// `introspection` on introspect, `rest` on every other call.
fn split(introspection: Reply, rest: Reply) -> Script {
    Arc::new(move |_, path| {
        if path.starts_with("/v1/introspect") {
            introspection.clone()
        } else {
            rest.clone()
        }
    })
}

/// A fault on introspect, the first call of every procedure.
fn on_introspect(reply: Reply) -> Script {
    split(reply, json(500, serde_json::json!({"type": "UNEXPECTED"})))
}

/// The cases, with the reason and exit code each must give.
fn cases(redirect_target: &str) -> Vec<(&'static str, Script, &'static str, i32)> {
    let company = format!("urn:pleo:company:{ACME}");
    let target = redirect_target.to_string();
    vec![
        (
            "401",
            on_introspect(json(401, serde_json::json!({"type": "UNAUTHORIZED"}))),
            "key_rejected",
            2,
        ),
        (
            "403 with body",
            everywhere(json(
                403,
                serde_json::json!({"type": "ACCESS_DENIED", "message": "nope"}),
            )),
            "access_denied",
            2,
        ),
        (
            "403 without body",
            everywhere(raw(403, "text/plain", "")),
            "access_denied",
            2,
        ),
        (
            "429 Retry-After seconds",
            on_introspect(Reply::Full {
                status: 429,
                headers: vec![("retry-after", "120".into())],
                body: vec![],
            }),
            "rate_limited",
            3,
        ),
        (
            "429 Retry-After date",
            on_introspect(Reply::Full {
                status: 429,
                headers: vec![("retry-after", "Fri, 31 Dec 2100 23:59:59 GMT".into())],
                body: vec![],
            }),
            "rate_limited",
            3,
        ),
        (
            "500",
            on_introspect(json(500, serde_json::json!({"type": "INTERNAL"}))),
            "server_error",
            3,
        ),
        (
            "502 HTML",
            on_introspect(raw(
                502,
                "text/html",
                "<html><body>Bad Gateway</body></html>",
            )),
            "server_error",
            3,
        ),
        (
            "503",
            on_introspect(json(
                503,
                serde_json::json!({"type": "SERVICE_UNAVAILABLE"}),
            )),
            "server_error",
            3,
        ),
        (
            "reset mid-body",
            on_introspect(Reply::ResetMidBody),
            "unreachable",
            3,
        ),
        (
            "never answers",
            on_introspect(Reply::Never),
            "unreachable",
            3,
        ),
        ("trickles", on_introspect(Reply::Trickle), "unreachable", 3),
        (
            "malformed JSON",
            on_introspect(raw(200, "application/json", "{\"data\": {\"authMethod\"")),
            "unexpected_response",
            3,
        ),
        (
            "wrong shape",
            on_introspect(json(200, serde_json::json!({"unexpected": true}))),
            "unexpected_response",
            3,
        ),
        (
            "empty body",
            on_introspect(raw(200, "application/json", "")),
            "unexpected_response",
            3,
        ),
        (
            "64 MiB body",
            on_introspect(Reply::Huge(64 * 1024 * 1024)),
            "unexpected_response",
            3,
        ),
        (
            "302 to another host",
            on_introspect(Reply::Full {
                status: 302,
                headers: vec![("location", format!("{target}/v1/introspect"))],
                body: vec![],
            }),
            "unexpected_response",
            3,
        ),
        (
            "installation ERROR NOT_ENTITLED",
            split(
                introspect(&company),
                installation(&company, "ERROR", Some("NOT_ENTITLED")),
            ),
            "installation_inactive",
            2,
        ),
        (
            "installation ERROR AUTH_ERROR",
            split(
                introspect(&company),
                installation(&company, "ERROR", Some("AUTH_ERROR")),
            ),
            "installation_inactive",
            2,
        ),
        (
            "subject and resource disagree",
            split(
                introspect(&company),
                installation(&format!("urn:pleo:company:{COBALT}"), "ACTIVATED", None),
            ),
            "company_mismatch",
            2,
        ),
    ]
}

/// Feed an outcome to an active dashboard: the banner must name an action; transient faults keep
/// the last good facts.
fn assert_dashboard(name: &str, outcome: &Outcome) {
    let mut a = empty_app(Environment::Custom, true);
    app::update(&mut a, Msg::CheckDue);
    let good = active_outcome(facts_for(sandbox::HEALTHY_KEY, ACME, "Acme"), false);
    app::update(
        &mut a,
        Msg::CheckFinished {
            generation: 0,
            outcome: Box::new(good),
        },
    );
    app::update(&mut a, Msg::CheckDue);
    app::update(
        &mut a,
        Msg::CheckFinished {
            generation: 0,
            outcome: Box::new(outcome.clone()),
        },
    );
    let banner = a
        .banner()
        .unwrap_or_else(|| panic!("{name}: no banner for {:?}", outcome.lifecycle));
    let t = banner.text.to_lowercase();
    assert!(
        t.contains("press") || t.contains("retry"),
        "{name}: banner names no action: {}",
        banner.text
    );
    if matches!(outcome.lifecycle, Lifecycle::Degraded(_)) {
        assert_eq!(
            a.facts
                .as_ref()
                .map(|f| f.company_id.to_string())
                .as_deref(),
            Some(ACME),
            "{name}: last good facts kept"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_revalidation_activation_and_replacement() {
    let good = Sandbox::start(0).await.unwrap();
    let elsewhere = FaultServer::start(Arc::new(|_, _| introspect("urn:pleo:company:x"))).await;
    for (name, script, reason, code) in cases(&elsewhere.url) {
        // Revalidation of a committed key.
        let w = World::new();
        let committed = w
            .engine(&good.url())
            .replace_key(key(sandbox::HEALTHY_KEY), &ReplaceOptions::default())
            .await;
        assert!(committed.committed, "{name}: setup");
        let before = w.state();
        let server = FaultServer::start(script.clone()).await;
        let outcome = w.engine(&server.url).check().await;
        assert_eq!(
            (outcome.reason.as_str(), outcome.exit_code()),
            (reason, code),
            "{name}: check"
        );
        assert_eq!(
            w.state(),
            before,
            "{name}: state file changed on revalidation"
        );
        // Introspect and the installation go out together, each retried at most 3 times.
        assert!(
            server.count() <= 8,
            "{name}: {} requests on revalidation",
            server.count()
        );
        assert_dashboard(name, &outcome);

        // Replacement of that key by another.
        let seen = server.count();
        let outcome = w
            .engine(&server.url)
            .replace_key(key(sandbox::ROTATED_KEY), &ReplaceOptions::default())
            .await;
        assert_eq!(outcome.reason.as_str(), reason, "{name}: replacement");
        assert!(!outcome.committed);
        assert_eq!(
            w.state(),
            before,
            "{name}: state file changed on a failed replacement"
        );
        // The new key's run, then (unless Pleo did not answer) a check of the current key.
        assert!(
            server.count() - seen <= 12,
            "{name}: {} requests on replacement",
            server.count() - seen
        );
        assert_eq!(
            w.home.store.load().await.unwrap().unwrap().expose(),
            sandbox::HEALTHY_KEY,
            "{name}: old key kept"
        );

        // First activation in a fresh home.
        let fresh = World::new();
        let outcome = fresh
            .engine(&server.url)
            .replace_key(key(sandbox::HEALTHY_KEY), &ReplaceOptions::default())
            .await;
        assert_eq!(outcome.reason.as_str(), reason, "{name}: activation");
        assert!(
            fresh.state().is_none(),
            "{name}: a failed activation wrote state"
        );
        assert!(
            fresh.home.store.load().await.unwrap().is_none(),
            "{name}: a failed activation stored the key"
        );
    }
    assert!(
        elsewhere.authorized.lock().unwrap().is_empty(),
        "a redirect target saw the key"
    );
    assert_eq!(elsewhere.count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_everywhere() {
    let good = Sandbox::start(0).await.unwrap();
    let w = World::new();
    assert!(
        w.engine(&good.url())
            .replace_key(key(sandbox::HEALTHY_KEY), &ReplaceOptions::default())
            .await
            .committed
    );
    let before = w.state();
    let dead = "http://127.0.0.1:9";
    let outcome = w.engine(dead).check().await;
    assert_eq!(
        (outcome.reason.as_str(), outcome.exit_code()),
        ("unreachable", 3)
    );
    assert_dashboard("refused", &outcome);
    let outcome = w
        .engine(dead)
        .replace_key(key(sandbox::ROTATED_KEY), &ReplaceOptions::default())
        .await;
    assert_eq!(outcome.reason.as_str(), "unreachable");
    assert_eq!(w.state(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_installation_is_created_on_activation_and_reported_on_revalidation() {
    let company = format!("urn:pleo:company:{ACME}");
    let created = Arc::new(AtomicUsize::new(0));
    let c = created.clone();
    let script: Script = Arc::new(move |method, path| {
        if path.starts_with("/v1/introspect") {
            introspect(&company)
        } else if path.starts_with("/v1/installations/me") && method == "GET" {
            json(404, serde_json::json!({"type": "INSTALLATION_NOT_FOUND"}))
        } else if path.starts_with("/v1/installations/me") && method == "POST" {
            c.fetch_add(1, Ordering::SeqCst);
            installation(&company, "ACTIVATED", None)
        } else {
            json(
                200,
                serde_json::json!({"data": {"id": ACME, "name": "Acme", "address": {}}}),
            )
        }
    });
    let server = FaultServer::start(script).await;
    let w = World::new();
    let outcome = w
        .engine(&server.url)
        .replace_key(key(sandbox::HEALTHY_KEY), &ReplaceOptions::default())
        .await;
    assert!(outcome.committed, "{:?}", outcome.steps);
    assert_eq!(created.load(Ordering::SeqCst), 1);
    let before = w.state();
    let outcome = w.engine(&server.url).check().await;
    assert_eq!(outcome.reason.as_str(), "installation_inactive");
    assert_eq!(
        created.load(Ordering::SeqCst),
        1,
        "revalidation never re-creates"
    );
    assert_eq!(w.state(), before);
}
