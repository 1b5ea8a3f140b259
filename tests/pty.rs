//! End to end: the real binary in a pseudo-terminal against its in-process sandbox, the screen
//! read back by a terminal emulator (vt100). Every wait is bounded; on failure the child is
//! killed and the screen printed.

use crate::support;

use pleo_keys::sandbox::{self, Sandbox};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::pty::{Answers, PtyProcess, Responder};

const WAIT: Duration = Duration::from_secs(20);
const ROWS: u16 = 30;
const COLS: u16 = 100;
/// The runtime wraps every draw in a synchronized update; its end closes a frame.
const FRAME_END: &[u8] = b"\x1b[?2026l";

struct Pty {
    process: PtyProcess,
    parser: vt100::Parser,
    raw: Vec<u8>,
    frames: std::collections::VecDeque<String>,
    terminal: Responder,
}

impl Pty {
    fn spawn(args: &[&str]) -> Pty {
        Pty::spawn_with(args, &[])
    }

    fn spawn_with(args: &[&str], envs: &[(&str, &str)]) -> Pty {
        Pty::spawn_on(Answers::Da1Only, args, envs)
    }

    fn spawn_on(terminal: Answers, args: &[&str], envs: &[(&str, &str)]) -> Pty {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pleo-keys"));
        cmd.args(args)
            .env_remove("NO_COLOR")
            .env_remove("PLEO_API_KEY")
            .env_remove("PLEO_KEYS_HOME")
            .env_remove("PLEO_KEYS_ENV")
            .env_remove("PLEO_KEYS_BASE_URL")
            .env_remove("PLEO_KEYS_SECRET_STORE")
            .env_remove("COLORFGBG")
            .envs(envs.iter().copied());
        Pty {
            process: PtyProcess::spawn(cmd, ROWS, COLS),
            parser: vt100::Parser::new(ROWS, COLS, 0),
            raw: Vec::new(),
            frames: Default::default(),
            terminal: Responder::new(terminal),
        }
    }

    /// The colour of the first panel border's top-left corner.
    fn border_colour(&self) -> Option<vt100::Color> {
        let screen = self.parser.screen();
        (0..ROWS)
            .flat_map(|row| (0..COLS).map(move |col| (row, col)))
            .filter_map(|(row, col)| screen.cell(row, col))
            .find(|cell| cell.contents() == "┌")
            .map(|cell| cell.fgcolor())
    }

    fn screen(&self) -> String {
        self.parser.screen().contents()
    }

    /// Read what is there, waiting at most `wait` for the first byte; a frame ends at each
    /// synchronized-update end.
    fn pump(&mut self, wait: Duration) {
        let mut bytes = Vec::new();
        self.process.read_into(wait, &mut bytes);
        let mut rest = &bytes[..];
        while let Some(i) = rest.windows(FRAME_END.len()).position(|w| w == FRAME_END) {
            let end = i + FRAME_END.len();
            self.parser.process(&rest[..end]);
            self.frames.push_back(self.screen());
            rest = &rest[end..];
        }
        self.parser.process(rest);
        self.raw.extend_from_slice(&bytes);
        let replies = self.terminal.replies(&bytes);
        if !replies.is_empty() {
            self.send(&replies);
        }
    }

    fn fail(&mut self, why: String) -> ! {
        let _ = self.process.child.kill();
        let _ = self.process.child.wait();
        panic!("{why}\nscreen:\n{}", self.screen());
    }

    /// Wait for a frame, drawn after the last one waited for, that shows `text`.
    fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            while let Some(frame) = self.frames.pop_front() {
                if frame.contains(text) {
                    return;
                }
            }
            if Instant::now() > deadline {
                self.fail(format!("no frame showed {text:?} within {WAIT:?}"));
            }
            if let Ok(Some(status)) = self.process.child.try_wait() {
                self.pump(Duration::from_millis(50));
                if self.frames.iter().any(|f| f.contains(text)) {
                    return;
                }
                self.fail(format!(
                    "pleo-keys exited ({status}) before showing {text:?}"
                ));
            }
            self.pump(Duration::from_millis(100));
        }
    }

    /// Wait until the screen (not a frame: prompts are not drawn in frames) shows `text`.
    fn wait_screen(&mut self, text: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.screen().contains(text) {
            if Instant::now() > deadline {
                self.fail(format!("the screen never showed {text:?}"));
            }
            self.pump(Duration::from_millis(100));
        }
    }

    /// Wait until a no-echo prompt shows `text` and has turned echo off, then type `line`.
    fn answer_secret(&mut self, text: &str, line: &str) {
        self.wait_screen(text);
        let deadline = Instant::now() + WAIT;
        while !self.process.echo_off() {
            if Instant::now() > deadline {
                self.fail(format!("the prompt {text:?} never turned echo off"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.send(format!("{line}\r").as_bytes());
        // The prompt is answered once the screen moves on.
        self.pump(Duration::from_millis(50));
    }

    fn send(&mut self, bytes: &[u8]) {
        if let Err(e) = self.process.send(bytes) {
            self.fail(format!("write to the pty: {e}"));
        }
    }

    fn wait_exit(&mut self) -> i32 {
        let deadline = Instant::now() + WAIT;
        loop {
            self.pump(Duration::from_millis(50));
            match self.process.child.try_wait() {
                Ok(Some(status)) => {
                    self.pump(Duration::from_millis(50));
                    return status.code().unwrap_or(-1);
                }
                Ok(None) if Instant::now() < deadline => {}
                _ => self.fail("pleo-keys did not exit".into()),
            }
        }
    }

    fn cooked(&self) -> bool {
        self.process.cooked()
    }

    fn pid(&self) -> i32 {
        self.process.child.id() as i32
    }
}

#[test]
fn dashboard_in_a_pty_replaces_the_key_and_restores_the_terminal() {
    let mut pty = Pty::spawn(&["--sandbox"]);
    pty.wait_for("Connected to Company ID");
    assert!(!pty.cooked(), "the dashboard runs in raw mode");
    pty.send(b"e");
    let paste = format!("\x1b[200~{}\x1b[201~", pleo_keys::sandbox::ROTATED_KEY);
    pty.send(paste.as_bytes());
    pty.send(b"\r");
    pty.wait_for("Activating");
    pty.wait_for("Connected to Company ID");
    pty.send(b"q");
    let code = pty.wait_exit();
    assert_eq!(code, 0, "screen:\n{}", pty.screen());
    let raw = String::from_utf8_lossy(&pty.raw);
    assert!(
        raw.trim_end().ends_with("\x1b[?1049l"),
        "the output ends by leaving the alternate screen: {:?}",
        String::from_utf8_lossy(&pty.raw[pty.raw.len().saturating_sub(80)..])
    );
    assert!(pty.cooked(), "raw mode was left");
    assert!(
        !raw.contains(pleo_keys::sandbox::ROTATED_KEY),
        "the pasted key never reaches the screen"
    );
}

/// Nothing said which theme (no `--theme`, NO_COLOR or COLORFGBG): the terminal is asked, and a
/// white one gets the light theme (its borders bright black, where the default leaves them
/// alone).
#[test]
fn a_light_terminal_gets_the_light_theme_without_being_told() {
    let light = Answers::Colours {
        fg: "0000/0000/0000",
        bg: "ffff/ffff/ffff",
    };
    let mut pty = Pty::spawn_on(light, &["--sandbox"], &[]);
    pty.wait_for("● ACTIVE");
    assert_eq!(pty.border_colour(), Some(vt100::Color::Idx(8)));
    pty.send(b"q");
    assert_eq!(pty.wait_exit(), 0, "screen:\n{}", pty.screen());

    // A dark one, and one that cannot tell (DA1 only), keep the default theme, without waiting
    // out the query's timeout for the second.
    let dark = Answers::Colours {
        fg: "ffff/ffff/ffff",
        bg: "1e1e/1e1e/1e1e",
    };
    for terminal in [dark, Answers::Da1Only] {
        let mut pty = Pty::spawn_on(terminal, &["--sandbox"], &[]);
        pty.wait_for("● ACTIVE");
        assert_eq!(pty.border_colour(), Some(vt100::Color::Default));
        pty.send(b"q");
        assert_eq!(pty.wait_exit(), 0, "screen:\n{}", pty.screen());
    }

    // A theme chosen (here by PLEO_KEYS_THEME) is not second-guessed.
    let mut pty = Pty::spawn_on(
        Answers::Da1Only,
        &["--sandbox"],
        &[("PLEO_KEYS_THEME", "light")],
    );
    pty.wait_for("● ACTIVE");
    assert_eq!(pty.border_colour(), Some(vt100::Color::Idx(8)));
    assert!(!String::from_utf8_lossy(&pty.raw).contains("\x1b]11;?"));
    pty.send(b"q");
    assert_eq!(pty.wait_exit(), 0, "screen:\n{}", pty.screen());

    // The Linux console is not asked (it cannot answer, and may print the question).
    let mut pty = Pty::spawn_on(light, &["--sandbox"], &[("TERM", "linux")]);
    pty.wait_for("* ACTIVE");
    assert!(!String::from_utf8_lossy(&pty.raw).contains("\x1b]11;?"));
    pty.send(b"q");
    assert_eq!(pty.wait_exit(), 0, "screen:\n{}", pty.screen());

    // COLORFGBG, where the terminal sets it, is believed without asking.
    let mut pty = Pty::spawn_on(light, &["--sandbox"], &[("COLORFGBG", "15;0")]);
    pty.wait_for("● ACTIVE");
    assert_eq!(pty.border_colour(), Some(vt100::Color::Default));
    assert!(!String::from_utf8_lossy(&pty.raw).contains("\x1b]11;?"));
    pty.send(b"q");
    assert_eq!(pty.wait_exit(), 0, "screen:\n{}", pty.screen());
}

/// An absurd interval (it once overflowed the clock and panicked) starts the dashboard with a
/// note saying what was used instead.
#[test]
fn an_absurd_interval_is_clamped_with_a_note() {
    let mut pty = Pty::spawn(&["--sandbox", "--revalidate-every", "300000000000s"]);
    pty.wait_for("● ACTIVE");
    pty.wait_screen("was changed to 24 h");
    pty.wait_screen("Next check  in 23 h");
    pty.send(b"q");
    assert_eq!(pty.wait_exit(), 0, "screen:\n{}", pty.screen());
}

/// A sandbox on a runtime of its own, and an empty home for the binary to keep its key file in.
struct Site {
    _rt: tokio::runtime::Runtime,
    sb: Sandbox,
    home: tempfile::TempDir,
    home_s: String,
    url: String,
}

impl Site {
    fn start() -> Site {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let sb = rt.block_on(Sandbox::start(0)).expect("sandbox");
        let home = tempfile::tempdir().expect("tempdir");
        let home_s = home.path().to_string_lossy().to_string();
        let url = sb.url();
        Site {
            _rt: rt,
            sb,
            home,
            home_s,
            url,
        }
    }

    /// The binary's arguments for this home and sandbox, on the file store.
    fn base(&self) -> [&str; 6] {
        let (home, url) = (self.home_s.as_str(), self.url.as_str());
        ["--home", home, "--base-url", url, "--secret-store", "file"]
    }

    /// The binary run here (not in the pty), unlocking the key file with `passphrase`.
    fn command(&self, passphrase: &str) -> Command {
        support::cli::command(self.home.path(), &self.url, passphrase)
    }
}

/// SIGTERM or SIGHUP (the SSH session dropped) while a new key is being activated: a clean exit,
/// the terminal restored, and nothing half-committed.
#[test]
fn a_signal_during_an_activation_exits_cleanly_and_commits_nothing() {
    let site = Site::start();
    let envs = [
        ("PLEO_KEYS_PASSPHRASE", "p"),
        ("PLEO_KEYS_SCRYPT_WORK_FACTOR", "10"),
    ];
    let base = site.base();
    let mut seed = site
        .command("p")
        .arg("set-key")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("set-key runs");
    if let Some(mut stdin) = seed.stdin.take() {
        let _ = writeln!(stdin, "{}", sandbox::HEALTHY_KEY);
    }
    assert!(seed.wait().expect("set-key ends").success());
    let state = site.home.path().join("state.json");

    for signal in [libc::SIGTERM, libc::SIGHUP] {
        site.sb.control().slow(None);
        let mut pty = Pty::spawn_with(&base, &envs);
        // An interrupted replacement changed nothing: the stored key is simply checked again.
        pty.wait_for("Connected to Company ID");
        let before = std::fs::read(&state).expect("state written");
        site.sb.control().slow(Some(Duration::from_secs(5)));
        pty.send(b"e");
        pty.send(format!("\x1b[200~{}\x1b[201~\r", sandbox::ROTATED_KEY).as_bytes());
        pty.wait_for("Activating");
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(pty.pid(), signal) };
        let code = pty.wait_exit();
        assert_eq!(code, 0, "signal {signal}: screen:\n{}", pty.screen());
        let raw = String::from_utf8_lossy(&pty.raw);
        assert!(
            raw.trim_end().ends_with("\x1b[?1049l"),
            "signal {signal}: alternate screen left"
        );
        assert!(pty.cooked(), "signal {signal}: raw mode left");
        assert_eq!(
            std::fs::read(&state).expect("state"),
            before,
            "signal {signal}: state untouched"
        );
    }
    site.sb.control().slow(None);
}

/// `set-key` on a terminal reuses the key file's passphrase (asked once, retried when wrong); it
/// never silently re-encrypts the key under a new one.
#[test]
fn set_key_on_a_terminal_asks_for_the_existing_passphrase_not_a_new_one() {
    let site = Site::start();
    let base = site.base();
    let envs = [("PLEO_KEYS_SCRYPT_WORK_FACTOR", "10")];
    let args: Vec<&str> = base.iter().copied().chain(["set-key"]).collect();

    let mut first = Pty::spawn_with(&args, &envs);
    first.answer_secret("API key:", sandbox::HEALTHY_KEY);
    first.answer_secret("New passphrase to encrypt the key", "first pass");
    first.answer_secret("Repeat the passphrase", "first pass");
    assert_eq!(first.wait_exit(), 0, "{}", first.screen());

    let mut second = Pty::spawn_with(&args, &envs);
    second.answer_secret("API key:", sandbox::ROTATED_KEY);
    second.answer_secret("Passphrase for", "not it");
    assert!(
        !second.screen().contains("New passphrase"),
        "{}",
        second.screen()
    );
    second.answer_secret("wrong passphrase; try again", "first pass");
    assert_eq!(second.wait_exit(), 0, "{}", second.screen());
    assert!(
        !String::from_utf8_lossy(&second.raw).contains(sandbox::ROTATED_KEY),
        "the typed key is never echoed"
    );

    // The file still opens with the first passphrase, and holds the new key.
    let check = site
        .command("first pass")
        .args(["status", "--json"])
        .stdin(Stdio::null())
        .output()
        .expect("status runs");
    let status: serde_json::Value = serde_json::from_slice(&check.stdout).expect("json");
    let key = sandbox::ROTATED_KEY;
    assert_eq!(status["key_hint"], format!("…{}", &key[key.len() - 4..]));
    let check = site
        .command("first pass")
        .args(["check"])
        .stdin(Stdio::null())
        .output()
        .expect("check runs");
    assert_eq!(check.status.code(), Some(0));
}
