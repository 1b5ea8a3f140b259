//! The state file loader: whatever a crash, a disk or an operator left in state.json.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pleo_keys::store::parse_state(std::path::Path::new("state.json"), data);
});
