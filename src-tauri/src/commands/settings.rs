//! Commands of the settings screen: preferences and the PIN change.

use nextauth_sdk::PinInput;
use tauri::{AppHandle, Runtime, State};

use crate::autostart;
use crate::error::{IpcError, IpcResult};
use crate::settings::Settings;
use crate::state::AppState;

/// The current preferences; `startOnLogin` is what the OS says when it can tell (the person
/// may have removed the entry in the system's settings).
#[tauri::command]
pub fn settings_get<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Settings {
    let mut settings = state.settings();
    if let Some(on) = autostart::with_item(&app, autostart::current) {
        settings.start_on_login = on;
    }
    settings
}

/// Replaces the preferences (saved to `settings.json`); returns them. `startOnLogin` is
/// applied first (desktops, through the autostart plugin): if the OS refuses, nothing changes
/// and the answer is error 306.
#[tauri::command]
pub fn settings_update<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    settings: Settings,
) -> IpcResult<Settings> {
    let previous = state.settings();
    autostart::with_item(&app, |item| autostart::set(item, settings.start_on_login))?;
    if let Err(err) = settings.save(&state.data_dir) {
        // Best effort: put the login entry back as it was.
        if previous.start_on_login != settings.start_on_login {
            let _ =
                autostart::with_item(&app, |item| autostart::set(item, previous.start_on_login));
        }
        return Err(err);
    }
    let mut current = state
        .settings
        .lock()
        .map_err(|_| IpcError::new(crate::error::codes::SETTINGS_IO, "settings unavailable"))?;
    *current = settings.clone();
    Ok(settings)
}

/// Changes the app's PIN on every account that has one (each server checks `current`
/// first). Both PINs go straight into the SDK's wiping [`PinInput`].
#[tauri::command]
pub async fn pin_change(
    state: State<'_, AppState>,
    current: PinInput,
    new: PinInput,
) -> IpcResult<()> {
    Ok(state.sdk.change_pin(&current, &new).await?)
}
