//! # nextauth-app
//!
//! The nextAuth authenticator desktop app, built with Tauri 2. The Rust side is a thin shell:
//! Tauri commands (in [`commands`]) translate between the web UI in `ui/` and the
//! `nextauth-sdk` crate, which holds the actual authenticator logic.

pub mod commands;

/// Builds and runs the Tauri application; returns when the last window is closed.
///
/// # Panics
///
/// Panics if Tauri cannot start (for example, no display is available).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![commands::app::app_info])
        .run(tauri::generate_context!())
        .expect("error while running the nextAuth app");
}
