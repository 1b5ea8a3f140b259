//! The steps of a run, as the CLI reports them, and the record a run keeps while it goes.

use super::state::Lifecycle;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepName {
    ReachPleo,
    Authenticate,
    Installation,
    Company,
    Scopes,
    Expiry,
}

impl StepName {
    pub fn label(self) -> &'static str {
        match self {
            StepName::ReachPleo => "reach Pleo",
            StepName::Authenticate => "authenticate",
            StepName::Installation => "installation",
            StepName::Company => "company",
            StepName::Scopes => "scopes",
            StepName::Expiry => "expiry",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepResult {
    Passed,
    Failed,
    Warning,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub name: StepName,
    pub result: StepResult,
    pub message: String,
}

/// Steps so far and the first failure: the first one decides the state; later ones only add
/// steps.
#[derive(Debug, Clone, Default)]
pub struct StepLog {
    pub steps: Vec<Step>,
    pub failure: Option<Lifecycle>,
}

impl StepLog {
    pub fn step(&mut self, name: StepName, result: StepResult, message: impl Into<String>) {
        self.steps.push(Step {
            name,
            result,
            message: message.into(),
        });
    }

    pub fn fail(&mut self, state: Lifecycle) {
        if self.failure.is_none() {
            self.failure = Some(state);
        }
    }

    pub fn skip(&mut self, names: &[StepName]) {
        for name in names {
            self.step(*name, StepResult::Skipped, "not reached");
        }
    }

    pub fn warned(&self, name: StepName) -> bool {
        self.steps
            .iter()
            .any(|s| s.name == name && s.result == StepResult::Warning)
    }
}
