//! The integration's life: one state type, the activation procedure that moves between states,
//! and the engine that commits a run's outcome to what is stored. Written against
//! [`crate::pleo::PleoApi`], so it is tested with a scripted Pleo.

pub mod activation;
pub mod engine;
pub mod outcome;
pub mod state;
pub mod steps;

pub use activation::{ActivationInput, EXPIRY_WARNING_DAYS, Mode, Run, activate};
pub use engine::{CompanyChange, Engine, ReplaceOptions};
pub use outcome::{Outcome, Replaced, verdict};
pub use state::{CompanyChoice, Degradation, Lifecycle};
pub use steps::{Step, StepName, StepResult};
