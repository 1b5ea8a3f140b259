//! The real binary's reports and documentation: `history`, `audit`, `forget`'s reminder, the
//! interval note, completions, the man page, `--version` and every command's help.

use crate::support;

use clap::CommandFactory;
use pleo_keys::cli::Cli;
use pleo_keys::sandbox;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::cli::{Out, PASSPHRASE, World, command};

fn hint(key: &str) -> String {
    format!("…{}", &key[key.len() - 4..])
}

fn fingerprint(key: &str) -> String {
    pleo_keys::secret::ApiKey::parse(key)
        .unwrap()
        .0
        .fingerprint()
}

/// The binary with only `args`: no home, no sandbox.
async fn bare(args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_pleo-keys"))
            .args(&args)
            .env_remove("PLEO_KEYS_HOME")
            .stdin(Stdio::null())
            .output()
            .expect("runs")
    })
    .await
    .map(Out::from)
    .unwrap();
    (out.code, out.stdout, out.stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_lists_each_verdict_with_its_latency_and_the_uptime() {
    let w = World::new().await;
    let out = w.run(&["history", "--json"], None).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let j = out.json();
    assert_eq!(j["checks"], serde_json::json!([]));
    assert_eq!(j["uptime_24h"], Value::Null, "nothing observed yet");
    assert!(w.run(&["history"], None).await.stdout.contains("No checks"));

    assert_eq!(w.set_key(sandbox::HEALTHY_KEY, &[]).await.code, 0);
    w.sandbox.control().slow(Some(Duration::from_millis(300)));
    assert_eq!(w.run(&["check", "--json"], None).await.code, 0);
    w.sandbox.control().slow(None);
    w.sandbox.control().revoke(sandbox::HEALTHY_KEY);
    assert_eq!(w.run(&["check", "--json"], None).await.code, 2);

    let out = w.run(&["history", "--json"], None).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let j = out.json();
    let checks = j["checks"].as_array().unwrap();
    let reasons: Vec<&str> = checks
        .iter()
        .map(|c| c["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["active", "active", "key_rejected"], "{j}");
    assert_eq!(checks[2]["status"], "critical");
    for c in checks {
        assert_eq!(c["key_hint"], hint(sandbox::HEALTHY_KEY));
        assert_eq!(c["key_fingerprint"], fingerprint(sandbox::HEALTHY_KEY));
        assert!(c["pid"].as_u64().is_some_and(|p| p > 0), "{c}");
        assert!(c["at"].as_str().is_some(), "{c}");
    }
    let slow = checks[1]["latency_ms"].as_u64().unwrap();
    assert!(
        (300..10_000).contains(&slow),
        "the slowed check took {slow} ms"
    );
    // Usable until the key was rejected a moment ago: most of the time, not all of it.
    let u24 = j["uptime_24h"].as_f64().unwrap();
    assert!(u24 > 0.0 && u24 < 1.0, "{u24}");
    assert_eq!(
        j["uptime_7d"], j["uptime_24h"],
        "the history is younger than a day"
    );
    assert_eq!(j["recorded"], 3);

    let out = w.run(&["history", "--limit", "1", "--json"], None).await;
    let checks = out.json()["checks"].as_array().unwrap().clone();
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0]["reason"], "key_rejected");

    let out = w.run(&["history"], None).await;
    assert_eq!(out.code, 0);
    for needle in [
        "Time (UTC)",
        "key_rejected",
        " ms",
        &hint(sandbox::HEALTHY_KEY),
        "Uptime: 24 h ",
        " · 7 d ",
    ] {
        assert!(out.stdout.contains(needle), "{needle}:\n{}", out.stdout);
    }
    assert!(!out.stdout.contains("100%"), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_exits_unknown_when_its_file_is_unsafe() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let path = w.home().join("history/checks.jsonl");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    // Refused like every file of the home, with the command that fixes it.
    let out = w.run(&["history", "--json"], None).await;
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert!(out.stderr.contains("chmod 600"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_says_who_rotated_which_key_and_filters_by_age() {
    let w = World::new().await;
    let who = [("USER", "ops"), ("SSH_CLIENT", "10.0.0.5 50022 22")];
    for key in [sandbox::HEALTHY_KEY, sandbox::ROTATED_KEY] {
        let stdin = format!("{key}\n");
        let out = w.run_env(&["set-key", "--json"], Some(&stdin), &who).await;
        assert_eq!(out.code, 0, "{}", out.stdout);
    }
    // An old line from before hints were recorded, and one with escape sequences in it.
    let old_fp = fingerprint(sandbox::HEALTHY_KEY);
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(w.home().join("audit.log"))
        .unwrap();
    use std::io::Write;
    writeln!(
        log,
        r#"{{"time":"2020-01-02T03:04:05Z","event":"revalidation_passed","key_fingerprint":"{old_fp}","os_user":"cron\u001b]0;owned\u0007"}}"#
    )
    .unwrap();
    drop(log);

    let new = (
        hint(sandbox::ROTATED_KEY),
        fingerprint(sandbox::ROTATED_KEY),
    );
    let out = w.run(&["audit", "--json"], None).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let j = out.json();
    assert_eq!(j["current_key"]["hint"], new.0);
    assert_eq!(j["current_key"]["fingerprint"], new.1);
    assert_eq!(j["placed"]["event"], "key_replaced");
    assert_eq!(j["placed"]["os_user"], "ops");
    assert_eq!(j["placed"]["ssh_client"], "10.0.0.5");
    let events = j["events"].as_array().unwrap();
    let replaced = events
        .iter()
        .find(|e| e["event"] == "key_replaced")
        .expect("a key_replaced event");
    assert_eq!(replaced["key_hint"], new.0);
    assert_eq!(replaced["key_fingerprint"], new.1);
    assert_eq!(replaced["company_id"], sandbox::ACME_ID);
    // Every event about a key names it by hint and fingerprint (the old line has no hint).
    for e in events
        .iter()
        .filter(|e| e["time"] != "2020-01-02T03:04:05Z")
    {
        if !e["key_fingerprint"].is_null() {
            assert!(e["key_hint"].as_str().is_some(), "{e}");
        }
    }
    let old = events.last().unwrap();
    assert_eq!(old["event"], "revalidation_passed");
    assert_eq!(old["os_user"], "cron]0;owned", "cleaned");

    let recent = w.run(&["audit", "--since", "7d", "--json"], None).await;
    let recent = recent.json()["events"].as_array().unwrap().clone();
    assert_eq!(recent.len(), events.len() - 1, "the 2020 line is older");
    let none = w.run(&["audit", "--since", "1s", "--json"], None).await;
    assert!(none.json()["events"].as_array().unwrap().len() < events.len());

    let out = w.run(&["audit"], None).await;
    assert_eq!(out.code, 0);
    let first = out.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!("Key {} ({}) last rotated ", new.0, new.1))
            && first.ends_with(" by ops from 10.0.0.5."),
        "{first}"
    );
    for needle in [
        "ops from 10.0.0.5",
        "key_replaced",
        &format!("{} ({})", new.0, new.1),
        sandbox::ACME_ID,
        &format!("  {old_fp}  "),
    ] {
        assert!(out.stdout.contains(needle), "{needle}:\n{}", out.stdout);
    }
    assert!(!out.stdout.contains('\u{1b}'), "{}", out.stdout);
    let out = w.run(&["audit", "--since", "7d"], None).await;
    assert!(!out.stdout.contains("2020-01-02"), "{}", out.stdout);
    let out = w.run(&["audit", "--since", "soon"], None).await;
    assert_eq!(out.code, 3, "a usage error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_reminds_to_delete_the_key_in_pleo() {
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let key = format!(
        "{} ({})",
        hint(sandbox::HEALTHY_KEY),
        fingerprint(sandbox::HEALTHY_KEY)
    );
    let out = w.run(&["forget", "--yes", "--json"], None).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let j = out.json();
    assert_eq!(j["key_hint"], hint(sandbox::HEALTHY_KEY));
    let next = j["next_action"].as_str().unwrap();
    assert!(
        next.contains(&key) && next.contains("Settings → API keys"),
        "{next}"
    );

    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let out = w.run(&["forget", "--yes"], None).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "Forgot the key {key} for company {} (Acme Sandbox ApS).",
            sandbox::ACME_ID
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!(
            "Next: Delete the key {key} in Pleo (Settings → API keys)"
        )),
        "{}",
        out.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clamped_interval_is_explained_by_status_and_proxy() {
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let out = w.run(&["status", "--json"], None).await;
    let notes = out.json()["notes"].to_string();
    assert!(notes.contains("every 5 min"), "{notes}");
    let out = w
        .run(&["--revalidate-every", "10s", "status", "--json"], None)
        .await;
    let notes = out.json()["notes"].to_string();
    assert!(
        notes.contains("every 30 s") && notes.contains("10 s was changed to 30 s"),
        "{notes}"
    );

    let home = w.home().to_path_buf();
    let url = w.sandbox.url();
    let note = tokio::task::spawn_blocking(move || {
        let mut child = command(&home, &url, PASSPHRASE)
            .args([
                "proxy",
                "--listen",
                "127.0.0.1:0",
                "--revalidate-every",
                "10s",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("proxy runs");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let note = rx.recv_timeout(Duration::from_secs(30));
        let _ = child.kill();
        let _ = child.wait();
        note
    })
    .await
    .unwrap()
    .expect("the proxy says something on stderr");
    assert!(
        note.contains("Note: the revalidation interval 10 s was changed to 30 s"),
        "{note}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_and_the_man_page_come_from_the_commands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, script, err) = bare(&["completions", shell]).await;
        assert_eq!(code, 0, "{shell}: {err}");
        for word in ["set-key", "history", "audit", "json"] {
            assert!(script.contains(word), "{shell} lacks {word}");
        }
    }
    let (code, _, err) = bare(&["completions", "tcsh"]).await;
    assert_eq!(code, 3, "{err}");

    let (code, page, _) = bare(&["man"]).await;
    assert_eq!(code, 0);
    assert!(page.starts_with(".TH pleo-keys 1"), "{}", &page[..60]);
    for needle in [
        ".SH COMMANDS",
        "pleo\\-keys history",
        "\\-\\-since",
        "EXIT STATUS",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_names_the_commit_and_help_fits_each_command() {
    let (code, out, _) = bare(&["--version"]).await;
    assert_eq!(code, 0);
    let rest = out
        .trim()
        .strip_prefix(&format!("pleo-keys {} (", env!("CARGO_PKG_VERSION")))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        rest == "unknown" || (rest.len() >= 7 && rest.chars().all(|c| c.is_ascii_alphanumeric())),
        "{rest}"
    );
    assert_eq!(
        pleo_keys::VERSION_LONG,
        out.trim().trim_start_matches("pleo-keys ")
    );

    let (_, top, _) = bare(&["--help"]).await;
    assert!(top.contains("--sandbox"), "{top}");
    for sub in Cli::command().get_subcommands() {
        let (code, help, err) = bare(&[sub.get_name(), "--help"]).await;
        assert_eq!(code, 0, "{}: {err}", sub.get_name());
        assert!(!help.contains("--sandbox"), "{}:\n{help}", sub.get_name());
    }
    let (_, help, _) = bare(&["history", "--help"]).await;
    assert!(
        help.contains("--limit") && help.contains("--json"),
        "{help}"
    );
}
