//! Key validation: whatever an operator pastes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok((key, _)) = pleo_keys::secret::ApiKey::parse(s) {
            let _ = key.hint();
            let _ = key.fingerprint();
            assert!(!key.expose().contains(':'));
        }
    }
});
