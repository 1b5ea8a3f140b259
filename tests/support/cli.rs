//! The real binary run against a sandbox in a home of its own: exit code, stdout, stderr, and a
//! transcript of everything printed (for the secret-hygiene checks).

use pleo_keys::sandbox::Sandbox;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

pub const PASSPHRASE: &str = "correct horse battery staple";

#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Asserts the exit code and the JSON's `reason`; the JSON, for the rest.
    #[track_caller]
    pub fn verdict(&self, code: i32, reason: &str) -> Value {
        assert_eq!(self.code, code, "{}{}", self.stdout, self.stderr);
        let j = self.json();
        assert_eq!(j["reason"], reason);
        j
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

impl From<std::process::Output> for Out {
    /// A run killed by a signal has no exit code: -1.
    fn from(out: std::process::Output) -> Out {
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// The binary on the key file in `home`, against `url`, unlocked by `passphrase`; the caller adds
/// the command and stdio.
pub fn command(home: &Path, url: &str, passphrase: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pleo-keys"));
    cmd.arg("--home")
        .arg(home)
        .args(["--base-url", url, "--secret-store", "file"])
        .env("PLEO_KEYS_PASSPHRASE", passphrase)
        .env("PLEO_KEYS_SCRYPT_WORK_FACTOR", "10")
        .env_remove("PLEO_API_KEY");
    cmd
}

pub struct World {
    pub sandbox: Sandbox,
    pub home: tempfile::TempDir,
    /// Everything the binary printed, for the secret-hygiene check.
    pub transcript: std::sync::Mutex<String>,
}

impl World {
    pub async fn new() -> World {
        World {
            sandbox: Sandbox::start(0).await.expect("sandbox starts"),
            home: tempfile::tempdir().expect("tempdir"),
            transcript: Default::default(),
        }
    }

    /// A world whose home holds `key`, entered with `set-key`, which must succeed.
    pub async fn with_key(key: &str) -> World {
        let w = World::new().await;
        let out = w.set_key(key, &[]).await;
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        w
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    pub async fn run(&self, args: &[&str], stdin: Option<&str>) -> Out {
        self.run_env(args, stdin, &[]).await
    }

    pub async fn run_env(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Out {
        self.run_full(args, stdin, env, &[]).await
    }

    /// `unset`: variables removed after the defaults are set (e.g. the passphrase).
    pub async fn run_full(
        &self,
        args: &[&str],
        stdin: Option<&str>,
        env: &[(&str, &str)],
        unset: &[&str],
    ) -> Out {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pleo-keys"));
        cmd.arg("--home").arg(self.home());
        if !args.contains(&"--base-url") {
            cmd.arg("--base-url").arg(self.sandbox.url());
        }
        cmd.arg("--secret-store")
            .arg("file")
            .args(args)
            .env_remove("PLEO_API_KEY")
            .env_remove("PLEO_KEYS_HOME")
            .env_remove("PLEO_KEYS_ENV")
            .env_remove("PLEO_KEYS_BASE_URL")
            .env_remove("PLEO_KEYS_SECRET_STORE")
            .env("PLEO_KEYS_PASSPHRASE", PASSPHRASE)
            .env("PLEO_KEYS_SCRYPT_WORK_FACTOR", "10")
            .env("PLEO_KEYS_LOG", "debug")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        for k in unset {
            cmd.env_remove(k);
        }
        let input = stdin.map(str::to_string);
        let out = tokio::task::spawn_blocking(move || {
            let mut child = cmd.spawn().expect("binary runs");
            if let Some(mut pipe) = child.stdin.take() {
                use std::io::Write;
                // A run that exits before reading (a refusal) closes the pipe: not a failure.
                if let Some(input) = input
                    && let Err(e) = pipe.write_all(input.as_bytes())
                {
                    assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
                }
            }
            child.wait_with_output().expect("binary finishes")
        })
        .await
        .expect("join");
        let out = Out::from(out);
        let mut t = self.transcript.lock().unwrap();
        t.push_str(&out.stdout);
        t.push_str(&out.stderr);
        out
    }

    pub async fn set_key(&self, key: &str, extra: &[&str]) -> Out {
        let mut args = vec!["set-key", "--json"];
        args.extend_from_slice(extra);
        self.run(&args, Some(&format!("{key}\n"))).await
    }

    pub fn state_bytes(&self) -> Option<Vec<u8>> {
        std::fs::read(self.home().join("state.json")).ok()
    }

    pub fn audit(&self) -> String {
        std::fs::read_to_string(self.home().join("audit.log")).unwrap_or_default()
    }

    pub fn saw(&self, method: &str, path_prefix: &str) -> usize {
        self.sandbox
            .control()
            .requests()
            .iter()
            .filter(|r| r.method == method && r.path_and_query.starts_with(path_prefix))
            .count()
    }
}
