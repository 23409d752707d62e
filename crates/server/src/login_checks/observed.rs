//! What the server itself observes of the browser that asks for a login: its address, its
//! user agent in words, a coarse location, and whether its network is the app's.

use std::net::IpAddr;
use std::path::Path;

/// The browser's user agent in words: "Chrome 131 on Windows", or `""` when it says nothing
/// useful.
pub fn browser_words(user_agent: &str) -> String {
    let Some(ua) = woothee::parser::Parser::new().parse(user_agent) else {
        return String::new();
    };
    let name = match ua.name {
        "UNKNOWN" => return String::new(),
        name => name,
    };
    let major = ua.version.split('.').next().unwrap_or_default();
    let browser = if major.is_empty() || major == "UNKNOWN" {
        name.to_owned()
    } else {
        format!("{name} {major}")
    };
    match ua.os {
        "UNKNOWN" => browser,
        os => format!("{browser} on {os}"),
    }
}

/// Whether two addresses are on one network: the same /24 (IPv4) or /64 (IPv6), or both on
/// this machine. What a home or office network shares behind one router, and what a relay
/// (the attacker's machine elsewhere) does not.
pub fn same_network(a: IpAddr, b: IpAddr) -> bool {
    match (a, b) {
        (a, b) if a.is_loopback() && b.is_loopback() => true,
        (IpAddr::V4(a), IpAddr::V4(b)) => a.octets()[..3] == b.octets()[..3],
        (IpAddr::V6(a), IpAddr::V6(b)) => a.octets()[..8] == b.octets()[..8],
        (IpAddr::V4(a), IpAddr::V6(b)) | (IpAddr::V6(b), IpAddr::V4(a)) => b
            .to_ipv4_mapped()
            .is_some_and(|b| same_network(IpAddr::V4(a), IpAddr::V4(b))),
    }
}

/// An offline GeoIP database (MaxMind format: GeoLite2 City or Country).
pub struct GeoIp(maxminddb::Reader<Vec<u8>>);

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GeoIp(..)")
    }
}

impl GeoIp {
    /// Opens the database file.
    pub fn open(path: &Path) -> Result<Self, String> {
        maxminddb::Reader::open_readfile(path)
            .map(Self)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// "City, Country" (or the country alone), in English; `""` when the address is not in it.
    pub fn locate(&self, ip: IpAddr) -> String {
        let Ok(city) = self.0.lookup::<maxminddb::geoip2::City>(ip) else {
            return String::new();
        };
        let english = |names: Option<std::collections::BTreeMap<&str, &str>>| {
            names.and_then(|n| n.get("en").map(|s| (*s).to_owned()))
        };
        let city_name = english(city.city.and_then(|c| c.names));
        let country = english(city.country.and_then(|c| c.names));
        match (city_name, country) {
            (Some(city), Some(country)) => format!("{city}, {country}"),
            (None, Some(country)) => country,
            (Some(city), None) => city,
            (None, None) => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_in_words() {
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(browser_words(chrome), "Chrome 131 on Windows 10");
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
        assert_eq!(browser_words(firefox), "Firefox 140 on Linux");
        assert_eq!(browser_words(""), "");
        assert!(
            browser_words("curl/8.5.0").contains("curl"),
            "a tool is named as such"
        );
    }

    #[test]
    fn networks() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(same_network(ip("192.0.2.10"), ip("192.0.2.200")));
        assert!(!same_network(ip("192.0.2.10"), ip("198.51.100.7")));
        assert!(same_network(
            ip("2001:db8:1:2::1"),
            ip("2001:db8:1:2:ffff::9")
        ));
        assert!(!same_network(ip("2001:db8:1:2::1"), ip("2001:db8:1:3::1")));
        assert!(same_network(ip("127.0.0.1"), ip("127.0.0.2")));
        assert!(same_network(ip("::ffff:192.0.2.1"), ip("192.0.2.9")));
        assert!(!same_network(ip("127.0.0.1"), ip("192.0.2.9")));
    }
}
