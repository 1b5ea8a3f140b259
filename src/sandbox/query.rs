//! Query strings: decoding (with `url`'s form decoding) and the typed parameters routes read.

use super::reply::{Reply, bad_parameter};

/// Every (name, value) pair of a query string, decoded, in order.
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The first value of query parameter `name`, decoded.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Every value of query parameter `name` (form style, `a=1&a=2`), decoded.
pub(crate) fn query_values(query: Option<&str>, name: &str) -> Vec<String> {
    query_pairs(query)
        .into_iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v)
        .collect()
}

/// A uuid query or path parameter, in its canonical lower-case form.
pub(crate) fn parse_uuid(raw: &str, name: &str) -> Result<String, Reply> {
    uuid::Uuid::parse_str(raw)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| bad_parameter(&format!("{name} must be a UUID")))
}

pub(crate) fn optional_uuid(query: Option<&str>, name: &str) -> Result<Option<String>, Reply> {
    query_param(query, name)
        .map(|raw| parse_uuid(&raw, name))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing() {
        assert_eq!(
            query_param(Some("a=1&b=x%2Fy+z"), "b").as_deref(),
            Some("x/y z")
        );
        assert_eq!(query_param(Some("a=%zz"), "a").as_deref(), Some("%zz"));
        assert_eq!(query_param(Some("a"), "a").as_deref(), Some(""));
        assert_eq!(query_param(Some("%61=1"), "a").as_deref(), Some("1"));
        assert_eq!(query_param(Some("a=%C3%A6"), "a").as_deref(), Some("æ"));
        assert_eq!(query_param(None, "a"), None);
        assert_eq!(query_values(Some("s=a&t=b&s=c"), "s"), ["a", "c"]);
        assert_eq!(
            query_pairs(Some("&x=1&&y")),
            [
                ("x".to_owned(), "1".to_owned()),
                ("y".to_owned(), String::new())
            ]
        );
    }

    #[test]
    fn uuids_are_canonical() {
        let upper = "11111111-1111-4111-8111-11111111111A";
        assert_eq!(
            parse_uuid(upper, "id").ok().as_deref(),
            Some("11111111-1111-4111-8111-11111111111a")
        );
        let err = parse_uuid("nope", "company_id").err().map(|r| r.status);
        assert_eq!(err, Some(400));
        assert!(matches!(optional_uuid(None, "x"), Ok(None)));
    }
}
