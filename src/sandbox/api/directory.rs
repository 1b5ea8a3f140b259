//! `/v1/companies`, `/v1/companies/{companyId}` and `/v2/employees`: who the key can see.

use serde_json::{Value, json};

use super::page::page;
use crate::sandbox::HostileText;
use crate::sandbox::auth::{companies_in_reach, in_reach};
use crate::sandbox::demo::{self, DemoCompany, Subject};
use crate::sandbox::hostile::company_name;
use crate::sandbox::query::{optional_uuid, parse_uuid, query_param};
use crate::sandbox::reply::{Reply, forbidden, no_access_to_company};
use crate::sandbox::seed::EMPLOYEES;

fn company_json(c: &DemoCompany, hostile: HostileText) -> Value {
    json!({
        "id": c.id,
        "name": company_name(c.name, hostile),
        "organizationId": c.organization_id,
        "registrationNumber": c.registration_number,
        "address": {
            "addressLine1": c.address_line1,
            "country": c.country,
            "locality": c.locality,
            "postalCode": c.postal_code,
        },
    })
}

/// `GET /v1/companies/{companyId}`
pub(crate) fn company(
    subject: Subject,
    raw_id: &str,
    hostile: HostileText,
) -> Result<Reply, Reply> {
    let id = parse_uuid(raw_id, "companyId")?;
    // INFERRED: the 404 type; the status is documented.
    let company = demo::company(&id).ok_or_else(|| {
        Reply::error(404, "COMPANY_NOT_FOUND", &format!("Company {id} not found"))
    })?;
    if !in_reach(subject, company.id) {
        return Err(no_access_to_company());
    }
    Ok(Reply::json(
        200,
        &json!({ "data": company_json(company, hostile) }),
    ))
}

/// `GET /v1/companies`
pub(crate) fn companies(
    subject: Subject,
    query: Option<&str>,
    hostile: HostileText,
) -> Result<Reply, Reply> {
    // INFERRED: without organization_id the list is what the key reaches.
    if let Some(org) = optional_uuid(query, "organization_id")? {
        let own_org = match subject {
            Subject::Organization(o) => Some(o),
            Subject::Company(c) => demo::company(c).map(|c| c.organization_id),
        };
        if own_org != Some(org.as_str()) {
            return Err(forbidden("The API key has no access to this organisation"));
        }
    }
    page(
        companies_in_reach(subject)
            .map(|c| company_json(c, hostile))
            .collect(),
        query,
    )
}

/// The companies a list call covers: the one asked for (if in reach), else all in reach.
fn scoped_companies(subject: Subject, company: Option<String>) -> Result<Vec<String>, Reply> {
    match company {
        Some(id) if in_reach(subject, &id) => Ok(vec![id]),
        Some(_) => Err(no_access_to_company()),
        None => Ok(companies_in_reach(subject)
            .map(|c| c.id.to_owned())
            .collect()),
    }
}

/// `GET /v2/employees`
pub(crate) fn employees(subject: Subject, query: Option<&str>) -> Result<Reply, Reply> {
    // Pleo spells this one camelCase. INFERRED: without it, every employee in reach.
    let company = optional_uuid(query, "companyId")?;
    let ids = scoped_companies(subject, company)?;
    // INFERRED: email matches whatever its case, code exactly.
    let email = query_param(query, "email");
    let code = query_param(query, "code");
    let rows = EMPLOYEES
        .iter()
        .filter(|e| ids.iter().any(|id| id == e.company_id))
        .filter(|e| {
            email
                .as_ref()
                .is_none_or(|m| m.eq_ignore_ascii_case(e.email))
        })
        .filter(|e| code.as_ref().is_none_or(|c| c == e.code))
        .map(|e| e.to_json())
        .collect();
    page(rows, query)
}

#[cfg(test)]
mod tests {

    use crate::sandbox::demo::*;
    use crate::sandbox::state::State;
    use crate::sandbox::testing::*;

    #[test]
    fn companies_are_scoped_to_the_key() {
        let mut s = State::seed();
        let (status, body) = call(
            &mut s,
            "GET",
            &format!("/v1/companies/{ACME_ID}"),
            HEALTHY_KEY,
            "",
        );
        assert_eq!(status, 200);
        assert_eq!(body["data"]["name"], ACME_NAME);
        assert_eq!(body["data"]["organizationId"], NORTHWIND_ORG_ID);
        assert!(body["data"]["address"]["addressLine1"].is_string());
        assert_eq!(
            call(
                &mut s,
                "GET",
                &format!("/v1/companies/{BOREALIS_ID}"),
                HEALTHY_KEY,
                ""
            )
            .0,
            403
        );
        assert_eq!(
            call(
                &mut s,
                "GET",
                &format!("/v1/companies/{BOREALIS_ID}"),
                ORG_KEY,
                ""
            )
            .0,
            200
        );
        assert_eq!(
            call(
                &mut s,
                "GET",
                &format!("/v1/companies/{COBALT_ID}"),
                ORG_KEY,
                ""
            )
            .0,
            403
        );
        let unknown = "/v1/companies/44444444-4444-4444-8444-444444444444";
        assert_eq!(
            error_of(&mut s, "GET", unknown, ORG_KEY, ""),
            (404, "COMPANY_NOT_FOUND".into())
        );

        let list = format!("/v1/companies?organization_id={NORTHWIND_ORG_ID}");
        let (_, body) = call(&mut s, "GET", &list, ORG_KEY, "");
        assert_eq!(body["pagination"]["total"], 2);
        let (_, body) = call(&mut s, "GET", &list, HEALTHY_KEY, "");
        assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
        assert_eq!(body["data"][0]["id"], ACME_ID);
        let other = format!("/v1/companies?organization_id={COBALT_ORG_ID}");
        assert_eq!(status_of(&mut s, "GET", &other, ORG_KEY), 403);
        assert_eq!(status_of(&mut s, "GET", &other, OTHER_COMPANY_KEY), 200);
    }

    #[test]
    fn employee_lists_are_scoped_and_paged() {
        let mut s = State::seed();
        let (_, body) = call(&mut s, "GET", "/v2/employees?limit=1", HEALTHY_KEY, "");
        assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
        assert_eq!(body["pagination"]["hasNextPage"], true);
        let after = body["pagination"]["endCursor"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let (_, next) = call(
            &mut s,
            "GET",
            &format!("/v2/employees?limit=1&after={after}"),
            HEALTHY_KEY,
            "",
        );
        assert_eq!(next["data"][0]["firstName"], "Grace");
        assert_eq!(next["pagination"]["hasNextPage"], false);
        assert_eq!(next["pagination"]["hasPreviousPage"], true);
        assert_eq!(
            status_of(&mut s, "GET", "/v2/employees?limit=0", HEALTHY_KEY),
            400
        );
        let (_, org) = call(&mut s, "GET", "/v2/employees", ORG_KEY, "");
        assert_eq!(org["pagination"]["total"], 3);
        let foreign = format!("/v2/employees?companyId={COBALT_ID}");
        assert_eq!(status_of(&mut s, "GET", &foreign, HEALTHY_KEY), 403);
    }

    #[test]
    fn hostile_names_reach_single_companies_and_lists() {
        let mut s = State::seed();
        s.behaviour.hostile_text = crate::sandbox::HostileText::Controls;
        let one = format!("/v1/companies/{ACME_ID}");
        let (_, body) = call(&mut s, "GET", &one, HEALTHY_KEY, "");
        let name = body["data"]["name"].as_str().unwrap_or_default();
        assert!(
            name.starts_with(ACME_NAME) && name.contains("\u{1b}]52;c;"),
            "{name:?}"
        );
        let (_, list) = call(&mut s, "GET", "/v1/companies", ORG_KEY, "");
        let names: Vec<&str> = list["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(names.len(), 2);
        assert!(
            names.iter().all(|n| n.contains("\r\nFAKE: OK")),
            "{names:?}"
        );

        s.behaviour.hostile_text = crate::sandbox::HostileText::LongNames;
        let (_, body) = call(&mut s, "GET", &one, HEALTHY_KEY, "");
        let name = body["data"]["name"].as_str().unwrap_or_default();
        assert_eq!(name.chars().count(), 10_000);
        // Only names change; ids stay usable.
        assert_eq!(body["data"]["id"], ACME_ID);
    }

    #[test]
    fn employees_filter_by_email_and_code() {
        let mut s = State::seed();
        let first_names = |s: &mut State, q: &str| -> Vec<String> {
            let (status, body) = call(s, "GET", &format!("/v2/employees?{q}"), ORG_KEY, "");
            assert_eq!(status, 200, "{q}");
            body["data"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["firstName"].as_str().map(str::to_owned))
                .collect()
        };
        assert_eq!(first_names(&mut s, "email=GRACE%40acme.example"), ["Grace"]);
        assert_eq!(first_names(&mut s, "code=B001"), ["Greta"]);
        assert_eq!(first_names(&mut s, "code=b001"), Vec::<String>::new());
        assert_eq!(
            first_names(&mut s, "email=ada%40acme.example&code=E002"),
            Vec::<String>::new()
        );
        assert_eq!(first_names(&mut s, "limit=1&offset=1"), ["Grace"]);
    }
}
