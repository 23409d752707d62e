//! The document itself, attributes and servers.

use super::*;

pub(crate) async fn scenario_document() {
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

pub(crate) async fn scenario_attributes() {
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

pub(crate) async fn scenario_servers() {
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
