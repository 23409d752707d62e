//! A last try for a grid that passed the gates and did not decode: the transform moved, one
//! control point at a time, to where the module centres are most clearly dark or light.
//!
//! Blur hides the edges the finder and timing fits rely on. On the tuning frame `blur 640 34`
//! (version 7, 6.2 px/module, 2.7 px of blur) the gated grid read 11 % of its modules wrong,
//! nearly all in a misregistered top-right region, far beyond Reed-Solomon: a thresholding
//! problem it was not. Where sampling points drift towards module borders their grey nears the
//! neighbourhood's mean, so the sum of |centre - mean| is largest on the true grid; steps of at
//! most 0.2 module within 0.6 module of the gated points keep the ascent from locking onto a
//! grid shifted by whole modules, which is about as sharp (0.5-module steps did: 221 -> 495
//! wrong modules on that frame).

use crate::grid::finder_centres_and_far_corner;
use crate::homography::Homography;
use crate::plane::Plane;
use crate::sample::{grey_through, local_means};

/// Steps, in modules, by which a control point moves (each a round of coordinate ascent).
const STEPS: [f64; 3] = [0.2, 0.1, 0.05];

/// How far, in modules, a control point may move from where the gates put it.
const REACH: f64 = 0.6;

/// The smallest gain in contrast that counts as a better fit.
const MIN_GAIN: f64 = 1.02;

/// `h` with its four control points (the finder centres and the far corner) moved to maximise
/// [`contrast`], or `None` when no move gains [`MIN_GAIN`].
pub(crate) fn refine(grey: &Plane, h: &Homography, dim: usize, module: f64) -> Option<Homography> {
    let src = finder_centres_and_far_corner(dim);
    let origin = src.map(|(u, v)| h.map(u, v));
    let mut dst = origin;
    let start = contrast(grey, h, dim)?;
    let mut best = start;
    let mut best_h = *h;
    let reach = REACH * module;
    for step in STEPS {
        let d = step * module;
        let mut moved = true;
        while moved {
            moved = false;
            for point in 0..4 {
                for (dx, dy) in [(d, 0.0), (-d, 0.0), (0.0, d), (0.0, -d)] {
                    let mut trial = dst;
                    trial[point] = (dst[point].0 + dx, dst[point].1 + dy);
                    let (ox, oy) = origin[point];
                    if (trial[point].0 - ox).abs() > reach || (trial[point].1 - oy).abs() > reach {
                        continue;
                    }
                    let Some(th) = Homography::from_points(&src, &trial) else {
                        continue;
                    };
                    if let Some(c) = contrast(grey, &th, dim) {
                        if c > best {
                            (best, best_h, dst, moved) = (c, th, trial, true);
                        }
                    }
                }
            }
        }
    }
    (best > start * MIN_GAIN).then_some(best_h)
}

/// The sum over modules of |centre grey - the mean of its 7×7-module neighbourhood|; `None`
/// when a centre falls off the plane.
fn contrast(grey: &Plane, h: &Homography, dim: usize) -> Option<f64> {
    let mut val = Vec::with_capacity(dim * dim);
    for j in 0..dim {
        for i in 0..dim {
            val.push(grey_through(grey, h, i as f64 + 0.5, j as f64 + 0.5)? as f32);
        }
    }
    let mean = local_means(&val, dim);
    Some(
        val.iter()
            .zip(&mean)
            .map(|(v, m)| f64::from((v - m).abs()))
            .sum(),
    )
}
