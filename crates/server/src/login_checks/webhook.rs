//! The fraud webhook: each "This was not me" report is posted to the integrator's URL as JSON,
//! signed with HMAC-SHA256 under the configured secret, with a few retries.

use std::time::Duration;

use crate::store::fraud_reports::FraudReport;

/// Attempts per report.
const ATTEMPTS: u32 = 4;
/// First pause between attempts (doubling).
const FIRST_PAUSE: Duration = Duration::from_millis(500);

/// Where and how reports are posted.
#[derive(Debug, Clone)]
pub struct Webhook {
    url: String,
    secret: zeroize::Zeroizing<String>,
    client: reqwest::Client,
}

/// The signature header: `sha256=` and the hex HMAC-SHA256 of the body under the secret.
pub const SIGNATURE_HEADER: &str = "X-Nextauth-Signature";

impl Webhook {
    /// A webhook posting to `url`, signing with `secret`.
    pub fn new(url: String, secret: String) -> Result<Self, String> {
        let client = crate::push_senders::http_client(false).map_err(|e| e.to_string())?;
        Ok(Self {
            url,
            secret: zeroize::Zeroizing::new(secret),
            client,
        })
    }

    /// The signature of `body`.
    pub fn sign(secret: &str, body: &[u8]) -> String {
        let tag = nextauth_protocol::crypto::hmac_sha256(secret.as_bytes(), &[body]);
        format!("sha256={}", nextauth_protocol::hex(&tag))
    }

    /// Posts the report (in the background: the app's answer does not wait for it). Gives up
    /// after [`ATTEMPTS`] tries; each one has the HTTP client's time limits.
    pub fn post(&self, server_id: &str, report: &FraudReport) {
        let body = serde_json::json!({
            "type": "fraudreport",
            "serverid": server_id,
            "report": report,
        })
        .to_string();
        let this = self.clone();
        tokio::spawn(async move {
            let signature = Self::sign(&this.secret, body.as_bytes());
            let mut pause = FIRST_PAUSE;
            for attempt in 1..=ATTEMPTS {
                let sent = this
                    .client
                    .post(&this.url)
                    .header("Content-Type", "application/json")
                    .header(SIGNATURE_HEADER, &signature)
                    .body(body.clone())
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status().is_success() => return,
                    Ok(response) => tracing::warn!(
                        attempt,
                        status = response.status().as_u16(),
                        "the fraud webhook refused a report"
                    ),
                    Err(err) => tracing::warn!(
                        attempt,
                        err = %err.without_url(),
                        "the fraud webhook could not be reached"
                    ),
                }
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            tracing::error!("a fraud report was not delivered to the webhook");
        });
    }
}
