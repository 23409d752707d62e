//! Role impersonation with `X-su` (docs/security.md, "Role impersonation (X-su)"). The attacker
//! holds an API key whose role has global `setrid` but not `root`. Before the fix `X-su` let it
//! act as any role, the demo's root role included, and so grant itself `root`. Now only a root
//! caller may act as a role that holds `root` anywhere; `setrid` still reaches the others.

use nextauth_e2e::{request, Response, ServerProcess};
use serde_json::json;

/// The all-zero server id: the global permissions.
const GLOBAL: &str = "AAAAAAAAAAAAAAAAAAAAAA";

async fn call(
    server: &ServerProcess,
    key: &str,
    su: Option<&str>,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Response {
    let mut headers = vec![("X-apikey", key.to_owned())];
    if let Some(role) = su {
        headers.push(("X-su", role.to_owned()));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    if !body.is_empty() {
        headers.push(("Content-Type", "application/json".to_owned()));
    }
    request(server.addr, method, path, &headers, body.as_bytes())
        .await
        .expect("request")
}

/// A new role with a key (made by the demo key) holding `acls` on `server`; (role, key).
async fn role_with(server: &ServerProcess, on: &str, acls: &[&str]) -> (String, String) {
    let made = server
        .api("POST", "/apikeys/?description=attack", None, None)
        .await;
    assert_eq!(made.status, 200, "{}", made.text());
    let made = made.json();
    let role = made["role"].as_str().expect("role").to_owned();
    let key = made["apikey"].as_str().expect("key").to_owned();
    let path = format!("/servers/{on}/permissions/{role}");
    let granted = server.api("POST", &path, None, Some(&json!(acls))).await;
    assert_eq!(granted.status, 200, "{}", granted.text());
    (role, key)
}

#[tokio::test]
async fn setrid_cannot_act_as_a_role_that_holds_root() {
    let server = ServerProcess::start().await;
    let sid = server.server_id.clone();
    let (attacker, key) = role_with(&server, GLOBAL, &["setrid"]).await;
    let (server_root, _) = role_with(&server, &sid, &["root"]).await;
    let (reader, _) = role_with(&server, &sid, &["servers"]).await;

    // The demo key's role holds global root: acting as it to grant itself root is refused.
    let own = format!("/servers/{GLOBAL}/permissions/{attacker}");
    let escalate = call(
        &server,
        &key,
        Some("demo"),
        "POST",
        &own,
        Some(json!(["root", "setrid"])),
    )
    .await;
    assert_eq!(escalate.status, 403, "{}", escalate.text());
    assert_eq!(
        call(&server, &key, Some("demo"), "GET", "/servers/", None)
            .await
            .status,
        403
    );
    // A role with root on one server only is out of reach too.
    let server_path = format!("/servers/{sid}/");
    assert_eq!(
        call(&server, &key, Some(&server_root), "GET", &server_path, None)
            .await
            .status,
        403
    );
    let grant_there = format!("/servers/{sid}/permissions/{attacker}");
    let r = call(
        &server,
        &key,
        Some(&server_root),
        "POST",
        &grant_there,
        Some(json!(["root"])),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());

    // Nothing was granted: the attacker's role still holds only setrid, and nothing on the server.
    let global = server.api("GET", &own, None, None).await.json();
    assert_eq!(global["permissions"][0]["acl"], "setrid");
    let there = server.api("GET", &grant_there, None, None).await.json();
    assert_eq!(there["permissions"], json!([]));

    // setrid still does its job for roles without root, and a root caller may act as any role.
    let as_reader = call(&server, &key, Some(&reader), "GET", &server_path, None).await;
    assert_eq!(as_reader.status, 200, "{}", as_reader.text());
    // The root caller, acting as the role with root on the demo server, grants there.
    let grant_reader = format!("/servers/{sid}/permissions/{reader}");
    let root_as_root = call(
        &server,
        &server.apikey,
        Some(&server_root),
        "POST",
        &grant_reader,
        Some(json!(["servers", "sessions"])),
    )
    .await;
    assert_eq!(root_as_root.status, 200, "{}", root_as_root.text());
}
