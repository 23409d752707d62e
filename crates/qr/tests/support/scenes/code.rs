//! The codes of the scene corpus: random binary payloads of 40-300 bytes in byte mode,
//! versions 2-20, error-correction levels L to H.

use super::Rng;
use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};

/// Byte-mode capacity (bytes) of versions 1..=20 at levels L, M, Q, H (ISO/IEC 18004 table 7).
pub const BYTE_CAPACITY: [[usize; 4]; 20] = [
    [17, 14, 11, 7],
    [32, 26, 20, 14],
    [53, 42, 32, 24],
    [78, 62, 46, 34],
    [106, 84, 60, 44],
    [134, 106, 74, 58],
    [154, 122, 86, 64],
    [192, 152, 108, 84],
    [230, 180, 130, 98],
    [271, 213, 151, 119],
    [321, 251, 177, 137],
    [367, 287, 203, 155],
    [425, 331, 241, 177],
    [458, 362, 258, 194],
    [520, 412, 292, 220],
    [586, 450, 322, 250],
    [644, 504, 364, 280],
    [718, 560, 394, 310],
    [792, 624, 442, 338],
    [858, 666, 482, 382],
];

/// The four levels, lowest first (index into a row of [`BYTE_CAPACITY`]).
pub const LEVELS: [EcLevel; 4] = [EcLevel::L, EcLevel::M, EcLevel::Q, EcLevel::H];

/// Shortest and longest payload drawn (bytes); a version that holds fewer gets its capacity.
pub const PAYLOAD_BYTES: (usize, usize) = (40, 300);

/// A QR code as a square matrix of modules (`true` = dark), without quiet zone.
#[derive(Clone, Debug)]
pub struct Code {
    pub size: usize,
    pub dark: Vec<bool>,
    pub payload: Vec<u8>,
    pub version: usize,
    pub ec: EcLevel,
}

impl Code {
    /// Is module (u, v) dark? Outside the code: light (quiet zone).
    #[inline]
    pub fn is_dark(&self, u: isize, v: isize) -> bool {
        u >= 0
            && v >= 0
            && (u as usize) < self.size
            && (v as usize) < self.size
            && self.dark[v as usize * self.size + u as usize]
    }
}

/// A version from `2..=max_version`: 85 % from 2-13 (the sizes our codes use), the rest from
/// 14 up to `max_version` (at most 20).
pub fn random_version(rng: &mut Rng, max_version: usize) -> usize {
    let max_version = max_version.clamp(2, 20);
    if max_version <= 13 || rng.below(100) < 85 {
        2 + rng.below(max_version.min(13) - 1)
    } else {
        14 + rng.below(max_version - 13)
    }
}

/// A code of `version` at a random level with a random payload: its length is uniform in
/// [`PAYLOAD_BYTES`], cut to what the version holds at that level.
pub fn random_code(rng: &mut Rng, version: usize) -> Code {
    let level = rng.below(4);
    let cap = BYTE_CAPACITY[version - 1][level];
    let lo = PAYLOAD_BYTES.0.min(cap);
    let hi = PAYLOAD_BYTES.1.min(cap);
    let len = lo + rng.below(hi - lo + 1);
    let payload = rng.bytes(len);
    encode(&payload, version, LEVELS[level]).expect("the payload fits by construction")
}

/// Encodes `payload` in one byte-mode segment at exactly `version` and `ec` (`None` if it does
/// not fit). Byte mode is forced: the optimiser could pick numeric or Kanji segments.
pub fn encode(payload: &[u8], version: usize, ec: EcLevel) -> Option<Code> {
    let mut bits = Bits::new(Version::Normal(version as i16));
    bits.push_byte_data(payload).ok()?;
    bits.push_terminator(ec).ok()?;
    let qr = QrCode::with_bits(bits, ec).ok()?;
    let size = qr.width();
    let dark = qr
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Some(Code {
        size,
        dark,
        payload: payload.to_vec(),
        version,
        ec,
    })
}
