//! API keys and permissions: one fixture (a key with no permissions), a scenario per area.

use super::*;

/// A key with no permissions yet and the demo server's id: what the permission scenarios start
/// from.
pub(crate) struct Limited<'a> {
    client: Client<'a>,
    role: String,
    sid: String,
}

pub(crate) async fn limited(server: &TestServer) -> Limited<'_> {
    let (key, role) = new_key(server, "limited").await;
    Limited {
        client: Client::with_key(server, Some(key)),
        role,
        sid: server.demo.serverid.clone(),
    }
}

/// Keys: 401 without one, a new key shown once and then listed, `X-su`.
pub(crate) async fn scenario_keys_and_auth() {
    let server = TestServer::start().await;
    let demo = Client::demo(&server);
    let sid = server.demo.serverid.clone();

    // 401: no key, unknown key.
    let r = Client::with_key(&server, None).get("/servers/").await;
    assert_eq!(expect(&r, 401)["code"], 401);
    let bogus = Client::with_key(&server, Some("bogus".into()));
    check_cases(&bogus, vec![case("GET", "/servers/", 401)]).await;

    // A new key: shown once, then listed without the key.
    check_cases(&demo, vec![case("POST", "/apikeys/", 400)]).await;
    let (key, role) = new_key(&server, "limited").await;
    assert!(key.len() >= 40);
    let listed = expect(&demo.get("/apikeys").await, 200);
    assert_eq!(
        listed["apikeys"],
        json!([{ "description": "limited", "role": role }])
    );

    // X-su: only with global root or setrid; the demo key (root) acts as the limited role.
    grant(&server, &sid, &role, json!(["servers", "sessions"])).await;
    let mut su = Client::with_key(&server, Some(key));
    su.su = Some("demo".into());
    check_cases(&su, vec![case("GET", "/servers/", 403)]).await;
    let mut as_limited = Client::demo(&server);
    as_limited.su = Some(role);
    check_cases(
        &as_limited,
        vec![
            case("GET", "/apikeys/", 403),
            case("GET", format!("/servers/{sid}/"), 200),
        ],
    )
    .await;
}

/// Permissions on one server: none, `sessions`, `servers` too, then revoked.
pub(crate) async fn scenario_grants_on_a_server() {
    let server = TestServer::start().await;
    let demo = Client::demo(&server);
    let Limited {
        client: limited,
        role,
        sid,
    } = limited(&server).await;
    let sessions = format!("/servers/{sid}/sessions/");
    let own = format!("/servers/{sid}/permissions/{role}");

    // No permissions yet.
    check_cases(
        &limited,
        vec![
            case("GET", "/servers/", 403),
            case("GET", "/apikeys/", 403),
            case("GET", sessions.clone(), 403).nonce("n1"),
        ],
    )
    .await;

    // 'sessions' on the demo server (named twice, held once).
    grant(&server, &sid, &role, json!(["sessions", "sessions"])).await;
    assert_eq!(
        expect(&demo.get(&own).await, 200),
        json!({"permissions": [{"acl": "sessions", "role": role, "server": sid}]})
    );
    let all = expect(
        &demo.get(&format!("/servers/{sid}/permissions/")).await,
        200,
    );
    assert_eq!(all["permissions"].as_array().unwrap().len(), 1);
    check_cases(
        &limited,
        vec![
            case("GET", sessions.clone(), 200).nonce("n1"),
            case("GET", format!("/servers/{sid}/accounts/"), 403),
            case("GET", format!("/servers/{sid}/"), 403),
            case("GET", "/servers/", 403),
            case("GET", own.clone(), 403),
            case("POST", own.clone(), 403).body(json!(["root"])),
        ],
    )
    .await;

    // 'servers' there: the server list shows exactly that server.
    grant(&server, &sid, &role, json!(["servers", "sessions"])).await;
    let list = expect(&limited.get("/servers").await, 200);
    assert_eq!(list["totalnumber"], 1);
    assert_eq!(list["servers"][0]["serverid"], sid.as_str());
    check_cases(&limited, vec![case("GET", format!("/servers/{sid}"), 200)]).await;
    let r = demo.get(&format!("{own}/")).await;
    assert_eq!(expect(&r, 200)["permissions"][0]["acl"], "servers,sessions");

    // Revoke: back to nothing on the demo server.
    check_cases(&limited, vec![case("DELETE", own.clone(), 403)]).await;
    check_cases(
        &demo,
        vec![
            case("DELETE", own.clone(), 200),
            case("DELETE", format!("/servers/{sid}/permissions/nobody"), 404),
        ],
    )
    .await;
    assert_eq!(
        expect(&demo.get(&own).await, 200),
        json!({"permissions": []})
    );
    check_cases(&limited, vec![case("GET", sessions, 403).nonce("n1")]).await;
}

/// Grants that cannot be: unknown permissions, a body that is no list, an unknown role or
/// server, a malformed server id.
pub(crate) async fn scenario_bad_grants() {
    let server = TestServer::start().await;
    let Limited { role, sid, .. } = limited(&server).await;
    let own = format!("/servers/{sid}/permissions/{role}");
    let unknown = ServerId([7; 16]).to_base64();
    check_cases(
        &Client::demo(&server),
        vec![
            case("POST", own.clone(), 400).body(json!(["flying"])),
            case("POST", own, 400).body(json!({"acl": "x"})),
            case(
                "POST",
                format!("/servers/{sid}/permissions/no-such-role"),
                404,
            )
            .body(json!(["users"])),
            case(
                "POST",
                format!("/servers/{unknown}/permissions/{role}"),
                404,
            )
            .body(json!(["users"])),
            case("POST", format!("/servers/%25%25/permissions/{role}"), 400).body(json!(["users"])),
        ],
    )
    .await;
}

/// Global permissions through the all-zero server id: `createserver` lets a key create a
/// server, on which it then holds root (and so may grant there, and only there).
pub(crate) async fn scenario_global_permissions() {
    let server = TestServer::start().await;
    let demo = Client::demo(&server);
    let Limited {
        client: limited,
        role,
        sid,
    } = limited(&server).await;
    let global = ServerId([0; 16]).to_base64();
    grant(&server, &global, &role, json!(["createserver"])).await;
    let r = demo
        .get(&format!("/servers/{global}/permissions/{role}"))
        .await;
    assert_eq!(expect(&r, 200)["permissions"][0]["acl"], "createserver");
    let created = expect(
        &limited
            .send("POST", "/servers/", json!({"serverName": "Limited Ltd"}))
            .await,
        200,
    );
    let new_sid = created["serverid"].as_str().unwrap().to_owned();
    let r = limited
        .get(&format!("/servers/{new_sid}/permissions/{role}"))
        .await;
    assert_eq!(
        expect(&r, 200)["permissions"][0]["acl"],
        "accounts,root,servers,sessions,users"
    );
    let (_, other_role) = new_key(&server, "other").await;
    check_cases(
        &limited,
        vec![
            case(
                "POST",
                format!("/servers/{new_sid}/permissions/{other_role}"),
                200,
            )
            .body(json!(["sessions"])),
            case(
                "POST",
                format!("/servers/{sid}/permissions/{other_role}"),
                403,
            )
            .body(json!(["sessions"])),
        ],
    )
    .await;
    let list = expect(&limited.get("/servers/").await, 200);
    assert_eq!(
        list["totalnumber"], 2,
        "global createserver sees all servers"
    );
}
