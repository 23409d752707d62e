//! The visual hash ("vash") of server parameters: an 8x8 grid of coloured cells that a person
//! compares at a glance with the one the website shows, before trusting a new server.
//!
//! Each of the 64 cells takes its colour from one nibble of [`crate::params::params_hash`]
//! (high nibble first, byte 0 first, row-major), so the image carries all 256 bits of the hash.
//! The palette is 16 colours chosen to stay distinct for common colour-vision deficiencies as
//! far as 16 colours allow; the image has a neutral grey border so it reads on light and dark
//! backgrounds.

use crate::crypto::HASH_LEN;
use crate::png;

/// The 16 colours, as RGB.
pub const PALETTE: [[u8; 3]; 16] = [
    [0x00, 0x00, 0x00], // black
    [0xff, 0xff, 0xff], // white
    [0xe6, 0x19, 0x4b], // red
    [0x3c, 0xb4, 0x4b], // green
    [0xff, 0xe1, 0x19], // yellow
    [0x43, 0x63, 0xd8], // blue
    [0xf5, 0x82, 0x31], // orange
    [0x91, 0x1e, 0xb4], // purple
    [0x42, 0xd4, 0xf4], // cyan
    [0xf0, 0x32, 0xe6], // magenta
    [0x80, 0x80, 0x00], // olive
    [0xfa, 0xbe, 0xd4], // pink
    [0x46, 0x99, 0x90], // teal
    [0x9a, 0x63, 0x24], // brown
    [0x80, 0x00, 0x00], // maroon
    [0x00, 0x00, 0x75], // navy
];

/// Cells per side.
pub const GRID: usize = 8;
const BORDER_RGB: [u8; 3] = [0x88, 0x88, 0x88];

/// The palette index of every cell, row by row.
pub fn grid(hash: &[u8; HASH_LEN]) -> [[u8; GRID]; GRID] {
    let mut out = [[0u8; GRID]; GRID];
    for (i, byte) in hash.iter().enumerate() {
        let (row, col) = ((2 * i) / GRID, (2 * i) % GRID);
        out[row][col] = byte >> 4;
        out[row][col + 1] = byte & 0x0f;
    }
    out
}

/// Renders the grid as a PNG, `cell_px` pixels a cell (clamped to 1..=64), with a border of
/// half a cell.
pub fn png(hash: &[u8; HASH_LEN], cell_px: u32) -> Vec<u8> {
    let cell = cell_px.clamp(1, 64) as usize;
    let border = cell.div_ceil(2);
    let side = GRID * cell + 2 * border;
    let cells = grid(hash);
    let mut rgb = Vec::with_capacity(side * side * 3);
    for y in 0..side {
        for x in 0..side {
            let inside =
                (border..side - border).contains(&x) && (border..side - border).contains(&y);
            let colour = if inside {
                PALETTE[cells[(y - border) / cell][(x - border) / cell] as usize]
            } else {
                BORDER_RGB
            };
            rgb.extend_from_slice(&colour);
        }
    }
    // The buffer is built to exactly side * side pixels, so encoding cannot fail.
    png::encode_rgb(side as u32, side as u32, &rgb).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nibble_lands_in_one_cell() {
        let mut hash = [0u8; 32];
        hash[0] = 0xab;
        hash[31] = 0x5c;
        let g = grid(&hash);
        assert_eq!((g[0][0], g[0][1]), (0xa, 0xb));
        assert_eq!((g[7][6], g[7][7]), (0x5, 0xc));
    }

    #[test]
    fn png_has_the_expected_size_and_differs_per_hash() {
        let a = png(&[1; 32], 4);
        let b = png(&[2; 32], 4);
        assert_ne!(a, b);
        assert_eq!(u32::from_be_bytes(a[16..20].try_into().unwrap()), 8 * 4 + 4);
        assert_eq!(a, png(&[1; 32], 4), "deterministic");
    }
}
