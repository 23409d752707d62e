//! Options of the login checks: the GeoIP database, the fraud webhook, the push rate per
//! account.

use std::path::PathBuf;

use crate::config::{ArgsError, Rate};

/// The login-check options: flag, environment variable, default, in
/// [`LoginCheckConfig::from_values`] order.
pub(crate) const LOGIN_CHECK_OPTIONS: [(&str, &str, &str); 4] = [
    ("--geoip-db", "NEXTAUTH_GEOIP_DB", ""),
    ("--fraud-webhook", "NEXTAUTH_FRAUD_WEBHOOK", ""),
    (
        "--fraud-webhook-secret",
        "NEXTAUTH_FRAUD_WEBHOOK_SECRET",
        "",
    ),
    ("--account-push-rate", "NEXTAUTH_ACCOUNT_PUSH_RATE", "10/h"),
];

/// How logins are checked beyond the protocol (docs/security.md, "Relay phishing and push
/// fatigue").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginCheckConfig {
    /// An offline GeoIP database (MaxMind format) for the coarse location in the prompt.
    pub geoip_db: Option<PathBuf>,
    /// Where "This was not me" reports are posted (HMAC-signed JSON).
    pub fraud_webhook: Option<String>,
    /// The webhook's HMAC key.
    pub fraud_webhook_secret: Option<String>,
    /// Push logins per account (`None`: unlimited).
    pub account_push_rate: Option<Rate>,
}

impl Default for LoginCheckConfig {
    fn default() -> Self {
        Self::from_values(Default::default()).expect("the defaults parse")
    }
}

impl LoginCheckConfig {
    /// Builds the configuration from option values in [`LOGIN_CHECK_OPTIONS`] order (`None`:
    /// the default).
    pub(crate) fn from_values(values: [Option<String>; 4]) -> Result<Self, ArgsError> {
        let [geoip, webhook, secret, rate] = values;
        let rate_text = rate.unwrap_or_else(|| LOGIN_CHECK_OPTIONS[3].2.to_owned());
        let account_push_rate = Rate::parse(&rate_text).map_err(|()| ArgsError::InvalidValue {
            option: "--account-push-rate",
            value: rate_text.clone(),
            expected: "N/s, N/min or N/h, or off",
        })?;
        if let Some(url) = &webhook {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ArgsError::InvalidValue {
                    option: "--fraud-webhook",
                    value: url.clone(),
                    expected: "an http:// or https:// URL",
                });
            }
        }
        if webhook.is_some() && secret.is_none() {
            return Err(ArgsError::IncompletePush {
                missing: "--fraud-webhook-secret",
                given: "--fraud-webhook",
            });
        }
        Ok(Self {
            geoip_db: geoip.map(PathBuf::from),
            fraud_webhook: webhook,
            fraud_webhook_secret: secret,
            account_push_rate,
        })
    }
}
