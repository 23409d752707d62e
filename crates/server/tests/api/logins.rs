//! Sessions, logins, transactions and push logins: one fixture (an account the app logged
//! in), a scenario per area.

use super::*;

/// An enrolled account (its enrol session `signup` logged in) that the app logged into the
/// session `web-1` with the user input "typed in the app": where the session scenarios start.
pub(crate) struct LoggedIn {
    sid: String,
    device: DeviceSecret,
    account: AppAccount,
    account_id: i64,
}

/// The demo server's session `nonce`, as `GET .../sessions/` answers.
pub(crate) async fn session_of(demo: &Client<'_>, nonce: &str) -> Value {
    let path = format!("/servers/{}/sessions/", demo.server.demo.serverid);
    expect(&demo.with_nonce("GET", &path, nonce, b"").await, 200)
}

/// The app logs `account` into the session that `code` names, typing `input`.
pub(crate) async fn app_logs_in(account: &AppAccount, code: &[u8; 16], input: &str) {
    let mut ex = app::open_known(account, Purpose::Login, *code)
        .await
        .unwrap();
    ex.finish(&account.key, &ClientRequest::login(input))
        .await
        .unwrap();
    assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
    ex.close().await;
}

/// The login code of the session `nonce` (which the request creates).
pub(crate) async fn login_code_of(
    demo: &Client<'_>,
    nonce: &str,
) -> (Value, nextauth_protocol::qr::LoginCode) {
    let session = session_of(demo, nonce).await;
    let qr = STANDARD
        .decode(session["loginqrdata"].as_str().unwrap())
        .unwrap();
    let QrPayload::Login(code) = QrPayload::decode(&qr, now()).unwrap() else {
        panic!("expected a login code")
    };
    (session, code)
}

pub(crate) async fn logged_in(server: &TestServer) -> LoggedIn {
    let demo = Client::demo(server);
    let device = DeviceSecret::from_bytes([5; 32]);
    let account = enrol(server, "signup", &device, None).await;
    let account_id = session_of(&demo, "signup").await["accountid"]
        .as_i64()
        .unwrap();
    let (_, code) = login_code_of(&demo, "web-1").await;
    app_logs_in(&account, &code.session_ref.0, "typed in the app").await;
    LoggedIn {
        sid: server.demo.serverid.clone(),
        device,
        account,
        account_id,
    }
}

/// Sessions before and after the app logs in: what the API says of them, what needs a login,
/// the nonce's limits, and app tokens that are none.
pub(crate) async fn scenario_sessions_and_login() {
    let server = TestServer::start().await;
    let demo = Client::demo(&server);
    let sid = server.demo.serverid.clone();
    let device = DeviceSecret::from_bytes([5; 32]);
    let account = enrol(&server, "signup", &device, None).await;
    let session_path = format!("/servers/{sid}/sessions/");

    // App tokens (extension): what is not one is refused with its reason (real tokens, which
    // only an app logged in with AppLogin gets, are checked in tests/sdk_journeys.rs).
    let check = format!("/servers/{sid}/apptokens/check");
    let r = expect(
        &demo
            .call(
                "POST",
                &check,
                &[],
                br#"{"token":"nat1.AAAA.AAAA","audience":"https://api.test"}"#,
            )
            .await,
        200,
    );
    assert_eq!(
        (r["valid"].clone(), r["reason"].clone()),
        (json!(false), json!("malformed"))
    );

    // The enrol session is logged in; the account has no user yet.
    let s = session_of(&demo, "signup").await;
    assert_eq!(
        (s["loggedin"].clone(), s["canprovoke"].clone()),
        (json!(true), json!(true))
    );
    assert!(s.get("userid").is_none());
    let account_id = s["accountid"].as_i64().unwrap();
    assert_eq!(
        s["pk"].as_str().unwrap(),
        STANDARD.encode(account.key.public_key().0)
    );

    // A new session (the path without its slash): not logged in; its login code names it.
    let fresh = expect(
        &demo
            .with_nonce("GET", session_path.trim_end_matches('/'), "web-1", b"")
            .await,
        200,
    );
    assert_eq!(fresh["loggedin"], false);
    assert_eq!(fresh["canprovoke"], false);
    assert!(fresh.get("accountid").is_none() && fresh.get("userinput").is_none());
    let (_, code) = login_code_of(&demo, "web-1").await;
    assert_eq!(
        code.session_ref.to_base64(),
        fresh["hsid"].as_str().unwrap()
    );
    assert_eq!(
        code.session_ref,
        SessionRef::derive(&server.server_id(), b"web-1")
    );

    // What needs a logged-in account, and a nonce of bounded size.
    let details = json!({"amount": "EUR 12.00", "benificiary": "Bob", "description": "lunch"});
    check_cases(
        &demo,
        vec![
            case("POST", format!("{session_path}transactions"), 403)
                .nonce("web-1")
                .body(details),
            case(
                "POST",
                format!("{session_path}registeruser?userid=dave"),
                403,
            )
            .nonce("web-1"),
            case("POST", format!("{session_path}provokelogin"), 409).nonce("web-1"),
            case("GET", &session_path, 400),
            case("POST", format!("{session_path}logout"), 400),
            case("GET", &session_path, 400).nonce(&"n".repeat(2000)),
        ],
    )
    .await;

    // The app logs in with the code, typing something.
    app_logs_in(&account, &code.session_ref.0, "typed in the app").await;
    let s = session_of(&demo, "web-1").await;
    assert_eq!(s["loggedin"], true);
    assert_eq!(s["accountid"], account_id);
    assert_eq!(s["userinput"], "typed in the app");
    assert_eq!(s["hsid"], fresh["hsid"]);
}

/// A user registered for the logged-in account: again the same, another a conflict.
pub(crate) async fn scenario_register_user() {
    let server = TestServer::start().await;
    let demo = Client::demo(&server);
    let LoggedIn { sid, .. } = logged_in(&server).await;
    let register = |userid: &str| format!("/servers/{sid}/sessions/registeruser?userid={userid}");
    check_cases(
        &demo,
        vec![
            case("POST", register("dave"), 200).nonce("web-1"),
            case("POST", register("dave"), 200).nonce("web-1"),
            case("POST", register("erin"), 409).nonce("web-1"),
            case("POST", format!("/servers/{sid}/sessions/registeruser"), 400).nonce("web-1"),
        ],
    )
    .await;
    assert_eq!(session_of(&demo, "web-1").await["userid"], "dave");
    let users = expect(&demo.get(&format!("/servers/{sid}/users/")).await, 200);
    assert_eq!(users["users"][0]["userid"], "dave");
}

/// Creates a transaction in the session `web-1`; returns its answer.
pub(crate) async fn new_transaction(demo: &Client<'_>, details: &[u8]) -> Value {
    let path = format!(
        "/servers/{}/sessions/transactions",
        demo.server.demo.serverid
    );
    expect(&demo.with_nonce("POST", &path, "web-1", details).await, 200)
}

/// The app answers the transaction `tid` with `request` (no PIN asked).
pub(crate) async fn app_answers(account: &AppAccount, tid: &str, request: &ClientRequest) {
    let tref = TransactionRef::from_base64(tid).unwrap();
    let mut ex = app::open_known(account, Purpose::Transaction, tref.0)
        .await
        .unwrap();
    ex.finish(&account.key, request).await.unwrap();
    assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
    ex.close().await;
}

/// Transactions: approved in the app with the PIN and the number, declined, and the requests
/// that are refused.
pub(crate) async fn scenario_transactions() {
    let server = TestServer::start().await;
    let demo = Client::demo(&server);
    let LoggedIn {
        sid,
        device,
        account,
        ..
    } = logged_in(&server).await;

    // Approved in the app with the PIN.
    let details = json!({"amount": "EUR 12.00", "benificiary": "Bob", "description": "lunch"});
    let created = new_transaction(&demo, details.to_string().as_bytes()).await;
    let tid = created["tid"].as_str().unwrap().to_owned();
    // Number matching (policy `push` by default): the integrator shows this number.
    let number = created["matchnumber"]
        .as_str()
        .expect("a number")
        .to_owned();
    assert_eq!(number.len(), 2);
    let qr = STANDARD
        .decode(created["qrdata"].as_str().unwrap())
        .unwrap();
    let QrPayload::Transaction(tcode) = QrPayload::decode(&qr, now()).unwrap() else {
        panic!("expected a transaction code")
    };
    assert_eq!(tcode.transaction_ref.to_base64(), tid);
    let result_path = format!("/servers/{sid}/transactions/{tid}");
    assert_eq!(expect(&demo.get(&result_path).await, 200)["tstatus"], "0");
    let mut ex = app::open_known(&account, Purpose::Transaction, tcode.transaction_ref.0)
        .await
        .unwrap();
    let ServerContext::Transaction { details: shown, .. } =
        ServerContext::decode(&ex.decision.as_ref().unwrap().context).unwrap()
    else {
        panic!("expected a transaction context")
    };
    assert_eq!(
        (
            shown.amount.as_str(),
            shown.beneficiary.as_str(),
            shown.description.as_str()
        ),
        ("EUR 12.00", "Bob", "lunch")
    );
    let approve = ClientRequest::Transaction {
        approve: true,
        number,
    };
    ex.finish(&account.key, &approve).await.unwrap();
    assert!(matches!(
        ex.recv().await,
        Some(ServerRecord::PinRequired { .. })
    ));
    app::prove_pin(&mut ex, &device, PIN, &account).await;
    assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
    ex.close().await;
    assert_eq!(expect(&demo.get(&result_path).await, 200)["tstatus"], "1");

    // Declined; `beneficiary` is accepted as well.
    let declined = new_transaction(&demo, br#"{"amount":"1","beneficiary":"Eve"}"#).await;
    let declined = declined["tid"].as_str().unwrap().to_owned();
    app_answers(&account, &declined, &ClientRequest::transaction(false)).await;
    let r = demo
        .get(&format!("/servers/{sid}/transactions/{declined}/"))
        .await;
    assert_eq!(expect(&r, 200)["tstatus"], "2");

    // Bad transaction requests.
    let tx_path = format!("/servers/{sid}/sessions/transactions");
    let unknown = TransactionRef([1; 16]).to_base64();
    check_cases(
        &demo,
        vec![
            case("POST", &tx_path, 400).nonce("web-1").raw_body(b"{"),
            case("POST", &tx_path, 400).nonce("web-1").raw_body(b"[]"),
            case("POST", &tx_path, 400)
                .nonce("web-1")
                .body(json!({"amount": "9".repeat(5000)})),
            case("POST", &tx_path, 400).raw_body(b"{}"),
            case("GET", format!("/servers/{sid}/transactions/{unknown}"), 404),
            case("GET", format!("/servers/{sid}/transactions/short"), 400),
        ],
    )
    .await;
}

/// "This was not me" on a transaction: declined, listed as a fraud report, push logins paused
/// until the integrator resumes them.
pub(crate) async fn scenario_fraud_report() {
    let server = TestServer::start().await;
    let demo = Client::demo(&server);
    let LoggedIn { sid, account, .. } = logged_in(&server).await;
    let reports_path = format!("/servers/{sid}/fraudreports");
    let none = expect(&demo.get(&reports_path).await, 200);
    assert_eq!(none["reports"].as_array().map(Vec::len), Some(0));
    let fraud = new_transaction(&demo, br#"{"amount":"900","benificiary":"Mallory"}"#).await;
    let fraud = fraud["tid"].as_str().unwrap().to_owned();
    app_answers(&account, &fraud, &ClientRequest::NotMe).await;
    let r = demo
        .get(&format!("/servers/{sid}/transactions/{fraud}"))
        .await;
    assert_eq!(expect(&r, 200)["tstatus"], "2", "declined");
    let reports = expect(&demo.get(&reports_path).await, 200);
    assert_eq!(reports["reports"][0]["kind"], "transaction");
    assert_eq!(reports["reports"][0]["reference"], fraud.as_str());
    assert!(reports.get("next").is_none(), "one page");
    check_cases(
        &demo,
        vec![case("GET", format!("{reports_path}?limit=0"), 400)],
    )
    .await;
    let account_path = format!(
        "/servers/{sid}/accounts/{}",
        reports["reports"][0]["accountid"]
    );
    let paused = expect(&demo.get(&account_path).await, 200);
    assert!(
        paused["pushpauseduntil"].as_u64().unwrap() > now(),
        "push logins paused"
    );
    // The integrator resumes them.
    let r = demo
        .call("PUT", &format!("{account_path}?pushpaused=false"), &[], b"")
        .await;
    assert_eq!(expect(&r, 200)["pushpauseduntil"], 0);
}

/// Push logins to the session's last account (not while it is logged in: the app's login could
/// not succeed), logouts, and blocking, which ends the account's sessions and push logins.
pub(crate) async fn scenario_push_logins_and_logout() {
    let server = TestServer::start().await;
    let demo = Client::demo(&server);
    let LoggedIn {
        sid, account_id, ..
    } = logged_in(&server).await;
    let provoke = format!("/servers/{sid}/sessions/provokelogin");
    let logout = format!("/servers/{sid}/sessions/logout");
    let context = json!({"announceinfo": {"info": {"Shop": "Checkout"}}});
    check_cases(
        &demo,
        vec![
            case("POST", &provoke, 409)
                .nonce("web-1")
                .body(context.clone()),
            case("POST", &logout, 200).nonce("web-1"),
            case("POST", &provoke, 200).nonce("web-1").body(context),
        ],
    )
    .await;
    let r = demo
        .get(&format!("/servers/{sid}/accounts/{account_id}/"))
        .await;
    assert!(expect(&r, 200)["lastprovoke"].as_u64().unwrap() > 0);

    // Logout (again): no longer logged in, but a login can be pushed.
    check_cases(&demo, vec![case("POST", &logout, 200).nonce("web-1")]).await;
    let s = session_of(&demo, "web-1").await;
    assert_eq!(
        (s["loggedin"].clone(), s["canprovoke"].clone()),
        (json!(false), json!(true))
    );
    let tx_path = format!("/servers/{sid}/sessions/transactions");
    check_cases(
        &demo,
        vec![case("POST", tx_path, 403).nonce("web-1").raw_body(b"{}")],
    )
    .await;

    // Blocking the account ends its sessions and its push logins.
    assert_eq!(session_of(&demo, "signup").await["loggedin"], true);
    let block = format!("/servers/{sid}/accounts/{account_id}/?blocked=true");
    check_cases(&demo, vec![case("PUT", block, 200)]).await;
    let s = session_of(&demo, "signup").await;
    assert_eq!(
        (s["loggedin"].clone(), s["canprovoke"].clone()),
        (json!(false), json!(false))
    );
    check_cases(&demo, vec![case("POST", &provoke, 409).nonce("web-1")]).await;
}
