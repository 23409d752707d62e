//! Tauri commands callable from the UI with `invoke(name, args)`, one module per entity.
//!
//! Every command is a thin adapter: it takes the managed [`AppState`](crate::state::AppState),
//! checks the shape of its input, calls the SDK (or the scanner) and returns
//! `Result<T, IpcError>`; a rejected `invoke` carries `{code, message}`
//! ([`IpcError`](crate::error::IpcError)). No business rule lives here.
//!
//! The main window may call exactly the commands in [`NAMES`], which come from the IPC contract
//! (`src/contract.rs`): build.rs generates an `allow-<name>` permission for each and
//! `capabilities/default.json` (generated from the contract) grants them (the command ACL;
//! docs/app.md).

pub mod accounts;
pub mod app;
pub mod app_login;
pub mod flows;
pub mod history;
pub mod scan;
pub mod sessions;
pub mod settings;

/// The names of the contract's commands (`contract.rs`).
macro_rules! command_names {
    (
        commands { $( $module:ident :: $name:ident ( $( $arg:ident : $aty:ty ),* ) -> $ret:ty ; )* }
        events { $( $konst:ident = $channel:literal : $payload:ty ; )* }
    ) => {
        /// Every command the UI may invoke, as the contract (`src/contract.rs`) lists them.
        pub const NAMES: &[&str] = &[ $( stringify!($name) ),* ];
    };
}
ipc_contract!(command_names);
