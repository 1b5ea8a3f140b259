//! A running `pleo-keys proxy` (the real binary) on a World's home, and an HTTP client for it.

#![allow(dead_code)]

use super::cli::{PASSPHRASE, World};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Proxy {
    pub child: Child,
    pub url: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    /// `pleo-keys proxy --listen 127.0.0.1:0` on `w`'s home; returns once it listens.
    pub fn start(w: &World, extra: &[&str]) -> Proxy {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pleo-keys"));
        cmd.arg("--home")
            .arg(w.home())
            .args(["--base-url", &w.sandbox.url(), "--secret-store", "file"])
            .args(["proxy", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env("PLEO_KEYS_PASSPHRASE", PASSPHRASE)
            .env("PLEO_KEYS_SCRYPT_WORK_FACTOR", "10")
            .env("PLEO_KEYS_LOG", "debug")
            .env_remove("PLEO_API_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("proxy runs");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("first line");
        let url = line
            .trim()
            .strip_prefix("pleo-keys proxy listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        let token = std::fs::read_to_string(w.home().join("proxy.token"))
            .expect("token made")
            .trim()
            .to_string();
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Proxy {
            child,
            url,
            token,
            http,
        }
    }

    /// A request with the token as a Pleo client would send its key.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .basic_auth(&self.token, Some(""))
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let resp = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .expect("proxy answers");
        let status = resp.status().as_u16();
        (
            status,
            serde_json::from_slice(&resp.bytes().await.unwrap_or_default()).unwrap_or_default(),
        )
    }

    /// `/healthz`'s status and reason.
    pub async fn health(&self) -> (u16, String) {
        let resp = self
            .http
            .get(format!("{}/healthz", self.url))
            .send()
            .await
            .expect("healthz");
        let status = resp.status().as_u16();
        let body: serde_json::Value =
            serde_json::from_slice(&resp.bytes().await.unwrap_or_default()).unwrap_or_default();
        (status, body["reason"].as_str().unwrap_or("").to_string())
    }

    /// Wait (up to 10 s) until `/healthz` says `reason`.
    pub async fn wait_for_reason(&self, reason: &str) {
        for _ in 0..100 {
            if self.health().await.1 == reason {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("healthz never said {reason}: {:?}", self.health().await);
    }

    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.url))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }
}
