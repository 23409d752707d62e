//! Module sampling and decoding: mean grey per module through a homography, thresholded in
//! up to five ways, each decoded by rqrr's decoder (format information, Reed-Solomon
//! correction, data segments).

use crate::binarize::Binary;
use crate::homography::Homography;
use crate::plane::Plane;

/// Grey level at continuous plane coordinates (pixel centres at `i + 0.5`).
#[inline]
pub(crate) fn grey_at(p: &Plane, x: f64, y: f64) -> f64 {
    bilinear(p, x - 0.5, y - 0.5)
}

/// Sampled module values of a candidate grid.
pub(crate) struct Samples {
    dim: usize,
    /// Mean grey per module.
    val: Vec<u8>,
    /// Local (binariser) threshold per module.
    thr: Vec<u8>,
}

pub(crate) fn sample(
    grey: &Plane,
    bin: &Binary,
    h: &Homography,
    dim: usize,
    module: f64,
) -> Option<Samples> {
    let n = dim * dim;
    let mut val = Vec::with_capacity(n);
    let mut thr = Vec::with_capacity(n);
    // Sample offsets within a module (a small cross when modules are big enough).
    let offs: &[(f64, f64)] = if module >= 4.0 {
        &[(0.5, 0.5), (0.3, 0.5), (0.7, 0.5), (0.5, 0.3), (0.5, 0.7)]
    } else {
        &[(0.5, 0.5)]
    };
    let (w, hgt) = (grey.w as f64, grey.h as f64);
    for j in 0..dim {
        for i in 0..dim {
            let mut s = 0.0;
            let mut cx = 0.0;
            let mut cy = 0.0;
            for &(du, dv) in offs {
                let (x, y) = h.map(i as f64 + du, j as f64 + dv);
                if !(x >= 0.0 && y >= 0.0 && x < w - 1.0 && y < hgt - 1.0) {
                    return None;
                }
                s += bilinear(grey, x - 0.5, y - 0.5);
                cx += x;
                cy += y;
            }
            let k = offs.len() as f64;
            val.push((s / k).round() as u8);
            thr.push(bin.threshold_at((cx / k) as usize, (cy / k) as usize));
        }
    }
    Some(Samples { dim, val, thr })
}

/// Grey level at module-space point (u, v) through `h`; `None` off the plane.
#[inline]
pub(crate) fn grey_through(grey: &Plane, h: &Homography, u: f64, v: f64) -> Option<f64> {
    let (x, y) = h.map(u, v);
    (x >= 0.0 && y >= 0.0 && x < grey.w as f64 - 1.0 && y < grey.h as f64 - 1.0)
        .then(|| bilinear(grey, x - 0.5, y - 0.5))
}

#[inline]
pub(crate) fn bilinear(p: &Plane, x: f64, y: f64) -> f64 {
    let x = x.max(0.0);
    let y = y.max(0.0);
    let xi = (x as usize).min(p.w - 1);
    let yi = (y as usize).min(p.h - 1);
    let x1 = (xi + 1).min(p.w - 1);
    let y1 = (yi + 1).min(p.h - 1);
    let fx = x - xi as f64;
    let fy = y - yi as f64;
    let g = |xx: usize, yy: usize| p.data[yy * p.w + xx] as f64;
    let top = g(xi, yi) * (1.0 - fx) + g(x1, yi) * fx;
    let bot = g(xi, y1) * (1.0 - fx) + g(x1, y1) * fx;
    top * (1.0 - fy) + bot * fy
}

/// Bits of the sampled grid under one thresholding strategy; decoded bytes if it reads.
fn decode_bits(bits: &[bool], dim: usize) -> Option<Vec<u8>> {
    let grid = rqrr::SimpleGrid::from_func(dim, |x, y| bits[y * dim + x]);
    let mut out = Vec::new();
    match rqrr::Grid::new(grid).decode_to(&mut out) {
        Ok(_) => Some(out),
        Err(_) => None,
    }
}

pub(crate) fn decode_samples(s: &Samples, inv: bool) -> Option<Vec<u8>> {
    let dim = s.dim;
    // 1. The binariser's local threshold.
    let bits: Vec<bool> = s
        .val
        .iter()
        .zip(&s.thr)
        .map(|(v, t)| (v <= t) != inv)
        .collect();
    if let Some(r) = decode_bits(&bits, dim) {
        return Some(r);
    }
    // 2. Threshold from the module values themselves: the mean of a 7×7-module neighbourhood
    // (data is about half dark), which follows illumination across the code. (Grey levels
    // and their sums are exact in f32: at most 177² × 255 < 2^24.)
    let raw: Vec<f32> = s.val.iter().map(|&v| f32::from(v)).collect();
    let bits2 = local_mean_bits(&raw, dim, inv);
    if bits2 != bits {
        if let Some(r) = decode_bits(&bits2, dim) {
            return Some(r);
        }
    }
    // 3. One global threshold between the darkest and lightest deciles.
    let mut sorted = s.val.clone();
    sorted.sort_unstable();
    let lo = sorted[sorted.len() / 10] as u32;
    let hi = sorted[sorted.len() * 9 / 10] as u32;
    let t = ((lo + hi) / 2) as u8;
    let bits3: Vec<bool> = s.val.iter().map(|&v| (v <= t) != inv).collect();
    if bits3 != bits && bits3 != bits2 {
        if let Some(r) = decode_bits(&bits3, dim) {
            return Some(r);
        }
    }
    // 4. Blur spreads each module into its neighbours; subtracting a share of the neighbours'
    // values (a sharpening in module space) undoes much of it. Thresholded locally as in 2.
    let sharp = sharpen(&s.val, dim, DEBLUR);
    let bits4 = local_mean_bits(&sharp, dim, inv);
    if bits4 != bits && bits4 != bits2 {
        if let Some(r) = decode_bits(&bits4, dim) {
            return Some(r);
        }
    }
    // 5. The same for stronger blur (about 0.55 module).
    let bits5 = local_mean_bits(&sharpen(&s.val, dim, STRONG_DEBLUR), dim, inv);
    if bits5 != bits4 {
        return decode_bits(&bits5, dim);
    }
    None
}

/// [`DEBLUR`] for blur of about 0.55 module, a last thresholding (tuning split: the heaviest
/// blurred frame read from 0.4 to 0.7; 0.25 and 0.3 read none more).
const STRONG_DEBLUR: f32 = 0.45;

/// Share of each 4-neighbour's value that blur of about 0.4 module adds to a module's centre
/// sample, relative to the module's own share (tuning split, blur: 68 % without this step,
/// 73 % with 0.12, 75 % with 0.17 and with 0.25).
const DEBLUR: f32 = 0.17;

/// `v - k * (sum of the 4 neighbours - 4 v)`, borders clamped (module space).
fn sharpen(val: &[u8], dim: usize, k: f32) -> Vec<f32> {
    let at = |x: usize, y: usize| val[y * dim + x] as f32;
    let mut out = Vec::with_capacity(dim * dim);
    for y in 0..dim {
        for x in 0..dim {
            let c = at(x, y);
            let n = at(x.saturating_sub(1), y)
                + at((x + 1).min(dim - 1), y)
                + at(x, y.saturating_sub(1))
                + at(x, (y + 1).min(dim - 1));
            out.push(c - k * (n - 4.0 * c));
        }
    }
    out
}

/// Dark where a value is at most the mean of its 7×7-module neighbourhood.
fn local_mean_bits(val: &[f32], dim: usize, inv: bool) -> Vec<bool> {
    val.iter()
        .zip(local_means(val, dim))
        .map(|(&v, mean)| (v <= mean) != inv)
        .collect()
}

/// The mean of each module's 7×7-module neighbourhood (clipped at the borders).
pub(crate) fn local_means(val: &[f32], dim: usize) -> Vec<f32> {
    let r = 3usize;
    let mut integ = vec![0f32; (dim + 1) * (dim + 1)];
    for y in 0..dim {
        let mut row = 0f32;
        for x in 0..dim {
            row += val[y * dim + x];
            integ[(y + 1) * (dim + 1) + x + 1] = integ[y * (dim + 1) + x + 1] + row;
        }
    }
    let mut means = Vec::with_capacity(dim * dim);
    for y in 0..dim {
        for x in 0..dim {
            let (x0, y0) = (x.saturating_sub(r), y.saturating_sub(r));
            let (x1, y1) = ((x + r + 1).min(dim), (y + r + 1).min(dim));
            let sum = integ[y1 * (dim + 1) + x1] + integ[y0 * (dim + 1) + x0]
                - integ[y0 * (dim + 1) + x1]
                - integ[y1 * (dim + 1) + x0];
            means.push(sum / ((x1 - x0) * (y1 - y0)) as f32);
        }
    }
    means
}
