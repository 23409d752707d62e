//! The commands through Tauri's own IPC layer (mock runtime, no window system): command names,
//! argument names as the UI sends them (camelCase), results, and `{code, message}` rejections,
//! all under the app's real command ACL (capabilities/default.json): the mock runtime goes
//! through the same ACL check as the real one once the context carries the app's ACL.

use std::time::Instant;

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Context, Manager, WebviewWindow, WebviewWindowBuilder};

use crate::commands::NAMES;
use crate::error::codes;
use crate::state::AppState;

/// The mock context (no assets, no configured windows) with the app's real runtime authority:
/// the capabilities and the permissions build.rs generated for the app's commands.
fn context_with_acl() -> Context<MockRuntime> {
    let mut context = mock_context(noop_assets());
    let mut real: Context<MockRuntime> =
        tauri::generate_context!(test = true, assets = noop_assets());
    std::mem::swap(
        context.runtime_authority_mut(),
        real.runtime_authority_mut(),
    );
    context
}

/// Whether a rejection is Tauri's ACL refusing the command (not the command's own answer).
fn refused_by_acl(answer: &Result<Value, Value>) -> bool {
    matches!(answer, Err(Value::String(text)) if text.contains("not allowed"))
}

fn invoke(webview: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("url"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.into(),
    };
    tauri::test::get_ipc_response(webview, request)
        .map(|body| body.deserialize::<Value>().expect("JSON answer"))
}

fn code(answer: Result<Value, Value>) -> u64 {
    let err = answer.expect_err("the command must fail");
    assert!(
        err["message"].is_string(),
        "an IpcError has a message: {err}"
    );
    err["code"]
        .as_u64()
        .unwrap_or_else(|| panic!("not an IpcError: {err}"))
}

/// A PNG holding a QR code of `payload`.
fn qr_png(payload: &[u8]) -> Vec<u8> {
    let code = qrcode::QrCode::new(payload).expect("qr");
    let width = code.width() as u32;
    let colors = code.to_colors();
    let img = image::GrayImage::from_fn((width + 8) * 4, (width + 8) * 4, |x, y| {
        let (mx, my) = ((x / 4).wrapping_sub(4), (y / 4).wrapping_sub(4));
        let dark =
            mx < width && my < width && colors[(my * width + mx) as usize] == qrcode::Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

#[test]
fn commands_answer_through_tauri_ipc() {
    let dir = std::env::temp_dir().join(format!("nextauth-app-ipc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let app = crate::with_commands(mock_builder())
        .build(context_with_acl())
        .expect("app");
    let state =
        tauri::async_runtime::block_on(AppState::open(&dir, Instant::now())).expect("state");
    app.manage(state);
    let w = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("webview");

    // Reads on an empty app.
    assert_eq!(invoke(&w, "account_list", json!({})), Ok(json!([])));
    assert_eq!(invoke(&w, "message_list", json!({})), Ok(json!([])));
    assert_eq!(invoke(&w, "flow_current", json!({})), Ok(Value::Null));
    assert_eq!(
        invoke(&w, "app_ready", json!({})),
        Ok(json!({ "flow": null, "notices": [] }))
    );
    assert_eq!(invoke(&w, "app_startup_error", json!({})), Ok(Value::Null));
    let info = invoke(&w, "app_info", json!({})).expect("app_info");
    assert_eq!(info["dataDir"], json!(dir.display().to_string()));
    assert_eq!(info["keystore"], json!("file"));

    assert_eq!(
        info["startOnLogin"],
        json!(false),
        "no autostart plugin registered here"
    );
    assert_eq!(
        info["tray"],
        json!(false),
        "no tray icon on the mock runtime"
    );
    assert_eq!(
        info["linkHandler"],
        json!(false),
        "no deep-link plugin registered here"
    );

    // Settings round trip (and the file on disk); a settings object from an older UI, without
    // startOnLogin, keepInBackground and openLinks, takes the defaults.
    let settings = json!({
        "notifications": false, "theme": "dark", "startOnLogin": false, "keepInBackground": true,
        "openLinks": false, "askPinForLogins": false, "askPinForTransactions": true,
        "linkPrefixes": [],
        "camera": null
    });
    assert_eq!(
        invoke(&w, "settings_update", json!({ "settings": settings })),
        Ok(settings.clone())
    );
    assert_eq!(invoke(&w, "settings_get", json!({})), Ok(settings.clone()));
    assert!(dir.join("settings.json").exists());
    assert_eq!(
        invoke(
            &w,
            "settings_update",
            json!({ "settings": { "notifications": false, "theme": "dark" } })
        ),
        Ok(settings.clone())
    );
    // Start on login without the autostart plugin (as on a phone): a typed refusal, and
    // nothing changes.
    assert_eq!(
        code(invoke(
            &w,
            "settings_update",
            json!({ "settings": { "notifications": true, "theme": "light", "startOnLogin": true } })
        )),
        u64::from(codes::START_ON_LOGIN)
    );
    assert_eq!(invoke(&w, "settings_get", json!({})), Ok(settings.clone()));
    // Likewise the nextauth: link handler without the deep-link plugin (as on macOS).
    assert_eq!(
        code(invoke(
            &w,
            "settings_update",
            json!({ "settings": { "notifications": true, "theme": "light", "openLinks": true } })
        )),
        u64::from(codes::LINK_HANDLER)
    );
    assert_eq!(invoke(&w, "settings_get", json!({})), Ok(settings.clone()));

    // Website link prefixes: a deep link under a prefix nobody configured is not ours (32,
    // nothing contacted); once the person adds the prefix in the settings the same link
    // starts its flow. Prefixes are stored normalised; anything but an https address is
    // refused (305) and nothing changes.
    use nextauth_protocol::ids::{ServerId, SessionRef};
    use nextauth_protocol::qr::{LoginCode, QrPayload};
    let login_code = QrPayload::Login(LoginCode {
        endpoint: "ws://127.0.0.1:9/sigmai".into(),
        server_id: ServerId([7; 16]),
        session_ref: SessionRef([9; 16]),
    })
    .encode()
    .expect("login code");
    let link = format!(
        "https://links.acme.example/app/{}?utm_source=mail",
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            &login_code
        )
    );
    assert_eq!(
        invoke(&w, "settings_server_link_prefixes", json!({})),
        Ok(json!([])),
        "no accounts, no servers' prefixes"
    );
    let refused = invoke(&w, "flow_start_link", json!({ "link": link })).expect_err("not ours");
    assert_eq!(refused["code"], json!(32));
    assert_eq!(refused["message"], json!("not a nextauth-rs payload"));
    let with_prefix = |prefixes: Value| {
        let mut s = settings.clone();
        s["linkPrefixes"] = prefixes;
        s
    };
    for bad in [
        json!(["http://links.acme.example/app"]),
        json!(["links.acme.example"]),
        json!(["https://links.acme.example/app?x=1"]),
        json!(["https://links.acme.example/app", "nextauth:"]),
    ] {
        let err = invoke(
            &w,
            "settings_update",
            json!({ "settings": with_prefix(bad.clone()) }),
        )
        .expect_err("refused");
        assert_eq!(err["code"], json!(codes::BAD_REQUEST), "{bad}");
        assert!(
            err["message"].as_str().is_some_and(|m| m.contains('“')),
            "the message names the address: {err}"
        );
    }
    assert_eq!(invoke(&w, "settings_get", json!({})), Ok(settings.clone()));
    let added = with_prefix(json!(["https://links.acme.example/app"]));
    assert_eq!(
        invoke(
            &w,
            "settings_update",
            json!({ "settings": with_prefix(json!(["  https://Links.Acme.example/app/ ", "https://links.acme.example/app"])) })
        ),
        Ok(added.clone()),
        "normalised, duplicates dropped"
    );
    assert_eq!(invoke(&w, "settings_get", json!({})), Ok(added.clone()));
    let state = app.state::<AppState>();
    assert!(state
        .sdk
        .link_rules()
        .https_prefixes
        .contains(&"https://links.acme.example/app".to_owned()));
    let on_disk: Value =
        serde_json::from_slice(&std::fs::read(dir.join("settings.json")).expect("settings"))
            .expect("json");
    assert_eq!(
        on_disk["linkPrefixes"],
        json!(["https://links.acme.example/app"])
    );
    let flow = invoke(&w, "flow_start_link", json!({ "link": link })).expect("started");
    assert_eq!(flow["kind"], json!("LOGIN"));
    // The code's server is unreachable: the flow ends on its own; wait for that.
    let t0 = Instant::now();
    while state.sdk.active_flow().is_some() {
        assert!(t0.elapsed().as_secs() < 20, "the flow did not end");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Removed again: not ours again.
    assert_eq!(
        invoke(&w, "settings_update", json!({ "settings": settings })),
        Ok(settings.clone())
    );
    assert_eq!(
        code(invoke(&w, "flow_start_link", json!({ "link": link }))),
        32
    );

    // AppLogin ("unlock"): locked; no account to unlock with (34); no token while locked
    // (135); an audience is required (305); locking when locked is no error.
    assert_eq!(
        invoke(&w, "app_login_status", json!({})),
        Ok(json!({ "state": "LOCKED", "flowId": null }))
    );
    assert_eq!(code(invoke(&w, "app_login_start", json!({}))), 34);
    assert_eq!(
        code(invoke(
            &w,
            "app_login_token",
            json!({ "audience": "https://api.acme.example" })
        )),
        135
    );
    assert_eq!(
        code(invoke(&w, "app_login_token", json!({ "audience": "  " }))),
        u64::from(codes::BAD_REQUEST)
    );
    assert_eq!(
        invoke(&w, "app_login_stop", json!({})),
        Ok(json!({ "state": "LOCKED", "flowId": null }))
    );

    // Typed errors for bad input, as the UI branches on them.
    assert_eq!(
        code(invoke(&w, "account_detail", json!({ "accountId": "nope" }))),
        125
    );
    assert_eq!(
        code(invoke(&w, "account_delete", json!({ "accountId": "nope" }))),
        125
    );
    assert_eq!(
        code(invoke(&w, "flow_start_link", json!({ "link": "  " }))),
        u64::from(codes::BAD_REQUEST)
    );
    let not_ours = code(invoke(
        &w,
        "flow_start_link",
        json!({ "link": "nextauth:AAAA" }),
    ));
    assert!(
        not_ours == 32 || not_ours == 33,
        "a link that is not ours: {not_ours}"
    );
    assert_eq!(
        code(invoke(
            &w,
            "flow_respond",
            json!({ "flowId": "x", "answer": { "type": "DENY" } })
        )),
        123
    );
    assert!(
        invoke(
            &w,
            "flow_respond",
            json!({ "flowId": "x", "answer": { "type": "PIN" } })
        )
        .is_err(),
        "an answer without its PIN is refused"
    );
    assert_eq!(
        code(invoke(
            &w,
            "pin_change",
            json!({ "current": "1234", "new": "5678" })
        )),
        126,
        "no PIN is set yet"
    );
    // These machines have no camera: none listed, and a scan says so in words.
    assert_eq!(
        invoke(&w, "camera_list", json!({})).expect("camera_list"),
        json!([])
    );
    assert_eq!(
        code(invoke(&w, "scan_camera", json!({}))),
        u64::from(codes::NO_CAMERA)
    );
    assert_eq!(
        code(invoke(&w, "scan_camera", json!({ "cameraId": "gone#7" }))),
        u64::from(codes::NO_CAMERA),
        "a remembered camera that is gone falls back to the first (there is none)"
    );

    // Images: not base64, no code, a code that is not ours (the SDK's decode error).
    assert_eq!(
        code(invoke(&w, "scan_image_data", json!({ "data": "%%%" }))),
        u64::from(codes::BAD_REQUEST)
    );
    let blank = {
        let img = image::GrayImage::from_pixel(40, 40, image::Luma([255]));
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .expect("png");
        out
    };
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    assert_eq!(
        code(invoke(
            &w,
            "scan_image_data",
            json!({ "data": b64.encode(&blank) })
        )),
        u64::from(codes::NO_QR_CODE)
    );
    let file = dir.join("foreign.png");
    std::fs::write(&file, qr_png(b"not a nextAuth payload")).expect("write");
    let foreign = code(invoke(
        &w,
        "scan_image",
        json!({ "path": file.display().to_string() }),
    ));
    assert!(foreign == 32 || foreign == 33, "a foreign code: {foreign}");
    assert_eq!(
        code(invoke(
            &w,
            "scan_image",
            json!({ "path": dir.join("missing.png").display().to_string() })
        )),
        u64::from(codes::IMAGE_UNREADABLE)
    );

    // Refused codes are in the history, newest first, paged.
    let page = invoke(&w, "history_list", json!({ "filter": { "limit": 1 } })).expect("history");
    assert_eq!(page["entries"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["entries"][0]["status"], json!("ERROR"));
    assert_eq!(page["more"], json!(true));
    let all = invoke(
        &w,
        "history_list",
        json!({ "filter": { "status": "ERROR" } }),
    )
    .expect("all");
    assert!(all["entries"].as_array().is_some_and(|e| e.len() >= 2));

    drop(w);
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn data_that_cannot_be_opened_is_a_screen_not_a_crash() {
    // The database went missing while the key stayed: the SDK refuses to start over (203), the
    // app says so through app_startup_error, other commands answer with an error (no panic),
    // and nothing in the directory is touched.
    let dir = std::env::temp_dir().join(format!("nextauth-app-ipc-start-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let first =
        tauri::async_runtime::block_on(AppState::open(&dir, Instant::now())).expect("state");
    drop(first);
    std::fs::remove_file(dir.join("nextauth.db")).expect("remove the database");
    let before = listing(&dir);
    let err = match tauri::async_runtime::block_on(AppState::open(&dir, Instant::now())) {
        Ok(_) => panic!("a missing database with keys present must not open"),
        Err(err) => err,
    };
    let app = crate::with_commands(mock_builder())
        .build(context_with_acl())
        .expect("app");
    app.manage(crate::state::StartupFailure {
        error: crate::error::IpcError::from(err),
        data_dir: dir.display().to_string(),
    });
    let w = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("webview");
    let failure = invoke(&w, "app_startup_error", json!({})).expect("answer");
    assert_eq!(failure["error"]["code"], json!(203));
    assert_eq!(failure["dataDir"], json!(dir.display().to_string()));
    assert!(failure["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("nextauth.db")));
    assert!(invoke(&w, "account_list", json!({})).is_err());
    assert_eq!(
        listing(&dir),
        before,
        "nothing created, replaced or removed"
    );
    drop(w);
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}

fn listing(dir: &std::path::Path) -> Vec<(String, u64)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| {
            let e = e.expect("entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().expect("meta").len(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_command_acl_grants_the_app_commands_to_the_main_window_only() {
    // The capability file grants exactly the generated allow-<command> of every command.
    let capability: Value = serde_json::from_str(include_str!("../capabilities/default.json"))
        .expect("capabilities/default.json");
    assert_eq!(capability["windows"], json!(["main"]));
    let mut granted: Vec<String> = capability["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect();
    granted.sort();
    let mut expected: Vec<String> = NAMES
        .iter()
        .map(|name| format!("allow-{}", name.replace('_', "-")))
        .chain(["core:default".to_owned()])
        .collect();
    expected.sort();
    assert_eq!(granted, expected);

    let dir = std::env::temp_dir().join(format!("nextauth-app-acl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let app = crate::with_commands(mock_builder())
        .build(context_with_acl())
        .expect("app");
    let state =
        tauri::async_runtime::block_on(AppState::open(&dir, Instant::now())).expect("state");
    app.manage(state);
    let main = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("main webview");
    let other = WebviewWindowBuilder::new(&app, "other", Default::default())
        .build()
        .expect("other webview");

    // The main window reaches every command, and every listed name is a registered command
    // (without arguments, those that take some answer with their own argument error).
    for name in NAMES {
        let answer = invoke(&main, name, json!({}));
        assert!(!refused_by_acl(&answer), "{name} refused: {answer:?}");
        if let Err(Value::String(text)) = &answer {
            assert!(
                !text.contains("not found"),
                "{name} is not registered: {text}"
            );
        }
    }
    // A window without a capability is refused, before the command runs.
    for name in ["account_list", "settings_update", "flow_start_link"] {
        let answer = invoke(&other, name, json!({}));
        assert!(
            refused_by_acl(&answer),
            "{name} from another window: {answer:?}"
        );
    }
    // So is a command no permission names, and a plugin's command the window was not given
    // (the autostart plugin is driven from Rust only).
    assert!(refused_by_acl(&invoke(&main, "not_a_command", json!({}))));
    assert!(refused_by_acl(&invoke(
        &main,
        "plugin:autostart|enable",
        json!({})
    )));

    drop((main, other));
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}
