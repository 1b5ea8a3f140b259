//! Pleo URNs: `urn:pleo:company:<uuid>` and the organisation form.

use std::fmt;

/// Who a key or installation belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Company(String),
    Organization(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Pleo company or organisation URN (urn:pleo:company:<uuid>)")]
pub struct UrnError(pub String);

impl Subject {
    /// Parse `urn:pleo:<kind>:<uuid>`. Both spellings of organisation are accepted because Pleo
    /// has never shown which one it uses. The UUID is returned lower-cased.
    pub fn parse(urn: &str) -> Result<Subject, UrnError> {
        let err = || UrnError(urn.chars().take(120).collect());
        let mut parts = urn.trim().splitn(4, ':');
        let (Some(u), Some(p), Some(kind), Some(id)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err());
        };
        if !u.eq_ignore_ascii_case("urn") || !p.eq_ignore_ascii_case("pleo") {
            return Err(err());
        }
        let id = parse_uuid(id).ok_or_else(err)?;
        match kind.to_ascii_lowercase().as_str() {
            "company" => Ok(Subject::Company(id)),
            "organization" | "organisation" => Ok(Subject::Organization(id)),
            _ => Err(err()),
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Subject::Company(id) | Subject::Organization(id) => id,
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Company(id) => write!(f, "company {id}"),
            Subject::Organization(id) => write!(f, "organisation {id}"),
        }
    }
}

/// A hyphenated UUID, lower-cased; None for anything else.
pub fn parse_uuid(s: &str) -> Option<String> {
    let s = s.trim();
    if s.len() != 36 {
        return None;
    }
    uuid::Uuid::try_parse(s)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_and_organisation() {
        assert_eq!(
            Subject::parse("urn:pleo:company:123E4567-E89B-12D3-A456-426614174000"),
            Ok(Subject::Company(
                "123e4567-e89b-12d3-a456-426614174000".into()
            ))
        );
        for kind in ["organization", "organisation"] {
            assert_eq!(
                Subject::parse(&format!(
                    "urn:pleo:{kind}:99999999-9999-4999-8999-999999999999"
                )),
                Ok(Subject::Organization(
                    "99999999-9999-4999-8999-999999999999".into()
                ))
            );
        }
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in [
            "",
            "urn:pleo:company",
            "urn:pleo:company:not-a-uuid",
            "urn:pleo:user:123e4567-e89b-12d3-a456-426614174000",
            "urn:other:company:123e4567-e89b-12d3-a456-426614174000",
            "urn:pleo:company:123e4567e89b12d3a456426614174000",
            "urn:pleo:company:123e4567-e89b-12d3-a456-426614174000:extra",
        ] {
            assert!(Subject::parse(bad).is_err(), "{bad:?}");
        }
    }
}
