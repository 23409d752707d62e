//! Commands that find a QR code (in an image file, image bytes, the screen or a camera) and
//! start its flow. Decoding runs on a blocking thread; the flow's progress arrives as
//! `sdk://event`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::sync::atomic::Ordering;

use nextauth_protocol::qr::QrPayload;
use nextauth_sdk::{CodeSource, Flow, FlowKind};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use crate::error::{codes, IpcError, IpcResult};
use crate::state::AppState;
use crate::{camera, scanner};

/// Decodes the image file at `path` and starts the flow of its QR code.
#[tauri::command]
pub async fn scan_image(state: State<'_, AppState>, path: String) -> IpcResult<Flow> {
    let path = std::path::PathBuf::from(path.trim());
    let meta = std::fs::metadata(&path).map_err(|e| {
        IpcError::new(
            codes::IMAGE_UNREADABLE,
            format!("{} cannot be opened: {e}", path.display()),
        )
    })?;
    if meta.len() > scanner::MAX_IMAGE_BYTES as u64 {
        return Err(IpcError::new(
            codes::IMAGE_UNREADABLE,
            "the image is too large (more than 32 MiB)",
        ));
    }
    let bytes = std::fs::read(&path).map_err(|e| {
        IpcError::new(
            codes::IMAGE_UNREADABLE,
            format!("{} cannot be read: {e}", path.display()),
        )
    })?;
    start_from_image(&state, bytes).await
}

/// Decodes an image the UI read itself (file picker, drag and drop, clipboard), given as
/// base64, and starts the flow of its QR code.
#[tauri::command]
pub async fn scan_image_data(state: State<'_, AppState>, data: String) -> IpcResult<Flow> {
    if data.len() > scanner::MAX_IMAGE_BYTES / 3 * 4 + 4 {
        return Err(IpcError::new(
            codes::IMAGE_UNREADABLE,
            "the image is too large (more than 32 MiB)",
        ));
    }
    let bytes = STANDARD
        .decode(data.trim())
        .map_err(|_| IpcError::bad_request("the image data is not base64"))?;
    start_from_image(&state, bytes).await
}

/// A nextAuth code seen on the screen, for the person to choose from when there are several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ScreenCode {
    /// The code as an app-to-app link (`nextauth:…`): `flow_start_link` starts it.
    pub link: String,
    /// What it starts.
    pub kind: FlowKind,
    /// The website's name when the app knows it (logins, transactions), else empty.
    pub server_name: String,
    /// The account name an enrol code offers, else empty.
    pub display_name: String,
}

/// What a screen scan found: the flow it started (one nextAuth code), or the codes to choose
/// from (several: two browser windows, say).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ScreenScan {
    /// The flow started, if exactly one nextAuth code was on the screen.
    pub flow: Option<Flow>,
    /// The nextAuth codes on the screen, when there are several.
    pub choices: Vec<ScreenCode>,
}

/// How long the X server and the windows below get to redraw what the app's window covered
/// once it is hidden (screenshot tools wait the same way).
const UNCOVER_DELAY: std::time::Duration = std::time::Duration::from_millis(300);

/// Captures the screen (every monitor: the X root window spans them all) without the app's own
/// window, which is hidden for the moment of the capture and shown again afterwards, reads
/// every QR code on it and keeps the nextAuth ones: one starts its flow, several are returned
/// for the person to choose (desktop, X11).
#[tauri::command]
pub async fn scan_screen<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> IpcResult<ScreenScan> {
    let window = app.get_webview_window("main");
    let shown = window
        .as_ref()
        .is_some_and(|w| w.is_visible().unwrap_or(false) && !w.is_minimized().unwrap_or(false));
    if let (true, Some(w)) = (shown, &window) {
        let _ = w.hide();
        tokio::time::sleep(UNCOVER_DELAY).await;
    }
    let captured = blocking(|| Ok(scanner::capture_screen()?)).await;
    // Back in front: the scan was asked for here (or from the tray: then its outcome shows).
    crate::events::show_main_window(&app);
    let codes = blocking(move || Ok(scanner::decode_all_luma(&captured?))).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let ours: Vec<(Vec<u8>, QrPayload)> = codes
        .into_iter()
        .filter_map(|bytes| {
            let payload = QrPayload::decode(&bytes, now).ok()?;
            Some((bytes, payload))
        })
        .collect();
    match ours.as_slice() {
        [] => Err(IpcError::new(
            codes::NO_QR_CODE,
            "no nextAuth code is visible on the screen",
        )),
        [(bytes, _)] => Ok(ScreenScan {
            flow: Some(state.sdk.start_qr_from(bytes, CodeSource::Screen).await?),
            choices: Vec::new(),
        }),
        several => {
            let mut choices = Vec::new();
            for (_, payload) in several {
                choices.push(describe(&state, payload).await);
            }
            Ok(ScreenScan {
                flow: None,
                choices,
            })
        }
    }
}

/// A code as the person chooses it: what it does, where.
async fn describe(state: &AppState, payload: &QrPayload) -> ScreenCode {
    let server_name = match state.sdk.server(&payload.server_id().to_base64()).await {
        Ok(Some(server)) => server.name,
        _ => String::new(),
    };
    let (kind, display_name) = match payload {
        QrPayload::Enrol(code) => (FlowKind::Enrol, code.display_name.clone()),
        QrPayload::Login(_) => (FlowKind::Login, String::new()),
        QrPayload::Transaction(_) => (FlowKind::SignTransaction, String::new()),
    };
    ScreenCode {
        link: payload
            .to_app_uri(nextauth_sdk::config::DEFAULT_SCHEME)
            .unwrap_or_default(),
        kind,
        server_name,
        display_name,
    }
}

/// The cameras there are now, by name (the person chooses one in Settings or the scan view).
#[tauri::command]
pub async fn camera_list() -> IpcResult<Vec<camera::CameraInfo>> {
    blocking(|| Ok(camera::list()?)).await
}

/// Looks through a camera for a QR code (up to 20 s) and starts its flow: `camera_id` (from
/// `camera_list`), else the one chosen in the settings, else (or when that one is gone) the
/// first. While it looks, small
/// previews arrive as `scanner://preview` events ([`camera::Preview`]); `scan_cancel`, a
/// closed window or another prompt stops it (307). Every outcome turns the camera off. Errors:
/// no camera (303), busy (310), not allowed (311), unplugged (312), nothing seen in time (300).
#[tauri::command]
pub async fn scan_camera<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    camera_id: Option<String>,
) -> IpcResult<Flow> {
    let cancel = state.camera_cancel.clone();
    cancel.store(false, Ordering::SeqCst);
    let camera_id = camera_id.or_else(|| state.settings().camera);
    let code = blocking(move || {
        let mut source = camera::open(camera_id.as_deref())?;
        let found = camera::scan(
            source.as_mut(),
            &cancel,
            camera::ScanLimits::default(),
            &mut |preview| {
                let _ = app.emit(crate::events::PREVIEW_EVENT, preview);
            },
        );
        Ok(found?)
    })
    .await?;
    Ok(state.sdk.start_qr_from(&code, CodeSource::Camera).await?)
}

/// Stops a running camera scan (its `scan_camera` answers 307).
#[tauri::command]
pub fn scan_cancel(state: State<'_, AppState>) {
    state.camera_cancel.store(true, Ordering::SeqCst);
}

async fn start_from_image(state: &AppState, bytes: Vec<u8>) -> IpcResult<Flow> {
    let code = blocking(move || Ok(scanner::decode_image(&bytes)?)).await?;
    Ok(state.sdk.start_qr_from(&code, CodeSource::Image).await?)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> IpcResult<T> + Send + 'static,
) -> IpcResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| IpcError::new(codes::IMAGE_UNREADABLE, format!("decoding failed: {e}")))?
}
