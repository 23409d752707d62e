//! Preferences the OS keeps rather than the app: start on login and being the handler of
//! `nextauth:` links. The OS is the source of truth: the app reports what it says (the person
//! may have changed it in the system's settings), and changes it only when it differs from what
//! the person asks for. The app implements [`OsSwitch`] over its Tauri plugins
//! (`src-tauri/src/autostart.rs`, `links.rs`); the tests here use a switch in memory.

use crate::error::{codes, DesktopError, DesktopResult};

/// What the person asks for with "start on login", in error messages.
const START_ON_LOGIN: &str = "starting at login";
/// What the person asks for with "open nextauth: links", in error messages.
const LINK_HANDLER: &str = "opening nextauth: links with this app";

/// One such preference: the plugin that reaches the OS, or a stand-in in tests.
pub trait OsSwitch {
    /// Whether it is on now.
    fn is_on(&self) -> Result<bool, String>;
    /// Turns it on.
    fn turn_on(&self) -> Result<(), String>;
    /// Turns it off.
    fn turn_off(&self) -> Result<(), String>;
}

/// Turns the switch on or off. `switch` is `None` where the platform has no such thing (or the
/// plugin is not registered): off is then a no-op and on is refused with `code`. A refusal by
/// the OS is `code` too, naming `what` ("starting at login") and the OS's reason.
pub fn set(switch: Option<&dyn OsSwitch>, on: bool, code: u16, what: &str) -> DesktopResult<()> {
    let Some(switch) = switch else {
        return if on {
            Err(DesktopError::new(
                code,
                format!("{what} is not available on this system"),
            ))
        } else {
            Ok(())
        };
    };
    if switch.is_on().ok() == Some(on) {
        return Ok(());
    }
    let result = if on {
        switch.turn_on()
    } else {
        switch.turn_off()
    };
    result.map_err(|err| {
        tracing::warn!(%err, on, what, "the OS refused a change");
        DesktopError::new(
            code,
            format!(
                "cannot turn {} {what}: {err}",
                if on { "on" } else { "off" }
            ),
        )
    })
}

/// Makes the OS start the app at login, or stop doing so; refusals are
/// [`codes::START_ON_LOGIN`] (see [`set`]).
pub fn set_start_on_login(item: Option<&dyn OsSwitch>, on: bool) -> DesktopResult<()> {
    set(item, on, codes::START_ON_LOGIN, START_ON_LOGIN)
}

/// Makes the app the handler of `nextauth:` links, or stops it being one; refusals are
/// [`codes::LINK_HANDLER`] (see [`set`]).
pub fn set_link_handler(handler: Option<&dyn OsSwitch>, on: bool) -> DesktopResult<()> {
    set(handler, on, codes::LINK_HANDLER, LINK_HANDLER)
}

/// Whether the switch is on, when the OS can tell.
pub fn current(switch: Option<&dyn OsSwitch>) -> Option<bool> {
    switch?.is_on().ok()
}

/// A switch in memory that can be told to fail (for tests).
#[cfg(test)]
#[derive(Default)]
pub(crate) struct Fake {
    pub(crate) on: std::cell::Cell<bool>,
    pub(crate) fail: std::cell::Cell<bool>,
    pub(crate) calls: std::cell::RefCell<Vec<&'static str>>,
}

#[cfg(test)]
impl OsSwitch for Fake {
    fn is_on(&self) -> Result<bool, String> {
        Ok(self.on.get())
    }
    fn turn_on(&self) -> Result<(), String> {
        self.calls.borrow_mut().push("on");
        if self.fail.get() {
            return Err("permission denied".into());
        }
        self.on.set(true);
        Ok(())
    }
    fn turn_off(&self) -> Result<(), String> {
        self.calls.borrow_mut().push("off");
        if self.fail.get() {
            return Err("permission denied".into());
        }
        self.on.set(false);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: u16 = 399;

    #[test]
    fn changes_the_os_only_when_it_differs_and_types_failures() {
        let fake = Fake::default();
        set(Some(&fake), false, CODE, "it").expect("already off");
        assert!(fake.calls.borrow().is_empty(), "nothing to do");
        set(Some(&fake), true, CODE, "it").expect("on");
        assert_eq!(current(Some(&fake)), Some(true));
        set(Some(&fake), true, CODE, "it").expect("still on");
        assert_eq!(*fake.calls.borrow(), ["on"]);
        fake.fail.set(true);
        let err = set(Some(&fake), false, CODE, "starting at login").expect_err("the OS refuses");
        assert_eq!(err.code, CODE);
        assert_eq!(
            err.message,
            "cannot turn off starting at login: permission denied"
        );
        assert_eq!(current(Some(&fake)), Some(true), "unchanged");
    }

    #[test]
    fn without_a_switch_only_off_is_accepted() {
        set(None, false, CODE, "it").expect("off is a no-op");
        let err = set(None, true, CODE, "starting at login").expect_err("refused");
        assert_eq!(err.code, CODE);
        assert_eq!(
            err.message,
            "starting at login is not available on this system"
        );
        assert_eq!(current(None), None);
    }

    #[test]
    fn the_two_switches_name_what_was_asked_with_their_codes() {
        let err = set_start_on_login(None, true).expect_err("no autostart here");
        assert_eq!(err.code, codes::START_ON_LOGIN);
        assert_eq!(
            err.message,
            "starting at login is not available on this system"
        );
        let err = set_link_handler(None, true).expect_err("no link registration here");
        assert_eq!(err.code, codes::LINK_HANDLER);
        assert_eq!(
            err.message,
            "opening nextauth: links with this app is not available on this system"
        );
        set_link_handler(None, false).expect("off is a no-op");
    }
}
