//! The "start on login" preference: on desktops the official `tauri-plugin-autostart` asks the
//! OS to start the app when the person logs in (an XDG autostart entry
//! `~/.config/autostart/nextAuth.desktop` on Linux, a Launch Agent on macOS, the `Run` registry
//! key on Windows). Phones have no such thing; there the preference can only be off.
//!
//! The OS is the source of truth: `settings_get` reports what it says, and `settings_update`
//! changes it only when it differs from what the person asks for.

use tauri::{AppHandle, Runtime};

use crate::error::{codes, IpcError, IpcResult};

/// What the OS offers to start the app at login: the plugin's manager, or a stand-in in tests.
pub trait LoginItem {
    /// Whether the app starts at login now.
    fn is_enabled(&self) -> Result<bool, String>;
    /// Start the app at login.
    fn enable(&self) -> Result<(), String>;
    /// Do not start the app at login.
    fn disable(&self) -> Result<(), String>;
}

#[cfg(desktop)]
impl LoginItem for tauri_plugin_autostart::AutoLaunchManager {
    fn is_enabled(&self) -> Result<bool, String> {
        tauri_plugin_autostart::AutoLaunchManager::is_enabled(self).map_err(|e| e.to_string())
    }
    fn enable(&self) -> Result<(), String> {
        tauri_plugin_autostart::AutoLaunchManager::enable(self).map_err(|e| e.to_string())
    }
    fn disable(&self) -> Result<(), String> {
        tauri_plugin_autostart::AutoLaunchManager::disable(self).map_err(|e| e.to_string())
    }
}

/// Makes the OS start the app at login, or stop doing so. `item` is `None` where there is no
/// way to do it (a phone, or the plugin is not registered): turning it off is then a no-op and
/// turning it on is refused with [`codes::START_ON_LOGIN`].
pub fn set(item: Option<&dyn LoginItem>, on: bool) -> IpcResult<()> {
    let Some(item) = item else {
        return if on {
            Err(IpcError::new(
                codes::START_ON_LOGIN,
                "starting at login is not available on this system",
            ))
        } else {
            Ok(())
        };
    };
    if item.is_enabled().ok() == Some(on) {
        return Ok(());
    }
    let result = if on { item.enable() } else { item.disable() };
    result.map_err(|err| {
        tracing::warn!(%err, on, "cannot change the start on login entry");
        IpcError::new(
            codes::START_ON_LOGIN,
            format!(
                "cannot turn {} starting at login: {err}",
                if on { "on" } else { "off" }
            ),
        )
    })
}

/// Whether the OS starts the app at login, when it can tell.
pub fn current(item: Option<&dyn LoginItem>) -> Option<bool> {
    item?.is_enabled().ok()
}

/// Runs `f` with the app's [`LoginItem`] (the plugin's manager on desktops, if registered).
pub fn with_item<R: Runtime, T>(
    app: &AppHandle<R>,
    f: impl FnOnce(Option<&dyn LoginItem>) -> T,
) -> T {
    #[cfg(desktop)]
    {
        use tauri::Manager;
        let manager = app.try_state::<tauri_plugin_autostart::AutoLaunchManager>();
        f(manager.as_ref().map(|m| m.inner() as &dyn LoginItem))
    }
    #[cfg(not(desktop))]
    {
        let _ = app;
        f(None)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};

    use super::*;

    /// A login item in memory that can be told to fail.
    #[derive(Default)]
    struct Fake {
        on: Cell<bool>,
        fail: Cell<bool>,
        calls: RefCell<Vec<&'static str>>,
    }

    impl LoginItem for Fake {
        fn is_enabled(&self) -> Result<bool, String> {
            Ok(self.on.get())
        }
        fn enable(&self) -> Result<(), String> {
            self.calls.borrow_mut().push("enable");
            if self.fail.get() {
                return Err("permission denied".into());
            }
            self.on.set(true);
            Ok(())
        }
        fn disable(&self) -> Result<(), String> {
            self.calls.borrow_mut().push("disable");
            if self.fail.get() {
                return Err("permission denied".into());
            }
            self.on.set(false);
            Ok(())
        }
    }

    #[test]
    fn changes_the_os_entry_only_when_it_differs_and_types_failures() {
        let fake = Fake::default();
        set(Some(&fake), false).expect("already off");
        assert!(fake.calls.borrow().is_empty(), "nothing to do");
        set(Some(&fake), true).expect("on");
        assert_eq!(current(Some(&fake)), Some(true));
        set(Some(&fake), true).expect("still on");
        assert_eq!(*fake.calls.borrow(), ["enable"]);
        fake.fail.set(true);
        let err = set(Some(&fake), false).expect_err("the OS refuses");
        assert_eq!(err.code, codes::START_ON_LOGIN);
        assert!(err.message.contains("permission denied"), "{err}");
        assert_eq!(current(Some(&fake)), Some(true), "unchanged");
    }

    #[test]
    fn without_a_login_item_only_off_is_accepted() {
        set(None, false).expect("off is a no-op");
        assert_eq!(
            set(None, true).map_err(|e| e.code),
            Err(codes::START_ON_LOGIN)
        );
        assert_eq!(current(None), None);
    }
}
