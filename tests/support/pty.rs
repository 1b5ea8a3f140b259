//! A process in a pseudo-terminal: spawned in a new session with the pty as its controlling
//! terminal (as a login shell would have it), read without blocking, written to like a keyboard.
//! Used by the pty tests and by `examples/ptybench.rs`.

use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct PtyProcess {
    master: OwnedFd,
    slave: OwnedFd,
    pub child: Child,
}

impl PtyProcess {
    /// Run `cmd` on a `rows`x`cols` pty (its stdio is replaced).
    pub fn spawn(mut cmd: Command, rows: u16, cols: u16) -> PtyProcess {
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
            ws_row: rows,
            ws_col: cols,
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
        cmd.stdin(stdio()).stdout(stdio()).stderr(stdio());
        // An xterm, unless the caller chose another.
        if !cmd.get_envs().any(|(name, _)| name == "TERM") {
            cmd.env("TERM", "xterm-256color");
        }
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn in the pty");
        PtyProcess {
            master,
            slave,
            child,
        }
    }

    /// Append what arrives within `wait` (for the first byte) to `out`; returns how much.
    pub fn read_into(&mut self, wait: Duration, out: &mut Vec<u8>) -> usize {
        let mut fds = libc::pollfd {
            fd: self.master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = wait.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut fds, 1, ms) } <= 0 {
            return 0;
        }
        let mut buf = [0u8; 16384];
        let mut total = 0;
        loop {
            // SAFETY: reading into a live buffer of the given length.
            let n =
                unsafe { libc::read(self.master.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                break;
            }
            out.extend_from_slice(&buf[..n as usize]);
            total += n as usize;
        }
        total
    }

    /// Type `bytes` as the terminal's user would.
    pub fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        // SAFETY: the fd stays owned by `self.master`; ManuallyDrop keeps File from closing it.
        let mut file = std::mem::ManuallyDrop::new(unsafe {
            std::fs::File::from_raw_fd(self.master.as_raw_fd())
        });
        file.write_all(bytes)
    }

    /// The line discipline is cooked and echoing (raw mode was left, or never entered).
    pub fn cooked(&self) -> bool {
        // SAFETY: tcgetattr fills a zeroed termios for an fd we own.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            libc::tcgetattr(self.slave.as_raw_fd(), &mut t) == 0
                && t.c_lflag & libc::ICANON != 0
                && t.c_lflag & libc::ECHO != 0
        }
    }

    /// The terminal does not echo what is typed (a password prompt is waiting).
    pub fn echo_off(&self) -> bool {
        // SAFETY: tcgetattr fills a zeroed termios for an fd we own.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            libc::tcgetattr(self.slave.as_raw_fd(), &mut t) == 0 && t.c_lflag & libc::ECHO == 0
        }
    }

    pub fn resize(&self, rows: u16, cols: u16) {
        let size = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ reads a valid winsize struct; the kernel sends SIGWINCH.
        unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &size) };
    }
}

/// What the emulated terminal answers when the program asks it, as a real one does (a program that
/// asks and hears nothing waits out its timeout): DA1, and OSC 10/11 colours if it knows them.
#[derive(Clone, Copy, Debug)]
pub enum Answers {
    /// Like the many terminals that cannot tell their colours: DA1 only.
    Da1Only,
    /// xterm-style `rgb:RRRR/GGGG/BBBB` foreground and background, then DA1.
    Colours { fg: &'static str, bg: &'static str },
}

/// Finds the program's questions in its output, also when a read cuts one in two, and answers.
pub struct Responder {
    answers: Answers,
    /// The end of the previous output, after its last answered question: a question's start.
    carry: Vec<u8>,
}

impl Responder {
    pub fn new(answers: Answers) -> Responder {
        Responder {
            answers,
            carry: Vec::new(),
        }
    }

    /// The replies to the questions in `output` (what was read since the last call), in order.
    pub fn replies(&mut self, output: &[u8]) -> Vec<u8> {
        const QUESTIONS: [&[u8]; 3] = [b"\x1b]10;?", b"\x1b]11;?", b"\x1b[c"];
        let mut window = std::mem::take(&mut self.carry);
        window.extend_from_slice(output);
        let mut replies = Vec::new();
        let mut from = 0;
        loop {
            let rest = &window[from..];
            let next = QUESTIONS
                .iter()
                .filter_map(|q| {
                    rest.windows(q.len())
                        .position(|w| w == *q)
                        .map(|at| (at, *q))
                })
                .min_by_key(|(at, _)| *at);
            let Some((at, question)) = next else { break };
            from += at + question.len();
            match (question, self.answers) {
                (b"\x1b[c", _) => replies.extend_from_slice(b"\x1b[?62;22c"),
                (b"\x1b]10;?", Answers::Colours { fg, .. }) => {
                    replies.extend_from_slice(format!("\x1b]10;rgb:{fg}\x1b\\").as_bytes());
                }
                (b"\x1b]11;?", Answers::Colours { bg, .. }) => {
                    replies.extend_from_slice(format!("\x1b]11;rgb:{bg}\x1b\\").as_bytes());
                }
                _ => {}
            }
        }
        // Shorter than the longest question, and never one already answered.
        let keep_from = from.max(window.len().saturating_sub(5));
        self.carry = window[keep_from..].to_vec();
        replies
    }
}

impl Drop for PtyProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
