//! pleo-keys: the life of a Pleo Standalone API Key, from the shell and (soon) a dashboard.

pub mod secret;
pub mod pleo;
pub mod lifecycle;
pub mod report;
pub mod cli;
