//! Reading the key: a no-echo prompt on a terminal, else standard input. Never argv.

use crate::secret::MAX_KEY_BYTES;
use std::io::{IsTerminal, Read};
use zeroize::Zeroizing;

/// More than this is certainly not a key; stop reading rather than buffer a huge paste.
const READ_LIMIT: u64 = 64 * 1024;

pub fn read_key() -> Result<Zeroizing<String>, String> {
    if std::io::stdin().is_terminal() {
        eprintln!(
            "Paste the Pleo API key (Settings → API keys in Pleo). It grants company-level access;\nit is not shown while you type and cannot be viewed again after saving."
        );
        return rpassword::prompt_password("API key: ")
            .map(Zeroizing::new)
            .map_err(|e| format!("could not read the key from the terminal: {e}"));
    }
    let mut buf = Zeroizing::new(Vec::new());
    std::io::stdin()
        .take(READ_LIMIT)
        .read_to_end(&mut buf)
        .map_err(|e| format!("could not read the key from standard input: {e}"))?;
    if buf.len() as u64 >= READ_LIMIT {
        return Err(format!(
            "standard input holds more than {} KiB; a key is at most {MAX_KEY_BYTES} bytes: pipe only the key",
            READ_LIMIT / 1024
        ));
    }
    match std::str::from_utf8(&buf) {
        Ok(s) => Ok(Zeroizing::new(s.to_string())),
        Err(_) => Err("standard input is not text: pipe only the key".into()),
    }
}
