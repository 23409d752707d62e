//! Server parameters: canonical encoding, signature, hash and the trust rules.
mod common;

use common::*;
use nextauth_protocol::codec::{Reader, Writer};
use nextauth_protocol::crypto::{Signature, Signer};
use nextauth_protocol::ids::ServerId;
use nextauth_protocol::params::{
    params_hash, ParamsTrust, ServerParams, SignedServerParams, MAX_LOGO_LEN,
};
use nextauth_protocol::ProtocolError;

#[test]
fn parameters_round_trip_and_verify() {
    let signed = signed_params();
    assert_eq!(ServerParams::decode(&signed.bytes).unwrap(), params());
    let mut w = Writer::new();
    signed.encode(&mut w).unwrap();
    let bytes = w.into_bytes();
    let again = SignedServerParams::decode(&mut Reader::new(&bytes)).unwrap();
    assert_eq!(again, signed);
    assert_eq!(
        signed
            .verify(&SERVER_ID, ParamsTrust::EnrolHash(&signed.hash()))
            .unwrap(),
        params()
    );
    let key = server_key().public_key();
    signed
        .verify(
            &SERVER_ID,
            ParamsTrust::KnownKey {
                key: &key,
                not_before: NOW - 60,
            },
        )
        .unwrap();
    assert_eq!(signed.hash(), params_hash(&signed.bytes));
}

#[test]
fn every_tampered_byte_is_caught() {
    let signed = signed_params();
    let key = server_key().public_key();
    for i in 0..signed.bytes.len() {
        let mut bad = signed.clone();
        bad.bytes[i] ^= 0x01;
        assert!(
            bad.verify(&SERVER_ID, ParamsTrust::EnrolHash(&signed.hash()))
                .is_err(),
            "hash, byte {i}"
        );
        assert!(
            bad.verify(
                &SERVER_ID,
                ParamsTrust::KnownKey {
                    key: &key,
                    not_before: 0
                }
            )
            .is_err(),
            "key, byte {i}"
        );
    }
    let mut bad = signed.clone();
    bad.signature = Signature([0; 64]);
    let err = bad
        .verify(
            &SERVER_ID,
            ParamsTrust::KnownKey {
                key: &key,
                not_before: 0,
            },
        )
        .unwrap_err();
    assert_eq!((err.clone(), err.code()), (ProtocolError::BadSignature, 48));
    let err = signed
        .verify(&SERVER_ID, ParamsTrust::EnrolHash(&[0; 32]))
        .unwrap_err();
    assert_eq!(
        (err.clone(), err.code()),
        (ProtocolError::ParamsHashMismatch, 68)
    );
}

#[test]
fn parameters_signed_by_another_key_or_for_another_server_are_refused() {
    assert_eq!(
        params().sign(&other_key(), &fixed(1)).unwrap_err(),
        ProtocolError::ServerMismatch
    );
    let mut forged = params();
    forged.public_key = other_key().public_key();
    let forged = forged.sign(&other_key(), &fixed(1)).unwrap();
    let pinned = server_key().public_key();
    let err = forged
        .verify(
            &SERVER_ID,
            ParamsTrust::KnownKey {
                key: &pinned,
                not_before: 0,
            },
        )
        .unwrap_err();
    assert_eq!(err, ProtocolError::ServerMismatch);
    let err = signed_params().verify(
        &nextauth_protocol::ids::ServerId([0; 16]),
        ParamsTrust::EnrolHash(&[0; 32]),
    );
    assert_eq!(err.unwrap_err(), ProtocolError::ServerMismatch);
}

#[test]
fn non_canonical_and_invalid_encodings_are_refused() {
    let mut p = params();
    p.profile.flags = vec!["push".into(), "continuous".into()];
    assert!(p.encode().is_err(), "unsorted flags");
    p.profile.flags = vec!["a".into(), "a".into()];
    assert!(p.encode().is_err(), "duplicate flags");
    p.profile.flags = vec![];
    p.profile.logo = vec![0; MAX_LOGO_LEN + 1];
    assert!(matches!(
        p.encode().unwrap_err(),
        ProtocolError::Oversized { field: "logo", .. }
    ));

    let bytes = params().encode().unwrap();
    for cut in 0..bytes.len() {
        assert!(ServerParams::decode(&bytes[..cut]).is_err(), "cut {cut}");
    }
    let mut wrong_version = bytes.clone();
    wrong_version[0] = 2;
    assert_eq!(
        ServerParams::decode(&wrong_version).unwrap_err(),
        ProtocolError::UnsupportedVersion(2)
    );
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(
        ServerParams::decode(&long).unwrap_err(),
        ProtocolError::TrailingBytes
    );
    // pin_timeout sits after version, id, issued_at, key, name and logo.
    let offset =
        1 + 16 + 8 + 65 + 1 + params().profile.name.len() + 4 + params().profile.logo.len();
    let mut bad_timeout = bytes.clone();
    bad_timeout[offset..offset + 4].copy_from_slice(&(-2i32).to_be_bytes());
    assert!(matches!(
        ServerParams::decode(&bad_timeout).unwrap_err(),
        ProtocolError::Malformed { .. }
    ));
    let mut bad_policy = bytes.clone();
    bad_policy[offset + 13] = 7;
    assert!(matches!(
        ServerParams::decode(&bad_policy).unwrap_err(),
        ProtocolError::Malformed { .. }
    ));
}

/// Parameters of the same server under `key`, issued at `at`.
fn params_under(key: &nextauth_protocol::crypto::SigningKey, at: u64) -> SignedServerParams {
    let mut p = params();
    p.public_key = key.public_key();
    p.issued_at = at;
    p.sign(key, &fixed(0x44)).unwrap()
}

#[test]
fn a_rotated_key_is_trusted_only_through_the_old_keys_endorsement() {
    use nextauth_protocol::crypto::SigningKey;
    use nextauth_protocol::params::KeyRotation;
    let old = server_key();
    let new = other_key();
    let newest = SigningKey::generate(&fixed(0x3c)).unwrap().0;
    let stranger = SigningKey::generate(&fixed(0x3d)).unwrap().0;
    let trusted = old.public_key();
    let known = ParamsTrust::KnownKey {
        key: &trusted,
        not_before: NOW - 60,
    };
    let step1 = KeyRotation::sign(&SERVER_ID, &old, new.public_key(), NOW, &fixed(1)).unwrap();
    let step2 = KeyRotation::sign(&SERVER_ID, &new, newest.public_key(), NOW, &fixed(2)).unwrap();

    // Without an endorsement a new key is refused; with one (or a chain) it is accepted.
    let under_new = params_under(&new, NOW);
    assert_eq!(
        under_new.verify(&SERVER_ID, known),
        Err(ProtocolError::ServerMismatch)
    );
    let accepted = under_new
        .verify_rotated(&SERVER_ID, known, std::slice::from_ref(&step1))
        .unwrap();
    assert_eq!(accepted.public_key, new.public_key());
    params_under(&newest, NOW)
        .verify_rotated(&SERVER_ID, known, &[step1.clone(), step2.clone()])
        .unwrap();

    // A stranger's key endorsed by itself, or by a key the app does not trust, is refused;
    // so is an endorsement whose signature does not verify, or one for another server.
    let self_endorsed =
        KeyRotation::sign(&SERVER_ID, &stranger, stranger.public_key(), NOW, &fixed(3)).unwrap();
    let by_new_only =
        KeyRotation::sign(&SERVER_ID, &new, stranger.public_key(), NOW, &fixed(4)).unwrap();
    let under_stranger = params_under(&stranger, NOW);
    for chain in [vec![self_endorsed], vec![by_new_only]] {
        assert_eq!(
            under_stranger.verify_rotated(&SERVER_ID, known, &chain),
            Err(ProtocolError::ServerMismatch)
        );
    }
    let mut forged = step1.clone();
    forged.new_key = stranger.public_key();
    assert_eq!(
        under_stranger.verify_rotated(&SERVER_ID, known, &[forged]),
        Err(ProtocolError::ServerMismatch)
    );
    let other_server =
        KeyRotation::sign(&ServerId([1; 16]), &old, new.public_key(), NOW, &fixed(5)).unwrap();
    assert_eq!(
        under_new.verify_rotated(&SERVER_ID, known, &[other_server]),
        Err(ProtocolError::ServerMismatch)
    );

    // The chain round-trips through its stored form.
    let bytes = KeyRotation::list_to_bytes(&[step1.clone(), step2]).unwrap();
    assert_eq!(KeyRotation::list_from_bytes(&bytes).unwrap().len(), 2);
    assert!(KeyRotation::list_from_bytes(&bytes[..bytes.len() - 1]).is_err());
    assert!(KeyRotation::list_from_bytes(&[]).unwrap().is_empty());
}

#[test]
fn an_enrol_code_for_a_known_server_needs_the_known_key_too() {
    let trusted = server_key().public_key();
    let impostor = params_under(&other_key(), NOW);
    let hash = impostor.hash();
    // The code's hash matches the impostor's parameters, which the enrol-only rule accepts...
    impostor
        .verify(&SERVER_ID, ParamsTrust::EnrolHash(&hash))
        .unwrap();
    // ...but not when the app already knows this server's key.
    let rule = ParamsTrust::EnrolKnown {
        hash: &hash,
        key: &trusted,
        not_before: NOW - 60,
    };
    assert_eq!(
        impostor.verify(&SERVER_ID, rule),
        Err(ProtocolError::ServerMismatch)
    );
    let genuine = signed_params();
    let genuine_hash = genuine.hash();
    genuine
        .verify(
            &SERVER_ID,
            ParamsTrust::EnrolKnown {
                hash: &genuine_hash,
                key: &trusted,
                not_before: NOW - 60,
            },
        )
        .unwrap();
}
