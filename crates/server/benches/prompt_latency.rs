//! Login latency as a person feels it, with number matching: from the scan to the app's
//! prompt, and from Approve to the website seeing the login. The real SDK (its SQLite file, its
//! WebSocket client) against a real server on loopback, with a browser socket following each
//! session like the login page does. Prints a table of p50, p95 and max per row.
//!
//! Run: `cargo bench -p nextauth-server --bench prompt_latency`. `PROMPT_LOGINS` sets the
//! logins per row (default 300; under `cargo test`, without the `--bench` argument, 20: a
//! smoke test that the bench still works, not a measurement).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use nextauth_e2e::App;
use nextauth_sdk::{Event, FlowState, Response};
use nextauth_server::clock::now;
use nextauth_server::codes;
use nextauth_server::store::enrol_codes::EnrolGrant;
use nextauth_server::store::servers::{self, NumberInput, NumberMatching};
use support::TestServer;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn logins() -> usize {
    std::env::var("PROMPT_LOGINS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if std::env::args().any(|arg| arg == "--bench") {
            300
        } else {
            20
        })
}

/// The flow's next update in `state`.
async fn flow_in(app: &mut App, state: FlowState) -> nextauth_sdk::Flow {
    loop {
        match app.events.recv().await {
            Ok(Event::FlowUpdate { flow }) if flow.state == state => return flow,
            Ok(Event::FlowUpdate { flow }) if flow.state == FlowState::Error => {
                panic!("flow failed: {:?}", flow.error)
            }
            Ok(_) => {}
            Err(err) => panic!("events: {err}"),
        }
    }
}

/// The next line of the browser socket that starts with `kind`; its last word.
async fn heard(ws: &mut Ws, kind: &str) -> String {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("the page hears within 10 s")
            .expect("open")
            .expect("message");
        if let Message::Text(text) = message {
            if text.starts_with(kind) {
                return text.rsplit(' ').next().unwrap_or_default().to_owned();
            }
        }
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

async fn row(server: &TestServer, app: &mut App, matching: NumberMatching, label: &str) {
    let mut row = servers::get(&server.state.db, &server.server_id())
        .await
        .unwrap()
        .unwrap();
    row.settings.number_matching = matching;
    row.settings.number_input = NumberInput::Type;
    let row = servers::update(&server.state.db, &server.server_id(), &row.settings, now())
        .await
        .unwrap()
        .unwrap();
    let (mut to_prompt, mut to_website) = (Vec::new(), Vec::new());
    for n in 0..logins() {
        let nonce = format!("{label}-{n}");
        let code = codes::login_code(&server.state, &row, &nonce, None, now())
            .await
            .unwrap()
            .encode()
            .unwrap();
        // The login page: it follows its session and shows the number.
        let (mut page, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr))
            .await
            .unwrap();
        let hsid = nextauth_protocol::ids::SessionRef::derive(&row.server_id, nonce.as_bytes());
        page.send(Message::Text(
            format!("REGISTER {} {}", hsid.to_base64(), server.demo.serverid).into(),
        ))
        .await
        .unwrap();
        heard(&mut page, "LOGOUT").await;

        let scanned = Instant::now();
        let flow = app.sdk.start_qr(&code).await.unwrap();
        flow_in(app, FlowState::WaitingForConfirmation).await;
        to_prompt.push(scanned.elapsed());

        let number = match matching {
            NumberMatching::Off => None,
            _ => Some(heard(&mut page, "NUMBER").await),
        };
        let approved = Instant::now();
        let answer = Response::Confirm {
            account_id: None,
            user_input: None,
            number,
        };
        app.sdk.respond(&flow.id, answer).await.unwrap();
        heard(&mut page, "LOGIN").await;
        to_website.push(approved.elapsed());
        flow_in(app, FlowState::Done).await;
        let _ = page.close(None).await;
    }
    to_prompt.sort();
    to_website.sort();
    for (what, sorted) in [
        ("scan → prompt", &to_prompt),
        ("approve → website", &to_website),
    ] {
        println!(
            "| {label:<16} | {what:<17} | {:>6} | {:>8.2} | {:>8.2} | {:>8.2} |",
            sorted.len(),
            pct(sorted, 0.5),
            pct(sorted, 0.95),
            pct(sorted, 1.0)
        );
    }
}

async fn run() {
    let server =
        TestServer::start_with(|c| c.limits = nextauth_server::LimitsConfig::unlimited()).await;
    let mut row = servers::get(&server.state.db, &server.server_id())
        .await
        .unwrap()
        .unwrap();
    // The PIN is not part of what is measured (it is its own step, with its own screen).
    row.settings.profile.pin_timeout = -1;
    row.settings.profile.pin_trans_timeout = -1;
    // The updated row: the enrol code carries the hash of the parameters as they are now.
    let row = servers::update(&server.state.db, &server.server_id(), &row.settings, now())
        .await
        .unwrap()
        .unwrap();
    let mut app = App::new().await;
    let grant = EnrolGrant {
        userid: Some("bench".into()),
        display_name: "bench".into(),
    };
    let code = codes::enrol_code(&server.state, &row, "signup-bench", grant, now())
        .await
        .unwrap()
        .encode()
        .unwrap();
    let flow = app.sdk.start_qr(&code).await.unwrap();
    flow_in(&mut app, FlowState::WaitingForConfirmation).await;
    let confirm = Response::Confirm {
        account_id: None,
        user_input: None,
        number: None,
    };
    app.sdk.respond(&flow.id, confirm).await.unwrap();
    if let Some(question) = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(Event::FlowUpdate { flow }) = app.events.recv().await {
                if matches!(flow.state, FlowState::WaitingForInput | FlowState::Done) {
                    return flow;
                }
            }
        }
    })
    .await
    .ok()
    .filter(|f| f.state == FlowState::WaitingForInput)
    {
        let pin = Response::Pin {
            pin: nextauth_sdk::PinInput::new("2468"),
        };
        app.sdk.respond(&question.id, pin).await.unwrap();
        flow_in(&mut app, FlowState::Done).await;
    }

    println!("| numbers          | step              | logins | p50 (ms) | p95 (ms) | max (ms) |");
    println!("| ---------------- | ----------------- | -----: | -------: | -------: | -------: |");
    row_pair(&server, &mut app).await;
}

async fn row_pair(server: &TestServer, app: &mut App) {
    row(server, app, NumberMatching::Off, "off").await;
    row(server, app, NumberMatching::Always, "always (typed)").await;
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run());
}
