//! Commands of the settings screen: preferences and the PIN change.

use nextauth_sdk::PinInput;
use tauri::{AppHandle, Runtime, State};

use crate::error::{IpcError, IpcResult};
use crate::settings::{OsSwitches, Settings};
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

/// Replaces the preferences (saved to `settings.json`); returns them as saved. The website
/// link prefixes must be `https://` addresses (else 305, nothing changes; they are stored
/// normalised, see [`nextauth_desktop::links::normalise_prefix`]) and take effect at once. What the OS keeps is
/// applied first: `startOnLogin` (the autostart plugin; a refusal is error 306), then
/// `openLinks` (the deep-link plugin; 308). If either is refused, or the file cannot be
/// written, what was already changed is put back and nothing is saved.
#[tauri::command]
pub async fn settings_update<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    mut settings: Settings,
) -> IpcResult<Settings> {
    settings.link_prefixes = nextauth_desktop::links::normalise_prefixes(&settings.link_prefixes)?;
    let saved = save(&app, &state, settings)?;
    state.apply_link_rules().await;
    Ok(saved)
}

/// The `https://` link prefixes the servers of this app's accounts announce, which the app
/// accepts without being told (the settings screen lists them above the person's own).
#[tauri::command]
pub async fn settings_server_link_prefixes(
    state: State<'_, AppState>,
) -> IpcResult<Vec<ServerLinkPrefix>> {
    Ok(state
        .sdk
        .server_link_prefixes()
        .await?
        .into_iter()
        .map(|(server_name, prefix)| ServerLinkPrefix {
            server_name,
            prefix,
        })
        .collect())
}

/// A link prefix a server announces.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ServerLinkPrefix {
    /// The server's name.
    pub server_name: String,
    /// Its `https://` prefix.
    pub prefix: String,
}

/// Applies what the OS keeps, then saves, all or nothing (see [`settings_update`] and
/// `nextauth_desktop::settings::update`); then the app uses the new settings.
fn save<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    settings: Settings,
) -> IpcResult<Settings> {
    let previous = state.settings();
    autostart::with_item(app, |start_on_login| {
        links::with_handler(app, |link_handler| {
            let os = OsSwitches {
                start_on_login,
                link_handler,
            };
            crate::settings::update(&previous, &settings, os, &state.data_dir)
        })
    })?;
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
