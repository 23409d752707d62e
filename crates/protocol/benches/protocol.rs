//! Criterion benchmarks of the protocol's hot paths: QR decoding, the full handshake (and each
//! side of it), push envelopes and the record layer.
//!
//! Run with `cargo bench -p nextauth-protocol --bench protocol`; results are summarised in
//! docs/benchmarks.md.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use nextauth_protocol::crypto::{Ephemeral, Signer, SigningKey};
use nextauth_protocol::handshake::{
    ClientFinished, ClientHandshake, ClientHello, Purpose, Session,
};
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::messages::{ClientRequest, ServerContext, SessionInfo};
use nextauth_protocol::params::{
    params_hash, ParamsTrust, SecondFactorPolicy, ServerParams, SignedServerParams,
};
use nextauth_protocol::push::{self, Envelope, PushBody, ReplayGuard};
use nextauth_protocol::qr::{self, EnrolCode, EnrolSecret, LinkRules, LoginCode, QrPayload};
use ring::rand::SystemRandom;

const NOW: u64 = 1_800_000_000;
const SERVER_ID: ServerId = ServerId([0x5e; 16]);
const SESSION: SessionRef = SessionRef([0xab; 16]);
const DEEP_LINK_BASE: &str = "https://app.acme.test/q";
const LOGO_LEN: usize = 2048;

struct Fixture {
    rng: SystemRandom,
    server_key: SigningKey,
    account_key: SigningKey,
    signed: SignedServerParams,
    context: Vec<u8>,
    request: Vec<u8>,
}

impl Fixture {
    fn new() -> Self {
        let rng = SystemRandom::new();
        let server_key = SigningKey::generate(&rng).unwrap().0;
        let account_key = SigningKey::generate(&rng).unwrap().0;
        let params = ServerParams {
            server_id: SERVER_ID,
            issued_at: NOW - 60,
            public_key: server_key.public_key(),
            profile: nextauth_protocol::params::ServerProfile {
                name: "Acme Bank".into(),
                // Stand-in for a PNG logo of typical size; the content does not matter for timing.
                logo: (0..LOGO_LEN).map(|i| (i * 31 % 251) as u8).collect(),
                pin_timeout: 5,
                pin_trans_timeout: 0,
                ping_time: 30,
                max_pin_attempts: 5,
                second_factor: SecondFactorPolicy::Pin,
                unique_display_names: true,
                flags: vec!["continuous".into(), "push".into()],
            },
            endpoint: "wss://auth.acme.test/sigmai".into(),
            site_url: "https://acme.test".into(),
            app_url: DEEP_LINK_BASE.into(),
        };
        let signed = params.sign(&server_key, &rng).unwrap();
        let context = ServerContext::Login {
            announce: SessionInfo {
                info: vec![
                    ("Site".into(), "Acme Bank".into()),
                    ("Action".into(), "Log in".into()),
                ],
                ..Default::default()
            },
            session: SessionInfo {
                ip: "192.0.2.7".into(),
                user_agent:
                    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0".into(),
                ..Default::default()
            },
            check: Default::default(),
        }
        .encode()
        .unwrap();
        let request = ClientRequest::login(String::new()).encode().unwrap();
        Self {
            rng,
            server_key,
            account_key,
            signed,
            context,
            request,
        }
    }

    fn trust(&self) -> (nextauth_protocol::crypto::PublicKey, u64) {
        (self.server_key.public_key(), NOW - 3600)
    }

    /// One complete login handshake; returns both sessions.
    fn login(&self) -> (Session, Session) {
        let (key, not_before) = self.trust();
        let (client, m1) =
            ClientHandshake::start(&self.rng, Purpose::Login, SERVER_ID, SESSION.0).unwrap();
        let hello = ClientHello::decode(&m1).unwrap();
        let (server, m2) = hello
            .respond(&self.rng, &self.server_key, &self.signed, &self.context)
            .unwrap();
        let decision = client
            .read_server_hello(
                &m2,
                ParamsTrust::KnownKey {
                    key: &key,
                    not_before,
                },
            )
            .unwrap();
        let (app, m3) = decision
            .finish(&self.account_key, &self.request, &self.rng)
            .unwrap();
        match server.read_client_finish(&m3).unwrap() {
            ClientFinished::Authenticated { session, .. } => (app, *session),
            ClientFinished::Aborted(reason) => panic!("aborted: {reason:?}"),
        }
    }
}

fn qr_benches(c: &mut Criterion) {
    let login = QrPayload::Login(LoginCode {
        endpoint: "wss://auth.acme.test/sigmai".into(),
        server_id: SERVER_ID,
        session_ref: SESSION,
    });
    let enrol = QrPayload::Enrol(EnrolCode {
        endpoint: "wss://auth.acme.test/sigmai".into(),
        server_id: SERVER_ID,
        session_ref: SESSION,
        secret: EnrolSecret([0x42; 16]),
        expires_at: NOW + 600,
        params_hash: params_hash(b"params"),
        display_name: "alice@example.com".into(),
    });
    let login_bytes = login.encode().unwrap();
    let enrol_bytes = enrol.encode().unwrap();
    let link = login.to_deep_link(DEEP_LINK_BASE).unwrap();
    let rules = LinkRules {
        https_prefixes: vec![DEEP_LINK_BASE.into()],
        schemes: vec!["nextauth".into()],
    };

    let mut g = c.benchmark_group("qr");
    g.throughput(Throughput::Elements(1));
    g.bench_function("decode_login", |b| {
        b.iter(|| QrPayload::decode(black_box(&login_bytes), NOW).unwrap())
    });
    g.bench_function("decode_enrol", |b| {
        b.iter(|| QrPayload::decode(black_box(&enrol_bytes), NOW).unwrap())
    });
    g.bench_function("decode_link", |b| {
        b.iter(|| qr::decode_link(black_box(&link), &rules, NOW).unwrap())
    });
    g.finish();
}

fn handshake_benches(c: &mut Criterion) {
    let f = Fixture::new();
    let (key, not_before) = f.trust();
    let trust = || ParamsTrust::KnownKey {
        key: &key,
        not_before,
    };

    let mut g = c.benchmark_group("handshake");
    g.throughput(Throughput::Elements(1));
    g.bench_function("full_login", |b| {
        b.iter(|| {
            let (client, m1) =
                ClientHandshake::start(&f.rng, Purpose::Login, SERVER_ID, SESSION.0).unwrap();
            let hello = ClientHello::decode(&m1).unwrap();
            let (server, m2) = hello
                .respond(&f.rng, &f.server_key, &f.signed, &f.context)
                .unwrap();
            let decision = client.read_server_hello(&m2, trust()).unwrap();
            let (app, m3) = decision.finish(&f.account_key, &f.request, &f.rng).unwrap();
            let finished = server.read_client_finish(&m3).unwrap();
            black_box((app, finished))
        })
    });

    // Each side alone: the other side's work happens outside the timed sections.
    g.bench_function("client_side", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                let (client, m1) =
                    ClientHandshake::start(&f.rng, Purpose::Login, SERVER_ID, SESSION.0).unwrap();
                total += t.elapsed();
                let hello = ClientHello::decode(&m1).unwrap();
                let (server, m2) = hello
                    .respond(&f.rng, &f.server_key, &f.signed, &f.context)
                    .unwrap();
                let t = Instant::now();
                let decision = client.read_server_hello(&m2, trust()).unwrap();
                let (app, m3) = decision.finish(&f.account_key, &f.request, &f.rng).unwrap();
                total += t.elapsed();
                black_box((app, server, m3));
            }
            total
        })
    });
    g.bench_function("server_side", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (client, m1) =
                    ClientHandshake::start(&f.rng, Purpose::Login, SERVER_ID, SESSION.0).unwrap();
                let t = Instant::now();
                let hello = ClientHello::decode(&m1).unwrap();
                let (server, m2) = hello
                    .respond(&f.rng, &f.server_key, &f.signed, &f.context)
                    .unwrap();
                total += t.elapsed();
                let decision = client.read_server_hello(&m2, trust()).unwrap();
                let (app, m3) = decision.finish(&f.account_key, &f.request, &f.rng).unwrap();
                let t = Instant::now();
                let finished = server.read_client_finish(&m3).unwrap();
                total += t.elapsed();
                black_box((app, finished));
            }
            total
        })
    });
    g.finish();

    let (mut app, mut server) = f.login();
    let plaintext = vec![0x5a; 1024];
    let mut g = c.benchmark_group("record");
    g.throughput(Throughput::Bytes(plaintext.len() as u64));
    g.bench_function("seal_open_1k", |b| {
        b.iter(|| {
            let record = app.seal(black_box(&plaintext)).unwrap();
            server.open(&record).unwrap()
        })
    });
    g.finish();
}

fn push_benches(c: &mut Criterion) {
    let f = Fixture::new();
    let push_key = [7u8; 32];
    let body = PushBody::Login {
        session_ref: SESSION,
        announce: SessionInfo {
            info: vec![("Site".into(), "Acme Bank".into())],
            ..Default::default()
        },
        session: SessionInfo {
            ip: "192.0.2.7".into(),
            user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
                .into(),
            ..Default::default()
        },
    };
    let server_public = f.server_key.public_key();
    let (_, envelope) = push::seal(
        &f.rng,
        &f.server_key,
        SERVER_ID,
        &push_key,
        NOW,
        NOW + 300,
        &body,
    )
    .unwrap();

    let mut g = c.benchmark_group("push");
    g.throughput(Throughput::Elements(1));
    g.bench_function("seal", |b| {
        b.iter(|| {
            push::seal(
                &f.rng,
                &f.server_key,
                SERVER_ID,
                &push_key,
                NOW,
                NOW + 300,
                black_box(&body),
            )
            .unwrap()
        })
    });
    g.bench_function("open", |b| {
        b.iter_batched_ref(
            ReplayGuard::new,
            |guard| {
                let env = Envelope::parse(black_box(&envelope)).unwrap();
                env.open(&server_public, &push_key, NOW, guard).unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// The handshake's primitives one by one, to say where `handshake/server_side` goes.
fn primitive_benches(c: &mut Criterion) {
    let f = Fixture::new();
    let message = [0x42u8; 32];
    let signature = f.account_key.sign(&f.rng, &message).unwrap();
    let public = f.account_key.public_key();
    let peer = Ephemeral::generate(&f.rng).unwrap().public();
    let mut g = c.benchmark_group("primitive");
    g.throughput(Throughput::Elements(1));
    g.bench_function("x25519_generate", |b| {
        b.iter(|| black_box(Ephemeral::generate(&f.rng).unwrap()))
    });
    g.bench_function("x25519_generate_agree", |b| {
        b.iter(|| black_box(Ephemeral::generate(&f.rng).unwrap().agree(&peer).unwrap()))
    });
    g.bench_function("p256_sign", |b| {
        b.iter(|| black_box(f.server_key.sign(&f.rng, &message).unwrap()))
    });
    g.bench_function("p256_verify", |b| {
        b.iter(|| public.verify(black_box(&message), &signature).unwrap())
    });
    g.finish();
}

criterion_group!(
    benches,
    qr_benches,
    handshake_benches,
    push_benches,
    primitive_benches
);
criterion_main!(benches);
