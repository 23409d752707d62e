//! The GeoIP location in the login prompt, with real MaxMind databases written by the test
//! (tests/support/mmdb.rs): what `GeoIp` finds in them, and the location the app is shown for
//! a browser behind a trusted proxy.
mod support;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nextauth_protocol::handshake::Purpose;
use nextauth_protocol::messages::ServerContext;
use nextauth_protocol::pin::DeviceSecret;
use nextauth_server::limits::client_ip::ProxyNet;
use nextauth_server::login_checks::observed::GeoIp;
use nextauth_server::{LoginCheckConfig, ServerConfig, ServerError};
use support::app::{self, AppAccount};
use support::{mmdb, TestServer};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// The networks of the small test database (documentation ranges, and a few wider ones).
const NETWORKS: &[mmdb::Network<'static>] = &[
    ("192.0.2.0/24", Some("Springfield"), "Freedonia"),
    ("198.51.100.0/24", None, "Freedonia"),
    ("203.0.113.128/25", Some("Shelbyville"), "Sylvania"),
    // A narrower network given before the wider one it is carved out of.
    ("10.1.0.0/16", None, "Sylvania"),
    ("10.0.0.0/8", Some("Ogdenville"), "Freedonia"),
    ("10.1.2.3/32", Some("North Haverbrook"), "Freedonia"),
];

/// A file in the temporary directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &[u8]) -> Self {
        let path =
            std::env::temp_dir().join(format!("nextauth-geoip-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).expect("write the test file");
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

fn open(path: &Path) -> GeoIp {
    GeoIp::open(path).unwrap_or_else(|e| panic!("the written database opens: {e}"))
}

/// What maxminddb itself reads from a written database: its metadata and the country's ISO
/// code of `address`.
fn iso_code_of(bytes: Vec<u8>, address: &str) -> (maxminddb::Metadata, Option<String>) {
    let reader = maxminddb::Reader::from_source(bytes).expect("a valid database");
    let iso = reader
        .lookup::<maxminddb::geoip2::City>(ip(address))
        .ok()
        .and_then(|city| city.country)
        .and_then(|country| country.iso_code.map(str::to_owned));
    (reader.metadata, iso)
}

// ---------------------------------------------------------------- the database itself

#[test]
fn an_ipv4_database_locates_cities_and_countries() {
    let file = TempFile::new("v4.mmdb", &mmdb::city_database(NETWORKS));
    let geo = open(&file.0);
    for (address, expected) in [
        ("192.0.2.10", "Springfield, Freedonia"),
        ("192.0.2.0", "Springfield, Freedonia"),
        ("192.0.2.255", "Springfield, Freedonia"),
        ("198.51.100.7", "Freedonia"),
        ("203.0.113.200", "Shelbyville, Sylvania"),
        ("203.0.113.5", ""),
        ("10.200.0.1", "Ogdenville, Freedonia"),
        ("10.1.9.9", "Sylvania"),
        ("10.1.2.3", "North Haverbrook, Freedonia"),
        ("10.1.2.4", "Sylvania"),
        ("8.8.8.8", ""),
        ("0.0.0.0", ""),
        ("255.255.255.255", ""),
        // An IPv6 address whose first 32 bits are in no network of the IPv4 tree.
        ("2001:db8::1", ""),
    ] {
        assert_eq!(geo.locate(ip(address)), expected, "{address}");
    }

    let (metadata, iso) = iso_code_of(mmdb::city_database(NETWORKS), "192.0.2.10");
    assert_eq!(iso.as_deref(), Some("FR"));
    assert_eq!(metadata.database_type, "GeoLite2-City");
    assert_eq!(metadata.ip_version, 4);
    assert_eq!(metadata.record_size, 24);
    assert_eq!(
        (
            metadata.binary_format_major_version,
            metadata.binary_format_minor_version
        ),
        (2, 0)
    );
    assert_eq!(metadata.languages, ["en"]);
    assert_eq!(metadata.description["en"], "test");
    assert!(metadata.build_epoch > 1_700_000_000);
}

#[test]
fn an_ipv6_database_locates_ipv4_and_mapped_addresses_only() {
    let file = TempFile::new("v6.mmdb", &mmdb::city_database_v6(NETWORKS));
    let geo = open(&file.0);
    for (address, expected) in [
        ("192.0.2.10", "Springfield, Freedonia"),
        ("::ffff:192.0.2.10", "Springfield, Freedonia"),
        ("::192.0.2.10", "Springfield, Freedonia"),
        ("198.51.100.7", "Freedonia"),
        ("::ffff:198.51.100.7", "Freedonia"),
        ("10.1.2.3", "North Haverbrook, Freedonia"),
        ("203.0.113.5", ""),
        ("2001:db8::1", ""),
        ("::1", ""),
        ("fe80::1", ""),
    ] {
        assert_eq!(geo.locate(ip(address)), expected, "{address}");
    }
    let (metadata, iso) = iso_code_of(mmdb::city_database_v6(NETWORKS), "203.0.113.129");
    assert_eq!(metadata.ip_version, 6);
    assert_eq!(iso.as_deref(), Some("SY"));
}

#[test]
fn large_databases_use_every_size_and_pointer_encoding() {
    // Ten huge city names (sizes in the 3-byte form) push the countries after them past the
    // 1-byte (2 KiB) and 2-byte (514 KiB) pointer ranges; hundreds of small networks point
    // back at those countries, with names in the 1- and 2-byte size forms among them.
    let huge: Vec<String> = (0..10)
        .map(|i| format!("{i} {}", "Llanfairpwll".repeat(6_000)))
        .collect();
    let lands: Vec<String> = (0..10).map(|i| format!("Far Land {i}")).collect();
    let towns: Vec<String> = (0..600)
        .map(|i| match i % 3 {
            0 => format!("Town {i}"),
            1 => format!("Town {i} {}", "x".repeat(100)),
            _ => format!("Town {i} {}", "y".repeat(1_000)),
        })
        .collect();
    let cidrs: Vec<String> = (0..610)
        .map(|i| format!("100.{}.{}.0/24", 64 + i / 256, i % 256))
        .collect();
    let mut networks: Vec<mmdb::Network<'_>> = Vec::new();
    for i in 0..10 {
        networks.push((&cidrs[i], Some(huge[i].as_str()), &lands[i]));
    }
    for i in 0..600 {
        let city = (i % 5 != 0).then_some(towns[i].as_str());
        networks.push((&cidrs[10 + i], city, &lands[i % 10]));
    }
    // A network as wide as a prefix goes, and a single address carved out of another.
    networks.push(("128.0.0.0/1", None, "Upper Half"));
    networks.push(("100.64.0.7/32", Some("Pinpoint"), "Upper Half"));
    let bytes = mmdb::city_database(&networks);
    assert!(bytes.len() > 700_000, "{} bytes", bytes.len());
    let file = TempFile::new("large.mmdb", &bytes);
    let geo = open(&file.0);
    for (cidr, city, country) in &networks {
        let base: std::net::Ipv4Addr = cidr.split('/').next().unwrap().parse().unwrap();
        let inside = if *cidr == "100.64.0.0/24" {
            // Not the /32 carved out of it.
            std::net::Ipv4Addr::from(u32::from(base) + 9)
        } else {
            base
        };
        let expected = match city {
            Some(city) => format!("{city}, {country}"),
            None => (*country).to_owned(),
        };
        assert_eq!(geo.locate(IpAddr::V4(inside)), expected, "{cidr}");
    }
    assert_eq!(geo.locate(ip("200.1.2.3")), "Upper Half");
    assert_eq!(geo.locate(ip("100.67.0.1")), "");
    let (_, iso) = iso_code_of(bytes, "100.66.90.1");
    assert_eq!(iso.as_deref(), Some("FA"));
}

#[test]
fn what_is_not_a_database_is_refused_with_its_path() {
    let garbage = TempFile::new("garbage.mmdb", b"this is not a MaxMind database\n");
    let error = GeoIp::open(&garbage.0).expect_err("garbage refused");
    assert!(
        error.contains(&garbage.0.display().to_string()),
        "the path in {error}"
    );

    // A tree and data but no metadata.
    let mut cut = mmdb::city_database(NETWORKS);
    let marker = cut
        .windows(14)
        .rposition(|w| w == b"\xAB\xCD\xEFMaxMind.com")
        .expect("the metadata marker");
    cut.truncate(marker);
    let cut = TempFile::new("cut.mmdb", &cut);
    let error = GeoIp::open(&cut.0).expect_err("no metadata, refused");
    assert!(error.contains(&cut.0.display().to_string()), "{error}");

    let missing = std::env::temp_dir().join("nextauth-geoip-no-such-file.mmdb");
    let error = GeoIp::open(&missing).expect_err("a missing file refused");
    assert!(error.contains(&missing.display().to_string()), "{error}");
}

// ---------------------------------------------------------------- through the server

/// Enrols an account with the protocol-level test app.
async fn enrol(server: &TestServer) -> AppAccount {
    let device = DeviceSecret::from_bytes([3; 32]);
    server
        .enrol("geo-signup", &device, "gina", Some("gina"), Some("2468"))
        .await
}

#[tokio::test]
async fn the_login_prompt_shows_where_the_browser_is() {
    let db = TempFile::new("server.mmdb", &mmdb::city_database(NETWORKS));
    let path = db.0.clone();
    let server = TestServer::start_with(|config| {
        config.login_checks.geoip_db = Some(path);
        // The proxy in front of the server runs on this machine.
        config.limits.trusted_proxies = vec![ProxyNet::parse("127.0.0.1").unwrap()];
    })
    .await;
    let account = enrol(&server).await;
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";

    for (n, (forwarded, location)) in [
        ("192.0.2.10", "Springfield, Freedonia"),
        ("198.51.100.7", "Freedonia"),
        ("203.0.113.9", ""),
    ]
    .into_iter()
    .enumerate()
    {
        let session = server.login_session(&format!("geo-{n}")).await;
        // The browser, as the proxy forwards it.
        let mut request = format!("ws://{}/ws", server.addr)
            .into_client_request()
            .unwrap();
        let headers = request.headers_mut();
        headers.insert("X-Forwarded-For", forwarded.parse().unwrap());
        headers.insert("User-Agent", firefox.parse().unwrap());
        let (mut browser, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let register = format!("REGISTER {} {}", session.to_base64(), server.demo.serverid);
        browser.send(Message::Text(register.into())).await.unwrap();
        // The answer comes after the server recorded what it saw.
        let answer = tokio::time::timeout(Duration::from_secs(5), browser.next())
            .await
            .expect("an answer within 5 s")
            .expect("socket open")
            .unwrap();
        assert!(
            matches!(&answer, Message::Text(t) if t.starts_with("LOGOUT ")),
            "{answer:?}"
        );

        // The app, connecting directly from this machine, is told where the browser is.
        let ex = app::open_known(&account, Purpose::Login, session.0)
            .await
            .expect("the session accepts a login");
        let context = &ex.decision.as_ref().expect("a decision to make").context;
        let ServerContext::Login { check, .. } = ServerContext::decode(context).unwrap() else {
            panic!("a login context")
        };
        assert_eq!(check.observed.location, location, "{forwarded}");
        assert_eq!(check.observed.ip, forwarded, "the proxy's word, trusted");
        assert_eq!(check.observed.browser, "Firefox 140 on Linux");
        assert!(check.observed.seen_at > 0);
        assert!(
            check.observed.network_differs,
            "{forwarded} is not the app's network"
        );
        ex.close().await;
    }
}

#[tokio::test]
async fn the_server_does_not_start_without_its_geoip_database() {
    let dir = std::env::temp_dir().join(format!("nextauth-geoip-{}-nostart", std::process::id()));
    let garbage = TempFile::new("server-garbage.mmdb", b"\0\0\0 not a database");
    let missing = dir.join("no-such.mmdb");
    for path in [missing, garbage.0.clone()] {
        let config = ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.clone(),
            login_checks: LoginCheckConfig {
                geoip_db: Some(path.clone()),
                ..LoginCheckConfig::default()
            },
            ..ServerConfig::default()
        };
        match nextauth_server::start(config).await {
            Err(ServerError::LoginChecks(message)) => {
                assert!(
                    message.contains(&path.display().to_string()),
                    "the path in {message}"
                );
            }
            Err(other) => panic!("expected a login-checks error, got {other}"),
            Ok(_) => panic!(
                "started without a usable GeoIP database ({})",
                path.display()
            ),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
