//! Work the app does on its own: live delivery of push messages (so push logins reach a
//! desktop that has no push service), and deep links from the command line (which arguments
//! are links: `nextauth_desktop::links::links_from_args`).

use std::sync::atomic::Ordering;

use nextauth_sdk::{LiveDelivery, Sdk};
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::error::IpcError;
use crate::events::NOTICE_EVENT;
use crate::state::AppState;

pub use nextauth_desktop::links::links_from_args;

/// Environment variable that turns live delivery off when `0` (startup measurements).
pub const LIVE_ENV: &str = "NEXTAUTH_LIVE";

/// Starts the SDK's live delivery (one connection per account, so push logins reach a desktop
/// that has no push service) unless [`LIVE_ENV`] is `0`. Keep the handle: dropping it stops
/// delivery.
pub fn start_live_delivery(sdk: &Sdk) -> Option<LiveDelivery> {
    let off = std::env::var(LIVE_ENV).is_ok_and(|v| v.trim() == "0");
    // The SDK spawns its tasks on the runtime it is called from: Tauri's.
    (!off).then(|| tauri::async_runtime::block_on(async { sdk.start_live_delivery() }))
}

/// Opens deep links (from the command line, a second launch, or the OS): queued until the UI
/// is ready to show their prompt, started at once afterwards. A link that cannot start is
/// reported to the UI as [`NOTICE_EVENT`].
pub fn open_links<R: Runtime>(app: &AppHandle<R>, links: Vec<String>) {
    if links.is_empty() {
        return;
    }
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    {
        // The same lock as `app_ready` takes, so no link slips between the check and the queue.
        let Ok(mut pending) = state.pending_links.lock() else {
            return;
        };
        if !state.ui_ready.load(Ordering::SeqCst) {
            pending.extend(links);
            return;
        }
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        for link in links {
            if let Err(err) = state.start_link(&link).await {
                let _ = app.emit(NOTICE_EVENT, IpcError::from(err));
            }
        }
    });
}
