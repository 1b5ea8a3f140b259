//! `Retry-After`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).

use std::time::Duration;

/// The wait a `Retry-After` value asks for, measured from `now`. A date in the past means "now".
pub fn parse(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = parse_http_date(value)?;
    let secs = when.as_second().saturating_sub(now.as_second());
    Some(Duration::from_secs(secs.max(0) as u64))
}

/// IMF-fixdate, the form every current server sends: `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_http_date(value: &str) -> Option<jiff::Timestamp> {
    let body = value.strip_suffix(" GMT")?;
    let dt = jiff::civil::DateTime::strptime("%a, %d %b %Y %H:%M:%S", body).ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> jiff::Timestamp {
        "1994-11-06T08:49:00Z".parse().unwrap()
    }

    #[test]
    fn seconds() {
        assert_eq!(parse("24", now()), Some(Duration::from_secs(24)));
        assert_eq!(parse(" 0 ", now()), Some(Duration::ZERO));
    }

    #[test]
    fn http_date() {
        assert_eq!(
            parse("Sun, 06 Nov 1994 08:49:37 GMT", now()),
            Some(Duration::from_secs(37))
        );
        assert_eq!(
            parse("Sun, 06 Nov 1994 08:00:00 GMT", now()),
            Some(Duration::ZERO),
            "a date in the past means retry now"
        );
    }

    #[test]
    fn garbage_is_none() {
        for bad in [
            "",
            "soon",
            "-5",
            "1.5",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse(bad, now()), None, "{bad:?}");
        }
    }
}
