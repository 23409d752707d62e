//! The "open nextauth: links with this app" preference (Linux and Windows): registers the app
//! as the OS's handler of the `nextauth:` scheme at run time, through `tauri-plugin-deep-link`.
//! A package declares the scheme itself (the .deb's desktop file, `plugins.deep-link` in
//! tauri.conf.json); this is for a binary that was not installed by one (a build from source,
//! an AppImage). On Linux the plugin writes `nextauth-app-handler.desktop` to
//! `~/.local/share/applications` and makes it the default with `xdg-mime` (xdg-utils); on
//! Windows it writes the registry's `HKCU\Software\Classes\nextauth`. macOS and phones take the
//! scheme from the app bundle only, so there the switch is not offered.

use tauri::{AppHandle, Runtime};

use crate::error::{codes, IpcResult};
use crate::os_switch::{self, OsSwitch};

/// The scheme this preference is about.
pub const SCHEME: &str = nextauth_sdk::config::DEFAULT_SCHEME;

/// What the person is asking for, in error messages.
const WHAT: &str = "opening nextauth: links with this app";

#[cfg(any(target_os = "linux", windows))]
impl<R: Runtime> OsSwitch for tauri_plugin_deep_link::DeepLink<R> {
    fn is_on(&self) -> Result<bool, String> {
        self.is_registered(SCHEME).map_err(|e| e.to_string())
    }
    fn turn_on(&self) -> Result<(), String> {
        self.register(SCHEME).map_err(|e| e.to_string())
    }
    fn turn_off(&self) -> Result<(), String> {
        self.unregister(SCHEME).map_err(|e| e.to_string())
    }
}

/// Makes the app the handler of `nextauth:` links, or stops it being one; refusals are
/// [`codes::LINK_HANDLER`] (see [`os_switch::set`]).
pub fn set(handler: Option<&dyn OsSwitch>, on: bool) -> IpcResult<()> {
    os_switch::set(handler, on, codes::LINK_HANDLER, WHAT)
}

/// Runs `f` with the deep-link plugin where it can register schemes at run time (Linux and
/// Windows, when the plugin is registered), else with `None`.
pub fn with_handler<R: Runtime, T>(
    app: &AppHandle<R>,
    f: impl FnOnce(Option<&dyn OsSwitch>) -> T,
) -> T {
    #[cfg(any(target_os = "linux", windows))]
    {
        use tauri::Manager;
        let plugin = app.try_state::<tauri_plugin_deep_link::DeepLink<R>>();
        f(plugin.as_ref().map(|p| p.inner() as &dyn OsSwitch))
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        let _ = app;
        f(None)
    }
}
