//! Transforms for strongly tilted codes from the corners of their three finder patterns.
//!
//! Under a tilt of 35-45° the code's far edges often cannot be traced (see `edges.rs`), and
//! a transform through the three finder centres and a parallelogram's fourth corner has one
//! module size throughout: it does not fit the foreshortened far finders. Each finder's own
//! four outer corners (12 points, plus the three centres) fix a homography without the code's
//! fourth corner, and their local module sizes give the dimension: along a line under
//! perspective the distance between two points in modules is their distance in pixels over
//! the geometric mean of the module sizes at the two ends (for a 1-D projective map), where
//! the arithmetic mean underestimates it.

use crate::edges::finder_corners;
use crate::grid::Triple;
use crate::homography::Homography;
use crate::plane::Plane;

type Pt = (f64, f64);

/// Least ratio of the largest to the smallest finder module for which the finders' corners
/// are traced: below it the centre transforms fit (and clutter triples would pay for it).
pub(crate) const MIN_MODULE_RATIO: f64 = 1.3;

/// Least corners found, of the 12.
const MIN_CORNERS: usize = 8;

fn dist(p: Pt, q: Pt) -> f64 {
    (p.0 - q.0).hypot(p.1 - q.1)
}

/// Mean length of two opposite sides of a finder's quadrilateral, over 7 modules: its
/// module size along those sides.
fn side_module(q: &[Option<Pt>; 4], (i, j): (usize, usize), (k, l): (usize, usize)) -> Option<f64> {
    let s: Vec<f64> = [(i, j), (k, l)]
        .iter()
        .filter_map(|&(a, b)| Some(dist(q[a]?, q[b]?)))
        .collect();
    (!s.is_empty()).then(|| s.iter().sum::<f64>() / s.len() as f64 / 7.0)
}

/// Candidate dimensions (≡ 1 mod 4, the likeliest first) and, for each, the homography
/// through the finders' corners and centres. Empty if too few corners are found.
pub(crate) fn corner_transforms(grey: &Plane, t: &Triple) -> Vec<(usize, Homography)> {
    let (a, b, c) = (&t.a, &t.b, &t.c);
    let (ab, ac) = (dist((a.x, a.y), (b.x, b.y)), dist((a.x, a.y), (c.x, c.y)));
    if ab < 1.0 || ac < 1.0 {
        return Vec::new();
    }
    let right = ((b.x - a.x) / ab, (b.y - a.y) / ab);
    let down = ((c.x - a.x) / ac, (c.y - a.y) / ac);
    let qa = finder_corners(grey, a, right, down);
    let qb = finder_corners(grey, b, right, down);
    let qc = finder_corners(grey, c, right, down);
    let found = [&qa, &qb, &qc]
        .iter()
        .map(|q| q.iter().flatten().count())
        .sum::<usize>();
    if found < MIN_CORNERS {
        return Vec::new();
    }
    // Module sizes along the rows (top and bottom sides) and columns (left and right sides).
    let rows = |q| side_module(q, (0, 1), (3, 2));
    let cols = |q| side_module(q, (0, 3), (1, 2));
    // A side not traced: the other axis, else the finder's module from its runs.
    let ma = rows(&qa).or_else(|| cols(&qa)).unwrap_or(a.module);
    let mb = rows(&qb).or_else(|| cols(&qb)).unwrap_or(b.module);
    let na = cols(&qa).or_else(|| rows(&qa)).unwrap_or(a.module);
    let nc = cols(&qc).or_else(|| rows(&qc)).unwrap_or(c.module);
    let d_ab = ab / (ma * mb).sqrt();
    let d_ac = ac / (na * nc).sqrt();
    let est = ((d_ab + d_ac) / 2.0).round() as i64 + 7;
    // The nearest dimension ≡ 1 mod 4 first, then the ones around it.
    let base = est - (est - 1).rem_euclid(4) + if (est - 1).rem_euclid(4) >= 2 { 4 } else { 0 };
    let mut out = Vec::with_capacity(5);
    for d in [base, base - 4, base + 4, base - 8, base + 8] {
        if !(21..=177).contains(&d) {
            continue;
        }
        let dim = d as usize;
        let df = d as f64;
        let module_pts = |x0: f64, y0: f64| {
            [
                (x0, y0),
                (x0 + 7.0, y0),
                (x0 + 7.0, y0 + 7.0),
                (x0, y0 + 7.0),
            ]
        };
        let (mut src, mut dst) = (Vec::with_capacity(15), Vec::with_capacity(15));
        for (q, m) in [
            (&qa, module_pts(0.0, 0.0)),
            (&qb, module_pts(df - 7.0, 0.0)),
            (&qc, module_pts(0.0, df - 7.0)),
        ] {
            for (p, s) in q.iter().zip(m) {
                if let Some(p) = p {
                    src.push(s);
                    dst.push(*p);
                }
            }
        }
        for (s, f) in [(3.5, 3.5), (df - 3.5, 3.5), (3.5, df - 3.5)]
            .iter()
            .zip([a, b, c])
        {
            src.push(*s);
            dst.push((f.x, f.y));
        }
        let w = vec![1.0; src.len()];
        if let Some(h) = Homography::fit(&src, &dst, &w) {
            out.push((dim, h));
        }
    }
    out
}
