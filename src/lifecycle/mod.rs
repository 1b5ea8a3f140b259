//! The integration's life: one state type, and the activation procedure that moves between states.
//! Written against [`crate::pleo::PleoApi`], so it is tested without a terminal or a network.

pub mod activation;
pub mod engine;
pub mod scopes;
pub mod state;

pub use activation::{
    ActivationInput, ActivationReport, Mode, Step, StepName, StepResult, activate,
};
pub use state::{CheckStatus, Degradation, Lifecycle, Recovery};
