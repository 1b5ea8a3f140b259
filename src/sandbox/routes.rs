//! The API's routes as data: paths and methods, the scope each needs, and the query parameters each
//! documents (for strict mode).

use super::demo::Subject;
use super::query::query_pairs;

/// One API endpoint (a path, whatever its method).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Introspect,
    InstallationMe,
    Activate,
    Completions,
    Companies,
    /// `/v1/companies/{companyId}`
    Company,
    Employees,
    ExportJobs,
    ExportItems,
}

/// Fixed paths and the methods they answer. `/v1/companies/{companyId}` is matched apart.
const ROUTES: &[(&str, Endpoint, &[&str])] = &[
    ("/v1/introspect", Endpoint::Introspect, &["GET"]),
    (
        "/v1/installations/me",
        Endpoint::InstallationMe,
        &["GET", "POST", "PUT", "DELETE"],
    ),
    (
        "/v1/installations/me:activate",
        Endpoint::Activate,
        &["POST"],
    ),
    (
        "/v1/installations/completions",
        Endpoint::Completions,
        &["PUT"],
    ),
    ("/v1/companies", Endpoint::Companies, &["GET"]),
    ("/v2/employees", Endpoint::Employees, &["GET"]),
    ("/v3/export-jobs", Endpoint::ExportJobs, &["GET", "POST"]),
    ("/v3/export-items", Endpoint::ExportItems, &["GET"]),
];

/// The scope each (endpoint, method) needs, "*" meaning any method (pleo-api.md §12.4). Kept as data
/// so it is easy to correct. INFERRED: installations and introspect need no scope.
const SCOPES: &[(Endpoint, &str, &str)] = &[
    (Endpoint::Companies, "*", "companies:read"),
    (Endpoint::Company, "*", "companies:read"),
    (Endpoint::Employees, "*", "users:read"),
    (Endpoint::ExportJobs, "POST", "export-jobs:write"),
    (Endpoint::ExportJobs, "GET", "export-jobs:read"),
    (Endpoint::ExportItems, "*", "export-items:read"),
];

/// Cursor pagination's parameters (pleo-api.md §6; the companies and employees specs list them).
/// INFERRED: the fake takes the sorting parameters but does not sort.
const PAGED: &[&str] = &[
    "after",
    "before",
    "limit",
    "offset",
    "sorting_keys",
    "sorting_order",
];

/// The query parameters an operation takes: those documented, and those only an organisation-level
/// key may send.
struct Params {
    endpoint: Endpoint,
    method: &'static str,
    documented: &'static [&'static str],
    paged: bool,
    org_keys_only: &'static [&'static str],
}

const fn params(
    endpoint: Endpoint,
    method: &'static str,
    documented: &'static [&'static str],
) -> Params {
    Params {
        endpoint,
        method,
        documented,
        paged: false,
        org_keys_only: &[],
    }
}

impl Params {
    /// The operation also takes the paging parameters (`limit`, `after`, `before`…).
    const fn paged(self) -> Params {
        Params {
            paged: true,
            ..self
        }
    }
}

// INFERRED: an organisation-level key addresses one of its companies' installations with
// `company_id` on every installation call; the spec documents it on GET only.
const fn org_company(endpoint: Endpoint, method: &'static str) -> Params {
    Params {
        org_keys_only: &["company_id"],
        ..params(endpoint, method, &[])
    }
}

const QUERY_PARAMS: &[Params] = &[
    params(Endpoint::Introspect, "GET", &[]),
    params(Endpoint::InstallationMe, "GET", &["company_id"]),
    org_company(Endpoint::InstallationMe, "POST"),
    org_company(Endpoint::InstallationMe, "PUT"),
    org_company(Endpoint::InstallationMe, "DELETE"),
    org_company(Endpoint::Activate, "POST"),
    org_company(Endpoint::Completions, "PUT"),
    params(Endpoint::Companies, "GET", &["organization_id"]).paged(),
    params(Endpoint::Company, "GET", &[]),
    params(Endpoint::Employees, "GET", &["companyId", "email", "code"]).paged(),
    params(Endpoint::ExportJobs, "GET", &["company_id", "statuses"]).paged(),
    // INFERRED: the fake also takes the company of a new export job from the query.
    params(Endpoint::ExportJobs, "POST", &["company_id"]),
    params(Endpoint::ExportItems, "GET", &["company_id"]).paged(),
];

/// A routed API path: the endpoint, the methods it answers and its path parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Route {
    pub endpoint: Endpoint,
    pub methods: &'static [&'static str],
    /// The `{companyId}` of `/v1/companies/{companyId}`, raw.
    pub id: Option<String>,
}

/// The route of an API path, None when nothing is served there.
pub(crate) fn route(path: &str) -> Option<Route> {
    // Clients may percent-encode the colon of `me:activate`.
    let path = path.replace("%3A", ":").replace("%3a", ":");
    if let Some((_, endpoint, methods)) = ROUTES.iter().find(|(p, _, _)| *p == path) {
        return Some(Route {
            endpoint: *endpoint,
            methods,
            id: None,
        });
    }
    let id = path.strip_prefix("/v1/companies/")?;
    if id.is_empty() || id.contains('/') {
        return None;
    }
    Some(Route {
        endpoint: Endpoint::Company,
        methods: &["GET"],
        id: Some(id.to_owned()),
    })
}

/// The scope an operation needs, if any.
pub(crate) fn required_scope(endpoint: Endpoint, method: &str) -> Option<&'static str> {
    SCOPES
        .iter()
        .find(|(e, m, _)| *e == endpoint && (*m == "*" || *m == method))
        .map(|(_, _, scope)| *scope)
}

/// Whether an operation documents (or, for this key, accepts) query parameter `name`.
pub(crate) fn takes_param(endpoint: Endpoint, method: &str, subject: Subject, name: &str) -> bool {
    let Some(p) = QUERY_PARAMS
        .iter()
        .find(|p| p.endpoint == endpoint && p.method == method)
    else {
        return false;
    };
    p.documented.contains(&name)
        || (p.paged && PAGED.contains(&name))
        || (matches!(subject, Subject::Organization(_)) && p.org_keys_only.contains(&name))
}

/// The first query parameter the operation does not take, for strict mode.
pub(crate) fn undocumented_param(
    endpoint: Endpoint,
    method: &str,
    subject: Subject,
    query: Option<&str>,
) -> Option<String> {
    query_pairs(query)
        .into_iter()
        .map(|(name, _)| name)
        .find(|name| !takes_param(endpoint, method, subject, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::demo::{ACME_ID, NORTHWIND_ORG_ID};

    #[test]
    fn paths_route_with_their_methods() {
        let r = route("/v1/installations/me%3Aactivate");
        assert_eq!(
            r.map(|r| (r.endpoint, r.methods)),
            Some((Endpoint::Activate, &["POST"][..]))
        );
        let c = route(&format!("/v1/companies/{ACME_ID}"));
        assert_eq!(
            c.map(|r| (r.endpoint, r.id)),
            Some((Endpoint::Company, Some(ACME_ID.to_owned())))
        );
        assert_eq!(route("/v1/companies/"), None);
        assert_eq!(route("/v1/companies/a/b"), None);
        assert_eq!(route("/v9/nothing"), None);
    }

    #[test]
    fn every_operation_has_its_parameters_listed() {
        for (_, endpoint, methods) in ROUTES {
            for method in *methods {
                assert!(
                    QUERY_PARAMS
                        .iter()
                        .any(|p| p.endpoint == *endpoint && p.method == *method),
                    "{method} {endpoint:?}"
                );
            }
        }
        assert!(QUERY_PARAMS.iter().any(|p| p.endpoint == Endpoint::Company));
    }

    #[test]
    fn scopes_and_params_come_from_the_tables() {
        assert_eq!(
            required_scope(Endpoint::ExportJobs, "POST"),
            Some("export-jobs:write")
        );
        assert_eq!(
            required_scope(Endpoint::ExportJobs, "GET"),
            Some("export-jobs:read")
        );
        assert_eq!(
            required_scope(Endpoint::Company, "GET"),
            Some("companies:read")
        );
        assert_eq!(required_scope(Endpoint::InstallationMe, "POST"), None);

        let company = Subject::Company(ACME_ID);
        let org = Subject::Organization(NORTHWIND_ORG_ID);
        let q = Some("company_id=x");
        assert_eq!(
            undocumented_param(Endpoint::InstallationMe, "GET", company, q),
            None
        );
        assert_eq!(
            undocumented_param(Endpoint::InstallationMe, "POST", company, q).as_deref(),
            Some("company_id")
        );
        assert_eq!(
            undocumented_param(Endpoint::InstallationMe, "POST", org, q),
            None
        );
        assert_eq!(
            undocumented_param(
                Endpoint::Employees,
                "GET",
                org,
                Some("companyId=1&company_id=2")
            )
            .as_deref(),
            Some("company_id")
        );
        assert_eq!(
            undocumented_param(
                Endpoint::Companies,
                "GET",
                org,
                Some("limit=1&after=A&sorting_keys=name")
            ),
            None
        );
        assert_eq!(
            undocumented_param(Endpoint::Introspect, "GET", org, Some("x%79=1")).as_deref(),
            Some("xy")
        );
    }
}
