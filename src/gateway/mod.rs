//! The integration's credential gateway: `proxy` (a local authenticating HTTP gateway), `exec`
//! and `api` use the stored key on the integration's behalf, so the integration never holds it.
//! Every request is scoped to the bound company and gated by the key's lifecycle.

pub mod current;
pub mod listen;
pub mod metrics;
pub mod proxy;
pub mod running;
pub mod scope;
pub mod server;
pub mod token;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use crate::lifecycle::Engine;
use crate::store::history::CallHistory;
use crate::store::{AuditEvent, AuditKind};
use current::Current;
use metrics::Metrics;
use scope::CompanyParams;
use token::ProxyToken;

/// Live detection checks at most this often, however many 401s arrive.
pub const MIN_REVALIDATION_GAP: Duration = Duration::from_secs(10);
/// An integration that keeps calling an endpoint its key lacks a scope for would otherwise write
/// (and fsync) an audit line a request, pushing the key's history out of the bounded log.
pub const SCOPE_AUDIT_GAP: Duration = Duration::from_secs(60);

/// Everything the proxy's connections share.
pub struct Gateway {
    pub engine: Arc<Engine>,
    http: reqwest::Client,
    current: RwLock<Arc<Current>>,
    token: RwLock<ProxyToken>,
    token_path: PathBuf,
    pub metrics: Metrics,
    history: CallHistory,
    params: CompanyParams,
    checking: AtomicBool,
    last_check: Mutex<Option<tokio::time::Instant>>,
    last_scope_audit: Mutex<Option<tokio::time::Instant>>,
}

impl Gateway {
    pub async fn new(
        engine: Arc<Engine>,
        http: reqwest::Client,
        token: ProxyToken,
        params: CompanyParams,
    ) -> Arc<Gateway> {
        let current = Current::load(&engine, None).await;
        let paths = &engine.home.paths;
        Arc::new(Gateway {
            token_path: paths.proxy_token.clone(),
            history: CallHistory::new(&paths.call_history),
            engine: engine.clone(),
            http,
            current: RwLock::new(Arc::new(current)),
            token: RwLock::new(token),
            metrics: Metrics::default(),
            params,
            checking: AtomicBool::new(false),
            last_check: Mutex::new(None),
            last_scope_audit: Mutex::new(None),
        })
    }

    /// What requests are served with now.
    pub fn current(&self) -> Arc<Current> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn token(&self) -> ProxyToken {
        self.token.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Read the home again (another process committed a key, a check changed the verdict, the
    /// token was rotated). Requests in flight keep what they started with.
    pub async fn reload(&self) {
        let previous = self.current();
        let next = Current::load(&self.engine, Some(&previous)).await;
        if next.outcome.reason != previous.outcome.reason {
            tracing::info!(
                from = previous.outcome.reason.as_str(),
                to = next.outcome.reason.as_str(),
                "the gateway's view of the key changed"
            );
        }
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(next);
        match ProxyToken::load(&self.token_path) {
            Ok(Some(token)) => *self.token.write().unwrap_or_else(|p| p.into_inner()) = token,
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "keeping the proxy token in use"),
        }
    }

    /// Check the key with Pleo now, unless a check runs already or ran in the last
    /// [`MIN_REVALIDATION_GAP`]; the gate follows the verdict.
    pub fn revalidate_soon(self: &Arc<Self>, why: &'static str) {
        {
            let mut last = self.last_check.lock().unwrap_or_else(|p| p.into_inner());
            let now = tokio::time::Instant::now();
            if last.is_some_and(|at| now.duration_since(at) < MIN_REVALIDATION_GAP) {
                return;
            }
            if self.checking.swap(true, Ordering::AcqRel) {
                return;
            }
            *last = Some(now);
        }
        tracing::info!(why, "checking the key now");
        let gateway = self.clone();
        tokio::spawn(async move {
            gateway.check_now().await;
            gateway.checking.store(false, Ordering::Release);
        });
    }

    /// A full check (the scheduled one, or live detection's), then the gate follows it.
    pub async fn check_now(&self) {
        let outcome = self.engine.check().await;
        tracing::info!(reason = outcome.reason.as_str(), "gateway check");
        self.reload().await;
    }

    /// Audit a scope denial, at most once per [`SCOPE_AUDIT_GAP`] (the metric counts them all),
    /// on the blocking pool: the audit log syncs each line to disk.
    fn audit_scope_denied(self: &Arc<Self>, message: String) {
        {
            let mut last = self
                .last_scope_audit
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let now = tokio::time::Instant::now();
            if last.is_some_and(|at| now.duration_since(at) < SCOPE_AUDIT_GAP) {
                return;
            }
            *last = Some(now);
        }
        let gateway = self.clone();
        tokio::task::spawn_blocking(move || gateway.home_audit_scope(&message));
    }

    fn home_audit_scope(&self, message: &str) {
        let current = self.current();
        let mut event = AuditEvent::new(AuditKind::ScopeDenied).detail(message);
        if let Some(facts) = &current.outcome.facts {
            event = event.key(&facts.key).company(facts.company_id);
        }
        self.engine.home.audit(event);
    }
}
