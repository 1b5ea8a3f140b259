//! pleo-keys: the life of a Pleo Standalone API Key, from the shell and a terminal dashboard.

pub mod app;
pub mod cli;
pub mod commands;
pub mod domain;
pub mod gateway;
pub mod hardening;
pub mod lifecycle;
pub mod pleo;
pub mod runtime;
pub mod sandbox;
pub mod secret;
pub mod settings;
pub mod signals;
pub mod store;
pub mod ui;

/// The git commit this binary was built from (12 hex digits), or "unknown" (see build.rs).
pub const BUILD_COMMIT: &str = env!("PLEO_KEYS_COMMIT");

/// The version with the build's commit, as `--version` prints it after the name: "0.1.0
/// (0123456789ab)". For the dashboard's help screen too.
pub const VERSION_LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("PLEO_KEYS_COMMIT"),
    ")"
);
