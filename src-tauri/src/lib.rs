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
//! * `tray` (desktops): the tray icon; closing the window hides it, start on login starts there.
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
pub mod tray;

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
    let builder = tauri::Builder::default();
    // First, so a second launch hands its arguments over before anything else starts. Without
    // a D-Bus session bus (tests, CI) the plugin logs it and the app starts normally.
    #[cfg(desktop)]
    let builder = builder.plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
        events::show_main_window(app);
        background::open_links(app, background::links_from_args(argv.into_iter().skip(1)));
    }));
    // "Start on login" (desktops): settings_update turns the OS entry on and off. The entry
    // starts the app in the tray.
    #[cfg(desktop)]
    let builder = builder.plugin(
        tauri_plugin_autostart::Builder::new()
            .args([tray::HIDDEN_ARG])
            .build(),
    );
    // The desktop-wide "Scan screen" shortcut: the person is at the website, with the code in
    // view, and presses it there. Registered in `setup` (it may be taken or unsupported).
    #[cfg(desktop)]
    let builder = builder.plugin(
        tauri_plugin_global_shortcut::Builder::new()
            .with_handler(|app, _shortcut, event| {
                if event.state == tauri_plugin_global_shortcut::ShortcutState::Pressed {
                    use tauri::Emitter;
                    let _ = app.emit(events::SCAN_EVENT, ());
                }
            })
            .build(),
    );
    // Phones: notifications, the camera scanner and the biometric prompt come from Tauri's
    // plugins (docs/mobile.md says what is wired and what is not yet).
    #[cfg(mobile)]
    let builder = builder
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_barcode_scanner::init())
        .plugin(tauri_plugin_biometric::init());
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
            #[cfg(desktop)]
            let visible = {
                let tray = tray::install(app.handle());
                state.tray.store(tray, std::sync::atomic::Ordering::SeqCst);
                !(tray && tray::started_hidden(std::env::args().skip(1)))
            };
            #[cfg(mobile)]
            let visible = true;
            #[cfg(desktop)]
            {
                use tauri_plugin_global_shortcut::GlobalShortcutExt;
                match app.global_shortcut().register(SCAN_SHORTCUT) {
                    // On Linux the grab is X11's: without an X display it silently does
                    // nothing, and in a Wayland session it sees only keys typed into X11
                    // windows, so the app does not promise it there.
                    Ok(()) => state.scan_shortcut.store(
                        global_shortcut_reaches_every_window(),
                        std::sync::atomic::Ordering::SeqCst,
                    ),
                    Err(err) => tracing::warn!(%err, "no desktop-wide Scan shortcut"),
                }
            }
            app.manage(state);
            if let (true, Some(window)) = (visible, app.get_webview_window("main")) {
                window.show()?;
            }
            // On phones the OS delivers app links and the nextauth: scheme to the running app.
            #[cfg(mobile)]
            {
                use tauri_plugin_deep_link::DeepLinkExt;
                let handle = app.handle().clone();
                app.deep_link().on_open_url(move |event| {
                    let links = event.urls().into_iter().map(|u| u.to_string()).collect();
                    background::open_links(&handle, links);
                });
            }
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                data_dir = %data_dir.display(),
                "app set up"
            );
            Ok(())
        })
        .on_window_event(|window, event| {
            #[cfg(desktop)]
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                let Some(state) = window.try_state::<AppState>() else {
                    return;
                };
                // A closed window stops the camera at once (its light goes off).
                state
                    .camera_cancel
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                let tray = state.tray.load(std::sync::atomic::Ordering::SeqCst);
                let settings = state.settings();
                if tray::on_close(settings.keep_in_background, tray) == tray::CloseAction::Hide {
                    api.prevent_close();
                    // A request that waits for the person is never left invisible: its
                    // notification is shown again (where no tray host shows the icon it is
                    // the only way back), or, without notifications, the window stays.
                    let waiting = state.current_flow().filter(|f| {
                        matches!(
                            f.state,
                            nextauth_sdk::FlowState::WaitingForConfirmation
                                | nextauth_sdk::FlowState::WaitingForInput
                        )
                    });
                    if let Some(flow) = waiting {
                        if events::notify_waiting_prompt(window.app_handle(), &flow) {
                            let _ = window.hide();
                            tracing::info!("window hidden; its request is in a notification");
                        } else {
                            tracing::info!("window kept: a request waits and cannot be notified");
                            let _ = window.set_focus();
                        }
                        return;
                    }
                    let _ = window.hide();
                    tracing::info!("window hidden; still running in the tray");
                    // Once per run, so a closed window is not mistaken for a quit app (and
                    // where no tray host shows the icon, this is the only sign of it).
                    if !state
                        .told_in_tray
                        .swap(true, std::sync::atomic::Ordering::SeqCst)
                        && settings.notifications
                    {
                        events::notify_still_running(window.app_handle());
                    }
                }
            }
            #[cfg(mobile)]
            let _ = (window, event);
        })
        .run(tauri::generate_context!())
        .expect("error while running the nextAuth app");
}

/// The desktop-wide shortcut that scans the screen (also handled inside the window by the UI).
pub const SCAN_SHORTCUT: &str = "Ctrl+Alt+S";

/// Whether a registered global shortcut hears keys typed into any window (this session's
/// environment; `nextauth_desktop::window::global_shortcut_reaches_every_window`).
#[cfg(desktop)]
fn global_shortcut_reaches_every_window() -> bool {
    nextauth_desktop::window::global_shortcut_reaches_every_window(
        cfg!(target_os = "linux"),
        |name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()),
    )
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
