//! The threat list of docs/security.md, one module per attack, each driven from the
//! attacker's side against the real `nextauth-server` process (and, where it applies, the real
//! SDK). Every test here failed on d8ada6b, before the fix it names.

#[path = "attacks/pin.rs"]
mod pin;

#[path = "attacks/impersonation.rs"]
mod impersonation;

#[path = "attacks/sessions.rs"]
mod sessions;

#[path = "attacks/files.rs"]
mod files;

#[path = "attacks/roles.rs"]
mod roles;

#[path = "attacks/exhaustion.rs"]
mod exhaustion;

#[path = "attacks/phishing.rs"]
mod phishing;
