//! Tauri commands callable from the UI with `invoke(name, args)`, one module per entity.
//!
//! Every command is a thin adapter: it takes the managed [`AppState`](crate::state::AppState),
//! checks the shape of its input, calls the SDK (or the scanner) and returns
//! `Result<T, IpcError>`; a rejected `invoke` carries `{code, message}`
//! ([`IpcError`](crate::error::IpcError)). No business rule lives here.
//!
//! The main window may call exactly the commands in [`NAMES`]: build.rs generates an
//! `allow-<name>` permission for each and `capabilities/default.json` grants them (the command
//! ACL; docs/app.md).

pub mod accounts;
pub mod app;
pub mod app_login;
pub mod flows;
pub mod history;
pub mod scan;
pub mod sessions;
pub mod settings;

include!("names.rs");
