// The names of the app's own commands, one list for the build script (which generates an
// `allow-<name>`/`deny-<name>` permission for each, `_` written `-`) and for the tests (which
// check that capabilities/default.json grants each to the main window, and that each is
// registered in `with_commands`). Included with `include!` by build.rs and commands/mod.rs.

/// Every command the UI may invoke (keep in step with `with_commands` in lib.rs).
pub const NAMES: &[&str] = &[
    "account_delete",
    "account_detail",
    "account_list",
    "account_pause_push",
    "app_info",
    "app_login_start",
    "app_login_status",
    "app_login_stop",
    "app_login_token",
    "app_ready",
    "app_startup_error",
    "camera_list",
    "flow_current",
    "flow_respond",
    "flow_start_link",
    "flow_stop",
    "history_list",
    "message_delete",
    "message_list",
    "message_mark_read",
    "scan_camera",
    "scan_cancel",
    "scan_image",
    "scan_image_data",
    "scan_screen",
    "session_list",
    "session_logout",
    "pin_change",
    "settings_get",
    "settings_server_link_prefixes",
    "settings_update",
];
