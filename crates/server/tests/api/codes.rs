//! The QR and HTML endpoints, and the sweep of every operation with bad input.

use super::*;

/// Sample values for the sweeps: path parameters, required query parameters, bodies.
pub(crate) fn sample_request(
    template: &str,
    method: &str,
    serverid: &str,
) -> (String, bool, Vec<u8>) {
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
pub(crate) async fn scenario_codes_and_blocks() {
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
pub(crate) async fn scenario_sweeps() {
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
