//! The timing patterns (row and column 6 between the finders): how well a candidate
//! transform's timing modules alternate (the gate before sampling), and a correction of the
//! transform from the phase of that alternation.

use crate::binarize::Binary;
use crate::homography::Homography;
use crate::plane::Plane;
use crate::sample::{bilinear, grey_through};

/// Fraction of timing-pattern modules (row and column 6 between the finders) on the right
/// side of the local threshold. (Also counting, when higher, the modules darker or lighter
/// than their two neighbours as they must be changed nothing on the tuning split once the
/// transform is fitted to the timing's phase: see docs/qr.md.)
pub(crate) fn timing_score(
    grey: &Plane,
    bin: &Binary,
    h: &Homography,
    dim: usize,
    inv: bool,
) -> f64 {
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

/// Shifts (in modules) tried for the phase of a timing pattern's half.
const PHASES: [f64; 7] = [-0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75];

/// `h` corrected along its timing patterns: for each half of row 6 and of column 6, the shift
/// along the pattern (within ±0.75 module) at which the samples best follow the alternation
/// (dark at even modules) is measured, and a transform is fitted that puts those halves (and
/// the finders at their ends) where the alternation says. Blurred finder rings merge with the
/// data modules next to them, which moves a finder's centre by up to half a module; the
/// timing patterns then fall between modules, although the grid's pitch is right. `None` if
/// no shift was needed or the patterns leave the plane.
pub(crate) fn timing_fit(
    grey: &Plane,
    h: &Homography,
    dim: usize,
    inv: bool,
) -> Option<Homography> {
    if dim < 25 {
        return None;
    }
    let df = dim as f64;
    let mid = df / 2.0;
    // The halves: modules 8..mid and mid..dim-8 of row 6 (along u) and of column 6 (along v).
    let halves = [(8usize, dim / 2), (dim / 2, dim - 8)];
    let mut shift = [[0.0f64; 2]; 2]; // [row/column][half]
    for (line, sh) in shift.iter_mut().enumerate() {
        for (half, &(from, to)) in halves.iter().enumerate() {
            let mut best = (f64::MIN, 0.0);
            for &s in &PHASES {
                let mut corr = 0.0;
                for i in from..to {
                    let t = i as f64 + 0.5 + s;
                    let (u, v) = if line == 0 { (t, 6.5) } else { (6.5, t) };
                    let v = grey_through(grey, h, u, v)?;
                    // Dark modules at even i: the correlation with the alternation.
                    corr += if (i % 2 == 0) != inv { -v } else { v };
                }
                if corr > best.0 {
                    best = (corr, s);
                }
            }
            sh[half] = best.1;
        }
    }
    if shift.iter().flatten().all(|&s| s == 0.0) {
        return None;
    }
    let [[r1, r2], [c1, c2]] = shift;
    let (q1, q3) = (mid / 2.0 + 4.0, mid + mid / 2.0 - 4.0);
    // Module-space points and where the measured shifts say `h` should have put them.
    let src = [
        (q1, 6.5),
        (q3, 6.5),
        (6.5, q1),
        (6.5, q3),
        (3.5, 3.5),
        (df - 3.5, 3.5),
        (3.5, df - 3.5),
        (df - 3.5, df - 3.5),
    ];
    let at = [
        (q1 + r1, 6.5),
        (q3 + r2, 6.5),
        (6.5, q1 + c1),
        (6.5, q3 + c2),
        (3.5 + r1, 3.5 + c1),
        (df - 3.5 + r2, 3.5 + c1),
        (3.5 + r1, df - 3.5 + c2),
        (df - 3.5 + r2, df - 3.5 + c2),
    ];
    let dst: Vec<(f64, f64)> = at.iter().map(|&(u, v)| h.map(u, v)).collect();
    Homography::fit(&src, &dst, &[1.0; 8])
}

/// Steps (in modules) over which the bottom-right alignment pattern is searched by
/// correlation: ±3 modules around where `h` puts it, a quarter module apart.
const ALIGN_REACH: i32 = 12;
const ALIGN_STEP: f64 = 0.25;
/// Least grey difference between the alignment pattern's light ring and its dark parts.
const ALIGN_MIN_CONTRAST: f64 = 6.0;

/// `h` refitted through the bottom-right alignment pattern found on the grey plane by
/// correlation with its 5×5-module structure (dark centre and outer ring, light ring between),
/// within ±3 modules of where `h` puts it. The binary run search loses the pattern's
/// one-module rings under blur; the correlation of 25 module samples does not. `None` below
/// version 2, or if nothing pattern-like is there.
pub(crate) fn align_by_correlation(
    grey: &Plane,
    h: &Homography,
    dim: usize,
    inv: bool,
) -> Option<Homography> {
    if dim < 25 {
        return None;
    }
    let df = dim as f64;
    let centre = df - 6.5;
    let mut best = (f64::MIN, 0.0, 0.0);
    for j in -ALIGN_REACH..=ALIGN_REACH {
        for i in -ALIGN_REACH..=ALIGN_REACH {
            let (cu, cv) = (
                centre + i as f64 * ALIGN_STEP,
                centre + j as f64 * ALIGN_STEP,
            );
            let (mut dark, mut light) = (0.0, 0.0);
            for dv in -2i32..=2 {
                for du in -2i32..=2 {
                    let v = grey_through(grey, h, cu + du as f64, cv + dv as f64)?;
                    if du.abs().max(dv.abs()) == 1 {
                        light += v;
                    } else {
                        dark += v;
                    }
                }
            }
            // 8 light samples, 17 dark ones.
            let contrast = light / 8.0 - dark / 17.0;
            let contrast = if inv { -contrast } else { contrast };
            if contrast > best.0 {
                best = (contrast, cu, cv);
            }
        }
    }
    if best.0 < ALIGN_MIN_CONTRAST {
        return None;
    }
    let src = [
        (3.5, 3.5),
        (df - 3.5, 3.5),
        (3.5, df - 3.5),
        (6.5, 6.5),
        (df - 6.5, 6.5),
        (6.5, df - 6.5),
        (centre, centre),
    ];
    let mut dst: Vec<(f64, f64)> = src[..6].iter().map(|&(u, v)| h.map(u, v)).collect();
    dst.push(h.map(best.1, best.2));
    Homography::fit(&src, &dst, &[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 4.0])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::grid::MIN_TIMING_SCORE;
    use qrcode::{Color, QrCode};

    /// A clean code rendered at `px` pixels per module with a 4-module quiet zone, the
    /// transform from module space onto it, and its dimension.
    pub(crate) fn rendered(px: usize) -> (Plane, Homography, usize) {
        let code = QrCode::new(b"the timing patterns tell the phase of the grid").expect("fits");
        let dim = code.width();
        let colors = code.to_colors();
        let side = (dim + 8) * px;
        let mut data = vec![230u8; side * side];
        for (i, px_val) in data.iter_mut().enumerate() {
            let (mx, my) = ((i % side) / px, (i / side) / px);
            let inside = (4..dim + 4).contains(&mx) && (4..dim + 4).contains(&my);
            if inside && colors[(my - 4) * dim + mx - 4] == Color::Dark {
                *px_val = 30;
            }
        }
        let (s, o) = (px as f64, (4 * px) as f64);
        let truth = Homography([s, 0.0, o, 0.0, s, o, 0.0, 0.0]);
        (
            Plane {
                w: side,
                h: side,
                data,
            },
            truth,
            dim,
        )
    }

    #[test]
    fn a_grid_half_a_module_off_along_the_rows_is_moved_back_by_its_timing_patterns() {
        let px = 5;
        let (plane, truth, dim) = rendered(px);
        let mut bin = Binary::default();
        bin.compute(&plane);
        let s = px as f64;
        let off = Homography([s, 0.0, 4.0 * s + 0.5 * s, 0.0, s, 4.0 * s, 0.0, 0.0]);
        assert!(timing_score(&plane, &bin, &truth, dim, false) > 0.95);
        assert!(timing_score(&plane, &bin, &off, dim, false) < MIN_TIMING_SCORE);
        let fitted = timing_fit(&plane, &off, dim, false).expect("a shift to correct");
        assert!(timing_score(&plane, &bin, &fitted, dim, false) > 0.95);
        for (u, v) in [(dim as f64 / 2.0, 6.5), (6.5, dim as f64 / 2.0), (3.5, 3.5)] {
            let (p, q) = (fitted.map(u, v), truth.map(u, v));
            assert!(
                (p.0 - q.0).hypot(p.1 - q.1) < 0.3 * s,
                "({u}, {v}): {p:?} against {q:?}"
            );
        }
    }

    #[test]
    fn the_alignment_pattern_found_by_correlation_pulls_a_wrong_far_corner_back() {
        let px = 5;
        let (plane, truth, dim) = rendered(px);
        let s = px as f64;
        // The far corner a module and a half off (a parallelogram under perspective would be).
        let df = dim as f64;
        let src = crate::grid::finder_centres_and_far_corner(dim);
        let mut dst = src.map(|(u, v)| truth.map(u, v));
        dst[3] = (dst[3].0 + 1.5 * s, dst[3].1 + 1.5 * s);
        let wrong = Homography::from_points(&src, &dst).expect("solvable");
        let aligned = align_by_correlation(&plane, &wrong, dim, false).expect("a pattern");
        let (p, q) = (
            aligned.map(df - 6.5, df - 6.5),
            truth.map(df - 6.5, df - 6.5),
        );
        assert!(
            (p.0 - q.0).hypot(p.1 - q.1) < 0.3 * s,
            "{p:?} against {q:?}"
        );
    }
}
