//! Every integration test in one binary: one link instead of one per file, which keeps a clean
//! build within a CI machine's disk (each binary carries the whole crate and its dependencies).

mod activation;
mod cli;
mod cli_reports;
mod client;
mod crash_safety;
mod engine;
mod fault_matrix;
mod gateway;
mod navigation;
mod properties;
mod pty;
mod runtime;
mod sandbox_contract;
mod sandbox_http;
mod secret_hygiene;
mod security;
mod store;
mod support;
mod ui_snapshots;
mod update;
