//! The installation: found, created or set ACTIVATED on activation, only read on a check.

use super::Activation;
use crate::domain::{CompanyId, InstallationStatus};
use crate::lifecycle::state::Lifecycle;
use crate::lifecycle::steps::{StepName, StepResult};
use crate::pleo::{ApiError, Installation, InstallationCall, PleoApi};
use crate::secret::ApiKey;

impl Activation<'_> {
    /// Record the installation found (or created). `false` when it is not ACTIVATED.
    pub(super) fn installation_settled(&mut self, found: Installation, created: bool) -> bool {
        let ok = found.status == InstallationStatus::Activated;
        if ok {
            let verb = if created { "created" } else { "found" };
            self.log.step(
                StepName::Installation,
                StepResult::Passed,
                format!("installation {} {verb}, ACTIVATED", found.id),
            );
        } else {
            let why = match &found.error_code {
                Some(c) => format!(
                    "installation {} is {} ({c}): {}",
                    found.id,
                    found.status,
                    c.explain()
                ),
                None => format!(
                    "installation {} is {}, not ACTIVATED",
                    found.id, found.status
                ),
            };
            self.log
                .step(StepName::Installation, StepResult::Failed, why);
            self.log.fail(Lifecycle::InstallationInactive {
                status: Some(found.status.clone()),
                error_code: found.error_code.clone(),
            });
        }
        self.installation = Some(found);
        ok
    }
}

/// The installation for a key being activated: found, created, or set ACTIVATED. Returns it and
/// whether it was created. Writes happen only here, and only in activation.
pub(super) async fn installation_for_activation(
    api: &dyn PleoApi,
    key: &ApiKey,
    narrow: Option<CompanyId>,
    write_company: Option<CompanyId>,
) -> Result<(Installation, bool), ApiError> {
    let (found, created) = match api.installation(key, InstallationCall::Get, narrow).await {
        Ok(i) => (i, false),
        // INFERRED: Pleo may answer a key with no installation yet by 404, another 4xx or even
        // a 5xx; only an answer about the key itself (or no answer) stops here.
        Err(
            e @ (ApiError::KeyRejected
            | ApiError::Forbidden { .. }
            | ApiError::Network { .. }
            | ApiError::RateLimited { .. }
            | ApiError::Unexpected { .. }),
        ) => return Err(e),
        Err(_) => match api
            .installation(key, InstallationCall::Create, write_company)
            .await
        {
            Ok(i) => (i, true),
            // It exists after all (or was created meanwhile): read it.
            Err(e) if says_exists(&e) => (
                api.installation(key, InstallationCall::Get, narrow).await?,
                false,
            ),
            Err(e) => return Err(e),
        },
    };
    if found.status == InstallationStatus::Activated {
        return Ok((found, created));
    }
    Ok((
        api.installation(key, InstallationCall::Activate, write_company)
            .await?,
        created,
    ))
}

/// A POST refused because the installation exists (409, or a type that says so).
fn says_exists(e: &ApiError) -> bool {
    match e {
        ApiError::Client {
            status, error_type, ..
        } => {
            *status == 409
                || error_type
                    .as_ref()
                    .is_some_and(|t| t.as_str().to_ascii_uppercase().contains("EXIST"))
        }
        _ => false,
    }
}
