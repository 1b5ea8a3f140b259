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
