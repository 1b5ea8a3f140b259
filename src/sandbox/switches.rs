//! The `/_sandbox/*` switches over HTTP: routing, body parsing and validation. They change the same
//! state `SandboxControl` does. No auth: the sandbox only listens on 127.0.0.1.

use std::time::Duration;

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;

use super::api::body::{ERROR_CODES, STATUSES};
use super::demo::KEY_SEEDS;
use super::faults::{FaultChange, malformed_by_name};
use super::reply::Reply;
use super::state::State;
use super::{Behaviour, RetryAfter};

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictBody {
    strict: bool,
}

/// A resource URN the switches accept: `urn:pleo:company:<uuid>` or `urn:pleo:organization:<uuid>`.
fn valid_resource(resource: &str) -> bool {
    let id = resource
        .strip_prefix("urn:pleo:company:")
        .or_else(|| resource.strip_prefix("urn:pleo:organization:"));
    id.is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
}

/// One field of a switch body; null means "clear".
fn parse_field<T: for<'de> Deserialize<'de>>(name: &str, v: Value) -> Result<Option<T>, Reply> {
    if v.is_null() {
        return Ok(None);
    }
    serde_json::from_value(v)
        .map(Some)
        .map_err(|e| Reply::bad_switch(&format!("{name}: {e}")))
}

fn body_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Reply::bad_switch("body must be a JSON object")),
    }
}

fn fault_changes(body: &[u8]) -> Result<Vec<FaultChange>, Reply> {
    let mut changes = Vec::new();
    for (name, v) in body_object(body)? {
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
            "slow_ms" => {
                FaultChange::Slow(parse_field::<u64>(&name, v)?.map(Duration::from_millis))
            }
            "malformed" => match parse_field::<MalformedBody>(&name, v)? {
                None => FaultChange::Malformed(None),
                Some(b) => {
                    let kind = malformed_by_name(&b.kind).ok_or_else(|| {
                        Reply::bad_switch("malformed.kind must be not_json, wrong_shape or empty")
                    })?;
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

/// `POST /_sandbox/behaviour`: the behaviour after the body's changes, each field optional.
fn behaviour_changes(body: &[u8], mut b: Behaviour) -> Result<Behaviour, Reply> {
    for (name, v) in body_object(body)? {
        b.set(&name, &v)
            .map_err(|e| Reply::bad_switch(&format!("{name}: {e}")))?;
    }
    Ok(b)
}

fn parse_switch_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Reply> {
    serde_json::from_slice(body).map_err(|e| Reply::bad_switch(&format!("bad body: {e}")))
}

/// The method a known switch path takes, None for an unknown path.
fn switch_method(parts: &[&str]) -> Option<&'static str> {
    match parts {
        ["state"] => Some("GET"),
        ["keys", _, "revoke" | "expire" | "restore" | "scopes"]
        | ["installation"]
        | ["installation", "delete"]
        | ["faults"]
        | ["faults", "clear"]
        | ["strict"]
        | ["behaviour"]
        | ["reset"] => Some("POST"),
        _ => None,
    }
}

impl State {
    /// Answer one `/_sandbox/*` request.
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
        let Some(expected) = switch_method(&parts) else {
            return Reply::error(
                404,
                "NOT_FOUND",
                "Unknown sandbox switch; GET /_sandbox/state lists the state",
            );
        };
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
            // All or nothing: every change is checked before any applies.
            ["faults"] => fault_changes(body).map(|changes| {
                for change in changes {
                    self.faults.apply(change);
                }
            }),
            ["strict"] => parse_switch_body::<StrictBody>(body).map(|b| {
                self.behaviour.strict = b.strict;
            }),
            // All or nothing, like the faults.
            ["behaviour"] => behaviour_changes(body, self.behaviour).map(|b| {
                self.behaviour = b;
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
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::sandbox::demo::*;
    use crate::sandbox::state::State;
    use crate::sandbox::testing::*;

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
        assert_eq!(status_of(&mut s, "GET", "/v1/introspect", HEALTHY_KEY), 401);
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
    fn behaviour_switches_are_all_or_nothing() {
        let mut s = State::seed();
        assert_eq!(
            switch(&mut s, "POST", "/_sandbox/strict", r#"{"strict":true}"#).0,
            200
        );
        assert!(s.behaviour.strict);
        assert_eq!(
            switch(&mut s, "GET", "/_sandbox/state", "").1["behaviour"]["strict"],
            true
        );
        for bad in [r#"{"strict":"yes"}"#, "{}", r#"{"strict":false,"x":1}"#, ""] {
            assert_eq!(
                switch(&mut s, "POST", "/_sandbox/strict", bad).0,
                400,
                "{bad}"
            );
        }
        assert!(s.behaviour.strict);
        let (status, body) = switch(
            &mut s,
            "POST",
            "/_sandbox/behaviour",
            r#"{"strict":false,"nope":1}"#,
        );
        assert_eq!(status, 400);
        assert!(body["message"].as_str().is_some_and(|m| m.contains("nope")));
        assert!(s.behaviour.strict, "a refused body changes nothing");
        assert_eq!(
            switch(&mut s, "POST", "/_sandbox/behaviour", r#"{"strict":false}"#).0,
            200
        );
        assert!(!s.behaviour.strict);
        s.behaviour.strict = true;
        assert_eq!(switch(&mut s, "POST", "/_sandbox/reset", "").0, 200);
        assert!(!s.behaviour.strict);
    }

    #[test]
    fn every_behaviour_is_settable_listed_and_reset() {
        let mut s = State::seed();
        let all = json!({
            "strict": true,
            "missing_installation": 500,
            "existing_installation": 409,
            "introspect": 403,
            "scope_separator": "comma",
            "subject_urn": false,
            "hostile_text": "controls",
        });
        let (status, _) = switch(&mut s, "POST", "/_sandbox/behaviour", &all.to_string());
        assert_eq!(status, 200);
        assert_eq!(
            switch(&mut s, "GET", "/_sandbox/state", "").1["behaviour"],
            all
        );
        assert_eq!(switch(&mut s, "POST", "/_sandbox/faults/clear", "").0, 200);
        assert_eq!(
            switch(&mut s, "GET", "/_sandbox/state", "").1["behaviour"],
            all,
            "faults/clear keeps behaviours"
        );
        assert_eq!(switch(&mut s, "POST", "/_sandbox/reset", "").0, 200);
        let state = switch(&mut s, "GET", "/_sandbox/state", "").1;
        assert_eq!(
            state["behaviour"],
            crate::sandbox::Behaviour::default().to_json()
        );
        assert_eq!(state["behaviour"]["missing_installation"], 404);
        let (status, body) = switch(
            &mut s,
            "POST",
            "/_sandbox/behaviour",
            r#"{"introspect":418}"#,
        );
        assert_eq!(status, 400);
        assert_eq!(body["message"], "introspect: expected one of 200, 404, 403");
    }
}
