//! SIGKILL at random points while pleo-keys writes its files: the state file is always the old
//! or the new version and parses; the audit log loses at most its last line.

use crate::support;

use pleo_keys::sandbox::{self, Sandbox};
use pleo_keys::store::{load_state, read_audit_counted};
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

/// xorshift: random enough for kill points, no dependency, reproducible from the seed printed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_points_the_files_stay_whole() {
    let sb = Sandbox::start(0).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let url = sb.url();
    // CRASH_SEED=<the seed printed> replays a failed run's kill points.
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64 | 1)
                .unwrap_or(0x9e3779b97f4a7c15)
        });
    println!("seed {seed}");
    let home_path = home.path().to_path_buf();
    let result = tokio::task::spawn_blocking(move || {
        let mut rng = Rng(seed);
        let fingerprints = [sandbox::HEALTHY_KEY, sandbox::ROTATED_KEY]
            .map(|k| pleo_keys::secret::ApiKey::parse(k).unwrap().0.fingerprint());
        let mut killed = 0;
        let mut torn_before = 0;
        let mut events_before = 0;
        for round in 0..40 {
            let key = if round % 2 == 0 {
                sandbox::HEALTHY_KEY
            } else {
                sandbox::ROTATED_KEY
            };
            let args: &[&str] = if round % 3 == 2 {
                &["check"]
            } else {
                &["set-key"]
            };
            let mut child = support::cli::command(&home_path, &url, "p")
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            if let Some(mut stdin) = child.stdin.take() {
                let _ = writeln!(stdin, "{key}");
            }
            std::thread::sleep(Duration::from_millis(rng.next() % 250));
            // SAFETY: kill(2) on our own child's pid.
            if unsafe { libc::kill(child.id() as i32, libc::SIGKILL) } == 0 {
                killed += 1;
            }
            let _ = child.wait();

            match load_state(&home_path.join("state.json")) {
                Ok(None) => {}
                Ok(Some(state)) => assert!(
                    fingerprints.contains(&state.facts.key.fingerprint),
                    "round {round}: state names an unknown key"
                ),
                Err(e) => panic!("round {round} (seed {seed}): state file broken: {e}"),
            }
            let (events, skipped) = read_audit_counted(&home_path.join("audit.log")).unwrap();
            // Each kill may cost at most the line being written; everything else reads.
            assert!(
                skipped <= torn_before + 1,
                "round {round} (seed {seed}): {skipped} torn audit lines"
            );
            torn_before = skipped;
            // A kill may come before a run writes anything (a slow machine, an early kill point),
            // but never takes away what earlier runs wrote.
            assert!(
                events.len() >= events_before,
                "round {round} (seed {seed}): the audit log lost events"
            );
            events_before = events.len();
        }
        (killed, events_before)
    })
    .await
    .unwrap();
    let (killed, events_before) = result;
    assert!(killed > 0, "no process was killed mid-run");
    // And a normal run afterwards still works on what was left.
    let out = support::cli::command(home.path(), &sb.url(), "p")
        .args(["set-key"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            if let Some(mut s) = c.stdin.take() {
                let _ = writeln!(s, "{}", sandbox::HEALTHY_KEY);
            }
            c.wait_with_output()
        })
        .map(support::cli::Out::from)
        .unwrap();
    assert_eq!(out.code, 0, "{}", out.stdout);
    let (events, _) = read_audit_counted(&home.path().join("audit.log")).unwrap();
    assert!(
        events.len() > events_before,
        "the run after the kills audited its replacement"
    );
}
