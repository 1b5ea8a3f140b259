//! pleo-keys: the life of a Pleo Standalone API Key, from the shell and (soon) a dashboard.

pub mod config;
pub mod secret;
pub mod store;
