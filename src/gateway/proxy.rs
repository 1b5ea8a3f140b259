//! One proxied request: the local token checked, the lifecycle's gate, the company scope, then
//! Pleo with the stored key; Pleo's answer goes back unchanged. Whatever the proxy refuses is
//! answered by the proxy itself, with nothing sent to Pleo.

use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use std::sync::Arc;
use std::time::Instant;

use super::Gateway;
use super::current::Gate;
use super::scope;
use crate::pleo::PleoClient;
use crate::pleo::client::MAX_BODY_BYTES;
use crate::store::history::{CallEntry, CallSource};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// Request bodies above this are refused (413): the client's own cap.
pub const MAX_REQUEST_BODY: usize = MAX_BODY_BYTES;
/// Answers above this are cut off: big export pages pass, a runaway stream does not.
pub const MAX_RESPONSE_BODY: usize = 64 * MAX_BODY_BYTES;
/// How long a request waits for a key replacement in progress to settle.
pub const HOLD_DURING_REPLACEMENT: std::time::Duration = std::time::Duration::from_secs(15);
/// A 403 body is read (up to this) to see whether it names a missing scope.
const MAX_FORBIDDEN_BODY: usize = 64 * 1024;

/// Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "upgrade",
];

impl Gateway {
    /// Answer one request. Never fails: every problem is an answer.
    pub async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Response<Body> {
        let path = req.uri().path().to_string();
        if req.method() == hyper::Method::GET && path == "/healthz" {
            return self.healthz();
        }
        if req.method() == hyper::Method::GET && path == "/metrics" {
            return self.metrics_page();
        }
        let started = Instant::now();
        let at = jiff::Timestamp::now();
        let method = req.method().as_str().to_string();
        let shown_path = match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        };
        // Answered here, counted and recorded; nothing goes to Pleo.
        let refused = |kind: &'static str| {
            self.metrics.refused(kind);
            self.record(CallEntry {
                at,
                source: CallSource::Proxy,
                pid: std::process::id(),
                method: method.clone(),
                path: shown_path.clone(),
                status: None,
                failure: None,
                refused: Some(kind.to_string()),
                latency_us: micros(started),
                error: None,
                retry_after_secs: None,
                run: None,
            });
        };
        let refuse = |kind: &'static str, status: StatusCode, message: String| {
            refused(kind);
            error(status, kind, &message, None)
        };

        let auth = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes());
        if !self.token().accepts(auth) {
            return refuse(
                "PROXY_UNAUTHORIZED",
                StatusCode::UNAUTHORIZED,
                "Send the proxy's token (proxy.token in the pleo-keys state folder) as the API key: Basic base64(token:) or Bearer token".into(),
            );
        }
        if !path.starts_with('/') || req.uri().authority().is_some() {
            return refuse(
                "BAD_REQUEST",
                StatusCode::BAD_REQUEST,
                "Send a path like /v3/export-jobs; this is not a forward proxy".into(),
            );
        }
        let current = self.hold_while_replacing().await;
        let (key, company) = match (&current.gate, &current.key, current.company()) {
            (Gate::Open, Some(key), Some(company)) => (key.clone(), company),
            (
                Gate::Closed {
                    reason,
                    message,
                    retry_after,
                },
                _,
                _,
            ) => {
                let kind = "INTEGRATION_NOT_ACTIVE";
                refused(kind);
                let mut resp = error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    kind,
                    message,
                    Some(reason.as_str()),
                );
                if let Some(secs) = retry_after {
                    resp.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(*secs));
                }
                return resp;
            }
            _ => {
                return refuse(
                    "INTEGRATION_NOT_ACTIVE",
                    StatusCode::SERVICE_UNAVAILABLE,
                    "No usable key is stored".into(),
                );
            }
        };

        let (parts, body) = req.into_parts();
        let body = match Limited::new(body, MAX_REQUEST_BODY).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                let mut resp = refuse(
                    "PAYLOAD_TOO_LARGE",
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "Request bodies are limited to {} KiB",
                        MAX_REQUEST_BODY / 1024
                    ),
                );
                // The rest of the body is never read: this connection cannot carry another request.
                resp.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                return resp;
            }
            Err(_) => {
                return refuse(
                    "BAD_REQUEST",
                    StatusCode::BAD_REQUEST,
                    "The request body could not be read".into(),
                );
            }
        };
        let add_to = current.is_organisation_key().then_some(&self.params);
        let scoped = match scope::scope(&path, parts.uri.query(), &body, company, add_to) {
            Ok(s) => s,
            Err(v) => {
                return refuse(
                    "COMPANY_SCOPE_VIOLATION",
                    StatusCode::FORBIDDEN,
                    format!(
                        "{} {:?} is not the connected company {company}: requests are scoped to it and never sent with another company's id",
                        v.field, v.value
                    ),
                );
            }
        };
        let target = scoped.target(&path);
        let url = self.engine.endpoint.url(&target);
        let mut upstream = self.http.request(parts.method.clone(), url);
        upstream = upstream.headers(end_to_end(&parts.headers));
        match PleoClient::authorization(&key) {
            Ok(auth) => upstream = upstream.header(header::AUTHORIZATION, auth),
            Err(_) => {
                return refuse(
                    "INTEGRATION_NOT_ACTIVE",
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The stored key cannot be sent as an HTTP header".into(),
                );
            }
        }
        if !body.is_empty() {
            upstream = upstream.body(body);
        }
        let answer = upstream.send().await;
        let latency = started.elapsed();
        let entry = |status: Option<u16>, failure: Option<String>| CallEntry {
            at,
            source: CallSource::Proxy,
            pid: std::process::id(),
            method: method.clone(),
            path: target.clone(),
            status,
            failure,
            refused: None,
            latency_us: u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
            error: None,
            retry_after_secs: None,
            run: None,
        };
        let resp = match answer {
            Ok(resp) => resp,
            Err(e) => {
                let err = crate::pleo::ApiError::from_reqwest(&e);
                self.metrics.forwarded(None, latency);
                self.record(entry(None, Some(err.class().to_string())));
                return error(
                    StatusCode::BAD_GATEWAY,
                    "UPSTREAM_UNAVAILABLE",
                    &format!("Pleo could not be reached: {err}"),
                    None,
                );
            }
        };
        let status = resp.status();
        self.metrics.forwarded(Some(status.as_u16()), latency);
        self.record(entry(Some(status.as_u16()), None));
        if status == StatusCode::UNAUTHORIZED {
            // Pleo refused the key on live traffic: check now, not at the next scheduled check.
            self.revalidate_soon("Pleo answered 401 to proxied traffic");
        }
        let mut out = Response::builder().status(status);
        if let Some(headers) = out.headers_mut() {
            *headers = end_to_end(resp.headers());
        }
        let body: Body = if status == StatusCode::FORBIDDEN {
            let bytes = Limited::new(reqwest::Body::from(resp), MAX_FORBIDDEN_BODY)
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            self.note_forbidden(&bytes);
            full(bytes)
        } else {
            Limited::new(reqwest::Body::from(resp), MAX_RESPONSE_BODY).boxed_unsync()
        };
        out.body(body).unwrap_or_else(|_| {
            error(
                StatusCode::BAD_GATEWAY,
                "BAD_GATEWAY",
                "bad upstream headers",
                None,
            )
        })
    }

    /// While another process replaces the key, hold the request (up to
    /// [`HOLD_DURING_REPLACEMENT`]) and then serve it with whatever was committed: a rotation
    /// fails no request. An interrupted replacement is settled by a check.
    async fn hold_while_replacing(self: &Arc<Self>) -> Arc<super::current::Current> {
        let deadline = tokio::time::Instant::now() + HOLD_DURING_REPLACEMENT;
        loop {
            let current = self.current();
            let pending = matches!(
                current.outcome.lifecycle,
                crate::lifecycle::Lifecycle::ReplacementPending { .. }
            );
            if !pending || tokio::time::Instant::now() >= deadline {
                return current;
            }
            let marker = self.engine.home.load::<crate::store::Replacement>();
            match marker {
                Ok(Some(m)) if m.is_stale() => self.revalidate_soon("an interrupted replacement"),
                // Settled already; the watch has not told us yet.
                Ok(None) => self.reload().await,
                _ => {}
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// A 403 that names a missing scope: counted, logged, and the key checked again (its
    /// scopes may have been cut in Pleo).
    fn note_forbidden(self: &Arc<Self>, body: &[u8]) {
        let text = String::from_utf8_lossy(body);
        if text.to_ascii_lowercase().contains("scope") {
            self.metrics.scope_denied();
            let message = crate::domain::sanitize(&text, 200);
            tracing::warn!(%message, "Pleo refused proxied traffic for a missing scope");
            self.audit_scope_denied(message);
            self.revalidate_soon("Pleo answered 403 naming a scope");
        }
    }

    fn record(&self, entry: CallEntry) {
        if let Err(e) = self.history.append(&entry) {
            tracing::debug!(error = %e, "could not append to the call history");
        }
    }

    fn healthz(&self) -> Response<Body> {
        let current = self.current();
        let open = current.gate == Gate::Open;
        let outcome = &current.outcome;
        let body = serde_json::json!({
            "status": if open { "ok" } else { "not_active" },
            "reason": outcome.reason.as_str(),
            "message": outcome.lifecycle.headline(),
            "company_id": current.company().map(|c| c.to_string()),
        });
        let status = if open {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        json(status, &body)
    }

    fn metrics_page(&self) -> Response<Body> {
        let mut text = String::new();
        super::metrics::lifecycle_series(&self.current().outcome, &mut text);
        self.metrics.render(&mut text);
        let mut resp = Response::new(full(Bytes::from(text)));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        );
        resp
    }
}

fn micros(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// The headers worth forwarding: no hop-by-hop ones (nor those `Connection` names), no
/// credentials, no `Host` or length (the client sets them for the new connection).
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let named_by_connection: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .collect();
    let mut out = HeaderMap::new();
    for (name, value) in headers {
        let n = name.as_str();
        let dropped = HOP_BY_HOP.contains(&n)
            || named_by_connection.iter().any(|c| c == n)
            || name == header::AUTHORIZATION
            || name == header::HOST
            || name == header::CONTENT_LENGTH
            || name == header::TRANSFER_ENCODING;
        if !dropped {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

pub fn full(bytes: Bytes) -> Body {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut resp = Response::new(full(Bytes::from(value.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The proxy's own answer, shaped like Pleo's errors (`type`, `message`); a refusal by the gate
/// also names the lifecycle's reason code, in the body and a header.
pub fn error(
    status: StatusCode,
    kind: &str,
    message: &str,
    reason: Option<&str>,
) -> Response<Body> {
    let mut body = serde_json::json!({ "type": kind, "message": message });
    if let Some(reason) = reason {
        body["reason"] = reason.into();
    }
    let mut resp = json(status, &body);
    if let Some(v) = reason.and_then(|r| HeaderValue::from_str(r).ok()) {
        resp.headers_mut()
            .insert(HeaderName::from_static("x-pleo-keys-reason"), v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_credentials_and_named_headers_are_dropped() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic x"));
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("close, x-secret"),
        );
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("5"));
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1"));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h.insert("idempotency-key", HeaderValue::from_static("abc"));
        let out = end_to_end(&h);
        let names: Vec<_> = out.keys().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(out.contains_key(header::CONTENT_TYPE));
        assert!(out.contains_key("idempotency-key"));
    }
}
