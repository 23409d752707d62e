//! The `nextauth` binary against the real server process, as a script would use it.

use std::process::{Command, Output};

use nextauth_e2e::{ServerProcess, TempDir};

fn nextauth(data: &TempDir, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nextauth"))
        .arg("--data")
        .arg(&data.0)
        .args(args)
        .env_remove("NEXTAUTH_PIN")
        .output()
        .expect("run nextauth")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn enrol_from_an_image_log_in_from_hex_and_manage_accounts() {
    let server = ServerProcess::start().await;
    let data = TempDir::new("cli");

    // The enrol code as a PNG, as a person would screenshot it.
    let path = format!(
        "/servers/{}/sessions/qr/enrol?name=alice&userid=alice&img=png",
        server.server_id
    );
    let png = server.api("GET", &path, Some("cli-signup"), None).await;
    assert_eq!(png.status, 200, "{}", png.text());
    let image = data.0.join("enrol.png");
    std::fs::write(&image, &png.body).unwrap();
    let decoded = nextauth(&data, &["qr", "decode", image.to_str().unwrap()]);
    assert!(decoded.status.success());
    assert!(
        stdout(&decoded).starts_with(&format!("{}: 6e4101", image.display())),
        "{}",
        stdout(&decoded)
    );

    let out = nextauth(
        &data,
        &[
            "--yes",
            "--pin",
            "2468",
            "--json",
            "enrol",
            image.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "enrol failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let flow: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(flow["state"], "DONE");
    let account_id = flow["account"]["id"].as_str().unwrap().to_owned();
    // The visual hash is drawn in the terminal (as hex cells when it is not one), to compare
    // with the picture next to the website's code.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Is it the same?"), "{err}");
    let cells: Vec<&str> = err
        .lines()
        .filter(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words.len() == 8
                && words
                    .iter()
                    .all(|w| w.len() == 1 && w.chars().all(|c| c.is_ascii_hexdigit()))
        })
        .collect();
    assert_eq!(cells.len(), 8, "eight rows of eight cells: {err}");

    let code = server.login_code("cli-login").await;
    let out = nextauth(
        &data,
        &[
            "--yes",
            "--user-input",
            "from the CLI",
            "login",
            &hex(&code),
        ],
    );
    assert!(
        out.status.success(),
        "login failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains("logged in as alice"));
    assert_eq!(server.session("cli-login").await["loggedin"], true);
    // Who asked, as the app shows it (the test's requests carry no browser).
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("  Browser: ") && err.contains("  Address: "),
        "{err}"
    );

    // Each command has its own help.
    let out = nextauth(&data, &["enrol", "--help"]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("Usage: nextauth enrol [OPTIONS] <INPUT>"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("visual hash"));

    // A denied login exits 0 (the person said no) and is in the history.
    let code = server.login_code("cli-deny").await;
    let out = nextauth(&data, &["--deny", "login", &hex(&code)]);
    assert!(out.status.success());
    assert_eq!(server.session("cli-deny").await["loggedin"], false);

    let out = nextauth(&data, &["--json", "history"]);
    let history: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let statuses: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["ABORTED", "LOGGED_IN_ONE_SHOT", "ENROLLED"]);

    let out = nextauth(&data, &["accounts"]);
    assert!(stdout(&out).contains(&account_id));
    let out = nextauth(&data, &["delete", &account_id]);
    assert!(out.status.success());
    assert_eq!(stdout(&out).trim(), "deleted");
    let out = nextauth(&data, &["--json", "accounts"]);
    assert_eq!(stdout(&out).trim(), "[]");
}

#[tokio::test]
async fn failures_exit_non_zero_with_one_line() {
    let server = ServerProcess::start().await;
    let data = TempDir::new("cli-fail");
    let code = server.login_code("x").await;
    let out = nextauth(&data, &["--yes", "login", &hex(&code)]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("code 34"), "{err}");

    let out = nextauth(&data, &["login", "zzzz"]);
    assert!(!out.status.success());
    let out = nextauth(&data, &["--yes", "enrol", &hex(&code)]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("code 34") || !out.status.success());
    let out = nextauth(&data, &["bogus"]);
    assert_eq!(out.status.code(), Some(2));
    let missing = data.0.join("missing.png");
    let out = nextauth(&data, &["qr", "decode", missing.to_str().unwrap()]);
    assert!(!out.status.success());
}

#[tokio::test]
async fn listen_answers_a_push_login_as_it_arrives() {
    let server = ServerProcess::start().await;
    let data = TempDir::new("cli-listen");
    let code = server.enrol_code("cli-listen-signup", "olivia").await;
    let out = nextauth(&data, &["--yes", "--pin", "2468", "enrol", &hex(&code)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut listener = std::process::Command::new(env!("CARGO_BIN_EXE_nextauth"))
        .arg("--data")
        .arg(&data.0)
        .args(["--yes", "--json", "listen"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run nextauth listen");
    let account = server.account_ids().await[0];
    // `listen --yes` answers whatever arrives: only where the server asks no number (a push
    // that asks one needs a person; see the number-matching test).
    server
        .configure(serde_json::json!({ "numberMatching": "off" }))
        .await;
    server.provoke_login(account, "cli-push").await;
    let mut logged_in = false;
    for _ in 0..100 {
        if server.session("cli-push").await["loggedin"] == true {
            logged_in = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = listener.kill();
    let output = listener.wait_with_output().expect("listen output");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(logged_in, "the push login was approved; printed: {printed}");
    assert!(
        printed.contains("WAITING_FOR_CONFIRMATION"),
        "events are printed as JSON lines: {printed}"
    );
}

// Multi-threaded: the TLS proxy runs in this runtime while the test waits for the CLI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_trusts_a_private_authority_for_wss_servers() {
    use base64::Engine;
    let (server, _proxy) = nextauth_e2e::server_behind_tls().await;
    let data = TempDir::new("cli-ca");
    let code = hex(&server.enrol_code("ca-signup", "trudy").await);

    // Without the CA the server's certificate is refused: code 129, one line.
    let out = nextauth(&data, &["--yes", "--pin", "2468", "enrol", &code]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("code 129"), "{err}");

    // With it (PEM here; DER works the same) the enrolment goes through over wss://.
    let der = nextauth_e2e::fixture("ca.der");
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        base64::engine::general_purpose::STANDARD.encode(&der)
    );
    let pem_file = data.0.join("ca.pem");
    std::fs::write(&pem_file, pem).unwrap();
    let code = hex(&server.enrol_code("ca-signup-2", "trudy").await);
    let out = nextauth(
        &data,
        &[
            "--ca",
            pem_file.to_str().unwrap(),
            "--yes",
            "--pin",
            "2468",
            "enrol",
            &code,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let login = hex(&server.login_code("ca-login").await);
    let ca_der = nextauth_e2e::tls_fixture_path("ca.der");
    let out = nextauth(
        &data,
        &[
            "--ca",
            ca_der.to_str().unwrap(),
            "--yes",
            "--pin",
            "2468",
            "login",
            &login,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.session("ca-login").await["loggedin"], true);

    // A file that is no certificate is a one-line usage error.
    let bogus = data.0.join("bogus");
    std::fs::write(&bogus, "hello").unwrap();
    let out = nextauth(&data, &["--ca", bogus.to_str().unwrap(), "accounts"]);
    assert!(!out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}

/// The value of the first `attr="…"` after `marker` in a website's block.
fn attr_after(html: &str, marker: &str, attr: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {html}"));
    let key = format!("{attr}=\"");
    let rest = &html[at..];
    let rest = &rest[rest.find(&key).expect("attribute") + key.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Issue 18 item 2: `nextauth enrol` and `nextauth login` with the https deep link a website's
/// block offers (accepted with `--link-prefix`) and with the `nextauth:` URI under "Can't scan?".
#[tokio::test]
async fn enrol_and_log_in_by_deep_link_and_by_app_uri() {
    const PREFIX: &str = "https://links.acme.test/nextauth";
    let server = ServerProcess::start().await;
    let data = TempDir::new("cli-links");
    server
        .configure(serde_json::json!({ "appurl": PREFIX }))
        .await;
    let block = |kind: &'static str, nonce: &'static str, name: &'static str| {
        let server = &server;
        async move {
            let path = format!(
                "/servers/{}/sessions/html/{kind}?name={name}&userid={name}",
                server.server_id
            );
            let r = server.api("GET", &path, Some(nonce), None).await;
            assert_eq!(r.status, 200, "{}", r.text());
            r.text()
        }
    };
    let html = block("enrol", "cli-link-signup", "tom").await;
    let link = attr_after(&html, "nextauth-app", "href");
    assert!(link.starts_with(PREFIX), "{link}");

    // Without the prefix the link is not the CLI's: a one-line refusal (32).
    let out = nextauth(&data, &["--yes", "--pin", "2468", "enrol", &link]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("code 32"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let with_prefix = |args: &[&str]| {
        let mut all = vec!["--link-prefix", PREFIX, "--yes", "--pin", "2468", "--json"];
        all.extend_from_slice(args);
        nextauth(&data, &all)
    };
    let out = with_prefix(&["enrol", &link]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let flow: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(flow["state"], "DONE");
    assert_eq!(server.session("cli-link-signup").await["loggedin"], true);
    let html = block("login", "cli-link-login", "").await;
    let out = with_prefix(&["login", &attr_after(&html, "nextauth-app", "href")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.session("cli-link-login").await["userid"], "tom");

    // The app-to-app URI, as a person copies it under "Can't scan?".
    server.configure(serde_json::json!({ "appurl": "" })).await;
    let html = block("enrol", "cli-uri-signup", "una").await;
    let uri = attr_after(&html, "readonly", "value");
    assert!(uri.starts_with("nextauth:"), "{uri}");
    let out = nextauth(&data, &["--yes", "--pin", "2468", "enrol", &uri]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.session("cli-uri-signup").await["loggedin"], true);
    let out = nextauth(&data, &["--json", "accounts"]);
    let accounts: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(accounts.as_array().unwrap().len(), 2, "tom and una");
}

/// Issue 18 item 3: `nextauth app-login AUDIENCE` logs in as the app itself and prints a token
/// the backend checks with the server (REST `apptokens/check`); the session ends with the
/// command, which the check then reports.
#[tokio::test]
async fn app_login_prints_a_token_for_the_backend() {
    let server = ServerProcess::start().await;
    let data = TempDir::new("cli-applogin");
    let out = nextauth(&data, &["--json", "app-login", "https://api.acme.test"]);
    assert!(!out.status.success(), "no account yet");
    let code = server.enrol_code("cli-app-signup", "victor").await;
    let out = nextauth(&data, &["--yes", "--pin", "2468", "enrol", &hex(&code)]);
    assert!(out.status.success());
    server
        .configure(serde_json::json!({ "pingTime": 30, "pinTimeout": -1, "appLogin": true }))
        .await;
    let out = nextauth(&data, &["--json", "app-login", "https://api.acme.test"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let token = printed["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("nat1."));
    assert_eq!(printed["audience"], "https://api.acme.test");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains(&token),
        "the token goes to stdout only"
    );
    let path = format!("/servers/{}/apptokens/check", server.server_id);
    let body = serde_json::json!({ "token": token, "audience": "https://api.acme.test" });
    let r = server.api("POST", &path, None, Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let checked = r.json();
    // Signed for this account and audience; the session ended with the command.
    assert_eq!(checked["userid"], "victor");
    assert_eq!(checked["accountid"], server.account_ids().await[0]);
    assert_eq!(
        (checked["valid"].as_bool(), checked["reason"].as_str()),
        (Some(false), Some("loggedout"))
    );
}
