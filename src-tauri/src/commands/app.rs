//! Commands describing the app itself.

use serde::Serialize;

/// Name and version of the app, shown in the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppInfo {
    /// Product name.
    pub name: &'static str,
    /// Version of the `nextauth-app` crate.
    pub version: &'static str,
}

/// Returns the app's name and version (`invoke('app_info')`).
#[tauri::command]
pub fn app_info() -> AppInfo {
    AppInfo {
        name: "nextAuth",
        version: env!("CARGO_PKG_VERSION"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_info_reports_name_and_crate_version() {
        let info = app_info();
        assert_eq!(info.name, "nextAuth");
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn app_info_serialises_for_the_ui() {
        let json = serde_json::to_value(app_info()).expect("serialise");
        assert_eq!(
            json,
            serde_json::json!({ "name": "nextAuth", "version": env!("CARGO_PKG_VERSION") })
        );
    }
}
