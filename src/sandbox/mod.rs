//! The built-in sandbox: a local fake of Pleo's External API over real HTTP on 127.0.0.1, seeded with
//! demo companies and keys, with switches (in Rust and under `/_sandbox/`) that revoke keys, change
//! installations and inject faults. pleo-api.md §12 is its contract.
//!
//! Layout: `http` (hyper) feeds `api` (routing, auth, endpoints) and `switches` (`/_sandbox/*`),
//! both of which change `state`; `control` is the same from Rust.

mod api;
mod auth;
mod behaviour;
mod control;
mod demo;
mod describe;
mod faults;
mod hostile;
mod http;
mod query;
mod reply;
mod routes;
mod seed;
mod state;
mod switches;
#[cfg(test)]
mod testing;

use std::net::{Ipv4Addr, SocketAddr};

pub use behaviour::{
    Behaviour, ExistingInstallation, HostileText, IntrospectAnswer, MissingInstallation,
    ScopeSeparator,
};
pub use control::{Malformed, RetryAfter, SandboxControl, SeenRequest};
pub use demo::*;

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    control: SandboxControl,
    task: tokio::task::JoinHandle<()>,
}

impl Sandbox {
    /// Bind 127.0.0.1:port (0 = random), seed the demo data, serve in a tokio task.
    pub async fn start(port: u16) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let control = SandboxControl::new(state::State::seed());
        let task = tokio::spawn(http::serve(listener, control.clone()));
        Ok(Sandbox {
            addr,
            control,
            task,
        })
    }

    /// "http://127.0.0.1:PORT", without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A handle on the shared state, usable from any thread.
    pub fn control(&self) -> SandboxControl {
        self.control.clone()
    }

    /// Human text for `pleo-keys sandbox`: the URL, the demo keys (public fakes, so printed in
    /// full on purpose) and the switches as curl commands.
    pub fn describe(&self) -> String {
        describe::describe_at(&self.url())
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // The accept task owns the connection tasks (a JoinSet), so this stops them all.
        self.task.abort();
    }
}
