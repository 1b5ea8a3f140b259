//! The installation's status and error code, as Pleo's App Marketplace API names them. Unknown
//! values are kept (sanitised), not refused: Pleo may add some.

use super::text::sanitize;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An enum of the values Pleo documents plus `Other` for any it may add (kept sanitised, at most
/// 40 characters), read from and written as the wire string, shown as it.
macro_rules! open_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($variant,)+
            Other(String),
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($wire => $name::$variant,)+
                    _ => $name::Other(sanitize(&s, 40)),
                }
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.as_str().to_string()
            }
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Other(s) => s,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

open_enum! {
    /// `InstallationStatus`: the five documented values, and whatever else Pleo may add.
    InstallationStatus {
        Activated = "ACTIVATED",
        Inactive = "INACTIVE",
        Authorized = "AUTHORIZED",
        PendingIntegration = "PENDING_INTEGRATION",
        Error = "ERROR",
    }
}

open_enum! {
    /// `InstallationErrorCode`.
    InstallationErrorCode {
        NotEntitled = "NOT_ENTITLED",
        AuthError = "AUTH_ERROR",
    }
}

impl InstallationErrorCode {
    /// What it means, for the operator.
    pub fn explain(&self) -> &'static str {
        match self {
            InstallationErrorCode::NotEntitled => {
                "the company is not entitled to use this application: ask Pleo (your partner manager or support) to enable it"
            }
            InstallationErrorCode::AuthError => {
                "Pleo had an authentication error during installation: replace the key and activate again"
            }
            InstallationErrorCode::Other(_) => "Pleo reported an installation error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_status_and_an_unknown_one_decode() {
        for (raw, want) in [
            ("ACTIVATED", InstallationStatus::Activated),
            ("INACTIVE", InstallationStatus::Inactive),
            ("AUTHORIZED", InstallationStatus::Authorized),
            (
                "PENDING_INTEGRATION",
                InstallationStatus::PendingIntegration,
            ),
            ("ERROR", InstallationStatus::Error),
            ("PAUSED", InstallationStatus::Other("PAUSED".into())),
        ] {
            let s: InstallationStatus = serde_json::from_value(serde_json::json!(raw)).unwrap();
            assert_eq!(s, want);
            assert_eq!(s.as_str(), raw);
        }
    }

    #[test]
    fn unknown_values_are_sanitised() {
        let s: InstallationStatus =
            serde_json::from_value(serde_json::json!("OK\u{1b}[2J")).unwrap();
        assert_eq!(s.as_str(), "OK[2J");
    }
}
