//! The browser-facing parts end to end: QR and HTML endpoints, the browser WebSocket and the
//! Acme demo site, against a real server on loopback.
mod support;

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use nextauth_protocol::crypto::{Signer, SigningKey};
use nextauth_protocol::handshake::Purpose;
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::messages::{ClientRequest, ServerRecord};
use nextauth_protocol::pin::DeviceSecret;
use nextauth_protocol::qr::QrPayload;
use nextauth_server::clock::now;
use nextauth_server::state::Change;
use nextauth_server::store::accounts::{self, NewAccount};
use nextauth_server::store::sessions::{self, SessionEvent, SessionState, Transition};
use nextauth_server::store::transactions::{self, TransactionStatus};
use nextauth_server::store::{api_keys, messages};
use support::{app, Response, TestServer};
use tokio_tungstenite::tungstenite::Message;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

// ---------------------------------------------------------------- helpers

fn path(server: &TestServer, rest: &str) -> String {
    format!("/servers/{}{rest}", server.demo.serverid)
}

/// `GET` of `rest` under the demo server's API path, with the demo API key.
async fn get(server: &TestServer, rest: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    server.api("GET", &path(server, rest), headers, body).await
}

/// `GET` of `rest` under the demo server's API path for the session `nonce`, without a body.
async fn get_for(server: &TestServer, rest: &str, nonce: &str) -> Response {
    get(server, rest, &[("X-nonce", nonce)], b"").await
}

fn hsid(server: &TestServer, nonce: &str) -> SessionRef {
    SessionRef::derive(&server.server_id(), nonce.as_bytes())
}

/// Width and height from a PNG's IHDR.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(PNG_SIGNATURE), "not a PNG");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    (w, h)
}

/// Decodes the QR code in a greyscale PNG to its raw bytes.
fn scan(png_bytes: &[u8]) -> Vec<u8> {
    let decoder = png::Decoder::new(png_bytes);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    let mut out = Vec::new();
    grids[0].decode_to(&mut out).unwrap();
    out
}

/// The first inline PNG (`data:image/png;base64,…`) in an HTML text.
fn data_png(html: &str) -> Vec<u8> {
    let start = html.find("data:image/png;base64,").expect("data URI") + 22;
    let end = start + html[start..].find('"').unwrap();
    STANDARD.decode(&html[start..end]).unwrap()
}

async fn new_account(server: &TestServer, userid: &str) -> i64 {
    let (key, _) = SigningKey::generate(&server.state.rng).unwrap();
    let new = NewAccount {
        server_id: server.server_id(),
        public_key: key.public_key(),
        userid: Some(userid.into()),
        display_name: userid.into(),
        description: "test phone".into(),
        push_key: &[9u8; 32],
        pin_verifier: None,
    };
    accounts::create(
        &server.state.db,
        &server.state.master,
        &server.state.rng,
        new,
        now(),
    )
    .await
    .unwrap()
}

async fn set_state(
    server: &TestServer,
    nonce: &str,
    state: SessionState,
    event: SessionEvent,
    account: Option<i64>,
    notify: bool,
) {
    let (id, session) = (server.server_id(), hsid(server, nonce));
    let t = Transition {
        state,
        event,
        account_id: account,
        user_input: None,
    };
    sessions::transition(&server.state.db, &id, &session, SessionState::ALL, t, now())
        .await
        .unwrap();
    if notify {
        server.state.notify(Change::Session(id, session));
    }
}

async fn browser(server: &TestServer) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr))
        .await
        .unwrap();
    ws
}

async fn say(ws: &mut Ws, kind: &str, server: &TestServer, nonce: &str) {
    let line = format!(
        "{kind} {} {}",
        hsid(server, nonce).to_base64(),
        server.demo.serverid
    );
    ws.send(Message::Text(line.into())).await.unwrap();
}

/// The words of the next text message (within 5 s), after checking that it names the session
/// of `nonce` and has `count` words.
async fn hear_words(ws: &mut Ws, server: &TestServer, nonce: &str, count: usize) -> Vec<String> {
    let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("a message within 5 s")
        .expect("socket open")
        .unwrap();
    let Message::Text(text) = message else {
        panic!("expected text, got {message:?}")
    };
    let words: Vec<String> = text.split(' ').map(str::to_owned).collect();
    assert_eq!(words.len(), count, "{text}");
    assert_eq!(words[1], hsid(server, nonce).to_base64());
    assert_eq!(words[2], server.demo.serverid);
    words
}

/// The next text message's type, after checking that it names the session.
async fn hear(ws: &mut Ws, server: &TestServer, nonce: &str) -> String {
    hear_words(ws, server, nonce, 3).await.swap_remove(0)
}

/// The next text message, which carries a value after the session (`NUMBER`, `NOPUSH`):
/// its type and value.
async fn hear_value(ws: &mut Ws, server: &TestServer, nonce: &str) -> (String, String) {
    let mut words = hear_words(ws, server, nonce, 4).await;
    let value = words.swap_remove(3);
    (words.swap_remove(0), value)
}

async fn silent(ws: &mut Ws, millis: u64) {
    if let Ok(message) = tokio::time::timeout(Duration::from_millis(millis), ws.next()).await {
        panic!("expected silence, got {message:?}");
    }
}

/// Ensures the session of `nonce` exists (as a website does when it shows a code).
async fn qr_login(server: &TestServer, nonce: &str) -> Response {
    server
        .api(
            "GET",
            &path(server, "/sessions/qr/login"),
            &[("X-nonce", nonce)],
            b"",
        )
        .await
}

// ---------------------------------------------------------------- QR endpoints

#[tokio::test]
async fn login_qr_raw_and_png_carry_the_session() {
    let server = TestServer::start().await;
    let raw = qr_login(&server, "nonce-qr-1").await;
    assert_eq!(raw.status, 200, "{}", raw.text());
    assert_eq!(raw.header("content-type"), Some("application/octet-stream"));
    let QrPayload::Login(code) = QrPayload::decode(&raw.body, now()).unwrap() else {
        panic!("not a login code")
    };
    assert_eq!(code.server_id, server.server_id());
    assert_eq!(code.session_ref, hsid(&server, "nonce-qr-1"));

    let png = get_for(&server, "/sessions/qr/login/?img=png&s=300", "nonce-qr-1").await;
    assert_eq!(png.status, 200);
    assert_eq!(png.header("content-type"), Some("image/png"));
    let (w, h) = png_size(&png.body);
    assert_eq!(w, h);
    assert!(w.abs_diff(300) <= 30, "about 300 px, got {w}");
    assert_eq!(scan(&png.body), raw.body, "the image holds the raw bytes");

    let default = get_for(&server, "/sessions/qr/login?img=PNG", "nonce-qr-1").await;
    assert!(png_size(&default.body).0.abs_diff(500) <= 30);
    let tiny = get_for(&server, "/sessions/qr/login?img=png&s=5", "nonce-qr-1").await;
    assert!(png_size(&tiny.body).0 >= 90, "clamped to at least 100");
    let bad = get_for(&server, "/sessions/qr/login?img=png&s=big", "nonce-qr-1").await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn login_qr_keeps_the_user_context() {
    let server = TestServer::start().await;
    let body =
        br#"{"announceinfo":{"info":{"Action":"Sign in"}},"sessioninfo":{"ip":"192.0.2.7"}}"#;
    let r = get(&server, "/sessions/qr/login", &[("X-nonce", "ctx")], body).await;
    assert_eq!(r.status, 200);
    let row = sessions::get(&server.state.db, &server.server_id(), &hsid(&server, "ctx"))
        .await
        .unwrap()
        .unwrap();
    assert!(row.announce.contains("Sign in") && row.announce.contains("192.0.2.7"));
    let r = get(
        &server,
        "/sessions/qr/login",
        &[("X-nonce", "ctx")],
        b"[1,2",
    )
    .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn enrol_qr_needs_a_name_and_carries_it() {
    let server = TestServer::start().await;
    let nonce = [("X-nonce", "enrol-1")];
    let r = server
        .api("GET", &path(&server, "/sessions/qr/enrol"), &nonce, b"")
        .await;
    assert_eq!(r.status, 400, "name is required");
    let long = format!("/sessions/qr/enrol?name={}", "x".repeat(65));
    let r = server.api("GET", &path(&server, &long), &nonce, b"").await;
    assert_eq!(r.status, 400, "name too long");

    let r = get(
        &server,
        "/sessions/qr/enrol/?name=Alice%20B&userid=alice",
        &nonce,
        b"",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let QrPayload::Enrol(code) = QrPayload::decode(&r.body, now()).unwrap() else {
        panic!("not an enrol code")
    };
    assert_eq!(code.display_name, "Alice B");
    assert_eq!(code.session_ref, hsid(&server, "enrol-1"));

    let png = get(
        &server,
        "/sessions/qr/enrol?name=Alice&img=png&s=400",
        &nonce,
        b"",
    )
    .await;
    assert_eq!(png.header("content-type"), Some("image/png"));
    assert!(png_size(&png.body).0.abs_diff(400) <= 40);
    let QrPayload::Enrol(code) = QrPayload::decode(&scan(&png.body), now()).unwrap() else {
        panic!("not an enrol code")
    };
    assert_eq!(code.display_name, "Alice");
}

#[tokio::test]
async fn qr_and_html_endpoints_check_the_caller() {
    let server = TestServer::start().await;
    let weak = api_keys::create(&server.state.db, &server.state.rng, "weak", "no acl", now())
        .await
        .unwrap();
    for rest in [
        "/sessions/qr/login",
        "/sessions/qr/enrol?name=a",
        "/sessions/html/login",
        "/sessions/html/enrol?name=a",
        "/sessions/html/footer",
    ] {
        let p = path(&server, rest);
        let r = server.request("GET", &p, &[("X-nonce", "n")], b"").await;
        assert_eq!(r.status, 401, "{rest} without a key");
        let r = server
            .request("GET", &p, &[("X-apikey", "wrong"), ("X-nonce", "n")], b"")
            .await;
        assert_eq!(r.status, 401, "{rest} with an unknown key");
        let r = server
            .request("GET", &p, &[("X-apikey", &weak), ("X-nonce", "n")], b"")
            .await;
        assert_eq!(r.status, 403, "{rest} without the sessions permission");
        let r = server.api("GET", &p, &[], b"").await;
        assert_eq!(r.status, 400, "{rest} without X-nonce");
        assert_eq!(r.json()["code"], 400);
    }
    let unknown = format!(
        "/servers/{}/sessions/qr/login",
        ServerId([3; 16]).to_base64()
    );
    let r = server.api("GET", &unknown, &[("X-nonce", "n")], b"").await;
    assert_eq!(r.status, 404);
    let r = server
        .api(
            "GET",
            "/servers/!!/sessions/qr/login",
            &[("X-nonce", "n")],
            b"",
        )
        .await;
    assert_eq!(r.status, 400, "a malformed server id is bad input");
}

#[tokio::test]
async fn vash_is_the_params_hash_picture() {
    let server = TestServer::start().await;
    let r = server
        .request("GET", &path(&server, "/vash"), &[], b"")
        .await;
    assert_eq!(r.status, 401);
    let r = server.api("GET", &path(&server, "/vash/"), &[], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/png"));
    let row = server.demo_server().await;
    let key = row
        .signing_key(&server.state.master, &server.state.rng)
        .unwrap();
    let hash = row.signed_params(&key, &server.state.rng).unwrap().hash();
    assert_eq!(r.body, nextauth_protocol::vash::png(&hash, 8));
    assert_eq!(png_size(&r.body), (72, 72));
}

// ---------------------------------------------------------------- HTML blocks

#[tokio::test]
async fn html_login_block_has_the_code_and_the_app_name() {
    let server = TestServer::start().await;
    let r = get_for(&server, "/sessions/html/login", "html-1").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    let html = r.text();
    assert!(
        html.contains("class=\"nextauth-block nextauth-login\""),
        "{html}"
    );
    assert!(html.contains("Log in with nextAuth"));
    assert!(
        html.contains("data-nextauth-provoke hidden"),
        "no push without a last account"
    );
    assert!(
        !html.contains("data-nextauth-mobile"),
        "no app link without appurl"
    );
    let QrPayload::Login(code) = QrPayload::decode(&scan(&data_png(&html)), now()).unwrap() else {
        panic!("not a login code")
    };
    assert_eq!(code.session_ref, hsid(&server, "html-1"));
    assert!(html.contains(&format!(
        "data-nextauth-hsid=\"{}\"",
        code.session_ref.to_base64()
    )));
    let text = html
        .split("readonly value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the code as text");
    let bytes = URL_SAFE_NO_PAD
        .decode(text.strip_prefix("nextauth:").expect("app URI"))
        .unwrap();
    assert_eq!(
        QrPayload::decode(&bytes, now()).unwrap(),
        QrPayload::Login(code.clone())
    );

    server
        .configure(|s| {
            s.appname = "Acme <Key>".into();
            s.appurl = "acmekey".into();
        })
        .await;
    let account = new_account(&server, "bob").await;
    set_state(
        &server,
        "html-1",
        SessionState::LoggedIn,
        SessionEvent::Login,
        Some(account),
        false,
    )
    .await;
    // Declined in the app: the session waits for a login again, and the account that was
    // logged in can be sent a push login.
    set_state(
        &server,
        "html-1",
        SessionState::Cancelled,
        SessionEvent::Cancel,
        None,
        false,
    )
    .await;
    let html = get_for(&server, "/sessions/html/login/", "html-1")
        .await
        .text();
    assert!(html.contains("Log in with Acme &lt;Key&gt;"), "{html}");
    assert!(!html.contains("nextAuth"));
    assert!(!html.contains("<Key>"), "the app name is escaped");
    assert!(
        html.contains("data-nextauth-provoke>"),
        "push button shown: {html}"
    );
    assert!(html.contains("href=\"acmekey:"), "app-to-app link: {html}");
}

#[tokio::test]
async fn html_enrol_block_and_footer() {
    let server = TestServer::start().await;
    let r = get_for(
        &server,
        "/sessions/html/enrol?name=Carol&userid=carol",
        "html-2",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let html = r.text();
    assert!(html.contains("nextauth-block nextauth-enrol"));
    assert!(html.contains("class=\"nextauth-vash\""));
    // As large as the app shows it, so the two are compared at a glance; and the footer knows
    // when the code expires.
    assert!(html.contains("width=\"128\" height=\"128\""), "{html}");
    assert!(html.contains("data-nextauth-ttl=\"600\""));
    let QrPayload::Enrol(code) = QrPayload::decode(&scan(&data_png(&html)), now()).unwrap() else {
        panic!("not an enrol code")
    };
    assert_eq!(code.display_name, "Carol");

    let r = get_for(&server, "/sessions/html/footer", "html-2").await;
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(html.contains("id=\"nextauth-config\""));
    assert!(html.contains("REGISTER "));
    assert!(html.contains(&hsid(&server, "html-2").to_base64()));
    assert!(html.contains(&format!("ws://{}/ws", server.addr)));

    // Extra sessions from the body (base64 of the nonce), with or without X-nonce.
    let body = format!(
        r#"{{"sessions":[{{"serverid":"{}","sessionid":"{}"}}]}}"#,
        server.demo.serverid,
        STANDARD.encode("other-nonce")
    );
    let r = get(&server, "/sessions/html/footer", &[], body.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains(&hsid(&server, "other-nonce").to_base64()));
    let many: Vec<String> = (0..17)
        .map(|i| {
            format!(
                r#"{{"serverid":"{}","sessionid":"{}"}}"#,
                server.demo.serverid,
                STANDARD.encode(format!("n{i}"))
            )
        })
        .collect();
    let body = format!(r#"{{"sessions":[{}]}}"#, many.join(","));
    let r = get(&server, "/sessions/html/footer", &[], body.as_bytes()).await;
    assert_eq!(r.status, 400, "at most 16 sessions");
}

// ---------------------------------------------------------------- browser WebSocket

#[tokio::test]
async fn browser_follows_a_login() {
    let server = TestServer::start().await;
    let nonce = "ws-login";
    assert_eq!(qr_login(&server, nonce).await.status, 200);
    let mut ws = browser(&server).await;
    say(&mut ws, "REGISTER", &server, nonce).await;
    assert_eq!(hear(&mut ws, &server, nonce).await, "LOGOUT");
    silent(&mut ws, 700).await;

    set_state(
        &server,
        nonce,
        SessionState::Scanned,
        SessionEvent::ConfirmScan,
        None,
        true,
    )
    .await;
    assert_eq!(hear(&mut ws, &server, nonce).await, "CONFIRMSCAN");
    let account = new_account(&server, "dave").await;
    set_state(
        &server,
        nonce,
        SessionState::LoggedIn,
        SessionEvent::Login,
        Some(account),
        true,
    )
    .await;
    assert_eq!(hear(&mut ws, &server, nonce).await, "LOGIN");

    // Changes made by another process (no in-process notification) arrive by polling.
    set_state(
        &server,
        nonce,
        SessionState::LoggedOut,
        SessionEvent::Logout,
        None,
        false,
    )
    .await;
    assert_eq!(hear(&mut ws, &server, nonce).await, "LOGOUT");
    assert_eq!(hear(&mut ws, &server, nonce).await, "CANPROVOKE");

    // A second REGISTER answers with the current state again.
    say(&mut ws, "REGISTER", &server, nonce).await;
    assert_eq!(hear(&mut ws, &server, nonce).await, "LOGOUT");
    assert_eq!(hear(&mut ws, &server, nonce).await, "CANPROVOKE");
}

#[tokio::test]
async fn browser_push_login_and_logout() {
    let server = TestServer::start().await;
    let nonce = "ws-provoke";
    assert_eq!(qr_login(&server, nonce).await.status, 200);
    let account = new_account(&server, "erin").await;
    set_state(
        &server,
        nonce,
        SessionState::LoggedIn,
        SessionEvent::Login,
        Some(account),
        true,
    )
    .await;

    let mut ws = browser(&server).await;
    say(&mut ws, "REGISTER", &server, nonce).await;
    assert_eq!(hear(&mut ws, &server, nonce).await, "LOGIN");
    // LOGOUT needs the page's token: the session reference (in every login code) is not
    // enough, and neither is a wrong token.
    let (id, session) = (server.server_id(), hsid(&server, nonce));
    let logout = |token: &str| {
        format!(
            "LOGOUT {} {} {token}",
            session.to_base64(),
            server.demo.serverid
        )
    };
    say(&mut ws, "LOGOUT", &server, nonce).await;
    ws.send(Message::Text(logout("AAAAAAAAAAAAAAAAAAAAAA").into()))
        .await
        .unwrap();
    silent(&mut ws, 500).await;
    let row = sessions::get(&server.state.db, &id, &session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, SessionState::LoggedIn);
    let token = nextauth_server::web::browser_ws::logout_token(&server.state, &id, &session);
    ws.send(Message::Text(logout(&token).into())).await.unwrap();
    assert_eq!(hear(&mut ws, &server, nonce).await, "LOGOUT");
    assert_eq!(hear(&mut ws, &server, nonce).await, "CANPROVOKE");
    let row = sessions::get(&server.state.db, &id, &session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, SessionState::LoggedOut);

    say(&mut ws, "PROVOKE", &server, nonce).await;
    // Number matching (policy `push`): the page shows the number the app will ask for.
    let (kind, number) = hear_value(&mut ws, &server, nonce).await;
    assert_eq!(kind, "NUMBER");
    assert!(number.len() == 2 && number.bytes().all(|b| b.is_ascii_digit()));
    silent(&mut ws, 300).await;
    let queued = messages::pending(&server.state.db, account, now(), 10)
        .await
        .unwrap();
    assert_eq!(queued.len(), 1, "the push login is queued for the account");
    // The app picks the request up (the app endpoint sets this event on its hello).
    sessions::signal(
        &server.state.db,
        &id,
        &session,
        SessionEvent::ConfirmProvoke,
        now(),
    )
    .await
    .unwrap();
    server.state.notify(Change::Session(id, session));
    assert_eq!(hear(&mut ws, &server, nonce).await, "CONFIRMPROVOKE");

    // A second push within the interval sends nothing and the page keeps waiting for the
    // first, which is still on its way: no flood of the account's phone.
    say(&mut ws, "PROVOKE", &server, nonce).await;
    silent(&mut ws, 300).await;
    let queued = messages::pending(&server.state.db, account, now(), 10)
        .await
        .unwrap();
    assert_eq!(queued.len(), 1);

    // Later, with push logins paused (its owner said "This was not me"), the page says why.
    sqlx::query("UPDATE accounts SET lastprovoke = 0")
        .execute(&server.state.db.pool)
        .await
        .unwrap();
    nextauth_server::store::accounts::block_pushes(&server.state.db, account, now() + 3600)
        .await
        .unwrap();
    say(&mut ws, "PROVOKE", &server, nonce).await;
    assert_eq!(
        hear_value(&mut ws, &server, nonce).await,
        ("NOPUSH".to_owned(), "paused".to_owned())
    );
}

#[tokio::test]
async fn a_push_that_sends_nothing_says_why() {
    // Two push requests a minute from one address (the REST provoke rate applies to the
    // browser's PROVOKE as well).
    let server = TestServer::start_with(|c| {
        c.limits.provoke_rate = Some(nextauth_server::Rate {
            count: 2,
            per: Duration::from_secs(60),
        })
    })
    .await;
    let mut ws = browser(&server).await;

    // A session no account logged into: nobody to push to.
    let nobody = "ws-nopush-none";
    assert_eq!(qr_login(&server, nobody).await.status, 200);
    say(&mut ws, "REGISTER", &server, nobody).await;
    assert_eq!(hear(&mut ws, &server, nobody).await, "LOGOUT");
    say(&mut ws, "PROVOKE", &server, nobody).await;
    assert_eq!(
        hear_value(&mut ws, &server, nobody).await,
        ("NOPUSH".to_owned(), "none".to_owned())
    );
    say(&mut ws, "PROVOKE", &server, nobody).await;
    assert_eq!(hear_value(&mut ws, &server, nobody).await.1, "none");
    // The third from this address within the minute: too many, whatever the session.
    say(&mut ws, "PROVOKE", &server, nobody).await;
    assert_eq!(
        hear_value(&mut ws, &server, nobody).await,
        ("NOPUSH".to_owned(), "rate".to_owned())
    );
}

/// The session's reference as the app sends it in a hello.
fn reference(server: &TestServer, nonce: &str) -> [u8; 16] {
    hsid(server, nonce).0
}

#[tokio::test]
async fn the_browser_hears_every_outcome_of_a_scan() {
    // Issue 10: a page must never keep saying "Code scanned" after the exchange ended.
    let server = TestServer::start().await;
    let r = server.request("GET", "/signup?name=Olga", &[], b"").await;
    let code = app::enrol_code(QrPayload::decode(&scan(&data_png(&r.text())), now()).unwrap());
    let device = DeviceSecret::from_bytes([9; 32]);
    let (account, ex, reply) = app::enrol(&code, &device, Some("2468")).await.unwrap();
    assert_eq!(reply, ServerRecord::Accepted);
    ex.close().await;

    let nonce = "outcomes";
    assert_eq!(qr_login(&server, nonce).await.status, 200);
    let mut ws = browser(&server).await;
    say(&mut ws, "REGISTER", &server, nonce).await;
    assert_eq!(hear(&mut ws, &server, nonce).await, "LOGOUT");
    let scan_again = |account| app::open_known(account, Purpose::Login, reference(&server, nonce));

    // The person refuses in the app.
    let mut ex = scan_again(&account).await.unwrap();
    assert_eq!(hear(&mut ws, &server, nonce).await, "CONFIRMSCAN");
    ex.abort(nextauth_protocol::handshake::AbortReason::Declined)
        .await;
    assert_eq!(hear(&mut ws, &server, nonce).await, "CANCEL");

    // The app cannot accept what the server sent (its own check failed): an error, not a no.
    let mut ex = scan_again(&account).await.unwrap();
    assert_eq!(hear(&mut ws, &server, nonce).await, "CONFIRMSCAN");
    ex.abort(nextauth_protocol::handshake::AbortReason::Rejected)
        .await;
    assert_eq!(hear(&mut ws, &server, nonce).await, "ERROR");

    // The app goes away (closed, crashed, lost its network) before it answers.
    let ex = scan_again(&account).await.unwrap();
    assert_eq!(hear(&mut ws, &server, nonce).await, "CONFIRMSCAN");
    ex.close().await;
    assert_eq!(hear(&mut ws, &server, nonce).await, "ERROR");

    // The server refuses the login (an account it does not know).
    let mut ex = scan_again(&account).await.unwrap();
    assert_eq!(hear(&mut ws, &server, nonce).await, "CONFIRMSCAN");
    let (stranger, _) = SigningKey::generate(&app::rng()).unwrap();
    let login = ClientRequest::Login {
        user_input: String::new(),
        number: String::new(),
    };
    ex.finish(&stranger, &login).await.unwrap();
    assert!(matches!(
        ex.recv().await,
        Some(ServerRecord::Refused { code: 48 })
    ));
    assert_eq!(hear(&mut ws, &server, nonce).await, "ERROR");

    // The PIN is blocked while the page waits: the login ends without one.
    server.configure(|s| s.profile.pin_timeout = 0).await;
    let mut ex = scan_again(&account).await.unwrap();
    assert_eq!(hear(&mut ws, &server, nonce).await, "CONFIRMSCAN");
    ex.finish(&account.key, &login).await.unwrap();
    loop {
        match ex.recv().await {
            Some(ServerRecord::PinRequired { .. } | ServerRecord::PinWrong { .. }) => {
                app::prove_pin(&mut ex, &device, "0000", &account).await
            }
            Some(ServerRecord::PinBlocked) => break,
            other => panic!("expected a PIN question, got {other:?}"),
        }
    }
    assert_eq!(hear(&mut ws, &server, nonce).await, "ERROR");

    // After each of these the code works again: the session waits for a login.
    let row = sessions::get(&server.state.db, &server.server_id(), &hsid(&server, nonce))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, SessionState::New);

    // An enrol code that expired while it was shown.
    let enrol_nonce = "outcomes-enrol";
    let r = get_for(&server, "/sessions/qr/enrol?name=late", enrol_nonce).await;
    assert_eq!(r.status, 200);
    let late = app::enrol_code(QrPayload::decode(&r.body, now()).unwrap());
    say(&mut ws, "REGISTER", &server, enrol_nonce).await;
    assert_eq!(hear(&mut ws, &server, enrol_nonce).await, "LOGOUT");
    sqlx::query("UPDATE enrol_codes SET expires = 0")
        .execute(&server.state.db.pool)
        .await
        .unwrap();
    let (_, _, reply) = app::enrol(&late, &device, Some("2468")).await.unwrap();
    assert_eq!(reply, ServerRecord::Refused { code: 41 });
    // The scan and its refusal come within a millisecond; the page reads the session's latest
    // state, so under load it may only ever see the outcome. The outcome is what must arrive.
    let mut event = hear(&mut ws, &server, enrol_nonce).await;
    if event == "CONFIRMSCAN" {
        event = hear(&mut ws, &server, enrol_nonce).await;
    }
    assert_eq!(event, "EXPIRED");
}

#[tokio::test]
async fn browser_socket_is_bounded() {
    let server = TestServer::start().await;
    let mut ws = browser(&server).await;
    // Garbage is ignored.
    ws.send(Message::Text("HELLO there".into())).await.unwrap();
    ws.send(Message::Text("REGISTER !! ??".into()))
        .await
        .unwrap();
    silent(&mut ws, 300).await;
    for i in 0..17 {
        say(&mut ws, "REGISTER", &server, &format!("bound-{i}")).await;
    }
    for i in 0..16 {
        assert_eq!(
            hear(&mut ws, &server, &format!("bound-{i}")).await,
            "LOGOUT"
        );
    }
    silent(&mut ws, 300).await;
    ws.send(Message::Text("x".repeat(10_000).into()))
        .await
        .unwrap();
    let end = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap();
    assert!(
        matches!(end, None | Some(Err(_)) | Some(Ok(Message::Close(_)))),
        "an oversized message closes the socket: {end:?}"
    );
}

#[tokio::test]
async fn one_change_wakes_only_the_sockets_that_follow_it() {
    let server = TestServer::start().await;
    let (watched, other) = ("hub-watched", "hub-other");
    let mut followers = Vec::new();
    for _ in 0..20 {
        let mut ws = browser(&server).await;
        say(&mut ws, "REGISTER", &server, watched).await;
        assert_eq!(hear(&mut ws, &server, watched).await, "LOGOUT");
        followers.push(ws);
    }
    let mut bystander = browser(&server).await;
    say(&mut bystander, "REGISTER", &server, other).await;
    assert_eq!(hear(&mut bystander, &server, other).await, "LOGOUT");
    assert_eq!(server.state.watchers.followed_sessions(), 2);

    // Made in this process (announced) and then by "another process" (found by the poll).
    assert_eq!(qr_login(&server, watched).await.status, 200);
    set_state(
        &server,
        watched,
        SessionState::Scanned,
        SessionEvent::ConfirmScan,
        None,
        true,
    )
    .await;
    for ws in &mut followers {
        assert_eq!(hear(ws, &server, watched).await, "CONFIRMSCAN");
    }
    set_state(
        &server,
        watched,
        SessionState::New,
        SessionEvent::Cancel,
        None,
        false,
    )
    .await;
    for ws in &mut followers {
        assert_eq!(hear(ws, &server, watched).await, "CANCEL");
    }
    silent(&mut bystander, 700).await;

    // Closed sockets leave the hub.
    for ws in followers.iter_mut().chain([&mut bystander]) {
        ws.close(None).await.unwrap();
    }
    drop((followers, bystander));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while server.state.watchers.followed_sessions() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the hub still follows closed sockets' sessions"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------- demo site

fn cookie_of(r: &Response) -> String {
    let set = r.header("set-cookie").expect("set-cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    set.split(';').next().unwrap().to_owned()
}

/// The nonce in a `acme_sid=nonce.tag` cookie.
fn nonce_of(cookie: &str) -> String {
    let value = cookie.split_once('=').unwrap().1;
    value.split_once('.').expect("nonce.tag").0.to_owned()
}

/// Logs the test app's account into the session of `nonce` (the code was scanned, or a push
/// login was approved); returns the server's last answer.
/// Logs the account into the session of `nonce`, giving `number` (what the browser shows;
/// `""` when it shows none).
async fn app_login(
    server: &TestServer,
    account: &app::AppAccount,
    nonce: &str,
    number: &str,
) -> ServerRecord {
    let mut ex = app::open_known(account, Purpose::Login, hsid(server, nonce).0)
        .await
        .expect("the session accepts a login");
    let request = ClientRequest::Login {
        user_input: String::new(),
        number: number.to_owned(),
    };
    ex.finish(&account.key, &request).await.unwrap();
    ex.recv().await.expect("an answer")
}

#[tokio::test]
async fn demo_pages_without_login() {
    let server = TestServer::start().await;
    let home = server.request("GET", "/", &[], b"").await;
    assert_eq!(home.status, 200);
    assert!(home
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let html = home.text();
    assert!(
        html.contains("Acme")
            && html.contains("href=\"/signup\"")
            && html.contains("href=\"/login\"")
    );
    assert!(
        html.contains("id=\"nextauth-config\""),
        "the footer follows the session"
    );
    let cookie = cookie_of(&home);
    let signup = server
        .request("GET", "/signup", &[("Cookie", &cookie)], b"")
        .await;
    assert!(
        signup.text().contains(" autofocus>"),
        "the name field has focus"
    );

    let r = server
        .request("GET", "/account", &[("Cookie", &cookie)], b"")
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/login"));

    let r = server
        .request("GET", "/login", &[("Cookie", &cookie)], b"")
        .await;
    assert_eq!(r.status, 200);
    assert!(r.header("set-cookie").is_none(), "the cookie is kept");
    let html = r.text();
    assert!(html.contains("nextauth-block"));
    let nonce = nonce_of(&cookie);
    let QrPayload::Login(code) = QrPayload::decode(&scan(&data_png(&html)), now()).unwrap() else {
        panic!("not a login code")
    };
    assert_eq!(
        code.session_ref,
        hsid(&server, &nonce),
        "the cookie's nonce is the session"
    );

    let r = server.request("GET", "/signup", &[], b"").await;
    assert!(r.text().contains("<form") && r.text().contains("name=\"name\""));
    let r = server
        .request("GET", "/signup?name=%3Cscript%3E", &[], b"")
        .await;
    let html = r.text();
    assert!(html.contains("class=\"error\""));
    assert!(html.contains("value=\"&lt;script&gt;\"") && !html.contains("<script>\""));
    let r = server.request("GET", "/acme-logo.png", &[], b"").await;
    assert!(r.body.starts_with(PNG_SIGNATURE));
}

#[tokio::test]
async fn demo_signup_login_and_transfer_end_to_end() {
    let server = TestServer::start().await;
    let r = server.request("GET", "/signup?name=Frank", &[], b"").await;
    assert_eq!(r.status, 200);
    let cookie = cookie_of(&r);
    let html = r.text();
    assert!(html.contains("nextauth-enrol"));
    let payload = QrPayload::decode(&scan(&data_png(&html)), now()).unwrap();
    let code = app::enrol_code(payload);
    assert_eq!(code.display_name, "Frank");

    // The page follows its session: the browser sees the app scan and log in.
    let nonce = nonce_of(&cookie);
    let mut ws = browser(&server).await;
    say(&mut ws, "REGISTER", &server, &nonce).await;
    assert_eq!(hear(&mut ws, &server, &nonce).await, "LOGOUT");
    let device = DeviceSecret::from_bytes([5; 32]);
    let (account, ex, reply) = app::enrol(&code, &device, Some("1357")).await.unwrap();
    assert_eq!(reply, ServerRecord::Accepted);
    ex.close().await;
    assert_eq!(hear(&mut ws, &server, &nonce).await, "CONFIRMSCAN");
    assert_eq!(hear(&mut ws, &server, &nonce).await, "LOGIN");

    // The first page after the login moves it to a new cookie: the nonce known before the
    // login (by whoever fixed it) is worth nothing afterwards.
    let r = server
        .request("GET", "/account", &[("Cookie", &cookie)], b"")
        .await;
    assert_eq!(r.status, 200);
    let before = cookie.clone();
    let cookie = cookie_of(&r);
    assert_ne!(cookie, before);
    let html = r.text();
    assert!(
        html.contains("Hello, frank") && html.contains("Frank"),
        "{html}"
    );
    assert!(html.contains("Approve a transfer"));
    let r = server
        .request("GET", "/account", &[("Cookie", &before)], b"")
        .await;
    assert_eq!(r.status, 303, "the old cookie is logged out");
    let nonce = nonce_of(&cookie);
    say(&mut ws, "REGISTER", &server, &nonce).await;
    assert_eq!(hear(&mut ws, &server, &nonce).await, "LOGIN");
    // A cookie the site did not issue is a new visitor.
    let forged = format!("acme_sid={nonce}");
    let r = server
        .request("GET", "/account", &[("Cookie", &forged)], b"")
        .await;
    assert_eq!(r.status, 303);
    let r = server.request("GET", "/signup?name=FRANK", &[], b"").await;
    assert!(r.text().contains("taken"), "a user id enrols once");

    let form = b"amount=EUR+12.50&beneficiary=Bob%27s+Bikes&description=Invoice+7";
    let r = server
        .request(
            "POST",
            "/account/transfer",
            &[
                ("Cookie", &cookie),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            form,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let location = r.header("location").unwrap().to_owned();
    let tid = location.strip_prefix("/account?tx=").expect("tx location");
    let r = server
        .request("GET", &location, &[("Cookie", &cookie)], b"")
        .await;
    let html = r.text();
    assert!(html.contains("Bob's Bikes") && html.contains("Waiting for the app"));
    let QrPayload::Transaction(tx) = QrPayload::decode(&scan(&data_png(&html)), now()).unwrap()
    else {
        panic!("not a transaction code")
    };
    assert_eq!(tx.transaction_ref.to_base64(), tid);
    let status = format!("/account/transfer/{tid}");
    let r = server
        .request("GET", &status, &[("Cookie", &cookie)], b"")
        .await;
    assert_eq!(r.json()["status"], "new");
    let r = server.request("GET", &status, &[], b"").await;
    assert_eq!(r.status, 404, "another visitor cannot see it");

    // The page shows the number the app asks for (number matching).
    let number = html
        .split("data-match-number>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the page shows the number")
        .to_owned();
    assert_eq!(number.len(), 2);

    // The app approves with it (PIN due for transactions on the demo server).
    let mut ex = app::open_known(&account, Purpose::Transaction, tx.transaction_ref.0)
        .await
        .unwrap();
    let approve = ClientRequest::Transaction {
        approve: true,
        number,
    };
    ex.finish(&account.key, &approve).await.unwrap();
    if let Some(ServerRecord::PinRequired { .. }) = ex.recv().await {
        app::prove_pin(&mut ex, &device, "1357", &account).await;
        assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
    }
    let stored = transactions::get(&server.state.db, &server.server_id(), &tx.transaction_ref)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, TransactionStatus::Approved);
    let r = server
        .request("GET", &status, &[("Cookie", &cookie)], b"")
        .await;
    assert_eq!(r.json()["status"], "approved");

    // Logging out from the site: the browser hears it, the account page is closed, and the
    // visitor gets a new session that offers the push button.
    let r = server
        .request("POST", "/logout", &[("Cookie", &cookie)], b"")
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/"));
    let logged_out = cookie.clone();
    let cookie = cookie_of(&r);
    assert_eq!(hear(&mut ws, &server, &nonce).await, "LOGOUT");
    assert_eq!(hear(&mut ws, &server, &nonce).await, "CANPROVOKE");
    for c in [&logged_out, &cookie] {
        let r = server
            .request("GET", "/account", &[("Cookie", c)], b"")
            .await;
        assert_eq!(r.status, 303);
    }
    let r = server
        .request("GET", "/login", &[("Cookie", &cookie)], b"")
        .await;
    assert!(
        r.text().contains("data-nextauth-provoke>"),
        "the push button is offered after a logout"
    );

    // Log in again by scanning the new code.
    let nonce = nonce_of(&cookie);
    say(&mut ws, "REGISTER", &server, &nonce).await;
    assert_eq!(hear(&mut ws, &server, &nonce).await, "LOGOUT");
    assert_eq!(hear(&mut ws, &server, &nonce).await, "CANPROVOKE");
    assert_eq!(
        app_login(&server, &account, &nonce, "").await,
        ServerRecord::Accepted
    );
    // A socket reports the session as it finds it: a scan that logged in before the socket
    // looked arrives as LOGIN alone.
    let mut heard = hear(&mut ws, &server, &nonce).await;
    if heard == "CONFIRMSCAN" {
        heard = hear(&mut ws, &server, &nonce).await;
    }
    assert_eq!(heard, "LOGIN");
    let r = server
        .request("GET", "/account", &[("Cookie", &cookie)], b"")
        .await;
    assert_eq!(r.status, 200);
    let cookie = cookie_of(&r);

    // Out, and in again by push: the site's button sends PROVOKE, the app approves.
    let r = server
        .request("POST", "/logout", &[("Cookie", &cookie)], b"")
        .await;
    let cookie = cookie_of(&r);
    let nonce = nonce_of(&cookie);
    say(&mut ws, "REGISTER", &server, &nonce).await;
    assert_eq!(hear(&mut ws, &server, &nonce).await, "LOGOUT");
    assert_eq!(hear(&mut ws, &server, &nonce).await, "CANPROVOKE");
    say(&mut ws, "PROVOKE", &server, &nonce).await;
    let (kind, number) = hear_value(&mut ws, &server, &nonce).await;
    assert_eq!(kind, "NUMBER", "the page shows the number the app asks for");
    silent(&mut ws, 500).await;
    let account_id = server.account_row(&account).await.account_id;
    let queued = messages::pending(&server.state.db, account_id, now(), 10).await;
    assert_eq!(
        queued.unwrap().len(),
        1,
        "the push login is queued for the app"
    );
    assert_eq!(
        app_login(&server, &account, &nonce, &number).await,
        ServerRecord::Accepted
    );
    let mut heard = hear(&mut ws, &server, &nonce).await;
    if heard == "CONFIRMPROVOKE" {
        heard = hear(&mut ws, &server, &nonce).await;
    }
    assert_eq!(heard, "LOGIN");
    let r = server
        .request("GET", "/account", &[("Cookie", &cookie)], b"")
        .await;
    assert_eq!(r.status, 200, "logged in again by push");
}

#[tokio::test]
async fn with_the_link_codes_flag_the_qr_images_hold_the_link_form_as_text() {
    // Phones read codes as text (camera apps, the barcode-scanner plugin): under LINK_CODES
    // the images carry the link form; the raw REST bytes stay the payload.
    let server = TestServer::start().await;
    server
        .configure(|s| {
            s.profile.flags = vec!["LINK_CODES".into()];
            s.appurl = String::new();
        })
        .await;
    let nonce = "link-codes";
    let raw = get_for(&server, "/sessions/qr/login", nonce).await;
    assert_eq!(raw.status, 200);
    let payload = QrPayload::decode(&raw.body, now()).expect("the raw bytes are the payload");
    let image = get_for(&server, "/sessions/qr/login?img=png", nonce).await;
    let text = String::from_utf8(scan(&image.body)).expect("text");
    assert_eq!(text, payload.to_app_uri("nextauth").unwrap());

    // With an https appurl: the deep link, in the sign-up page's block too.
    server
        .configure(|s| s.appurl = "https://acme.example/app".into())
        .await;
    let r = server.request("GET", "/signup?name=Lina", &[], b"").await;
    let text = String::from_utf8(scan(&data_png(&r.text()))).expect("text");
    assert!(text.starts_with("https://acme.example/app/"), "{text}");
    let rules = nextauth_protocol::qr::LinkRules {
        https_prefixes: vec!["https://acme.example/app".into()],
        schemes: vec![],
    };
    assert!(matches!(
        nextauth_protocol::qr::decode_link(&text, &rules, now()),
        Ok(QrPayload::Enrol(_))
    ));
}
