//! The "start on login" preference: on desktops the official `tauri-plugin-autostart` asks the
//! OS to start the app when the person logs in (an XDG autostart entry
//! `~/.config/autostart/nextAuth.desktop` on Linux, a Launch Agent on macOS, the `Run` registry
//! key on Windows). Phones have no such thing; there the preference can only be off.
//!
//! The OS is the source of truth: `settings_get` reports what it says, and `settings_update`
//! changes it only when it differs from what the person asks for.

use tauri::{AppHandle, Runtime};

use crate::error::{codes, IpcResult};
use crate::os_switch::{self, OsSwitch};

/// What the person is asking for, in error messages.
const WHAT: &str = "starting at login";

#[cfg(desktop)]
impl OsSwitch for tauri_plugin_autostart::AutoLaunchManager {
    fn is_on(&self) -> Result<bool, String> {
        self.is_enabled().map_err(|e| e.to_string())
    }
    fn turn_on(&self) -> Result<(), String> {
        self.enable().map_err(|e| e.to_string())
    }
    fn turn_off(&self) -> Result<(), String> {
        self.disable().map_err(|e| e.to_string())
    }
}

/// Makes the OS start the app at login, or stop doing so; refusals are [`codes::START_ON_LOGIN`]
/// (see [`os_switch::set`]).
pub fn set(item: Option<&dyn OsSwitch>, on: bool) -> IpcResult<()> {
    os_switch::set(item, on, codes::START_ON_LOGIN, WHAT)
}

/// Runs `f` with the app's login item (the plugin's manager on desktops, if registered).
pub fn with_item<R: Runtime, T>(
    app: &AppHandle<R>,
    f: impl FnOnce(Option<&dyn OsSwitch>) -> T,
) -> T {
    #[cfg(desktop)]
    {
        use tauri::Manager;
        let manager = app.try_state::<tauri_plugin_autostart::AutoLaunchManager>();
        f(manager.as_ref().map(|m| m.inner() as &dyn OsSwitch))
    }
    #[cfg(not(desktop))]
    {
        let _ = app;
        f(None)
    }
}
