//! Tauri commands callable from the UI with `invoke(name, args)`.
//!
//! Commands stay thin: they validate input, call into `nextauth-sdk` and map the result
//! into serialisable types for the UI.

pub mod app;
