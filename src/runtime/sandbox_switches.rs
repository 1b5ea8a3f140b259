//! The sandbox panel's switches, applied to the key in use and the connected company.

use crate::app::SandboxAction;
use crate::domain::CompanyId;
use crate::sandbox::{RetryAfter, SandboxControl};
use crate::secret::ApiKey;
use std::time::Duration;

pub fn apply_sandbox(
    control: &SandboxControl,
    action: SandboxAction,
    key: Option<&ApiKey>,
    company: Option<CompanyId>,
) -> Result<String, String> {
    let need_key = || {
        key.map(|k| k.expose().to_string())
            .ok_or_else(|| "no key is in use".to_string())
    };
    let urn = || {
        company
            .map(|id| format!("urn:pleo:company:{id}"))
            .ok_or_else(|| "no company is connected yet".to_string())
    };
    let done = match action {
        SandboxAction::RevokeKey => {
            control.revoke(&need_key()?);
            "key revoked"
        }
        SandboxAction::ExpireKey => {
            control.expire(&need_key()?);
            "key expired"
        }
        SandboxAction::RestoreKey => {
            control.restore(&need_key()?);
            "key restored: not revoked or expired, its scopes as seeded (the installation and faults are as they were)"
        }
        SandboxAction::DropScope => {
            control.remove_scope(&need_key()?, "export-jobs:write");
            "export-jobs:write dropped from the key"
        }
        SandboxAction::InstallationError => {
            control.set_installation(&urn()?, "ERROR", Some("NOT_ENTITLED"), true);
            "installation set to ERROR (NOT_ENTITLED)"
        }
        SandboxAction::InstallationInactive => {
            control.set_installation(&urn()?, "INACTIVE", None, false);
            "installation set to INACTIVE"
        }
        SandboxAction::RateLimitStorm => {
            control.rate_limit(RetryAfter::Seconds(30), None);
            "429 storm on (Retry-After 30 s) until faults are cleared"
        }
        SandboxAction::Outage => {
            control.outage(503, None);
            "outage on (503) until faults are cleared"
        }
        SandboxAction::SlowResponses => {
            control.slow(Some(Duration::from_secs(3)));
            "responses slowed to 3 s until faults are cleared"
        }
        SandboxAction::ClearFaults => {
            control.clear_faults();
            "faults cleared (429s, outage, slowness); the key and the installation are as they were"
        }
        SandboxAction::Reset => {
            control.reset();
            "sandbox reset"
        }
    };
    Ok(done.to_string())
}
