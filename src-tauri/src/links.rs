//! The "open nextauth: links with this app" preference (Linux and Windows): registers the app
//! as the OS's handler of the `nextauth:` scheme at run time, through `tauri-plugin-deep-link`.
//! A package declares the scheme itself (the .deb's desktop file, `plugins.deep-link` in
//! tauri.conf.json); this is for a binary that was not installed by one (a build from source,
//! an AppImage). On Linux the plugin writes `nextauth-app-handler.desktop` to
//! `~/.local/share/applications` and makes it the default with `xdg-mime` (xdg-utils); on
//! Windows it writes the registry's `HKCU\Software\Classes\nextauth`. macOS and phones take the
//! scheme from the app bundle only, so there the switch is not offered.
//!
//! The switch's logic and the website link prefixes (Settings → Website links) are Tauri-free,
//! in `nextauth_desktop::{os_switch, links}`; here is only the plugin behind the switch.

use tauri::{AppHandle, Runtime};

use crate::os_switch::OsSwitch;

/// The scheme this preference is about.
pub const SCHEME: &str = nextauth_sdk::config::DEFAULT_SCHEME;

/// The deep-link plugin as an [`OsSwitch`] for [`SCHEME`].
#[cfg(any(target_os = "linux", windows))]
struct Handler<'a, R: Runtime>(&'a tauri_plugin_deep_link::DeepLink<R>);

#[cfg(any(target_os = "linux", windows))]
impl<R: Runtime> OsSwitch for Handler<'_, R> {
    fn is_on(&self) -> Result<bool, String> {
        self.0.is_registered(SCHEME).map_err(|e| e.to_string())
    }
    fn turn_on(&self) -> Result<(), String> {
        self.0.register(SCHEME).map_err(|e| e.to_string())
    }
    fn turn_off(&self) -> Result<(), String> {
        self.0.unregister(SCHEME).map_err(|e| e.to_string())
    }
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
        let handler = plugin.as_ref().map(|p| Handler(p.inner()));
        f(handler.as_ref().map(|h| h as &dyn OsSwitch))
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        let _ = app;
        f(None)
    }
}
