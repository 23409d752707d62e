//! # nextauth-desktop
//!
//! The desktop app's own logic, with no Tauri in it, so it is tested without a webview: finding
//! a nextAuth QR code in an image file, on the screen ([`scanner`]) or through a camera
//! ([`camera`]: the devices, a recorded sequence that plays like one, and the scan loop that
//! turns frames into a code); the person's preferences and their all-or-nothing update
//! ([`settings`]); the preferences the OS keeps, behind a trait the app implements over its
//! Tauri plugins ([`os_switch`]); the website addresses whose links the app opens
//! and which command-line arguments are deep links ([`links`]); the app's state around the SDK
//! and the keystore it opens it with ([`state`]); what the window does on close and at start
//! ([`window`]); the words of its notifications ([`notifications`]); and the app's error codes
//! ([`codes`]). `src-tauri` wraps these in commands, events, plugins, the window and the tray.

pub mod camera;
pub mod error;
pub mod links;
pub mod notifications;
pub mod os_switch;
pub mod scanner;
pub mod settings;
pub mod state;
pub mod window;

pub use error::{codes, DesktopError, DesktopResult, ScanError, ScanResult};
