//! # nextauth-app
//!
//! The nextAuth authenticator app, built with Tauri 2. The Rust side is a thin adapter around
//! `nextauth-sdk` and `nextauth-desktop` (the app's Tauri-free logic: state, settings, OS
//! switches, links, scanning, window policy, error codes):
//!
//! * `contract.rs`: the IPC contract, every command and event once; the handler list, the
//!   command names, the event names and (in the bindings test) the UI's TypeScript and the
//!   capability file are generated from it.
//! * [`commands`]: one module per entity; each command adapts `invoke` arguments to an SDK
//!   call and returns `Result<T, IpcError>` ([`error::IpcError`], `{code, message}`).
//! * [`events`]: every SDK event goes to the webview as the `sdk://event` Tauri event;
//!   notifications.
//! * [`autostart`], [`links`]: the autostart and deep-link plugins as the OS switches of
//!   `nextauth_desktop::os_switch`.
//! * [`background`]: live delivery of push messages and deep links from the command line.
//! * `desktop.rs` / `mobile.rs` (like Tauri's own plugins): what only one kind of device has,
//!   behind one interface (`plugins`, `setup`, `on_window_event`, `notifications`). Desktops:
//!   single instance, start on login, the Scan shortcut, the tray (closing the window hides it),
//!   notify-rust notifications; phones: Tauri's notification, barcode and biometric plugins.
//!
//! The TypeScript types of everything crossing IPC are generated from these Rust types with
//! ts-rs into `ui/src/bindings/` (see `src/bindings.rs`, whose tests fail when they drift).
//! docs/app.md describes the whole app.

// The IPC contract (commands and events): `ipc_contract!`, used by `commands`, `events`,
// `with_commands` and the bindings test.
include!("contract.rs");

pub mod autostart;
pub use nextauth_desktop::{camera, os_switch, scanner, settings};
pub mod background;
#[cfg(test)]
mod bindings;
pub mod commands;
pub mod error;
pub mod events;
#[cfg(test)]
mod ipc_tests;
pub mod links;
pub mod state;

#[cfg(desktop)]
pub mod desktop;
#[cfg(desktop)]
use desktop as platform;
#[cfg(mobile)]
pub mod mobile;
#[cfg(mobile)]
use mobile as platform;

use std::path::PathBuf;
use std::time::Instant;

use tauri::{Manager, Runtime};

use crate::state::{AppState, DATA_DIR_ENV};

/// Builds and runs the Tauri application; returns when the last window is closed.
///
/// The data directory is `NEXTAUTH_APP_DATA` when set, else the platform's app data directory
/// (`~/.local/share/io.github.nextauth_rs.app` on Linux). Deep links given as arguments
/// (`nextauth:…`, `https://…`) open their prompt once the UI is ready; a second launch hands its
/// links to the running app and brings its window forward (single-instance plugin).
///
/// # Panics
///
/// Panics if Tauri cannot start (for example, no display is available) or the data directory
/// cannot be opened (the error is logged first).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let started = Instant::now();
    init_tracing();
    let builder = platform::plugins(tauri::Builder::default());
    with_commands(builder)
        .plugin(tauri_plugin_deep_link::init())
        .setup(move |app| {
            let data_dir = match std::env::var_os(DATA_DIR_ENV) {
                Some(dir) if !dir.is_empty() => PathBuf::from(dir),
                _ => app.path().app_data_dir()?,
            };
            let state = match tauri::async_runtime::block_on(AppState::open(&data_dir, started)) {
                Ok(state) => state,
                Err(err) => {
                    // Nothing is reset or overwritten: the window shows what is wrong and what
                    // to do (app_startup_error), and every other command stays unavailable.
                    tracing::error!(%err, dir = %data_dir.display(), "cannot open the app data");
                    app.manage(state::StartupFailure {
                        error: error::IpcError::from(err),
                        data_dir: data_dir.display().to_string(),
                    });
                    if let Some(window) = app.get_webview_window("main") {
                        window.show()?;
                    }
                    return Ok(());
                }
            };
            if let Ok(mut pending) = state.pending_links.lock() {
                pending.extend(background::links_from_args(std::env::args().skip(1)));
            }
            events::spawn_bridge(app.handle().clone(), &state.sdk);
            if let Some(live) = background::start_live_delivery(&state.sdk) {
                app.manage(live);
            }
            // The window is created hidden (tauri.conf.json) and shown here, unless the app
            // was started at login and has a tray to wait in.
            let visible = platform::setup(app, &state);
            app.manage(state);
            if let (true, Some(window)) = (visible, app.get_webview_window("main")) {
                window.show()?;
            }
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                data_dir = %data_dir.display(),
                "app set up"
            );
            Ok(())
        })
        .on_window_event(platform::on_window_event)
        .run(tauri::generate_context!())
        .expect("error while running the nextAuth app");
}

/// Registers every command of the IPC contract (`src/contract.rs`; the real app and the IPC
/// tests share this list).
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    /// `generate_handler!` over every command of the contract, at `commands::<module>::<name>`.
    macro_rules! handlers {
        (
            commands { $( $module:ident :: $name:ident ( $( $arg:ident : $aty:ty ),* ) -> $ret:ty ; )* }
            events { $( $konst:ident = $channel:literal : $payload:ty ; )* }
        ) => {
            tauri::generate_handler![ $( commands::$module::$name ),* ]
        };
    }
    builder.invoke_handler(ipc_contract!(handlers))
}

/// Logs to stderr; `RUST_LOG` filters (default: info for the app and the SDK, warnings else).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        // The deep-link plugin's debug builds warn about every argument that is not a link of
        // its schemes, quoting it: an https link of ours (an enrol code's secret) would be
        // logged.
        tracing_subscriber::EnvFilter::new(
            "warn,tauri_plugin_deep_link=error,nextauth_app_lib=info,nextauth_sdk=info",
        )
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
