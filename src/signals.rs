//! The signals that end a run: SIGINT (Ctrl-C), SIGTERM (a service manager) and SIGHUP (the SSH
//! session dropped). One place, for the dashboard, the sandbox server and the gateway.

use tokio::signal::unix::{Signal, SignalKind, signal};

pub struct Shutdown {
    term: Signal,
    hup: Signal,
    int: Signal,
}

impl Shutdown {
    pub fn install() -> std::io::Result<Shutdown> {
        Ok(Shutdown {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// Wait for the next of the three.
    pub async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

/// Wait for a shutdown signal; if handlers cannot be installed, for Ctrl-C at least.
pub async fn wait_for_shutdown() {
    match Shutdown::install() {
        Ok(mut s) => s.recv().await,
        Err(e) => {
            tracing::warn!(error = %e, "no signal handlers; waiting for Ctrl-C only");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
