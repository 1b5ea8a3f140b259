//! The proxy's server: accept on the bound address, one hyper connection task each, the key's
//! lifecycle kept current in the background (scheduled checks, other processes' changes), and
//! a graceful stop: no new connections, requests in flight finish (within a bound).

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::Gateway;
use super::listen::{Bound, same_user};

/// How long requests in flight may take to finish after a stop was asked for.
pub const DRAIN_WITHIN: Duration = Duration::from_secs(10);
/// Without a file watch, the home is read this often.
const POLL_EVERY: Duration = Duration::from_secs(2);

/// Serve until `stop` resolves, then drain. `revalidate_every`: the scheduled check.
pub async fn serve(
    gateway: Arc<Gateway>,
    bound: Bound,
    revalidate_every: Duration,
    stop: impl Future<Output = ()>,
) {
    let background = tokio::spawn(keep_current(gateway.clone(), revalidate_every));
    let (stopping_tx, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(stop);
    loop {
        while connections.try_join_next().is_some() {}
        tokio::select! {
            () = &mut stop => break,
            accepted = accept(&bound) => match accepted {
                Some(Accepted::Tcp(s)) => {
                    let _ = s.set_nodelay(true);
                    spawn_connection(&mut connections, s, gateway.clone(), stopping.clone());
                }
                Some(Accepted::Unix(s)) => {
                    spawn_connection(&mut connections, s, gateway.clone(), stopping.clone());
                }
                None => tokio::time::sleep(Duration::from_millis(50)).await,
            },
        }
    }
    drop(bound);
    let _ = stopping_tx.send(true);
    let drained = tokio::time::timeout(DRAIN_WITHIN, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("requests still in flight after {DRAIN_WITHIN:?}: cut off");
        connections.abort_all();
    }
    background.abort();
}

enum Accepted {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

/// The next connection; `None` on a transient failure (out of descriptors) or a stranger on the
/// Unix socket.
async fn accept(bound: &Bound) -> Option<Accepted> {
    match bound {
        Bound::Tcp(l) => l.accept().await.ok().map(|(s, _)| Accepted::Tcp(s)),
        Bound::Unix(l, _) => {
            let (s, _) = l.accept().await.ok()?;
            if same_user(&s) {
                Some(Accepted::Unix(s))
            } else {
                tracing::warn!("refused a connection on the proxy socket from another user");
                None
            }
        }
    }
}

fn spawn_connection<S>(
    connections: &mut JoinSet<()>,
    stream: S,
    gateway: Arc<Gateway>,
    mut stopping: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    connections.spawn(async move {
        let service = service_fn(move |req| {
            let gateway = gateway.clone();
            async move { Ok::<_, Infallible>(gateway.handle(req).await) }
        });
        let conn = http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        tokio::pin!(conn);
        tokio::select! {
            _ = conn.as_mut() => {}
            _ = async { stopping.wait_for(|s| *s).await.is_ok() } => {
                // Finish the request in flight, then close.
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
        }
    });
}

/// The scheduled checks, and reloads when another process changes the home.
async fn keep_current(gateway: Arc<Gateway>, every: Duration) {
    let watch = crate::store::watch::watch_home(&gateway.engine.home.paths);
    let (_watch, mut changes) = match watch {
        Some((w, rx)) => (Some(w), Some(rx)),
        None => (None, None),
    };
    // Normal operation resumes only after a successful validation: check at once.
    gateway.check_now().await;
    let mut next_check = tokio::time::Instant::now() + every;
    loop {
        let changed = async {
            match changes.as_mut() {
                Some(rx) => rx.recv().await.is_some(),
                None => {
                    tokio::time::sleep(POLL_EVERY).await;
                    true
                }
            }
        };
        tokio::select! {
            () = tokio::time::sleep_until(next_check) => {
                gateway.check_now().await;
                next_check = tokio::time::Instant::now() + every;
            }
            heard = changed => {
                if !heard {
                    changes = None;
                    continue;
                }
                // A burst of writes (state, then last check) is read once.
                tokio::time::sleep(Duration::from_millis(50)).await;
                if let Some(rx) = changes.as_mut() {
                    while rx.try_recv().is_ok() {}
                }
                gateway.reload().await;
            }
        }
    }
}
