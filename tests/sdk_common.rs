//! What the SDK's end-to-end tests share beyond the harness (it uses their dev-dependencies).

use nextauth_e2e::ServerProcess;

/// The sealed envelopes the server queued, read straight from its database (what FCM or APNs
/// would hand the app besides the live connection).
pub async fn queued_envelopes(server: &ServerProcess) -> Vec<Vec<u8>> {
    use sqlx::{Connection, Row};
    let url = format!(
        "sqlite://{}?mode=ro",
        server.data_dir().join("server.db").display()
    );
    let mut conn = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("open the server database");
    let rows = sqlx::query("SELECT envelope FROM messages ORDER BY created")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.get::<Vec<u8>, _>("envelope"))
        .collect()
}
