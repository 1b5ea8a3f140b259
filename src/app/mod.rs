//! The dashboard's model: one `App`, changed only by `update(app, msg) -> Vec<Cmd>`.
//! `update` decides and never waits; the runtime carries out the commands and reports back
//! with messages. Nothing here does IO.

mod banner;
pub mod calls_view;
mod dashboard_keys;
pub mod keymap;
pub mod model;
pub mod msg;
pub mod overlay;
pub mod traffic;
pub mod update;

pub use keymap::{Action, KEYMAP};
pub use model::{App, Banner, BannerLevel, Context, PendingActivation, Theme};
pub use msg::{Attempt, Cmd, Msg};
pub use overlay::{
    CompanyPicker, ConfirmCompany, KeyEntry, KeyField, Overlay, PassphrasePrompt, SandboxAction,
    SandboxPanel,
};
pub use update::update;
