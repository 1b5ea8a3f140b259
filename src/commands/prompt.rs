//! What the CLI asks on the terminal: the key (no echo) and the key file's passphrase. Never
//! the command line. Stores never prompt; only the commands do, here.

use super::output;
use crate::secret::MAX_KEY_BYTES;
use crate::store::{PassphraseNeed, SecretStore};
use secrecy::{ExposeSecret, SecretString};
use std::io::{IsTerminal, Read};
use zeroize::Zeroizing;

/// More than this is certainly not a key; stop reading rather than buffer a huge paste.
const READ_LIMIT: u64 = 64 * 1024;
/// Wrong passphrases accepted at the prompt before giving up.
const TRIES: usize = 3;

pub fn read_key() -> Result<Zeroizing<String>, String> {
    if std::io::stdin().is_terminal() {
        output::err(
            "paste the Pleo API key (Pleo: Settings → API keys). It grants company-level access;\nit is not shown while you type and cannot be viewed again after saving.",
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

/// A terminal to ask on: rpassword reads /dev/tty, so stdin may be carrying the key.
fn has_tty() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}

fn ask(prompt: &str) -> Result<SecretString, String> {
    rpassword::prompt_password(prompt)
        .map(SecretString::from)
        .map_err(|e| format!("could not read the passphrase from the terminal: {e}"))
}

/// Make the file store usable: unlock an existing key file (asking for its passphrase on the
/// terminal, up to three times) or, when `may_create`, choose the passphrase of a new one.
pub async fn unlock_store(store: &SecretStore, may_create: bool) -> Result<(), String> {
    let Some(need) = store.passphrase_need() else {
        return Ok(());
    };
    let file = store
        .key_file()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    match need {
        PassphraseNeed::Choose if !may_create => Ok(()),
        _ if !has_tty() => Err(match need {
            PassphraseNeed::Unlock => format!(
                "the key file {file} is locked and there is no terminal to ask for its passphrase: set PLEO_KEYS_PASSPHRASE or PLEO_KEYS_PASSPHRASE_FILE (or use systemd's LoadCredential=pleo-keys-passphrase)"
            ),
            PassphraseNeed::Choose => format!(
                "the key will be kept encrypted in {file}, and there is no terminal to choose a passphrase: set PLEO_KEYS_PASSPHRASE or PLEO_KEYS_PASSPHRASE_FILE"
            ),
        }),
        PassphraseNeed::Unlock => {
            for attempt in 1..=TRIES {
                let p = ask(&format!("Passphrase for {file}: "))?;
                match store.unlock(p).await {
                    Ok(_) => return Ok(()),
                    Err(e) if e.is_wrong_passphrase() && attempt < TRIES => {
                        output::err("wrong passphrase; try again");
                    }
                    Err(e) => return Err(e.to_string()),
                }
            }
            Err(format!("wrong passphrase for {file}"))
        }
        PassphraseNeed::Choose => {
            let p = choose_passphrase(&format!("New passphrase to encrypt the key in {file}: "))?;
            store.unlock(p).await.map(|_| ()).map_err(|e| e.to_string())
        }
    }
}

/// Ask twice for a new passphrase; they must match and not be empty.
pub fn choose_passphrase(prompt: &str) -> Result<SecretString, String> {
    if !has_tty() {
        return Err("there is no terminal to type a new passphrase on".into());
    }
    let first = ask(prompt)?;
    if first.expose_secret().is_empty() {
        return Err("an empty passphrase is not allowed: choose one to protect the key".into());
    }
    let second = ask("Repeat the passphrase: ")?;
    if first.expose_secret() != second.expose_secret() {
        return Err("the two passphrases differ; nothing was changed. Try again".into());
    }
    Ok(first)
}
