//! pleo-keys: the life of a Pleo Standalone API Key, from the shell and (soon) a dashboard.

pub mod sandbox;
pub mod secret;
