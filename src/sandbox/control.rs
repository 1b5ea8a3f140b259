//! `SandboxControl`, the switches from Rust, and the public types they speak.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::Behaviour;
use super::state::State;

/// A handle on the sandbox's state: the switches, from Rust.
#[derive(Clone)]
pub struct SandboxControl {
    state: Arc<Mutex<State>>,
}

impl SandboxControl {
    pub(crate) fn new(state: State) -> SandboxControl {
        SandboxControl {
            state: Arc::new(Mutex::new(state)),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
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

    /// Change the behaviour switches (see [`Behaviour`]: strict parameters, what a missing or
    /// existing installation answers, introspect's shape, hostile text), e.g.
    /// `control.behave(|b| b.strict = true)`.
    pub fn behave(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.lock().behaviour);
    }

    pub fn behaviour(&self) -> Behaviour {
        self.lock().behaviour
    }

    /// Faults, behaviours, keys and installations back to the seed (the request log is kept).
    pub fn reset(&self) {
        self.lock().reset();
    }

    /// The API requests seen (not `/_sandbox/`), oldest first; the newest 10,000 are kept.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.lock().requests()
    }

    /// Every API request ever answered, including those the log no longer holds.
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

/// One API request as the sandbox saw it. Never holds headers or a key.
#[derive(Clone, Debug)]
pub struct SeenRequest {
    pub method: String,
    pub path_and_query: String,
    pub had_authorization: bool,
    pub status: u16,
    /// The name of the demo key that authenticated (see `DEMO_KEYS`), None when none did (no or a
    /// bad key, or a fault answered first).
    pub key_name: Option<&'static str>,
    /// The request body, when there was one, it parsed as JSON and it was at most 64 KiB. The API's
    /// bodies never hold keys.
    pub body: Option<serde_json::Value>,
}
