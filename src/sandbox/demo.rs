//! The public demo data: companies, organisations and keys, all public fakes, as `pleo-keys sandbox`
//! prints them.

/// One demo key, as listed by `pleo-keys sandbox`.
#[derive(Clone, Copy, Debug)]
pub struct DemoKey {
    /// Name used by the `/_sandbox/keys/{name}/...` switches.
    pub name: &'static str,
    /// The full key (a public fake, safe to print).
    pub key: &'static str,
    /// What the key demonstrates.
    pub shows: &'static str,
}

/// One demo company.
#[derive(Clone, Copy, Debug)]
pub struct DemoCompany {
    pub id: &'static str,
    pub name: &'static str,
    pub organization_id: &'static str,
    pub registration_number: &'static str,
    pub address_line1: &'static str,
    pub locality: &'static str,
    pub postal_code: &'static str,
    pub country: &'static str,
}

pub const ACME_ID: &str = "11111111-1111-4111-8111-111111111111";
pub const BOREALIS_ID: &str = "22222222-2222-4222-8222-222222222222";
pub const COBALT_ID: &str = "33333333-3333-4333-8333-333333333333";
pub const NORTHWIND_ORG_ID: &str = "99999999-9999-4999-8999-999999999999";
pub const COBALT_ORG_ID: &str = "88888888-8888-4888-8888-888888888888";
pub const ACME_NAME: &str = "Acme Sandbox ApS";
pub const BOREALIS_NAME: &str = "Borealis Sandbox AB";
pub const COBALT_NAME: &str = "Cobalt Sandbox GmbH";
pub const NORTHWIND_ORG_NAME: &str = "Northwind Group";
/// Shared by every demo key, as all keys belong to one (fake) application.
pub const APPLICATION_ID: &str = "5a9d3c2e-7b41-4f86-9e0d-3c1b2a4f6e58";
/// `applicationName` in introspect.
pub const APPLICATION_NAME: &str = "pleo-keys sandbox";

/// Every scope pleo-keys may need, in the order introspect lists them.
pub const FULL_SCOPES: &[&str] = &[
    "export-jobs:read",
    "export-jobs:write",
    "export-items:read",
    "companies:read",
    "users:read",
];

pub const HEALTHY_KEY: &str = "pls_0f3c9a7e21d84b6fa5c2e9d17b40c8e3_7d21a4";
pub const ROTATED_KEY: &str = "pls_8b2e4d6f10a3c5e79d1f3b5a7c9e0d2f_3e9b56";
pub const MISSING_SCOPE_KEY: &str = "pls_c7a1e3f5092b4d6e8a0c2e4f6b8d0a1c_5c08e7";
pub const OTHER_COMPANY_KEY: &str = "pls_2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a0b_91f3c8";
pub const ORG_KEY: &str = "pls_e5b7d9f1a3c50e2d4f6a8b0c2d4e6f81_b46d29";
pub const REVOKED_KEY: &str = "pls_6a8c0e2b4d6f18a3c5e7b9d1f3a5c7e9_0a7f3b";
pub const NO_COMPANY_READ_KEY: &str = "pls_9e1b3d5f7a2c4e6b8d0f1a3c5e7b9d2f_e2c84d";

pub const DEMO_KEYS: &[DemoKey] = &[
    DemoKey {
        name: "healthy",
        key: HEALTHY_KEY,
        shows: "Acme Sandbox ApS, every scope: activation and a healthy dashboard",
    },
    DemoKey {
        name: "rotated",
        key: ROTATED_KEY,
        shows: "a second key for Acme Sandbox ApS: key replacement to the same company",
    },
    DemoKey {
        name: "missing-scope",
        key: MISSING_SCOPE_KEY,
        shows: "Acme Sandbox ApS without export-jobs:write: the missing-scope state",
    },
    DemoKey {
        name: "other-company",
        key: OTHER_COMPANY_KEY,
        shows: "Cobalt Sandbox GmbH (another organisation): the company-change confirmation",
    },
    DemoKey {
        name: "org-level",
        key: ORG_KEY,
        shows: "organisation Northwind Group (Acme + Borealis): choosing a company",
    },
    DemoKey {
        name: "revoked",
        key: REVOKED_KEY,
        shows: "Acme Sandbox ApS, revoked: every call answers 401",
    },
    DemoKey {
        name: "no-company-read",
        key: NO_COMPANY_READ_KEY,
        shows: "Acme Sandbox ApS without companies:read: the company-name lookup gets 403",
    },
];

pub const DEMO_COMPANIES: &[DemoCompany] = &[
    DemoCompany {
        id: ACME_ID,
        name: ACME_NAME,
        organization_id: NORTHWIND_ORG_ID,
        registration_number: "DK12345678",
        address_line1: "Sandkassevej 1",
        locality: "København",
        postal_code: "2100",
        country: "DK",
    },
    DemoCompany {
        id: BOREALIS_ID,
        name: BOREALIS_NAME,
        organization_id: NORTHWIND_ORG_ID,
        registration_number: "556677-8899",
        address_line1: "Sandlådegatan 2",
        locality: "Stockholm",
        postal_code: "111 22",
        country: "SE",
    },
    DemoCompany {
        id: COBALT_ID,
        name: COBALT_NAME,
        organization_id: COBALT_ORG_ID,
        registration_number: "HRB 123456",
        address_line1: "Sandkastenstraße 3",
        locality: "Berlin",
        postal_code: "10115",
        country: "DE",
    },
];

/// Whom a key acts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Subject {
    Company(&'static str),
    Organization(&'static str),
}

/// The seed of one key: everything the fake needs beyond [`DemoKey`].
pub(crate) struct KeySeed {
    pub name: &'static str,
    pub key: &'static str,
    pub subject: Subject,
    pub scopes_without: &'static [&'static str],
    pub revoked: bool,
    pub client_id: &'static str,
}

pub(crate) const KEY_SEEDS: &[KeySeed] = &[
    KeySeed {
        name: "healthy",
        key: HEALTHY_KEY,
        subject: Subject::Company(ACME_ID),
        scopes_without: &[],
        revoked: false,
        client_id: "0b6f7a21-3c4d-4e5f-8a9b-1c2d3e4f5a61",
    },
    KeySeed {
        name: "rotated",
        key: ROTATED_KEY,
        subject: Subject::Company(ACME_ID),
        scopes_without: &[],
        revoked: false,
        client_id: "0b6f7a21-3c4d-4e5f-8a9b-1c2d3e4f5a62",
    },
    KeySeed {
        name: "missing-scope",
        key: MISSING_SCOPE_KEY,
        subject: Subject::Company(ACME_ID),
        scopes_without: &["export-jobs:write"],
        revoked: false,
        client_id: "0b6f7a21-3c4d-4e5f-8a9b-1c2d3e4f5a63",
    },
    KeySeed {
        name: "other-company",
        key: OTHER_COMPANY_KEY,
        subject: Subject::Company(COBALT_ID),
        scopes_without: &[],
        revoked: false,
        client_id: "0b6f7a21-3c4d-4e5f-8a9b-1c2d3e4f5a64",
    },
    KeySeed {
        name: "org-level",
        key: ORG_KEY,
        subject: Subject::Organization(NORTHWIND_ORG_ID),
        scopes_without: &[],
        revoked: false,
        client_id: "0b6f7a21-3c4d-4e5f-8a9b-1c2d3e4f5a65",
    },
    KeySeed {
        name: "revoked",
        key: REVOKED_KEY,
        subject: Subject::Company(ACME_ID),
        scopes_without: &[],
        revoked: true,
        client_id: "0b6f7a21-3c4d-4e5f-8a9b-1c2d3e4f5a66",
    },
    KeySeed {
        name: "no-company-read",
        key: NO_COMPANY_READ_KEY,
        subject: Subject::Company(ACME_ID),
        scopes_without: &["companies:read"],
        revoked: false,
        client_id: "0b6f7a21-3c4d-4e5f-8a9b-1c2d3e4f5a67",
    },
];

/// Whether the demo key named `name` acts for an organisation rather than one company.
pub fn is_organisation_key(name: &str) -> bool {
    KEY_SEEDS
        .iter()
        .any(|s| s.name == name && matches!(s.subject, Subject::Organization(_)))
}

pub(crate) fn company(id: &str) -> Option<&'static DemoCompany> {
    DEMO_COMPANIES
        .iter()
        .find(|c| c.id.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn looks_like_pleo(key: &str) -> bool {
        let Some(rest) = key.strip_prefix("pls_") else {
            return false;
        };
        let hex = |s: &str| s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        match rest.split_once('_') {
            Some((a, b)) => a.len() == 32 && b.len() == 6 && hex(a) && hex(b),
            None => false,
        }
    }

    #[test]
    fn keys_look_like_pleo_and_are_distinct() {
        let mut keys = std::collections::BTreeSet::new();
        let mut tails = std::collections::BTreeSet::new();
        for k in DEMO_KEYS {
            assert!(looks_like_pleo(k.key), "{} has the wrong shape", k.name);
            assert!(keys.insert(k.key), "{} repeats a key", k.name);
            assert!(
                tails.insert(&k.key[k.key.len() - 4..]),
                "{} repeats a last-4",
                k.name
            );
        }
        assert_eq!(KEY_SEEDS.len(), DEMO_KEYS.len());
        for (seed, demo) in KEY_SEEDS.iter().zip(DEMO_KEYS) {
            assert_eq!((seed.name, seed.key), (demo.name, demo.key));
        }
    }

    #[test]
    fn only_the_org_key_is_organisation_level() {
        let org: Vec<&str> = DEMO_KEYS
            .iter()
            .map(|k| k.name)
            .filter(|n| is_organisation_key(n))
            .collect();
        assert_eq!(org, ["org-level"]);
        assert!(!is_organisation_key("nobody"));
    }

    #[test]
    fn ids_are_uuids() {
        let ids = [
            APPLICATION_ID,
            ACME_ID,
            BOREALIS_ID,
            COBALT_ID,
            NORTHWIND_ORG_ID,
            COBALT_ORG_ID,
        ];
        for id in ids.into_iter().chain(KEY_SEEDS.iter().map(|s| s.client_id)) {
            assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
        }
    }
}
