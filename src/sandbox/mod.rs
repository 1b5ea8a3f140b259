//! The built-in sandbox: a local fake of Pleo's External API over real HTTP on 127.0.0.1, seeded with
//! demo companies and keys, with switches (in Rust and under `/_sandbox/`) that revoke keys, change
//! installations and inject faults. pleo-api.md §12 is its contract.

mod demo;
mod http;
mod model;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub use demo::*;

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    control: SandboxControl,
    task: tokio::task::JoinHandle<()>,
}

impl Sandbox {
    /// Bind 127.0.0.1:port (0 = random), seed the demo data, serve in a tokio task.
    pub async fn start(port: u16) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let control = SandboxControl {
            state: Arc::new(Mutex::new(model::State::seed())),
        };
        let task = tokio::spawn(http::serve(listener, control.clone()));
        Ok(Sandbox {
            addr,
            control,
            task,
        })
    }

    /// "http://127.0.0.1:PORT", without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A handle on the shared state, usable from any thread.
    pub fn control(&self) -> SandboxControl {
        self.control.clone()
    }

    /// Human text for `pleo-keys sandbox`: the URL, the demo keys (public fakes, so printed in
    /// full on purpose) and the switches as curl commands.
    pub fn describe(&self) -> String {
        describe_at(&self.url())
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // The accept task owns the connection tasks (a JoinSet), so this stops them all.
        self.task.abort();
    }
}

fn describe_at(url: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Pleo sandbox (a local fake of Pleo's External API) at {url}\n\n"
    ));
    out.push_str("Demo keys (public fakes, safe to copy):\n");
    let width = DEMO_KEYS.iter().map(|k| k.name.len()).max().unwrap_or(0);
    for k in DEMO_KEYS {
        out.push_str(&format!(
            "  {:width$}  {}\n  {:width$}  {}\n",
            k.name, k.key, "", k.shows
        ));
    }
    out.push_str("\nCompanies:\n");
    for c in DEMO_COMPANIES {
        out.push_str(&format!(
            "  {:22} {}  (organisation {})\n",
            c.name, c.id, c.organization_id
        ));
    }
    out.push_str(&format!(
        "  (organisation {NORTHWIND_ORG_ID} is {NORTHWIND_ORG_NAME})\n"
    ));
    let json = "-H 'Content-Type: application/json'";
    let post = |path: &str, body: Option<&str>| match body {
        Some(b) => format!("  curl -s -X POST {url}/_sandbox/{path} {json} -d '{b}'\n"),
        None => format!("  curl -s -X POST {url}/_sandbox/{path}\n"),
    };
    out.push_str(&format!(
        "\nTry it:\n  curl -s -u '{HEALTHY_KEY}:' {url}/v1/introspect\n"
    ));
    out.push_str("\nSwitches (no auth needed):\n");
    out.push_str(&format!("  curl -s {url}/_sandbox/state\n"));
    out.push_str(&post("keys/healthy/revoke", None));
    out.push_str(&post("keys/healthy/expire", None));
    out.push_str(&post("keys/healthy/restore", None));
    out.push_str(&post(
        "keys/healthy/scopes",
        Some(
            r#"{"scopes":["export-jobs:read","export-items:read","companies:read","users:read"]}"#,
        ),
    ));
    out.push_str(&post(
        "installation",
        Some(&format!(
            r#"{{"resource":"urn:pleo:company:{ACME_ID}","status":"ERROR","errorCode":"NOT_ENTITLED","locked":true}}"#
        )),
    ));
    out.push_str(&post(
        "installation/delete",
        Some(&format!(r#"{{"resource":"urn:pleo:company:{ACME_ID}"}}"#)),
    ));
    out.push_str(&post(
        "faults",
        Some(r#"{"rate_limit":{"retry_after_secs":5,"http_date":false,"count":3}}"#),
    ));
    out.push_str(&post(
        "faults",
        Some(r#"{"outage":{"status":503,"count":null}}"#),
    ));
    out.push_str(&post(
        "faults",
        Some(r#"{"outage":{"status":502,"count":2}}"#),
    ));
    out.push_str(&post("faults", Some(r#"{"slow_ms":2000}"#)));
    out.push_str(&post(
        "faults",
        Some(r#"{"malformed":{"kind":"not_json","count":1}}"#),
    ));
    out.push_str(&post("faults/clear", None));
    out.push_str(&post("reset", None));
    out.push_str(
        "\nFault counts run down per affected request (null = until cleared); a fault set to null is cleared.\n\
         Rejected keys answer one generic 401; the fake-only header X-Sandbox-Reason says why.\n",
    );
    out
}

/// A handle on the sandbox's state: the switches, from Rust.
#[derive(Clone)]
pub struct SandboxControl {
    state: Arc<Mutex<model::State>>,
}

impl SandboxControl {
    fn lock(&self) -> MutexGuard<'_, model::State> {
        // A panic elsewhere must not take the sandbox down with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Revoke a key (by key string); an unknown key is a no-op.
    pub fn revoke(&self, key: &str) {
        self.lock().revoke(key);
    }

    pub fn expire(&self, key: &str) {
        self.lock().expire(key);
    }

    /// Un-revoke and un-expire.
    pub fn restore(&self, key: &str) {
        self.lock().restore(key);
    }

    pub fn set_scopes(&self, key: &str, scopes: &[&str]) {
        self.lock().set_scopes(key, scopes);
    }

    pub fn remove_scope(&self, key: &str, scope: &str) {
        self.lock().remove_scope(key, scope);
    }

    /// Set (creating if absent) the installation of a company or organisation URN. While `locked`,
    /// client POST/PUT/:activate answer 200 with the installation unchanged. The status and error
    /// code are taken as given (not checked against the enums), so odd values can be tested.
    pub fn set_installation(
        &self,
        resource: &str,
        status: &str,
        error_code: Option<&str>,
        locked: bool,
    ) {
        self.lock()
            .set_installation(resource, status, error_code, locked, jiff::Timestamp::now());
    }

    pub fn delete_installation(&self, resource: &str) {
        self.lock().delete_installation(resource);
    }

    pub fn installation_status(&self, resource: &str) -> Option<String> {
        self.lock().installation_status(resource)
    }

    /// Answer the next `count` API requests (None = until cleared) with 429 + Retry-After.
    pub fn rate_limit(&self, retry_after: RetryAfter, count: Option<u32>) {
        self.lock().rate_limit(retry_after, count);
    }

    /// Answer the next `count` API requests (None = until cleared) with this 5xx status.
    pub fn outage(&self, status: u16, count: Option<u32>) {
        self.lock().outage(status, count);
    }

    /// Wait this long before every API answer (None or zero = no delay).
    pub fn slow(&self, delay: Option<Duration>) {
        self.lock().slow(delay);
    }

    /// Replace the body of the next `count` 200 answers (None = until cleared).
    pub fn malformed(&self, kind: Option<Malformed>, count: Option<u32>) {
        self.lock().malformed(kind, count);
    }

    pub fn clear_faults(&self) {
        self.lock().clear_faults();
    }

    /// Faults, keys and installations back to the seed (the request log is kept).
    pub fn reset(&self) {
        self.lock().reset();
    }

    /// Every API request seen (not `/_sandbox/`), in order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.lock().requests()
    }

    pub fn request_count(&self) -> usize {
        self.lock().request_count()
    }
}

/// How a 429 states when to retry.
#[derive(Clone, Copy, Debug)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`
    Seconds(u64),
    /// `Retry-After: <IMF-fixdate>`, this many seconds from now.
    HttpDate(u64),
}

/// What a malformed 200 carries.
#[derive(Clone, Copy, Debug)]
pub enum Malformed {
    /// Truncated JSON.
    NotJson,
    /// Valid JSON of the wrong shape.
    WrongShape,
    /// No body at all.
    Empty,
}

/// One API request as the sandbox saw it. Never holds headers or bodies.
#[derive(Clone, Debug)]
pub struct SeenRequest {
    pub method: String,
    pub path_and_query: String,
    pub had_authorization: bool,
    pub status: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_lists_keys_and_switches() {
        let text = describe_at("http://127.0.0.1:1234");
        for k in DEMO_KEYS {
            assert!(text.contains(k.key) && text.contains(k.name), "{}", k.name);
        }
        assert!(text.contains("curl -s http://127.0.0.1:1234/_sandbox/state"));
        assert!(text.contains("/_sandbox/faults/clear"));
    }
}
