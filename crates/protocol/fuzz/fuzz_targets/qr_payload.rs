//! QR payload bytes and deep links / app URIs: never panic, fail only with documented codes,
//! and whatever decodes re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nextauth_protocol::qr::{self, QrPayload};
use nextauth_protocol_fuzz::{check, rules, NOW};

fuzz_target!(|data: &[u8]| {
    if let Some(payload) = check(QrPayload::decode_unchecked(data)) {
        assert_eq!(
            payload.encode().expect("a decoded payload encodes"),
            data,
            "non-canonical payload"
        );
        let uri = payload.to_app_uri("nextauth").expect("app uri");
        assert_eq!(
            qr::decode_link(&uri, &rules(), 0).expect("own uri decodes"),
            payload
        );
    }
    check(QrPayload::decode(data, NOW));
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(bytes) = check(qr::link_bytes(text, &rules())) {
            check(QrPayload::decode_unchecked(&bytes));
        }
        check(qr::decode_link(text, &rules(), NOW));
    }
});
