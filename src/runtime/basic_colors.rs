//! crossterm writes every colour as `38;5;N`, even the 16 basic ones: a terminal that maps the
//! basic colours to its theme (light or dark) but not the 256-colour ones then shows raw palette
//! colours. This writer turns `38;5;N`/`48;5;N` for N < 16 back into the basic codes (30–37,
//! 90–97, 40–47, 100–107) as the bytes go out, whatever the write boundaries.

use std::io::{self, Write};

pub struct BasicColors<W: Write> {
    inner: W,
    /// An escape sequence begun in one write and not finished yet.
    pending: Vec<u8>,
}

impl<W: Write> BasicColors<W> {
    pub fn new(inner: W) -> BasicColors<W> {
        BasicColors {
            inner,
            pending: Vec::new(),
        }
    }
}

/// `ESC [ 38;5;N m` (or 48) with N < 16, as its basic code.
fn basic(seq: &[u8]) -> Option<Vec<u8>> {
    let body = seq.strip_prefix(b"\x1b[")?.strip_suffix(b"m")?;
    let text = std::str::from_utf8(body).ok()?;
    let (ground, n) = text.split_once(";5;")?;
    let n: u8 = n.parse().ok()?;
    let base = match (ground, n) {
        ("38", 0..=7) => 30 + n,
        ("38", 8..=15) => 90 + n - 8,
        ("48", 0..=7) => 40 + n,
        ("48", 8..=15) => 100 + n - 8,
        _ => return None,
    };
    Some(format!("\x1b[{base}m").into_bytes())
}

impl<W: Write> Write for BasicColors<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut out = Vec::with_capacity(buf.len() + self.pending.len());
        for &b in buf {
            if self.pending.is_empty() {
                if b == 0x1b {
                    self.pending.push(b);
                } else {
                    out.push(b);
                }
                continue;
            }
            self.pending.push(b);
            let len = self.pending.len();
            // ESC must be followed by '[' for a CSI; anything else passes through as is.
            if len == 2 && b != b'[' {
                out.append(&mut self.pending);
                continue;
            }
            // A CSI ends with a byte in 0x40..=0x7E; a runaway one is let go of at 32 bytes.
            if (len > 2 && (0x40..=0x7e).contains(&b)) || len >= 32 {
                match basic(&self.pending) {
                    Some(code) => {
                        out.extend_from_slice(&code);
                        self.pending.clear();
                    }
                    None => out.append(&mut self.pending),
                }
            }
        }
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(chunks: &[&[u8]]) -> String {
        let mut w = BasicColors::new(Vec::new());
        for c in chunks {
            w.write_all(c).unwrap();
        }
        String::from_utf8(w.inner).unwrap()
    }

    #[test]
    fn the_16_colours_go_out_as_basic_codes_and_nothing_else_changes() {
        assert_eq!(
            through(&[b"\x1b[38;5;3mwarn\x1b[39m"]),
            "\x1b[33mwarn\x1b[39m"
        );
        assert_eq!(through(&[b"\x1b[38;5;9m\x1b[48;5;1m"]), "\x1b[91m\x1b[41m");
        assert_eq!(
            through(&[b"\x1b[38;5;202mx"]),
            "\x1b[38;5;202mx",
            "256 colours kept"
        );
        assert_eq!(
            through(&[b"\x1b[2J\x1b[1;1H\x1b]52;c;AA==\x07"]),
            "\x1b[2J\x1b[1;1H\x1b]52;c;AA==\x07"
        );
        // Split across writes anywhere.
        assert_eq!(through(&[b"a\x1b[38", b";5;", b"12mb"]), "a\x1b[94mb");
        assert_eq!(through(&[b"\x1b", b"[38;5;2m"]), "\x1b[32m");
    }
}
