//! Checks beyond the protocol that make a login prompt trustworthy (docs/security.md, "Relay
//! phishing and push fatigue"): number matching, what the server observed of the browser, the
//! push limits per account and "This was not me" reports.

pub mod number;
pub mod observed;
pub mod options;
pub mod webhook;

use std::net::IpAddr;

pub use options::LoginCheckConfig;

use crate::limits::KeyedRate;
use observed::GeoIp;
use webhook::Webhook;

/// The login checks of this process: the GeoIP database, the fraud webhook and the push rate
/// per account (this process's share, like every rate).
pub struct LoginChecks {
    geoip: Option<GeoIp>,
    webhook: Option<Webhook>,
    account_push: KeyedRate<i64>,
}

impl std::fmt::Debug for LoginChecks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginChecks")
            .field("geoip", &self.geoip.is_some())
            .field("webhook", &self.webhook.is_some())
            .finish_non_exhaustive()
    }
}

impl LoginChecks {
    /// Opens the GeoIP database and sets up the webhook of `config`.
    pub fn new(config: &LoginCheckConfig) -> Result<Self, String> {
        let geoip = config.geoip_db.as_deref().map(GeoIp::open).transpose()?;
        let webhook = match (&config.fraud_webhook, &config.fraud_webhook_secret) {
            (Some(url), Some(secret)) => Some(Webhook::new(url.clone(), secret.clone())?),
            _ => None,
        };
        Ok(Self {
            geoip,
            webhook,
            account_push: KeyedRate::new(config.account_push_rate),
        })
    }

    /// The coarse location of `ip` (`""`: no database, or not in it).
    pub fn locate(&self, ip: IpAddr) -> String {
        self.geoip
            .as_ref()
            .map(|g| g.locate(ip))
            .unwrap_or_default()
    }

    /// Whether a push login to `account_id` is within its rate; how long to wait if not.
    pub fn admit_push(&self, account_id: i64) -> Result<(), std::time::Duration> {
        self.account_push
            .check(account_id)
            .map_err(|refusal| refusal.retry_after())
    }

    /// The webhook, when one is configured.
    pub fn webhook(&self) -> Option<&Webhook> {
        self.webhook.as_ref()
    }

    /// Forgets accounts whose buckets are full again.
    pub fn forget_idle(&self) {
        self.account_push.forget_idle();
    }
}
