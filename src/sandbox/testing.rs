//! Helpers for the sandbox's unit tests: calling the API and the switches without a socket.

use base64::Engine as _;
use jiff::Timestamp;
use serde_json::Value;

use super::api::ApiRequest;
use super::reply::Reply;
use super::state::State;

pub(crate) fn basic(key: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
    format!("Basic {token}")
}

pub(crate) fn now() -> Timestamp {
    Timestamp::from_second(1_700_000_000).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub(crate) fn call_raw(
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
pub(crate) fn call(
    state: &mut State,
    method: &str,
    path: &str,
    key: &str,
    body: &str,
) -> (u16, Value) {
    let reply = call_raw(state, method, path, Some(&basic(key)), body);
    let value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    (reply.status, value)
}

/// The whole reply to a bodiless call as `key`.
pub(crate) fn reply_of(state: &mut State, method: &str, path: &str, key: &str) -> Reply {
    call_raw(state, method, path, Some(&basic(key)), "")
}

/// Call as `key`; the status and the `type` of Pleo's error (empty when there is none).
pub(crate) fn error_of(
    state: &mut State,
    method: &str,
    path: &str,
    key: &str,
    body: &str,
) -> (u16, String) {
    let (status, value) = call(state, method, path, key, body);
    (
        status,
        value["type"].as_str().unwrap_or_default().to_owned(),
    )
}

/// The status a bodiless call as `key` gets.
pub(crate) fn status_of(state: &mut State, method: &str, path: &str, key: &str) -> u16 {
    call(state, method, path, key, "").0
}

/// A switch over "HTTP"; the status and JSON body.
pub(crate) fn switch(state: &mut State, method: &str, path: &str, body: &str) -> (u16, Value) {
    let reply = state.handle_switch(method, path, body.as_bytes(), now());
    let value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    (reply.status, value)
}
