//! Projective transforms from module space (u, v) to plane pixels (x, y): exactly from four
//! point pairs, or by least squares from more.

/// `(x, y) = ((h0 u + h1 v + h2) / d, (h3 u + h4 v + h5) / d)` with `d = h6 u + h7 v + 1`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Homography(pub [f64; 8]);

impl Homography {
    /// The transform taking `src[i]` to `dst[i]`.
    pub fn from_points(src: &[(f64, f64); 4], dst: &[(f64, f64); 4]) -> Option<Self> {
        Self::fit(src, dst, &[1.0; 4])
    }

    /// The transform that best takes `src[i]` to `dst[i]` (at least four pairs), weighted
    /// least squares on the linearised equations. Coordinates are centred and scaled first
    /// (Hartley's normalisation), or the normal equations would be badly conditioned.
    pub fn fit(src: &[(f64, f64)], dst: &[(f64, f64)], weight: &[f64]) -> Option<Self> {
        let n = src.len();
        if n < 4 || dst.len() != n || weight.len() != n {
            return None;
        }
        let (sn, sd) = (Norm::of(src), Norm::of(dst));
        // Normal equations A^T W A h = A^T W b of the rows
        // [u v 1 0 0 0 -ux -vx] h = x and [0 0 0 u v 1 -uy -vy] h = y.
        let mut m = [[0.0f64; 9]; 8];
        for i in 0..n {
            let (u, v) = sn.apply(src[i]);
            let (x, y) = sd.apply(dst[i]);
            let rows = [
                [u, v, 1.0, 0.0, 0.0, 0.0, -u * x, -v * x, x],
                [0.0, 0.0, 0.0, u, v, 1.0, -u * y, -v * y, y],
            ];
            for r in &rows {
                for a in 0..8 {
                    let wa = weight[i] * r[a];
                    if wa == 0.0 {
                        continue;
                    }
                    for b in 0..9 {
                        m[a][b] += wa * r[b];
                    }
                }
            }
        }
        let h = solve8(m)?;
        // Undo the normalisations: H = Td^-1 Hn Ts.
        let hn = [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0];
        let ts = [
            sn.s,
            0.0,
            -sn.s * sn.cx,
            0.0,
            sn.s,
            -sn.s * sn.cy,
            0.0,
            0.0,
            1.0,
        ];
        let td_inv = [
            1.0 / sd.s,
            0.0,
            sd.cx,
            0.0,
            1.0 / sd.s,
            sd.cy,
            0.0,
            0.0,
            1.0,
        ];
        let full = mul3(&mul3(&td_inv, &hn), &ts);
        if full[8].abs() < 1e-12 {
            return None;
        }
        let mut out = [0.0; 8];
        for (o, v) in out.iter_mut().zip(&full) {
            *o = v / full[8];
            if !o.is_finite() {
                return None;
            }
        }
        Some(Homography(out))
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

/// Centring and isotropic scaling of a point set (mean distance √2 from the origin).
struct Norm {
    cx: f64,
    cy: f64,
    s: f64,
}

impl Norm {
    fn of(p: &[(f64, f64)]) -> Norm {
        let n = p.len() as f64;
        let cx = p.iter().map(|q| q.0).sum::<f64>() / n;
        let cy = p.iter().map(|q| q.1).sum::<f64>() / n;
        let d = p
            .iter()
            .map(|q| ((q.0 - cx).powi(2) + (q.1 - cy).powi(2)).sqrt())
            .sum::<f64>()
            / n;
        Norm {
            cx,
            cy,
            s: if d > 1e-12 {
                std::f64::consts::SQRT_2 / d
            } else {
                1.0
            },
        }
    }
    fn apply(&self, q: (f64, f64)) -> (f64, f64) {
        ((q.0 - self.cx) * self.s, (q.1 - self.cy) * self.s)
    }
}

fn mul3(a: &[f64; 9], b: &[f64; 9]) -> [f64; 9] {
    let mut r = [0.0; 9];
    for i in 0..3 {
        for j in 0..3 {
            r[3 * i + j] = (0..3).map(|k| a[3 * i + k] * b[3 * k + j]).sum();
        }
    }
    r
}

/// Solves the 8×8 system whose augmented matrix is `m` (Gauss-Jordan, partial pivoting).
fn solve8(mut m: [[f64; 9]; 8]) -> Option<[f64; 8]> {
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
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_points_are_mapped_exactly_and_more_points_fit_a_projective_map() {
        let truth = Homography([3.1, 0.4, 120.0, -0.3, 2.7, 80.0, 0.002, -0.001]);
        let src = [(0.0, 0.0), (29.0, 0.0), (29.0, 29.0), (0.0, 29.0)];
        let dst = src.map(|(u, v)| truth.map(u, v));
        let h = Homography::from_points(&src, &dst).expect("solvable");
        for (s, d) in src.iter().zip(&dst) {
            let p = h.map(s.0, s.1);
            assert!((p.0 - d.0).abs() < 1e-6 && (p.1 - d.1).abs() < 1e-6);
        }
        // Nine points with an outlier-free small perturbation: the fit stays within it.
        let src9: Vec<(f64, f64)> = (0..9)
            .map(|i| ((i % 3) as f64 * 14.5, (i / 3) as f64 * 14.5))
            .collect();
        let dst9: Vec<(f64, f64)> = src9
            .iter()
            .enumerate()
            .map(|(i, &(u, v))| {
                let (x, y) = truth.map(u, v);
                let e = if i % 2 == 0 { 0.05 } else { -0.05 };
                (x + e, y - e)
            })
            .collect();
        let h = Homography::fit(&src9, &dst9, &[1.0; 9]).expect("solvable");
        for &(u, v) in &src9 {
            let (p, q) = (h.map(u, v), truth.map(u, v));
            assert!((p.0 - q.0).abs() < 0.2 && (p.1 - q.1).abs() < 0.2);
        }
        // Degenerate: all points on a line.
        let line = [(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (3.0, 3.0)];
        assert!(Homography::from_points(&line, &dst).is_none());
    }
}
