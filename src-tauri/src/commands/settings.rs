//! Commands of the settings screen: preferences and the PIN change.

use nextauth_sdk::PinInput;
use tauri::{AppHandle, Runtime, State};

use crate::error::{IpcError, IpcResult};
use crate::settings::Settings;
use crate::state::AppState;
use crate::{autostart, links, os_switch};

/// The current preferences; `startOnLogin` and `openLinks` are what the OS says when it can
/// tell (the person may have changed them in the system's settings).
#[tauri::command]
pub fn settings_get<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Settings {
    let mut settings = state.settings();
    if let Some(on) = autostart::with_item(&app, os_switch::current) {
        settings.start_on_login = on;
    }
    if let Some(on) = links::with_handler(&app, os_switch::current) {
        settings.open_links = on;
    }
    settings
}

/// Replaces the preferences (saved to `settings.json`); returns them. What the OS keeps is
/// applied first: `startOnLogin` (the autostart plugin; a refusal is error 306), then
/// `openLinks` (the deep-link plugin; 308). If either is refused, or the file cannot be
/// written, what was already changed is put back and nothing is saved.
#[tauri::command]
pub fn settings_update<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    settings: Settings,
) -> IpcResult<Settings> {
    let previous = state.settings();
    // Best effort, when a later step fails: put back an OS entry this call changed.
    let restore_autostart = || {
        if previous.start_on_login != settings.start_on_login {
            let _ =
                autostart::with_item(&app, |item| autostart::set(item, previous.start_on_login));
        }
    };
    let restore_links = || {
        if previous.open_links != settings.open_links {
            let _ = links::with_handler(&app, |handler| links::set(handler, previous.open_links));
        }
    };
    autostart::with_item(&app, |item| autostart::set(item, settings.start_on_login))?;
    if let Err(err) = links::with_handler(&app, |handler| links::set(handler, settings.open_links))
    {
        restore_autostart();
        return Err(err);
    }
    if let Err(err) = settings.save(&state.data_dir) {
        restore_autostart();
        restore_links();
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
