//! The URN parser and the Retry-After parser: text from Pleo's responses and headers.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = pleo_keys::domain::Subject::parse(s);
        let _ = pleo_keys::pleo::retry_after::parse(s, jiff::Timestamp::UNIX_EPOCH);
        let _ = pleo_keys::domain::sanitize(s, 200);
    }
});
