//! The "start on login" preference: on desktops the official `tauri-plugin-autostart` asks the
//! OS to start the app when the person logs in (an XDG autostart entry
//! `~/.config/autostart/nextAuth.desktop` on Linux, a Launch Agent on macOS, the `Run` registry
//! key on Windows). Phones have no such thing; there the preference can only be off.
//!
//! The OS is the source of truth: `settings_get` reports what it says, and `settings_update`
//! changes it only when it differs from what the person asks for (the logic, Tauri-free, is
//! `nextauth_desktop::os_switch`; here is only the plugin behind it).

use tauri::{AppHandle, Runtime};

use crate::os_switch::OsSwitch;

/// The plugin's manager as an [`OsSwitch`].
#[cfg(desktop)]
struct LoginItem<'a>(&'a tauri_plugin_autostart::AutoLaunchManager);

#[cfg(desktop)]
impl OsSwitch for LoginItem<'_> {
    fn is_on(&self) -> Result<bool, String> {
        self.0.is_enabled().map_err(|e| e.to_string())
    }
    fn turn_on(&self) -> Result<(), String> {
        self.0.enable().map_err(|e| e.to_string())
    }
    fn turn_off(&self) -> Result<(), String> {
        self.0.disable().map_err(|e| e.to_string())
    }
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
        let item = manager.as_ref().map(|m| LoginItem(m.inner()));
        f(item.as_ref().map(|item| item as &dyn OsSwitch))
    }
    #[cfg(not(desktop))]
    {
        let _ = app;
        f(None)
    }
}
