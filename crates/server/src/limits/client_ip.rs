//! Which client a request comes from, as far as the limits are concerned.
//!
//! The socket's peer address, unless the peer is a configured trusted proxy: then the
//! `X-Forwarded-For` header is read from the right (the entry the proxy itself added) and the
//! first address that is not a trusted proxy is the client. A header from anyone else is
//! ignored, so a client cannot pick the address it is counted under. IPv6 clients are counted
//! per /64 network (one host usually holds a whole /64), IPv4-mapped IPv6 as IPv4.

use std::net::{IpAddr, Ipv6Addr};

use axum::http::HeaderMap;

/// A trusted proxy: one address, or a network in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNet {
    addr: IpAddr,
    prefix: u8,
}

impl ProxyNet {
    /// Parses `10.0.0.1`, `10.0.0.0/8`, `::1` or `fd00::/8`.
    pub fn parse(text: &str) -> Option<Self> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text.trim(), None),
        };
        let addr: IpAddr = addr.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Self {
            addr: canonical(addr),
            prefix,
        })
    }

    /// Whether `ip` is inside this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u128::from(u32::from(net)), 32, self.prefix)
                    == masked(u128::from(u32::from(ip)), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), 128, self.prefix)
                    == masked(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for ProxyNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        bits >> (width - prefix)
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`, as a dual-stack socket reports IPv4 peers) as
/// plain IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The address `peer`'s request is counted under: see the module documentation.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[ProxyNet]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = canonical(peer);
    if is_trusted(client) {
        // Entries of every X-Forwarded-For header in order; the last was added by our peer.
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for entry in forwarded.iter().rev() {
            // Whoever is left of an untrusted hop could have written anything.
            if !is_trusted(client) {
                break;
            }
            match entry.trim().parse::<IpAddr>() {
                Ok(ip) => client = canonical(ip),
                Err(_) => break,
            }
        }
    }
    counting_key(client)
}

/// The key an address is counted under: IPv4 as is, IPv6 by its /64 network.
fn counting_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(network))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_match() {
        let lan = ProxyNet::parse("10.0.0.0/8").unwrap();
        assert!(lan.contains(ip("10.200.1.2")));
        assert!(!lan.contains(ip("11.0.0.1")));
        assert!(lan.contains(ip("::ffff:10.0.0.9")), "IPv4-mapped");
        let one = ProxyNet::parse(" 127.0.0.1 ").unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6 = ProxyNet::parse("fd00::/8").unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!(ProxyNet::parse("0.0.0.0/0")
            .unwrap()
            .contains(ip("8.8.8.8")));
        for bad in ["", "10.0.0.0/33", "::/129", "host", "10.0.0.0/x"] {
            assert_eq!(ProxyNet::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let proxies = [ProxyNet::parse("10.0.0.0/8").unwrap()];
        let headers = xff(&["6.6.6.6, 203.0.113.7"]);
        // From an untrusted peer the header is the client's own words: ignored.
        assert_eq!(
            client_ip(ip("198.51.100.1"), &headers, &proxies),
            ip("198.51.100.1")
        );
        // From a trusted proxy the rightmost entry is the client it saw.
        assert_eq!(
            client_ip(ip("10.0.0.5"), &headers, &proxies),
            ip("203.0.113.7")
        );
        // Chains of trusted proxies are walked; a forged entry left of the client is not used.
        let chain = xff(&["6.6.6.6", "203.0.113.7, 10.1.1.1"]);
        assert_eq!(
            client_ip(ip("10.0.0.5"), &chain, &proxies),
            ip("203.0.113.7")
        );
        // Garbage stops the walk at the last address known.
        let garbage = xff(&["203.0.113.7, junk"]);
        assert_eq!(
            client_ip(ip("10.0.0.5"), &garbage, &proxies),
            ip("10.0.0.5")
        );
        // Without a header, the proxy itself.
        assert_eq!(
            client_ip(ip("10.0.0.5"), &HeaderMap::new(), &proxies),
            ip("10.0.0.5")
        );
        // No trusted proxy configured: never.
        assert_eq!(client_ip(ip("10.0.0.5"), &headers, &[]), ip("10.0.0.5"));
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        assert_eq!(
            client_ip(ip("2001:db8:1:2:aaaa::1"), &HeaderMap::new(), &[]),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            client_ip(ip("::ffff:192.0.2.1"), &HeaderMap::new(), &[]),
            ip("192.0.2.1")
        );
    }
}
