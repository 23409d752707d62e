//! A small MaxMind DB writer (format 2.0, <https://maxmind.github.io/MaxMind-DB/>) for tests
//! that need a real GeoIP database: GeoLite2-City records for a few IPv4 networks.
//!
//! What it writes:
//! - the search tree with 24-bit records: IPv4 only (`ip_version` 4), or IPv6 (`ip_version`
//!   6, as MaxMind ships GeoLite2) with the IPv4 networks under `::/96` and `::ffff:0:0/96`
//!   aliased to them; a record is the node count for "no data", a node number, or
//!   node count + 16 + the offset of the record's data in the data section;
//! - the 16 zero bytes that separate the tree from the data section;
//! - one data record per distinct (city, country):
//!   `{"city": {"names": {"en": city}}, "country": {"iso_code": .., "names": {"en": country}}}`
//!   (no `"city"` for a country-only network), strings written once and pointed to after
//!   (pointers of every size the format has), sizes of every length encoding;
//! - `\xAB\xCD\xEFMaxMind.com` and the metadata map (`node_count`, `record_size`,
//!   `ip_version`, `database_type` "GeoLite2-City", `languages` ["en"],
//!   `binary_format_major_version` 2, `binary_format_minor_version` 0, `build_epoch`,
//!   `description` {"en": "test"}).
//!
//! Networks are inserted least specific first, so a more specific network carves its part
//! out of a wider one whatever the order given.

use std::collections::HashMap;
use std::net::Ipv4Addr;

/// One network: CIDR (`"192.0.2.0/24"`), the city's English name (`None`: the country
/// alone), the country's English name.
pub type Network<'a> = (&'a str, Option<&'a str>, &'a str);

/// A GeoLite2-City database with an IPv4 search tree (`ip_version` 4).
pub fn city_database(networks: &[Network<'_>]) -> Vec<u8> {
    write(4, networks)
}

/// A GeoLite2-City database with an IPv6 search tree (`ip_version` 6), the IPv4 networks at
/// `::a.b.c.d` and reachable through `::ffff:a.b.c.d` too.
pub fn city_database_v6(networks: &[Network<'_>]) -> Vec<u8> {
    write(6, networks)
}

/// The ISO code the writer gives a country: its first two letters in capitals.
pub fn iso_code(country: &str) -> String {
    country.chars().take(2).collect::<String>().to_uppercase()
}

/// The bytes of a database of `networks` with a search tree for `ip_version` (4 or 6).
pub fn write(ip_version: u16, networks: &[Network<'_>]) -> Vec<u8> {
    assert!(ip_version == 4 || ip_version == 6, "ip_version 4 or 6");
    let mut parsed: Vec<(u32, u8, Option<&str>, &str)> = networks
        .iter()
        .map(|&(cidr, city, country)| {
            let (addr, prefix) = parse_cidr(cidr);
            (addr, prefix, city, country)
        })
        .collect();
    // Wider networks first: a narrower one then splits the wider one's record.
    parsed.sort_by_key(|&(_, prefix, _, _)| prefix);

    let mut data = DataSection::default();
    let mut records: HashMap<(Option<&str>, &str), usize> = HashMap::new();
    let mut tree = Tree::default();
    let offset = if ip_version == 6 { 96 } else { 0 };
    for &(addr, prefix, city, country) in &parsed {
        let record = *records
            .entry((city, country))
            .or_insert_with(|| data.city_record(city, country));
        let bits = (0..usize::from(prefix)).map(|i| (addr >> (31 - i)) & 1 == 1);
        let path: Vec<bool> = std::iter::repeat_n(false, offset).chain(bits).collect();
        tree.insert(&path, Rec::Data(record));
    }
    if ip_version == 6 {
        tree.alias_ipv4_mapped();
    }

    let node_count = tree.nodes.len();
    let mut out = Vec::new();
    for node in &tree.nodes {
        for rec in node {
            let value = match *rec {
                Rec::Empty => node_count,
                Rec::Node(n) => n,
                Rec::Data(at) => node_count + 16 + at,
            };
            assert!(value < 1 << 24, "a record fits in 24 bits");
            out.extend_from_slice(&(value as u32).to_be_bytes()[1..]);
        }
    }
    out.extend_from_slice(&[0; 16]);
    out.extend_from_slice(&data.buf);
    out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
    out.extend_from_slice(&metadata(node_count, ip_version));
    out
}

fn parse_cidr(cidr: &str) -> (u32, u8) {
    let (addr, prefix) = cidr
        .split_once('/')
        .unwrap_or_else(|| panic!("{cidr}: not CIDR"));
    let addr: Ipv4Addr = addr.parse().unwrap_or_else(|_| panic!("{cidr}: not IPv4"));
    let prefix: u8 = prefix
        .parse()
        .ok()
        .filter(|p| (1..=32).contains(p))
        .unwrap_or_else(|| panic!("{cidr}: prefix 1 to 32"));
    let mask = u32::MAX << (32 - u32::from(prefix));
    (u32::from(addr) & mask, prefix)
}

/// A search tree record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rec {
    /// No data.
    Empty,
    /// Another node.
    Node(usize),
    /// Data at this offset in the data section.
    Data(usize),
}

/// The search tree: node 0 is the root, each node a left (0 bit) and right (1 bit) record.
struct Tree {
    nodes: Vec<[Rec; 2]>,
}

impl Default for Tree {
    fn default() -> Self {
        Self {
            nodes: vec![[Rec::Empty; 2]],
        }
    }
}

impl Tree {
    /// The node the record at `node`/`bit` leads to, made (and inheriting its data) when the
    /// record was empty or data.
    fn child(&mut self, node: usize, bit: bool) -> usize {
        match self.nodes[node][usize::from(bit)] {
            Rec::Node(next) => next,
            inherited => {
                self.nodes.push([inherited; 2]);
                let next = self.nodes.len() - 1;
                self.nodes[node][usize::from(bit)] = Rec::Node(next);
                next
            }
        }
    }

    /// Sets the record at the end of `path` (one bit per level) to `rec`.
    fn insert(&mut self, path: &[bool], rec: Rec) {
        let (&last, walk) = path.split_last().expect("a prefix of at least one bit");
        let mut node = 0;
        for &bit in walk {
            node = self.child(node, bit);
        }
        let slot = &mut self.nodes[node][usize::from(last)];
        assert!(
            !matches!(slot, Rec::Node(_)),
            "wider networks are inserted first"
        );
        *slot = rec;
    }

    /// Points `::ffff:0:0/96` at the IPv4 subtree under `::/96`, as MaxMind's IPv6 databases
    /// do.
    fn alias_ipv4_mapped(&mut self) {
        let mut node = 0;
        for _ in 0..95 {
            match self.nodes[node][0] {
                Rec::Node(next) => node = next,
                _ => return, // no IPv4 network
            }
        }
        let ipv4 = self.nodes[node][0];
        let mapped: Vec<bool> = (0..96).map(|i| (80..96).contains(&i)).collect();
        self.insert(&mapped, ipv4);
    }
}

/// The data section, with each string written once and pointed to afterwards.
#[derive(Default)]
struct DataSection {
    buf: Vec<u8>,
    strings: HashMap<String, usize>,
}

impl DataSection {
    /// Writes a GeoLite2-City record; returns its offset.
    fn city_record(&mut self, city: Option<&str>, country: &str) -> usize {
        let at = self.buf.len();
        map_header(&mut self.buf, 1 + usize::from(city.is_some()));
        if let Some(city) = city {
            self.string("city");
            map_header(&mut self.buf, 1);
            self.names(city);
        }
        self.string("country");
        map_header(&mut self.buf, 2);
        self.string("iso_code");
        self.string(&iso_code(country));
        self.names(country);
        at
    }

    /// `"names": {"en": name}`.
    fn names(&mut self, name: &str) {
        self.string("names");
        map_header(&mut self.buf, 1);
        self.string("en");
        self.string(name);
    }

    fn string(&mut self, s: &str) {
        match self.strings.get(s) {
            Some(&at) => pointer(&mut self.buf, at),
            None => {
                self.strings.insert(s.to_owned(), self.buf.len());
                string(&mut self.buf, s);
            }
        }
    }
}

// Data types (the control byte's type; 8 and above are extended).
const POINTER: u8 = 1;
const STRING: u8 = 2;
const UINT16: u8 = 5;
const UINT32: u8 = 6;
const MAP: u8 = 7;
const UINT64: u8 = 9;
const ARRAY: u8 = 11;

/// A control byte for `kind` and `size`: the size in 5 bits (0 to 28), or 29, 30, 31
/// followed by 1, 2, 3 bytes of size less 29, 285, 65 821; an extended type's number less 7
/// in the byte after the control byte, before the size bytes.
fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
    let (bits, extra): (u8, Vec<u8>) = match size {
        0..=28 => (size as u8, Vec::new()),
        29..=284 => (29, vec![(size - 29) as u8]),
        285..=65_820 => (30, ((size - 285) as u16).to_be_bytes().to_vec()),
        _ => {
            let rest = size - 65_821;
            assert!(rest < 1 << 24, "size fits in 3 bytes");
            (31, (rest as u32).to_be_bytes()[1..].to_vec())
        }
    };
    if kind <= 7 {
        out.push((kind << 5) | bits);
    } else {
        out.push(bits);
        out.push(kind - 7);
    }
    out.extend_from_slice(&extra);
}

/// A pointer to `at` in the data section: size bits `SS` (the pointer is SS + 1 bytes), the
/// value's top 3 bits in the control byte (not for 4-byte pointers); 2- and 3-byte pointers
/// are offset by 2 048 and 526 336.
fn pointer(out: &mut Vec<u8>, at: usize) {
    let kind = POINTER << 5;
    match at {
        0..=2_047 => out.extend_from_slice(&[kind | (at >> 8) as u8, at as u8]),
        2_048..=526_335 => {
            let v = at - 2_048;
            out.extend_from_slice(&[kind | (1 << 3) | (v >> 16) as u8, (v >> 8) as u8, v as u8]);
        }
        526_336..=134_744_063 => {
            let v = at - 526_336;
            out.push(kind | (2 << 3) | (v >> 24) as u8);
            out.extend_from_slice(&(v as u32).to_be_bytes()[1..]);
        }
        _ => {
            out.push(kind | (3 << 3));
            out.extend_from_slice(&u32::try_from(at).expect("32-bit offset").to_be_bytes());
        }
    }
}

fn string(out: &mut Vec<u8>, s: &str) {
    control(out, STRING, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn map_header(out: &mut Vec<u8>, entries: usize) {
    control(out, MAP, entries);
}

/// An unsigned integer of `kind` in as few big-endian bytes as it needs (0: none).
fn uint(out: &mut Vec<u8>, kind: u8, value: u64) {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    control(out, kind, 8 - skip);
    out.extend_from_slice(&bytes[skip..]);
}

/// The metadata map (written without pointers: they would count from the metadata's start).
fn metadata(node_count: usize, ip_version: u16) -> Vec<u8> {
    let epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut out = Vec::new();
    map_header(&mut out, 9);
    string(&mut out, "node_count");
    uint(&mut out, UINT32, node_count as u64);
    string(&mut out, "record_size");
    uint(&mut out, UINT16, 24);
    string(&mut out, "ip_version");
    uint(&mut out, UINT16, u64::from(ip_version));
    string(&mut out, "database_type");
    string(&mut out, "GeoLite2-City");
    string(&mut out, "languages");
    control(&mut out, ARRAY, 1);
    string(&mut out, "en");
    string(&mut out, "binary_format_major_version");
    uint(&mut out, UINT16, 2);
    string(&mut out, "binary_format_minor_version");
    uint(&mut out, UINT16, 0);
    string(&mut out, "build_epoch");
    uint(&mut out, UINT64, epoch);
    string(&mut out, "description");
    map_header(&mut out, 1);
    string(&mut out, "en");
    string(&mut out, "test");
    out
}
