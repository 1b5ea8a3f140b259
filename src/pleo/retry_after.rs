//! `Retry-After`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).

use std::time::Duration;

/// The longest wait a server can ask for: a hostile or broken `Retry-After` must not park the
/// integration for a year (or overflow the clock).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// The wait a `Retry-After` value asks for, measured from `now`, at most [`MAX_RETRY_AFTER`].
/// A date in the past means "now".
pub fn parse(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Any number of digits: one too large for u64 is still "very long".
        value
            .parse::<u64>()
            .map(Duration::from_secs)
            .unwrap_or(MAX_RETRY_AFTER)
    } else {
        let when = parse_http_date(value)?;
        let secs = when.as_second().saturating_sub(now.as_second());
        Duration::from_secs(u64::try_from(secs).unwrap_or(0))
    };
    Some(wait.min(MAX_RETRY_AFTER))
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
    fn hostile_values_are_capped_at_an_hour() {
        for v in [
            "300000000000",
            "99999999999999999999999999",
            "31536000",
            "Thu, 01 Jan 2099 00:00:00 GMT",
        ] {
            assert_eq!(parse(v, now()), Some(MAX_RETRY_AFTER), "{v}");
        }
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
            "+5",
            " ",
        ] {
            assert_eq!(parse(bad, now()), None, "{bad:?}");
        }
    }
}
