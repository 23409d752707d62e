//! From three finder patterns to bytes: orientation, module size and dimension, alignment
//! pattern, perspective transform, module sampling, and decoding with rqrr's decoder
//! (format information, Reed-Solomon correction, data segments).

use crate::binarize::Binary;
use crate::edges;
use crate::finder::Finder;
use crate::format;
use crate::homography::Homography;
use crate::plane::Plane;
use crate::sample::{decode_samples, sample};
use crate::sharpness;
use crate::third::{finder_likeness, Axes};
use crate::tilt;
use crate::timing::{align_by_correlation, timing_fit, timing_score};
use crate::trace::Trace;

/// A located code: finder centres (top-left, top-right, bottom-left) and the dimension.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Triple {
    pub a: Finder,
    pub b: Finder,
    pub c: Finder,
    pub score: f64,
}

impl Triple {
    /// The ratio of its finders' largest module to their smallest: how strongly perspective
    /// foreshortens the far ones.
    fn module_ratio(&self) -> f64 {
        let ms = [self.a.module, self.b.module, self.c.module];
        ms.iter().cloned().fold(0.0, f64::max) / ms.iter().cloned().fold(f64::MAX, f64::min)
    }
}

fn dist(a: &Finder, b: &Finder) -> f64 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// Largest ratio of the module sizes of a triple's finders: perspective makes far finders
/// smaller (zxing-cpp allows twice the size).
const MAX_MODULE_RATIO: f64 = 2.5;
/// At most this many candidates confirmed by [`FEW_MIN_COUNT`] scan lines make a pass of few
/// (see [`triples`]).
const FEW_CANDIDATES: usize = 5;
const FEW_MIN_COUNT: u32 = 2;
/// The triple rules for few candidates: module ratio, legs ratio, |cos| of the corner angle.
const FEW_MAX_MODULE_RATIO: f64 = 3.0;
const FEW_MAX_LEGS_RATIO: f64 = 2.0;
const FEW_MAX_COS: f64 = 0.6;

/// Plausible finder triples, best first.
pub(crate) fn triples(cands: &[Finder], out: &mut Vec<Triple>) {
    out.clear();
    let n = cands.len();
    // Few confirmed candidates: looser rules for triples of them, as zxing-cpp drops its
    // filters for five candidates or fewer (a code tilted by 40-45° shows corner angles up to
    // about 125° and finder modules up to three times apart), at little cost: such a pass has
    // at most ten such triples.
    let confirmed = |f: &Finder| f.count >= FEW_MIN_COUNT;
    let few = cands.iter().filter(|f| confirmed(f)).count() <= FEW_CANDIDATES;
    for i in 0..n {
        for j in i + 1..n {
            for k in j + 1..n {
                let (p, q, r) = (cands[i], cands[j], cands[k]);
                if p.inv != q.inv || p.inv != r.inv {
                    continue;
                }
                let loose = few && confirmed(&p) && confirmed(&q) && confirmed(&r);
                let (max_module_ratio, max_legs_ratio, max_cos) = if loose {
                    (FEW_MAX_MODULE_RATIO, FEW_MAX_LEGS_RATIO, FEW_MAX_COS)
                } else {
                    (MAX_MODULE_RATIO, 1.6, 0.5)
                };
                let ms = [p.module, q.module, r.module];
                let mmax = ms.iter().cloned().fold(0.0, f64::max);
                let mmin = ms.iter().cloned().fold(f64::MAX, f64::min);
                if mmax > max_module_ratio * mmin + 0.5 {
                    continue;
                }
                // Sides measured in modules: both legs hold dimension - 7 modules, tilted or
                // not. Under perspective the modules along a side are its length over the
                // geometric mean of its ends' modules (see `tilt.rs`); the arithmetic mean
                // makes the side between the near finder and a far one too short, and can
                // put the corner at the wrong finder.
                let legs = |x: &Finder, y: &Finder| dist(x, y) / (x.module * y.module).sqrt();
                let (dpq, dpr, dqr) = (legs(&p, &q), legs(&p, &r), legs(&q, &r));
                // The corner is opposite the longest side.
                let (a, mut b, mut c, s1, s2) = if dqr >= dpq && dqr >= dpr {
                    (p, q, r, dpq, dpr)
                } else if dpr >= dpq {
                    (q, p, r, dpq, dqr)
                } else {
                    (r, p, q, dpr, dqr)
                };
                let side = (s1 + s2) / 2.0;
                if !(9.0..=190.0).contains(&side) {
                    continue;
                }
                let ratio = s1.max(s2) / s1.min(s2).max(1e-9);
                if ratio > max_legs_ratio {
                    continue;
                }
                // Near a right angle at a (60-120 degrees when tilted; 53-127 loose).
                let (ux, uy, vx, vy) = (b.x - a.x, b.y - a.y, c.x - a.x, c.y - a.y);
                let cosang = (ux * vx + uy * vy) / (ux.hypot(uy) * vx.hypot(vy)).max(1e-9);
                if cosang.abs() > max_cos {
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
    trace: &mut Trace,
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
    let mut dims: Vec<usize> = Vec::with_capacity(6);
    let mut tries = vec![base, base - 4, base + 4, base - 8, base + 8];
    if est & 3 == 3 {
        tries.insert(1, est - 2);
    }
    for d in tries {
        if (21..=177).contains(&d) && !dims.contains(&(d as usize)) {
            dims.push(d as usize);
        }
    }
    // The outline from the finders' edges (dimension-free: only the module grid inside it
    // depends on the dimension).
    let outline = edges::code_corners(grey, a, b, c);
    trace.note(|| {
        format!(
            "triple ({:.0},{:.0}) ({:.0},{:.0}) ({:.0},{:.0}) module {module:.2} dims {dims:?} outline {outline:.1?}",
            a.x, a.y, b.x, b.y, c.x, c.y
        )
    });
    // Candidate transforms that pass the timing-pattern gate, best first: from the outline
    // if there is one that passes, else from the finder centres.
    let mut cands: Vec<(f64, usize, Homography)> = Vec::with_capacity(8);
    if let Some(k) = outline {
        for &dim in &dims {
            let df = dim as f64;
            let square = [(0.0, 0.0), (df, 0.0), (df, df), (0.0, df)];
            if let Some(h) = Homography::from_points(&square, &k) {
                gate(grey, bin, h, dim, inv, &mut cands, trace);
            }
        }
    }
    let from_outline = !cands.is_empty();
    if !from_outline {
        // The pattern is searched once, for the likeliest dimension: its place hardly moves
        // with the dimension, and the widening search dominated the time of frames full of
        // finder-like clutter (half of a text page's, measured with perf).
        if t.module_ratio() >= tilt::MIN_MODULE_RATIO {
            for (dim, h) in tilt::corner_transforms(grey, t) {
                trace.note(|| format!("  dim {dim}: from the finders' corners"));
                gate(grey, bin, h, dim, inv, &mut cands, trace);
            }
        }
        let aps = dims
            .first()
            .map_or_else(Vec::new, |&d| alignment_candidates(bin, t, d, module));
        for &dim in &dims {
            for h in centre_transforms(t, dim, &aps) {
                gate(grey, bin, h, dim, inv, &mut cands, trace);
            }
        }
    }
    cands.sort_by(|x, y| y.0.total_cmp(&x.0));
    let mut contrast_pending = true;
    for (score, dim, h) in cands {
        // An outline transform refined by the alignment pattern, then as it is.
        let refined = match outline {
            Some(k) if from_outline => refine_with_alignment(bin, &h, dim, &k, t),
            _ => None,
        };
        // Without an outline the far corner is the least certain point: a transform whose
        // timing patterns fit well is also tried with that corner moved half a module.
        let jittered = if !from_outline && score >= JITTER_MIN_TIMING {
            far_corner_variants(&h, dim)
        } else {
            Vec::new()
        };
        // The best-scoring transform is also tried refitted for contrast (crate::sharpness),
        // computed only once everything before it failed (the chain is lazy).
        let refit = std::iter::once_with(|| {
            std::mem::take(&mut contrast_pending)
                .then(|| sharpness::refine(grey, &h, dim, module))
                .flatten()
        })
        .flatten();
        for h in refined.into_iter().chain([h]).chain(jittered).chain(refit) {
            if !format::plausible(grey, bin, &h, dim, inv) {
                trace.note(|| format!("  dim {dim}: no format information"));
                continue;
            }
            if *budget == 0 {
                return None;
            }
            *budget -= 1;
            let Some(s) = sample(grey, bin, &h, dim, module) else {
                continue;
            };
            let read = decode_samples(&s, inv);
            trace.note(|| {
                format!(
                    "  decode dim {dim}: {}",
                    if read.is_some() { "ok" } else { "failed" }
                )
            });
            if let Some(bytes) = read {
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
    }
    None
}

/// Timing score from which a transform without an outline is also tried with its far corner
/// moved (see [`far_corner_variants`]).
const JITTER_MIN_TIMING: f64 = 0.8;

/// The three finder centres in module space and the point that completes their
/// parallelogram, (dim - 3.5, dim - 3.5).
pub(crate) fn finder_centres_and_far_corner(dim: usize) -> [(f64, f64); 4] {
    let df = dim as f64;
    [
        (3.5, 3.5),
        (df - 3.5, 3.5),
        (3.5, df - 3.5),
        (df - 3.5, df - 3.5),
    ]
}

/// `h` with the point it maps (dim - 3.5, dim - 3.5) to moved by half a module diagonally
/// (four ways), the three finder centres kept.
fn far_corner_variants(h: &Homography, dim: usize) -> Vec<Homography> {
    let df = dim as f64;
    let src = finder_centres_and_far_corner(dim);
    let fixed = [
        h.map(src[0].0, src[0].1),
        h.map(src[1].0, src[1].1),
        h.map(src[2].0, src[2].1),
    ];
    [(-0.5, -0.5), (0.5, -0.5), (-0.5, 0.5), (0.5, 0.5)]
        .iter()
        .filter_map(|&(du, dv)| {
            let far = h.map(df - 3.5 + du, df - 3.5 + dv);
            Homography::from_points(&src, &[fixed[0], fixed[1], fixed[2], far])
        })
        .collect()
}

/// Keeps `h` (or `h` fitted to its timing patterns' phase, if that fits better) if its three
/// finders are where it puts them and its timing patterns alternate well enough, preceded by
/// its refit through the alignment pattern found by correlation, if any.
fn gate(
    grey: &Plane,
    bin: &Binary,
    h: Homography,
    dim: usize,
    inv: bool,
    cands: &mut Vec<(f64, usize, Homography)>,
    trace: &mut Trace,
) {
    // First the cheaper test that rejects most clutter (noise frames: 80 gates per pass).
    if !finders_fit(grey, &h, dim, inv) {
        trace.note(|| format!("  dim {dim}: no finders there"));
        return;
    }
    let mut score = timing_score(grey, bin, &h, dim, inv);
    let mut h = h;
    // The transform moved to where the timing patterns' phase says, if that fits better.
    if let Some(fitted) = timing_fit(grey, &h, dim, inv) {
        let s = timing_score(grey, bin, &fitted, dim, inv);
        trace.note(|| format!("  dim {dim}: timing {score:.2}, fitted to the timing {s:.2}"));
        if s > score {
            (score, h) = (s, fitted);
        }
    }
    trace.note(|| format!("  dim {dim}: timing {score:.2}"));
    if score >= MIN_TIMING_SCORE {
        // Through the alignment pattern found by correlation, tried first.
        if let Some(aligned) = align_by_correlation(grey, &h, dim, inv) {
            cands.push((score + ALIGNED_FIRST, dim, aligned));
        }
        cands.push((score, dim, h));
    }
}

/// Where `h` puts the bottom-right alignment pattern's centre, the module size there, and
/// the module axes there.
fn alignment_where(h: &Homography, dim: usize) -> ((f64, f64), f64, Axes) {
    let df = dim as f64;
    let e = h.map(df - 6.5, df - 6.5);
    let (pu, pv) = (h.map(df - 5.5, df - 6.5), h.map(df - 6.5, df - 5.5));
    let axes = ((pu.0 - e.0, pu.1 - e.1), (pv.0 - e.0, pv.1 - e.1));
    let m = (axes.0 .0.hypot(axes.0 .1) + axes.1 .0.hypot(axes.1 .1)) / 2.0;
    (e, m, axes)
}

/// The transform refined by the bottom-right alignment pattern (searched within 2.5 modules
/// of where `h` puts it): a least-squares fit to the outline's corners, the finder centres
/// and the pattern. `None` below version 2 or if the pattern is not found.
fn refine_with_alignment(
    bin: &Binary,
    h: &Homography,
    dim: usize,
    outline: &[(f64, f64); 4],
    t: &Triple,
) -> Option<Homography> {
    if dim < 25 {
        return None;
    }
    let df = dim as f64;
    let (e, m, axes) = alignment_where(h, dim);
    let ap = *find_alignment(bin, e, m, t.a.inv, 2.5 * m + 1.0, axes).first()?;
    let src = [
        (0.0, 0.0),
        (df, 0.0),
        (df, df),
        (0.0, df),
        (3.5, 3.5),
        (df - 3.5, 3.5),
        (3.5, df - 3.5),
        (df - 6.5, df - 6.5),
    ];
    let k = outline;
    let dst = [
        k[0],
        k[1],
        k[2],
        k[3],
        (t.a.x, t.a.y),
        (t.b.x, t.b.y),
        (t.c.x, t.c.y),
        ap,
    ];
    Homography::fit(&src, &dst, &[1.0; 8])
}

/// Alignment-pattern candidates near the bottom-right corner of the parallelogram the finder
/// centres span, for dimension `dim` (the search widens until something is found); none
/// below version 2.
fn alignment_candidates(bin: &Binary, t: &Triple, dim: usize, module: f64) -> Vec<(f64, f64)> {
    let (a, b, c) = (&t.a, &t.b, &t.c);
    if dim < 25 {
        return Vec::new();
    }
    let df = dim as f64;
    // Where the perspective of the finders' module sizes puts it, first (for strongly tilted
    // codes the parallelogram's place is several modules off).
    if let Some(h) = perspective_transform(t, dim) {
        let (e, m, axes) = alignment_where(&h, dim);
        let aps = find_alignment(bin, e, m, a.inv, 4.0 * m + 1.0, axes);
        if !aps.is_empty() {
            return aps;
        }
    }
    let (dx, dy) = (b.x + c.x - a.x, b.y + c.y - a.y);
    // Alignment pattern centre at module (dim - 7) + 0.5.
    let k = 1.0 - 3.0 / (df - 7.0);
    let (ex, ey) = (a.x + k * (dx - a.x), a.y + k * (dy - a.y));
    let axes = (
        ((b.x - a.x) / (df - 7.0), (b.y - a.y) / (df - 7.0)),
        ((c.x - a.x) / (df - 7.0), (c.y - a.y) / (df - 7.0)),
    );
    for allowance in [4.0, 8.0, 14.0] {
        let aps = find_alignment(bin, (ex, ey), module, a.inv, allowance * module, axes);
        if !aps.is_empty() {
            return aps;
        }
    }
    Vec::new()
}

/// Transforms from the three finder centres and a fourth point: each alignment-pattern
/// candidate `aps`, and the parallelogram's corner.
fn centre_transforms(t: &Triple, dim: usize, aps: &[(f64, f64)]) -> Vec<Homography> {
    let (a, b, c) = (&t.a, &t.b, &t.c);
    let df = dim as f64;
    let mut hs = Vec::with_capacity(3);
    let src3 = [(3.5, 3.5), (df - 3.5, 3.5), (3.5, df - 3.5)];
    if dim >= 25 {
        for ap in aps {
            let src = [src3[0], src3[1], src3[2], (df - 6.5, df - 6.5)];
            let dst = [(a.x, a.y), (b.x, b.y), (c.x, c.y), *ap];
            if let Some(h) = Homography::from_points(&src, &dst) {
                hs.push(h);
            }
        }
    }
    let (dx, dy) = (b.x + c.x - a.x, b.y + c.y - a.y);
    let src = finder_centres_and_far_corner(dim);
    let dst = [(a.x, a.y), (b.x, b.y), (c.x, c.y), (dx, dy)];
    hs.extend(Homography::from_points(&src, &dst));
    hs.extend(perspective_transform(t, dim));
    hs
}

/// The transform through the three finder centres and the far point that the finders'
/// module sizes imply ([`perspective_far_corner`]), if they differ enough.
fn perspective_transform(t: &Triple, dim: usize) -> Option<Homography> {
    let (a, b, c) = (&t.a, &t.b, &t.c);
    let far = perspective_far_corner(t)?;
    let src = finder_centres_and_far_corner(dim);
    Homography::from_points(&src, &[(a.x, a.y), (b.x, b.y), (c.x, c.y), far])
}

/// Least ratio of a triple's largest to smallest finder module for which the far corner
/// implied by perspective is tried besides the parallelogram's.
const PERSPECTIVE_MODULE_RATIO: f64 = 1.15;

/// Where the finder centres' fourth point (dim - 3.5, dim - 3.5) lies under the perspective
/// that the finders' module sizes imply. In homogeneous coordinates a homography is linear,
/// so that point is `w_b·b + w_c·c − w_a·a` over `w_b + w_c − w_a`, where `w` is each
/// centre's projective depth; the local area scale of a homography goes as `w⁻³`, so a
/// module of side `m` means `w ∝ m^(−2/3)`. Equal modules give the parallelogram.
fn perspective_far_corner(t: &Triple) -> Option<(f64, f64)> {
    let (a, b, c) = (&t.a, &t.b, &t.c);
    if t.module_ratio() < PERSPECTIVE_MODULE_RATIO {
        return None;
    }
    let depth = |m: f64| m.powf(-2.0 / 3.0);
    let (wa, wb, wc) = (depth(a.module), depth(b.module), depth(c.module));
    let wd = wb + wc - wa;
    // The point would lie at or beyond the horizon.
    if wd <= 0.25 * wa.min(wb).min(wc) {
        return None;
    }
    Some((
        (wb * b.x + wc * c.x - wa * a.x) / wd,
        (wb * b.y + wc * c.y - wa * a.y) / wd,
    ))
}

/// Added to the timing score of a transform refitted through the alignment pattern, so that
/// it is tried before the one it came from.
const ALIGNED_FIRST: f64 = 0.001;

/// Least [`finder_likeness`] of each of the three finders where a transform puts them (0.35
/// and 0.2 read none of the heavy-blur misses of the tuning split either).
const MIN_FINDER_LIKENESS: f64 = 0.5;

/// Whether the three finder patterns are where `h` puts them, with its module axes: a
/// checkerboard's or a text page's grid may have timing rows that alternate, but not finders.
fn finders_fit(grey: &Plane, h: &Homography, dim: usize, inv: bool) -> bool {
    let df = dim as f64;
    [(3.5, 3.5), (df - 3.5, 3.5), (3.5, df - 3.5)]
        .iter()
        .all(|&(u, v)| {
            let c = h.map(u, v);
            let (pu, pv) = (h.map(u + 1.0, v), h.map(u, v + 1.0));
            let axes = ((pu.0 - c.0, pu.1 - c.1), (pv.0 - c.0, pv.1 - c.1));
            finder_likeness(grey, c, axes, inv) >= MIN_FINDER_LIKENESS
        })
}

/// Smallest timing score for which a transform is sampled and decoded.
pub(crate) const MIN_TIMING_SCORE: f64 = 0.7;
