//! Files the demo site serves, embedded in the binary.

/// The Acme logo (32×32 PNG), also the demo server's logo in the app.
pub const ACME_LOGO_PNG: &[u8] = include_bytes!("../assets/acme-logo.png");
