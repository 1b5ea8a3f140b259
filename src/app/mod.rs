//! The dashboard's model: one `App`, changed only by `update(app, msg) -> Vec<Cmd>`.
//! `update` decides and never waits; the runtime carries out the commands and reports back
//! with messages. Nothing here does IO.

pub mod keymap;
pub mod model;
pub mod update;

pub use keymap::{Action, KEYMAP};
pub use model::{
    App, Banner, BannerLevel, CompanyPicker, ConfirmCompany, Context, Facts, KeyEntry, KeyField,
    Overlay, PassphrasePrompt, RunResult, SandboxAction, SandboxPanel, Theme,
};
pub use update::{Cmd, Msg, update};
