//! Cursor pagination: `limit`, `after`, `before` and `offset`, and the `pagination` envelope.

use serde_json::{Map, Value, json};

use crate::sandbox::query::query_param;
use crate::sandbox::reply::{Reply, bad_parameter};

// INFERRED: cursors are opaque to clients; ours encode a position with letters so they match the
// documented pattern ^[A-Z2-7=~]+$.
pub(crate) fn encode_cursor(index: usize) -> String {
    let digits: String = index
        .to_string()
        .bytes()
        .map(|d| char::from(b'A' + (d - b'0')))
        .collect();
    format!("SBX{digits}")
}

pub(crate) fn decode_cursor(cursor: &str) -> Option<usize> {
    let digits = cursor.strip_prefix("SBX")?;
    if digits.is_empty() {
        return None;
    }
    digits.bytes().try_fold(0usize, |acc, b| {
        let d = b.checked_sub(b'A').filter(|d| *d < 10)?;
        acc.checked_mul(10)?.checked_add(usize::from(d))
    })
}

fn cursor_param(query: Option<&str>, name: &str) -> Result<Option<(String, usize)>, Reply> {
    query_param(query, name)
        .map(|c| match decode_cursor(&c) {
            Some(i) => Ok((c, i)),
            None => Err(bad_parameter(&format!("{name} is not a valid cursor"))),
        })
        .transpose()
}

/// One cursor page of `items`, honouring `limit` (1..=100, default 20) and one of `after`,
/// `before` or `offset`.
// INFERRED: those bounds are the accounting-entries API's; other APIs do not state theirs.
pub(crate) fn page(items: Vec<Value>, query: Option<&str>) -> Result<Reply, Reply> {
    let limit_param = query_param(query, "limit");
    let limit = match &limit_param {
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| bad_parameter("limit must be between 1 and 100"))?,
        None => 20,
    };
    let after = cursor_param(query, "after")?;
    let before = cursor_param(query, "before")?;
    let offset = query_param(query, "offset")
        .map(|raw| {
            raw.parse::<usize>()
                .map_err(|_| bad_parameter("offset must be a non-negative integer"))
        })
        .transpose()?;
    let total = items.len();
    // INFERRED: Pleo says offset does not combine with the cursors, not what it answers if it does.
    let (start, end) = match (&after, &before, offset) {
        (None, None, None) => (0, limit.min(total)),
        (Some((_, i)), None, None) => {
            let start = (i + 1).min(total);
            (start, (start + limit).min(total))
        }
        // INFERRED: `before` gives the `limit` items just before the cursor.
        (None, Some((_, i)), None) => {
            let end = (*i).min(total);
            (end.saturating_sub(limit), end)
        }
        (None, None, Some(n)) => {
            let start = n.min(total);
            (start, (start + limit).min(total))
        }
        _ => {
            return Err(bad_parameter(
                "only one of after, before and offset may be given",
            ));
        }
    };
    let data: Vec<Value> = items.into_iter().skip(start).take(end - start).collect();
    let mut current = Map::new();
    current.insert("parameters".to_owned(), json!({}));
    if let Some((c, _)) = after {
        current.insert("after".to_owned(), json!(c));
    }
    if let Some((c, _)) = before {
        current.insert("before".to_owned(), json!(c));
    }
    if limit_param.is_some() {
        current.insert("limit".to_owned(), json!(limit));
    }
    if let Some(n) = offset {
        current.insert("offset".to_owned(), json!(n));
    }
    let mut pagination = json!({
        "currentRequestPagination": current,
        "hasNextPage": end < total,
        "hasPreviousPage": start > 0,
        "total": total,
    });
    if let (false, Some(p)) = (data.is_empty(), pagination.as_object_mut()) {
        p.insert("startCursor".to_owned(), json!(encode_cursor(start)));
        p.insert("endCursor".to_owned(), json!(encode_cursor(end - 1)));
    }
    Ok(Reply::json(
        200,
        &json!({ "data": data, "pagination": pagination }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(query: &str) -> (u16, Value) {
        let items = (0..5).map(|n| json!(n)).collect();
        let reply = match page(items, Some(query)) {
            Ok(r) | Err(r) => r,
        };
        let body = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
        (reply.status, body)
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(1234)), Some(1234));
        assert_eq!(decode_cursor(&encode_cursor(0)), Some(0));
        assert_eq!(decode_cursor("SBX"), None);
        assert_eq!(decode_cursor("SBXZ"), None);
        assert!(
            encode_cursor(9876)
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b"234567=~".contains(&b))
        );
    }

    #[test]
    fn after_before_and_offset_move_the_window() {
        let (_, first) = numbers("limit=2");
        assert_eq!(first["data"], json!([0, 1]));
        assert_eq!(first["pagination"]["hasNextPage"], true);
        let end = first["pagination"]["endCursor"]
            .as_str()
            .unwrap_or_default();
        let (_, next) = numbers(&format!("limit=2&after={end}"));
        assert_eq!(next["data"], json!([2, 3]));
        assert_eq!(next["pagination"]["currentRequestPagination"]["after"], end);
        let start = next["pagination"]["startCursor"]
            .as_str()
            .unwrap_or_default();
        let (_, back) = numbers(&format!("limit=2&before={start}"));
        assert_eq!(back["data"], json!([0, 1]));
        assert_eq!(back["pagination"]["hasPreviousPage"], false);
        let (_, skipped) = numbers("offset=4");
        assert_eq!(skipped["data"], json!([4]));
        assert_eq!(skipped["pagination"]["hasPreviousPage"], true);
        assert_eq!(
            skipped["pagination"]["currentRequestPagination"]["offset"],
            4
        );
        let (_, past) = numbers("offset=9");
        assert_eq!(past["data"], json!([]));
        assert!(past["pagination"].get("startCursor").is_none());
    }

    #[test]
    fn bad_paging_is_a_400() {
        for q in [
            "limit=0",
            "limit=101",
            "limit=x",
            "after=nope",
            "before=SBXZ",
            "offset=-1",
            "offset=1&after=SBXA",
            "after=SBXA&before=SBXB",
        ] {
            let (status, body) = numbers(q);
            assert_eq!(
                (status, body["type"].as_str()),
                (400, Some("PARAMETER_VALIDATION_FAILED")),
                "{q}"
            );
        }
    }
}
