//! QR payloads, deep links and app-to-app URIs: round trips and every malformed input.
mod common;

use common::NOW;
use nextauth_protocol::ids::{ServerId, SessionRef, TransactionRef};
use nextauth_protocol::qr::{
    decode_link, link_bytes, EnrolCode, EnrolSecret, LinkRules, LoginCode, QrPayload,
    TransactionCode, MAX_PAYLOAD_LEN,
};
use nextauth_protocol::ProtocolError;

fn login() -> QrPayload {
    QrPayload::Login(LoginCode {
        endpoint: "wss://auth.acme.test/sigmai".into(),
        server_id: ServerId([1; 16]),
        session_ref: SessionRef([2; 16]),
    })
}

fn enrol() -> QrPayload {
    QrPayload::Enrol(EnrolCode {
        endpoint: "wss://auth.acme.test/sigmai".into(),
        server_id: ServerId([1; 16]),
        session_ref: SessionRef([2; 16]),
        secret: EnrolSecret([3; 16]),
        expires_at: NOW + 300,
        params_hash: [4; 32],
        display_name: "Alice @ Acme".into(),
    })
}

fn transaction() -> QrPayload {
    QrPayload::Transaction(TransactionCode {
        endpoint: "ws://127.0.0.1:8080/sigmai".into(),
        server_id: ServerId([1; 16]),
        transaction_ref: TransactionRef([5; 16]),
    })
}

fn rules() -> LinkRules {
    LinkRules {
        https_prefixes: vec!["https://app.acme.test/q".into()],
        schemes: vec!["nextauth".into()],
    }
}

#[test]
fn every_kind_round_trips_as_bytes_link_and_uri() {
    for payload in [login(), enrol(), transaction()] {
        let bytes = payload.encode().unwrap();
        assert_eq!(QrPayload::decode(&bytes, NOW).unwrap(), payload);
        let link = payload.to_deep_link("https://app.acme.test/q").unwrap();
        assert!(link.starts_with("https://app.acme.test/q/"));
        assert_eq!(decode_link(&link, &rules(), NOW).unwrap(), payload);
        // Mail and chat clients append tracking parameters; the payload still reads.
        assert_eq!(
            decode_link(&format!("{link}?utm=x#frag"), &rules(), NOW).unwrap(),
            payload
        );
        let uri = payload.to_app_uri("nextauth").unwrap();
        assert!(uri.starts_with("nextauth:"));
        assert_eq!(decode_link(&uri, &rules(), NOW).unwrap(), payload);
        assert_eq!(
            decode_link(&uri.replace("nextauth:", "NextAuth://"), &rules(), NOW).unwrap(),
            payload
        );
    }
}

#[test]
fn a_login_code_is_compact() {
    // magic 2 + version 1 + type 1 + endpoint 1+27 + server 16 + session 16
    assert_eq!(login().encode().unwrap().len(), 64);
    assert!(enrol().encode().unwrap().len() < 140);
}

#[test]
fn expired_enrol_codes_give_code_41() {
    let bytes = enrol().encode().unwrap();
    assert!(
        QrPayload::decode(&bytes, NOW + 300).is_ok(),
        "valid up to and including expiry"
    );
    let err = QrPayload::decode(&bytes, NOW + 301).unwrap_err();
    assert_eq!((err.clone(), err.code()), (ProtocolError::EnrolExpired, 41));
    assert!(QrPayload::decode_unchecked(&bytes).is_ok());
}

#[test]
fn every_truncation_is_refused_with_code_32() {
    for payload in [login(), enrol(), transaction()] {
        let bytes = payload.encode().unwrap();
        for cut in 0..bytes.len() {
            let err = QrPayload::decode(&bytes[..cut], NOW).unwrap_err();
            assert_eq!(err.code(), 32, "cut at {cut}: {err:?}");
        }
    }
}

#[test]
fn malformed_headers_and_fields_are_refused() {
    let bytes = login().encode().unwrap();
    let with = |i: usize, v: u8| {
        let mut b = bytes.clone();
        b[i] = v;
        QrPayload::decode(&b, NOW).unwrap_err()
    };
    assert_eq!(with(0, b'x'), ProtocolError::NotOurs);
    assert_eq!(with(2, 2), ProtocolError::UnsupportedVersion(2));
    let unknown = with(3, 9);
    assert_eq!(
        (unknown.clone(), unknown.code()),
        (ProtocolError::UnknownType(9), 33)
    );
    assert!(
        matches!(
            with(5, b' '),
            ProtocolError::Malformed {
                field: "endpoint",
                ..
            }
        ),
        "space in URL"
    );
    assert!(
        matches!(
            with(5, b'h'),
            ProtocolError::Malformed {
                field: "endpoint",
                ..
            }
        ),
        "not ws"
    );

    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(
        QrPayload::decode(&long, NOW).unwrap_err(),
        ProtocolError::TrailingBytes
    );
    let huge = vec![0u8; MAX_PAYLOAD_LEN + 1];
    assert!(matches!(
        QrPayload::decode(&huge, NOW).unwrap_err(),
        ProtocolError::Oversized { .. }
    ));
    assert_eq!(
        QrPayload::decode(b"", NOW).unwrap_err(),
        ProtocolError::NotOurs
    );
    assert_eq!(
        QrPayload::decode(b"https://example.com", NOW).unwrap_err(),
        ProtocolError::NotOurs
    );
}

#[test]
fn invalid_display_names_are_refused_both_ways() {
    let QrPayload::Enrol(mut code) = enrol() else {
        unreachable!()
    };
    code.display_name = "a\u{7}b".into();
    assert!(QrPayload::Enrol(code.clone()).encode().is_err());
    code.display_name = "x".repeat(65);
    assert!(QrPayload::Enrol(code.clone()).encode().is_err());
    // Hand-made bytes with invalid UTF-8 in the name.
    code.display_name = "ab".into();
    let mut bytes = QrPayload::Enrol(code).encode().unwrap();
    let n = bytes.len();
    bytes[n - 1] = 0xff;
    assert!(matches!(
        QrPayload::decode(&bytes, NOW).unwrap_err(),
        ProtocolError::Malformed {
            field: "display_name",
            ..
        }
    ));
}

#[test]
fn the_host_of_a_link_matches_in_any_case_and_the_path_exactly() {
    let link = login().to_deep_link("https://app.acme.test/q").unwrap();
    let shouted = link.replace("https://app.acme.test", "HTTPS://App.ACME.test");
    assert_eq!(decode_link(&shouted, &rules(), NOW).unwrap(), login());
    let other_path = link.replace("/q/", "/Q/");
    assert_eq!(
        link_bytes(&other_path, &rules()).unwrap_err(),
        ProtocolError::NotOurs
    );
}

#[test]
fn links_from_elsewhere_are_not_ours() {
    let link = login().to_deep_link("https://app.acme.test/q").unwrap();
    let other_host = link.replace("app.acme.test", "evil.test");
    assert_eq!(
        link_bytes(&other_host, &rules()).unwrap_err(),
        ProtocolError::NotOurs
    );
    let other_prefix = link.replace("/q/", "/qq/");
    assert_eq!(
        link_bytes(&other_prefix, &rules()).unwrap_err(),
        ProtocolError::NotOurs
    );
    assert_eq!(
        link_bytes("otherapp:AAAA", &rules()).unwrap_err(),
        ProtocolError::NotOurs
    );
    assert_eq!(
        link_bytes("no scheme at all", &rules()).unwrap_err(),
        ProtocolError::NotOurs
    );
    assert!(matches!(
        link_bytes("nextauth:***", &rules()).unwrap_err(),
        ProtocolError::Malformed { .. }
    ));
    let torn = &link[..link.len() - 5];
    assert_eq!(decode_link(torn, &rules(), NOW).unwrap_err().code(), 32);
    assert!(login().to_deep_link("http://insecure.test/q").is_err());
    assert!(login().to_app_uri("1bad").is_err());
    let oversized = format!("nextauth:{}", "A".repeat(4 * MAX_PAYLOAD_LEN));
    assert!(matches!(
        link_bytes(&oversized, &rules()).unwrap_err(),
        ProtocolError::Oversized { .. }
    ));
}

#[test]
fn secrets_do_not_show_in_debug_output() {
    let text = format!("{:?}", enrol());
    assert!(text.contains("EnrolSecret(..)"));
    assert!(!text.contains("[3, 3, 3"));
}
