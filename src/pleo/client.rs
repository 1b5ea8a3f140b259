//! The HTTP client: Basic auth with the key as user name, bounded bodies, no redirects, no proxy
//! for this machine, retries for transient faults only, and every attempt recorded. One client
//! (one connection pool) serves a process for its lifetime; the key is a parameter of each call.

use super::calls::{CallLog, CallOutcome, CallRecord};
use super::endpoint::Endpoint;
use super::error::ApiError;
use super::retry_after;
use super::types::{
    Company, CompanyPage, CompanyResponse, ExceptionInfo, Installation, IntrospectResponse,
    Introspection,
};
use crate::domain::{CompanyId, InstallationStatus, OrganizationId};
use crate::secret::ApiKey;
use backon::{ExponentialBuilder, Retryable};
use base64::Engine;
use reqwest::header::{self, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// Bodies larger than this are refused: Pleo's answers here are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// A Retry-After longer than this is not waited out inside one call; the caller reschedules.
pub const MAX_INLINE_RETRY_AFTER: Duration = Duration::from_secs(10);
/// The most pages of companies read for an organisation.
const MAX_COMPANY_PAGES: usize = 20;

#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Retries after the first attempt, for 429, 5xx and network faults.
    pub retries: usize,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            retries: 3,
            min_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
        }
    }
}

/// A boxed call, so the API can be a trait object (the engine holds `Arc<dyn PleoApi>`).
pub type ApiFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ApiError>> + Send + 'a>>;

/// The three installation operations activation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallationCall {
    Get,
    /// POST with `status: ACTIVATED`.
    Create,
    /// PUT `status: ACTIVATED`.
    Activate,
}

impl InstallationCall {
    /// As the calls are named in logs and test scripts.
    pub fn name(self) -> &'static str {
        match self {
            InstallationCall::Get => "get_installation",
            InstallationCall::Create => "create_installation",
            InstallationCall::Activate => "activate_installation",
        }
    }
}

/// What activation and revalidation need from Pleo. Implemented by [`PleoClient`]; tests script it.
pub trait PleoApi: Send + Sync {
    fn introspect<'a>(&'a self, key: &'a ApiKey) -> ApiFuture<'a, Introspection>;
    /// GET, POST or PUT `/v1/installations/me`. `company` narrows to one company of an
    /// organisation: documented for GET; sent on POST and PUT for an organisation-level key
    /// only (INFERRED).
    fn installation<'a>(
        &'a self,
        key: &'a ApiKey,
        call: InstallationCall,
        company: Option<CompanyId>,
    ) -> ApiFuture<'a, Installation>;
    fn get_company<'a>(&'a self, key: &'a ApiKey, id: CompanyId) -> ApiFuture<'a, Company>;
    fn list_companies<'a>(
        &'a self,
        key: &'a ApiKey,
        organization: OrganizationId,
    ) -> ApiFuture<'a, Vec<Company>>;
}

/// The client for one base URL.
pub struct PleoClient {
    /// Built on first use: `status` and the other offline commands never pay for loading the
    /// system's CA certificates.
    http: std::sync::OnceLock<Result<reqwest::Client, ClientBuildError>>,
    endpoint: Endpoint,
    settings: ClientSettings,
    calls: CallLog,
}

impl std::fmt::Debug for PleoClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PleoClient")
            .field("base_url", &self.endpoint.base_url.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("could not set up the HTTPS client: {0}")]
pub struct ClientBuildError(String);

impl PleoClient {
    pub fn new(
        endpoint: Endpoint,
        settings: ClientSettings,
        calls: CallLog,
    ) -> Result<PleoClient, ClientBuildError> {
        Ok(PleoClient {
            http: std::sync::OnceLock::new(),
            endpoint,
            settings,
            calls,
        })
    }

    fn build(
        endpoint: &Endpoint,
        settings: &ClientSettings,
    ) -> Result<reqwest::Client, ClientBuildError> {
        // Client::builder, never Client::new: new() panics where no CA certificates exist.
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("pleo-keys/", env!("CARGO_PKG_VERSION")))
            // A 3xx is answered as unexpected: the key must never follow a redirect to another host.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout);
        if endpoint.is_loopback() {
            // A proxy setting must never carry a plain-http key off this machine.
            builder = builder.no_proxy();
        }
        if endpoint.is_loopback() && endpoint.base_url.scheme() == "http" {
            // Plain http to this machine (the sandbox, a local gateway) needs no certificates:
            // loading the system's roots is a good part of a short `check`'s time.
            builder = builder.tls_certs_only(std::iter::empty());
        }
        builder.build().map_err(|e| ClientBuildError(e.to_string()))
    }

    /// The HTTP client (one pool per process), built on first use; the gateway forwards with it.
    pub fn http(&self) -> Result<&reqwest::Client, ClientBuildError> {
        self.http
            .get_or_init(|| PleoClient::build(&self.endpoint, &self.settings))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    pub fn call_log(&self) -> &CallLog {
        &self.calls
    }

    /// `Authorization: Basic base64(key:)`, marked sensitive so no Debug output shows it.
    pub fn authorization(key: &ApiKey) -> Result<HeaderValue, ApiError> {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{}:", key.expose()));
        let mut value =
            HeaderValue::from_str(&format!("Basic {token}")).map_err(|_| ApiError::Unexpected {
                detail: "the key cannot be sent as an HTTP header".into(),
            })?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// One logical call: attempts with jittered exponential backoff while the fault is transient.
    async fn call<T: DeserializeOwned>(
        &self,
        key: &ApiKey,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<T, ApiError> {
        let auth = PleoClient::authorization(key)?;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.settings.min_backoff)
            .with_max_delay(self.settings.max_backoff)
            .with_max_times(self.settings.retries)
            .with_jitter();
        (|| self.attempt::<T>(&auth, method.clone(), path, body.as_ref()))
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(|e: &ApiError| match e {
                ApiError::RateLimited {
                    retry_after: Some(wait),
                } => *wait <= MAX_INLINE_RETRY_AFTER,
                other => other.is_transient(),
            })
            .adjust(|e: &ApiError, planned| match (e, planned) {
                // Honour Retry-After when it asks for longer than our own backoff.
                (
                    ApiError::RateLimited {
                        retry_after: Some(wait),
                    },
                    Some(planned),
                ) => Some(planned.max(*wait)),
                (_, planned) => planned,
            })
            .notify(|e: &ApiError, wait: Duration| {
                tracing::info!(
                    path,
                    class = e.class(),
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    "retrying Pleo call"
                );
            })
            .await
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        auth: &HeaderValue,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, ApiError> {
        let started = Instant::now();
        let at = jiff::Timestamp::now();
        let result = self.send(auth, method.clone(), path, body).await;
        let decoded = result.and_then(|(status, bytes)| {
            serde_json::from_slice::<T>(&bytes)
                .map_err(|e| {
                    (
                        Some(status),
                        ApiError::Unexpected {
                            // serde quotes what it could not decode: server text, so sanitised.
                            detail: crate::domain::sanitize(
                                &format!("{path} did not answer with the JSON expected ({e})"),
                                300,
                            ),
                        },
                    )
                })
                .map(|v| (status, v))
        });
        let outcome = match &decoded {
            Ok((status, _)) => CallOutcome::Status(*status),
            // A 200 whose body is not what Pleo documents is an error, not a green 200.
            Err((Some(status), ApiError::Unexpected { .. })) if (200..300).contains(status) => {
                CallOutcome::Failed("unexpected_response")
            }
            Err((Some(status), _)) => CallOutcome::Status(*status),
            Err((None, e)) => CallOutcome::Failed(e.class()),
        };
        let failed = decoded.as_ref().err().map(|(_, e)| e);
        self.calls.record(CallRecord {
            at,
            method: method_name(&method),
            path: path.to_string(),
            outcome,
            latency: started.elapsed(),
            error: failed.map(ToString::to_string),
            retry_after: failed.and_then(|e| match e {
                ApiError::RateLimited { retry_after } => *retry_after,
                _ => None,
            }),
            run: super::calls::current_run(),
        });
        decoded.map(|(_, v)| v).map_err(|(_, e)| e)
    }

    /// Send, and read a bounded body. The error side carries the HTTP status when there was one.
    async fn send(
        &self,
        auth: &HeaderValue,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<(u16, Vec<u8>), (Option<u16>, ApiError)> {
        let http = self.http().map_err(|e| {
            (
                None,
                ApiError::Unexpected {
                    detail: e.to_string(),
                },
            )
        })?;
        let mut req = http
            .request(method, self.endpoint.url(path))
            .header(header::AUTHORIZATION, auth.clone())
            .header(header::ACCEPT, "application/json;charset=UTF-8");
        if let Some(body) = body {
            req = req
                .header(header::CONTENT_TYPE, "application/json;charset=UTF-8")
                .body(body.to_string());
        }
        let mut resp = req
            .send()
            .await
            .map_err(|e| (None, ApiError::from_reqwest(&e)))?;
        let status = resp.status();
        let code = status.as_u16();
        let retry_after = resp
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after::parse(v, jiff::Timestamp::now()));
        if status.is_redirection() {
            let to = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(|l| format!(" to {}", crate::domain::sanitize(l, 200)))
                .unwrap_or_default();
            return Err((
                Some(code),
                ApiError::Unexpected {
                    detail: format!(
                        "{path} answered with a redirect ({code}){to}; not followed, so the key is never sent to another address. Check --base-url"
                    ),
                },
            ));
        }
        if resp
            .content_length()
            .is_some_and(|len| len > MAX_BODY_BYTES as u64)
        {
            return Err((Some(code), oversized(path)));
        }
        let mut bytes = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                        return Err((Some(code), oversized(path)));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err((Some(code), ApiError::from_reqwest(&e))),
            }
        }
        if status.is_success() {
            return Ok((code, bytes));
        }
        let info: Option<ExceptionInfo> = serde_json::from_slice(&bytes).ok();
        let (error_type, message) = match info {
            Some(i) => (Some(i.error_type), i.message),
            None => (None, None),
        };
        let err = match status {
            StatusCode::UNAUTHORIZED => ApiError::KeyRejected,
            StatusCode::FORBIDDEN => ApiError::Forbidden {
                error_type,
                message,
            },
            StatusCode::NOT_FOUND => ApiError::NotFound {
                error_type,
                message,
            },
            StatusCode::TOO_MANY_REQUESTS => ApiError::RateLimited { retry_after },
            s if s.is_server_error() => ApiError::Server { status: code },
            s if s.is_client_error() => ApiError::Client {
                status: code,
                error_type,
                message,
            },
            _ => ApiError::Unexpected {
                detail: format!("{path} answered with HTTP {code}"),
            },
        };
        Err((Some(code), err))
    }
}

fn oversized(path: &str) -> ApiError {
    ApiError::Unexpected {
        detail: format!(
            "{path} sent a body larger than {} KiB",
            MAX_BODY_BYTES / 1024
        ),
    }
}

fn method_name(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        _ => "OTHER",
    }
}

fn with_company(path: &str, company: Option<CompanyId>) -> String {
    match company {
        // A CompanyId prints as a bare UUID: nothing to escape.
        Some(id) => format!("{path}?company_id={id}"),
        None => path.to_string(),
    }
}

/// `{"status":"ACTIVATED"}`: all the spec's request schemas need here. No metadata: the spec
/// types its values as objects, and Pleo does not use it.
fn activated_body() -> serde_json::Value {
    serde_json::json!({ "status": InstallationStatus::Activated.as_str() })
}

impl PleoApi for PleoClient {
    fn introspect<'a>(&'a self, key: &'a ApiKey) -> ApiFuture<'a, Introspection> {
        Box::pin(async move {
            let r: IntrospectResponse = self.call(key, Method::GET, "/v1/introspect", None).await?;
            Ok(r.data)
        })
    }

    fn installation<'a>(
        &'a self,
        key: &'a ApiKey,
        call: InstallationCall,
        company: Option<CompanyId>,
    ) -> ApiFuture<'a, Installation> {
        Box::pin(async move {
            let path = with_company("/v1/installations/me", company);
            let (method, body) = match call {
                InstallationCall::Get => (Method::GET, None),
                InstallationCall::Create => (Method::POST, Some(activated_body())),
                InstallationCall::Activate => (Method::PUT, Some(activated_body())),
            };
            self.call(key, method, &path, body).await
        })
    }

    fn get_company<'a>(&'a self, key: &'a ApiKey, id: CompanyId) -> ApiFuture<'a, Company> {
        Box::pin(async move {
            let r: CompanyResponse = self
                .call(key, Method::GET, &format!("/v1/companies/{id}"), None)
                .await?;
            Ok(r.data)
        })
    }

    fn list_companies<'a>(
        &'a self,
        key: &'a ApiKey,
        organization: OrganizationId,
    ) -> ApiFuture<'a, Vec<Company>> {
        Box::pin(async move {
            let mut companies = Vec::new();
            let mut after: Option<String> = None;
            for _ in 0..MAX_COMPANY_PAGES {
                let mut path = format!("/v1/companies?organization_id={organization}&limit=100");
                if let Some(cursor) = &after {
                    // Cursors are base32-like (`^[A-Z2-7=~]+$`); anything else is dropped.
                    let cursor: String = cursor
                        .chars()
                        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '=' | '~'))
                        .take(200)
                        .collect();
                    path.push_str(&format!("&after={cursor}"));
                }
                let page: CompanyPage = self.call(key, Method::GET, &path, None).await?;
                companies.extend(page.data);
                match page.pagination {
                    Some(p) if p.has_next_page && p.end_cursor.is_some() => after = p.end_cursor,
                    _ => break,
                }
            }
            Ok(companies)
        })
    }
}
