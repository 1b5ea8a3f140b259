//! Which Pleo a key belongs to. Keys work only in the environment that created them.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Production,
    Staging,
    /// The built-in fake Pleo.
    #[value(skip)]
    Sandbox,
    /// An explicit `--base-url` that is neither of Pleo's.
    #[value(skip)]
    Custom,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Staging => "staging",
            Environment::Sandbox => "sandbox",
            Environment::Custom => "custom",
        }
    }

    /// The settings' spelling (config file, PLEO_KEYS_ENV); only Pleo's own two.
    pub fn parse_setting(s: &str) -> Option<Environment> {
        match s.trim().to_ascii_lowercase().as_str() {
            "production" => Some(Environment::Production),
            "staging" => Some(Environment::Staging),
            _ => None,
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
