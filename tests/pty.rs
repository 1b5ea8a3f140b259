//! End to end: the real binary in a pseudo-terminal against its in-process sandbox. Every wait is
//! bounded; on failure the child is killed and the screen printed.

use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);
const ROWS: u16 = 30;
const COLS: u16 = 100;

/// Just enough of a terminal to read text back: cursor moves, clears, printable characters.
/// A frame is complete at the end of each synchronized update, which the runtime wraps draws in.
struct Screen {
    grid: Vec<Vec<char>>,
    row: usize,
    col: usize,
    pending: Vec<u8>,
}

impl Screen {
    fn new() -> Screen {
        Screen {
            grid: vec![vec![' '; COLS as usize]; ROWS as usize],
            row: 0,
            col: 0,
            pending: Vec::new(),
        }
    }

    fn text(&self) -> String {
        let lines: Vec<String> = self.grid.iter().map(|r| r.iter().collect()).collect();
        lines.join("\n")
    }

    /// Feed output; returns the screen at each frame end seen.
    fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut frames = Vec::new();
        let mut i = 0;
        let data = std::mem::take(&mut self.pending);
        while i < data.len() {
            let rest = &data[i..];
            if rest[0] == 0x1b {
                let Some(len) = escape_len(rest) else {
                    break; // incomplete: wait for more bytes
                };
                let seq = &rest[..len];
                self.escape(seq);
                if seq == b"\x1b[?2026l" {
                    frames.push(self.text());
                }
                i += len;
                continue;
            }
            let width = utf8_len(rest[0]);
            if rest.len() < width {
                break;
            }
            let ch = std::str::from_utf8(&rest[..width])
                .ok()
                .and_then(|s| s.chars().next())
                .unwrap_or('?');
            match ch {
                '\r' => self.col = 0,
                '\n' => self.row = (self.row + 1).min(ROWS as usize - 1),
                c if c >= ' ' => {
                    if self.row < ROWS as usize && self.col < COLS as usize {
                        self.grid[self.row][self.col] = c;
                    }
                    self.col += 1;
                }
                _ => {}
            }
            i += width;
        }
        self.pending = data[i..].to_vec();
        frames
    }

    fn escape(&mut self, seq: &[u8]) {
        if seq.len() < 3 || seq[1] != b'[' {
            return;
        }
        let params = String::from_utf8_lossy(&seq[2..seq.len() - 1]);
        let nums: Vec<usize> = params.split(';').map(|p| p.parse().unwrap_or(1)).collect();
        match seq[seq.len() - 1] {
            b'H' => {
                self.row = nums.first().copied().unwrap_or(1).saturating_sub(1);
                self.col = nums.get(1).copied().unwrap_or(1).saturating_sub(1);
            }
            b'J' if params == "2" => {
                self.grid = vec![vec![' '; COLS as usize]; ROWS as usize];
            }
            _ => {}
        }
    }
}

/// Length of the escape sequence at the start of `s` (CSI, OSC or a two-byte one), if complete.
fn escape_len(s: &[u8]) -> Option<usize> {
    match s.get(1)? {
        b'[' => s[2..]
            .iter()
            .position(|b| (0x40..=0x7e).contains(b))
            .map(|p| p + 3),
        b']' => s
            .windows(2)
            .position(|w| w[0] == 0x07 || w == b"\x1b\\")
            .map(|p| if s[p] == 0x07 { p + 1 } else { p + 2 }),
        _ => Some(2),
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

struct Pty {
    master: OwnedFd,
    slave: OwnedFd,
    child: Child,
    raw: Vec<u8>,
    screen: Screen,
    frames: std::collections::VecDeque<String>,
}

impl Pty {
    fn spawn(args: &[&str]) -> Pty {
        Pty::spawn_with(args, &[])
    }

    fn spawn_with(args: &[&str], envs: &[(&str, &str)]) -> Pty {
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: openpty writes two fds into the given ints; null name/termios/winsize are allowed.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both fds were just opened by openpty and are owned by nobody else.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let size = libc::winsize {
            ws_row: ROWS,
            ws_col: COLS,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ reads a valid winsize struct.
        let rc = unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &size) };
        assert_eq!(rc, 0, "TIOCSWINSZ: {}", std::io::Error::last_os_error());
        // SAFETY: F_GETFL/F_SETFL on an fd we own.
        unsafe {
            let flags = libc::fcntl(master.as_raw_fd(), libc::F_GETFL);
            libc::fcntl(master.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
        let stdio = || Stdio::from(slave.try_clone().expect("dup slave"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pleo-keys"));
        cmd.args(args)
            .stdin(stdio())
            .stdout(stdio())
            .stderr(stdio())
            .env("TERM", "xterm-256color")
            .env_remove("NO_COLOR")
            .env_remove("PLEO_API_KEY")
            .env_remove("PLEO_KEYS_HOME")
            .env_remove("PLEO_KEYS_ENV")
            .env_remove("PLEO_KEYS_BASE_URL")
            .env_remove("PLEO_KEYS_SECRET_STORE")
            .envs(envs.iter().copied());
        // SAFETY: only async-signal-safe calls between fork and exec. A new session with the pty
        // (already on fd 0) as its controlling terminal, as a login shell would have.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn pleo-keys");
        Pty {
            master,
            slave,
            child,
            raw: Vec::new(),
            screen: Screen::new(),
            frames: Default::default(),
        }
    }

    /// Read what is there, waiting at most `wait` for the first byte.
    fn pump(&mut self, wait: Duration) {
        let mut fds = libc::pollfd {
            fd: self.master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut fds, 1, wait.as_millis() as libc::c_int) };
        if ready <= 0 {
            return;
        }
        let mut buf = [0u8; 8192];
        loop {
            // SAFETY: reading into a live buffer of the given length.
            let n =
                unsafe { libc::read(self.master.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                break;
            }
            let bytes = &buf[..n as usize];
            self.raw.extend_from_slice(bytes);
            let frames = self.screen.feed(bytes);
            self.frames.extend(frames);
        }
    }

    fn fail(&mut self, why: String) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        panic!("{why}\nscreen:\n{}", self.screen.text());
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
            if let Ok(Some(status)) = self.child.try_wait() {
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

    fn send(&mut self, bytes: &[u8]) {
        // SAFETY: the fd is owned by `self.master` for as long as this borrow lasts.
        let mut file = std::mem::ManuallyDrop::new(unsafe {
            std::fs::File::from_raw_fd(self.master.as_raw_fd())
        });
        if let Err(e) = file.write_all(bytes) {
            self.fail(format!("write to the pty: {e}"));
        }
    }

    fn wait_exit(&mut self) -> i32 {
        let deadline = Instant::now() + WAIT;
        loop {
            self.pump(Duration::from_millis(50));
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    self.pump(Duration::from_millis(50));
                    return status.code().unwrap_or(-1);
                }
                Ok(None) if Instant::now() < deadline => {}
                _ => self.fail("pleo-keys did not exit".into()),
            }
        }
    }

    /// The slave's line discipline is cooked and echoing again (raw mode left).
    fn cooked(&self) -> bool {
        // SAFETY: tcgetattr fills a zeroed termios for an fd we own.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            libc::tcgetattr(self.slave.as_raw_fd(), &mut t) == 0
                && t.c_lflag & libc::ICANON != 0
                && t.c_lflag & libc::ECHO != 0
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn dashboard_in_a_pty_replaces_the_key_and_restores_the_terminal() {
    let mut pty = Pty::spawn(&["--sandbox"]);
    pty.wait_for("Connected to Company ID");
    assert!(!pty.cooked(), "the dashboard runs in raw mode");
    pty.send(b"k");
    let paste = format!("\x1b[200~{}\x1b[201~", pleo_keys::sandbox::ROTATED_KEY);
    pty.send(paste.as_bytes());
    pty.send(b"\r");
    pty.wait_for("Activating");
    pty.wait_for("Connected to Company ID");
    pty.send(b"q");
    let code = pty.wait_exit();
    assert_eq!(code, 0, "screen:\n{}", pty.screen.text());
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

/// SIGTERM or SIGHUP (the SSH session dropped) while a new key is being activated: a clean exit,
/// the terminal restored, and nothing half-committed.
#[test]
fn a_signal_during_an_activation_exits_cleanly_and_commits_nothing() {
    use pleo_keys::sandbox::{self, Sandbox};
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = rt.block_on(Sandbox::start(0)).expect("sandbox");
    let home = tempfile::tempdir().expect("tempdir");
    let home_s = home.path().to_string_lossy().to_string();
    let url = sb.url();
    let envs = [
        ("PLEO_KEYS_PASSPHRASE", "p"),
        ("PLEO_KEYS_SCRYPT_WORK_FACTOR", "10"),
    ];
    let base = [
        "--home",
        home_s.as_str(),
        "--base-url",
        url.as_str(),
        "--secret-store",
        "file",
    ];
    let mut seed = Command::new(env!("CARGO_BIN_EXE_pleo-keys"))
        .args(base)
        .arg("set-key")
        .envs(envs)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("set-key runs");
    if let Some(mut stdin) = seed.stdin.take() {
        let _ = writeln!(stdin, "{}", sandbox::HEALTHY_KEY);
    }
    assert!(seed.wait().expect("set-key ends").success());
    let state = home.path().join("state.json");

    for (round, signal) in [libc::SIGTERM, libc::SIGHUP].into_iter().enumerate() {
        sb.control().slow(None);
        let mut pty = Pty::spawn_with(&base, &envs);
        if round > 0 {
            // The interrupted replacement invalidated the old key's state, as designed; it is
            // deliberately re-activated.
            pty.wait_for("NOT ACTIVE");
            pty.send(b"a");
        }
        pty.wait_for("Connected to Company ID");
        let before = std::fs::read(&state).expect("state written");
        sb.control().slow(Some(Duration::from_secs(5)));
        pty.send(b"k");
        pty.send(format!("\x1b[200~{}\x1b[201~\r", sandbox::ROTATED_KEY).as_bytes());
        pty.wait_for("Activating");
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(pty.child.id() as i32, signal) };
        let code = pty.wait_exit();
        assert_eq!(code, 0, "signal {signal}: screen:\n{}", pty.screen.text());
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
    sb.control().slow(None);
}
