//! The app's own errors: a stable numeric code the UI branches on (the app's 3xx range; the
//! SDK uses 1–299) and a message for people, which names devices, paths and platform facts
//! only.

/// Defines each code as a constant and [`codes::ALL`], the one list of them (the app's
/// bindings test writes it into `ui/src/bindings/codes.ts`).
macro_rules! define_codes {
    ($( $(#[$doc:meta])* $name:ident = $value:literal; )*) => {
        $( $(#[$doc])* pub const $name: u16 = $value; )*
        /// Every code of the app, by name.
        pub const ALL: &[(&str, u16)] = &[$((stringify!($name), $name)),*];
    };
}

/// The codes (the app's range; the SDK uses 1–299).
pub mod codes {
    define_codes! {
        /// The image (or the camera, within its time) showed no readable QR code.
        NO_QR_CODE = 300;
        /// The image file cannot be read or decoded.
        IMAGE_UNREADABLE = 301;
        /// The screen cannot be captured here (no X11 display, Wayland without XWayland, an
        /// unsupported platform).
        SCREEN_CAPTURE_UNAVAILABLE = 302;
        /// No camera is connected (or none this build can use).
        NO_CAMERA = 303;
        /// The app's settings file cannot be read or written.
        SETTINGS_IO = 304;
        /// Input from the UI is not acceptable (too long, empty).
        BAD_REQUEST = 305;
        /// The app cannot be made to start at login, or to stop doing so (the OS refused, or
        /// this platform has no such thing).
        START_ON_LOGIN = 306;
        /// The person stopped a camera scan.
        SCAN_CANCELLED = 307;
        /// The app cannot be made the handler of `nextauth:` links, or stop being it (the OS
        /// refused, `xdg-mime` is missing, or this platform takes the scheme from the bundle
        /// only).
        LINK_HANDLER = 308;
        /// An approval the settings protect came without the PIN (the UI asks for it first).
        PIN_BEFORE_APPROVAL = 309;
        /// The camera is in use by another program.
        CAMERA_BUSY = 310;
        /// The system does not let this app use the camera (Linux: not in the `video` group;
        /// macOS: camera permission).
        CAMERA_DENIED = 311;
        /// The camera stopped delivering pictures during a scan (unplugged).
        CAMERA_LOST = 312;
    }
}

/// An error of the app's own logic (a scan that did not give a code, settings that cannot be
/// saved, an OS switch that was refused, input that is not acceptable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (code {code})")]
pub struct DesktopError {
    /// One of [`codes`].
    pub code: u16,
    /// Text for people.
    pub message: String,
}

impl DesktopError {
    /// An error with `code`.
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Input that is not acceptable ([`codes::BAD_REQUEST`]).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(codes::BAD_REQUEST, message)
    }
}

/// A scan that did not give a code (the scanner's and the camera's name for [`DesktopError`]).
pub type ScanError = DesktopError;

/// Result of the app's own logic.
pub type DesktopResult<T> = Result<T, DesktopError>;

/// Result of a scan.
pub type ScanResult<T> = Result<T, ScanError>;

#[cfg(test)]
mod tests {
    use super::codes;

    #[test]
    fn codes_are_distinct_and_in_the_apps_range() {
        let mut seen = std::collections::BTreeSet::new();
        for (name, code) in codes::ALL {
            assert!((300..400).contains(code), "{name}");
            assert!(seen.insert(*code), "{name} reuses {code}");
        }
        assert_eq!(codes::ALL.len(), 13);
    }
}
