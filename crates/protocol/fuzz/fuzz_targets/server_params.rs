//! Server parameters and signed server parameters: never panic, fail only with documented
//! codes, canonical encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nextauth_protocol::codec::Reader;
use nextauth_protocol::crypto::Signer;
use nextauth_protocol::params::{ParamsTrust, ServerParams, SignedServerParams};
use nextauth_protocol_fuzz::{check, server_key, signed_params, SERVER_ID};

fuzz_target!(|data: &[u8]| {
    if let Some(params) = check(ServerParams::decode(data)) {
        assert_eq!(
            params.encode().expect("decoded params encode"),
            data,
            "non-canonical params"
        );
    }
    let mut r = Reader::new(data);
    if let Some(signed) = check(SignedServerParams::decode(&mut r)) {
        check(r.finish());
        let key = server_key().public_key();
        check(signed.verify(
            &SERVER_ID,
            ParamsTrust::KnownKey {
                key: &key,
                not_before: 0,
            },
        ));
        let hash = signed_params().hash();
        check(signed.verify(&SERVER_ID, ParamsTrust::EnrolHash(&hash)));
    }
});
