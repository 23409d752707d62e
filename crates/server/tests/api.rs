//! The integrator REST API end to end: the real server on loopback, raw HTTP requests, and
//! every response checked against `openapi.json` (path, method, status and body schema).
//!
//! Logins and transaction approvals go through the real app protocol (tests/support/app.rs);
//! a few fixtures (accounts for list tests) are written through the store directly.
mod support;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use nextauth_protocol::crypto::{Signer, SigningKey};
use nextauth_protocol::handshake::Purpose;
use nextauth_protocol::ids::{ServerId, SessionRef, TransactionRef};
use nextauth_protocol::messages::{ClientRequest, ServerContext, ServerRecord};
use nextauth_protocol::pin::DeviceSecret;
use nextauth_protocol::qr::QrPayload;
use nextauth_server::clock::now;
use nextauth_server::store::accounts::{self, NewAccount};
use nextauth_server::store::sessions::{self, SessionEvent, SessionState, Transition};
use nextauth_server::store::{messages, servers, users};
use serde_json::{json, Value};
use support::app::{self, AppAccount};
use support::openapi::{spec, DOCUMENT};
use support::{Response, TestServer};

const PIN: &str = "2468";

/// A client with one API key (or none) whose every response is checked against the document.
struct Client<'a> {
    server: &'a TestServer,
    key: Option<String>,
    su: Option<String>,
}

impl<'a> Client<'a> {
    fn demo(server: &'a TestServer) -> Self {
        Self::with_key(server, Some(server.demo.apikey.clone()))
    }

    fn with_key(server: &'a TestServer, key: Option<String>) -> Self {
        Self {
            server,
            key,
            su: None,
        }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let mut all: Vec<(&str, &str)> = Vec::new();
        if let Some(key) = &self.key {
            all.push(("X-apikey", key));
        }
        if let Some(su) = &self.su {
            all.push(("X-su", su));
        }
        all.extend_from_slice(headers);
        if !body.is_empty() {
            all.push(("Content-Type", "application/json"));
        }
        let response = self.server.request(method, path, &all, body).await;
        if let Err(err) = spec().check(method, path, &response) {
            panic!("{method} {path}: {err}\nbody: {}", response.text());
        }
        response
    }

    async fn get(&self, path: &str) -> Response {
        self.call("GET", path, &[], b"").await
    }

    async fn send(&self, method: &str, path: &str, body: Value) -> Response {
        self.call(method, path, &[], body.to_string().as_bytes())
            .await
    }

    async fn with_nonce(&self, method: &str, path: &str, nonce: &str, body: &[u8]) -> Response {
        self.call(method, path, &[("X-nonce", nonce)], body).await
    }
}

/// Asserts the status and returns the JSON body (`Null` when empty).
fn expect(response: &Response, status: u16) -> Value {
    assert_eq!(
        response.status,
        status,
        "unexpected status; body: {}",
        response.text()
    );
    if response.body.is_empty() {
        Value::Null
    } else {
        response.json()
    }
}

/// A new API key with no permissions; returns (key, role).
async fn new_key(server: &TestServer, description: &str) -> (String, String) {
    let r = Client::demo(server)
        .call(
            "POST",
            &format!("/apikeys/?description={description}"),
            &[],
            b"",
        )
        .await;
    let v = expect(&r, 200);
    (
        v["apikey"].as_str().unwrap().to_owned(),
        v["role"].as_str().unwrap().to_owned(),
    )
}

async fn grant(server: &TestServer, serverid: &str, role: &str, acls: Value) {
    let r = Client::demo(server)
        .send(
            "POST",
            &format!("/servers/{serverid}/permissions/{role}"),
            acls,
        )
        .await;
    expect(&r, 200);
}

/// An account written through the store (for list tests); returns its id.
async fn stored_account(server: &TestServer, userid: Option<&str>, description: &str) -> i64 {
    let rng = app::rng();
    let (key, _) = SigningKey::generate(&rng).unwrap();
    let id = server.server_id();
    if let Some(userid) = userid {
        users::ensure(&server.state.db, &id, userid, now())
            .await
            .unwrap();
    }
    accounts::create(
        &server.state.db,
        &server.state.master,
        &server.state.rng,
        NewAccount {
            server_id: id,
            public_key: key.public_key(),
            userid: userid.map(str::to_owned),
            display_name: description.to_owned(),
            description: description.to_owned(),
            push_key: &[9; 32],
            pin_verifier: None,
        },
        now(),
    )
    .await
    .unwrap()
}

/// Enrols an account through the real app (the enrol session `nonce` ends up logged in).
async fn enrol(
    server: &TestServer,
    nonce: &str,
    device: &DeviceSecret,
    userid: Option<&str>,
) -> AppAccount {
    server
        .enrol(nonce, device, "alice", userid, Some(PIN))
        .await
}

/// The standard-alphabet, padded spelling of a base64url id.
fn standard_b64(id: &str) -> String {
    STANDARD.encode(URL_SAFE_NO_PAD.decode(id).unwrap())
}

// ------------------------------------------------------------------------------------------
// Scenarios (each its own test; `every_documented_operation_succeeds` uses their outcome).

async fn scenario_document() {
    let server = TestServer::start().await;
    let anonymous = Client::with_key(&server, None);
    let r = anonymous.get("/openapi.json").await;
    expect(&r, 200);
    assert_eq!(r.text(), DOCUMENT);
    let r = server.request("GET", "/openapi.yaml", &[], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/yaml"));
    assert_eq!(r.text(), DOCUMENT);

    // Every $ref resolves, and every operation documents its auth failures.
    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r.clone());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let doc = spec().doc();
    let mut all = Vec::new();
    refs(doc, &mut all);
    for r in all {
        assert!(doc.pointer(&r[1..]).is_some(), "dangling {r}");
    }
    for (method, template) in spec().operations() {
        if template == "/openapi.json" {
            continue;
        }
        let responses = &doc["paths"][&template][method.to_lowercase()]["responses"];
        for status in ["200", "401", "403"] {
            assert!(
                responses.get(status).is_some(),
                "{method} {template} lacks {status}"
            );
        }
    }
    assert_eq!(
        spec().template_for("/servers/abc/users/bob/accounts?limit=1"),
        Some("/servers/{serverid}/users/{userid}/accounts".to_owned())
    );
    assert_eq!(
        spec().template_for("/servers/abc"),
        Some("/servers/{serverid}/".to_owned())
    );
}

async fn scenario_attributes() {
    let server = TestServer::start().await;
    let demo = Client::demo(&server);
    let sid = server.demo.serverid.clone();
    let (key, role) = new_key(&server, "attrs").await;
    let limited = Client::with_key(&server, Some(key));

    for base in [
        "/attributes/".to_owned(),
        format!("/servers/{sid}/attributes/"),
        format!("/servers/{sid}/privilegedattributes/"),
    ] {
        assert_eq!(expect(&demo.get(&base).await, 200), json!({}));
        let r = demo
            .send(
                "POST",
                &base,
                json!({"a": 1, "b": "x", "c": {"deep": [true]}}),
            )
            .await;
        expect(&r, 200);
        assert_eq!(
            expect(&demo.get(base.trim_end_matches('/')).await, 200),
            json!({"a": 1, "b": "x", "c": {"deep": [true]}})
        );
        expect(
            &demo.send("PUT", &base, json!({"b": "y", "d": null})).await,
            200,
        );
        assert_eq!(
            expect(&demo.get(&base).await, 200),
            json!({"a": 1, "b": "y", "c": {"deep": [true]}, "d": null})
        );
        expect(&demo.send("POST", &base, json!({"z": 0})).await, 200);
        assert_eq!(expect(&demo.get(&base).await, 200), json!({"z": 0}));
        expect(&demo.send("PUT", &base, json!({"y": 2})).await, 200);
        expect(
            &demo.call("DELETE", &format!("{base}z/"), &[], b"").await,
            200,
        );
        expect(
            &demo
                .call("DELETE", &format!("{base}missing"), &[], b"")
                .await,
            200,
        );
        assert_eq!(expect(&demo.get(&base).await, 200), json!({"y": 2}));
        expect(&demo.call("DELETE", &base, &[], b"").await, 200);
        assert_eq!(expect(&demo.get(&base).await, 200), json!({}));

        // Bad bodies.
        expect(&demo.send("POST", &base, json!([1, 2])).await, 400);
        expect(&demo.send("PUT", &base, json!({"": 1})).await, 400);
        expect(&demo.call("POST", &base, &[], b"{not json").await, 400);
        expect(&demo.call("PUT", &base, &[], b"").await, 400);

        // No permission.
        expect(&limited.get(&base).await, 403);
        expect(&limited.send("POST", &base, json!({})).await, 403);
        expect(&limited.send("PUT", &base, json!({})).await, 403);
        expect(&limited.call("DELETE", &base, &[], b"").await, 403);
        expect(
            &limited.call("DELETE", &format!("{base}k"), &[], b"").await,
            403,
        );
    }

    // Server attributes need 'servers' on the server; privileged ones need it globally.
    grant(&server, &sid, &role, json!(["servers"])).await;
    expect(
        &limited.get(&format!("/servers/{sid}/attributes/")).await,
        200,
    );
    expect(
        &limited
            .get(&format!("/servers/{sid}/privilegedattributes/"))
            .await,
        403,
    );
    expect(&limited.get("/attributes/").await, 403);

    // Scopes are separate.
    expect(
        &demo
            .send(
                "POST",
                &format!("/servers/{sid}/attributes/"),
                json!({"s": 1}),
            )
            .await,
        200,
    );
    assert_eq!(expect(&demo.get("/attributes").await, 200), json!({}));
    assert_eq!(
        expect(
            &demo
                .get(&format!("/servers/{sid}/privilegedattributes"))
                .await,
            200
        ),
        json!({})
    );

    // Unknown and malformed servers.
    let unknown = ServerId([3; 16]).to_base64();
    for base in ["attributes", "privilegedattributes"] {
        expect(&demo.get(&format!("/servers/{unknown}/{base}/")).await, 404);
        expect(
            &demo.get(&format!("/servers/not*base64/{base}/")).await,
            400,
        );
    }
}

async fn scenario_servers() {
    let server = TestServer::start().await;
    let demo = Client::demo(&server);
    let logo = STANDARD.encode([0x89, b'P', b'N', b'G', 1, 2, 3]);

    let created = expect(
        &demo
            .send(
                "POST",
                "/servers/",
                json!({
                    "serverName": "Shop",
                    "logo": logo,
                    "pinTimeout": 10,
                    "pinTransTimeout": -1,
                    "serverFlags": ["b", "a", "a"],
                    "siteurl": "https://shop.example/",
                    "serverid": "ignored on create",
                    "secondFactor": "none",
                    "maxPinAttempts": 3,
                }),
            )
            .await,
        200,
    );
    let sid = created["serverid"].as_str().unwrap().to_owned();
    assert_ne!(sid, server.demo.serverid);
    assert_eq!(created["serverName"], "Shop");
    assert_eq!(created["logo"], logo.as_str());
    assert_eq!(created["serverFlags"], json!(["a", "b"]));
    assert_eq!(
        (
            created["pinTimeout"].clone(),
            created["pinTransTimeout"].clone()
        ),
        (json!(10), json!(-1))
    );
    assert_eq!(created["accountCount"], 0);
    assert_eq!(created["secondFactor"], "none");
    assert!(created["wsurl"].as_str().unwrap().ends_with("/sigmai"));

    // Read it under every spelling of the path and id.
    for path in [
        format!("/servers/{sid}/"),
        format!("/servers/{sid}"),
        format!("/servers/{}/", standard_b64(&sid).replace('/', "%2F")),
    ] {
        let got = expect(&demo.get(&path).await, 200);
        assert_eq!(got, created, "{path}");
    }

    // Update: fields change, the generated ones cannot.
    let mut changed = created.clone();
    changed["serverName"] = json!("Shop 2");
    changed["pingTime"] = json!(30);
    changed["accountCount"] = json!(99);
    let updated = expect(
        &demo
            .send("PUT", &format!("/servers/{sid}/"), changed.clone())
            .await,
        200,
    );
    assert_eq!(updated["serverName"], "Shop 2");
    assert_eq!(updated["pingTime"], 30);
    assert_eq!(updated["accountCount"], 0);
    assert_eq!(updated["logo"], logo.as_str(), "unchanged fields are kept");
    let r = demo
        .send(
            "PUT",
            &format!("/servers/{sid}"),
            json!({"serverid": server.demo.serverid}),
        )
        .await;
    expect(&r, 400);
    let r = demo
        .send(
            "PUT",
            &format!("/servers/{sid}"),
            json!({"serverpk": STANDARD.encode([4; 65])}),
        )
        .await;
    expect(&r, 400);
    let partial = expect(
        &demo
            .send(
                "PUT",
                &format!("/servers/{sid}"),
                json!({"appname": "Shopper"}),
            )
            .await,
        200,
    );
    assert_eq!(
        (partial["appname"].clone(), partial["serverName"].clone()),
        (json!("Shopper"), json!("Shop 2"))
    );

    // AppLogin is off unless turned on (extension).
    assert_eq!(partial["appLogin"], false);
    let on = expect(
        &demo
            .send("PUT", &format!("/servers/{sid}"), json!({"appLogin": true}))
            .await,
        200,
    );
    assert_eq!(on["appLogin"], true);

    // Key rotation (extension): a new key, endorsed by the old one.
    let rotated = expect(
        &demo
            .call("POST", &format!("/servers/{sid}/rotatekey"), &[], b"")
            .await,
        200,
    );
    assert_ne!(rotated["serverpk"], on["serverpk"]);
    assert_eq!(rotated["serverName"], "Shop 2");
    let row = servers::get(&server.state.db, &ServerId::from_base64(&sid).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.rotations.len(), 1);
    assert_eq!(
        row.rotations[0].old_key.0.to_vec(),
        STANDARD.decode(on["serverpk"].as_str().unwrap()).unwrap()
    );
    row.rotations[0].verify(&row.server_id).unwrap();
    expect(
        &demo
            .call(
                "POST",
                "/servers/AAAAAAAAAAAAAAAAAAAAAA/rotatekey",
                &[],
                b"",
            )
            .await,
        404,
    );

    // Bad settings.
    for body in [
        json!({}),
        json!({"serverName": ""}),
        json!({"serverName": "x", "logo": "%%%"}),
        json!({"serverName": "x", "logo": STANDARD.encode(vec![0u8; 70_000])}),
        json!({"serverName": "x", "pinTimeout": -2}),
        json!({"serverName": "x", "pingTime": -1}),
        json!({"serverName": "x", "wsurl": "http://example/sigmai"}),
        json!({"serverName": "x", "secondFactor": "retina"}),
        json!({"serverName": "x", "maxPinAttempts": 0}),
        json!({"serverName": "x", "serverFlags": [""]}),
        json!({"serverName": "x".repeat(300)}),
        json!({"serverName": 5}),
    ] {
        expect(&demo.send("POST", "/servers/", body.clone()).await, 400);
    }
    expect(&demo.call("POST", "/servers/", &[], b"[1,").await, 400);

    // The list pages (oldest first; servers made in the same second in id order).
    let list = expect(&demo.get("/servers/").await, 200);
    assert_eq!(list["totalnumber"], 2);
    let mut ids = Vec::new();
    for marker in 0..2 {
        let page = expect(
            &demo
                .get(&format!("/servers/?limit=1&marker={marker}"))
                .await,
            200,
        );
        assert_eq!(page["servers"].as_array().unwrap().len(), 1);
        assert_eq!(page["totalnumber"], 2);
        assert_eq!(page["servers"][0], list["servers"][marker]);
        ids.push(page["servers"][0]["serverid"].as_str().unwrap().to_owned());
    }
    ids.sort();
    let mut want = vec![sid.clone(), server.demo.serverid.clone()];
    want.sort();
    assert_eq!(ids, want);
    let past = expect(&demo.get("/servers/?marker=2").await, 200);
    assert_eq!(past["servers"], json!([]));
    expect(&demo.get("/servers/?limit=-1").await, 400);
    expect(&demo.get("/servers/?marker=x").await, 400);

    // Unknown, malformed.
    expect(
        &demo
            .get(&format!("/servers/{}/", ServerId([5; 16]).to_base64()))
            .await,
        404,
    );
    expect(&demo.get("/servers/abc/").await, 400);
    expect(
        &demo
            .send(
                "PUT",
                &format!("/servers/{}/", ServerId([5; 16]).to_base64()),
                json!({}),
            )
            .await,
        404,
    );

    // 'servers' may read but not update or create.
    let (key, role) = new_key(&server, "reader").await;
    grant(&server, &sid, &role, json!(["servers"])).await;
    let reader = Client::with_key(&server, Some(key));
    expect(&reader.get(&format!("/servers/{sid}/")).await, 200);
    expect(
        &reader
            .send("PUT", &format!("/servers/{sid}/"), json!({}))
            .await,
        403,
    );
    expect(
        &reader
            .send("POST", "/servers/", json!({"serverName": "x"}))
            .await,
        403,
    );
    grant(&server, &sid, &role, json!(["createserver"])).await;
    expect(
        &reader
            .send("PUT", &format!("/servers/{sid}/"), json!({"owner": 7}))
            .await,
        200,
    );
    expect(
        &reader
            .send("POST", "/servers/", json!({"serverName": "x"}))
            .await,
        403,
        // per-server createserver does not create servers
    );
}

// ------------------------------------------------------------------------------------------
// Accounts and users: one fixture, a scenario per area, refusals as tables.

/// One request of a table and the status it must get (its body checked against the document
/// by [`Client::call`] like every other).
struct Case {
    method: &'static str,
    path: String,
    nonce: Option<String>,
    body: Vec<u8>,
    status: u16,
}

fn case(method: &'static str, path: impl Into<String>, status: u16) -> Case {
    Case {
        method,
        path: path.into(),
        nonce: None,
        body: Vec::new(),
        status,
    }
}

impl Case {
    fn body(mut self, body: Value) -> Self {
        self.body = body.to_string().into_bytes();
        self
    }

    fn raw_body(mut self, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self
    }

    fn nonce(mut self, nonce: &str) -> Self {
        self.nonce = Some(nonce.to_owned());
        self
    }
}

/// Sends each case in order; fails naming the first whose status differs.
async fn check_cases(client: &Client<'_>, cases: Vec<Case>) {
    for c in cases {
        let headers: Vec<(&str, &str)> = c.nonce.iter().map(|n| ("X-nonce", n.as_str())).collect();
        let r = client.call(c.method, &c.path, &headers, &c.body).await;
        assert_eq!(
            r.status,
            c.status,
            "{} {}: body {}",
            c.method,
            c.path,
            r.text()
        );
    }
}

/// A key with no permissions yet and the demo server's id: what the permission scenarios start
/// from.
struct Limited<'a> {
    client: Client<'a>,
    role: String,
    sid: String,
}

async fn limited(server: &TestServer) -> Limited<'_> {
    let (key, role) = new_key(server, "limited").await;
    Limited {
        client: Client::with_key(server, Some(key)),
        role,
        sid: server.demo.serverid.clone(),
    }
}

/// Keys: 401 without one, a new key shown once and then listed, `X-su`.
async fn scenario_keys_and_auth() {
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
async fn scenario_grants_on_a_server() {
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
async fn scenario_bad_grants() {
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
async fn scenario_global_permissions() {
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

/// The accounts the account and user scenarios start from, in this order: alice's phone and
/// tablet, Bob's laptop, and an account without a user; alice's attributes are group staff,
/// level 3, Bob's group ops.
struct People {
    a1: i64,
    a2: i64,
    b1: i64,
    lone: i64,
}

async fn people(server: &TestServer) -> People {
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

async fn pending(server: &TestServer, account: i64) -> usize {
    messages::pending(&server.state.db, account, now(), 10)
        .await
        .unwrap()
        .len()
}

fn ids_of(list: &Value, key: &str, field: &str) -> Vec<Value> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[field].clone())
        .collect()
}

/// Listing accounts: order, pages, sorting, filters on the users' attributes.
async fn scenario_accounts_listed() {
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
async fn scenario_one_account() {
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
async fn scenario_users() {
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
async fn scenario_deletions() {
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
async fn scenario_account_permissions() {
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

/// An enrolled account (its enrol session `signup` logged in) that the app logged into the
/// session `web-1` with the user input "typed in the app": where the session scenarios start.
struct LoggedIn {
    sid: String,
    device: DeviceSecret,
    account: AppAccount,
    account_id: i64,
}

/// The demo server's session `nonce`, as `GET .../sessions/` answers.
async fn session_of(demo: &Client<'_>, nonce: &str) -> Value {
    let path = format!("/servers/{}/sessions/", demo.server.demo.serverid);
    expect(&demo.with_nonce("GET", &path, nonce, b"").await, 200)
}

/// The app logs `account` into the session that `code` names, typing `input`.
async fn app_logs_in(account: &AppAccount, code: &[u8; 16], input: &str) {
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
async fn login_code_of(
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

async fn logged_in(server: &TestServer) -> LoggedIn {
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
async fn scenario_sessions_and_login() {
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
async fn scenario_register_user() {
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
async fn new_transaction(demo: &Client<'_>, details: &[u8]) -> Value {
    let path = format!(
        "/servers/{}/sessions/transactions",
        demo.server.demo.serverid
    );
    expect(&demo.with_nonce("POST", &path, "web-1", details).await, 200)
}

/// The app answers the transaction `tid` with `request` (no PIN asked).
async fn app_answers(account: &AppAccount, tid: &str, request: &ClientRequest) {
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
async fn scenario_transactions() {
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
async fn scenario_fraud_report() {
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
async fn scenario_push_logins_and_logout() {
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

/// Sample values for the sweeps: path parameters, required query parameters, bodies.
fn sample_request(template: &str, method: &str, serverid: &str) -> (String, bool, Vec<u8>) {
    let doc = spec().doc();
    let op = &doc["paths"][template][method.to_lowercase()];
    let mut path = template
        .replace("{serverid}", serverid)
        .replace("{accountid}", "1")
        .replace("{userid}", "nobody")
        .replace("{attributekey}", "k")
        .replace("{roleid}", "demo")
        .replace("{transactionid}", &TransactionRef([0; 16]).to_base64());
    let mut needs_nonce = false;
    let mut query = Vec::new();
    for p in op["parameters"].as_array().into_iter().flatten() {
        let p = match p.get("$ref").and_then(Value::as_str) {
            Some(r) => doc.pointer(&r[1..]).unwrap(),
            None => p,
        };
        if p["in"] == "header" && p["name"] == "X-nonce" {
            needs_nonce = true;
        }
        if p["in"] == "query" && p["required"] == true {
            let value = match p["name"].as_str().unwrap() {
                "blocked" => "true",
                _ => "x",
            };
            query.push(format!("{}={value}", p["name"].as_str().unwrap()));
        }
    }
    if !query.is_empty() {
        path = format!("{path}?{}", query.join("&"));
    }
    let body = match op
        .pointer("/requestBody/content/application~1json/schema/$ref")
        .and_then(Value::as_str)
    {
        Some("#/components/schemas/ServerInput") => br#"{"serverName":"x"}"#.to_vec(),
        Some("#/components/schemas/PermissionNames") => br#"["sessions"]"#.to_vec(),
        Some("#/components/schemas/UserContext") => Vec::new(),
        Some(_) => b"{}".to_vec(),
        // An inline object schema: its required string fields, each "x".
        None => match op.pointer("/requestBody/content/application~1json/schema/required") {
            Some(Value::Array(fields)) => {
                let sample: serde_json::Map<String, Value> = fields
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|f| (f.to_owned(), json!("x")))
                    .collect();
                Value::Object(sample).to_string().into_bytes()
            }
            _ => Vec::new(),
        },
    };
    (path, needs_nonce, body)
}

/// The endpoints browsers' pages are built from: QR codes (raw and PNG), HTML blocks, the
/// footer, the visual hash.
async fn scenario_codes_and_blocks() {
    let server = TestServer::start().await;
    let sid = server.demo.serverid.clone();
    let demo = Client::demo(&server);
    let raw = demo
        .with_nonce(
            "GET",
            &format!("/servers/{sid}/sessions/qr/login"),
            "blocks",
            b"",
        )
        .await;
    assert_eq!(raw.status, 200, "{}", raw.text());
    assert!(matches!(
        nextauth_protocol::qr::QrPayload::decode_unchecked(&raw.body),
        Ok(nextauth_protocol::qr::QrPayload::Login(_))
    ));
    let png = demo
        .with_nonce(
            "GET",
            &format!("/servers/{sid}/sessions/qr/login?img=png&s=200"),
            "blocks",
            b"",
        )
        .await;
    assert_eq!(
        (png.status, png.header("content-type")),
        (200, Some("image/png"))
    );
    let enrol = demo
        .with_nonce(
            "GET",
            &format!("/servers/{sid}/sessions/qr/enrol?name=alice"),
            "blocks",
            b"",
        )
        .await;
    assert!(matches!(
        nextauth_protocol::qr::QrPayload::decode_unchecked(&enrol.body),
        Ok(nextauth_protocol::qr::QrPayload::Enrol(_))
    ));
    for path in ["html/login", "html/enrol?name=bob", "html/footer"] {
        let r = demo
            .with_nonce(
                "GET",
                &format!("/servers/{sid}/sessions/{path}"),
                "blocks",
                b"",
            )
            .await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert!(r.text().contains("nextauth"), "{path}");
    }
    let vash = demo.get(&format!("/servers/{sid}/vash")).await;
    assert_eq!((vash.status, &vash.body[..4]), (200, &b"\x89PNG"[..]));
}

/// Every operation: 401 without a key, 403 for a key without permissions, 400 for a bad
/// server id, 404 for an unknown server, 413 for an oversized body.
async fn scenario_sweeps() {
    let server = TestServer::start().await;
    let sid = server.demo.serverid.clone();
    let (key, _) = new_key(&server, "nothing").await;
    let anonymous = Client::with_key(&server, None);
    let nothing = Client::with_key(&server, Some(key));
    let demo = Client::demo(&server);
    let unknown = ServerId([42; 16]).to_base64();
    let oversized = vec![b' '; 300 * 1024];
    for (method, template) in spec().operations() {
        if template == "/openapi.json" {
            continue;
        }
        let (path, nonce, body) = sample_request(&template, &method, &sid);
        let headers: &[(&str, &str)] = if nonce { &[("X-nonce", "sweep")] } else { &[] };
        let r = anonymous.call(&method, &path, headers, &body).await;
        assert_eq!(r.status, 401, "{method} {path}: {}", r.text());
        let r = nothing.call(&method, &path, headers, &body).await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text());
        if template.contains("{serverid}") {
            let (path, _, _) = sample_request(&template, &method, "%21%21");
            let r = demo.call(&method, &path, headers, &body).await;
            assert_eq!(r.status, 400, "{method} {path}: {}", r.text());
            let (path, _, _) = sample_request(&template, &method, &unknown);
            let r = demo.call(&method, &path, headers, &body).await;
            assert_eq!(r.status, 404, "{method} {path}: {}", r.text());
        }
        let documents_413 = spec().doc()["paths"][&template][method.to_lowercase()]["responses"]
            .get("413")
            .is_some();
        if documents_413 {
            let r = demo.call(&method, &path, headers, &oversized).await;
            assert_eq!(r.status, 413, "{method} {path}: {}", r.text());
        }
    }
}

// ------------------------------------------------------------------------------------------

/// The scenarios that together make every documented operation succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scenario {
    Document,
    KeysAndAuth,
    GrantsOnAServer,
    BadGrants,
    GlobalPermissions,
    Attributes,
    Servers,
    AccountsListed,
    OneAccount,
    Users,
    Deletions,
    AccountPermissions,
    SessionsAndLogin,
    RegisterUser,
    Transactions,
    FraudReport,
    PushLoginsAndLogout,
    CodesAndBlocks,
}

impl Scenario {
    const ALL: [Self; 18] = [
        Self::Document,
        Self::KeysAndAuth,
        Self::GrantsOnAServer,
        Self::BadGrants,
        Self::GlobalPermissions,
        Self::Attributes,
        Self::Servers,
        Self::AccountsListed,
        Self::OneAccount,
        Self::Users,
        Self::Deletions,
        Self::AccountPermissions,
        Self::SessionsAndLogin,
        Self::RegisterUser,
        Self::Transactions,
        Self::FraudReport,
        Self::PushLoginsAndLogout,
        Self::CodesAndBlocks,
    ];

    async fn run(self) {
        match self {
            Self::Document => scenario_document().await,
            Self::KeysAndAuth => scenario_keys_and_auth().await,
            Self::GrantsOnAServer => scenario_grants_on_a_server().await,
            Self::BadGrants => scenario_bad_grants().await,
            Self::GlobalPermissions => scenario_global_permissions().await,
            Self::Attributes => scenario_attributes().await,
            Self::Servers => scenario_servers().await,
            Self::AccountsListed => scenario_accounts_listed().await,
            Self::OneAccount => scenario_one_account().await,
            Self::Users => scenario_users().await,
            Self::Deletions => scenario_deletions().await,
            Self::AccountPermissions => scenario_account_permissions().await,
            Self::SessionsAndLogin => scenario_sessions_and_login().await,
            Self::RegisterUser => scenario_register_user().await,
            Self::Transactions => scenario_transactions().await,
            Self::FraudReport => scenario_fraud_report().await,
            Self::PushLoginsAndLogout => scenario_push_logins_and_logout().await,
            Self::CodesAndBlocks => scenario_codes_and_blocks().await,
        }
    }
}

/// How far each scenario got in this test process (the tests share it: one process runs
/// them all, on parallel threads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Running,
    Passed,
    Failed,
}

static PROGRESS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<Scenario, Progress>>,
> = std::sync::LazyLock::new(Default::default);

fn set_progress(scenario: Scenario, progress: Progress) {
    PROGRESS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(scenario, progress);
}

/// Marks its scenario failed if the scenario panics (it is dropped while still running).
struct FailedUnlessPassed(Scenario);

impl Drop for FailedUnlessPassed {
    fn drop(&mut self) {
        let mut all = PROGRESS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if all.get(&self.0) == Some(&Progress::Running) {
            all.insert(self.0, Progress::Failed);
        }
    }
}

/// Runs `scenario` once per process: if another test is running it, waits for its outcome;
/// if it passed already, that is the outcome; if it failed (or never ran), runs it here, so a
/// failure is reported by every test that needs the scenario.
async fn run_once(scenario: Scenario) {
    loop {
        let seen = {
            let mut all = PROGRESS
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let seen = all.get(&scenario).copied();
            if matches!(seen, None | Some(Progress::Failed)) {
                all.insert(scenario, Progress::Running);
            }
            seen
        };
        match seen {
            Some(Progress::Passed) => return,
            Some(Progress::Running) => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await
            }
            None | Some(Progress::Failed) => break,
        }
    }
    let _guard = FailedUnlessPassed(scenario);
    scenario.run().await;
    set_progress(scenario, Progress::Passed);
}

#[tokio::test]
async fn openapi_document_is_served_and_consistent() {
    run_once(Scenario::Document).await;
}

#[tokio::test]
async fn api_keys_are_created_listed_and_needed() {
    run_once(Scenario::KeysAndAuth).await;
}

#[tokio::test]
async fn permissions_on_a_server_are_granted_read_and_revoked() {
    run_once(Scenario::GrantsOnAServer).await;
}

#[tokio::test]
async fn grants_of_unknown_permissions_roles_or_servers_are_refused() {
    run_once(Scenario::BadGrants).await;
}

#[tokio::test]
async fn a_global_createserver_holds_root_on_the_servers_it_creates() {
    run_once(Scenario::GlobalPermissions).await;
}

#[tokio::test]
async fn global_server_and_privileged_attributes() {
    run_once(Scenario::Attributes).await;
}

#[tokio::test]
async fn servers_are_created_read_listed_and_updated() {
    run_once(Scenario::Servers).await;
}

#[tokio::test]
async fn accounts_are_listed_paged_sorted_and_filtered() {
    run_once(Scenario::AccountsListed).await;
}

#[tokio::test]
async fn an_account_is_blocked_pushed_messaged_and_its_pin_reset() {
    run_once(Scenario::OneAccount).await;
}

#[tokio::test]
async fn users_are_listed_with_their_accounts_attributes_and_roles() {
    run_once(Scenario::Users).await;
}

#[tokio::test]
async fn deleted_accounts_and_users_are_gone_and_their_apps_told() {
    run_once(Scenario::Deletions).await;
}

#[tokio::test]
async fn account_and_user_operations_need_their_permissions() {
    run_once(Scenario::AccountPermissions).await;
}

#[tokio::test]
async fn sessions_before_and_after_the_app_logs_in() {
    run_once(Scenario::SessionsAndLogin).await;
}

#[tokio::test]
async fn a_logged_in_session_registers_its_user() {
    run_once(Scenario::RegisterUser).await;
}

#[tokio::test]
async fn transactions_are_approved_or_declined_in_the_app() {
    run_once(Scenario::Transactions).await;
}

#[tokio::test]
async fn a_transaction_reported_as_fraud_pauses_push_logins() {
    run_once(Scenario::FraudReport).await;
}

#[tokio::test]
async fn push_logins_logouts_and_blocking() {
    run_once(Scenario::PushLoginsAndLogout).await;
}

#[tokio::test]
async fn qr_codes_html_blocks_and_the_visual_hash() {
    run_once(Scenario::CodesAndBlocks).await;
}

#[tokio::test]
async fn every_operation_refuses_bad_keys_ids_and_bodies() {
    scenario_sweeps().await;
}

/// Checks that each documented operation answered 200 at least once in the scenarios (so the
/// document has no operation the tests never saw succeed). The scenarios run once per process:
/// this test waits for the ones the other tests are running and runs only those that no test
/// ran (when it is run alone, all of them).
#[tokio::test]
async fn every_documented_operation_succeeds() {
    for scenario in Scenario::ALL {
        run_once(scenario).await;
    }
    let seen = spec().seen();
    let missing: Vec<String> = spec()
        .operations()
        .into_iter()
        .filter(|(m, t)| !seen.contains(&(m.clone(), t.clone(), 200)))
        .map(|(m, t)| format!("{m} {t}"))
        .collect();
    assert!(missing.is_empty(), "never succeeded: {missing:#?}");
}

#[tokio::test]
async fn push_logins_past_the_rate_are_429_as_documented() {
    let server = TestServer::start_with(|c| {
        c.limits.provoke_rate = Some(nextauth_server::Rate {
            count: 2,
            per: std::time::Duration::from_secs(60),
        })
    })
    .await;
    let demo = Client::demo(&server);
    let sid = &server.demo.serverid;
    let sessions = format!("/servers/{sid}/sessions/provokelogin");
    for _ in 0..2 {
        expect(&demo.with_nonce("POST", &sessions, "rate", b"").await, 409);
    }
    for path in [
        sessions.clone(),
        format!("/servers/{sid}/accounts/1/provokelogin"),
        format!("/servers/{sid}/users/nobody/provokelogin"),
    ] {
        let r = demo.with_nonce("POST", &path, "rate", b"").await;
        let body = expect(&r, 429);
        assert_eq!(body["code"], 429);
        let retry: u64 = r
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        assert!((1..=30).contains(&retry), "{retry}");
    }
}
