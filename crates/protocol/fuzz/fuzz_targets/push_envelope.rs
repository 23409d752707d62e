//! Push envelopes: parse, then open with the fixed server key, push key and a replay guard.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nextauth_protocol::crypto::Signer;
use nextauth_protocol::push::{Envelope, ReplayGuard};
use nextauth_protocol_fuzz::{check, server_key, NOW, PUSH_KEY};

fuzz_target!(|data: &[u8]| {
    let Some(envelope) = check(Envelope::parse(data)) else {
        return;
    };
    let mut guard = ReplayGuard::new();
    let key = server_key().public_key();
    if check(envelope.open(&key, &PUSH_KEY, NOW, &mut guard)).is_some() {
        // Accepted once, refused the second time.
        assert!(guard.contains(&envelope.message_id));
        assert!(envelope.open(&key, &PUSH_KEY, NOW, &mut guard).is_err());
    }
    let _ = envelope.open(
        &key,
        &PUSH_KEY,
        envelope.expires_at.wrapping_add(1),
        &mut ReplayGuard::new(),
    );
});
