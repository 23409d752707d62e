//! The protocol-level test app lives in the end-to-end harness, where the attack tests use it
//! too.

#![allow(unused_imports)] // Not every test binary that includes the support module uses it.

pub use nextauth_e2e::raw::*;
