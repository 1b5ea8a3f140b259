//! The gateway as the integration uses it: the real `proxy`, `exec` and `api` against the sandbox.
//! What Pleo saw is read from the sandbox's request log, so "nothing was sent" is a fact, not a
//! hope.

use crate::support;

use pleo_keys::sandbox::{self, RetryAfter};
use reqwest::Method;
use std::time::Duration;
use support::cli::World;
use support::gateway::Proxy;
use support::prometheus;

const OTHER: &str = sandbox::COBALT_ID;

/// A home where the healthy key (with `set_key_args`) is active, and a proxy serving it.
async fn serving(set_key_args: &[&str]) -> (World, Proxy) {
    let w = World::new().await;
    let out = w.set_key(sandbox::HEALTHY_KEY, set_key_args).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let p = Proxy::start(&w, &[]);
    p.wait_for_reason("active").await;
    (w, p)
}

fn count(w: &World) -> usize {
    w.sandbox.control().request_count()
}

/// The requests Pleo saw after the first `since`.
fn seen_since(w: &World, since: usize) -> Vec<pleo_keys::sandbox::SeenRequest> {
    let all = w.sandbox.control().requests();
    let skip = all.len().saturating_sub(count(w) - since);
    all.into_iter().skip(skip).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_go_out_with_the_stored_key_and_never_the_token() {
    let (w, p) = serving(&[]).await;
    let before = count(&w);
    let (status, body) = p.get("/v2/employees?limit=1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"][0]["companyId"], sandbox::ACME_ID);
    // Bearer works as well as Basic.
    let resp = p
        .http
        .get(format!("{}/v1/introspect", p.url))
        .bearer_auth(&p.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let seen = seen_since(&w, before);
    assert_eq!(seen.len(), 2, "{seen:?}");
    for r in &seen {
        assert_eq!(
            r.key_name,
            Some("healthy"),
            "Pleo got the stored key: {r:?}"
        );
    }
    let history = std::fs::read_to_string(w.home().join("history/calls.jsonl")).unwrap();
    assert!(history.contains("\"source\":\"proxy\""), "{history}");
    assert!(!history.contains(&p.token) && !history.contains(sandbox::HEALTHY_KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_is_answered_locally_with_nothing_sent() {
    let (w, p) = serving(&[]).await;
    let before = count(&w);
    let url = |path: &str| format!("{}{path}", p.url);
    let other_body = format!(r#"{{"companyId":"{OTHER}"}}"#);
    let cases = [
        (p.http.get(url("/v2/employees")), 401, "PROXY_UNAUTHORIZED"),
        (
            p.http
                .get(url("/v2/employees"))
                .basic_auth("pkt_wrong", Some("")),
            401,
            "PROXY_UNAUTHORIZED",
        ),
        (
            // The Pleo key itself is not a way in either.
            p.http
                .get(url("/v2/employees"))
                .basic_auth(sandbox::HEALTHY_KEY, Some("")),
            401,
            "PROXY_UNAUTHORIZED",
        ),
        (
            p.request(Method::GET, &format!("/v3/export-items?company_id={OTHER}")),
            403,
            "COMPANY_SCOPE_VIOLATION",
        ),
        (
            p.request(Method::POST, "/v3/export-jobs").body(other_body),
            403,
            "COMPANY_SCOPE_VIOLATION",
        ),
        (
            p.request(Method::GET, &format!("/v1/companies/{OTHER}")),
            403,
            "COMPANY_SCOPE_VIOLATION",
        ),
        (
            p.request(Method::POST, "/v3/export-jobs")
                .body(vec![b' '; 2 * 1024 * 1024]),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    for (i, (req, status, kind)) in cases.into_iter().enumerate() {
        let resp = req.send().await.expect("answered");
        assert_eq!(resp.status().as_u16(), status, "case {i}");
        let body: serde_json::Value =
            serde_json::from_slice(&resp.bytes().await.unwrap_or_default()).unwrap_or_default();
        assert_eq!(body["type"], kind, "case {i}: {body}");
    }
    assert_eq!(count(&w), before, "nothing reached Pleo");
    let samples = prometheus::parse(&p.metrics().await);
    for (kind, n) in [
        ("PROXY_UNAUTHORIZED", 3.0),
        ("COMPANY_SCOPE_VIOLATION", 3.0),
        ("PAYLOAD_TOO_LARGE", 1.0),
    ] {
        let refusals = "pleo_keys_proxy_refusals_total";
        assert_eq!(prometheus::value(&samples, refusals, &[("type", kind)]), n);
    }
}

/// An integration that keeps calling an endpoint its key lacks a scope for (one the integration
/// does not require, so the key stays active): every 403 is counted, the audit log gets one line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_scope_denials_are_counted_each_and_audited_once() {
    let (w, p) = serving(&[]).await;
    w.sandbox
        .control()
        .remove_scope(sandbox::HEALTHY_KEY, "users:read");
    for _ in 0..5 {
        let (status, body) = p.get("/v2/employees").await;
        assert_eq!(status, 403, "{body}");
    }
    let samples = prometheus::parse(&p.metrics().await);
    let denials = prometheus::value(&samples, "pleo_keys_proxy_scope_denials_total", &[]);
    assert_eq!(denials, 5.0);
    // The audit line is written off the request path: give it a moment.
    let audit = w.home().join("audit.log");
    let mut audited = 0;
    for _ in 0..100 {
        let text = std::fs::read_to_string(&audit).unwrap_or_default();
        audited = text.matches("scope_denied").count();
        if audited > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(audited, 1, "one audit line for five denials");
}

/// The lifecycle governs the traffic: refused (503, the reason, nothing sent) while the key may
/// not be used; forwarded while Pleo is merely failing or throttling.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lifecycle_gates_the_traffic() {
    let (w, p) = serving(&[]).await;
    let acme = format!("urn:pleo:company:{}", sandbox::ACME_ID);
    let control = w.sandbox.control();

    type Switch<'a> = Box<dyn Fn() + 'a>;
    let closed: Vec<(&str, Switch, Switch)> = vec![
        (
            "key_rejected",
            Box::new(|| control.revoke(sandbox::HEALTHY_KEY)),
            Box::new(|| control.restore(sandbox::HEALTHY_KEY)),
        ),
        (
            "missing_scopes",
            Box::new(|| control.remove_scope(sandbox::HEALTHY_KEY, "export-jobs:read")),
            Box::new(|| {
                control.set_scopes(
                    sandbox::HEALTHY_KEY,
                    &[
                        "companies:read",
                        "export-items:read",
                        "export-jobs:read",
                        "export-jobs:write",
                        "users:read",
                    ],
                )
            }),
        ),
        (
            "installation_inactive",
            Box::new(|| control.set_installation(&acme, "INACTIVE", None, true)),
            Box::new(|| control.set_installation(&acme, "ACTIVATED", None, false)),
        ),
    ];
    for (reason, break_it, mend_it) in closed {
        break_it();
        assert_eq!(w.run(&["check"], None).await.code, 2, "{reason}");
        p.wait_for_reason(reason).await;
        let before = count(&w);
        let (status, body) = p.get("/v2/employees").await;
        assert_eq!(
            (status, body["type"].as_str()),
            (503, Some("INTEGRATION_NOT_ACTIVE"))
        );
        assert_eq!(body["reason"], reason);
        assert_eq!(count(&w), before, "{reason}: nothing sent");
        mend_it();
        assert_eq!(w.run(&["check"], None).await.code, 0, "{reason} mended");
        p.wait_for_reason("active").await;
    }

    // Pleo failing or throttling: the key was good at the last check, so Pleo answers.
    control.outage(503, None);
    assert_eq!(w.run(&["check"], None).await.code, 3);
    p.wait_for_reason("server_error").await;
    let (status, _) = p.get("/v2/employees").await;
    assert_eq!(status, 503, "Pleo's own 503 passes through");
    control.clear_faults();
    control.rate_limit(RetryAfter::Seconds(7), None);
    let resp = p
        .request(Method::GET, "/v2/employees")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    control.clear_faults();

    // An interrupted replacement: held, settled by a check, then served.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    let marker = serde_json::json!({
        "version": 1, "pid": pid, "started_at": "2026-01-01T00:00:00Z",
        "candidate": {"hint": "…21a4", "fingerprint": "cb56eed8c825"}
    });
    let path = w.home().join("replacement.json");
    std::fs::write(&path, marker.to_string()).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    p.wait_for_reason("replacement_pending").await;
    let (status, body) = p.get("/v2/employees").await;
    assert_eq!(status, 200, "{body}");
    assert!(!w.home().join("replacement.json").exists(), "settled");

    // No key at all.
    assert_eq!(w.run(&["forget", "--yes"], None).await.code, 0);
    p.wait_for_reason("not_configured").await;
    let (status, body) = p.get("/v2/employees").await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (503, Some("not_configured"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_on_live_traffic_is_noticed_at_once_everywhere() {
    let (w, p) = serving(&[]).await;
    w.sandbox.control().revoke(sandbox::HEALTHY_KEY);
    let (status, _) = p.get("/v2/employees").await;
    assert_eq!(status, 401, "Pleo's answer passes through");
    // No scheduled check (five minutes away) and no CLI check: the proxy checked by itself.
    p.wait_for_reason("key_rejected").await;
    let out = w.run(&["status", "--json"], None).await;
    assert_eq!(out.json()["reason"], "key_rejected");
    let (status, _) = p.get("/v2/employees").await;
    assert_eq!(status, 503, "the gate closed");
}

/// A key committed by another process is used for the next requests; requests keep succeeding
/// throughout (held while the replacement settles, never refused).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_key_is_used_without_a_restart_or_a_failed_request() {
    let (w, p) = serving(&[]).await;
    let p = std::sync::Arc::new(p);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (p, stop) = (p.clone(), stop.clone());
        clients.spawn(async move {
            let mut statuses = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                statuses.push(p.get("/v1/introspect").await.0);
            }
            statuses
        });
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(w.set_key(sandbox::ROTATED_KEY, &[]).await.code, 0);
    // The watch tells the proxy within moments; give it a generous second.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let before = count(&w);
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total = 0;
    while let Some(statuses) = clients.join_next().await {
        let statuses = statuses.unwrap();
        total += statuses.len();
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    }
    assert!(total > 16, "the clients were busy: {total}");
    let after: Vec<_> = seen_since(&w, before)
        .into_iter()
        .filter(|r| r.path_and_query == "/v1/introspect")
        .collect();
    assert!(!after.is_empty());
    assert!(
        after.iter().all(|r| r.key_name == Some("rotated")),
        "{after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_key_gets_its_company_added() {
    let w = World::new().await;
    let out = w
        .set_key(sandbox::ORG_KEY, &["--company", sandbox::BOREALIS_ID])
        .await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let p = Proxy::start(&w, &[]);
    p.wait_for_reason("active").await;
    let before = count(&w);
    for path in ["/v2/employees", "/v3/export-items?limit=5"] {
        let (status, body) = p.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    let seen: Vec<_> = seen_since(&w, before)
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    let b = sandbox::BOREALIS_ID;
    assert_eq!(
        seen,
        [
            format!("/v2/employees?companyId={b}"),
            format!("/v3/export-items?limit=5&company_id={b}")
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_the_textfile_check_are_prometheus_text_without_secrets() {
    let (w, p) = serving(&["--expires", "2099-01-31"]).await;
    assert_eq!(p.get("/v1/introspect").await.0, 200);
    let _ = p.http.get(format!("{}/v1/introspect", p.url)).send().await;
    let text = p.metrics().await;
    let samples = prometheus::parse(&text);
    assert_eq!(prometheus::value(&samples, "pleo_keys_up", &[]), 1.0);
    assert_eq!(
        prometheus::value(&samples, "pleo_keys_lifecycle", &[("state", "active")]),
        1.0
    );
    let expiry = jiff::civil::date(2099, 1, 31)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_second() as f64;
    assert_eq!(
        prometheus::value(&samples, "pleo_keys_key_expiry_timestamp_seconds", &[]),
        expiry
    );
    let forwarded = "pleo_keys_proxy_requests_total";
    assert_eq!(
        prometheus::value(&samples, forwarded, &[("class", "2xx")]),
        1.0
    );
    let duration = "pleo_keys_proxy_request_duration_seconds";
    assert_eq!(
        prometheus::value(&samples, &format!("{duration}_bucket"), &[("le", "+Inf")]),
        1.0
    );
    assert_eq!(
        prometheus::value(&samples, &format!("{duration}_count"), &[]),
        1.0
    );
    for secret in [sandbox::HEALTHY_KEY, &p.token, "…21a4"] {
        assert!(!text.contains(secret), "metrics reveal {secret}");
    }
    assert_no_key_in_files(&w);

    let out = w.run(&["check", "--format", "prometheus"], None).await;
    assert_eq!(out.code, 0);
    let samples = prometheus::parse(&out.stdout);
    assert_eq!(prometheus::value(&samples, "pleo_keys_up", &[]), 1.0);
    assert!(
        samples
            .iter()
            .any(|s| s.name == "pleo_keys_last_good_check_timestamp_seconds")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_lets_requests_in_flight_finish() {
    let (w, mut p) = serving(&[]).await;
    w.sandbox.control().slow(Some(Duration::from_millis(1500)));
    let request = p.request(Method::GET, "/v1/introspect").send();
    let in_flight = tokio::spawn(request);
    tokio::time::sleep(Duration::from_millis(400)).await;
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(p.child.id() as i32, libc::SIGTERM) };
    let resp = in_flight.await.unwrap().expect("answered, not cut off");
    assert_eq!(resp.status(), 200);
    let code = tokio::task::spawn_blocking(move || {
        let status = p.child.wait().unwrap();
        (status.code(), p)
    })
    .await
    .unwrap();
    assert_eq!(code.0, Some(0));
    let refused = code
        .1
        .http
        .get(format!("{}/healthz", code.1.url))
        .send()
        .await;
    assert!(refused.is_err(), "no longer listening");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_hands_the_key_to_a_program_only_while_active() {
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    let script = r#"printf '%s|%s|%s|%s' "$PLEO_API_KEY" "$PLEO_COMPANY_ID" "$PLEO_API_BASE_URL" "${PLEO_KEYS_PASSPHRASE-unset}"; exit 7"#;
    let out = w.run(&["exec", "--", "sh", "-c", script], None).await;
    assert_eq!(out.code, 7, "the program's exit code: {}", out.stderr);
    let url = w.sandbox.url();
    let fields: Vec<&str> = out.stdout.split('|').collect();
    assert_eq!(
        fields,
        [
            sandbox::HEALTHY_KEY,
            sandbox::ACME_ID,
            url.trim_end_matches('/'),
            "unset"
        ]
    );

    // Signals reach the program, and its way of ending is ours.
    let mut cmd = support::cli::command(w.home(), &w.sandbox.url(), support::cli::PASSPHRASE);
    let mut child = cmd
        .args([
            "exec",
            "--",
            "sh",
            "-c",
            "trap 'echo got-term; exit 9' TERM; echo ready; sleep 10 >/dev/null & wait",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Signal once the program runs with its trap set, however slow the machine is today.
    let done = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        assert_eq!(first.trim(), "ready");
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
        (child.wait().unwrap(), rest)
    })
    .await
    .unwrap();
    assert_eq!(done.0.code(), Some(9));
    assert_eq!(done.1.trim(), "got-term");

    // Not active: the program never starts.
    w.sandbox.control().revoke(sandbox::HEALTHY_KEY);
    let marker = w.home().join("started");
    let touch = format!("touch {}", marker.display());
    let out = w.run(&["exec", "--", "sh", "-c", &touch], None).await;
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("key_rejected"), "{}", out.stderr);
    assert!(!marker.exists(), "the program was not started");
    let out = w.run(&["exec", "--", "/nonexistent/program"], None).await;
    assert_eq!(out.code, 2, "refused before looking for the program");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_makes_one_scoped_call() {
    let w = World::with_key(sandbox::HEALTHY_KEY).await;
    // Fields make a POST unless told otherwise, as with `gh api`.
    let out = w
        .run(
            &["api", "-X", "get", "/v2/employees", "-f", "limit=1"],
            None,
        )
        .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let body: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(body["data"][0]["companyId"], sandbox::ACME_ID);
    assert_eq!(w.saw("GET", "/v2/employees?limit=1"), 1);

    let out = w.run(&["api", "/v9/nothing"], None).await;
    assert_eq!(out.code, 2, "a 4xx");
    let before = count(&w);
    let other = format!("companyId={OTHER}");
    let out = w
        .run(
            &["api", "-X", "POST", "/v3/export-jobs", "-f", &other],
            None,
        )
        .await;
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("nothing was sent"), "{}", out.stderr);
    // `api` checks the key first (introspect and the installation); the call itself never went.
    assert_eq!(w.saw("POST", "/v3/export-jobs"), 0);
    assert!(count(&w) - before <= 2);
    let out = w.run(&["api", "v2/employees"], None).await;
    assert_eq!(out.code, 3, "not a path");
    let history = std::fs::read_to_string(w.home().join("history/calls.jsonl")).unwrap();
    assert!(history.contains("\"source\":\"api\""));
    assert_no_key_in_files(&w);
}

/// Nothing the gateway commands wrote holds the key: logs, call history, audit, state.
fn assert_no_key_in_files(w: &World) {
    let mut stack = vec![w.home().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n != "key.age") {
                let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
                assert!(!text.contains(sandbox::HEALTHY_KEY), "{}", path.display());
            }
        }
    }
}
