//! The Pleo client against per-test fakes (wiremock): headers, classification, retries, limits.

use pleo_keys::domain::{CompanyId, Environment};
use pleo_keys::pleo::{
    ApiError, CallLog, CallOutcome, CallRecord, ClientSettings, Endpoint, InstallationCall,
    PleoApi, PleoClient,
};
use pleo_keys::secret::ApiKey;
use std::time::Duration;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// What a case expects of the error.
type Expect = fn(&ApiError) -> bool;

const KEY: &str = "pls_0123456789abcdef0123456789abcdef_620d75";

fn fast() -> ClientSettings {
    ClientSettings {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        retries: 2,
        min_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    }
}

fn client(server: &MockServer, calls: &CallLog) -> PleoClient {
    PleoClient::new(
        Endpoint::custom(&server.uri(), Environment::Custom).unwrap(),
        fast(),
        calls.clone(),
    )
    .unwrap()
}

fn key() -> ApiKey {
    ApiKey::parse(KEY).unwrap().0
}

/// Every call recorded so far.
fn drain(rx: &mut tokio::sync::mpsc::UnboundedReceiver<CallRecord>) -> Vec<CallRecord> {
    let mut out = Vec::new();
    while let Ok(c) = rx.try_recv() {
        out.push(c);
    }
    out
}

/// `server` answers every introspection with `response`.
async fn answer(server: &MockServer, response: ResponseTemplate) {
    Mock::given(path("/v1/introspect"))
        .respond_with(response)
        .mount(server)
        .await;
}

/// The first `n` introspections on `server` get `response` (mocks mounted later answer after).
async fn answer_first(server: &MockServer, n: u64, response: ResponseTemplate) {
    Mock::given(path("/v1/introspect"))
        .respond_with(response)
        .up_to_n_times(n)
        .mount(server)
        .await;
}

/// A new server answering every introspection with `response`.
async fn answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    answer(&server, response).await;
    server
}

/// The error a client gets introspecting on `server`.
async fn introspect_err(server: &MockServer) -> ApiError {
    client(server, &CallLog::default())
        .introspect(&key())
        .await
        .unwrap_err()
}

/// Introspects on `server`, which must succeed: the calls the client recorded meanwhile.
async fn introspect_ok(server: &MockServer) -> Vec<CallRecord> {
    let calls = CallLog::default();
    let mut rx = calls.subscribe();
    assert!(client(server, &calls).introspect(&key()).await.is_ok());
    drain(&mut rx)
}

/// How many requests reached `server`.
async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

fn introspect_body() -> serde_json::Value {
    serde_json::json!({"data": {"authMethod": "API_KEY", "clientId": "c", "scope": "a:read b:write",
        "subjectURN": "urn:pleo:company:11111111-1111-4111-8111-111111111111"}})
}

/// A successful introspection.
fn introspected() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(introspect_body())
}

#[tokio::test]
async fn sends_basic_auth_with_the_key_as_user_and_a_user_agent() {
    let server = MockServer::start().await;
    // base64("pls_…:") — the key, a colon, an empty password.
    let expected = "Basic cGxzXzAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmXzYyMGQ3NTo=";
    Mock::given(method("GET"))
        .and(path("/v1/introspect"))
        .and(header("authorization", expected))
        .respond_with(ResponseTemplate::new(200).set_body_json(introspect_body()))
        .expect(1)
        .mount(&server)
        .await;
    let calls = CallLog::default();
    let mut rx = calls.subscribe();
    let i = client(&server, &calls).introspect(&key()).await.unwrap();
    assert_eq!(i.scopes(), ["a:read", "b:write"]);
    let req = &server.received_requests().await.unwrap()[0];
    let ua = req.headers.get("user-agent").unwrap().to_str().unwrap();
    assert!(ua.starts_with("pleo-keys/"), "{ua}");
    assert!(
        !req.url.as_str().contains(KEY),
        "the key never goes into a URL"
    );
    let recorded = drain(&mut rx);
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].method, "GET");
    assert_eq!(recorded[0].path, "/v1/introspect");
    assert_eq!(recorded[0].outcome, CallOutcome::Status(200));
    assert!(!format!("{recorded:?}").contains(KEY));
}

#[tokio::test]
async fn classifies_errors_and_never_retries_4xx() {
    let cases: Vec<(ResponseTemplate, Expect)> = vec![
        (ResponseTemplate::new(401), |e| {
            matches!(e, ApiError::KeyRejected)
        }),
        (
            ResponseTemplate::new(403).set_body_json(
                serde_json::json!({"type": "ACCESS_DENIED", "message": "Missing scope x"}),
            ),
            |e| matches!(e, ApiError::Forbidden { error_type: Some(t), message: Some(m) } if t.as_str() == "ACCESS_DENIED" && m.as_str() == "Missing scope x"),
        ),
        (ResponseTemplate::new(403), |e| {
            matches!(
                e,
                ApiError::Forbidden {
                    error_type: None,
                    message: None
                }
            )
        }),
        (ResponseTemplate::new(404), |e| {
            matches!(e, ApiError::NotFound { .. })
        }),
        (
            ResponseTemplate::new(400)
                .set_body_json(serde_json::json!({"type": "JSON_MAPPING_EXCEPTION"})),
            |e| matches!(e, ApiError::Client { status: 400, .. }),
        ),
        (
            ResponseTemplate::new(200).set_body_string("{not json"),
            |e| matches!(e, ApiError::Unexpected { .. }),
        ),
        (
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"unexpected": true})),
            |e| matches!(e, ApiError::Unexpected { .. }),
        ),
        (ResponseTemplate::new(200), |e| {
            matches!(e, ApiError::Unexpected { .. })
        }),
    ];
    for (i, (response, check)) in cases.into_iter().enumerate() {
        let server = answering(response).await;
        let err = introspect_err(&server).await;
        assert!(check(&err), "case {i}: {err:?}");
        assert_eq!(requests(&server).await, 1, "case {i} was retried");
    }
}

#[tokio::test]
async fn retries_5xx_then_succeeds_and_gives_up_after_a_few() {
    let server = MockServer::start().await;
    answer_first(&server, 2, ResponseTemplate::new(503)).await;
    answer(&server, introspected()).await;
    let outcomes: Vec<_> = introspect_ok(&server)
        .await
        .into_iter()
        .map(|c| c.outcome)
        .collect();
    assert_eq!(
        outcomes,
        [
            CallOutcome::Status(503),
            CallOutcome::Status(503),
            CallOutcome::Status(200)
        ]
    );

    let server =
        answering(ResponseTemplate::new(502).set_body_string("<html>Bad gateway</html>")).await;
    let err = introspect_err(&server).await;
    assert_eq!(err, ApiError::Server { status: 502 });
    assert_eq!(requests(&server).await, 3, "1 try + 2 retries");
}

#[tokio::test]
async fn honours_a_short_retry_after_and_returns_a_long_one() {
    let server = MockServer::start().await;
    let wait_a_second = ResponseTemplate::new(429).insert_header("retry-after", "1");
    answer_first(&server, 1, wait_a_second).await;
    answer(&server, introspected()).await;
    let c = introspect_ok(&server).await;
    let waited = c[1].at.duration_since(c[0].at);
    assert!(
        waited >= jiff::SignedDuration::from_millis(950),
        "waited {waited:?}"
    );

    let server = answering(ResponseTemplate::new(429).insert_header("retry-after", "3600")).await;
    let err = introspect_err(&server).await;
    assert_eq!(
        err,
        ApiError::RateLimited {
            retry_after: Some(Duration::from_secs(3600))
        }
    );
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn does_not_follow_redirects_so_the_key_never_leaves() {
    let elsewhere = MockServer::start().await;
    Mock::given(path("/steal"))
        .respond_with(ResponseTemplate::new(200).set_body_json(introspect_body()))
        .mount(&elsewhere)
        .await;
    let server = answering(
        ResponseTemplate::new(302).insert_header("location", format!("{}/steal", elsewhere.uri())),
    )
    .await;
    let err = introspect_err(&server).await;
    assert!(
        matches!(&err, ApiError::Unexpected { detail } if detail.contains("redirect")),
        "{err:?}"
    );
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn refuses_oversized_bodies() {
    let big = format!("{{\"data\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let server = answering(ResponseTemplate::new(200).set_body_string(big)).await;
    let err = introspect_err(&server).await;
    assert!(
        matches!(&err, ApiError::Unexpected { detail } if detail.contains("larger than")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_response_that_never_comes_times_out() {
    let server = answering(ResponseTemplate::new(200).set_delay(Duration::from_secs(10))).await;
    let calls = CallLog::default();
    let mut rx = calls.subscribe();
    let err = client(&server, &calls)
        .introspect(&key())
        .await
        .unwrap_err();
    assert_eq!(err.class(), "timeout", "{err:?}");
    let recorded = drain(&mut rx);
    assert!(!recorded.is_empty());
    assert!(
        recorded
            .iter()
            .all(|c| c.outcome == CallOutcome::Failed("timeout"))
    );
}

#[tokio::test]
async fn connection_refused_is_a_network_error() {
    let c = PleoClient::new(
        Endpoint::custom("http://127.0.0.1:9", Environment::Custom).unwrap(),
        fast(),
        CallLog::default(),
    )
    .unwrap();
    let err = c.introspect(&key()).await.unwrap_err();
    assert_eq!(err.class(), "connect_error", "{err:?}");
    assert!(!err.to_string().contains(KEY));
}

#[tokio::test]
async fn installation_calls_carry_the_company_and_create_with_activated() {
    let server = MockServer::start().await;
    let company = "11111111-1111-4111-8111-111111111111";
    let inst = serde_json::json!({"id": "123e4567-e89b-12d3-a456-426614174000", "applicationId": "123e4567-e89b-12d3-a456-426614174000",
        "resource": format!("urn:pleo:company:{company}"), "status": "ACTIVATED", "metadata": {},
        "createdAt": "2021-01-01T00:00:00Z", "updatedAt": "2021-01-01T00:00:00Z"});
    Mock::given(method("POST"))
        .and(path("/v1/installations/me"))
        .and(query_param("company_id", company))
        .respond_with(move |req: &Request| {
            let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
            // Only what the spec documents: the status, no metadata of the wrong type.
            if body == serde_json::json!({"status": "ACTIVATED"}) {
                ResponseTemplate::new(200).set_body_json(inst.clone())
            } else {
                ResponseTemplate::new(400)
            }
        })
        .expect(1)
        .mount(&server)
        .await;
    let i = client(&server, &CallLog::default())
        .installation(
            &key(),
            InstallationCall::Create,
            Some(CompanyId::parse(company).unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(i.status.as_str(), "ACTIVATED");
}
