//! The last two steps: the required scopes against the granted ones, and the recorded expiry.

use super::{Activation, EXPIRY_WARNING_DAYS};
use crate::domain::scopes;
use crate::lifecycle::state::Lifecycle;
use crate::lifecycle::steps::{StepName, StepResult};

impl Activation<'_> {
    /// Step 5: the required scopes against the granted ones.
    pub(super) fn scopes_step(&mut self) {
        use StepName::Scopes as Step;
        if self.company.is_none() {
            return;
        }
        let required = &self.input.required_scopes;
        match &self.granted {
            None => self.log.step(
                Step,
                StepResult::Warning,
                format!(
                    "not verified: Pleo did not say which scopes the key has; check in Pleo that it has {}",
                    required.join(", ")
                ),
            ),
            Some(granted) => {
                let missing = scopes::missing(required, granted);
                if missing.is_empty() {
                    self.log.step(
                        Step,
                        StepResult::Passed,
                        format!("all {} required scopes granted", required.len()),
                    );
                } else {
                    self.log.step(
                        Step,
                        StepResult::Failed,
                        format!(
                            "missing {}: create a key in Pleo with these permissions, then replace the key",
                            missing.join(", ")
                        ),
                    );
                    self.log.fail(Lifecycle::MissingScopes { missing });
                }
            }
        }
    }

    /// Step 6: the expiry date the operator recorded (Pleo's API does not tell it).
    pub(super) fn expiry_step(&mut self) {
        use StepName::Expiry as Step;
        if self.company.is_none() {
            return;
        }
        let Some(expires) = self.input.expires_on else {
            self.log.step(
                Step,
                StepResult::Skipped,
                "no expiry date recorded: record it to be warned 14 days ahead",
            );
            return;
        };
        let Ok(days) = self.input.today.until(expires).map(|s| s.get_days()) else {
            self.log
                .step(Step, StepResult::Skipped, "could not compute the days left");
            return;
        };
        if days < 0 {
            self.log.step(
                Step,
                StepResult::Warning,
                format!("the recorded expiry date {expires} has passed, yet Pleo still accepts the key: check the date in Pleo and record it again"),
            );
        } else if days <= EXPIRY_WARNING_DAYS {
            self.log.step(
                Step,
                StepResult::Warning,
                format!(
                    "the key expires on {expires}, in {days} day{}: create a replacement key in Pleo and replace it here",
                    if days == 1 { "" } else { "s" }
                ),
            );
        } else {
            self.log.step(
                Step,
                StepResult::Passed,
                format!("expires on {expires}, in {days} days"),
            );
        }
    }
}
