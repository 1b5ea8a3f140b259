//! The HTTP client: Basic auth with the key as user name, bounded bodies, no redirects,
//! retries for transient faults only, and every attempt recorded.

use super::calls::{CallLog, CallOutcome, CallRecord};
use super::endpoint::Endpoint;
use super::error::ApiError;
use super::retry_after;
use super::types::{
    Company, CompanyPage, CompanyResponse, ExceptionInfo, Installation, InstallationStatus,
    IntrospectResponse, Introspection,
};
use crate::secret::ApiKey;
use backon::{ExponentialBuilder, Retryable};
use base64::Engine;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use std::future::Future;
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

/// What activation needs from Pleo. Implemented by [`PleoClient`]; tests may script it.
pub trait PleoApi: Send + Sync {
    fn introspect(&self) -> impl Future<Output = Result<Introspection, ApiError>> + Send;
    fn get_installation(
        &self,
        company_id: Option<&str>,
    ) -> impl Future<Output = Result<Installation, ApiError>> + Send;
    fn create_installation(
        &self,
        company_id: Option<&str>,
    ) -> impl Future<Output = Result<Installation, ApiError>> + Send;
    fn activate_installation(
        &self,
        company_id: Option<&str>,
    ) -> impl Future<Output = Result<Installation, ApiError>> + Send;
    fn get_company(&self, id: &str) -> impl Future<Output = Result<Company, ApiError>> + Send;
    fn list_companies(
        &self,
        organization_id: &str,
    ) -> impl Future<Output = Result<Vec<Company>, ApiError>> + Send;
}

/// A client bound to one key and one base URL.
pub struct PleoClient {
    http: reqwest::Client,
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

#[derive(Debug, thiserror::Error)]
#[error("could not set up the HTTPS client: {0}")]
pub struct ClientBuildError(String);

impl PleoClient {
    pub fn new(
        key: &ApiKey,
        endpoint: Endpoint,
        settings: ClientSettings,
        calls: CallLog,
    ) -> Result<PleoClient, ClientBuildError> {
        let mut headers = HeaderMap::new();
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{}:", key.expose()));
        let mut auth = HeaderValue::from_str(&format!("Basic {token}"))
            .map_err(|_| ClientBuildError("the key cannot be sent as an HTTP header".into()))?;
        // Keeps the value out of reqwest's and hyper's Debug output.
        auth.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, auth);
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json;charset=UTF-8"),
        );
        // Client::builder, never Client::new: new() panics where no CA certificates exist.
        let http = reqwest::Client::builder()
            .user_agent(concat!("pleo-keys/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            // A 3xx is answered as unexpected: the key must never follow a redirect to another host.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .build()
            .map_err(|e| ClientBuildError(e.to_string()))?;
        Ok(PleoClient {
            http,
            endpoint,
            settings,
            calls,
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub fn calls(&self) -> &CallLog {
        &self.calls
    }

    /// One logical call: attempts with jittered exponential backoff while the fault is transient.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<T, ApiError> {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.settings.min_backoff)
            .with_max_delay(self.settings.max_backoff)
            .with_max_times(self.settings.retries)
            .with_jitter();
        (|| self.attempt::<T>(method.clone(), path, body.as_ref()))
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
                    wait_ms = wait.as_millis() as u64,
                    "retrying Pleo call"
                );
            })
            .await
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, ApiError> {
        let started = Instant::now();
        let at = jiff::Timestamp::now();
        let result = self.send(method.clone(), path, body).await;
        let outcome = match &result {
            Ok((status, _)) => CallOutcome::Status(*status),
            Err((Some(status), _)) => CallOutcome::Status(*status),
            Err((None, e)) => CallOutcome::Failed(e.class()),
        };
        self.calls.record(CallRecord {
            at,
            method: method_name(&method),
            path: path.to_string(),
            outcome,
            latency: started.elapsed(),
        });
        let (_, bytes) = result.map_err(|(_, e)| e)?;
        serde_json::from_slice(&bytes).map_err(|e| ApiError::Unexpected {
            detail: format!("{path} did not answer with the JSON expected ({e})"),
        })
    }

    /// Send, and read a bounded body. The error side carries the HTTP status when there was one.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<(u16, Vec<u8>), (Option<u16>, ApiError)> {
        let mut req = self.http.request(method, self.endpoint.url(path));
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
                .map(|l| format!(" to {}", l.chars().take(200).collect::<String>()))
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
            Some(i) => (Some(clip(&i.error_type)), i.message.as_deref().map(clip)),
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

/// Pleo's messages are shown to operators; keep them to a sane length.
fn clip(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(300).collect()
}

fn method_name(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        _ => "OTHER",
    }
}

fn with_company(path: &str, company_id: Option<&str>) -> String {
    match company_id {
        Some(id) => format!("{path}?company_id={}", encode(id)),
        None => path.to_string(),
    }
}

/// Company ids are UUIDs by the time they get here, but never trust that in a URL.
fn encode(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

impl PleoApi for PleoClient {
    async fn introspect(&self) -> Result<Introspection, ApiError> {
        let r: IntrospectResponse = self.call(Method::GET, "/v1/introspect", None).await?;
        Ok(r.data)
    }

    async fn get_installation(&self, company_id: Option<&str>) -> Result<Installation, ApiError> {
        self.call(
            Method::GET,
            &with_company("/v1/installations/me", company_id),
            None,
        )
        .await
    }

    async fn create_installation(
        &self,
        company_id: Option<&str>,
    ) -> Result<Installation, ApiError> {
        let body = serde_json::json!({
            "status": InstallationStatus::Activated.as_str(),
            "metadata": { "createdBy": concat!("pleo-keys/", env!("CARGO_PKG_VERSION")) },
        });
        self.call(
            Method::POST,
            &with_company("/v1/installations/me", company_id),
            Some(body),
        )
        .await
    }

    async fn activate_installation(
        &self,
        company_id: Option<&str>,
    ) -> Result<Installation, ApiError> {
        let body = serde_json::json!({ "status": InstallationStatus::Activated.as_str() });
        self.call(
            Method::PUT,
            &with_company("/v1/installations/me", company_id),
            Some(body),
        )
        .await
    }

    async fn get_company(&self, id: &str) -> Result<Company, ApiError> {
        let r: CompanyResponse = self
            .call(Method::GET, &format!("/v1/companies/{}", encode(id)), None)
            .await?;
        Ok(r.data)
    }

    async fn list_companies(&self, organization_id: &str) -> Result<Vec<Company>, ApiError> {
        let mut companies = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_COMPANY_PAGES {
            let mut path = format!(
                "/v1/companies?organization_id={}&limit=100",
                encode(organization_id)
            );
            if let Some(cursor) = &after {
                // Cursors are base32-like (`^[A-Z2-7=~]+$`); anything else is dropped.
                let cursor: String = cursor
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '=' | '~'))
                    .collect();
                path.push_str(&format!("&after={cursor}"));
            }
            let page: CompanyPage = self.call(Method::GET, &path, None).await?;
            companies.extend(page.data);
            match page.pagination {
                Some(p) if p.has_next_page && p.end_cursor.is_some() => after = p.end_cursor,
                _ => break,
            }
        }
        Ok(companies)
    }
}
