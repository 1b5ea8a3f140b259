//! Writing to stdout and stderr without ever panicking: a reader that went away
//! (`pleo-keys status --json | head -1`) must not turn a verdict into exit code 101.

use std::io::Write;

/// Print `text` to stdout. A closed pipe is not an error worth reporting: the reader has what it
/// wanted, and the exit code still says the verdict.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Raw bytes to stdout (a body going down a pipe, as it came).
pub fn out_bytes(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(bytes);
    let _ = stdout.flush();
}

/// `out` with a line break.
pub fn outln(text: &str) {
    let mut line = String::with_capacity(text.len() + 1);
    line.push_str(text);
    line.push('\n');
    out(&line);
}

/// A message for the operator on stderr, prefixed with the program's name.
pub fn err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "pleo-keys: {text}");
}
