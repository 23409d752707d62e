//! From three finder patterns to bytes: orientation, module size and dimension, alignment
//! pattern, perspective transform, module sampling, and decoding with rqrr's decoder
//! (format information, Reed-Solomon correction, data segments).

use crate::binarize::Binary;
use crate::finder::Finder;
use crate::plane::Plane;

/// A located code: finder centres (top-left, top-right, bottom-left) and the dimension.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Triple {
    pub a: Finder,
    pub b: Finder,
    pub c: Finder,
    pub score: f64,
}

fn dist(a: &Finder, b: &Finder) -> f64 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// Plausible finder triples, best first.
pub(crate) fn triples(cands: &[Finder], out: &mut Vec<Triple>) {
    out.clear();
    let n = cands.len();
    for i in 0..n {
        for j in i + 1..n {
            for k in j + 1..n {
                let (p, q, r) = (cands[i], cands[j], cands[k]);
                if p.inv != q.inv || p.inv != r.inv {
                    continue;
                }
                let ms = [p.module, q.module, r.module];
                let mmax = ms.iter().cloned().fold(0.0, f64::max);
                let mmin = ms.iter().cloned().fold(f64::MAX, f64::min);
                if mmax > 1.7 * mmin {
                    continue;
                }
                let (dpq, dpr, dqr) = (dist(&p, &q), dist(&p, &r), dist(&q, &r));
                // The corner is opposite the longest side.
                let (a, mut b, mut c, hyp, s1, s2) = if dqr >= dpq && dqr >= dpr {
                    (p, q, r, dqr, dpq, dpr)
                } else if dpr >= dpq {
                    (q, p, r, dpr, dpq, dqr)
                } else {
                    (r, p, q, dpq, dpr, dqr)
                };
                let m = (a.module + b.module + c.module) / 3.0;
                let side = (s1 + s2) / 2.0;
                if side < 9.0 * m || side > 190.0 * m {
                    continue;
                }
                let ratio = s1.max(s2) / s1.min(s2).max(1e-9);
                if ratio > 1.45 {
                    continue;
                }
                // Right angle at a: hyp² ≈ s1² + s2².
                let cosang = (s1 * s1 + s2 * s2 - hyp * hyp) / (2.0 * s1 * s2).max(1e-9);
                if cosang.abs() > 0.35 {
                    continue;
                }
                // Orientation: (b - a) × (c - a) > 0 for top-right b, bottom-left c (y down).
                let cross = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
                if cross < 0.0 {
                    std::mem::swap(&mut b, &mut c);
                }
                let score = (ratio - 1.0) * 2.0
                    + cosang.abs() * 2.0
                    + (mmax / mmin - 1.0)
                    + 1.0 / (p.count.min(q.count).min(r.count) as f64 + 1.0);
                out.push(Triple { a, b, c, score });
            }
        }
    }
    out.sort_by(|x, y| x.score.total_cmp(&y.score));
}

/// Length (in pixels) of the on-off-on run from (fx, fy) towards (tx, ty), i.e. 3.5 modules
/// for a finder centre. NaN if it runs off the plane or is implausibly long.
fn run_towards(bin: &Binary, fx: f64, fy: f64, tx: f64, ty: f64, inv: bool, limit: f64) -> f64 {
    let (dx, dy) = (tx - fx, ty - fy);
    let len = (dx * dx + dy * dy).sqrt();
    if len < 1.0 {
        return f64::NAN;
    }
    let (ux, uy) = (dx / len, dy / len);
    let mut state = 0;
    let mut t = 0.0;
    while t < limit {
        let x = fx + ux * t;
        let y = fy + uy * t;
        if x < 0.0 || y < 0.0 || x >= bin.w as f64 || y >= bin.h as f64 {
            return if state == 2 { t } else { f64::NAN };
        }
        let on = bin.dark(x as isize, y as isize) != inv;
        // States: 0 centre (on), 1 light ring (off), 2 dark ring (on); leaving 2 ends.
        let want_on = state != 1;
        if on != want_on {
            state += 1;
            if state == 3 {
                return t;
            }
        }
        t += 0.5;
    }
    f64::NAN
}

/// Module size along the line between two finder centres (ZXing's black-white-black both ways).
fn module_between(bin: &Binary, p: &Finder, q: &Finder) -> f64 {
    let limit = 6.0 * p.module.max(q.module) + 4.0;
    let mut s = 0.0;
    let mut n = 0.0;
    for (f, t) in [(p, q), (q, p)] {
        let fw = run_towards(bin, f.x, f.y, t.x, t.y, f.inv, limit);
        let bw = run_towards(
            bin,
            f.x,
            f.y,
            2.0 * f.x - t.x,
            2.0 * f.y - t.y,
            f.inv,
            limit,
        );
        if fw.is_finite() && bw.is_finite() {
            s += (fw + bw) / 7.0;
            n += 1.0;
        } else if fw.is_finite() {
            s += fw / 3.5;
            n += 1.0;
        }
    }
    if n > 0.0 {
        s / n
    } else {
        (p.module + q.module) / 2.0
    }
}

/// Projective transform from module space (u, v) to plane pixels (x, y).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Homography([f64; 8]);

impl Homography {
    /// Solves for the transform taking `src[i]` to `dst[i]`.
    pub fn from_points(src: &[(f64, f64); 4], dst: &[(f64, f64); 4]) -> Option<Self> {
        let mut m = [[0.0f64; 9]; 8];
        for i in 0..4 {
            let (u, v) = src[i];
            let (x, y) = dst[i];
            m[2 * i] = [u, v, 1.0, 0.0, 0.0, 0.0, -u * x, -v * x, x];
            m[2 * i + 1] = [0.0, 0.0, 0.0, u, v, 1.0, -u * y, -v * y, y];
        }
        for col in 0..8 {
            let piv = (col..8).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
            if m[piv][col].abs() < 1e-12 {
                return None;
            }
            m.swap(col, piv);
            for r in 0..8 {
                if r != col {
                    let f = m[r][col] / m[col][col];
                    if f != 0.0 {
                        let pivot_row = m[col];
                        for (dst, p) in m[r][col..].iter_mut().zip(&pivot_row[col..]) {
                            *dst -= f * p;
                        }
                    }
                }
            }
        }
        let mut h = [0.0; 8];
        for i in 0..8 {
            h[i] = m[i][8] / m[i][i];
            if !h[i].is_finite() {
                return None;
            }
        }
        Some(Homography(h))
    }

    #[inline]
    pub fn map(&self, u: f64, v: f64) -> (f64, f64) {
        let h = &self.0;
        let d = h[6] * u + h[7] * v + 1.0;
        (
            (h[0] * u + h[1] * v + h[2]) / d,
            (h[3] * u + h[4] * v + h[5]) / d,
        )
    }
}

/// Searches for the alignment pattern (on-centre, off ring, on ring) near (ex, ey); `axes`
/// are one module along the code's rows and columns. Returns up to two candidates, best first
/// (by how well the 5×5 module structure matches, then by distance).
fn find_alignment(
    bin: &Binary,
    (ex, ey): (f64, f64),
    module: f64,
    inv: bool,
    radius: f64,
    axes: ((f64, f64), (f64, f64)),
) -> Vec<(f64, f64)> {
    let x0 = (ex - radius).max(0.0) as usize;
    let x1 = ((ex + radius) as usize).min(bin.w);
    let y0 = (ey - radius).max(0.0) as usize;
    let y1 = ((ey + radius) as usize).min(bin.h);
    if x1 <= x0 + 3 || y1 <= y0 + 3 {
        return Vec::new();
    }
    let on = |x: usize, y: usize| (bin.bits[y * bin.w + x] != 0) != inv;
    // How many of the 25 modules of the pattern around (cx, cy) have the right colour.
    let (u, v) = axes;
    let structure = |cx: f64, cy: f64| -> usize {
        let mut good = 0;
        for j in -2i32..=2 {
            for i in -2i32..=2 {
                let x = cx + i as f64 * u.0 + j as f64 * v.0;
                let y = cy + i as f64 * u.1 + j as f64 * v.1;
                let want_on = i.abs().max(j.abs()) != 1;
                good += ((bin.dark(x as isize, y as isize) != inv) == want_on) as usize;
            }
        }
        good
    };
    let close = |len: u32| (len as f64 - module).abs() < module * 0.7 + 0.75;
    let mut found: Vec<(usize, f64, f64, f64)> = Vec::new();
    for y in y0..y1 {
        // Runs off, on, off each ≈ one module.
        let mut x = x0;
        while x < x1 {
            if !on(x, y) {
                x += 1;
                continue;
            }
            let s = x;
            while x < x1 && on(x, y) {
                x += 1;
            }
            let c_len = (x - s) as u32;
            if !close(c_len) || s == x0 || x >= x1 {
                continue;
            }
            // Light runs on both sides.
            let mut l = s;
            while l > x0 && !on(l - 1, y) {
                l -= 1;
            }
            let mut r = x;
            while r < x1 && !on(r, y) {
                r += 1;
            }
            if !close((s - l) as u32) || !close((r - x) as u32) {
                continue;
            }
            let cx = (s + x) as f64 / 2.0;
            // Vertical cross-check at cx.
            let xi = cx as usize;
            if xi >= bin.w {
                continue;
            }
            let mut t = y;
            while t > 0 && on(xi, t - 1) && y - t < (2.0 * module) as usize + 2 {
                t -= 1;
            }
            let mut b = y;
            while b + 1 < bin.h && on(xi, b + 1) && b - y < (2.0 * module) as usize + 2 {
                b += 1;
            }
            let v_len = (b - t + 1) as u32;
            if !close(v_len) {
                continue;
            }
            let mut tt = t;
            while tt > 0 && !on(xi, tt - 1) && t - tt < (2.0 * module) as usize + 2 {
                tt -= 1;
            }
            let mut bb = b + 1;
            while bb < bin.h && !on(xi, bb) && bb - b - 1 < (2.0 * module) as usize + 2 {
                bb += 1;
            }
            if !close((t - tt) as u32) || !close((bb - b - 1) as u32) || tt == 0 || bb >= bin.h {
                continue;
            }
            let cy = (t + b + 1) as f64 / 2.0;
            let d = (cx - ex).powi(2) + (cy - ey).powi(2);
            let st = structure(cx, cy);
            if st >= 20
                && !found
                    .iter()
                    .any(|f| (f.1 - cx).abs() < module && (f.2 - cy).abs() < module)
            {
                found.push((st, cx, cy, d));
            }
        }
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.3.total_cmp(&b.3)));
    found.into_iter().take(2).map(|f| (f.1, f.2)).collect()
}

/// Sampled module values of a candidate grid.
struct Samples {
    dim: usize,
    /// Mean grey per module.
    val: Vec<u8>,
    /// Local (binariser) threshold per module.
    thr: Vec<u8>,
}

fn sample(grey: &Plane, bin: &Binary, h: &Homography, dim: usize, module: f64) -> Option<Samples> {
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

#[inline]
fn bilinear(p: &Plane, x: f64, y: f64) -> f64 {
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

fn decode_samples(s: &Samples, inv: bool) -> Option<Vec<u8>> {
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
    // (data is about half dark), which follows illumination across the code.
    let r = 3usize;
    let mut integ = vec![0u32; (dim + 1) * (dim + 1)];
    for y in 0..dim {
        let mut row = 0u32;
        for x in 0..dim {
            row += s.val[y * dim + x] as u32;
            integ[(y + 1) * (dim + 1) + x + 1] = integ[y * (dim + 1) + x + 1] + row;
        }
    }
    let mut bits2 = Vec::with_capacity(dim * dim);
    for y in 0..dim {
        for x in 0..dim {
            let (x0, y0) = (x.saturating_sub(r), y.saturating_sub(r));
            let (x1, y1) = ((x + r + 1).min(dim), (y + r + 1).min(dim));
            let sum = integ[y1 * (dim + 1) + x1] + integ[y0 * (dim + 1) + x0]
                - integ[y0 * (dim + 1) + x1]
                - integ[y1 * (dim + 1) + x0];
            let n = ((x1 - x0) * (y1 - y0)) as u32;
            let mean = sum / n;
            bits2.push((s.val[y * dim + x] as u32 <= mean) != inv);
        }
    }
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
        return decode_bits(&bits3, dim);
    }
    None
}

/// Where a decoded code lies, in plane pixels.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Located {
    /// Corners of the code (without quiet zone): top-left, top-right, bottom-right, bottom-left.
    pub corners: [(f64, f64); 4],
    pub module: f64,
}

/// Tries to read the code framed by `t`. `budget` counts grid decode attempts.
pub(crate) fn read_triple(
    grey: &Plane,
    bin: &Binary,
    t: &Triple,
    budget: &mut u32,
) -> Option<(Vec<u8>, Located)> {
    let (a, b, c) = (&t.a, &t.b, &t.c);
    let inv = a.inv;
    let mab = module_between(bin, a, b);
    let mac = module_between(bin, a, c);
    let module = (mab + mac) / 2.0;
    if !(module.is_finite() && module > 0.5) {
        return None;
    }
    let dab = dist(a, b);
    let dac = dist(a, c);
    let est = ((dab / mab + dac / mac) / 2.0).round() as i64 + 7;
    let base = match est & 3 {
        0 => est + 1,
        2 => est - 1,
        3 => est + 2, // 3 mod 4 is ambiguous; try the larger, then smaller below
        _ => est,
    };
    let mut dims: Vec<i64> = vec![base, base - 4, base + 4, base - 8, base + 8];
    if est & 3 == 3 {
        dims.insert(1, est - 2);
    }
    // Candidate transforms, checked cheaply with the timing patterns, best first.
    let mut cands: Vec<(f64, usize, Homography)> = Vec::with_capacity(8);
    for dim in dims {
        if !(21..=177).contains(&dim) {
            continue;
        }
        let dim = dim as usize;
        let df = dim as f64;
        // Parallelogram corner for the bottom-right finder-centre position.
        let (dx, dy) = (b.x + c.x - a.x, b.y + c.y - a.y);
        let src3 = [(3.5, 3.5), (df - 3.5, 3.5), (3.5, df - 3.5)];
        let mut hs: Vec<Homography> = Vec::with_capacity(2);
        if dim >= 25 {
            // Alignment pattern centre at module (dim - 7) + 0.5.
            let k = 1.0 - 3.0 / (df - 7.0);
            let ex = a.x + k * (dx - a.x);
            let ey = a.y + k * (dy - a.y);
            let axes = (
                ((b.x - a.x) / (df - 7.0), (b.y - a.y) / (df - 7.0)),
                ((c.x - a.x) / (df - 7.0), (c.y - a.y) / (df - 7.0)),
            );
            for allowance in [4.0, 8.0, 14.0] {
                let aps = find_alignment(bin, (ex, ey), module, inv, allowance * module, axes);
                for ap in &aps {
                    let src = [src3[0], src3[1], src3[2], (df - 6.5, df - 6.5)];
                    let dst = [(a.x, a.y), (b.x, b.y), (c.x, c.y), *ap];
                    if let Some(h) = Homography::from_points(&src, &dst) {
                        hs.push(h);
                    }
                }
                if !aps.is_empty() {
                    break;
                }
            }
        }
        let src = [src3[0], src3[1], src3[2], (df - 3.5, df - 3.5)];
        let dst = [(a.x, a.y), (b.x, b.y), (c.x, c.y), (dx, dy)];
        if let Some(h) = Homography::from_points(&src, &dst) {
            hs.push(h);
        }
        for h in hs {
            let score = timing_score(grey, bin, &h, dim, inv);
            if score >= MIN_TIMING_SCORE {
                cands.push((score, dim, h));
            }
        }
    }
    cands.sort_by(|x, y| y.0.total_cmp(&x.0));
    for (_, dim, h) in cands {
        if *budget == 0 {
            return None;
        }
        *budget -= 1;
        let Some(s) = sample(grey, bin, &h, dim, module) else {
            continue;
        };
        if let Some(bytes) = decode_samples(&s, inv) {
            let df = dim as f64;
            let corners = [
                h.map(0.0, 0.0),
                h.map(df, 0.0),
                h.map(df, df),
                h.map(0.0, df),
            ];
            return Some((bytes, Located { corners, module }));
        }
    }
    None
}

/// Fraction of timing-pattern modules (row and column 6 between the finders) that alternate
/// as they must.
fn timing_score(grey: &Plane, bin: &Binary, h: &Homography, dim: usize, inv: bool) -> f64 {
    let mut good = 0usize;
    let mut n = 0usize;
    let (w, hh) = (grey.w as f64, grey.h as f64);
    for i in 8..dim - 8 {
        let want_dark = i % 2 == 0;
        for (u, v) in [(i as f64 + 0.5, 6.5), (6.5, i as f64 + 0.5)] {
            let (x, y) = h.map(u, v);
            if !(x >= 0.0 && y >= 0.0 && x < w - 1.0 && y < hh - 1.0) {
                return 0.0;
            }
            let val = bilinear(grey, x - 0.5, y - 0.5);
            let t = bin.threshold_at(x as usize, y as usize) as f64;
            let dark = (val < t) != inv;
            good += (dark == want_dark) as usize;
            n += 1;
        }
    }
    if n == 0 {
        0.0
    } else {
        good as f64 / n as f64
    }
}

/// Smallest timing score for which a transform is sampled and decoded.
const MIN_TIMING_SCORE: f64 = 0.7;
