//! The push senders against local mocks of Google's OAuth token endpoint, FCM HTTP v1 and APNs
//! (HTTP/2 without TLS): request formats, signed tokens, error answers, and the server's use of
//! them end to end (an app registers its token on a CONNECT session, a push login reaches the
//! mock, a token the service no longer knows is forgotten). Nothing here leaves 127.0.0.1.
mod support;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Version};
use axum::response::IntoResponse;
use axum::Router;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use nextauth_protocol::crypto::{PublicKey, Signer, SigningKey};
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::messages::{AppRecord, PushPlatform, ServerRecord};
use nextauth_protocol::pin::DeviceSecret;
use nextauth_protocol::push::{self, Envelope, PushBody, ReplayGuard};
use nextauth_server::clock::now;
use nextauth_server::codes;
use nextauth_server::push_senders::fcm::{FcmConfig, FcmSender, ServiceAccount};
use nextauth_server::push_senders::{jwt, Notice, PushError, PushSender, PushTarget, Senders};
use nextauth_server::store::{accounts, messages, push_tokens};
use nextauth_server::PushConfig;
use ring::rand::SystemRandom;
use ring::signature::{
    RsaKeyPair, UnparsedPublicKey, VerificationAlgorithm, ECDSA_P256_SHA256_FIXED,
    RSA_PKCS1_2048_8192_SHA256,
};
use serde_json::{json, Value};
use support::app::{self, AppAccount};
use support::TestServer;
use tokio::sync::mpsc;

/// A test-only RSA key (see tests/fixtures/README.md).
const TEST_RSA_KEY: &str = include_str!("fixtures/fcm-test-key.pem");
const PROJECT: &str = "test-project";
const CLIENT_EMAIL: &str = "push@test-project.iam.gserviceaccount.com";
const ACCESS_TOKEN: &str = "ya29.test-access-token";
const TOKEN_ANSWER: &str =
    r#"{"access_token":"ya29.test-access-token","expires_in":3599,"token_type":"Bearer"}"#;
const FCM_OK: &str = r#"{"name":"projects/test-project/messages/0:1"}"#;
const FCM_UNREGISTERED: &str = r#"{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}"#;
const APNS_KEY_ID: &str = "TESTKEY123";
const APNS_TEAM_ID: &str = "TEAM123456";
const APNS_TOPIC: &str = "com.example.nextauth";
const APNS_TOKEN: &str = "5f3c0d1e2a4b6c8d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f";

// ---------------------------------------------------------------------------------------------
// Mock push services

/// One request a mock saw.
#[derive(Debug)]
struct Seen {
    method: String,
    path: String,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
}

impl Seen {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

type Replies = Arc<Mutex<VecDeque<(u16, String)>>>;

#[derive(Clone)]
struct MockState {
    seen: mpsc::UnboundedSender<Seen>,
    replies: Replies,
    default: (u16, String),
}

/// A local HTTP server (HTTP/1.1, and HTTP/2 with prior knowledge) that records every request
/// and answers with the queued replies, then with its default.
struct Mock {
    addr: SocketAddr,
    seen: mpsc::UnboundedReceiver<Seen>,
    replies: Replies,
}

async fn record(State(state): State<MockState>, request: Request) -> impl IntoResponse {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let _ = state.seen.send(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        version: parts.version,
        headers: parts.headers,
        body,
    });
    let reply = state.replies.lock().unwrap().pop_front();
    let (status, body) = reply.unwrap_or_else(|| state.default.clone());
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body,
    )
}

impl Mock {
    async fn start(default_status: u16, default_body: &str) -> Self {
        let (tx, seen) = mpsc::unbounded_channel();
        let replies = Replies::default();
        let state = MockState {
            seen: tx,
            replies: replies.clone(),
            default: (default_status, default_body.to_owned()),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().fallback(record).with_state(state);
        tokio::spawn(async move {
            axum::serve(listener, router).await.expect("mock serves");
        });
        Self {
            addr,
            seen,
            replies,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next request gets this answer.
    fn reply_next(&self, status: u16, body: &str) {
        self.replies
            .lock()
            .unwrap()
            .push_back((status, body.to_owned()));
    }

    /// The next request seen, within 10 seconds.
    async fn next(&mut self) -> Seen {
        tokio::time::timeout(Duration::from_secs(10), self.seen.recv())
            .await
            .expect("a request within 10 s")
            .expect("mock running")
    }

    /// Whether no further request has arrived.
    fn saw_nothing_more(&mut self) -> bool {
        self.seen.try_recv().is_err()
    }
}

// ---------------------------------------------------------------------------------------------
// Keys, tokens and envelopes

fn rng() -> SystemRandom {
    SystemRandom::new()
}

/// A fresh directory for files a test writes.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nextauth-push-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn service_account_json(token_uri: &str) -> String {
    json!({
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "test-key-1",
        "private_key": TEST_RSA_KEY,
        "client_email": CLIENT_EMAIL,
        "client_id": "1",
        "token_uri": token_uri,
    })
    .to_string()
}

/// An FCM sender against mock OAuth and FCM endpoints that answer OK, the sealer of the
/// envelopes it sends, and the device it sends to.
struct FcmRig {
    oauth: Mock,
    fcm: Mock,
    sender: FcmSender,
    sealer: Sealer,
    target: PushTarget,
}

impl FcmRig {
    /// The rig, sending to the FCM registration `token`.
    async fn start(token: &str) -> Self {
        let oauth = Mock::start(200, TOKEN_ANSWER).await;
        let fcm = Mock::start(200, FCM_OK).await;
        let sender = fcm_sender(&oauth, &fcm);
        Self {
            oauth,
            fcm,
            sender,
            sealer: Sealer::new(),
            target: PushTarget {
                platform: PushPlatform::Fcm,
                token: token.into(),
            },
        }
    }
}

fn fcm_sender(oauth: &Mock, fcm: &Mock) -> FcmSender {
    let token_uri = format!("{}/token", oauth.url());
    FcmSender::new(FcmConfig {
        service_account: ServiceAccount::from_json(&service_account_json(&token_uri)).unwrap(),
        endpoint: fcm.url(),
    })
    .unwrap()
}

/// The RSA public key (DER RSAPublicKey) of the test service account.
fn rsa_public_key() -> Vec<u8> {
    let der = jwt::pem_decode(TEST_RSA_KEY, "PRIVATE KEY").unwrap();
    RsaKeyPair::from_pkcs8(&der)
        .unwrap()
        .public()
        .as_ref()
        .to_vec()
}

/// Writes a new APNs `.p8` key (PKCS#8 P-256 PEM) to `dir`; returns its path and public key.
fn apns_key_file(dir: &std::path::Path) -> (PathBuf, PublicKey) {
    let (key, pkcs8) = SigningKey::generate(&rng()).unwrap();
    let b64 = STANDARD.encode(&pkcs8[..]);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    let path = dir.join(format!("AuthKey_{APNS_KEY_ID}.p8"));
    std::fs::write(&path, pem).unwrap();
    (path, key.public_key())
}

fn apns_config(key: PathBuf, endpoint: String) -> PushConfig {
    PushConfig {
        apns_key: Some(key),
        apns_key_id: Some(APNS_KEY_ID.into()),
        apns_team_id: Some(APNS_TEAM_ID.into()),
        apns_topic: Some(APNS_TOPIC.into()),
        apns_endpoint: Some(endpoint),
        ..PushConfig::default()
    }
}

fn b64url_json(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

/// Verifies a JWT's signature; returns its header and claims.
fn open_jwt(
    jwt: &str,
    alg: &'static dyn VerificationAlgorithm,
    public_key: &[u8],
) -> (Value, Value) {
    let (input, signature) = jwt.rsplit_once('.').expect("a signed JWT");
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .expect("base64url signature");
    UnparsedPublicKey::new(alg, public_key)
        .verify(input.as_bytes(), &signature)
        .expect("the JWT signature verifies");
    let (header, claims) = input.split_once('.').expect("header.claims");
    (b64url_json(header), b64url_json(claims))
}

/// A form field of an `application/x-www-form-urlencoded` body (we only need `%3A`).
fn form_field(body: &[u8], name: &str) -> String {
    std::str::from_utf8(body)
        .unwrap()
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in the form"))
        .replace("%3A", ":")
}

/// A server key and an app's push key, as the message center would have them.
struct Sealer {
    key: SigningKey,
    server_id: ServerId,
    push_key: [u8; 32],
}

impl Sealer {
    fn new() -> Self {
        Self {
            key: SigningKey::generate(&rng()).unwrap().0,
            server_id: ServerId([9; 16]),
            push_key: [4; 32],
        }
    }

    /// Seals `body`, valid for 300 s; returns the envelope and its expiry.
    fn seal(&self, body: &PushBody) -> (Vec<u8>, u64) {
        let now = now();
        let (_, envelope) = push::seal(
            &rng(),
            &self.key,
            self.server_id,
            &self.push_key,
            now,
            now + 300,
            body,
        )
        .unwrap();
        (envelope, now + 300)
    }

    fn open(&self, b64: &str) -> PushBody {
        open_envelope(b64, &self.key.public_key(), &self.push_key)
    }
}

/// Decodes a base64 envelope from a push payload and opens it like the app does.
fn open_envelope(b64: &str, server_key: &PublicKey, push_key: &[u8; 32]) -> PushBody {
    let bytes = STANDARD.decode(b64).expect("standard base64 envelope");
    Envelope::parse(&bytes)
        .expect("the envelope parses")
        .open(server_key, push_key, now(), &mut ReplayGuard::new())
        .expect("the envelope opens")
        .body
}

fn notice() -> Notice {
    Notice {
        title: "Login request from Acme".into(),
        body: "Open nextAuth to confirm or decline.".into(),
    }
}

fn logout_body() -> PushBody {
    PushBody::Logout {
        session_ref: SessionRef([3; 16]),
    }
}

// ---------------------------------------------------------------------------------------------
// FCM

#[tokio::test]
async fn fcm_exchanges_a_signed_jwt_for_an_access_token_and_posts_the_envelope() {
    let mut rig = FcmRig::start("dGVzdC1kZXZpY2U:APA91bTestToken-_").await;
    let (envelope, _) = rig.sealer.seal(&logout_body());
    rig.sender
        .send(&rig.target, &envelope, &notice())
        .await
        .unwrap();

    // The token exchange: a JWT bearer grant with an RS256 assertion.
    let exchange = rig.oauth.next().await;
    assert_eq!(
        (exchange.method.as_str(), exchange.path.as_str()),
        ("POST", "/token")
    );
    assert_eq!(
        exchange.header("content-type"),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        form_field(&exchange.body, "grant_type"),
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    );
    let assertion = form_field(&exchange.body, "assertion");
    let (header, claims) = open_jwt(&assertion, &RSA_PKCS1_2048_8192_SHA256, &rsa_public_key());
    assert_eq!(
        header,
        json!({"alg": "RS256", "typ": "JWT", "kid": "test-key-1"})
    );
    assert_eq!(claims["iss"], CLIENT_EMAIL);
    assert_eq!(
        claims["scope"],
        "https://www.googleapis.com/auth/firebase.messaging"
    );
    assert_eq!(claims["aud"], format!("{}/token", rig.oauth.url()));
    let iat = claims["iat"].as_u64().unwrap();
    assert!(iat.abs_diff(now()) <= 5);
    assert_eq!(claims["exp"].as_u64().unwrap(), iat + 3600);

    // The send: HTTP v1 with the access token and a data-only, high-priority message.
    let request = rig.fcm.next().await;
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/projects/test-project/messages:send");
    assert_eq!(
        request.header("authorization"),
        format!("Bearer {ACCESS_TOKEN}")
    );
    assert_eq!(request.header("content-type"), "application/json");
    let body = request.json();
    let message = &body["message"];
    assert_eq!(message["token"], rig.target.token.as_str());
    assert_eq!(message["android"]["priority"], "HIGH");
    let ttl = message["android"]["ttl"].as_str().unwrap();
    let secs: u64 = ttl.strip_suffix('s').unwrap().parse().unwrap();
    assert!((295..=300).contains(&secs), "{ttl}");
    assert!(message.get("notification").is_none(), "data-only: {body}");
    assert_eq!(message["data"]["title"], "Login request from Acme");
    assert_eq!(
        rig.sealer
            .open(message["data"]["nextauth"].as_str().unwrap()),
        logout_body()
    );

    // The access token is cached: a second push needs no exchange.
    let (envelope, _) = rig.sealer.seal(&PushBody::DeleteAccount);
    rig.sender
        .send(&rig.target, &envelope, &notice())
        .await
        .unwrap();
    let request = rig.fcm.next().await;
    assert_eq!(
        rig.sealer.open(
            request.json()["message"]["data"]["nextauth"]
                .as_str()
                .unwrap()
        ),
        PushBody::DeleteAccount
    );
    assert!(rig.oauth.saw_nothing_more());
}

#[tokio::test]
async fn fcm_error_answers_are_told_apart() {
    let mut rig = FcmRig::start("stale-token").await;
    let (envelope, _) = rig.sealer.seal(&logout_body());

    // UNREGISTERED: the app is gone.
    rig.fcm.reply_next(404, FCM_UNREGISTERED);
    let err = rig
        .sender
        .send(&rig.target, &envelope, &notice())
        .await
        .unwrap_err();
    assert!(matches!(err, PushError::Unregistered), "{err:?}");

    // A 404 without UNREGISTERED (a wrong project, say) is not a dead token.
    rig.fcm.reply_next(
        404,
        r#"{"error":{"code":404,"message":"not found","status":"NOT_FOUND"}}"#,
    );
    let err = rig
        .sender
        .send(&rig.target, &envelope, &notice())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PushError::Rejected { status: 404, reason } if reason == "NOT_FOUND"),
        "{err:?}"
    );

    rig.fcm.reply_next(400, r#"{"error":{"code":400,"status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"INVALID_ARGUMENT"}]}}"#);
    let err = rig
        .sender
        .send(&rig.target, &envelope, &notice())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PushError::Rejected { status: 400, reason } if reason == "INVALID_ARGUMENT"),
        "{err:?}"
    );
    assert!(!err.to_string().contains("stale-token"));

    // A refused access token is renewed once and the push retried.
    rig.fcm
        .reply_next(401, r#"{"error":{"code":401,"status":"UNAUTHENTICATED"}}"#);
    rig.sender
        .send(&rig.target, &envelope, &notice())
        .await
        .unwrap();
    let mut exchanges = 0;
    while rig.oauth.seen.try_recv().is_ok() {
        exchanges += 1;
    }
    assert_eq!(exchanges, 2, "one exchange at first, one after the 401");
    for _ in 0..5 {
        rig.fcm.next().await;
    }
    assert!(rig.fcm.saw_nothing_more());

    // The token endpoint refusing the assertion is an authentication failure.
    let refusing = Mock::start(
        400,
        r#"{"error":"invalid_grant","error_description":"Invalid JWT"}"#,
    )
    .await;
    let refused = fcm_sender(&refusing, &rig.fcm);
    let err = refused
        .send(&rig.target, &envelope, &notice())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PushError::Auth(msg) if msg.contains("400 invalid_grant")),
        "{err:?}"
    );
}

#[tokio::test]
async fn fcm_configuration_errors_are_reported() {
    let bad_key = json!({
        "project_id": PROJECT,
        "client_email": CLIENT_EMAIL,
        "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    })
    .to_string();
    let account = ServiceAccount::from_json(&bad_key).unwrap();
    let err = FcmSender::new(FcmConfig {
        service_account: account,
        endpoint: "http://127.0.0.1:9".into(),
    })
    .unwrap_err();
    assert!(matches!(err, PushError::Config(_)), "{err:?}");
    assert!(ServiceAccount::from_json(r#"{"project_id":"p"}"#).is_err());

    let dir = temp_dir("missing-file");
    let config = PushConfig {
        fcm_credentials: Some(dir.join("nope.json")),
        ..PushConfig::default()
    };
    let err = Senders::from_config(&config).unwrap_err();
    assert!(err.to_string().contains("nope.json"), "{err}");
    assert!(Senders::from_config(&PushConfig::default())
        .unwrap()
        .is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------------------------------
// APNs

#[tokio::test]
async fn apns_posts_over_http2_with_an_es256_provider_token() {
    let dir = temp_dir("apns");
    let (key_path, public_key) = apns_key_file(&dir);
    let mut apns = Mock::start(200, "").await;
    let senders = Senders::from_config(&apns_config(key_path, apns.url())).unwrap();
    assert!(senders.for_platform(PushPlatform::Fcm).is_none());
    let sender = senders.for_platform(PushPlatform::Apns).unwrap();
    let sealer = Sealer::new();
    let target = PushTarget {
        platform: PushPlatform::Apns,
        token: APNS_TOKEN.into(),
    };
    let (envelope, expires_at) = sealer.seal(&logout_body());
    sender.send(&target, &envelope, &notice()).await.unwrap();

    let request = apns.next().await;
    assert_eq!(request.version, Version::HTTP_2);
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/3/device/{APNS_TOKEN}"));
    assert_eq!(request.header("apns-topic"), APNS_TOPIC);
    assert_eq!(request.header("apns-push-type"), "alert");
    assert_eq!(request.header("apns-priority"), "10");
    assert_eq!(request.header("apns-expiration"), expires_at.to_string());
    let message_id = Envelope::parse(&envelope).unwrap().message_id.0;
    let hex: String = message_id.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(request.header("apns-id").replace('-', ""), hex);
    assert_eq!(request.header("apns-id").len(), 36);
    let jwt = request
        .header("authorization")
        .strip_prefix("bearer ")
        .expect("bearer token")
        .to_owned();
    let (header, claims) = open_jwt(&jwt, &ECDSA_P256_SHA256_FIXED, &public_key.0);
    assert_eq!(header, json!({"alg": "ES256", "kid": APNS_KEY_ID}));
    assert_eq!(claims["iss"], APNS_TEAM_ID);
    assert!(claims["iat"].as_u64().unwrap().abs_diff(now()) <= 5);
    let body = request.json();
    assert_eq!(body["aps"]["alert"]["title"], "Login request from Acme");
    assert_eq!(
        body["aps"]["alert"]["body"],
        "Open nextAuth to confirm or decline."
    );
    assert_eq!(body["aps"]["mutable-content"], 1);
    assert_eq!(
        sealer.open(body["nextauth"].as_str().unwrap()),
        logout_body()
    );

    // The provider token is reused.
    sender.send(&target, &envelope, &notice()).await.unwrap();
    let again = apns.next().await;
    assert_eq!(again.header("authorization"), format!("bearer {jwt}"));

    // An expired provider token is replaced and the push retried once.
    apns.reply_next(403, r#"{"reason":"ExpiredProviderToken"}"#);
    sender.send(&target, &envelope, &notice()).await.unwrap();
    assert_eq!(
        apns.next().await.header("authorization"),
        format!("bearer {jwt}")
    );
    let renewed = apns.next().await;
    assert_ne!(renewed.header("authorization"), format!("bearer {jwt}"));
    open_jwt(
        renewed
            .header("authorization")
            .strip_prefix("bearer ")
            .unwrap(),
        &ECDSA_P256_SHA256_FIXED,
        &public_key.0,
    );

    // 410 Unregistered: the app is gone. Other refusals keep their reason.
    apns.reply_next(
        410,
        r#"{"reason":"Unregistered","timestamp":1700000000000}"#,
    );
    let err = sender
        .send(&target, &envelope, &notice())
        .await
        .unwrap_err();
    assert!(matches!(err, PushError::Unregistered), "{err:?}");
    apns.reply_next(400, r#"{"reason":"BadDeviceToken"}"#);
    let err = sender
        .send(&target, &envelope, &notice())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PushError::Rejected { status: 400, reason } if reason == "BadDeviceToken"),
        "{err:?}"
    );
    assert!(!err.to_string().contains(APNS_TOKEN));
    for _ in 0..2 {
        apns.next().await;
    }

    // A token that is not hex never reaches the request path.
    let odd = PushTarget {
        platform: PushPlatform::Apns,
        token: "../../admin".into(),
    };
    assert!(sender.send(&odd, &envelope, &notice()).await.is_err());
    assert!(apns.saw_nothing_more());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn apns_configuration_errors_are_reported() {
    let dir = temp_dir("apns-bad");
    let path = dir.join("AuthKey.p8");
    std::fs::write(&path, "not a key").unwrap();
    let err =
        Senders::from_config(&apns_config(path.clone(), "http://127.0.0.1:9".into())).unwrap_err();
    assert!(matches!(err, PushError::Config(_)), "{err:?}");
    // An RSA key is not an APNs key.
    std::fs::write(&path, TEST_RSA_KEY).unwrap();
    let err = Senders::from_config(&apns_config(path, "http://127.0.0.1:9".into())).unwrap_err();
    assert!(err.to_string().contains("P-256"), "{err}");
    let (path, _) = apns_key_file(&dir);
    let mut config = apns_config(path, "http://127.0.0.1:9".into());
    config.apns_topic = Some("bad topic".into());
    assert!(Senders::from_config(&config).is_err());
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------------------------------
// End to end: the real server, a protocol-level test app, mock push services

/// Enrols an account (the demo server wants a PIN) and returns it with its id on the server.
async fn enrol(server: &TestServer, nonce: &str) -> (AppAccount, accounts::AccountRow) {
    let device = DeviceSecret::from_bytes([5; 32]);
    let account = server
        .enrol(nonce, &device, "alice", Some("alice"), Some("2468"))
        .await;
    let stored = server.account_row(&account).await;
    (account, stored)
}

/// Opens a CONNECT session and registers `token`; checks the answer.
async fn register(account: &AppAccount, platform: PushPlatform, token: &str) -> app::Exchange {
    let mut ex = support::connected(account).await;
    ex.send(&AppRecord::RegisterPushToken {
        platform,
        token: token.into(),
    })
    .await;
    assert_eq!(ex.recv_within(5).await, Some(ServerRecord::Accepted));
    ex
}

/// Waits (10 s at most) until no push is being delivered.
async fn settled(server: &TestServer) {
    tokio::time::timeout(Duration::from_secs(10), server.state.deliveries.settled())
        .await
        .expect("the deliveries end within 10 s");
}

/// Whether the account has no push token any more, once the pushes handed to the senders are
/// through (the sender forgets a dead token before its delivery ends).
async fn token_forgotten(server: &TestServer, account_id: i64) -> bool {
    settled(server).await;
    push_tokens::push_target(&server.state.db, account_id)
        .await
        .unwrap()
        .is_none()
}

#[tokio::test]
async fn a_push_login_reaches_the_app_through_fcm_and_a_dead_token_is_forgotten() {
    let mut oauth = Mock::start(200, TOKEN_ANSWER).await;
    let mut fcm = Mock::start(200, FCM_OK).await;
    let dir = temp_dir("e2e-fcm");
    let credentials = dir.join("firebase.json");
    std::fs::write(
        &credentials,
        service_account_json(&format!("{}/token", oauth.url())),
    )
    .unwrap();
    let fcm_url = fcm.url();
    let server = TestServer::start_with(|config| {
        config.push.fcm_credentials = Some(credentials.clone());
        config.push.fcm_endpoint = Some(fcm_url);
    })
    .await;
    let (account, stored) = enrol(&server, "push-signup").await;
    let row = server.demo_server().await;

    // Malformed tokens are refused without ending the session; a good one is stored.
    let mut ex = register(&account, PushPlatform::Fcm, "first-token").await;
    for (platform, token) in [
        (PushPlatform::Fcm, "has a space".to_owned()),
        (PushPlatform::Fcm, String::new()),
        (PushPlatform::Apns, "not-hex".to_owned()),
    ] {
        ex.send(&AppRecord::RegisterPushToken { platform, token })
            .await;
        assert_eq!(
            ex.recv_within(5).await,
            Some(ServerRecord::Refused { code: 32 })
        );
    }
    ex.send(&AppRecord::RegisterPushToken {
        platform: PushPlatform::Fcm,
        token: "fcm-e2e-token:APA91b".into(),
    })
    .await;
    assert_eq!(ex.recv_within(5).await, Some(ServerRecord::Accepted));
    assert_eq!(
        push_tokens::push_target(&server.state.db, stored.account_id)
            .await
            .unwrap(),
        Some((PushPlatform::Fcm, "fcm-e2e-token:APA91b".to_owned()))
    );
    ex.close().await;

    // A push login goes to FCM; the app opens the envelope with its push key.
    codes::provoke_login(
        &server.state,
        &row,
        "push-login",
        stored.account_id,
        None,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(oauth.next().await.path, "/token");
    let request = fcm.next().await;
    assert_eq!(request.path, "/v1/projects/test-project/messages:send");
    assert_eq!(
        request.header("authorization"),
        format!("Bearer {ACCESS_TOKEN}")
    );
    let message = &request.json()["message"];
    assert_eq!(message["token"], "fcm-e2e-token:APA91b");
    assert_eq!(message["data"]["title"], "Login request from Acme");
    let body = open_envelope(
        message["data"]["nextauth"].as_str().unwrap(),
        &account.params.public_key,
        &account.push_key,
    );
    let PushBody::Login { session_ref, .. } = body else {
        panic!("expected a push login, got {body:?}")
    };
    let nonce_ref = SessionRef::derive(&row.server_id, b"push-login");
    assert_eq!(session_ref, nonce_ref);
    // The message is still queued for the app's pull.
    assert_eq!(
        messages::pending(&server.state.db, stored.account_id, now(), 10)
            .await
            .unwrap()
            .len(),
        1
    );

    // FCM says the token is dead: the server forgets it and stops pushing.
    fcm.reply_next(404, FCM_UNREGISTERED);
    let hello = PushBody::Message {
        title: "Hi".into(),
        text: "there".into(),
    };
    nextauth_server::message_center::send(&server.state, &row, &stored, &hello, now())
        .await
        .unwrap();
    let request = fcm.next().await;
    assert_eq!(request.json()["message"]["token"], "fcm-e2e-token:APA91b");
    assert!(token_forgotten(&server, stored.account_id).await);
    nextauth_server::message_center::send(&server.state, &row, &stored, &hello, now())
        .await
        .unwrap();
    // That push's delivery is over (no token: nothing sent), so no request can come later.
    settled(&server).await;
    assert!(fcm.saw_nothing_more());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_message_reaches_the_app_through_apns_and_410_forgets_the_token() {
    let dir = temp_dir("e2e-apns");
    let (key_path, public_key) = apns_key_file(&dir);
    let mut apns = Mock::start(200, "").await;
    let config = apns_config(key_path, apns.url());
    let server = TestServer::start_with(|c| c.push = config).await;
    let (account, stored) = enrol(&server, "apns-signup").await;
    let row = server.demo_server().await;
    let ex = register(&account, PushPlatform::Apns, APNS_TOKEN).await;
    ex.close().await;

    let hello = PushBody::Message {
        title: "Secret title".into(),
        text: "secret text".into(),
    };
    nextauth_server::message_center::send(&server.state, &row, &stored, &hello, now())
        .await
        .unwrap();
    let request = apns.next().await;
    assert_eq!(request.version, Version::HTTP_2);
    assert_eq!(request.path, format!("/3/device/{APNS_TOKEN}"));
    let jwt = request
        .header("authorization")
        .strip_prefix("bearer ")
        .unwrap();
    open_jwt(jwt, &ECDSA_P256_SHA256_FIXED, &public_key.0);
    let body = request.json();
    // The visible notice names the site, never the message.
    assert_eq!(body["aps"]["alert"]["title"], "Acme");
    assert!(!body["aps"].to_string().contains("ecret"));
    assert_eq!(
        open_envelope(
            body["nextauth"].as_str().unwrap(),
            &account.params.public_key,
            &account.push_key
        ),
        hello
    );

    apns.reply_next(410, r#"{"reason":"Unregistered"}"#);
    nextauth_server::message_center::send(&server.state, &row, &stored, &hello, now())
        .await
        .unwrap();
    apns.next().await;
    assert!(token_forgotten(&server, stored.account_id).await);
    let _ = std::fs::remove_dir_all(dir);
}
