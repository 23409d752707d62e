//! Property tests: every parser survives arbitrary and mutated input and fails with a documented
//! error code; every encoder round-trips through its decoder; valid encodings are canonical and
//! refuse truncation.
mod common;

use std::sync::OnceLock;

use common::*;
use nextauth_protocol::codec::{Reader, Writer};
use nextauth_protocol::crypto::{Signature, Signer, SigningKey};
use nextauth_protocol::handshake::{self, ClientHandshake, ClientHello, Purpose};
use nextauth_protocol::ids::{ServerId, SessionRef, TransactionRef};
use nextauth_protocol::messages::{
    AppRecord, ClientRequest, LoginCheck, NumberChallenge, Observed, ServerContext, ServerRecord,
    SessionInfo, TransactionDetails,
};
use nextauth_protocol::params::{
    ParamsTrust, SecondFactorPolicy, ServerParams, SignedServerParams,
};
use nextauth_protocol::push::{self, Envelope, PushBody, ReplayGuard, MAX_TTL_SECS};
use nextauth_protocol::qr::{
    self, EnrolCode, EnrolSecret, LinkRules, LoginCode, QrPayload, TransactionCode,
};
use nextauth_protocol::{ProtocolError, Result};
use proptest::collection::{btree_set, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const CASES: u32 = 256;
/// Cases for properties that sign or run a handshake per case.
const CRYPTO_CASES: u32 = 64;

const DEEP_LINK_BASE: &str = "https://auth.test/q";
const SCHEME: &str = "nextauth";

// ---------------------------------------------------------------------------------------------
// Error codes

/// The codes `ProtocolError::code` may return, as documented in `error.rs` and docs/protocol.md.
fn documented(code: u16) -> bool {
    matches!(code, 32 | 33 | 41 | 48 | 67 | 68 | 101..=107)
}

/// Passes when `result` is a success or an error with a documented code.
fn check<T>(result: Result<T>) -> Result<Option<T>, TestCaseError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            prop_assert!(
                documented(e.code()),
                "undocumented code {} for {e:?}",
                e.code()
            );
            // Display must not panic either.
            let _ = e.to_string();
            Ok(None)
        }
    }
}

fn rules() -> LinkRules {
    LinkRules {
        https_prefixes: vec![DEEP_LINK_BASE.into()],
        schemes: vec![SCHEME.into()],
    }
}

// ---------------------------------------------------------------------------------------------
// Generators of valid values

fn arr16() -> impl Strategy<Value = [u8; 16]> {
    any::<[u8; 16]>()
}

fn endpoint() -> impl Strategy<Value = String> {
    "wss://[a-z]{1,20}\\.test/[a-z]{0,10}"
}

/// Text without control characters, cut to at most `max` bytes on a character boundary.
fn printable(max: usize) -> impl Strategy<Value = String> {
    "\\PC{0,64}".prop_map(move |s| {
        let mut out = String::new();
        for c in s.chars() {
            if out.len() + c.len_utf8() > max {
                break;
            }
            out.push(c);
        }
        out
    })
}

/// Any text (control characters included) of at most `max_chars` characters.
fn text(max_chars: usize) -> impl Strategy<Value = String> {
    vec(any::<char>(), 0..=max_chars).prop_map(|cs| cs.into_iter().collect())
}

fn login_code() -> impl Strategy<Value = LoginCode> {
    (endpoint(), arr16(), arr16()).prop_map(|(endpoint, id, session)| LoginCode {
        endpoint,
        server_id: ServerId(id),
        session_ref: SessionRef(session),
    })
}

fn transaction_code() -> impl Strategy<Value = TransactionCode> {
    (endpoint(), arr16(), arr16()).prop_map(|(endpoint, id, tx)| TransactionCode {
        endpoint,
        server_id: ServerId(id),
        transaction_ref: TransactionRef(tx),
    })
}

fn enrol_code() -> impl Strategy<Value = EnrolCode> {
    (
        endpoint(),
        arr16(),
        arr16(),
        arr16(),
        any::<u64>(),
        any::<[u8; 32]>(),
        printable(qr::MAX_DISPLAY_NAME_LEN),
    )
        .prop_map(
            |(endpoint, id, session, secret, expires_at, params_hash, display_name)| EnrolCode {
                endpoint,
                server_id: ServerId(id),
                session_ref: SessionRef(session),
                secret: EnrolSecret(secret),
                expires_at,
                params_hash,
                display_name,
            },
        )
}

fn qr_payload() -> impl Strategy<Value = QrPayload> {
    prop_oneof![
        login_code().prop_map(QrPayload::Login),
        enrol_code().prop_map(QrPayload::Enrol),
        transaction_code().prop_map(QrPayload::Transaction),
    ]
}

fn server_params() -> impl Strategy<Value = ServerParams> {
    let identity = (
        arr16(),
        any::<u64>(),
        any::<[u8; 64]>(),
        text(32),
        vec(any::<u8>(), 0..400),
    );
    let policy = (
        -1i32..=i32::MAX,
        -1i32..=i32::MAX,
        any::<u32>(),
        any::<u8>(),
        prop_oneof![
            Just(SecondFactorPolicy::None),
            Just(SecondFactorPolicy::Pin)
        ],
        any::<bool>(),
    );
    let urls = (
        btree_set("[a-z_.]{1,12}", 0..8),
        text(40),
        text(40),
        text(40),
    );
    (identity, policy, urls).prop_map(
        |(
            (id, issued_at, key, name, logo),
            (
                pin_timeout,
                pin_trans_timeout,
                ping_time,
                max_pin_attempts,
                second_factor,
                unique_display_names,
            ),
            (flags, endpoint, site_url, app_url),
        )| {
            let mut public_key = [0x04; 65];
            public_key[1..].copy_from_slice(&key);
            ServerParams {
                server_id: ServerId(id),
                issued_at,
                public_key: nextauth_protocol::crypto::PublicKey(public_key),
                profile: nextauth_protocol::params::ServerProfile {
                    name,
                    logo,
                    pin_timeout,
                    pin_trans_timeout,
                    ping_time,
                    max_pin_attempts,
                    second_factor,
                    unique_display_names,
                    // A BTreeSet iterates in ascending order: exactly what the encoding requires.
                    flags: flags.into_iter().collect(),
                },
                endpoint,
                site_url,
                app_url,
            }
        },
    )
}

fn session_info() -> impl Strategy<Value = SessionInfo> {
    (
        vec((text(10), text(40)), 0..5),
        vec(any::<u8>(), 0..200),
        text(20),
        text(60),
    )
        .prop_map(|(info, logo, ip, user_agent)| SessionInfo {
            info,
            logo,
            ip,
            user_agent,
        })
}

fn login_check() -> impl Strategy<Value = LoginCheck> {
    let number = prop_oneof![
        Just(NumberChallenge::None),
        vec("[0-9]{1,8}", 1..=5).prop_map(NumberChallenge::Choose),
        (1u8..=8).prop_map(NumberChallenge::Type),
    ];
    (
        number,
        text(40),
        text(40),
        text(40),
        any::<u64>(),
        any::<bool>(),
    )
        .prop_map(
            |(number, ip, browser, location, seen_at, network_differs)| LoginCheck {
                number,
                observed: Observed {
                    ip,
                    browser,
                    location,
                    seen_at,
                    network_differs,
                },
            },
        )
}

fn server_context() -> impl Strategy<Value = ServerContext> {
    prop_oneof![
        session_info().prop_map(|session| ServerContext::Enrol { session }),
        (session_info(), session_info(), login_check()).prop_map(|(announce, session, check)| {
            ServerContext::Login {
                announce,
                session,
                check,
            }
        }),
        (text(20), text(40), text(80), login_check()).prop_map(
            |(amount, beneficiary, description, check)| ServerContext::Transaction {
                details: TransactionDetails {
                    amount,
                    beneficiary,
                    description,
                },
                check,
            }
        ),
        Just(ServerContext::Connect),
    ]
}

fn client_request() -> impl Strategy<Value = ClientRequest> {
    prop_oneof![
        (arr16(), text(40), option::of(any::<[u8; 32]>())).prop_map(
            |(secret, device_name, pin_verifier)| {
                ClientRequest::Enrol {
                    secret: EnrolSecret(secret),
                    device_name,
                    pin_verifier,
                }
            }
        ),
        (text(100), "[0-9]{0,8}")
            .prop_map(|(user_input, number)| ClientRequest::Login { user_input, number }),
        (any::<bool>(), "[0-9]{0,8}")
            .prop_map(|(approve, number)| ClientRequest::Transaction { approve, number }),
        Just(ClientRequest::Connect),
        Just(ClientRequest::NotMe),
    ]
}

fn server_record() -> impl Strategy<Value = ServerRecord> {
    prop_oneof![
        Just(ServerRecord::Accepted),
        any::<u8>().prop_map(|remaining_attempts| ServerRecord::PinRequired { remaining_attempts }),
        any::<u8>().prop_map(|remaining_attempts| ServerRecord::PinWrong { remaining_attempts }),
        Just(ServerRecord::PinBlocked),
        any::<u16>().prop_map(|code| ServerRecord::Refused { code }),
        any::<u64>().prop_map(|counter| ServerRecord::Ping { counter }),
        Just(ServerRecord::LoggedOut),
        vec(vec(any::<u8>(), 0..100), 0..6)
            .prop_map(|envelopes| ServerRecord::Messages { envelopes }),
        Just(ServerRecord::PinReset),
        (0u8..4).prop_map(|o| ServerRecord::Outcome {
            outcome: [
                nextauth_protocol::messages::Outcome::Nothing,
                nextauth_protocol::messages::Outcome::LoggedIn,
                nextauth_protocol::messages::Outcome::Approved,
                nextauth_protocol::messages::Outcome::Declined,
            ][usize::from(o)],
        }),
        any::<u64>().prop_map(|until| ServerRecord::PushPaused { until }),
        "[ -~]{0,300}".prop_map(|token| ServerRecord::AppToken { token }),
    ]
}

fn app_record() -> impl Strategy<Value = AppRecord> {
    prop_oneof![
        any::<[u8; 32]>().prop_map(|proof| AppRecord::PinProof { proof }),
        (any::<[u8; 32]>(), any::<[u8; 32]>()).prop_map(|(proof, new_verifier)| {
            AppRecord::PinChange {
                proof,
                new_verifier,
            }
        }),
        any::<u64>().prop_map(|counter| AppRecord::Pong { counter }),
        Just(AppRecord::Logout),
        Just(AppRecord::DeleteAccount),
        Just(AppRecord::PullMessages),
        vec(arr16(), 0..12).prop_map(|message_ids| AppRecord::Ack { message_ids }),
        arr16().prop_map(|id| AppRecord::Watch {
            session_ref: SessionRef(id)
        }),
        (any::<bool>(), "[ -~]{0,200}").prop_map(|(apns, token)| AppRecord::RegisterPushToken {
            platform: if apns {
                nextauth_protocol::messages::PushPlatform::Apns
            } else {
                nextauth_protocol::messages::PushPlatform::Fcm
            },
            token,
        }),
        any::<[u8; 32]>().prop_map(|verifier| AppRecord::PinSet { verifier }),
        arr16().prop_map(|reference| AppRecord::QueryOutcome { reference }),
        any::<u16>().prop_map(|minutes| AppRecord::PausePush { minutes }),
        (arr16(), "[ -~]{0,100}").prop_map(|(id, audience)| AppRecord::TokenRequest {
            session_ref: SessionRef(id),
            audience,
        }),
        (any::<[u8; 32]>(), any::<[u8; 32]>(), any::<[u8; 32]>()).prop_map(|(x, y, sig)| {
            let mut key = [4u8; 65];
            key[1..33].copy_from_slice(&x);
            key[33..].copy_from_slice(&y);
            AppRecord::AddAccount {
                account_key: nextauth_protocol::crypto::PublicKey(key),
                signature: nextauth_protocol::crypto::Signature(
                    [sig, sig].concat().try_into().unwrap(),
                ),
            }
        }),
    ]
}

fn push_body() -> impl Strategy<Value = PushBody> {
    prop_oneof![
        (arr16(), session_info(), session_info()).prop_map(|(id, announce, session)| {
            PushBody::Login {
                session_ref: SessionRef(id),
                announce,
                session,
            }
        }),
        arr16().prop_map(|id| PushBody::Logout {
            session_ref: SessionRef(id)
        }),
        Just(PushBody::DeleteAccount),
        (text(20), text(100)).prop_map(|(title, text)| PushBody::Message { title, text }),
    ]
}

// ---------------------------------------------------------------------------------------------
// Generators of hostile input

/// One small change to a valid encoding. Positions are reduced modulo the input length.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
    Append(Vec<u8>),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<usize>(), 1u8..=255).prop_map(|(i, m)| Edit::Flip(i, m)),
        2 => (any::<usize>(), prop_oneof![Just(0u8), Just(1), Just(0xff), Just(0x7f), Just(0x80), any::<u8>()])
            .prop_map(|(i, b)| Edit::Set(i, b)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        1 => any::<usize>().prop_map(Edit::Remove),
        1 => any::<usize>().prop_map(Edit::Truncate),
        1 => vec(any::<u8>(), 1..8).prop_map(Edit::Append),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: Vec<Edit>) -> Vec<u8> {
    for e in edits {
        let len = bytes.len();
        match e {
            Edit::Flip(i, m) if len > 0 => bytes[i % len] ^= m,
            Edit::Set(i, b) if len > 0 => bytes[i % len] = b,
            Edit::Insert(i, b) => bytes.insert(i % (len + 1), b),
            Edit::Remove(i) if len > 0 => {
                bytes.remove(i % len);
            }
            Edit::Truncate(i) => bytes.truncate(i % (len + 1)),
            Edit::Append(tail) => bytes.extend_from_slice(&tail),
            _ => {}
        }
    }
    bytes
}

/// Random bytes, random bytes behind a plausible `prefix`, or a mutated valid encoding.
fn hostile(
    prefix: &'static [u8],
    valid: impl Strategy<Value = Vec<u8>> + 'static,
) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => vec(any::<u8>(), 0..600),
        1 => vec(any::<u8>(), 0..600).prop_map(move |tail| [prefix, &tail].concat()),
        3 => (valid, vec(edit(), 1..4)).prop_map(|(bytes, edits)| apply(bytes, edits)),
    ]
}

/// Arbitrary strings and strings shaped like our deep links and app URIs.
fn hostile_link() -> impl Strategy<Value = String> {
    let valid = qr_payload().prop_map(|p| p.to_app_uri(SCHEME).unwrap());
    prop_oneof![
        any::<String>(),
        "\\PC{0,200}",
        "https://auth\\.test/q/?[A-Za-z0-9_=?#/-]{0,700}",
        "(nextauth|NextAuth|other):(//)?[A-Za-z0-9_=+/-]{0,700}",
        " *https://[a-z.]{0,12}/[a-z]{0,3}/[A-Za-z0-9_-]{0,20} *",
        (valid, vec(edit(), 1..3)).prop_map(|(s, edits)| String::from_utf8_lossy(&apply(
            s.into_bytes(),
            edits
        ))
        .into_owned()),
    ]
}

fn server_key_once() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(server_key)
}

fn signed_params_once() -> &'static SignedServerParams {
    static SIGNED: OnceLock<SignedServerParams> = OnceLock::new();
    SIGNED.get_or_init(signed_params)
}

/// A valid ServerHello and ClientFinish for the fixed handshake of `common::hello`.
fn handshake_frames() -> &'static (Vec<u8>, Vec<u8>, Vec<u8>) {
    static FRAMES: OnceLock<(Vec<u8>, Vec<u8>, Vec<u8>)> = OnceLock::new();
    FRAMES.get_or_init(|| {
        let context = ServerContext::Connect.encode().unwrap();
        let (decision, _, m1, m2) = hello(Purpose::Connect, &context);
        let request = ClientRequest::Connect.encode().unwrap();
        let (_, m3) = decision
            .finish(&account_key(), &request, &fixed(0x77))
            .unwrap();
        (m1, m2, m3)
    })
}

// ---------------------------------------------------------------------------------------------
// (a) Parsers never panic and only fail with documented codes.
//
// When a mutated input still decodes, it must be canonical: encoding the result gives back
// exactly the input (one value, one encoding).

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn qr_payload_parser_is_total(
        bytes in hostile(b"nA\x01", qr_payload().prop_map(|p| p.encode().unwrap())),
        now in any::<u64>(),
    ) {
        if let Some(payload) = check(QrPayload::decode_unchecked(&bytes))? {
            prop_assert_eq!(payload.encode().unwrap(), bytes.clone());
        }
        check(QrPayload::decode(&bytes, now))?;
    }

    #[test]
    fn link_parser_is_total(input in hostile_link()) {
        if let Some(bytes) = check(qr::link_bytes(&input, &rules()))? {
            check(QrPayload::decode_unchecked(&bytes))?;
        }
        check(qr::decode_link(&input, &rules(), 0))?;
        let empty = LinkRules { https_prefixes: vec![], schemes: vec![] };
        prop_assert!(qr::link_bytes(&input, &empty).is_err());
    }

    #[test]
    fn server_params_parser_is_total(
        bytes in hostile(b"\x01", server_params().prop_map(|p| p.encode().unwrap())),
    ) {
        if let Some(params) = check(ServerParams::decode(&bytes))? {
            prop_assert_eq!(params.encode().unwrap(), bytes.clone());
        }
        let mut r = Reader::new(&bytes);
        if check(SignedServerParams::decode(&mut r))?.is_some() {
            check(r.finish())?;
        }
    }

    #[test]
    fn server_context_parser_is_total(
        bytes in hostile(b"\x02", server_context().prop_map(|c| c.encode().unwrap())),
    ) {
        if let Some(context) = check(ServerContext::decode(&bytes))? {
            prop_assert_eq!(context.encode().unwrap(), bytes.clone());
        }
    }

    #[test]
    fn client_request_parser_is_total(
        bytes in hostile(b"\x01", client_request().prop_map(|r| r.encode().unwrap())),
    ) {
        if let Some(request) = check(ClientRequest::decode(&bytes))? {
            prop_assert_eq!(request.encode().unwrap(), bytes.clone());
        }
    }

    #[test]
    fn server_record_parser_is_total(
        bytes in hostile(b"\x08\x00", server_record().prop_map(|r| r.encode().unwrap())),
    ) {
        if let Some(record) = check(ServerRecord::decode(&bytes))? {
            prop_assert_eq!(record.encode().unwrap(), bytes.clone());
        }
    }

    #[test]
    fn app_record_parser_is_total(
        bytes in hostile(b"\x07\x00", app_record().prop_map(|r| r.encode().unwrap())),
    ) {
        if let Some(record) = check(AppRecord::decode(&bytes))? {
            prop_assert_eq!(record.encode().unwrap(), bytes.clone());
        }
    }

    #[test]
    fn client_hello_and_alert_parsers_are_total(
        bytes in hostile(b"\x01\x01", prop_oneof![
            Just(handshake_frames().0.clone()),
            any::<u16>().prop_map(handshake::encode_alert),
        ]),
    ) {
        check(ClientHello::decode(&bytes))?;
        if let Some(code) = check(handshake::decode_alert(&bytes))? {
            prop_assert_eq!(handshake::encode_alert(code), bytes.clone());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CRYPTO_CASES))]

    #[test]
    fn push_envelope_parser_is_total(
        bytes in hostile(b"\x01", push_body().prop_map(|body| {
            let key = server_key_once();
            push::seal(&fixed(0x99), key, SERVER_ID, &[7; 32], NOW, NOW + 60, &body).unwrap().1
        })),
    ) {
        if let Some(envelope) = check(Envelope::parse(&bytes))? {
            let mut guard = ReplayGuard::new();
            let server = server_key_once().public_key();
            check(envelope.open(&server, &[7; 32], NOW, &mut guard))?;
        }
    }

    #[test]
    fn handshake_states_survive_hostile_frames(
        server_hello in hostile(b"\x02", Just(handshake_frames().1.clone())),
        client_finish in hostile(b"\x03", Just(handshake_frames().2.clone())),
    ) {
        let (client, _) = ClientHandshake::start(&fixed(0x55), Purpose::Connect, SERVER_ID, [0xab; 16]).unwrap();
        let hash = signed_params_once().hash();
        check(client.read_server_hello(&server_hello, ParamsTrust::EnrolHash(&hash)))?;

        let (_, server, _, _) = hello(Purpose::Connect, &ServerContext::Connect.encode().unwrap());
        check(server.read_client_finish(&client_finish))?;
    }
}

// ---------------------------------------------------------------------------------------------
// (b) Round trips.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn qr_payload_round_trips(payload in qr_payload()) {
        let bytes = payload.encode().unwrap();
        prop_assert!(bytes.len() <= qr::MAX_PAYLOAD_LEN);
        prop_assert_eq!(&QrPayload::decode_unchecked(&bytes).unwrap(), &payload);
        prop_assert_eq!(&QrPayload::decode(&bytes, 0).unwrap(), &payload);
        if let QrPayload::Enrol(code) = &payload {
            prop_assert_eq!(QrPayload::decode(&bytes, code.expires_at).unwrap(), payload.clone());
            if let Some(later) = code.expires_at.checked_add(1) {
                prop_assert_eq!(QrPayload::decode(&bytes, later).unwrap_err(), ProtocolError::EnrolExpired);
            }
        }
    }

    #[test]
    fn qr_links_round_trip(
        payload in qr_payload(),
        base in "https://[a-z]{1,12}\\.test(/[a-z]{1,6}){0,2}",
        scheme in "[a-zA-Z][a-z0-9+.-]{0,10}",
        suffix in prop_oneof![Just(String::new()), "[?#][a-z=&]{0,12}"],
    ) {
        let rules = LinkRules { https_prefixes: vec![base.clone()], schemes: vec![scheme.to_lowercase()] };
        let link = payload.to_deep_link(&base).unwrap();
        prop_assert_eq!(&qr::decode_link(&link, &rules, 0).unwrap(), &payload);
        // Mail clients append query strings and fragments; the base may carry a trailing slash.
        let decorated = format!("{link}{suffix}");
        prop_assert_eq!(&qr::decode_link(&decorated, &rules, 0).unwrap(), &payload);
        prop_assert_eq!(&payload.to_deep_link(&format!("{base}/")).unwrap(), &link);

        let uri = payload.to_app_uri(&scheme).unwrap();
        prop_assert_eq!(&qr::decode_link(&uri, &rules, 0).unwrap(), &payload);
        prop_assert_eq!(qr::link_bytes(&uri, &rules).unwrap(), payload.encode().unwrap());
    }

    #[test]
    fn server_params_round_trip(params in server_params(), signature in any::<[u8; 64]>()) {
        let bytes = params.encode().unwrap();
        prop_assert_eq!(&ServerParams::decode(&bytes).unwrap(), &params);

        let signed = SignedServerParams { bytes, signature: Signature(signature) };
        let mut w = Writer::new();
        signed.encode(&mut w).unwrap();
        let wire = w.into_bytes();
        let mut r = Reader::new(&wire);
        prop_assert_eq!(&SignedServerParams::decode(&mut r).unwrap(), &signed);
        prop_assert!(r.finish().is_ok());
    }

    #[test]
    fn server_context_round_trips(context in server_context()) {
        prop_assert_eq!(ServerContext::decode(&context.encode().unwrap()).unwrap(), context);
    }

    #[test]
    fn client_request_round_trips(request in client_request()) {
        prop_assert_eq!(ClientRequest::decode(&request.encode().unwrap()).unwrap(), request);
    }

    #[test]
    fn server_record_round_trips(record in server_record()) {
        prop_assert_eq!(ServerRecord::decode(&record.encode().unwrap()).unwrap(), record);
    }

    #[test]
    fn app_record_round_trips(record in app_record()) {
        prop_assert_eq!(AppRecord::decode(&record.encode().unwrap()).unwrap(), record);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CRYPTO_CASES))]

    #[test]
    fn push_envelopes_round_trip_once(
        body in push_body(),
        created_at in any::<u64>(),
        ttl in 0..=MAX_TTL_SECS,
        push_key in any::<[u8; 32]>(),
    ) {
        let key = server_key_once();
        let (id, bytes) =
            push::seal(&system_rng(), key, SERVER_ID, &push_key, created_at, NOW + ttl, &body).unwrap();
        let envelope = Envelope::parse(&bytes).unwrap();
        prop_assert_eq!(envelope.message_id, id);
        prop_assert_eq!(envelope.key_id, push::key_id(&push_key));
        let mut guard = ReplayGuard::new();
        let message = envelope.open(&key.public_key(), &push_key, NOW, &mut guard).unwrap();
        prop_assert_eq!(message.body, body);
        prop_assert_eq!(
            (message.server_id, message.message_id, message.created_at, message.expires_at),
            (SERVER_ID, id, created_at, NOW + ttl)
        );
        prop_assert!(guard.contains(&id));
        prop_assert_eq!(
            envelope.open(&key.public_key(), &push_key, NOW, &mut guard).unwrap_err(),
            ProtocolError::Replayed
        );
        let mut fresh = ReplayGuard::new();
        prop_assert_eq!(
            envelope.open(&key.public_key(), &push_key, NOW + ttl + 1, &mut fresh).unwrap_err(),
            ProtocolError::MessageExpired
        );
        let mut other = push_key;
        other[0] ^= 1;
        prop_assert_eq!(envelope.open(&key.public_key(), &other, NOW, &mut fresh).unwrap_err(), ProtocolError::Decrypt);
    }
}

// ---------------------------------------------------------------------------------------------
// (c) Truncation and trailing bytes.

/// Every strict prefix of `bytes` and `bytes` with one extra byte must fail to decode.
fn refuses_prefixes_and_extension<T>(
    bytes: &[u8],
    decode: impl Fn(&[u8]) -> Result<T>,
) -> Result<(), TestCaseError> {
    for cut in 0..bytes.len() {
        let err = decode(&bytes[..cut]).err();
        prop_assert!(
            err.is_some(),
            "prefix of {} of {} bytes decoded",
            cut,
            bytes.len()
        );
        prop_assert!(documented(err.unwrap().code()));
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    prop_assert!(decode(&longer).is_err(), "a trailing byte was accepted");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn truncated_qr_payloads_are_refused(payload in qr_payload()) {
        refuses_prefixes_and_extension(&payload.encode().unwrap(), QrPayload::decode_unchecked)?;
    }

    #[test]
    fn truncated_messages_are_refused(
        params in server_params(),
        context in server_context(),
        request in client_request(),
        server in server_record(),
        app in app_record(),
    ) {
        refuses_prefixes_and_extension(&params.encode().unwrap(), ServerParams::decode)?;
        refuses_prefixes_and_extension(&context.encode().unwrap(), ServerContext::decode)?;
        refuses_prefixes_and_extension(&request.encode().unwrap(), ClientRequest::decode)?;
        refuses_prefixes_and_extension(&server.encode().unwrap(), ServerRecord::decode)?;
        refuses_prefixes_and_extension(&app.encode().unwrap(), AppRecord::decode)?;
    }
}

#[test]
fn truncated_handshake_frames_and_envelopes_are_refused() {
    let (m1, _, _) = handshake_frames();
    for cut in 0..m1.len() {
        assert!(
            ClientHello::decode(&m1[..cut]).is_err(),
            "ClientHello prefix {cut}"
        );
    }
    let alert = handshake::encode_alert(41);
    for cut in 0..alert.len() {
        assert!(
            handshake::decode_alert(&alert[..cut]).is_err(),
            "alert prefix {cut}"
        );
    }
    let body = PushBody::Message {
        title: "t".into(),
        text: "hello".into(),
    };
    let (_, envelope) = push::seal(
        &fixed(0x99),
        server_key_once(),
        SERVER_ID,
        &[7; 32],
        NOW,
        NOW + 60,
        &body,
    )
    .unwrap();
    for cut in 0..envelope.len() {
        assert!(
            Envelope::parse(&envelope[..cut]).is_err(),
            "envelope prefix {cut}"
        );
    }
    assert!(Envelope::parse(&[envelope.as_slice(), &[0]].concat()).is_err());
}
