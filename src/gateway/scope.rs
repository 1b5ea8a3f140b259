//! Company scoping of the integration's requests (Pleo: requests are always scoped to the
//! associated company, never sent with another company's id). A company id in the query, a
//! top-level JSON body field or a `/v1/companies/{id}` path that is not the bound company is
//! refused before anything is sent; for an organisation-level key a request that names no
//! company gets the bound one added.

use crate::domain::CompanyId;

/// Where an organisation-level key's requests get the bound company, by path prefix (longest
/// wins). `None`: the operation is not about one company (introspect, the organisation's company
/// list). INFERRED where Pleo's docs are silent: `company_id` for anything else.
const DEFAULT_PARAMS: &[(&str, Option<&str>)] = &[
    ("/v1/introspect", None),
    ("/v1/companies", None),
    ("/v1/installations", Some("company_id")),
    ("/v2/employees", Some("companyId")),
    ("/v3/export-jobs", Some("company_id")),
    ("/v3/export-items", Some("company_id")),
];
const FALLBACK_PARAM: &str = "company_id";

/// The parameter table: the defaults, then the config's `[proxy] company_params` on top.
#[derive(Debug, Clone)]
pub struct CompanyParams {
    rules: Vec<(String, Option<String>)>,
}

impl Default for CompanyParams {
    fn default() -> Self {
        CompanyParams {
            rules: DEFAULT_PARAMS
                .iter()
                .map(|(p, n)| (p.to_string(), n.map(str::to_string)))
                .collect(),
        }
    }
}

impl CompanyParams {
    /// `overrides`: path prefix → parameter name; an empty name means "add none".
    pub fn with_overrides<'a>(overrides: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut params = CompanyParams::default();
        for (prefix, name) in overrides {
            let name = (!name.trim().is_empty()).then(|| name.trim().to_string());
            params.rules.retain(|(p, _)| p != prefix);
            params.rules.push((prefix.to_string(), name));
        }
        params
    }

    /// The parameter for `path`: the longest matching prefix's, else `company_id`.
    pub fn for_path(&self, path: &str) -> Option<&str> {
        self.rules
            .iter()
            .filter(|(prefix, _)| under(path, prefix))
            .max_by_key(|(prefix, _)| prefix.len())
            .map_or(Some(FALLBACK_PARAM), |(_, name)| name.as_deref())
    }
}

/// `path` is `prefix` or below it (`/v1/companies` covers `/v1/companies/x`, not `/v1/companiesx`).
fn under(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/') || prefix.ends_with('/'))
}

/// A request naming another company: where, and what it said (sanitised, short).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub value: String,
}

impl Violation {
    fn new(field: &str, value: &str) -> Violation {
        Violation {
            field: crate::domain::sanitize(field, 40),
            value: crate::domain::sanitize(value, 60),
        }
    }
}

/// The query to send upstream (changed only when a company was added).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scoped {
    pub query: Option<String>,
    pub added: Option<String>,
}

impl Scoped {
    /// The path and query to send upstream.
    pub fn target(&self, path: &str) -> String {
        match self.query.as_deref() {
            Some(q) if !q.is_empty() => format!("{path}?{q}"),
            _ => path.to_string(),
        }
    }
}

/// Check (and for an organisation-level key, complete) one request's company scope.
/// `add_to`: the parameter table when missing companies are to be added.
pub fn scope(
    path: &str,
    query: Option<&str>,
    body: &[u8],
    bound: CompanyId,
    add_to: Option<&CompanyParams>,
) -> Result<Scoped, Violation> {
    let mut named = false;
    if let Some(id) = path_company(path) {
        named = true;
        if !is_bound(id, bound) {
            return Err(Violation::new("path", id));
        }
    }
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if names_company(&name) {
            named = true;
            if !is_bound(&value, bound) {
                return Err(Violation::new(&name, &value));
            }
        }
    }
    if let Some(fields) = json_object(body) {
        for (name, value) in fields {
            if names_company(&name) {
                named = true;
                match value.as_str() {
                    Some(v) if is_bound(v, bound) => {}
                    Some(v) => return Err(Violation::new(&name, v)),
                    None => return Err(Violation::new(&name, &value.to_string())),
                }
            }
        }
    }
    let param = add_to.filter(|_| !named).and_then(|p| p.for_path(path));
    let Some(param) = param else {
        return Ok(Scoped {
            query: query.map(str::to_string),
            added: None,
        });
    };
    let mut query = query.unwrap_or("").to_string();
    if !query.is_empty() && !query.ends_with('&') {
        query.push('&');
    }
    query.push_str(
        &url::form_urlencoded::Serializer::new(String::new())
            .append_pair(param, &bound.to_string())
            .finish(),
    );
    Ok(Scoped {
        query: Some(query),
        added: Some(param.to_string()),
    })
}

/// `company_id`, `companyId`, `company-id`, any case.
fn names_company(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .collect::<String>()
        .to_ascii_lowercase();
    folded == "companyid"
}

fn is_bound(value: &str, bound: CompanyId) -> bool {
    CompanyId::parse(value.trim()).is_ok_and(|id| id == bound)
}

/// The `{id}` of `/v1/companies/{id}` (and anything below it).
fn path_company(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v1/companies/")?;
    let id = rest.split('/').next()?;
    (!id.is_empty()).then_some(id)
}

/// A JSON object body's top-level fields; anything else is not looked into (Pleo judges it).
fn json_object(body: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    match serde_json::from_slice(body).ok()? {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACME: &str = "11111111-1111-4111-8111-111111111111";
    const OTHER: &str = "33333333-3333-4333-8333-333333333333";

    fn acme() -> CompanyId {
        CompanyId::parse(ACME).unwrap()
    }

    #[test]
    fn another_company_anywhere_is_refused() {
        let cases: &[(&str, Option<&str>, &str, &str)] = &[
            ("/v3/export-jobs", Some("company_id=3333"), "", "company_id"),
            (
                "/v2/employees",
                Some(&format!("companyId={OTHER}")),
                "",
                "companyId",
            ),
            (
                "/v2/employees",
                Some(&format!("COMPANY-ID={OTHER}")),
                "",
                "COMPANY-ID",
            ),
            (
                "/v3/export-jobs",
                None,
                &format!(r#"{{"companyId":"{OTHER}"}}"#),
                "companyId",
            ),
            (
                "/v3/export-jobs",
                None,
                r#"{"company_id": 42}"#,
                "company_id",
            ),
            (&format!("/v1/companies/{OTHER}"), None, "", "path"),
        ];
        for (path, query, body, field) in cases {
            let err = scope(path, *query, body.as_bytes(), acme(), None).unwrap_err();
            assert_eq!(err.field, *field, "{path} {query:?} {body}");
        }
        // Both places must agree: one right and one wrong is still wrong.
        let q = format!("company_id={ACME}&company_id={OTHER}");
        assert!(scope("/v3/export-items", Some(&q), b"", acme(), None).is_err());
    }

    #[test]
    fn the_bound_company_passes_untouched() {
        let q = format!("company_id={}&limit=5", ACME.to_uppercase());
        let ok = scope("/v3/export-items", Some(&q), b"", acme(), None).unwrap();
        assert_eq!(ok.query.as_deref(), Some(q.as_str()));
        let body = format!(r#"{{"companyId":"{ACME}","x":1}}"#);
        assert!(scope("/v3/export-jobs", None, body.as_bytes(), acme(), None).is_ok());
        assert!(scope(&format!("/v1/companies/{ACME}"), None, b"", acme(), None).is_ok());
        // Not JSON, or a nested field: not ours to judge.
        assert!(scope("/v3/x", None, b"companyId=zzz", acme(), None).is_ok());
        let nested = format!(r#"{{"filter":{{"companyId":"{OTHER}"}}}}"#);
        assert!(scope("/v3/x", None, nested.as_bytes(), acme(), None).is_ok());
    }

    #[test]
    fn an_organisation_key_gets_the_company_added_with_each_endpoints_name() {
        let params = CompanyParams::default();
        let add = |path: &str, query: Option<&str>| {
            scope(path, query, b"", acme(), Some(&params)).unwrap()
        };
        assert_eq!(
            add("/v2/employees", Some("limit=10")).query.unwrap(),
            format!("limit=10&companyId={ACME}")
        );
        assert_eq!(
            add("/v3/export-jobs", None).query.unwrap(),
            format!("company_id={ACME}")
        );
        assert_eq!(
            add("/v1/installations/me", None).added.as_deref(),
            Some("company_id")
        );
        assert_eq!(add("/v1/introspect", None).added, None);
        assert_eq!(add("/v1/companies", Some("organization_id=x")).added, None);
        assert_eq!(
            add("/v9/unknown", None).added.as_deref(),
            Some("company_id")
        );
        // Already named (in the body): nothing added.
        let body = format!(r#"{{"companyId":"{ACME}"}}"#);
        let named = scope(
            "/v3/export-jobs",
            None,
            body.as_bytes(),
            acme(),
            Some(&params),
        );
        assert_eq!(named.unwrap().added, None);
    }

    #[test]
    fn the_config_overrides_a_parameter_name_or_turns_it_off() {
        let params = CompanyParams::with_overrides([("/v2/employees", "company_id"), ("/v9", " ")]);
        assert_eq!(params.for_path("/v2/employees/x"), Some("company_id"));
        assert_eq!(params.for_path("/v9/thing"), None);
        assert_eq!(params.for_path("/v9thing"), Some("company_id"));
    }
}
