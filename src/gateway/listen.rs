//! Where the proxy listens: a loopback TCP address or a Unix socket, never the network. A Unix
//! socket is 0600 and each connection's peer must be this user.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use tokio::net::{TcpListener, UnixListener};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8790";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl FromStr for Listen {
    type Err = String;

    fn from_str(s: &str) -> Result<Listen, String> {
        let shown = crate::domain::sanitize(s, 80);
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("unix: needs a path, like unix:/run/pleo-keys/proxy.sock".into());
            }
            return Ok(Listen::Unix(PathBuf::from(path)));
        }
        let addr = match s.strip_prefix("localhost:") {
            Some(port) => port
                .parse::<u16>()
                .map(|p| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), p)),
            None => s.parse::<SocketAddr>().map_err(|_| 0u16).or_else(|_| {
                // A bare port.
                s.parse::<u16>()
                    .map(|p| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), p))
            }),
        }
        .map_err(|_| {
            format!("{shown:?} is not an address to listen on: use 127.0.0.1:PORT, [::1]:PORT or unix:PATH")
        })?;
        if !addr.ip().is_loopback() {
            return Err(format!(
                "{shown} is not on this machine: the proxy serves the Pleo key's power to whoever reaches it, so it listens on 127.0.0.1, ::1 or a Unix socket only"
            ));
        }
        Ok(Listen::Tcp(addr))
    }
}

/// A bound listener and the URL clients use.
pub enum Bound {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

impl Bound {
    pub async fn bind(listen: &Listen) -> Result<Bound, String> {
        match listen {
            Listen::Tcp(addr) => TcpListener::bind(addr)
                .await
                .map(Bound::Tcp)
                .map_err(|e| format!("could not listen on {addr}: {e}")),
            Listen::Unix(path) => bind_unix(path).map(|l| Bound::Unix(l, path.clone())),
        }
    }

    /// `http://127.0.0.1:PORT` or `unix:PATH`.
    pub fn url(&self) -> String {
        match self {
            Bound::Tcp(l) => match l.local_addr() {
                Ok(SocketAddr::V6(a)) => format!("http://[{}]:{}", a.ip(), a.port()),
                Ok(a) => format!("http://{a}"),
                Err(_) => "http://127.0.0.1".into(),
            },
            Bound::Unix(_, path) => format!("unix:{}", path.display()),
        }
    }
}

impl Drop for Bound {
    fn drop(&mut self) {
        if let Bound::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Bind a private socket. A stale socket (nobody answers) is replaced; a live one or any other
/// file is refused.
fn bind_unix(path: &Path) -> Result<UnixListener, String> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(format!(
                "{} exists and is not a socket; choose another path",
                path.display()
            ));
        }
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(format!(
                "another process is listening on {} already",
                path.display()
            ));
        }
        std::fs::remove_file(path)
            .map_err(|e| format!("could not replace the stale socket {}: {e}", path.display()))?;
    }
    let listener = UnixListener::bind(path)
        .map_err(|e| format!("could not listen on {}: {e}", path.display()))?;
    // The umask is 077 already; say it explicitly for the socket that carries the key's power.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("could not make {} private: {e}", path.display()))?;
    Ok(listener)
}

/// A Unix socket peer is accepted only when it runs as this user.
pub fn same_user(stream: &tokio::net::UnixStream) -> bool {
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    stream.peer_cred().is_ok_and(|c| c.uid() == me)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_sockets_only() {
        for ok in [
            "127.0.0.1:8790",
            "127.0.0.1:0",
            "[::1]:9000",
            "localhost:1",
            "8790",
        ] {
            assert!(matches!(ok.parse::<Listen>(), Ok(Listen::Tcp(_))), "{ok}");
        }
        assert_eq!(
            "unix:/tmp/p.sock".parse::<Listen>(),
            Ok(Listen::Unix("/tmp/p.sock".into()))
        );
        for bad in [
            "0.0.0.0:8790",
            "10.1.2.3:80",
            "[::]:80",
            "example.com:80",
            "unix:",
            "x",
        ] {
            assert!(bad.parse::<Listen>().is_err(), "{bad}");
        }
        let err = "0.0.0.0:1".parse::<Listen>().unwrap_err();
        assert!(err.contains("this machine"), "{err}");
    }

    #[tokio::test]
    async fn a_socket_is_private_a_stale_one_replaced_and_a_live_one_refused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("proxy.sock");
        let listen = Listen::Unix(path.clone());
        let first = Bound::bind(&listen).await.unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(Bound::bind(&listen).await.is_err(), "in use");
        drop(first);
        // A socket left by a crash: the file is there, nobody listens.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let again = Bound::bind(&listen).await.unwrap();
        assert_eq!(again.url(), format!("unix:{}", path.display()));
        drop(again);
        assert!(!path.exists(), "removed on exit");
        std::fs::write(&path, b"x").unwrap();
        assert!(Bound::bind(&listen).await.is_err(), "not a socket");
    }
}
