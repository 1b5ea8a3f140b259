//! A measuring harness for the real binary in a pseudo-terminal (the pty harness of `tests/support/pty.rs`). Driven by the scripts in `benches/`; every wait is bounded and the child is
//! always killed on the way out.
//!
//! ```text
//! ptybench startup [--runs N] -- CMD ARGS...   time from spawn to the first finished frame
//! ptybench idle [--secs S] [--settle S] -- CMD  CPU and frames drawn while nobody types
//! ptybench calls --target N --state URL -- CMD  press `r` until the sandbox at URL saw N requests,
//!                                              reading the dashboard's VmRSS on the way
//! ```
//!
//! A frame is the end of a synchronized update (`ESC [ ? 2026 l`), which the runtime wraps every
//! draw in.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

const FRAME_END: &[u8] = b"\x1b[?2026l";
const ROWS: u16 = 48;
const COLS: u16 = 160;
const WAIT: Duration = Duration::from_secs(20);

#[path = "../tests/support/pty.rs"]
#[allow(dead_code)]
mod pty;

use pty::{Answers, PtyProcess, Responder};

struct Pty {
    process: PtyProcess,
    /// Answers DA1 as a terminal does, so the dashboard's colour query costs a round trip.
    terminal: Responder,
    /// The last bytes of the previous read, so a marker split across reads is still counted.
    tail: Vec<u8>,
    frames: usize,
    bytes: usize,
}

impl Pty {
    fn spawn(cmd: &[String]) -> Pty {
        let mut command = Command::new(&cmd[0]);
        command.args(&cmd[1..]);
        Pty {
            process: PtyProcess::spawn(command, ROWS, COLS),
            terminal: Responder::new(Answers::Da1Only),
            tail: Vec::new(),
            frames: 0,
            bytes: 0,
        }
    }

    fn pid(&self) -> u32 {
        self.process.child.id()
    }

    /// Read whatever arrives within `wait`; returns how many frames ended in it.
    fn pump(&mut self, wait: Duration) -> usize {
        // The kept tail is shorter than a marker, so no marker is counted twice.
        let mut window = std::mem::take(&mut self.tail);
        let kept = window.len();
        self.bytes += self.process.read_into(wait, &mut window);
        let replies = self.terminal.replies(&window[kept..]);
        if !replies.is_empty() {
            let _ = self.process.send(&replies);
        }
        let seen = window
            .windows(FRAME_END.len())
            .filter(|w| *w == FRAME_END)
            .count();
        let keep = window.len().min(FRAME_END.len() - 1);
        self.tail = window[window.len() - keep..].to_vec();
        self.frames += seen;
        seen
    }

    /// Read for `span`, whatever comes.
    fn drain_for(&mut self, span: Duration) {
        let until = Instant::now() + span;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            if left.is_zero() {
                break;
            }
            self.pump(left);
        }
    }

    /// Wait for the next frame end; the time it was read, or `None` after `WAIT`.
    fn next_frame(&mut self) -> Option<Instant> {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.pump(Duration::from_millis(200)) > 0 {
                return Some(Instant::now());
            }
            if Instant::now() > deadline || matches!(self.process.child.try_wait(), Ok(Some(_))) {
                return None;
            }
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        let _ = self.process.send(bytes);
    }

    /// `q`, then a kill (on drop) if it has not gone within 5 s.
    fn quit(mut self) {
        self.send(b"q");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            self.pump(Duration::from_millis(20));
            if let Ok(Some(_)) = self.process.child.try_wait() {
                return;
            }
        }
        eprintln!("ptybench: the child did not quit on q; killing it");
    }
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    let after = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of the whole line are the 12th and 13th after the name.
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn clock_ticks_per_sec() -> u64 {
    // SAFETY: sysconf has no preconditions.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).max(1) as u64
}

fn stats(mut xs: Vec<f64>) -> String {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    let median = if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    };
    let q = |p: f64| xs[((n - 1) as f64 * p).round() as usize];
    format!(
        "median {median:.1} ms  (min {:.1}, p25 {:.1}, p75 {:.1}, max {:.1}; n={n})",
        xs[0],
        q(0.25),
        q(0.75),
        xs[n - 1]
    )
}

fn startup(runs: usize, cmd: &[String]) {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let mut pty = Pty::spawn(cmd);
        match pty.next_frame() {
            Some(at) => times.push((at - started).as_secs_f64() * 1000.0),
            None => {
                eprintln!("ptybench: no frame within {WAIT:?}");
                std::process::exit(1);
            }
        }
        pty.quit();
    }
    println!("first frame: {}", stats(times));
}

fn idle(secs: u64, settle: u64, cmd: &[String]) {
    let mut pty = Pty::spawn(cmd);
    if pty.next_frame().is_none() {
        eprintln!("ptybench: no first frame");
        std::process::exit(1);
    }
    // Let start-up work (the first check, its redraws) finish before measuring.
    pty.drain_for(Duration::from_secs(settle));
    let pid = pty.pid();
    let ticks0 = cpu_ticks(pid);
    let frames0 = pty.frames;
    let t0 = Instant::now();
    pty.drain_for(Duration::from_secs(secs));
    let elapsed = t0.elapsed().as_secs_f64();
    let ticks = cpu_ticks(pid) - ticks0;
    let frames = pty.frames - frames0;
    let cpu_secs = ticks as f64 / clock_ticks_per_sec() as f64;
    let rss = status_kib(pid, "VmRSS:");
    let hwm = status_kib(pid, "VmHWM:");
    println!(
        "idle {elapsed:.1} s: cpu {cpu_secs:.2} s = {:.3}% of one core ({ticks} ticks of 1/{} s); frames drawn {frames} ({:.2}/s); VmRSS {:.1} MiB, VmHWM {:.1} MiB",
        100.0 * cpu_secs / elapsed,
        clock_ticks_per_sec(),
        frames as f64 / elapsed,
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0,
    );
    pty.quit();
}

/// `requestCount` from the sandbox's `/_sandbox/state`, over a plain HTTP/1.0 GET on loopback.
fn request_count(state_url: &str) -> u64 {
    let rest = state_url
        .strip_prefix("http://")
        .expect("the state URL is http://127.0.0.1:PORT/...");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    assert!(
        host.starts_with("127.0.0.1:"),
        "only loopback is ever contacted"
    );
    let mut stream = TcpStream::connect(host).expect("connect to the sandbox");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    write!(
        stream,
        "GET {} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        if path.is_empty() { "/" } else { path }
    )
    .expect("send");
    let mut body = String::new();
    stream.read_to_string(&mut body).expect("read");
    let at = body
        .find("\"requestCount\":")
        .expect("requestCount in the state");
    body[at + 15..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("a count")
}

fn calls(target: u64, state_url: &str, cmd: &[String]) {
    let base = request_count(state_url);
    let mut pty = Pty::spawn(cmd);
    if pty.next_frame().is_none() {
        eprintln!("ptybench: no first frame");
        std::process::exit(1);
    }
    let pid = pty.pid();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(600);
    let mut next_report = 0;
    println!("calls  VmRSS MiB  VmHWM MiB");
    loop {
        let seen = request_count(state_url) - base;
        if seen >= next_report {
            println!(
                "{seen:>5}  {:>9.1}  {:>9.1}",
                status_kib(pid, "VmRSS:") as f64 / 1024.0,
                status_kib(pid, "VmHWM:") as f64 / 1024.0
            );
            next_report += target / 10;
        }
        if seen >= target {
            break;
        }
        if Instant::now() > deadline {
            eprintln!("ptybench: only {seen} calls in 600 s");
            break;
        }
        // One `r` queues at most one more check behind the running one (single flight).
        pty.send(b"r");
        pty.pump(Duration::from_millis(2));
    }
    // Settle, then the final reading.
    pty.drain_for(Duration::from_secs(2));
    let seen = request_count(state_url) - base;
    println!(
        "after {seen} calls in {:.1} s: VmRSS {:.1} MiB, VmHWM {:.1} MiB, frames drawn {}",
        started.elapsed().as_secs_f64(),
        status_kib(pid, "VmRSS:") as f64 / 1024.0,
        status_kib(pid, "VmHWM:") as f64 / 1024.0,
        pty.frames
    );
    pty.quit();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let split = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let (opts, cmd) = (&args[..split], args.get(split + 1..).unwrap_or(&[]));
    let usage = "usage: ptybench startup|idle|calls [options] -- CMD ARGS...";
    if opts.is_empty() || cmd.is_empty() {
        eprintln!("{usage}");
        std::process::exit(2);
    }
    let opt = |name: &str| {
        opts.iter()
            .position(|o| o == name)
            .and_then(|i| opts.get(i + 1))
            .cloned()
    };
    let num = |name: &str, default: u64| {
        opt(name)
            .map(|v| v.parse().expect("a number"))
            .unwrap_or(default)
    };
    match opts[0].as_str() {
        "startup" => startup(num("--runs", 20) as usize, cmd),
        "idle" => idle(num("--secs", 60), num("--settle", 5), cmd),
        "calls" => calls(
            num("--target", 10_000),
            &opt("--state").expect("--state URL"),
            cmd,
        ),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
}
