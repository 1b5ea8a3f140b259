//! The real binary against the sandbox: exit codes, JSON, what is stored, what Pleo saw.

use crate::support;

use pleo_keys::sandbox::{self, RetryAfter};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::cli::{Out, PASSPHRASE, World, command};

fn company_urn(id: &str) -> String {
    format!("urn:pleo:company:{id}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_activation_creates_the_installation_then_rechecks_read_only() {
    let w = World::new().await;
    let out = w
        .set_key(sandbox::HEALTHY_KEY, &["--expires", "2099-01-31"])
        .await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(j["status"], "ok");
    assert_eq!(j["reason"], "active");
    assert_eq!(j["company_id"], sandbox::ACME_ID);
    assert_eq!(j["company_name"], "Acme Sandbox ApS");
    assert_eq!(j["installation_status"], "ACTIVATED");
    assert_eq!(j["expires_on"], "2099-01-31");
    assert_eq!(j["missing_scopes"], Value::Array(vec![]));
    assert_eq!(
        j["key_hint"],
        format!(
            "…{}",
            &sandbox::HEALTHY_KEY[sandbox::HEALTHY_KEY.len() - 4..]
        )
    );
    let steps: Vec<(String, String)> = j["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().into(),
                s["result"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(steps.len(), 6);
    assert!(steps.iter().all(|(_, r)| r == "passed"), "{steps:?}");
    assert_eq!(
        w.sandbox
            .control()
            .installation_status(&company_urn(sandbox::ACME_ID))
            .as_deref(),
        Some("ACTIVATED")
    );
    assert_eq!(
        w.saw("POST", "/v1/installations/me"),
        1,
        "installation created once"
    );
    assert!(w.home().join("key.age").exists());

    let before = w.state_bytes();
    let out = w.run(&["check", "--json"], None).await;
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(out.json()["reason"], "active");
    assert_eq!(
        w.saw("POST", "/v1/installations/me"),
        1,
        "a re-check never re-creates"
    );
    assert_eq!(w.saw("PUT", "/v1/installations/me"), 0);
    assert_eq!(
        w.state_bytes(),
        before,
        "an unchanged check leaves state.json as it was"
    );
    // Company-scoped calls carry the company id.
    assert!(
        w.saw(
            "GET",
            &format!("/v1/installations/me?company_id={}", sandbox::ACME_ID)
        ) >= 2
    );

    // Human output names the company as Pleo's guidelines ask.
    let out = w.run(&["check"], None).await;
    assert!(
        out.stdout
            .contains(&format!("Connected to Company ID: {}", sandbox::ACME_ID)),
        "{}",
        out.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_is_critical_and_a_rejected_one_is_never_stored() {
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    w.sandbox.control().revoke(sandbox::HEALTHY_KEY);
    let out = w.run(&["check", "--json"], None).await;
    assert_eq!(out.code, 2);
    let j = out.json();
    assert_eq!(j["status"], "critical");
    assert_eq!(j["reason"], "key_rejected");
    assert!(j["next_action"].as_str().unwrap().contains("set-key"));
    assert_eq!(w.saw("GET", "/v1/introspect"), 2, "401 is never retried");

    let w = World::new().await;
    let out = w.set_key(sandbox::REVOKED_KEY, &[]).await;
    assert_eq!(
        (out.code, out.json()["reason"].clone()),
        (2, "key_rejected".into())
    );
    assert!(
        !w.home().join("key.age").exists(),
        "a failed activation stores nothing"
    );
    assert!(w.state_bytes().is_none());
    let out = w.run(&["status", "--json"], None).await;
    assert_eq!(out.json()["reason"], "not_configured");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_scopes_are_critical_with_the_list() {
    let w = World::new().await;
    let out = w.set_key(sandbox::MISSING_SCOPE_KEY, &[]).await;
    let j = out.verdict(2, "missing_scopes");
    assert_eq!(
        j["missing_scopes"],
        serde_json::json!(["export-jobs:write"])
    );
    assert!(
        j["next_action"]
            .as_str()
            .unwrap()
            .contains("export-jobs:write")
    );
    assert!(w.state_bytes().is_none());

    // A scope lost later is caught by the next check.
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    w.sandbox
        .control()
        .remove_scope(sandbox::HEALTHY_KEY, "export-items:read");
    let out = w.run(&["check", "--json"], None).await;
    assert_eq!(out.code, 2);
    assert_eq!(
        out.json()["missing_scopes"],
        serde_json::json!(["export-items:read"])
    );
    // A custom requirement from the command line.
    let out = w
        .run(
            &["--require-scope", "export-jobs:read", "check", "--json"],
            None,
        )
        .await;
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_company_is_refused_without_confirmation_and_accepted_with_it() {
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let state_before = w.state_bytes();

    let out = w.set_key(sandbox::OTHER_COMPANY_KEY, &[]).await;
    let j = out.verdict(2, "company_mismatch");
    assert_eq!(j["company_id"], sandbox::COBALT_ID);
    assert!(
        j["next_action"]
            .as_str()
            .unwrap()
            .contains("--confirm-company-change")
    );
    assert_eq!(
        w.state_bytes(),
        state_before,
        "refusal changes nothing stored"
    );
    assert_eq!(
        w.sandbox
            .control()
            .installation_status(&company_urn(sandbox::COBALT_ID)),
        None,
        "nothing was installed in the other company before confirmation"
    );

    // A declined change changes nothing: the previous key stays in use.
    let out = w.run(&["check", "--json"], None).await;
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(out.json()["company_id"], sandbox::ACME_ID);

    let out = w
        .set_key(sandbox::OTHER_COMPANY_KEY, &["--confirm-company-change"])
        .await;
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(out.json()["company_id"], sandbox::COBALT_ID);
    let status = w.run(&["status", "--json"], None).await.json();
    assert_eq!(status["company_id"], sandbox::COBALT_ID);
    let audit = w.audit();
    assert!(audit.contains("company_change_declined"), "{audit}");
    assert!(audit.contains("company_change_confirmed"), "{audit}");
    assert!(audit.contains("key_replaced"), "{audit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_key_needs_an_explicit_company() {
    let w = World::new().await;
    let out = w.set_key(sandbox::ORG_KEY, &[]).await;
    let j = out.verdict(2, "company_required");
    let msg = j["message"].as_str().unwrap();
    assert!(
        msg.contains(sandbox::ACME_ID) && msg.contains(sandbox::BOREALIS_ID),
        "{msg}"
    );
    assert_eq!(w.saw("POST", "/v1/installations/me"), 0);

    let out = w
        .set_key(sandbox::ORG_KEY, &["--company", sandbox::COBALT_ID])
        .await;
    assert_eq!(
        out.json()["reason"],
        "company_required",
        "Cobalt is in another organisation"
    );

    let out = w
        .set_key(sandbox::ORG_KEY, &["--company", sandbox::BOREALIS_ID])
        .await;
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(out.json()["company_id"], sandbox::BOREALIS_ID);
    assert_eq!(out.json()["company_name"], "Borealis Sandbox AB");
    assert_eq!(w.run(&["check"], None).await.code, 0);

    let out = w
        .set_key(sandbox::ORG_KEY, &["--company", "not-a-uuid"])
        .await;
    assert_eq!(out.code, 3, "usage errors are unknown, not critical");
    assert!(out.stderr.contains("UUID"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outages_and_rate_limits_are_unknown_then_recover() {
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let state = w.state_bytes();
    let ctl = w.sandbox.control();

    ctl.outage(503, None);
    let seen = ctl.request_count();
    let out = w.run(&["check", "--json"], None).await;
    assert_eq!(out.code, 3, "{}", out.stdout);
    assert_eq!(out.json()["reason"], "server_error");
    let attempts = ctl.request_count() - seen;
    // Introspect and the installation go out together, each retried at most 3 times.
    assert!(
        (2..=8).contains(&attempts),
        "retried a few times, no storm: {attempts}"
    );
    assert_eq!(w.state_bytes(), state);
    ctl.clear_faults();
    assert_eq!(w.run(&["check"], None).await.code, 0);

    ctl.rate_limit(RetryAfter::Seconds(120), None);
    let seen = ctl.request_count();
    let out = w.run(&["check", "--json"], None).await;
    let j = out.verdict(3, "rate_limited");
    assert!(j["message"].as_str().unwrap().contains("120"), "{j}");
    assert_eq!(
        ctl.request_count() - seen,
        2,
        "a long Retry-After is not waited out: introspect and installation, once each"
    );
    ctl.clear_faults();

    // A short Retry-After (as an HTTP-date too) is honoured and the check passes.
    ctl.rate_limit(RetryAfter::HttpDate(1), Some(1));
    let out = w.run(&["check", "--json"], None).await;
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(w.state_bytes(), state);

    // A dead port: unreachable, unknown.
    let out = w
        .run_env(
            &["--base-url", "http://127.0.0.1:9", "check", "--json"],
            None,
            &[],
        )
        .await;
    assert_eq!(out.code, 3);
    assert_eq!(out.json()["reason"], "unreachable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_is_offline_and_forget_removes_everything() {
    let w = World::new().await;
    let out = w.run(&["status", "--json"], None).await;
    assert_eq!(
        (out.code, out.json()["reason"].clone()),
        (2, "not_configured".into())
    );
    assert_eq!(w.set_key(sandbox::HEALTHY_KEY, &[]).await.code, 0);
    let seen = w.sandbox.control().request_count();
    let out = w.run(&["status", "--json"], None).await;
    assert_eq!(out.code, 0);
    let j = out.json();
    assert_eq!(j["company_id"], sandbox::ACME_ID);
    assert_eq!(j["installation_status"], "ACTIVATED");
    let human = w.run(&["status"], None).await;
    assert!(
        human.stdout.contains("Acme Sandbox ApS"),
        "{}",
        human.stdout
    );
    assert_eq!(
        w.sandbox.control().request_count(),
        seen,
        "status asks nobody"
    );

    let out = w.run(&["forget"], None).await;
    assert_ne!(out.code, 0, "no confirmation, nothing removed");
    assert!(w.home().join("key.age").exists());
    let out = w.run(&["forget", "--yes"], None).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!w.home().join("key.age").exists());
    assert!(w.state_bytes().is_none());
    assert!(w.audit().contains("key_forgotten"));
    let out = w.run(&["check", "--json"], None).await;
    assert_eq!(
        (out.code, out.json()["reason"].clone()),
        (2, "not_configured".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_keys_are_refused_locally_with_their_own_message() {
    let w = World::new().await;
    for (input, words) in [
        ("   \n", "empty"),
        ("pls_abc def_123\n", "space"),
        ("pls_abc:def_123", "':'"),
        ("pls_abc\u{7}_123", "control"),
    ] {
        let out = w.set_key(input, &[]).await;
        assert_eq!(out.code, 2, "{input:?}");
        let j = out.json();
        assert_eq!(j["reason"], "invalid_key_format");
        assert!(
            j["message"].as_str().unwrap().contains(words),
            "{input:?}: {j}"
        );
    }
    let huge = "a".repeat(100_000);
    let out = w.set_key(&huge, &[]).await;
    assert_eq!(out.code, 3, "over the read limit");
    assert_eq!(
        w.sandbox.control().request_count(),
        0,
        "nothing reached the network"
    );
    assert!(!w.audit().contains("key_entered"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_key_is_used_for_one_run_and_never_stored() {
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let state = w.state_bytes();
    let last = std::fs::read(w.home().join("last-check.json")).ok();
    let rotated = [("PLEO_API_KEY", sandbox::ROTATED_KEY)];
    let out = w.run_env(&["check", "--json"], None, &rotated).await;
    assert_eq!(out.code, 0, "{}", out.stdout);
    let j = out.json();
    assert!(
        j["key_source"].as_str().unwrap().contains("PLEO_API_KEY"),
        "{j}"
    );
    assert_eq!(w.state_bytes(), state, "state.json untouched");
    assert_eq!(std::fs::read(w.home().join("last-check.json")).ok(), last);
    let status = w.run(&["status", "--json"], None).await.json();
    let hint = &sandbox::HEALTHY_KEY[sandbox::HEALTHY_KEY.len() - 4..];
    assert_eq!(
        status["key_hint"],
        format!("…{hint}"),
        "the stored key as it was"
    );
    assert!(
        w.audit()
            .lines()
            .last()
            .unwrap_or("")
            .contains("environment")
    );

    // In a fresh home it is checked, read-only: nothing is installed or stored.
    let fresh = World::new().await;
    let healthy = [("PLEO_API_KEY", sandbox::HEALTHY_KEY)];
    let out = fresh.run_env(&["check", "--json"], None, &healthy).await;
    assert_eq!(out.json()["reason"], "installation_inactive");
    assert_eq!(fresh.saw("POST", "/v1/installations/me"), 0);
    assert!(!fresh.home().join("key.age").exists());
    assert!(fresh.state_bytes().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_another_host_and_usage_errors_exit_unknown() {
    let w = World::new().await;
    let out = w
        .run(&["--base-url", "http://10.20.30.40", "check"], None)
        .await;
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("unencrypted"), "{}", out.stderr);
    let out = w.run(&["--no-such-flag"], None).await;
    assert_eq!(out.code, 3);
    let out = w.run(&["set-key", "--expires", "next week"], None).await;
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("YYYY-MM-DD"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_flag_alone_shows_a_healthy_connection() {
    let out = tokio::task::spawn_blocking(|| {
        Command::new(env!("CARGO_BIN_EXE_pleo-keys"))
            .arg("--sandbox")
            .env_remove("PLEO_API_KEY")
            .stdin(Stdio::null())
            .output()
            .expect("runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("Connected to Company ID: 11111111-1111-4111-8111-111111111111"),
        "{stdout}"
    );
}

/// After the scenarios above in one home, the key is nowhere but the encrypted store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_appears_nowhere_but_the_encrypted_store() {
    use base64::Engine;
    let w = World::new().await;
    let keys = [
        sandbox::HEALTHY_KEY,
        sandbox::OTHER_COMPANY_KEY,
        sandbox::REVOKED_KEY,
    ];
    w.set_key(sandbox::HEALTHY_KEY, &["--expires", "2099-01-01"])
        .await;
    w.set_key(sandbox::OTHER_COMPANY_KEY, &[]).await;
    w.set_key(sandbox::REVOKED_KEY, &[]).await;
    w.run(&["reactivate"], None).await;
    w.sandbox.control().outage(502, Some(10));
    w.run(&["check", "--json"], None).await;
    w.sandbox.control().clear_faults();
    w.sandbox.control().revoke(sandbox::HEALTHY_KEY);
    w.run(&["check"], None).await;
    w.run(&["status"], None).await;
    w.run_env(
        &["check"],
        None,
        &[("PLEO_API_KEY", sandbox::OTHER_COMPANY_KEY)],
    )
    .await;

    let mut needles: Vec<String> = Vec::new();
    for k in keys {
        needles.push(k.to_string());
        needles.push(base64::engine::general_purpose::STANDARD.encode(format!("{k}:")));
        // The secret half of the key on its own.
        needles.push(k[4..36].to_string());
    }
    let transcript = w.transcript.lock().unwrap().clone();
    for n in &needles {
        assert!(
            !transcript.contains(n.as_str()),
            "stdout/stderr leaked a key"
        );
    }
    let files = walk(w.home());
    assert!(
        files.iter().any(|f| f.to_string_lossy().contains("logs")),
        "logs were written: {files:?}"
    );
    for file in files {
        if file.file_name().is_some_and(|n| n == "key.age") {
            continue;
        }
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for n in &needles {
            assert!(!text.contains(n.as_str()), "{} holds a key", file.display());
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inactive_installation_is_reported_and_reactivate_fixes_it() {
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let ctl = w.sandbox.control();
    let acme = company_urn(sandbox::ACME_ID);

    ctl.set_installation(&acme, "INACTIVE", None, false);
    let out = w.run(&["check", "--json"], None).await;
    assert_eq!(out.code, 2);
    assert_eq!(out.json()["reason"], "installation_inactive");
    assert_eq!(out.json()["installation_status"], "INACTIVE");
    assert!(
        out.json()["next_action"]
            .as_str()
            .unwrap()
            .contains("reactivate")
    );
    assert_eq!(
        ctl.installation_status(&acme).as_deref(),
        Some("INACTIVE"),
        "a check never writes"
    );
    let out = w.run(&["reactivate", "--json"], None).await;
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(ctl.installation_status(&acme).as_deref(), Some("ACTIVATED"));

    // An installation Pleo keeps in ERROR stays not active, with the reason.
    ctl.set_installation(&acme, "ERROR", Some("NOT_ENTITLED"), true);
    let out = w.run(&["reactivate", "--json"], None).await;
    let j = out.verdict(2, "installation_inactive");
    assert!(
        j["message"].as_str().unwrap().contains("NOT_ENTITLED"),
        "{j}"
    );
    assert!(j["next_action"].as_str().unwrap().contains("enable"), "{j}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_state_file_is_named_and_never_overwritten() {
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let state = w.home().join("state.json");
    std::fs::write(&state, b"{\"version\": 1, \"company_id\": ").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o600)).unwrap();
    for args in [&["check", "--json"][..], &["status", "--json"][..]] {
        let out = w.run(args, None).await;
        assert_eq!(out.code, 3, "{args:?}");
        let j = out.json();
        assert_eq!(j["reason"], "storage_error");
        assert!(
            j["message"]
                .as_str()
                .unwrap()
                .contains(&state.display().to_string()),
            "{j}"
        );
    }
    let out = w.set_key(sandbox::ROTATED_KEY, &[]).await;
    assert_eq!(out.code, 3);
    assert_eq!(
        std::fs::read(&state).unwrap(),
        b"{\"version\": 1, \"company_id\": "
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_passphrase_says_so() {
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let out = w
        .run_env(
            &["check", "--json"],
            None,
            &[("PLEO_KEYS_PASSPHRASE", "not the passphrase")],
        )
        .await;
    let j = out.verdict(3, "storage_error");
    assert!(j["message"].as_str().unwrap().contains("passphrase"), "{j}");
}

/// `Debug` of every type that holds or has touched the key.
#[tokio::test]
async fn debug_output_never_shows_the_key() {
    use pleo_keys::domain::Environment;
    use pleo_keys::pleo::{CallLog, ClientSettings, Endpoint, PleoClient};
    use pleo_keys::secret::ApiKey;
    use pleo_keys::store::SecretStore;
    let (key, _) = ApiKey::parse(sandbox::HEALTHY_KEY).unwrap();
    let store = SecretStore::in_memory();
    store.save(&key).await.unwrap();
    let loaded = store.load().await.unwrap();
    let client = PleoClient::new(
        Endpoint::custom("http://127.0.0.1:9", Environment::Custom).unwrap(),
        ClientSettings::default(),
        CallLog::default(),
    )
    .unwrap();
    let dumped = format!("{key:?} {key} {store:?} {loaded:?} {client:?}");
    assert!(!dumped.contains(&sandbox::HEALTHY_KEY[4..36]), "{dumped}");
}

/// A cron `check` while another pleo-keys holds the home: it says what it waits for, then runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_waits_for_the_first_and_says_so() {
    use pleo_keys::store::lock::HomeLock;
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let lock_path = w.home().join(".lock");
    let held = HomeLock::acquire(&lock_path, std::time::Duration::from_secs(1)).unwrap();
    let mut child = support::cli::command(w.home(), &w.sandbox.url(), support::cli::PASSPHRASE)
        .args(["check", "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Let go once it says it waits (it does within its 15 s lock wait, however slow the machine).
    let (code, stderr) = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut said = String::new();
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            said.push_str(&line);
            said.push('\n');
            if line.contains("waiting for another pleo-keys") {
                break;
            }
        }
        drop(held);
        for line in lines {
            said.push_str(&line.unwrap());
            said.push('\n');
        }
        (child.wait().unwrap().code(), said)
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "waiting for another pleo-keys (pid {})",
            std::process::id()
        )),
        "{stderr}"
    );
}

/// A core dump of a process holding a key would write it to disk: dumps are off, and the process
/// is not dumpable.
#[test]
fn core_dumps_are_disabled() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pleo-keys"))
        .args(["sandbox", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("runs");
    let limits_path = format!("/proc/{}/limits", child.id());
    let mut limits = String::new();
    for _ in 0..50 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        limits = std::fs::read_to_string(&limits_path).unwrap_or_default();
        // Wait until the process runs our main (it has printed its URL by then).
        if limits.lines().any(|l| {
            l.starts_with("Max core file size") && l.split_whitespace().nth(4) == Some("0")
        }) {
            break;
        }
    }
    // A non-dumpable process's /proc files belong to root, so a peer cannot read its memory.
    // (Running as root, as CI does, that cannot be told apart; the check needs another user.)
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        use std::os::unix::fs::MetadataExt;
        let mem = std::fs::metadata(format!("/proc/{}/mem", child.id())).map(|m| m.uid());
        assert_eq!(
            mem.ok(),
            Some(0),
            "/proc/PID/mem is not readable by the same user"
        );
    }
    let _ = child.kill();
    let _ = child.wait();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap_or("");
    // The soft limit: the hard one stays, so `exec` can give its program the user's own back.
    assert_eq!(line.split_whitespace().nth(4), Some("0"), "{line}");
}

/// A legacy API token (or anything not shaped like a Standalone API Key) is tried, rejected by
/// Pleo, and the report says why such a token cannot work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legacy_token_shape_is_explained() {
    let w = World::new().await;
    let out = w.set_key("0a1b2c3d4e5f60718293a4b5c6d7e8f9", &[]).await;
    let j = out.verdict(2, "key_rejected");
    let notes = j["notes"].to_string();
    assert!(notes.contains("legacy API token"), "{notes}");
}

fn hint(key: &str) -> String {
    format!("…{}", &key[key.len() - 4..])
}

/// Rotation never makes things worse: a replacement that fails changes nothing, the previous key
/// stays in use (a later check exits 0 with it), and the audit log says what happened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_replacement_leaves_the_previous_key_in_use() {
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let state = w.state_bytes();
    for bad in [sandbox::REVOKED_KEY, sandbox::MISSING_SCOPE_KEY] {
        let out = w.set_key(bad, &[]).await;
        assert_eq!(out.code, 2, "{}", out.stdout);
        let message = out.json()["message"].as_str().unwrap_or("").to_string();
        assert!(
            message.starts_with(&format!(
                "The new key was not used; the current key {} is still active.",
                hint(sandbox::HEALTHY_KEY)
            )),
            "{message}"
        );
        assert_eq!(w.state_bytes(), state, "nothing stored changed");
        let out = w.run(&["check", "--json"], None).await;
        assert_eq!(out.code, 0, "{}", out.stdout);
        assert_eq!(out.json()["key_hint"], hint(sandbox::HEALTHY_KEY));
    }
    assert!(w.audit().contains("replacement_failed"));
    assert!(!w.home().join("replacement.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_successful_replacement_says_to_delete_the_old_key_and_retires_it() {
    let w = World::new().await;
    assert_eq!(
        w.set_key(sandbox::HEALTHY_KEY, &["--expires", "2099-01-31"])
            .await
            .code,
        0
    );
    let out = w.set_key(sandbox::ROTATED_KEY, &[]).await;
    assert_eq!(out.code, 0, "{}", out.stdout);
    let j = out.json();
    let next = j["next_action"].as_str().unwrap_or("");
    assert!(
        next.contains(&hint(sandbox::HEALTHY_KEY)) && next.contains("delete it in Pleo"),
        "{next}"
    );
    assert_eq!(
        j["expires_on"],
        Value::Null,
        "the old key's expiry is not inherited"
    );
    let old_fp = pleo_keys::secret::ApiKey::parse(sandbox::HEALTHY_KEY)
        .unwrap()
        .0
        .fingerprint();
    let retired = w
        .audit()
        .lines()
        .find(|l| l.contains("\"key_retired\""))
        .unwrap_or("")
        .to_string();
    assert!(retired.contains(&old_fp), "{retired}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expiry_date_is_recorded_without_the_key() {
    let w = World::new().await;
    let out = w.run(&["set-expiry", "2099-01-31"], None).await;
    assert_eq!(out.code, 2, "no key yet: {}", out.stderr);
    assert_eq!(w.set_key(sandbox::HEALTHY_KEY, &[]).await.code, 0);
    let seen = w.sandbox.control().request_count();
    let out = w.run(&["set-expiry", "2099-01-31", "--json"], None).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.json()["expires_on"], "2099-01-31");
    assert_eq!(w.sandbox.control().request_count(), seen, "no call to Pleo");
    let status = w.run(&["status", "--json"], None).await.json();
    assert_eq!(status["expires_on"], "2099-01-31");
    assert!(w.audit().contains("expiry_recorded"));

    let state = w.state_bytes();
    let out = w.run(&["set-expiry", "2020-01-01"], None).await;
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("in the past"), "{}", out.stderr);
    let out = w.run(&["set-expiry", "2025-13-40"], None).await;
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("is not a date"), "{}", out.stderr);
    assert_eq!(w.state_bytes(), state, "refusals change nothing");

    let out = w.run(&["set-expiry", "none"], None).await;
    assert_eq!(out.code, 0);
    let status = w.run(&["status", "--json"], None).await.json();
    assert_eq!(status["expires_on"], Value::Null);
}

/// For services and cron: the passphrase from a private file, or from systemd's credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_passphrase_comes_from_a_file_or_systemd_credentials() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let write = |path: &Path, text: &str, mode: u32| {
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    let secrets = tempfile::tempdir().unwrap();
    let file = secrets.path().join("pass");
    write(&file, &format!("{PASSPHRASE}\n"), 0o600);
    let creds = tempfile::tempdir().unwrap();
    let cred = creds.path().join("pleo-keys-passphrase");
    write(&cred, PASSPHRASE, 0o400);
    let file_s = file.display().to_string();
    let dir = creds.path().display().to_string();
    let from_file = [("PLEO_KEYS_PASSPHRASE_FILE", file_s.as_str())];
    let from_credentials = [("CREDENTIALS_DIRECTORY", dir.as_str())];
    let unset = ["PLEO_KEYS_PASSPHRASE"];
    for env in [from_file, from_credentials] {
        let out = w.run_full(&["check", "--json"], None, &env, &unset).await;
        assert_eq!(out.code, 0, "{env:?}: {}{}", out.stdout, out.stderr);
    }

    // A passphrase file others can read is refused, with the fix.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = w.run_full(&["check"], None, &from_file, &unset).await;
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("chmod 600"), "{}", out.stderr);

    // No passphrase anywhere and no terminal: says where one can come from.
    let out = w.run_full(&["check", "--json"], None, &[], &unset).await;
    let j = out.verdict(3, "storage_error");
    assert!(
        j["message"]
            .as_str()
            .unwrap_or("")
            .contains("PLEO_KEYS_PASSPHRASE_FILE"),
        "{j}"
    );
}

/// `pleo-keys status --json | head -1`: a reader that goes away never turns the verdict into a
/// panic (101); the exit code is the verdict's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_pipe_never_panics_and_keeps_the_exit_code() {
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let home = w.home().to_path_buf();
    let url = w.sandbox.url();
    for (args, expected) in [
        (vec!["status", "--json"], 0),
        (vec!["status"], 0),
        (vec!["check", "--json"], 0),
        (vec!["check"], 0),
        (vec!["--help"], 0),
        (vec!["set-expiry", "2099-01-01", "--json"], 0),
    ] {
        let home = home.clone();
        let url = url.clone();
        let code = tokio::task::spawn_blocking(move || {
            let mut child = command(&home, &url, PASSPHRASE)
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("runs");
            // The reader is gone before anything is written.
            drop(child.stdout.take());
            child.wait().expect("waits").code()
        })
        .await
        .unwrap();
        assert_eq!(code, Some(expected));
    }
}

/// A replacement interrupted after the new key (for another company) was stored: the next check
/// finds the mismatch and names the command that settles it for a stored key, `reactivate`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_company_change_is_settled_with_reactivate() {
    use pleo_keys::secret::ApiKey;
    use pleo_keys::store::{Home, Paths, Replacement, SecretStore};
    use secrecy::SecretString;
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let paths = Paths::resolve(Some(w.home())).unwrap();
    let (other, _) = ApiKey::parse(sandbox::OTHER_COMPANY_KEY).unwrap();
    let store = SecretStore::encrypted_file(
        paths.secret_file.clone(),
        Some(SecretString::from(PASSPHRASE.to_string())),
        10,
    )
    .unwrap();
    store.save(&other).await.unwrap();
    let mut gone = Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    Home::open(paths)
        .unwrap()
        .save(&Replacement {
            version: 1,
            pid,
            started_at: jiff::Timestamp::now(),
            candidate: other.id(),
        })
        .unwrap();

    let out = w.run(&["check", "--json"], None).await;
    let j = out.json();
    assert_eq!(j["reason"], "company_mismatch", "{}", out.stdout);
    let next = j["next_action"].as_str().unwrap_or("");
    assert!(
        next.contains("pleo-keys reactivate --confirm-company-change"),
        "{next}"
    );

    let out = w
        .run(&["reactivate", "--confirm-company-change", "--json"], None)
        .await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.json()["company_id"], sandbox::COBALT_ID);
}

/// `--sandbox` leaves no throw-away home behind, and clears one a killed run left.
#[test]
fn the_sandbox_home_is_removed_and_an_abandoned_one_cleared() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let abandoned = tmp.path().join("pleo-keys-sandbox-0123456789abcdef");
    std::fs::create_dir(&abandoned).unwrap();
    std::fs::set_permissions(&abandoned, std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut gone = Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    let pid_file = abandoned.join("pid");
    std::fs::write(&pid_file, pid.to_string()).unwrap();
    std::fs::set_permissions(&pid_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    // Someone else's look-alike (a live process) is left alone.
    let alive = tmp.path().join("pleo-keys-sandbox-live");
    std::fs::create_dir(&alive).unwrap();
    std::fs::set_permissions(&alive, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(alive.join("pid"), std::process::id().to_string()).unwrap();
    std::fs::set_permissions(alive.join("pid"), std::fs::Permissions::from_mode(0o600)).unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_pleo-keys"))
        .arg("--sandbox")
        .env("TMPDIR", tmp.path())
        .env_remove("PLEO_API_KEY")
        .output()
        .map(Out::from)
        .unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["pleo-keys-sandbox-live"], "{left:?}");
}
