//! The options of the connection caps and rate limits, with their defaults. The defaults let a
//! real site's visitors through (a page view is a request and one browser socket, a login one
//! app connection) and stop one address from holding hundreds of sockets or flooding pages
//! and push logins; a site behind a proxy must name it with `--trusted-proxies`.

use std::time::Duration;

use super::client_ip::ProxyNet;
use crate::config::ArgsError;

/// Environment variable listing the trusted proxies.
pub const ENV_TRUSTED_PROXIES: &str = "NEXTAUTH_TRUSTED_PROXIES";

/// The limit options: flag, environment variable, default, in [`LimitsConfig::from_values`]
/// order.
pub(crate) const LIMIT_OPTIONS: [(&str, &str, &str); 8] = [
    ("--trusted-proxies", ENV_TRUSTED_PROXIES, ""),
    (
        "--app-connections-per-ip",
        "NEXTAUTH_APP_CONNECTIONS_PER_IP",
        "64",
    ),
    ("--app-connect-rate", "NEXTAUTH_APP_CONNECT_RATE", "120/min"),
    (
        "--browser-sockets-per-ip",
        "NEXTAUTH_BROWSER_SOCKETS_PER_IP",
        "64",
    ),
    ("--browser-sockets", "NEXTAUTH_BROWSER_SOCKETS", "4096"),
    (
        "--browser-connect-rate",
        "NEXTAUTH_BROWSER_CONNECT_RATE",
        "120/min",
    ),
    ("--page-rate", "NEXTAUTH_PAGE_RATE", "300/min"),
    ("--provoke-rate", "NEXTAUTH_PROVOKE_RATE", "60/min"),
];

/// At most `count` events per `per` for one client, refilled evenly (a client that waited a
/// whole `per` may spend all `count` at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Events per period (at least 1).
    pub count: u32,
    /// The period.
    pub per: Duration,
}

impl Rate {
    /// Parses `N/s`, `N/min` or `N/h`; `off` is no limit (`None`).
    pub(crate) fn parse(text: &str) -> Result<Option<Self>, ()> {
        let text = text.trim();
        if text == "off" {
            return Ok(None);
        }
        let (count, unit) = text.split_once('/').ok_or(())?;
        let count: u32 = count.trim().parse().map_err(|_| ())?;
        let per = match unit.trim() {
            "s" => Duration::from_secs(1),
            "min" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(()),
        };
        if count == 0 {
            return Err(());
        }
        Ok(Some(Self { count, per }))
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "s",
            60 => "min",
            _ => "h",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// Connection caps and rate limits (`None`: no limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitsConfig {
    /// Peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ProxyNet>,
    /// Open app connections (`/sigmai`) per client address.
    pub app_connections_per_ip: Option<u32>,
    /// New app connections per client address.
    pub app_connect_rate: Option<Rate>,
    /// Open browser sockets (`/ws`) per client address.
    pub browser_sockets_per_ip: Option<u32>,
    /// Open browser sockets in this process, all clients together.
    pub browser_sockets: Option<u32>,
    /// New browser sockets per client address.
    pub browser_connect_rate: Option<Rate>,
    /// Demo site pages per client address.
    pub page_rate: Option<Rate>,
    /// REST push-login requests (the three `provokelogin` operations) per client address.
    pub provoke_rate: Option<Rate>,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self::from_values(LIMIT_OPTIONS.map(|(_, _, default)| Some(default.to_owned())))
            .expect("the defaults parse")
    }
}

impl LimitsConfig {
    /// No limit at all (benchmarks of raw throughput).
    pub fn unlimited() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            app_connections_per_ip: None,
            app_connect_rate: None,
            browser_sockets_per_ip: None,
            browser_sockets: None,
            browser_connect_rate: None,
            page_rate: None,
            provoke_rate: None,
        }
    }

    /// Builds the configuration from option values in [`LIMIT_OPTIONS`] order (`None`: the
    /// default).
    pub(crate) fn from_values(values: [Option<String>; 8]) -> Result<Self, ArgsError> {
        let mut i = 0;
        let [proxies, app_conns, app_rate, browser_ip, browser_all, browser_rate, page, provoke] =
            values.map(|value| {
                let (flag, _, default) = LIMIT_OPTIONS[i];
                i += 1;
                (flag, value.unwrap_or_else(|| default.to_owned()))
            });
        Ok(Self {
            trusted_proxies: proxy_list(proxies)?,
            app_connections_per_ip: cap(app_conns)?,
            app_connect_rate: rate(app_rate)?,
            browser_sockets_per_ip: cap(browser_ip)?,
            browser_sockets: cap(browser_all)?,
            browser_connect_rate: rate(browser_rate)?,
            page_rate: rate(page)?,
            provoke_rate: rate(provoke)?,
        })
    }
}

/// An option's flag and its value.
type Given = (&'static str, String);

fn invalid(option: &'static str, value: &str, expected: &'static str) -> ArgsError {
    ArgsError::InvalidValue {
        option,
        value: value.to_owned(),
        expected,
    }
}

fn proxy_list((option, text): Given) -> Result<Vec<ProxyNet>, ArgsError> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            ProxyNet::parse(s).ok_or_else(|| {
                invalid(
                    option,
                    s,
                    "IP addresses or networks (10.0.0.0/8), comma-separated",
                )
            })
        })
        .collect()
}

fn cap((option, text): Given) -> Result<Option<u32>, ArgsError> {
    match text.trim() {
        "off" => Ok(None),
        n => n
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| invalid(option, &text, "a positive number or off")),
    }
}

fn rate((option, text): Given) -> Result<Option<Rate>, ArgsError> {
    Rate::parse(&text).map_err(|()| invalid(option, &text, "N/s, N/min, N/h (N > 0) or off"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_values() {
        let config = LimitsConfig::default();
        assert_eq!(config.trusted_proxies, Vec::new());
        assert_eq!(config.app_connections_per_ip, Some(64));
        assert_eq!(
            config.provoke_rate,
            Some(Rate {
                count: 60,
                per: Duration::from_secs(60)
            })
        );
        let mut values: [Option<String>; 8] = Default::default();
        values[0] = Some("10.0.0.0/8, ::1".into());
        values[1] = Some("off".into());
        values[7] = Some("5/s".into());
        let config = LimitsConfig::from_values(values).unwrap();
        assert_eq!(config.trusted_proxies.len(), 2);
        assert_eq!(config.app_connections_per_ip, None);
        assert_eq!(
            config.provoke_rate.map(|r| r.to_string()).as_deref(),
            Some("5/s")
        );
        assert_eq!(
            config.page_rate.map(|r| r.to_string()).as_deref(),
            Some("300/min")
        );
    }

    #[test]
    fn bad_values_name_their_option() {
        for (i, bad) in [
            (0, "10.0.0.0/40"),
            (1, "0"),
            (2, "10"),
            (2, "0/s"),
            (6, "3/day"),
        ] {
            let mut values: [Option<String>; 8] = Default::default();
            values[i] = Some(bad.into());
            let err = LimitsConfig::from_values(values).unwrap_err();
            assert!(err.to_string().contains(LIMIT_OPTIONS[i].0), "{err}");
        }
    }
}
