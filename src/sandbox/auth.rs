//! Who is calling: Basic decoding, the keys' state and lookup, and which companies a key reaches.

use base64::Engine as _;

use super::demo::{self, DemoCompany, FULL_SCOPES, KEY_SEEDS, Subject};
use super::reply::Reply;

/// One demo key as the sandbox currently sees it.
pub(crate) struct KeyState {
    pub name: &'static str,
    pub key: &'static str,
    pub subject: Subject,
    pub scopes: Vec<String>,
    pub revoked: bool,
    pub expired: bool,
    pub client_id: &'static str,
}

impl KeyState {
    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Every demo key as seeded.
    pub(crate) fn seeded() -> Vec<KeyState> {
        KEY_SEEDS
            .iter()
            .map(|s| KeyState {
                name: s.name,
                key: s.key,
                subject: s.subject,
                scopes: FULL_SCOPES
                    .iter()
                    .filter(|sc| !s.scopes_without.contains(sc))
                    .map(|sc| (*sc).to_owned())
                    .collect(),
                revoked: s.revoked,
                expired: false,
                client_id: s.client_id,
            })
            .collect()
    }

    /// The key's last four characters, the only part of it the sandbox ever shows.
    pub(crate) fn last4(&self) -> &'static str {
        self.key
            .get(self.key.len().saturating_sub(4)..)
            .unwrap_or("")
    }
}

/// The username of a Basic `Authorization` header, or None when the header is missing or malformed.
pub(crate) fn decode_basic(header: Option<&[u8]>) -> Option<String> {
    let value = std::str::from_utf8(header?).ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    // INFERRED: the password is ignored; Pleo says to leave it empty but not what happens otherwise.
    let (user, _password) = text.split_once(':')?;
    Some(user.to_owned())
}

/// The index in `keys` of the key a request authenticates as.
pub(crate) fn authenticate(
    keys: &[KeyState],
    authorization: Option<&[u8]>,
) -> Result<usize, Reply> {
    let Some(user) = decode_basic(authorization) else {
        return Err(Reply::error(
            401,
            "UNAUTHORIZED",
            "Missing or malformed credentials",
        ));
    };
    // INFERRED: one body for every rejected key, as Pleo does not tell the cases apart; the
    // reason goes in a header only the fake sends.
    let reject = |reason: &str| {
        Reply::error(401, "UNAUTHORIZED", "Invalid API key")
            .with_header("x-sandbox-reason", reason.to_owned())
    };
    match keys.iter().position(|k| k.key == user) {
        None => Err(reject("unknown")),
        Some(i) if keys[i].revoked => Err(reject("revoked")),
        Some(i) if keys[i].expired => Err(reject("expired")),
        Some(i) => Ok(i),
    }
}

pub(crate) fn subject_urn(subject: Subject) -> String {
    match subject {
        Subject::Company(id) => company_urn(id),
        // INFERRED: Pleo never shows an org URN; the spelling follows pleo-api.md §3.1.
        Subject::Organization(id) => format!("urn:pleo:organization:{id}"),
    }
}

pub(crate) fn company_urn(id: &str) -> String {
    format!("urn:pleo:company:{id}")
}

/// Whether a key acting for `subject` may touch company `company_id`.
pub(crate) fn in_reach(subject: Subject, company_id: &str) -> bool {
    match subject {
        Subject::Company(id) => id.eq_ignore_ascii_case(company_id),
        Subject::Organization(org) => {
            demo::company(company_id).is_some_and(|c| c.organization_id == org)
        }
    }
}

/// The demo companies a key reaches, in seed order.
pub(crate) fn companies_in_reach(subject: Subject) -> impl Iterator<Item = &'static DemoCompany> {
    demo::DEMO_COMPANIES
        .iter()
        .filter(move |c| in_reach(subject, c.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::demo::*;
    use crate::sandbox::testing::basic;

    #[test]
    fn decode_basic_accepts_only_well_formed_basic() {
        let ok = basic("pls_abc_def");
        assert_eq!(
            decode_basic(Some(ok.as_bytes())).as_deref(),
            Some("pls_abc_def")
        );
        let lower = ok.replacen("Basic", "basic", 1);
        assert_eq!(
            decode_basic(Some(lower.as_bytes())).as_deref(),
            Some("pls_abc_def")
        );
        assert_eq!(decode_basic(None), None);
        assert_eq!(decode_basic(Some(b"Bearer pls_abc_def")), None);
        assert_eq!(decode_basic(Some(b"Basic !!!not-base64")), None);
        let no_colon = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("pls_abc_def")
        );
        assert_eq!(decode_basic(Some(no_colon.as_bytes())), None);
        assert_eq!(decode_basic(Some(b"Basic")), None);
        assert_eq!(decode_basic(Some(&[0xff, 0xfe])), None);
    }

    #[test]
    fn reach_follows_the_subject() {
        let acme = Subject::Company(ACME_ID);
        let org = Subject::Organization(NORTHWIND_ORG_ID);
        assert!(in_reach(acme, &ACME_ID.to_uppercase()));
        assert!(!in_reach(acme, BOREALIS_ID));
        assert!(in_reach(org, BOREALIS_ID) && !in_reach(org, COBALT_ID));
        let ids: Vec<&str> = companies_in_reach(org).map(|c| c.id).collect();
        assert_eq!(ids, [ACME_ID, BOREALIS_ID]);
    }
}
