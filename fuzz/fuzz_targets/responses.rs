//! Pleo's response bodies: introspect, installation, company and error decoders.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pleo_keys::pleo::types::{CompanyPage, CompanyResponse, ExceptionInfo, Installation, IntrospectResponse};

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = serde_json::from_slice::<IntrospectResponse>(data) {
        let _ = r.data.scopes();
        if let Some(urn) = &r.data.subject_urn {
            let _ = pleo_keys::domain::Subject::parse(urn);
        }
    }
    if let Ok(i) = serde_json::from_slice::<Installation>(data) {
        let _ = i.status.as_str();
        let _ = pleo_keys::domain::Subject::parse(&i.resource);
    }
    let _ = serde_json::from_slice::<CompanyResponse>(data);
    let _ = serde_json::from_slice::<CompanyPage>(data);
    let _ = serde_json::from_slice::<ExceptionInfo>(data);
});
