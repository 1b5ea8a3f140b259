//! The adversarial review's findings, each as the attack it was: hostile server text, a proxy
//! setting, a home others can write, special files, hostile Retry-After values, private logs.

use crate::support;

use pleo_keys::sandbox::{self, HostileText, RetryAfter};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::cli::{PASSPHRASE, World};

/// No escape sequence, C1 control, bidi override or forged line reaches the terminal.
fn assert_safe_for_a_terminal(what: &str, text: &str) {
    for (i, c) in text.chars().enumerate() {
        let bad = (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}');
        assert!(!bad, "{what}: {c:?} at {i} in:\n{text}");
    }
    let forged = text.lines().find(|line| line.starts_with("FAKE: OK"));
    assert_eq!(forged, None, "{what}: a forged line");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_text_never_reaches_the_terminal_or_the_state_file_unfiltered() {
    let w = World::new().await;
    w.sandbox
        .control()
        .behave(|b| b.hostile_text = HostileText::Controls);
    let out = w.set_key(sandbox::HEALTHY_KEY, &[]).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let j = out.json();
    let name = j["company_name"].as_str().unwrap_or("");
    assert!(
        name.starts_with("Acme"),
        "the name is kept, made safe: {name:?}"
    );
    for args in [
        &["set-key"][..],
        &["check"][..],
        &["check", "--json"][..],
        &["status"][..],
        &["status", "--json"][..],
        &["reactivate"][..],
    ] {
        let stdin = (args[0] == "set-key").then(|| format!("{}\n", sandbox::ROTATED_KEY));
        let out = w.run(args, stdin.as_deref()).await;
        assert_safe_for_a_terminal(&format!("{args:?} stdout"), &out.stdout);
        assert_safe_for_a_terminal(&format!("{args:?} stderr"), &out.stderr);
        if args.contains(&"--json") {
            out.json();
        }
    }
    // An error body from Pleo, hostile too.
    w.sandbox.control().revoke(sandbox::ROTATED_KEY);
    let out = w.run(&["check"], None).await;
    assert_eq!(out.code, 2);
    assert_safe_for_a_terminal("a rejected key", &out.stdout);
    let state = std::fs::read_to_string(w.home().join("state.json")).unwrap();
    assert!(
        !state.contains("\\u001b") && !state.contains('\u{1b}'),
        "{state}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_setting_never_carries_a_plain_http_key_off_the_machine() {
    let w = World::new().await;
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let vars = [
        ("http_proxy", proxy_url.as_str()),
        ("HTTP_PROXY", proxy_url.as_str()),
        ("ALL_PROXY", proxy_url.as_str()),
        ("all_proxy", proxy_url.as_str()),
    ];
    let out = w
        .run_env(
            &["set-key", "--json"],
            Some(&format!("{}\n", sandbox::HEALTHY_KEY)),
            &vars,
        )
        .await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        proxy.accept().is_err(),
        "the proxy saw a connection: the key would have crossed it in clear text"
    );
    assert!(
        w.saw("GET", "/v1/introspect") >= 1,
        "the sandbox was called directly"
    );

    // For https the proxy is honoured, and the report says so (here it refuses, so the check
    // cannot reach anything: nothing leaves the machine).
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://user:pw@{}", closed.local_addr().unwrap());
    drop(closed);
    let out = w
        .run_env(
            &["--base-url", "https://api.pleo.invalid", "check", "--json"],
            None,
            &[("HTTPS_PROXY", closed_url.as_str())],
        )
        .await;
    let notes = out.json()["notes"].to_string();
    assert!(
        notes.contains("through the proxy http://127.0.0.1"),
        "{notes}"
    );
    assert!(
        !notes.contains("pw"),
        "proxy credentials are never shown: {notes}"
    );
}

/// Someone else could write the home (or plant files in it): refused, with the fix, before any
/// key is sent anywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_home_others_can_write_is_refused_before_anything_is_sent() {
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let seen = w.sandbox.control().request_count();

    std::fs::set_permissions(w.home(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = w.run(&["check"], None).await;
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("chmod 700 {}", w.home().display())),
        "{}",
        out.stderr
    );
    std::fs::set_permissions(w.home(), std::fs::Permissions::from_mode(0o700)).unwrap();

    // A config that sends the key elsewhere, writable by others.
    let config = w.home().join("config.toml");
    std::fs::write(&config, "base_url = \"https://collector.example\"\n").unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = w.run_env(&["check"], None, &[]).await;
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("chmod 600"), "{}", out.stderr);
    std::fs::remove_file(&config).unwrap();

    // Links in place of the lock and the audit log: refused, their targets untouched.
    let target = w.home().join("precious");
    std::fs::write(&target, b"keep me").unwrap();
    for name in [".lock", "audit.log"] {
        let link = w.home().join(name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let out = w.run(&["check"], None).await;
        assert_eq!(out.code, 3, "{name}: {}", out.stderr);
        assert!(
            out.stderr.contains("symbolic link"),
            "{name}: {}",
            out.stderr
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"keep me", "{name}");
        std::fs::remove_file(&link).unwrap();
    }
    assert_eq!(
        w.sandbox.control().request_count(),
        seen,
        "nothing was sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn special_and_huge_files_are_refused_at_once() {
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let key_file = w.home().join("key.age");
    std::fs::remove_file(&key_file).unwrap();
    let c = std::ffi::CString::new(key_file.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let started = Instant::now();
    let out = w.run(&["check"], None).await;
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("not a regular file"), "{}", out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "it did not hang"
    );
    std::fs::remove_file(&key_file).unwrap();

    // A 1 GB sparse state file: refused by its size, not read.
    let state = w.home().join("state.json");
    let f = std::fs::File::create(&state).unwrap();
    f.set_len(1 << 30).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = w.run(&["status", "--json"], None).await;
    assert_eq!(out.code, 3);
    assert_eq!(out.json()["reason"], "storage_error");
    assert!(out.stdout.contains("bytes"), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_retry_after_is_capped_and_never_panics() {
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    w.sandbox
        .control()
        .rate_limit(RetryAfter::Seconds(300_000_000_000), None);
    let out = w.run(&["check", "--json"], None).await;
    assert_eq!(out.code, 3, "{}", out.stderr);
    let j = out.json();
    assert_eq!(j["reason"], "rate_limited");
    assert!(
        j["message"].as_str().unwrap_or("").contains("3600 s"),
        "{j}"
    );
    // An absurd interval parses (and is clamped) rather than overflowing a timer.
    let out = w
        .run(&["--revalidate-every", "300000000000s", "status"], None)
        .await;
    assert_eq!(
        out.code, 3,
        "status reports the stored rate limit: {}",
        out.stderr
    );
    assert!(out.stdout.contains("retry in 3600 s"), "{out:?}");
}

/// The log file is private even when the process starts with umask 000.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_private_whatever_the_umask() {
    let w = World::new().await;
    let home = w.home().to_path_buf();
    let url = w.sandbox.url();
    let code = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pleo-keys"));
        cmd.args(["--home", home.to_str().unwrap(), "--base-url", &url])
            .args(["--secret-store", "file", "status"])
            .env("PLEO_KEYS_PASSPHRASE", PASSPHRASE)
            .env_remove("PLEO_API_KEY")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: umask is async-signal-safe and takes an integer.
        unsafe {
            cmd.pre_exec(|| {
                libc::umask(0);
                Ok(())
            });
        }
        cmd.status().unwrap().code()
    })
    .await
    .unwrap();
    assert_eq!(code, Some(2), "not configured");
    let logs = w.home().join("logs");
    let dir_mode = std::fs::metadata(&logs).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
    let mut found = 0;
    for entry in std::fs::read_dir(&logs).unwrap() {
        let mode = entry.unwrap().metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode & 0o077,
            0,
            "a log file is readable by others: {mode:o}"
        );
        found += 1;
    }
    assert!(found > 0, "a log file was written");
}
