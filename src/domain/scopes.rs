//! Comparing the scopes a key was granted with the ones the integration needs.

/// The export integration's needs, used when neither config nor `--require-scope` says otherwise.
/// The one default list.
pub const DEFAULT_REQUIRED_SCOPES: &[&str] =
    &["export-jobs:read", "export-jobs:write", "export-items:read"];

/// Required scopes that were not granted, in the order they were required.
pub fn missing(required: &[String], granted: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in required {
        if !granted.iter().any(|g| g == r) && !out.contains(r) {
            out.push(r.clone());
        }
    }
    out
}

/// Granted scopes beyond the required ones (least privilege: worth showing).
pub fn extra(required: &[String], granted: &[String]) -> Vec<String> {
    granted
        .iter()
        .filter(|g| !required.contains(g))
        .cloned()
        .collect()
}

/// Normalise a list: split on commas and whitespace, no empties, no duplicates, order kept.
pub fn normalise<I: IntoIterator<Item = S>, S: AsRef<str>>(scopes: I) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scopes {
        for part in s.as_ref().split(|c: char| c == ',' || c.is_whitespace()) {
            let part = part.trim();
            if !part.is_empty() && !out.iter().any(|o| o == part) {
                out.push(part.to_string());
            }
        }
    }
    out
}

/// Longest scope name kept from a server answer, and how many scopes are kept at most.
const MAX_SCOPE_CHARS: usize = 100;
const MAX_SCOPES: usize = 200;

/// The scopes in a server's `scope` string: split on whitespace or commas (Pleo documents
/// spaces; commas have been seen in OAuth servers), sanitised, capped, sorted, no duplicates.
pub fn from_server(raw: &str) -> Vec<String> {
    let mut scopes: Vec<String> = raw
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .take(MAX_SCOPES * 4)
        .map(|s| super::text::sanitize(s, MAX_SCOPE_CHARS))
        .filter(|s| !s.is_empty())
        .collect();
    scopes.sort();
    scopes.dedup();
    scopes.truncate(MAX_SCOPES);
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn missing_and_extra() {
        let required = v(&["export-jobs:read", "export-jobs:write", "export-items:read"]);
        let granted = v(&["export-items:read", "export-jobs:read", "users:read"]);
        assert_eq!(missing(&required, &granted), ["export-jobs:write"]);
        assert_eq!(extra(&required, &granted), ["users:read"]);
        assert!(missing(&required, &required).is_empty());
        assert!(missing(&[], &granted).is_empty());
    }

    #[test]
    fn scope_names_are_exact() {
        // `export-jobs:read` does not imply `export-jobs:write`, and case matters.
        assert_eq!(
            missing(
                &v(&["export-jobs:write"]),
                &v(&["export-jobs:read", "EXPORT-JOBS:WRITE"])
            ),
            ["export-jobs:write"]
        );
    }

    #[test]
    fn normalise_splits_and_dedups() {
        assert_eq!(
            normalise(["a:read b:write", " a:read,c:read ", "", "d:read,\te:read\n"]),
            ["a:read", "b:write", "c:read", "d:read", "e:read"]
        );
    }

    #[test]
    fn server_scopes_split_on_spaces_or_commas_and_are_made_safe() {
        assert_eq!(
            from_server("b:read a:read, c:write,a:read"),
            ["a:read", "b:read", "c:write"]
        );
        assert_eq!(from_server("x:read\u{1b}[31m"), ["x:read[31m"]);
        assert_eq!(from_server(&"s:r ".repeat(10_000)), ["s:r"]);
        let many: String = (0..1000).map(|i| format!("s{i}:read ")).collect();
        assert_eq!(from_server(&many).len(), 200);
        assert!(from_server("  ,, ").is_empty());
    }
}
