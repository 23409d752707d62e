//! Desktop entry point of the nextAuth app.

// Prevents an extra console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    nextauth_app_lib::run();
}
