// The IPC contract between the Rust side and the UI, in one place: every command the UI may
// invoke (its module, name, arguments and result) and every Tauri event the app emits (its
// constant, channel and payload). Included with `include!` by build.rs (which declares the
// commands in the app manifest, so Tauri generates an `allow-<command>` permission for each)
// and by the crate, where it produces:
//
// * `commands::NAMES` and the handler list of `with_commands` (lib.rs, `generate_handler!`);
// * the event name constants of `events` (`SDK_EVENT`, …);
// * in the bindings test (bindings.rs): `ui/src/bindings/commands.ts` (one typed function per
//   command, the event names and their payload types), `ui/src/bindings/codes.ts`,
//   `ui/src/bindings/contract.json` (for the UI tests' mock) and `capabilities/default.json`,
//   all checked for drift.
//
// Argument and result types are the wire types, written as Rust types that have a TypeScript
// binding (a PIN is `String` here; the command itself takes the SDK's zeroising `PinInput`,
// which deserialises from the same string). Arguments are named as in the command's Rust
// signature; Tauri (and the generated TypeScript) write them in camelCase. The bindings test
// `the_contract_matches_the_commands_signatures` reads every `#[tauri::command]` under
// `commands/` (syn) and fails when a line here and the function differ (names, argument names
// and types, result type), or when a command is missing here (it would never be registered).
//
// Adding a command: write it in `commands/`, add one line here, run
// `UPDATE_BINDINGS=1 cargo test --workspace --lib bindings` and commit what it writes.

macro_rules! ipc_contract {
    ($then:ident) => {
        $then! {
            commands {
                accounts::account_delete(account_id: String) -> DeleteResult;
                accounts::account_detail(account_id: String) -> AccountDetail;
                accounts::account_list() -> Vec<Account>;
                accounts::account_pause_push(account_id: String, minutes: u16) -> PushPause;
                app::app_info() -> AppInfo;
                app_login::app_login_start() -> AppLoginStatus;
                app_login::app_login_status() -> AppLoginStatus;
                app_login::app_login_stop() -> AppLoginStatus;
                app_login::app_login_token(audience: String) -> AppLoginToken;
                app::app_ready() -> ReadyState;
                app::app_startup_error() -> Option<StartupError>;
                flows::flow_current() -> Option<Flow>;
                flows::flow_respond(flow_id: String, answer: Response, approval_pin: Option<String>) -> ();
                flows::flow_start_link(link: String) -> Flow;
                flows::flow_stop(flow_id: String) -> ();
                history::history_list(filter: HistoryFilter) -> HistoryPage;
                history::message_delete(message_id: String) -> bool;
                history::message_list() -> Vec<Message>;
                history::message_mark_read() -> u32;
                scan::camera_list() -> Vec<CameraInfo>;
                scan::scan_camera(camera_id: Option<String>) -> Flow;
                scan::scan_cancel() -> ();
                scan::scan_image(path: String) -> Flow;
                scan::scan_image_data(data: String) -> Flow;
                scan::scan_screen() -> ScreenScan;
                sessions::session_list() -> Vec<Session>;
                sessions::session_logout(session_id: String) -> ();
                settings::pin_change(current: String, new: String) -> ();
                settings::settings_get() -> Settings;
                settings::settings_server_link_prefixes() -> Vec<ServerLinkPrefix>;
                settings::settings_update(settings: Settings) -> Settings;
            }
            events {
                // Every SDK event, as its tagged JSON.
                SDK_EVENT = "sdk://event": Event;
                // SDK events were missed: reload everything.
                RESYNC_EVENT = "sdk://resync": Resync;
                // A problem to show once (a deep link from a second launch that did not start).
                NOTICE_EVENT = "app://notice": IpcError;
                // A camera preview while a camera scan runs.
                PREVIEW_EVENT = "scanner://preview": Preview;
                // Scan the screen now (the tray's "Scan screen", the desktop-wide shortcut).
                SCAN_EVENT = "app://scan-screen": ();
            }
        }
    };
}
