//! # nextauth-desktop
//!
//! The desktop app's own logic, with no Tauri in it, so it is tested without a webview: finding
//! a nextAuth QR code in an image file, on the screen ([`scanner`]) or through a camera
//! ([`camera`]: the devices, a recorded sequence that plays like one, and the scan loop that
//! turns frames into a code). `src-tauri` wraps these in commands and events.

pub mod camera;
pub mod error;
pub mod scanner;

pub use error::{codes, ScanError, ScanResult};
