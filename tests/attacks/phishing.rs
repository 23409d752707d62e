//! Relay phishing and push fatigue (docs/security.md, "Relay phishing and push fatigue"):
//! number matching bound into what the account signs, the relay signal from what the server
//! itself saw of the browser, "This was not me" reaching the integrator, and floods of push
//! logins stopped per account.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nextauth_e2e::raw::{self, AppAccount};
use nextauth_e2e::{decode_code, App, ServerProcess, TempDir};
use nextauth_protocol::handshake::Purpose;
use nextauth_protocol::messages::{ClientRequest, ServerRecord};
use nextauth_protocol::pin::DeviceSecret;
use nextauth_protocol::qr::QrPayload;
use nextauth_sdk::{CodeSource, Event, FlowState, HistoryStatus, Interaction, NumberAsk, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const PIN: &str = "2468";

/// The victim's account, enrolled with the protocol-level app (the PIN never asked at login).
async fn victim(server: &ServerProcess) -> AppAccount {
    server
        .configure(serde_json::json!({ "pinTimeout": -1 }))
        .await;
    let QrPayload::Enrol(code) = decode_code(&server.enrol_code("signup-victim", "victim").await)
    else {
        panic!("enrol code")
    };
    let device = DeviceSecret::generate(&raw::rng()).unwrap();
    let (account, ex, reply) = raw::enrol(&code, &device, Some(PIN)).await.unwrap();
    assert_eq!(reply, ServerRecord::Accepted);
    ex.close().await;
    account
}

fn session_ref_of(server: &ServerProcess, nonce: &str) -> [u8; 16] {
    let id = nextauth_protocol::ids::ServerId::from_base64(&server.server_id).unwrap();
    nextauth_protocol::ids::SessionRef::derive(&id, nonce.as_bytes()).0
}

fn login(number: &str) -> ClientRequest {
    ClientRequest::Login {
        user_input: String::new(),
        number: number.to_owned(),
    }
}

#[tokio::test]
async fn a_number_changed_between_the_app_and_the_server_is_refused() {
    let server = ServerProcess::start().await;
    let account = victim(&server).await;
    let id = server.account_ids().await[0];
    let number = server
        .provoke_login(id, "mitm")
        .await
        .expect("push logins ask for a number");
    let session = session_ref_of(&server, "mitm");

    // Whichever byte of the app's final message a relay changes (the number is in there,
    // sealed and signed), the server refuses it and nobody is logged in.
    let mut frame_len = 0;
    for position in [0usize, 1, 8, 40, 80, 120, usize::MAX] {
        let mut ex = raw::open_known(&account, Purpose::Login, session)
            .await
            .unwrap();
        ex.finish_tampered(&account.key, &login(&number), |frame| {
            frame_len = frame.len();
            let at = position.min(frame.len() - 1);
            frame[at] ^= 0x01;
        })
        .await
        .unwrap();
        let answer = tokio::time::timeout(Duration::from_secs(5), ex.recv_raw())
            .await
            .expect("an answer or a close");
        if let Some(bytes) = answer {
            assert_eq!(
                bytes.first(),
                Some(&nextauth_protocol::handshake::frame::ALERT),
                "byte {position}: only an alert may come back"
            );
        }
        assert_eq!(
            server.session("mitm").await["loggedin"],
            false,
            "byte {position} of {frame_len}"
        );
    }
    // A relay that cannot change the number can only pass the right one on.
    let mut ex = raw::open_known(&account, Purpose::Login, session)
        .await
        .unwrap();
    ex.finish(&account.key, &login(&number)).await.unwrap();
    assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
    assert_eq!(server.session("mitm").await["loggedin"], true);
}

#[tokio::test]
async fn a_wrong_number_denies_the_login_and_is_reported() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    app.enrol(&server, "wendy", PIN).await;
    let id = server.account_ids().await[0];
    let number = server.provoke_login(id, "guess").await.expect("a number");
    let wrong = if number == "00" { "01" } else { "00" };
    assert_eq!(app.sdk.pull_messages().await.unwrap(), 1);
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    let guess = Response::Confirm {
        account_id: None,
        user_input: None,
        number: Some(wrong.into()),
    };
    app.sdk.respond(&asked.id, guess).await.unwrap();
    let failed = app.flow_in(FlowState::Error).await;
    assert_eq!(failed.error.expect("error").code, 115);
    assert_eq!(server.session("guess").await["loggedin"], false);
    let history = app.sdk.history(&Default::default()).await.unwrap();
    assert_eq!(
        (history[0].record.status, history[0].record.error_code),
        (HistoryStatus::Error, Some(115))
    );
    let reports = server
        .api(
            "GET",
            &format!("/servers/{}/fraudreports", server.server_id),
            None,
            None,
        )
        .await
        .json();
    assert_eq!(reports["reports"][0]["kind"], "number");
    // The page got a new number to show (REST, for the integrator's own page).
    let fresh = server.session("guess").await["matchnumber"]
        .as_str()
        .expect("a new number")
        .to_owned();
    assert_eq!(fresh.len(), 2);
}

/// A browser socket that reached the server through a trusted proxy which says the browser is
/// at `forwarded_for`.
async fn browser_through_proxy(
    server: &ServerProcess,
    forwarded_for: &str,
    user_agent: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!("ws://{}/ws", server.addr);
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("X-Forwarded-For", forwarded_for.parse().unwrap());
    request
        .headers_mut()
        .insert("User-Agent", user_agent.parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

/// The next `NUMBER` line's digits.
async fn number_shown(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> String {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a message within 5 s")
            .expect("open")
            .unwrap();
        if let Message::Text(text) = message {
            if let Some(rest) = text.strip_prefix("NUMBER ") {
                return rest.rsplit(' ').next().unwrap().to_owned();
            }
        }
    }
}

#[tokio::test]
async fn a_relayed_login_is_flagged_and_needs_the_typed_number() {
    // The server sits behind a proxy on this machine that tells it where browsers are.
    let data = TempDir::new("relay");
    let extra = ["--trusted-proxies", "127.0.0.1"].map(str::to_owned);
    let server = ServerProcess::start_with(data, None, &extra).await;
    let mut app = App::new().await;
    app.enrol(&server, "rita", PIN).await;

    // The attacker's browser, on another network, opens the real login page; the phishing page
    // shows its code to the victim, whose app scans it from the screen of the victim's own
    // computer.
    let code = server.login_code("relayed").await;
    let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    let mut attacker = browser_through_proxy(&server, "203.0.113.7", chrome).await;
    let hsid = base64_url(&session_ref_of(&server, "relayed"));
    attacker
        .send(Message::Text(
            format!("REGISTER {hsid} {}", server.server_id).into(),
        ))
        .await
        .unwrap();
    // The server answers a REGISTER with the session's state once it has recorded this socket
    // as the session's browser: only then may the victim's app scan.
    let answer = tokio::time::timeout(Duration::from_secs(5), attacker.next())
        .await
        .expect("REGISTER answered within 5 s")
        .expect("open")
        .unwrap();
    assert!(
        matches!(&answer, Message::Text(t) if t.starts_with("LOGOUT ")),
        "REGISTER answered with the state: {answer:?}"
    );
    let flow = app
        .sdk
        .start_qr_from(&code, CodeSource::Screen)
        .await
        .unwrap();
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    let Some(Interaction::Confirm { check, .. }) = asked.interaction else {
        panic!("a login prompt")
    };
    assert!(
        check.relay_warning,
        "another network, code from this screen"
    );
    assert_eq!(
        check.observed.ip, "203.0.113.7",
        "the proxy's word, trusted"
    );
    assert_eq!(check.observed.browser, "Chrome 131 on Windows 10");
    assert_eq!(check.observed.location, "", "no GeoIP database configured");
    assert_eq!(
        check.number,
        NumberAsk::Type { digits: 2 },
        "typed, although the policy asks no number for scans"
    );
    // The victim does not see the attacker's browser, so cannot type its number: a guess is
    // refused. (The attacker would have to relay the number too, and the warning says why.)
    let shown = number_shown(&mut attacker).await;
    let guess = if shown == "00" { "01" } else { "00" };
    let answer = Response::Confirm {
        account_id: None,
        user_input: None,
        number: Some(guess.into()),
    };
    app.sdk.respond(&flow.id, answer).await.unwrap();
    assert_eq!(app.flow_in(FlowState::Error).await.error.unwrap().code, 115);
    assert_eq!(server.session("relayed").await["loggedin"], false);

    // The same code scanned with a camera from a phone on another network: no warning (that is
    // normal), but the number is still asked, and the right one logs in.
    let flow = app
        .sdk
        .start_qr_from(&code, CodeSource::Camera)
        .await
        .unwrap();
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    let Some(Interaction::Confirm { check, .. }) = asked.interaction else {
        panic!("a login prompt")
    };
    assert!(!check.relay_warning);
    assert!(check.observed.network_differs);
    let shown = number_shown(&mut attacker).await;
    let answer = Response::Confirm {
        account_id: None,
        user_input: None,
        number: Some(shown),
    };
    app.sdk.respond(&flow.id, answer).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("relayed").await["loggedin"], true);
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A local HTTP receiver for the fraud webhook: each request's signature header and body.
async fn webhook_receiver() -> (
    std::net::SocketAddr,
    tokio::sync::mpsc::Receiver<(String, Vec<u8>)>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        // The first delivery is answered 503: the server must try again.
        let mut first = true;
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            let (head, body) = loop {
                let n = stream.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    break (String::new(), Vec::new());
                }
                raw.extend_from_slice(&buf[..n]);
                let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if raw.len() >= split + 4 + len {
                    break (head, raw[split + 4..split + 4 + len].to_vec());
                }
            };
            let signature = head
                .lines()
                .find_map(|l| l.strip_prefix("x-nextauth-signature:"))
                .unwrap_or_default()
                .trim()
                .to_owned();
            let status = if first {
                "503 Service Unavailable"
            } else {
                "200 OK"
            };
            let _ = stream
                .write_all(
                    format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await;
            if !first {
                let _ = tx.send((signature, body)).await;
            }
            first = false;
        }
    });
    (addr, rx)
}

#[tokio::test]
async fn this_was_not_me_reaches_the_integrator_and_pauses_push_logins() {
    let (hook, mut delivered) = webhook_receiver().await;
    let data = TempDir::new("notme");
    let extra = [
        "--fraud-webhook".to_owned(),
        format!("http://{hook}/fraud"),
        "--fraud-webhook-secret".to_owned(),
        "hook-secret".to_owned(),
    ];
    let server = ServerProcess::start_with(data, None, &extra).await;
    let mut app = App::new().await;
    let account = app.enrol(&server, "nina", PIN).await;
    let id = server.account_ids().await[0];

    server.provoke_login(id, "not-me").await;
    assert_eq!(app.sdk.pull_messages().await.unwrap(), 1);
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    let not_me = Response::NotMe {
        account_id: Some(account.clone()),
    };
    app.sdk.respond(&asked.id, not_me).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("not-me").await["loggedin"], false);
    let history = app.sdk.history(&Default::default()).await.unwrap();
    assert_eq!(
        history[0].record.status,
        HistoryStatus::NotMe,
        "recorded apart"
    );

    // REST lists it; the webhook gets it, signed, after one refused delivery.
    let reports = server
        .api(
            "GET",
            &format!("/servers/{}/fraudreports", server.server_id),
            None,
            None,
        )
        .await
        .json();
    assert_eq!(reports["reports"][0]["kind"], "login");
    assert_eq!(reports["reports"][0]["accountid"], id);
    let (signature, body) = tokio::time::timeout(Duration::from_secs(10), delivered.recv())
        .await
        .expect("delivered within 10 s")
        .expect("a delivery");
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"hook-secret");
    let tag = ring::hmac::sign(&key, &body);
    let expected: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(signature, format!("sha256={expected}"));
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["report"]["kind"], "login");
    assert_eq!(json["serverid"], server.server_id.as_str());

    // Further push logins to the account are paused (the owner said it was not them).
    let path = format!("/servers/{}/accounts/{id}/provokelogin", server.server_id);
    let r = server.api("POST", &path, Some("again"), None).await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.text().contains("paused"));
}

#[tokio::test]
async fn push_floods_are_limited_per_account_and_the_owner_hears_of_held_back_ones() {
    let data = TempDir::new("flood");
    let extra = ["--account-push-rate", "4/h"].map(str::to_owned);
    let server = ServerProcess::start_with(data, None, &extra).await;
    let mut app = App::new().await;
    app.enrol(&server, "otto", PIN).await;
    let id = server.account_ids().await[0];
    let path = format!("/servers/{}/accounts/{id}/provokelogin", server.server_id);

    // Three pushes nobody answers (the default hold-back after three), then the next ones
    // are held back: 409, nothing reaches the phone.
    for n in 0..3 {
        let r = server
            .api("POST", &path, Some(&format!("flood-{n}")), None)
            .await;
        assert_eq!(r.status, 200, "push {n}: {}", r.text());
    }
    for n in 3..5 {
        let r = server
            .api("POST", &path, Some(&format!("flood-{n}")), None)
            .await;
        assert_eq!(r.status, 409, "push {n} held back: {}", r.text());
        assert!(r.text().contains("held back"));
    }
    // The account's rate (4/h here) is spent by now as well, whatever the source: 429 with
    // Retry-After once the integrator resumes pushes.
    let resume = format!(
        "/servers/{}/accounts/{id}?pushpaused=false",
        server.server_id
    );
    assert_eq!(server.api("PUT", &resume, None, None).await.status, 200);
    let r = server.api("POST", &path, Some("flood-5"), None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = server.api("POST", &path, Some("flood-6"), None).await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(r.header("retry-after").is_some());

    // Next time the app connects, it hears how many were held back.
    app.sdk.pull_messages().await.unwrap();
    let told = app
        .next_event(|e| match e {
            Event::MessageReceived { message } if message.title.contains("blocked") => {
                Some(message.clone())
            }
            _ => None,
        })
        .await;
    assert!(told.title.starts_with("2 login requests"), "{}", told.title);
}

#[tokio::test]
async fn the_person_pauses_push_logins_from_the_app_and_resumes_them() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    let account = app.enrol(&server, "pia", PIN).await;
    let id = server.account_ids().await[0];
    let path = format!("/servers/{}/accounts/{id}/provokelogin", server.server_id);
    let detail = format!("/servers/{}/accounts/{id}", server.server_id);

    // A week at most: a longer pause is refused before anything is sent.
    assert!(app.sdk.pause_push(&account, 7 * 24 * 60 + 1).await.is_err());

    let until = app
        .sdk
        .pause_push(&account, 60)
        .await
        .unwrap()
        .expect("paused");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        (now + 3590..=now + 3610).contains(&until),
        "{until} vs {now}"
    );
    // The server keeps it: the integrator sees it, and push logins are refused.
    let row = server.api("GET", &detail, None, None).await.json();
    assert_eq!(row["pushpauseduntil"], until);
    let r = server.api("POST", &path, Some("paused"), None).await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.text().contains("paused"));

    // Resumed from the app: pushes reach it again.
    assert_eq!(app.sdk.pause_push(&account, 0).await.unwrap(), None);
    let row = server.api("GET", &detail, None, None).await.json();
    assert_eq!(row["pushpauseduntil"], 0);
    let r = server.api("POST", &path, Some("resumed"), None).await;
    assert_eq!(r.status, 200, "{}", r.text());

    // Both recorded in the history, newest first.
    let history = app.sdk.history(&Default::default()).await.unwrap();
    let pauses: Vec<_> = history
        .iter()
        .filter(|h| h.record.status == HistoryStatus::PushPaused)
        .map(|h| h.record.detail.as_str())
        .collect();
    assert_eq!(
        pauses,
        ["login requests resumed", "login requests paused for 60 min"]
    );
}
