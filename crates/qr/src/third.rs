//! The third finder pattern of a pair, looked for where it must be. A shadow's edge or glare
//! across one finder breaks its runs in the binarisation, so the row scan finds two finders
//! of a code and no triple forms. Given two, the third lies at one of six places (the pair is
//! a side of the code, with the right angle at either end and the code on either side, or its
//! diagonal); each is searched on the grey plane by correlation with the finder's structure,
//! which a shadow's edge weakens but does not break.

use crate::finder::Finder;
use crate::plane::Plane;
use crate::sample::bilinear;

/// Most pairs (of the best-confirmed candidates) completed per pass: frames without a code
/// have pairs of finder-like clutter, and each pair costs six searches.
const MAX_PAIRS: usize = 3;
/// Search radius around a predicted place, in modules.
const REACH: i32 = 3;
/// Least correlation of the best place one module apart (up to half a module off).
const MIN_COARSE_CORRELATION: f64 = 0.4;
/// Least correlation of the module samples with the finder's structure.
const MIN_CORRELATION: f64 = 0.7;

/// Finder candidates completing pairs of `finders` (best-confirmed first, as sorted by the
/// caller), each confirmed by at least `min_count` scan lines, into triples, each returned
/// with the pair it completes.
pub(crate) fn third_finders(grey: &Plane, finders: &[Finder], min_count: u32) -> Vec<[Finder; 3]> {
    let mut out = Vec::new();
    let mut pairs = 0;
    for (i, p) in finders.iter().enumerate() {
        for q in &finders[i + 1..] {
            if pairs == MAX_PAIRS {
                return out;
            }
            let m = (p.module + q.module) / 2.0;
            let (dx, dy) = (q.x - p.x, q.y - p.y);
            let len = dx.hypot(dy);
            if p.inv != q.inv
                || !confirmed(p, min_count)
                || !confirmed(q, min_count)
                || p.module.max(q.module) > 1.5 * p.module.min(q.module)
                || !(14.0..=190.0).contains(&(len / m))
            {
                continue;
            }
            pairs += 1;
            let (ux, uy) = (dx / len, dy / len);
            let (nx, ny) = (-uy, ux);
            let s = std::f64::consts::FRAC_1_SQRT_2;
            let side_axes = ((ux * m, uy * m), (nx * m, ny * m));
            let diag_axes = (
                ((ux + nx) * s * m, (uy + ny) * s * m),
                ((nx - ux) * s * m, (ny - uy) * s * m),
            );
            let mid = ((p.x + q.x) / 2.0, (p.y + q.y) / 2.0);
            let places = [
                ((p.x + nx * len, p.y + ny * len), side_axes),
                ((p.x - nx * len, p.y - ny * len), side_axes),
                ((q.x + nx * len, q.y + ny * len), side_axes),
                ((q.x - nx * len, q.y - ny * len), side_axes),
                ((mid.0 + nx * len / 2.0, mid.1 + ny * len / 2.0), diag_axes),
                ((mid.0 - nx * len / 2.0, mid.1 - ny * len / 2.0), diag_axes),
            ];
            for (at, axes) in places {
                // A candidate there already made a triple, which did not read.
                if finders
                    .iter()
                    .any(|f| (f.x - at.0).hypot(f.y - at.1) < 3.0 * m)
                {
                    continue;
                }
                if let Some((x, y)) = search(grey, at, axes, p.inv) {
                    let r = Finder {
                        x,
                        y,
                        module: m,
                        count: 1,
                        inv: p.inv,
                    };
                    out.push([*p, *q, r]);
                }
            }
        }
    }
    out
}

/// Whether `f` was confirmed by `min_count` scan lines, or by nearly all that can cross its
/// centre run if fewer: a finder of small modules is crossed by few (its centre run is 3
/// modules of rows, every second one scanned), so at 2.3 px per module 3 is all a code's own
/// finder gets. Finders of smaller modules than a code can have and be read (text glyphs,
/// mostly) need `min_count`.
fn confirmed(f: &Finder, min_count: u32) -> bool {
    if f.module < MIN_READABLE_MODULE {
        return f.count >= min_count;
    }
    let crossing = (ROWS_SEEN * 1.5 * f.module).ceil() as u32;
    f.count >= min_count.min(crossing)
}

/// The smallest module, in pixels, of a code that can be read (see [`confirmed`]).
const MIN_READABLE_MODULE: f64 = 1.8;
/// The share of the rows crossing a finder's centre run that must confirm it (see
/// [`confirmed`]).
const ROWS_SEEN: f64 = 0.8;

/// Pearson correlation of the 9×9 module samples around `c` (module axes `u`, `v`: the
/// finder and its separator) with the finder's structure: dark at Chebyshev distances 0, 1
/// and 3 from the centre, light at 2 and 4 (the other way round if `inv`).
pub(crate) fn finder_likeness(grey: &Plane, c: (f64, f64), (u, v): Axes, inv: bool) -> f64 {
    let mut vals = [0.0f64; 81];
    let mut k = 0;
    for j in -4..=4 {
        for i in -4..=4 {
            let x = c.0 + i as f64 * u.0 + j as f64 * v.0;
            let y = c.1 + i as f64 * u.1 + j as f64 * v.1;
            vals[k] = bilinear(grey, x - 0.5, y - 0.5);
            k += 1;
        }
    }
    let mean = vals.iter().sum::<f64>() / 81.0;
    let (mut cov, mut var) = (0.0, 0.0);
    let mut k = 0;
    for j in -4i32..=4 {
        for i in -4i32..=4 {
            let d = i.abs().max(j.abs());
            let light = (d == 2 || d == 4) != inv;
            let dv = vals[k] - mean;
            cov += if light { dv } else { -dv };
            var += dv * dv;
            k += 1;
        }
    }
    // The template's spread: 48 light (+1) and 33 dark (-1) values around their mean.
    let template_norm = (81.0f64 - 15.0 * 15.0 / 81.0).sqrt();
    cov / (var.sqrt() * template_norm).max(1e-9)
}

pub(crate) type Axes = ((f64, f64), (f64, f64));

/// The place within [`REACH`] modules of `at` that looks most like a finder (see
/// [`finder_likeness`]), if enough: a search one module apart, then a quarter module apart
/// around the best place (a third of the evaluations of a half-module search).
fn search(grey: &Plane, at: (f64, f64), (u, v): Axes, inv: bool) -> Option<(f64, f64)> {
    // Samples off the plane take the nearest edge pixel (`bilinear` clamps).
    let best_of = |centre: (f64, f64), reach: i32, step: f64, floor: f64| {
        let mut best = (floor, None);
        for b in -reach..=reach {
            for a in -reach..=reach {
                let (oa, ob) = (a as f64 * step, b as f64 * step);
                let c = (
                    centre.0 + oa * u.0 + ob * v.0,
                    centre.1 + oa * u.1 + ob * v.1,
                );
                let r = finder_likeness(grey, c, (u, v), inv);
                if r > best.0 {
                    best = (r, Some(c));
                }
            }
        }
        best.1
    };
    let coarse = best_of(at, REACH, 1.0, MIN_COARSE_CORRELATION)?;
    best_of(coarse, 2, 0.25, MIN_CORRELATION)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::tests::rendered;

    #[test]
    fn the_third_finder_of_a_pair_is_found_where_it_must_be() {
        let px = 5;
        let (plane, truth, dim) = rendered(px);
        let df = dim as f64;
        let finder = |(u, v): (f64, f64)| {
            let (x, y) = truth.map(u, v);
            Finder {
                x,
                y,
                module: px as f64,
                count: 5,
                inv: false,
            }
        };
        let (a, b) = (finder((3.5, 3.5)), finder((df - 3.5, 3.5)));
        let c = truth.map(3.5, df - 3.5);
        let found = third_finders(&plane, &[a, b], 2);
        assert!(
            found
                .iter()
                .any(|t| (t[2].x - c.0).hypot(t[2].y - c.1) < 0.5 * px as f64),
            "{found:?}"
        );
        // Where no finder is (the code's centre), nothing looks like one.
        let centre = truth.map(df / 2.0, df / 2.0);
        let axes = ((px as f64, 0.0), (0.0, px as f64));
        assert!(finder_likeness(&plane, centre, axes, false) < 0.5);
        assert!(finder_likeness(&plane, (c.0, c.1), axes, false) > 0.9);
    }
}
