//! Handshake contexts, requests and record plaintexts: never panic, fail only with documented
//! codes, canonical encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nextauth_protocol::messages::{AppRecord, ClientRequest, ServerContext, ServerRecord};
use nextauth_protocol_fuzz::check;

fuzz_target!(|data: &[u8]| {
    if let Some(v) = check(ServerContext::decode(data)) {
        assert_eq!(
            v.encode().expect("encode"),
            data,
            "non-canonical ServerContext"
        );
    }
    if let Some(v) = check(ClientRequest::decode(data)) {
        assert_eq!(
            v.encode().expect("encode"),
            data,
            "non-canonical ClientRequest"
        );
    }
    if let Some(v) = check(ServerRecord::decode(data)) {
        assert_eq!(
            v.encode().expect("encode"),
            data,
            "non-canonical ServerRecord"
        );
    }
    if let Some(v) = check(AppRecord::decode(data)) {
        assert_eq!(v.encode().expect("encode"), data, "non-canonical AppRecord");
    }
});
