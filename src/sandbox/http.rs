//! The sandbox's HTTP/1.1 server: hyper plumbing around `api` and `switches`.

use std::convert::Infallible;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::SandboxControl;
use super::api::ApiRequest;
use super::reply::Reply;

/// Request bodies above this are refused; the real API's bodies here are tiny.
const MAX_BODY: usize = 1024 * 1024;

/// Accept connections until the task is aborted. Connection tasks live in a JoinSet owned by this
/// future, so aborting it stops them too.
pub(crate) async fn serve(listener: TcpListener, control: SandboxControl) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let control = control.clone();
        connections.spawn(async move {
            let service = service_fn(move |req| handle(req, control.clone()));
            // A client hanging up mid-request is not our problem.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    req: Request<Incoming>,
    control: SandboxControl,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let reply = if e.is::<http_body_util::LengthLimitError>() {
                Reply::error(413, "PAYLOAD_TOO_LARGE", "Request body too large")
            } else {
                Reply::error(400, "BAD_REQUEST", "Could not read the request body")
            };
            return Ok(to_response(reply));
        }
    };
    let path = parts.uri.path();
    let now = jiff::Timestamp::now();
    let reply = if path == "/_sandbox" || path.starts_with("/_sandbox/") {
        control
            .lock()
            .handle_switch(parts.method.as_str(), path, &body, now)
    } else {
        // Wait without holding the lock, so the switches stay responsive.
        let delay = control.lock().slow_delay();
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        let request = ApiRequest {
            method: parts.method.as_str(),
            path,
            query: parts.uri.query(),
            authorization: parts
                .headers
                .get(hyper::header::AUTHORIZATION)
                .map(HeaderValue::as_bytes),
            body: &body,
        };
        control.lock().handle_api(&request, jiff::Timestamp::now())
    };
    Ok(to_response(reply))
}

fn to_response(reply: Reply) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if let Some(content_type) = reply.content_type {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    response
}
