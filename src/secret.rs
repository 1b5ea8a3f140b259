//! The API key: one type that cannot be printed by accident, zeroized on drop.

use crate::domain::KeyId;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};

/// Longest key we accept. Real keys are ~45 bytes; anything near this is a paste accident.
pub const MAX_KEY_BYTES: usize = 512;

/// A Pleo Standalone API Key. `Debug` and `Display` never show it; `expose()` is the one way out.
/// Its bytes are kept out of swap where the platform allows (see [`memory_locked`]).
pub struct ApiKey(SecretString);

impl Clone for ApiKey {
    fn clone(&self) -> ApiKey {
        ApiKey::held(SecretString::from(self.expose().to_owned()))
    }
}

/// Whether the key's memory could be kept out of swap (`mlock`): `None` before any key was held.
static MEMORY_LOCK: AtomicU8 = AtomicU8::new(0);

/// `Some(Ok(()))` when every key held so far is locked in memory, `Some(Err(why))` when locking
/// failed (the key could reach swap), `None` when no key was held yet.
pub fn memory_locked() -> Option<Result<(), String>> {
    match MEMORY_LOCK.load(Ordering::Relaxed) {
        0 => None,
        1 => Some(Ok(())),
        _ => Some(Err(
            "the key's memory could not be locked (mlock refused: raise the memlock limit, `ulimit -l`); it could be written to swap".into(),
        )),
    }
}

/// Whether this process may lock memory at all (for `status`, which never holds the key).
pub fn can_lock_memory() -> Result<(), String> {
    // On the heap, like the key.
    let probe = Box::new([0u8; 64]);
    // SAFETY: mlock/munlock on a live buffer; nothing is read or written through the pointer.
    let locked = unsafe { libc::mlock(probe.as_ptr().cast(), probe.len()) } == 0;
    if !locked {
        let why = std::io::Error::last_os_error();
        return Err(format!(
            "the key's memory cannot be locked here (mlock: {why}): it could be written to swap; raise the memlock limit (`ulimit -l`)"
        ));
    }
    // SAFETY: as above.
    unsafe { libc::munlock(probe.as_ptr().cast(), probe.len()) };
    Ok(())
}

/// Keep `bytes` out of swap, best effort. Pages stay locked until the process ends: another key
/// may share them, and locking is not counted.
fn lock_in_memory(bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    // SAFETY: mlock reads no memory; it pins the pages that hold this live buffer.
    let ok = unsafe { libc::mlock(bytes.as_ptr().cast(), bytes.len()) } == 0;
    let _ = MEMORY_LOCK.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |was| {
        Some(match (was, ok) {
            (2, _) | (_, false) => 2,
            _ => 1,
        })
    });
}

/// Why a key was refused before anything reached the network. Messages never echo the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    #[error("the key is empty: paste the key Pleo showed when it was created")]
    Empty,
    #[error("the key contains a space, tab or line break inside it: copy it again as one piece")]
    InternalWhitespace,
    #[error("the key contains a control character: copy it again from Pleo as plain text")]
    ControlCharacter,
    #[error(
        "the key contains a character outside plain ASCII: Pleo keys are letters, digits and '_'; copy it again"
    )]
    NonAscii,
    #[error("the key contains ':', which no Pleo key has: check that only the key was pasted")]
    Colon,
    #[error("the key is {len} bytes long, over the {max}-byte limit: check that only the key was pasted", max = MAX_KEY_BYTES)]
    TooLong { len: usize },
}

/// Non-blocking remarks about a key's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyWarning {
    /// Pleo does not document its key format; keys seen so far look like `pls_<hex>_<hex>`.
    UnusualShape,
}

impl KeyWarning {
    pub fn message(&self) -> &'static str {
        match self {
            KeyWarning::UnusualShape => {
                "the key does not look like a Pleo Standalone API Key (pls_<hex>_<hex>): a legacy API token or an OAuth access token will not work here; trying it anyway"
            }
        }
    }
}

impl ApiKey {
    /// Validate a key as typed or pasted: surrounding whitespace and newlines are trimmed.
    pub fn parse(raw: &str) -> Result<(ApiKey, Vec<KeyWarning>), KeyFormatError> {
        let key = raw.trim();
        if key.is_empty() {
            return Err(KeyFormatError::Empty);
        }
        // Length first, so a 10 MB paste is refused without scanning it further.
        if key.len() > MAX_KEY_BYTES {
            return Err(KeyFormatError::TooLong { len: key.len() });
        }
        if key.chars().any(char::is_whitespace) {
            return Err(KeyFormatError::InternalWhitespace);
        }
        if key.chars().any(char::is_control) {
            return Err(KeyFormatError::ControlCharacter);
        }
        if !key.is_ascii() {
            return Err(KeyFormatError::NonAscii);
        }
        if key.contains(':') {
            return Err(KeyFormatError::Colon);
        }
        let mut warnings = Vec::new();
        if !looks_like_pleo_key(key) {
            warnings.push(KeyWarning::UnusualShape);
        }
        Ok((ApiKey::held(SecretString::from(key.to_owned())), warnings))
    }

    fn held(secret: SecretString) -> ApiKey {
        lock_in_memory(secret.expose_secret().as_bytes());
        ApiKey(secret)
    }

    /// The key itself. Call only where it must leave the process (Authorization header, secret store).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The last 4 characters, as shown on screen: `…a1b2`.
    pub fn hint(&self) -> String {
        let k = self.expose();
        let tail: String = k
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    }

    /// A short SHA-256 prefix that identifies a key in audit lines without revealing it.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.expose().as_bytes());
        digest[..6].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// How this key is named everywhere: hint and fingerprint.
    pub fn id(&self) -> KeyId {
        KeyId::new(self.hint(), self.fingerprint())
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted API key>")
    }
}

/// `^pls_[0-9a-f]+_[0-9a-f]+$`, the only shape seen in the wild.
fn looks_like_pleo_key(key: &str) -> bool {
    let Some(rest) = key.strip_prefix("pls_") else {
        return false;
    };
    let mut parts = rest.split('_');
    let is_hex =
        |s: &str| !s.is_empty() && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(b), None) if is_hex(a) && is_hex(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "pls_0123456789abcdef0123456789abcdef_620d75";

    #[test]
    fn trims_surrounding_whitespace_and_newlines() {
        let (key, warnings) = ApiKey::parse(&format!("  {GOOD}\r\n")).unwrap();
        assert_eq!(key.expose(), GOOD);
        assert!(warnings.is_empty());
    }

    #[test]
    fn each_bad_shape_has_its_own_error() {
        assert_eq!(ApiKey::parse(" \n\t").unwrap_err(), KeyFormatError::Empty);
        for (raw, want) in [
            ("pls_ab cd_12", KeyFormatError::InternalWhitespace),
            ("pls_ab\ncd_12", KeyFormatError::InternalWhitespace),
            ("pls_ab\u{1b}[0m_12", KeyFormatError::ControlCharacter),
            ("pls_abé_12", KeyFormatError::NonAscii),
            ("pls_ab:cd_12", KeyFormatError::Colon),
        ] {
            assert_eq!(ApiKey::parse(raw).unwrap_err(), want, "{raw:?}");
        }
        let long = "a".repeat(MAX_KEY_BYTES + 1);
        assert_eq!(
            ApiKey::parse(&long).unwrap_err(),
            KeyFormatError::TooLong { len: 513 }
        );
        assert!(ApiKey::parse(&"a".repeat(MAX_KEY_BYTES)).is_ok());
    }

    #[test]
    fn unusual_shape_warns_but_is_accepted() {
        let (_, w) = ApiKey::parse("plp_xxx").unwrap();
        assert_eq!(w, vec![KeyWarning::UnusualShape]);
        let (_, w) = ApiKey::parse("pls_ABCDEF_12").unwrap();
        assert_eq!(
            w,
            vec![KeyWarning::UnusualShape],
            "upper-case hex is not the seen shape"
        );
    }

    #[test]
    fn errors_and_debug_never_show_the_key() {
        let (key, _) = ApiKey::parse(GOOD).unwrap();
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert!(!format!("{key}").contains("620d75"));
        let err = ApiKey::parse("pls_secret:tail").unwrap_err();
        assert!(!err.to_string().contains("secret"));
    }

    #[test]
    fn holding_a_key_tries_to_keep_it_out_of_swap() {
        let (key, _) = ApiKey::parse(GOOD).unwrap();
        let _copy = key.clone();
        assert!(memory_locked().is_some(), "the attempt is known");
    }

    #[test]
    fn hint_and_fingerprint() {
        let (key, _) = ApiKey::parse(GOOD).unwrap();
        assert_eq!(key.hint(), "…0d75");
        assert_eq!(key.fingerprint().len(), 12);
        let (other, _) = ApiKey::parse("pls_00_11").unwrap();
        assert_ne!(key.fingerprint(), other.fingerprint());
    }
}
