//! What an activation established about the connection: one struct, shared by the state file,
//! a run's outcome, the CLI's report and the dashboard.

use super::ids::{CompanyId, OrganizationId};
use super::installation::{InstallationErrorCode, InstallationStatus};
use super::text::Text;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// How a key is named everywhere after entry: its last four characters and a short SHA-256
/// fingerprint. Neither reveals the key.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct KeyId {
    /// `…a1b2`
    pub hint: String,
    /// 12 hex digits of SHA-256(key).
    pub fingerprint: String,
}

impl KeyId {
    pub fn new(hint: String, fingerprint: String) -> KeyId {
        KeyId { hint, fingerprint }
    }
}

impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            hint: String,
            fingerprint: String,
        }
        let raw = Raw::deserialize(d)?;
        let fp_ok =
            raw.fingerprint.len() == 12 && raw.fingerprint.bytes().all(|b| b.is_ascii_hexdigit());
        if !fp_ok {
            return Err(serde::de::Error::custom(
                "a key fingerprint is 12 hexadecimal digits",
            ));
        }
        Ok(KeyId {
            hint: super::text::sanitize(&raw.hint, 8),
            fingerprint: raw.fingerprint.to_ascii_lowercase(),
        })
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.hint, self.fingerprint)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Where the key a run used came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    SecretService,
    KernelKeyring,
    EncryptedFile,
    /// The sandbox's and the tests' process-local store.
    Memory,
    /// `PLEO_API_KEY`: used for one run, never stored.
    Environment,
    /// Typed or piped in just now, not stored yet.
    Entered,
}

impl KeySource {
    pub fn describe(self) -> &'static str {
        match self {
            KeySource::SecretService => "OS keyring (Secret Service)",
            KeySource::KernelKeyring => "kernel keyring (forgotten on reboot)",
            KeySource::EncryptedFile => "encrypted file",
            KeySource::Memory => "memory only (sandbox)",
            KeySource::Environment => "PLEO_API_KEY environment variable (not stored)",
            KeySource::Entered => "entered now, not stored",
        }
    }
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// The facts of a connection: the company the integration is bound to, the key, the
/// installation and the scopes. Written by a successful activation, refreshed by checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionFacts {
    pub company_id: CompanyId,
    pub company_name: Option<Text>,
    /// When the name was read from Pleo; it is re-read when older than a day.
    #[serde(default)]
    pub company_name_read_at: Option<Timestamp>,
    pub organization_id: Option<OrganizationId>,
    pub key: KeyId,
    pub key_source: KeySource,
    pub installation_id: Text,
    pub installation_status: InstallationStatus,
    #[serde(default)]
    pub installation_error: Option<InstallationErrorCode>,
    pub required_scopes: Vec<String>,
    /// None when Pleo could not tell (introspection unavailable): the scopes are unverified.
    pub granted_scopes: Option<Vec<String>>,
    /// The expiry date the operator recorded for this key (Pleo's API does not tell it).
    pub expires_on: Option<Date>,
    pub last_good_check: Option<Timestamp>,
    pub activated_at: Timestamp,
}

impl ConnectionFacts {
    /// "<id> (<name>)", or the id alone: how a company is named in every message.
    pub fn company_label(&self) -> String {
        company_label(self.company_id, self.company_name.as_ref())
    }

    /// Required scopes that were not granted, in the order they were required. Empty when the
    /// scopes are unverified.
    pub fn missing_scopes(&self) -> Vec<String> {
        match &self.granted_scopes {
            Some(granted) => super::scopes::missing(&self.required_scopes, granted),
            None => Vec::new(),
        }
    }

    /// Days until the recorded expiry (negative once passed), as of `today`.
    pub fn expires_in_days(&self, today: Date) -> Option<i32> {
        let date = self.expires_on?;
        today.until(date).ok().map(|span| span.get_days())
    }
}

/// "<id> (<name>)", or the id alone.
pub fn company_label(id: CompanyId, name: Option<&Text>) -> String {
    match name {
        Some(n) if !n.is_empty() => format!("{id} ({n})"),
        _ => id.to_string(),
    }
}
