//! pleo-keys: the life of a Pleo Standalone API Key, from the shell and a terminal dashboard.

pub mod app;
pub mod cli;
pub mod commands;
pub mod config;
pub mod lifecycle;
pub mod pleo;
pub mod report;
pub mod runtime;
pub mod sandbox;
pub mod secret;
pub mod store;
pub mod ui;
