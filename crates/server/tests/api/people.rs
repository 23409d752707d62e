//! Accounts and users: one fixture, a scenario per area, refusals as tables.

use super::*;

/// The accounts the account and user scenarios start from, in this order: alice's phone and
/// tablet, Bob's laptop, and an account without a user; alice's attributes are group staff,
/// level 3, Bob's group ops.
pub(crate) struct People {
    a1: i64,
    a2: i64,
    b1: i64,
    lone: i64,
}

pub(crate) async fn people(server: &TestServer) -> People {
    let people = People {
        a1: stored_account(server, Some("alice"), "phone").await,
        a2: stored_account(server, Some("alice"), "tablet").await,
        b1: stored_account(server, Some("Bob"), "laptop").await,
        lone: stored_account(server, None, "orphan").await,
    };
    let demo = Client::demo(server);
    let sid = &server.demo.serverid;
    for (user, attributes) in [
        ("alice", json!({"group": "staff", "level": 3})),
        ("Bob", json!({"group": "ops"})),
    ] {
        let path = format!("/servers/{sid}/users/{user}/attributes/");
        expect(&demo.send("POST", &path, attributes).await, 200);
    }
    people
}

pub(crate) async fn pending(server: &TestServer, account: i64) -> usize {
    messages::pending(&server.state.db, account, now(), 10)
        .await
        .unwrap()
        .len()
}

pub(crate) fn ids_of(list: &Value, key: &str, field: &str) -> Vec<Value> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[field].clone())
        .collect()
}

/// Listing accounts: order, pages, sorting, filters on the users' attributes.
pub(crate) async fn scenario_accounts_listed() {
    let server = TestServer::start().await;
    let demo = Client::demo(&server);
    let sid = server.demo.serverid.clone();
    let People { a1, a2, b1, lone } = people(&server).await;
    let accounts = format!("/servers/{sid}/accounts/");

    let all = expect(&demo.get(&accounts).await, 200);
    assert_eq!(all["totalnumber"], 4);
    assert_eq!(
        ids_of(&all, "accounts", "id"),
        [a1, a2, b1, lone].map(|id| json!(id))
    );
    assert!(all["accounts"][3].get("userid").is_none());
    // (query, the ids or descriptions listed, in order)
    let orders: [(String, &str, Vec<Value>); 2] = [
        (
            format!("{accounts}?sort=id:desc&limit=2&marker=1"),
            "id",
            vec![json!(b1), json!(a2)],
        ),
        (
            format!("/servers/{sid}/accounts?sort=userid:desc,description:asc"),
            "description",
            ["phone", "tablet", "laptop", "orphan"]
                .map(|d| json!(d))
                .to_vec(),
        ),
    ];
    for (query, field, expected) in orders {
        let got = expect(&demo.get(&query).await, 200);
        assert_eq!(ids_of(&got, "accounts", field), expected, "{query}");
        assert_eq!(got["totalnumber"], 4, "{query}");
    }
    // (filter, how many accounts match)
    for (filter, count) in [
        ("group=staff", 2),
        ("group=in:staff,ops", 3),
        ("level=3", 2),
        ("group=none", 0),
    ] {
        let got = expect(&demo.get(&format!("{accounts}?filter={filter}")).await, 200);
        assert_eq!(got["totalnumber"], count, "{filter}");
    }
    check_cases(
        &demo,
        vec![
            case("GET", format!("{accounts}?sort=secret"), 400),
            case("GET", format!("{accounts}?sort=id:up"), 400),
            case("GET", format!("{accounts}?limit=many"), 400),
            case("GET", format!("{accounts}?filter=group"), 400),
        ],
    )
    .await;
}

/// One account: read, blocked and unblocked, push logins and messages queued for its app, its
/// PIN reset.
pub(crate) async fn scenario_one_account() {
    let server = TestServer::start().await;
    let demo = Client::demo(&server);
    let sid = server.demo.serverid.clone();
    let People { a1, .. } = people(&server).await;
    let path = format!("/servers/{sid}/accounts/{a1}/");
    let provoke = format!("/servers/{sid}/accounts/{a1}/provokelogin");
    let send = format!("/servers/{sid}/accounts/{a1}/messages");

    let one = expect(&demo.get(&path).await, 200);
    assert_eq!(
        [&one["userid"], &one["description"], &one["blocked"]],
        [&json!("alice"), &json!("phone"), &json!(false)]
    );
    let r = demo
        .call("PUT", &format!("{path}?blocked=true"), &[], b"")
        .await;
    assert_eq!(expect(&r, 200)["blocked"], true);
    // A blocked account gets no push login and no message.
    check_cases(
        &demo,
        vec![
            case("GET", format!("/servers/{sid}/accounts/999999/"), 404),
            case("GET", format!("/servers/{sid}/accounts/abc/"), 400),
            case("PUT", &path, 400),
            case("PUT", format!("{path}?blocked=maybe"), 400),
            case("POST", &provoke, 409).nonce("web"),
            case("POST", &send, 409).raw_body(br#"{"title": "t", "text": "x"}"#),
        ],
    )
    .await;
    let r = demo
        .call("PUT", &format!("{path}?blocked=false"), &[], b"")
        .await;
    assert_eq!(expect(&r, 200)["blocked"], false);

    // Push logins, with the website's context or without.
    let context = json!({"announceinfo": {"info": {"Action": "Sign in"}}, "sessioninfo": {"ip": "192.0.2.1"}});
    check_cases(
        &demo,
        vec![
            case("POST", &provoke, 200).nonce("web").body(context),
            case("POST", &provoke, 200).nonce("web"),
            case("POST", &provoke, 400),
            case("POST", &provoke, 400)
                .nonce("web")
                .raw_body(b"{\"announceinfo\": 5}"),
        ],
    )
    .await;
    let provoked = expect(&demo.get(&path).await, 200);
    assert!(provoked["lastprovoke"].as_u64().unwrap() > 0);
    assert_eq!(pending(&server, a1).await, 2);

    // Messages through the message center (extension): queued for the app like push logins.
    let note = json!({"title": "Your order has shipped", "text": "Order 4711 left today."});
    let r = demo
        .call("POST", &send, &[], note.to_string().as_bytes())
        .await;
    assert!(expect(&r, 200)["messageid"]
        .as_str()
        .is_some_and(|id| id.len() == 22));
    assert_eq!(pending(&server, a1).await, 3);
    let mut refused: Vec<Case> = [
        json!({"title": "", "text": "x"}),
        json!({"title": "x".repeat(101), "text": "x"}),
        json!({"title": "x", "text": " "}),
        json!({"title": "x", "text": "x".repeat(4097)}),
        json!({"title": "x"}),
        json!(["x"]),
    ]
    .into_iter()
    .map(|bad| case("POST", &send, 400).body(bad))
    .collect();
    refused.push(
        case(
            "POST",
            format!("/servers/{sid}/accounts/999999/messages"),
            404,
        )
        .body(note),
    );
    check_cases(&demo, refused).await;

    // PIN reset (extension): only for an account with a PIN.
    let reset = |id: i64| format!("/servers/{sid}/accounts/{id}/resetpin");
    check_cases(
        &demo,
        vec![
            case("POST", reset(a1), 409),
            case("POST", reset(999_999), 404),
        ],
    )
    .await;
    let with_pin = {
        let (key, _) = SigningKey::generate(&app::rng()).unwrap();
        let new = NewAccount {
            server_id: server.server_id(),
            public_key: key.public_key(),
            userid: Some("alice".into()),
            display_name: "pin".into(),
            description: "pin".into(),
            push_key: &[9; 32],
            pin_verifier: Some(&[5; 32]),
        };
        let db = &server.state.db;
        let id = accounts::create(db, &server.state.master, &server.state.rng, new, now())
            .await
            .unwrap();
        sqlx::query("UPDATE accounts SET pin_failures = 5, pin_blocked = 1 WHERE account_id = $1")
            .bind(id)
            .execute(&db.pool)
            .await
            .unwrap();
        id
    };
    let blocked = expect(
        &demo
            .get(&format!("/servers/{sid}/accounts/{with_pin}/"))
            .await,
        200,
    );
    assert_eq!(
        [&blocked["pinblocked"], &blocked["pinfailures"]],
        [&json!(true), &json!(5)]
    );
    let r = expect(&demo.call("POST", &reset(with_pin), &[], b"").await, 200);
    assert_eq!(
        [&r["pinblocked"], &r["pinfailures"]],
        [&json!(false), &json!(0)]
    );
    let row = accounts::get(&server.state.db, &server.server_id(), with_pin)
        .await
        .unwrap()
        .unwrap();
    assert!(
        row.pin_reset,
        "the app is asked for a new PIN at the next login"
    );
}

/// Users: an account moved to a new user, listed, searched, sorted and filtered, their
/// accounts, attributes, push logins and roles.
pub(crate) async fn scenario_users() {
    let server = TestServer::start().await;
    let demo = Client::demo(&server);
    let sid = server.demo.serverid.clone();
    let People { a2, lone, .. } = people(&server).await;

    let r = demo
        .call(
            "PUT",
            &format!("/servers/{sid}/accounts/{lone}/user?userid=carol"),
            &[],
            b"",
        )
        .await;
    assert_eq!(expect(&r, 200)["userid"], "carol");

    let users = format!("/servers/{sid}/users/");
    let list = expect(&demo.get(&users).await, 200);
    assert_eq!(list["totalnumber"], 3);
    assert_eq!(
        list["users"],
        json!([
            {"userid": "Bob", "lastlogin": 0, "numberaccounts": 1},
            {"userid": "alice", "lastlogin": 0, "numberaccounts": 2},
            {"userid": "carol", "lastlogin": 0, "numberaccounts": 1},
        ])
    );
    // (query, the first user listed or none, how many in all)
    for (query, first, total) in [
        (format!("{users}?search=LI"), Some("alice"), 1),
        // LIKE wildcards are literal.
        (format!("{users}?search=%25"), None, 0),
        (
            format!("/servers/{sid}/users?sort=numberaccounts:desc&limit=1"),
            Some("alice"),
            3,
        ),
        (format!("{users}?filter=group=ops"), Some("Bob"), 1),
    ] {
        let got = expect(&demo.get(&query).await, 200);
        assert_eq!(got["users"][0]["userid"].as_str(), first, "{query}");
        assert_eq!(got["totalnumber"], total, "{query}");
    }
    // A user's accounts.
    for p in [
        format!("/servers/{sid}/users/alice/"),
        format!("/servers/{sid}/users/alice/accounts"),
        format!("/servers/{sid}/users/alice/accounts/?sort=id:desc"),
    ] {
        assert_eq!(expect(&demo.get(&p).await, 200)["totalnumber"], 2, "{p}");
    }

    // A user's attributes: written for a new user (POST creates it), changed, deleted.
    let attrs = format!("/servers/{sid}/users/dave/attributes/");
    check_cases(
        &demo,
        vec![
            case("PUT", format!("/servers/{sid}/accounts/{lone}/user"), 400),
            case(
                "PUT",
                format!("/servers/{sid}/accounts/999/user?userid=x"),
                404,
            ),
            case("GET", format!("{users}?sort=password"), 400),
            case("GET", format!("/servers/{sid}/users/nobody/"), 404),
            case("PUT", &attrs, 404).body(json!({"a": 1})),
            case("GET", &attrs, 404),
            case("POST", &attrs, 200).body(json!({"a": 1})),
            case("PUT", &attrs, 200).body(json!({"b": 2})),
        ],
    )
    .await;
    assert_eq!(
        expect(&demo.get(&attrs).await, 200),
        json!({"a": 1, "b": 2})
    );
    expect(
        &demo.call("DELETE", &format!("{attrs}a"), &[], b"").await,
        200,
    );
    assert_eq!(expect(&demo.get(&attrs).await, 200), json!({"b": 2}));
    expect(&demo.call("DELETE", &attrs, &[], b"").await, 200);
    assert_eq!(expect(&demo.get(&attrs).await, 200), json!({}));

    // Push login to a user: every unblocked account; a user without accounts is a conflict.
    let provoke = |user: &str| format!("/servers/{sid}/users/{user}/provokelogin");
    check_cases(
        &demo,
        vec![
            case(
                "DELETE",
                format!("/servers/{sid}/users/nobody/attributes/"),
                404,
            ),
            case(
                "DELETE",
                format!("/servers/{sid}/users/nobody/attributes/x"),
                404,
            ),
            case("POST", provoke("alice"), 200).nonce("web2"),
            case("POST", provoke("dave"), 409).nonce("web2"),
            case("POST", provoke("nobody"), 404).nonce("web2"),
        ],
    )
    .await;
    assert_eq!(pending(&server, a2).await, 1);

    // Roles: made once, the same when asked again.
    let role_path = format!("/servers/{sid}/users/alice/role/");
    expect(&demo.get(&role_path).await, 404);
    let made = expect(&demo.call("POST", &role_path, &[], b"").await, 200);
    let again = expect(&demo.call("POST", &role_path, &[], b"").await, 200);
    assert_eq!(made, again);
    assert_eq!(expect(&demo.get(&role_path).await, 200), made);
    expect(
        &demo
            .call(
                "POST",
                &format!("/servers/{sid}/users/nobody/role/"),
                &[],
                b"",
            )
            .await,
        404,
    );
}

/// Deleting accounts and users: gone from the API, the app is told, sessions end.
pub(crate) async fn scenario_deletions() {
    let server = TestServer::start().await;
    let demo = Client::demo(&server);
    let sid = server.demo.serverid.clone();
    let People { a2, b1, lone, .. } = people(&server).await;
    let r = demo
        .call(
            "PUT",
            &format!("/servers/{sid}/accounts/{lone}/user?userid=carol"),
            &[],
            b"",
        )
        .await;
    expect(&r, 200);
    // A push login waits for alice's accounts.
    let r = demo
        .with_nonce(
            "POST",
            &format!("/servers/{sid}/users/alice/provokelogin"),
            "web2",
            b"",
        )
        .await;
    expect(&r, 200);

    // Bob is logged into a session.
    let session_ref = SessionRef::derive(&server.server_id(), b"bobs-session");
    sessions::ensure(&server.state.db, &server.server_id(), &session_ref, now())
        .await
        .unwrap();
    let t = Transition {
        state: SessionState::LoggedIn,
        event: SessionEvent::Login,
        account_id: Some(b1),
        user_input: Some(""),
    };
    sessions::transition(
        &server.state.db,
        &server.server_id(),
        &session_ref,
        SessionState::ALL,
        t,
        now(),
    )
    .await
    .unwrap();
    let status = || async {
        expect(
            &demo
                .with_nonce(
                    "GET",
                    &format!("/servers/{sid}/sessions/"),
                    "bobs-session",
                    b"",
                )
                .await,
            200,
        )
    };
    assert_eq!(status().await["loggedin"], true);
    let r = demo
        .call("DELETE", &format!("/servers/{sid}/accounts/{b1}"), &[], b"")
        .await;
    expect(&r, 200);
    let after = status().await;
    assert_eq!(
        [&after["loggedin"], &after["canprovoke"]],
        [&json!(false); 2]
    );
    assert_eq!(
        pending(&server, b1).await,
        1,
        "exactly the DeleteAccount message"
    );

    let r = demo
        .call(
            "DELETE",
            &format!("/servers/{sid}/users/alice/accounts"),
            &[],
            b"",
        )
        .await;
    expect(&r, 200);
    let alice = expect(
        &demo.get(&format!("/servers/{sid}/users/alice/")).await,
        200,
    );
    assert_eq!(alice["totalnumber"], 0, "the user stays, without accounts");
    assert_eq!(
        pending(&server, a2).await,
        1,
        "the pending push login was replaced by DeleteAccount"
    );
    let r = demo
        .call("DELETE", &format!("/servers/{sid}/users/carol/"), &[], b"")
        .await;
    expect(&r, 200);
    // Whatever was deleted is gone.
    check_cases(
        &demo,
        vec![
            case("GET", format!("/servers/{sid}/accounts/{b1}/"), 404),
            case("DELETE", format!("/servers/{sid}/accounts/{b1}/"), 404),
            case("GET", format!("/servers/{sid}/users/carol/"), 404),
            case("GET", format!("/servers/{sid}/accounts/{lone}"), 404),
            case("DELETE", format!("/servers/{sid}/users/carol"), 404),
        ],
    )
    .await;
    let servers = expect(&demo.get(&format!("/servers/{sid}/")).await, 200);
    assert_eq!(servers["accountCount"], 0);
}

/// Permission boundaries between sessions, accounts and users.
pub(crate) async fn scenario_account_permissions() {
    let server = TestServer::start().await;
    let sid = server.demo.serverid.clone();
    let a3 = stored_account(&server, Some("erin"), "watch").await;
    let (key, role) = new_key(&server, "sessions-only").await;
    grant(&server, &sid, &role, json!(["sessions"])).await;
    let sessions_only = Client::with_key(&server, Some(key));
    check_cases(
        &sessions_only,
        vec![
            case("GET", format!("/servers/{sid}/accounts/{a3}/"), 200),
            case("GET", format!("/servers/{sid}/users/erin/accounts"), 200),
            case("GET", format!("/servers/{sid}/users/erin/attributes/"), 200),
            case("GET", format!("/servers/{sid}/accounts/"), 403),
            case("GET", format!("/servers/{sid}/users/"), 403),
            case(
                "PUT",
                format!("/servers/{sid}/accounts/{a3}/?blocked=true"),
                403,
            ),
            case(
                "POST",
                format!("/servers/{sid}/users/erin/attributes/"),
                403,
            )
            .body(json!({})),
        ],
    )
    .await;
    let (key, role) = new_key(&server, "accounts-only").await;
    grant(&server, &sid, &role, json!(["accounts"])).await;
    let accounts_only = Client::with_key(&server, Some(key));
    check_cases(
        &accounts_only,
        vec![
            case("GET", format!("/servers/{sid}/users/erin/accounts"), 403),
            case("DELETE", format!("/servers/{sid}/users/erin/accounts"), 200),
        ],
    )
    .await;
}
