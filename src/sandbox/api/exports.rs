//! `/v3/export-jobs` and `/v3/export-items`: the export API, always for one named company.

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::ApiRequest;
use super::body::json_object;
use super::page::page;
use crate::sandbox::auth::in_reach;
use crate::sandbox::demo::Subject;
use crate::sandbox::query::{optional_uuid, parse_uuid, query_param, query_values};
use crate::sandbox::reply::{Reply, bad_parameter, no_access_to_company};
use crate::sandbox::seed::{export_items, seeded_job};
use crate::sandbox::state::State;

/// `ExportJobV3.status` values.
const JOB_STATUSES: &[&str] = &[
    "pending",
    "in_progress",
    "failed",
    "completed",
    "completed_with_errors",
];

/// The export API always names its company (pleo-api.md §10), for company and org keys alike.
fn required_company(subject: Subject, query: Option<&str>) -> Result<String, Reply> {
    let id = optional_uuid(query, "company_id")?
        .ok_or_else(|| bad_parameter("company_id is required"))?;
    if in_reach(subject, &id) {
        Ok(id)
    } else {
        Err(no_access_to_company())
    }
}

/// `GET /v3/export-jobs`, optionally filtered by `statuses`.
pub(crate) fn list_jobs(
    state: &State,
    subject: Subject,
    query: Option<&str>,
) -> Result<Reply, Reply> {
    let company = required_company(subject, query)?;
    let statuses = query_values(query, "statuses");
    // INFERRED: an unknown status is a 400, as for the other enum-typed parameters.
    if let Some(bad) = statuses
        .iter()
        .find(|s| !JOB_STATUSES.contains(&s.as_str()))
    {
        return Err(bad_parameter(&format!(
            "statuses: {bad:?} is not one of {}",
            JOB_STATUSES.join(", ")
        )));
    }
    let jobs = std::iter::once(seeded_job(&company))
        .chain(
            state
                .created_jobs
                .iter()
                .filter(|j| j["companyId"] == company.as_str())
                .cloned(),
        )
        .filter(|j| statuses.is_empty() || statuses.iter().any(|s| j["status"] == s.as_str()))
        .collect();
    page(jobs, query)
}

/// `GET /v3/export-items`
pub(crate) fn list_items(subject: Subject, query: Option<&str>) -> Result<Reply, Reply> {
    let company = required_company(subject, query)?;
    page(export_items(&company), query)
}

/// `POST /v3/export-jobs`
pub(crate) fn create_job(
    state: &mut State,
    subject: Subject,
    req: &ApiRequest<'_>,
    now: Timestamp,
) -> Result<Reply, Reply> {
    let body = if req.body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        json_object(req.body)?
    };
    // INFERRED: the company comes from `company_id` in the query or `companyId` in the body.
    let company = match (query_param(req.query, "company_id"), body.get("companyId")) {
        (Some(raw), _) => parse_uuid(&raw, "company_id")?,
        (None, Some(Value::String(raw))) => parse_uuid(raw, "companyId")?,
        _ => return Err(bad_parameter("company_id is required")),
    };
    if !in_reach(subject, &company) {
        return Err(no_access_to_company());
    }
    // INFERRED: a job counts as in progress until something moves it on (nothing here does).
    let busy = state
        .created_jobs
        .iter()
        .any(|j| j["companyId"] == company.as_str() && j["status"] == "pending");
    if busy {
        return Err(Reply::error(
            409,
            "EXPORT_ALREADY_IN_PROGRESS",
            "An export is already in progress",
        ));
    }
    let job = json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "companyId": company,
        "createdAt": now.to_string(),
        "createdBy": null,
        "startedAt": null,
        "completedAt": null,
        "expiredAt": null,
        "lastUpdatedAt": now.to_string(),
        "expiresIn": 3600,
        "isInteractive": body.get("isInteractive").and_then(Value::as_bool).unwrap_or(false),
        "numberOfItems": export_items(&company).len(),
        "status": "pending",
        "failureReason": null,
        "vendorBasedBookkeeping": false,
    });
    state.created_jobs.push(job.clone());
    // INFERRED: wrapped in `data` like Pleo's other single-resource answers.
    Ok(Reply::json(201, &json!({ "data": job })))
}

#[cfg(test)]
mod tests {

    use crate::sandbox::demo::*;
    use crate::sandbox::state::State;
    use crate::sandbox::testing::*;

    #[test]
    fn export_lists_name_their_company() {
        let mut s = State::seed();
        assert_eq!(
            error_of(&mut s, "GET", "/v3/export-jobs", HEALTHY_KEY, ""),
            (400, "PARAMETER_VALIDATION_FAILED".into())
        );
        assert_eq!(status_of(&mut s, "GET", "/v3/export-items", ORG_KEY), 400);
        let items = format!("/v3/export-items?company_id={BOREALIS_ID}");
        assert_eq!(status_of(&mut s, "GET", &items, ORG_KEY), 200);
        assert_eq!(status_of(&mut s, "GET", &items, HEALTHY_KEY), 403);
        let body = format!(r#"{{"companyId":"{BOREALIS_ID}"}}"#);
        assert_eq!(
            call(&mut s, "POST", "/v3/export-jobs", ORG_KEY, &body).0,
            201
        );
        assert_eq!(
            call(&mut s, "POST", "/v3/export-jobs", ORG_KEY, &body).0,
            409
        );
        let (_, jobs) = call(
            &mut s,
            "GET",
            &format!("/v3/export-jobs?company_id={BOREALIS_ID}"),
            ORG_KEY,
            "",
        );
        assert_eq!(jobs["pagination"]["total"], 2);
    }

    #[test]
    fn export_jobs_filter_by_status() {
        let mut s = State::seed();
        let list = |s: &mut State, q: &str| {
            let path = format!("/v3/export-jobs?company_id={ACME_ID}{q}");
            let (status, body) = call(s, "GET", &path, HEALTHY_KEY, "");
            let statuses: Vec<String> = body["data"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|j| j["status"].as_str().map(str::to_owned))
                .collect();
            (status, statuses)
        };
        let created = format!("/v3/export-jobs?company_id={ACME_ID}");
        assert_eq!(status_of(&mut s, "POST", &created, HEALTHY_KEY), 201);
        assert_eq!(
            list(&mut s, ""),
            (200, vec!["completed".to_owned(), "pending".to_owned()])
        );
        assert_eq!(
            list(&mut s, "&statuses=pending"),
            (200, vec!["pending".to_owned()])
        );
        assert_eq!(
            list(&mut s, "&statuses=failed&statuses=completed"),
            (200, vec!["completed".to_owned()])
        );
        assert_eq!(list(&mut s, "&statuses=done").0, 400);
    }
}
