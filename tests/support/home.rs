//! A temporary home with an engine over it: against the fake Pleo (no sockets) or a real
//! sandbox (HTTP on 127.0.0.1).

use pleo_keys::domain::{Environment, scopes};
use pleo_keys::lifecycle::Engine;
use pleo_keys::pleo::{CallLog, ClientSettings, Endpoint, PleoApi, PleoClient};
use pleo_keys::store::{Home, Paths, SecretStore, State};
use std::sync::Arc;
use std::time::Duration;

pub struct TestHome {
    pub dir: tempfile::TempDir,
    pub store: SecretStore,
}

impl TestHome {
    pub fn new() -> TestHome {
        TestHome::with_store(SecretStore::in_memory())
    }

    pub fn with_store(store: SecretStore) -> TestHome {
        let home = TestHome {
            dir: tempfile::tempdir().expect("tempdir"),
            store,
        };
        home.paths().ensure_dirs().expect("dirs");
        home
    }

    pub fn paths(&self) -> Paths {
        Paths::resolve(Some(self.dir.path())).expect("paths")
    }

    /// An engine for this home against `pleo`, at the base URL `url`.
    pub fn engine_at(&self, pleo: Arc<dyn PleoApi>, url: &str) -> Engine {
        Engine {
            home: Home::unchecked(self.paths()),
            store: self.store.clone(),
            pleo,
            endpoint: Endpoint::custom(url, Environment::Sandbox).expect("endpoint"),
            required_scopes: scopes::normalise(scopes::DEFAULT_REQUIRED_SCOPES),
            env_key: None,
            clock: pleo_keys::lifecycle::engine::system_clock(),
        }
    }

    /// An engine against a scripted or fake Pleo.
    pub fn engine(&self, pleo: Arc<dyn PleoApi>) -> Engine {
        self.engine_at(pleo, "http://127.0.0.1:1")
    }

    /// An engine against a real HTTP server (the sandbox or a fault server), retrying little.
    pub fn http_engine(&self, url: &str, calls: &CallLog) -> Engine {
        let settings = ClientSettings {
            retries: 1,
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(4),
            min_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(100),
        };
        self.http_engine_with(url, calls, settings)
    }

    pub fn http_engine_with(&self, url: &str, calls: &CallLog, settings: ClientSettings) -> Engine {
        let endpoint = Endpoint::custom(url, Environment::Sandbox).expect("endpoint");
        let client = PleoClient::new(endpoint, settings, calls.clone()).expect("client");
        self.engine_at(Arc::new(client), url)
    }

    pub fn state(&self) -> Option<State> {
        pleo_keys::store::load_state(&self.paths().state_file).expect("state reads")
    }

    pub fn state_bytes(&self) -> Option<Vec<u8>> {
        std::fs::read(self.paths().state_file).ok()
    }

    /// Whether a replacement's marker file is still there.
    pub fn marker_left(&self) -> bool {
        self.paths().replacement_file.exists()
    }

    pub fn audit(&self) -> String {
        std::fs::read_to_string(self.paths().audit_log).unwrap_or_default()
    }
}
