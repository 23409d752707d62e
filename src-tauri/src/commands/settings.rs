//! Commands of the settings screen: preferences and the PIN change.

use nextauth_sdk::PinInput;
use tauri::State;

use crate::error::{IpcError, IpcResult};
use crate::settings::Settings;
use crate::state::AppState;

/// The current preferences.
#[tauri::command]
pub fn settings_get(state: State<'_, AppState>) -> Settings {
    state.settings()
}

/// Replaces the preferences (saved to `settings.json`); returns them.
#[tauri::command]
pub fn settings_update(state: State<'_, AppState>, settings: Settings) -> IpcResult<Settings> {
    settings.save(&state.data_dir)?;
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
