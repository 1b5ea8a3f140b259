//! Everything the sandbox knows (keys, installations, export jobs, faults, the request log) and the
//! mutators `SandboxControl` and the switches share.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::Behaviour;
use super::api::installations::Installation;
use super::auth::{KeyState, subject_urn};
use super::faults::{Faults, counted};
use super::{Malformed, RetryAfter, SeenRequest};

/// Requests kept in the sandbox's log.
pub(crate) const MAX_SEEN: usize = 10_000;

/// Everything the sandbox knows. Guarded by one mutex in `SandboxControl`.
pub(crate) struct State {
    pub(crate) keys: Vec<KeyState>,
    /// Keyed by resource URN.
    pub(crate) installations: BTreeMap<String, Installation>,
    pub(crate) faults: Faults,
    pub(crate) behaviour: Behaviour,
    /// Export jobs created through `POST /v3/export-jobs`.
    pub(crate) created_jobs: Vec<Value>,
    /// The newest `MAX_SEEN` requests: in `--sandbox` mode this lives in the dashboard's process.
    requests: VecDeque<SeenRequest>,
    /// Every API request ever answered, including those dropped from `requests`.
    request_total: usize,
}

/// Millisecond precision keeps the timestamps short and still tells updates apart.
pub(crate) fn stamp(now: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now)
}

impl State {
    pub(crate) fn seed() -> State {
        State {
            keys: KeyState::seeded(),
            installations: BTreeMap::new(),
            faults: Faults::default(),
            behaviour: Behaviour::default(),
            created_jobs: Vec::new(),
            requests: VecDeque::new(),
            request_total: 0,
        }
    }

    fn key_mut(&mut self, key: &str) -> Option<&mut KeyState> {
        self.keys.iter_mut().find(|k| k.key == key)
    }

    pub(crate) fn key_by_name_mut(&mut self, name: &str) -> Option<&mut KeyState> {
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

    /// The key as seeded: not revoked or expired, with its scopes back. (A key seeded as
    /// revoked comes back usable: restoring means "make it work again".)
    pub(crate) fn restore(&mut self, key: &str) {
        let seeded = KeyState::seeded().into_iter().find(|k| k.key == key);
        if let Some(k) = self.key_mut(key) {
            k.revoked = false;
            k.expired = false;
            if let Some(seeded) = seeded {
                k.scopes = seeded.scopes;
            }
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

    /// Add one answered API request to the bounded log.
    pub(crate) fn record(&mut self, seen: SeenRequest) {
        if self.requests.len() == MAX_SEEN {
            self.requests.pop_front();
        }
        self.requests.push_back(seen);
        self.request_total += 1;
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
                let value = json!({
                    "last4": k.last4(),
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
        json!({
            "keys": keys,
            "installations": installations,
            "faults": self.faults.to_json(),
            "behaviour": self.behaviour.to_json(),
            "requestCount": self.request_total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::demo::*;
    use crate::sandbox::testing::now;

    fn seen(n: usize) -> SeenRequest {
        SeenRequest {
            method: "GET".to_owned(),
            path_and_query: format!("/v1/introspect?n={n}"),
            had_authorization: false,
            status: 401,
            key_name: None,
            body: None,
        }
    }

    #[test]
    fn the_log_is_bounded_and_survives_reset() {
        let mut s = State::seed();
        for n in 0..MAX_SEEN + 3 {
            s.record(seen(n));
        }
        let log = s.requests();
        assert_eq!(log.len(), MAX_SEEN);
        assert_eq!(log[0].path_and_query, "/v1/introspect?n=3");
        assert_eq!(s.request_count(), MAX_SEEN + 3);
        s.revoke(HEALTHY_KEY);
        s.reset();
        assert_eq!(s.request_count(), MAX_SEEN + 3);
        assert_eq!(s.requests().len(), MAX_SEEN);
        assert!(s.keys.iter().all(|k| k.revoked == (k.key == REVOKED_KEY)));
    }

    #[test]
    fn key_and_installation_mutators() {
        let mut s = State::seed();
        let urn = format!("urn:pleo:company:{ACME_ID}");
        s.set_installation(&urn, "ERROR", Some("NOT_ENTITLED"), true, now());
        assert_eq!(s.installation_status(&urn).as_deref(), Some("ERROR"));
        s.delete_installation(&urn);
        assert_eq!(s.installation_status(&urn), None);
        s.set_scopes(HEALTHY_KEY, &["a:b", "c:d"]);
        s.remove_scope(HEALTHY_KEY, "a:b");
        s.expire(HEALTHY_KEY);
        let state = s.state_json();
        assert_eq!(state["keys"]["healthy"]["scopes"], json!(["c:d"]));
        assert_eq!(state["keys"]["healthy"]["expired"], true);
        assert_eq!(state["keys"]["healthy"]["last4"], "d21a4"[1..]);
        s.restore("pls_not_a_demo_key");
        s.slow(Some(Duration::ZERO));
        assert_eq!(s.slow_delay(), None);
    }
}
