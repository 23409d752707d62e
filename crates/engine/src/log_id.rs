//! The id under which a login appears in the logs, on the app's side and the server's: the
//! server derives it from its id and the session reference (crates/server/src/trace.rs), and
//! the app, which has both from the login code, derives the same one. It reveals neither (the
//! session reference is in the QR code: it must not reach a log).

use nextauth_protocol::ids::{session_log_id, ServerId, SessionRef};

/// The log id of the session `session` of `server` in hex ([`session_log_id`]).
pub fn flow_log_id(server: &ServerId, session: &SessionRef) -> String {
    session_log_id(server, session)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server's derivation (crates/server/src/trace.rs), computed independently.
    #[test]
    fn the_log_id_is_the_servers() {
        let id = flow_log_id(&ServerId([3; 16]), &SessionRef([7; 16]));
        assert_eq!(id, "6fd43f7e2d99c4ae");
    }
}
