//! Commands that find a QR code (in an image file, image bytes, the screen or a camera) and
//! start its flow. Decoding runs on a blocking thread; the flow's progress arrives as
//! `sdk://event`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::sync::atomic::Ordering;

use nextauth_sdk::Flow;
use tauri::{AppHandle, Emitter, Runtime, State};

use crate::error::{codes, IpcError, IpcResult};
use crate::scanner;
use crate::state::AppState;

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

/// Captures the screen, finds a QR code on it and starts its flow (desktop, X11).
#[tauri::command]
pub async fn scan_screen(state: State<'_, AppState>) -> IpcResult<Flow> {
    let code = blocking(|| scanner::decode_luma(&scanner::capture_screen()?)).await?;
    Ok(state.sdk.start_qr(&code).await?)
}

/// Looks through the camera for a QR code (up to 20 s) and starts its flow. While it looks,
/// small previews arrive as `scanner://preview` events ([`crate::camera::Preview`]);
/// `scan_cancel` stops it (error 307). Without a camera, or in a build without the `camera`
/// feature, the answer is the typed "no camera" error (303).
#[tauri::command]
pub async fn scan_camera<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> IpcResult<Flow> {
    let cancel = state.camera_cancel.clone();
    cancel.store(false, Ordering::SeqCst);
    let code = blocking(move || {
        scanner::scan_camera(&cancel, &mut |preview| {
            let _ = app.emit(crate::camera::PREVIEW_EVENT, preview);
        })
    })
    .await?;
    Ok(state.sdk.start_qr(&code).await?)
}

/// Stops a running camera scan (its `scan_camera` answers 307).
#[tauri::command]
pub fn scan_cancel(state: State<'_, AppState>) {
    state.camera_cancel.store(true, Ordering::SeqCst);
}

async fn start_from_image(state: &AppState, bytes: Vec<u8>) -> IpcResult<Flow> {
    let code = blocking(move || scanner::decode_image(&bytes)).await?;
    Ok(state.sdk.start_qr(&code).await?)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> IpcResult<T> + Send + 'static,
) -> IpcResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| IpcError::new(codes::IMAGE_UNREADABLE, format!("decoding failed: {e}")))?
}
