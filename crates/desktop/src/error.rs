//! The errors of scanning: a stable numeric code the UI branches on (the app's 3xx range) and
//! a message for people, which names devices and platform facts only.

/// The codes (the app's range; the SDK uses 1–299).
pub mod codes {
    /// The image (or the camera, within its time) showed no readable QR code.
    pub const NO_QR_CODE: u16 = 300;
    /// The image file cannot be read or decoded.
    pub const IMAGE_UNREADABLE: u16 = 301;
    /// The screen cannot be captured here (no X11 display, Wayland without XWayland, an
    /// unsupported platform).
    pub const SCREEN_CAPTURE_UNAVAILABLE: u16 = 302;
    /// No camera is connected (or none this build can use).
    pub const NO_CAMERA: u16 = 303;
    /// The person stopped a camera scan.
    pub const SCAN_CANCELLED: u16 = 307;
    /// The camera is in use by another program.
    pub const CAMERA_BUSY: u16 = 310;
    /// The system does not let this app use the camera (Linux: not in the `video` group;
    /// macOS: camera permission).
    pub const CAMERA_DENIED: u16 = 311;
    /// The camera stopped delivering pictures during a scan (unplugged).
    pub const CAMERA_LOST: u16 = 312;
}

/// A scan that did not give a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (code {code})")]
pub struct ScanError {
    /// One of [`codes`].
    pub code: u16,
    /// Text for people.
    pub message: String,
}

impl ScanError {
    /// An error with `code`.
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Result of a scan.
pub type ScanResult<T> = Result<T, ScanError>;
