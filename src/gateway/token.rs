//! The proxy's local token: what the integration sends instead of the Pleo key. It lives in
//! `proxy.token` (0600, next to `state.json`), is made on first start, and is sent the way a Pleo
//! key is (`Basic base64(token:)`) or as `Bearer token`, so a client written for Pleo needs only
//! another base URL and "key".

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use std::path::Path;

use crate::store::StoreError;
use crate::store::files::{self, Readers};

/// A token file holds one line of ~70 bytes; anything bigger is not ours.
const MAX_TOKEN_FILE_BYTES: u64 = 1024;
const PREFIX: &str = "pkt_";

/// The local token. `Debug` never shows it.
#[derive(Clone)]
pub struct ProxyToken(SecretString);

impl std::fmt::Debug for ProxyToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProxyToken(<redacted>)")
    }
}

impl ProxyToken {
    /// A new random token (256 bits from the OS's generator, via two v4 UUIDs' 244).
    pub fn generate() -> ProxyToken {
        let a = uuid::Uuid::new_v4().simple().to_string();
        let b = uuid::Uuid::new_v4().simple().to_string();
        ProxyToken(SecretString::from(format!("{PREFIX}{a}{b}")))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The token in `path`, made (0600) when there is none. A damaged file is an error, never
    /// silently replaced: a client may hold the old token.
    pub fn load_or_create(path: &Path) -> Result<ProxyToken, StoreError> {
        match ProxyToken::load(path)? {
            Some(token) => Ok(token),
            None => ProxyToken::rotate(path),
        }
    }

    pub fn load(path: &Path) -> Result<Option<ProxyToken>, StoreError> {
        let Some(bytes) = files::read_private(path, MAX_TOKEN_FILE_BYTES, Readers::OwnerOnly)?
        else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&bytes);
        let token = text.trim();
        let well_formed = token.len() > PREFIX.len() + 16
            && token.starts_with(PREFIX)
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !well_formed {
            return Err(StoreError::Corrupt {
                path: path.to_path_buf(),
                problem: "it does not hold a pleo-keys proxy token; remove it (or run `pleo-keys proxy --rotate-token`) to make a new one".into(),
            });
        }
        Ok(Some(ProxyToken(SecretString::from(token.to_owned()))))
    }

    /// Write a new token, replacing any old one (clients with the old one get 401 from now on).
    pub fn rotate(path: &Path) -> Result<ProxyToken, StoreError> {
        let token = ProxyToken::generate();
        files::write_atomic(path, format!("{}\n", token.expose()).as_bytes())?;
        Ok(token)
    }

    /// Whether an `Authorization` header carries this token, as Basic (user name, any or no
    /// password) or Bearer. Compared in constant time.
    pub fn accepts(&self, authorization: Option<&[u8]>) -> bool {
        let Some(header) = authorization.and_then(|h| std::str::from_utf8(h).ok()) else {
            return false;
        };
        let (scheme, rest) = header.trim().split_once(' ').unwrap_or((header, ""));
        let presented = if scheme.eq_ignore_ascii_case("bearer") {
            rest.trim().as_bytes().to_vec()
        } else if scheme.eq_ignore_ascii_case("basic") {
            let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest.trim()) else {
                return false;
            };
            let user_end = decoded
                .iter()
                .position(|&b| b == b':')
                .unwrap_or(decoded.len());
            decoded[..user_end].to_vec()
        } else {
            return false;
        };
        constant_time_eq(&presented, self.expose().as_bytes())
    }
}

/// Equal without an early exit, so timing does not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user_and_password: &str) -> Vec<u8> {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_and_password)
        )
        .into_bytes()
    }

    #[test]
    fn basic_and_bearer_are_accepted_and_anything_else_is_not() {
        let t = ProxyToken::generate();
        let tok = t.expose().to_string();
        assert!(t.accepts(Some(&basic(&format!("{tok}:")))));
        assert!(t.accepts(Some(&basic(&tok))));
        assert!(t.accepts(Some(format!("Bearer {tok}").as_bytes())));
        assert!(t.accepts(Some(format!("bearer  {tok} ").as_bytes())));
        for bad in [
            basic(&format!("{tok}x:")),
            basic(":"),
            format!("Bearer {}", &tok[..tok.len() - 1]).into_bytes(),
            format!("Token {tok}").into_bytes(),
            b"Basic !!!".to_vec(),
            vec![0xff, 0xfe],
        ] {
            assert!(!t.accepts(Some(&bad)), "{}", String::from_utf8_lossy(&bad));
        }
        assert!(!t.accepts(None));
        assert_ne!(t.expose(), ProxyToken::generate().expose(), "random");
    }

    #[test]
    fn the_file_is_made_once_private_and_a_damaged_one_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("proxy.token");
        let made = ProxyToken::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = ProxyToken::load_or_create(&path).unwrap();
        assert_eq!(made.expose(), again.expose(), "kept across starts");
        let rotated = ProxyToken::rotate(&path).unwrap();
        assert_ne!(rotated.expose(), made.expose());
        std::fs::write(&path, b"hello\n").unwrap();
        let err = ProxyToken::load_or_create(&path).unwrap_err();
        assert!(err.to_string().contains("--rotate-token"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"hello\n", "left alone");
        assert!(!format!("{made:?}").contains(made.expose()));
    }
}
