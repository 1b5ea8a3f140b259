//! What the integration tests and benches share: fixtures, a fake Pleo, a test home with an
//! engine, and a pseudo-terminal harness. Each test file uses part of it.
#![allow(dead_code)]

pub mod cli;
pub mod dashboard;
pub mod fake_pleo;
pub mod fixtures;
pub mod gateway;
pub mod home;
pub mod prometheus;
pub mod pty;
