//! A cheap plausibility check of a candidate grid before it is sampled and decoded: do its
//! two copies of the format information (15 bits, BCH(15,5)) read as the same valid word?
//! Clutter whose timing rows happen to alternate (checkerboards, text) rarely passes, and a
//! full sample-and-decode of a large grid costs a hundred times more.

use crate::binarize::Binary;
use crate::homography::Homography;
use crate::plane::Plane;
use crate::sample::grey_through;

/// Mask XORed onto the format bits (ISO/IEC 18004).
const FORMAT_MASK: u16 = 0x5412;
/// Generator polynomial of the format information's BCH code.
const FORMAT_GENERATOR: u16 = 0x537;

/// The 32 valid (masked) format words.
fn format_words() -> [u16; 32] {
    let mut words = [0u16; 32];
    for (data, w) in words.iter_mut().enumerate() {
        let mut rem = (data as u16) << 10;
        for bit in (10..15).rev() {
            if rem & (1 << bit) != 0 {
                rem ^= FORMAT_GENERATOR << (bit - 10);
            }
        }
        *w = (((data as u16) << 10) | rem) ^ FORMAT_MASK;
    }
    words
}

/// Module positions (x, y) of one copy of the format bits, most significant bit first.
type Positions = [(usize, usize); 15];

/// The two copies: around the top-left finder, and split between the bottom-left (7 bits)
/// and the top-right finder (8 bits).
fn copies(dim: usize) -> (Positions, Positions) {
    let mut first = [(0, 0); 15];
    let mut k = 0;
    for x in (0..6).chain([7, 8]) {
        first[k] = (x, 8);
        k += 1;
    }
    first[k] = (8, 7);
    k += 1;
    for y in (0..6).rev() {
        first[k] = (8, y);
        k += 1;
    }
    let mut second = [(0, 0); 15];
    for (k, y) in (dim - 7..dim).rev().enumerate() {
        second[k] = (8, y);
    }
    for (k, x) in (dim - 8..dim).enumerate() {
        second[7 + k] = (x, 8);
    }
    (first, second)
}

/// Greys of the modules at `at` through `h` (transposed if `mirror`); `None` off the plane.
fn greys(grey: &Plane, h: &Homography, at: &Positions, mirror: bool) -> Option<[f64; 15]> {
    let mut out = [0.0; 15];
    for (o, &(x, y)) in out.iter_mut().zip(at) {
        let (x, y) = if mirror { (y, x) } else { (x, y) };
        *o = grey_through(grey, h, x as f64 + 0.5, y as f64 + 0.5)?;
    }
    Some(out)
}

/// Bits of `vals` (1 = dark) against the threshold of each, as a 15-bit word.
fn word(vals: &[f64; 15], thr: impl Fn(usize) -> f64, inv: bool) -> u16 {
    vals.iter()
        .enumerate()
        .fold(0u16, |w, (i, &v)| (w << 1) | ((v < thr(i)) != inv) as u16)
}

/// Whether the grid `h` of `dim` modules has plausible format information: some valid word
/// within 5 bit errors of the two copies together, or within 1 of one copy (the other may be
/// under glare). Read with the binariser's thresholds and with the mean of each copy's part,
/// and transposed as well (mirrored codes).
pub(crate) fn plausible(grey: &Plane, bin: &Binary, h: &Homography, dim: usize, inv: bool) -> bool {
    let words = format_words();
    let (first, second) = copies(dim);
    let local = |at: &Positions, mirror: bool| -> [f64; 15] {
        let mut t = [0.0; 15];
        for (t, &(x, y)) in t.iter_mut().zip(at) {
            let (x, y) = if mirror { (y, x) } else { (x, y) };
            let (px, py) = h.map(x as f64 + 0.5, y as f64 + 0.5);
            *t = bin.threshold_at(px.max(0.0) as usize, py.max(0.0) as usize) as f64;
        }
        t
    };
    for mirror in [false, true] {
        let (Some(g1), Some(g2)) = (
            greys(grey, h, &first, mirror),
            greys(grey, h, &second, mirror),
        ) else {
            return false;
        };
        let (t1, t2) = (local(&first, mirror), local(&second, mirror));
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let m1 = mean(&g1);
        let (m2a, m2b) = (mean(&g2[..7]), mean(&g2[7..]));
        let reads = [
            (word(&g1, |i| t1[i], inv), word(&g2, |i| t2[i], inv)),
            (
                word(&g1, |_| m1, inv),
                word(&g2, |i| if i < 7 { m2a } else { m2b }, inv),
            ),
        ];
        for (w1, w2) in reads {
            for &w in &words {
                let (d1, d2) = ((w ^ w1).count_ones(), (w ^ w2).count_ones());
                if d1 + d2 <= 5 || d1.min(d2) <= 1 {
                    return true;
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_words_are_the_standard_ones() {
        let words = format_words();
        // ISO/IEC 18004 table C.1: level M mask 0 is 101010000010010, level L mask 0 is
        // 111011111000100.
        assert_eq!(words[0], 0b101010000010010);
        assert_eq!(words[0b01000], 0b111011111000100);
    }

    #[test]
    fn a_code_has_plausible_format_information_and_a_blank_card_has_none() {
        let (plane, truth, dim) = crate::timing::tests::rendered(5);
        let mut bin = Binary::default();
        bin.compute(&plane);
        assert!(plausible(&plane, &bin, &truth, dim, false));
        let blank = Plane {
            w: plane.w,
            h: plane.h,
            data: vec![230; plane.w * plane.h],
        };
        bin.compute(&blank);
        assert!(!plausible(&blank, &bin, &truth, dim, false));
    }
}
