//! Company and organisation ids, and Pleo's `urn:pleo:<kind>:<uuid>` subjects. An id is a UUID,
//! compared and shown in one canonical (lower-case, hyphenated) form.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error(
        "{0:?} is not a company id: Pleo company ids are UUIDs like 123e4567-e89b-12d3-a456-426614174000"
    )]
    Company(String),
    #[error("{0:?} is not an organisation id: Pleo organisation ids are UUIDs")]
    Organization(String),
    #[error("{0:?} is not a Pleo company or organisation URN (urn:pleo:company:<uuid>)")]
    Urn(String),
}

/// A hyphenated UUID in any case; anything else (braces, simple form, URNs) is refused.
fn parse_uuid(s: &str) -> Option<uuid::Uuid> {
    let s = s.trim();
    if s.len() != 36 {
        return None;
    }
    uuid::Uuid::try_parse(s).ok()
}

/// Shown in error messages: never more than a line of whatever was given.
fn clip(s: &str) -> String {
    crate::domain::text::sanitize(s, 120)
}

macro_rules! uuid_id {
    ($name:ident, $err:ident, $what:literal) => {
        #[doc = concat!("A Pleo ", $what, " id.")]
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(uuid::Uuid);

        impl $name {
            pub fn parse(s: &str) -> Result<$name, IdError> {
                parse_uuid(s)
                    .map($name)
                    .ok_or_else(|| IdError::$err(clip(s)))
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<str>::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

uuid_id!(CompanyId, Company, "company");
uuid_id!(OrganizationId, Organization, "organisation");

/// Whom a key or an installation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Company(CompanyId),
    Organization(OrganizationId),
}

impl Subject {
    /// Parse `urn:pleo:<kind>:<uuid>`. Both spellings of organisation are accepted because Pleo
    /// has never shown which one it uses.
    pub fn parse(urn: &str) -> Result<Subject, IdError> {
        let err = || IdError::Urn(clip(urn));
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
            "company" => Ok(Subject::Company(CompanyId(id))),
            "organization" | "organisation" => Ok(Subject::Organization(OrganizationId(id))),
            _ => Err(err()),
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

#[cfg(test)]
mod tests {
    use super::*;

    const ACME: &str = "11111111-1111-4111-8111-111111111111";

    #[test]
    fn ids_are_canonical_whatever_the_case() {
        let upper = CompanyId::parse(&ACME.to_uppercase()).unwrap();
        assert_eq!(upper, CompanyId::parse(ACME).unwrap());
        assert_eq!(upper.to_string(), ACME);
        let json = serde_json::to_string(&upper).unwrap();
        assert_eq!(json, format!("\"{ACME}\""));
        let back: CompanyId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, upper);
        assert!(serde_json::from_str::<CompanyId>("\"acme\"").is_err());
    }

    #[test]
    fn only_hyphenated_uuids_are_ids() {
        for bad in [
            "",
            "acme",
            "11111111111141118111111111111111",
            "{11111111-1111-4111-8111-111111111111}",
            "urn:uuid:11111111-1111-4111-8111-111111111111",
        ] {
            assert!(CompanyId::parse(bad).is_err(), "{bad:?}");
        }
        let msg = CompanyId::parse("acme").unwrap_err().to_string();
        assert!(msg.contains("UUID"), "{msg}");
    }

    #[test]
    fn company_and_organisation_urns() {
        assert_eq!(
            Subject::parse("urn:pleo:company:123E4567-E89B-12D3-A456-426614174000"),
            Ok(Subject::Company(
                CompanyId::parse("123e4567-e89b-12d3-a456-426614174000").unwrap()
            ))
        );
        for kind in ["organization", "organisation"] {
            let urn = format!("urn:pleo:{kind}:99999999-9999-4999-8999-999999999999");
            assert!(matches!(Subject::parse(&urn), Ok(Subject::Organization(_))));
        }
    }

    #[test]
    fn other_urn_shapes_are_refused() {
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
