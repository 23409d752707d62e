//! The API client that checks every answer against the document, request tables, and
//! the fixtures every scenario may use.

use super::*;

pub(crate) const PIN: &str = "2468";

/// A client with one API key (or none) whose every response is checked against the document.
pub(crate) struct Client<'a> {
    pub(crate) server: &'a TestServer,
    pub(crate) key: Option<String>,
    pub(crate) su: Option<String>,
}

impl<'a> Client<'a> {
    pub(crate) fn demo(server: &'a TestServer) -> Self {
        Self::with_key(server, Some(server.demo.apikey.clone()))
    }

    pub(crate) fn with_key(server: &'a TestServer, key: Option<String>) -> Self {
        Self {
            server,
            key,
            su: None,
        }
    }

    pub(crate) async fn call(
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

    pub(crate) async fn get(&self, path: &str) -> Response {
        self.call("GET", path, &[], b"").await
    }

    pub(crate) async fn send(&self, method: &str, path: &str, body: Value) -> Response {
        self.call(method, path, &[], body.to_string().as_bytes())
            .await
    }

    pub(crate) async fn with_nonce(
        &self,
        method: &str,
        path: &str,
        nonce: &str,
        body: &[u8],
    ) -> Response {
        self.call(method, path, &[("X-nonce", nonce)], body).await
    }
}

/// Asserts the status and returns the JSON body (`Null` when empty).
pub(crate) fn expect(response: &Response, status: u16) -> Value {
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
pub(crate) async fn new_key(server: &TestServer, description: &str) -> (String, String) {
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

pub(crate) async fn grant(server: &TestServer, serverid: &str, role: &str, acls: Value) {
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
pub(crate) async fn stored_account(
    server: &TestServer,
    userid: Option<&str>,
    description: &str,
) -> i64 {
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
pub(crate) async fn enrol(
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
pub(crate) fn standard_b64(id: &str) -> String {
    STANDARD.encode(URL_SAFE_NO_PAD.decode(id).unwrap())
}

/// One request of a table and the status it must get (its body checked against the document
/// by [`Client::call`] like every other).
pub(crate) struct Case {
    method: &'static str,
    path: String,
    nonce: Option<String>,
    body: Vec<u8>,
    status: u16,
}

pub(crate) fn case(method: &'static str, path: impl Into<String>, status: u16) -> Case {
    Case {
        method,
        path: path.into(),
        nonce: None,
        body: Vec::new(),
        status,
    }
}

impl Case {
    pub(crate) fn body(mut self, body: Value) -> Self {
        self.body = body.to_string().into_bytes();
        self
    }

    pub(crate) fn raw_body(mut self, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self
    }

    pub(crate) fn nonce(mut self, nonce: &str) -> Self {
        self.nonce = Some(nonce.to_owned());
        self
    }
}

/// Sends each case in order; fails naming the first whose status differs.
pub(crate) async fn check_cases(client: &Client<'_>, cases: Vec<Case>) {
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
