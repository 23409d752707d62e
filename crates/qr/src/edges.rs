//! The code's outline from the edges of its finder patterns: straight lines fitted to the
//! outer edges of the three finders' dark rings (the code's top edge runs along the top-left
//! and top-right finders, its left edge along the top-left and bottom-left ones, its right
//! and bottom edges along one finder each) and their intersections, the four corners. Under
//! perspective this places the bottom-right corner where a parallelogram would not.

use crate::finder::Finder;
use crate::plane::Plane;
use crate::sample::grey_at;

type Pt = (f64, f64);

fn add(p: Pt, q: Pt, s: f64) -> Pt {
    (p.0 + q.0 * s, p.1 + q.1 * s)
}

fn unit(from: Pt, to: Pt) -> Option<Pt> {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let l = (dx * dx + dy * dy).sqrt();
    (l > 1e-9).then(|| (dx / l, dy / l))
}

/// Grey profile from `p` along `dir`, `n` samples `step` pixels apart (`None` if it leaves
/// the plane).
fn profile(grey: &Plane, p: Pt, dir: Pt, step: f64, n: usize, out: &mut Vec<f64>) -> Option<()> {
    out.clear();
    let (w, h) = (grey.w as f64, grey.h as f64);
    for i in 0..n {
        let (x, y) = add(p, dir, i as f64 * step);
        if !(x >= 0.5 && y >= 0.5 && x < w - 0.5 && y < h - 0.5) {
            return None;
        }
        out.push(grey_at(grey, x, y));
    }
    Some(())
}

/// A [1 2 1] / 4 smoothing of a profile in place (samples are a fifth of a module apart: the
/// noise goes, the edges stay).
fn smooth3(v: &mut [f64]) {
    if v.len() < 3 {
        return;
    }
    let mut prev = v[0];
    for i in 1..v.len() - 1 {
        let cur = v[i];
        v[i] = (prev + 2.0 * cur + v[i + 1]) / 4.0;
        prev = cur;
    }
}

/// Hysteresis of the colour changes along a ring profile, as a share of its grey range: 0.12
/// lost most blurred codes (0.4 module of blur leaves the one-module rings ~60 % of the
/// contrast); 0.05 after the profile's smoothing (tuning split: blur 75 -> 82 %).
const RING_HYSTERESIS: f64 = 0.05;

/// Smallest grey difference between a finder's dark and light parts that is measured.
const MIN_CONTRAST: f64 = 10.0;

/// Along a ray starting in a finder's 3×3 centre: the distance to its third colour change
/// (centre → light ring → dark ring → outside), i.e. to the outer edge of the ring, with the
/// threshold halfway between the profile's extremes and a hysteresis against noise. Returns
/// the distance and the threshold.
fn ring_edge(
    grey: &Plane,
    p: Pt,
    dir: Pt,
    module: f64,
    inv: bool,
    buf: &mut Vec<f64>,
) -> Option<(f64, f64)> {
    let step = (module / 5.0).clamp(0.25, 1.0);
    let n = (5.5 * module / step) as usize + 2;
    profile(grey, p, dir, step, n, buf)?;
    smooth3(buf);
    let lo = buf.iter().cloned().fold(f64::MAX, f64::min);
    let hi = buf.iter().cloned().fold(f64::MIN, f64::max);
    if hi - lo < MIN_CONTRAST {
        return None;
    }
    let thr = (lo + hi) / 2.0;
    let hyst = RING_HYSTERESIS * (hi - lo);
    let sign = if inv { -1.0 } else { 1.0 };
    // g < 0: the finder's colour ("ink"), g > 0 the other.
    let g = |v: f64| (v - thr) * sign;
    if g(buf[0]) > -hyst {
        return None;
    }
    let (mut ink, mut changes, mut cross) = (true, 0, 0.0);
    for i in 1..buf.len() {
        let (g0, g1) = (g(buf[i - 1]), g(buf[i]));
        if (g0 < 0.0) != (g1 < 0.0) {
            cross = (i - 1) as f64 + g0 / (g0 - g1);
        }
        if ink && g1 > hyst || !ink && g1 < -hyst {
            ink = !ink;
            changes += 1;
            if changes == 3 {
                return Some((cross * step, thr));
            }
        }
    }
    None
}

/// The ink-to-light crossing along a ray nearest to `expect` pixels, within `window`.
#[allow(clippy::too_many_arguments)]
fn crossing_near(
    grey: &Plane,
    p: Pt,
    dir: Pt,
    expect: f64,
    window: f64,
    thr: f64,
    inv: bool,
    buf: &mut Vec<f64>,
) -> Option<f64> {
    let step = (window / 8.0).clamp(0.2, 1.0);
    let start = (expect - window).max(0.0);
    let n = ((expect + window - start) / step) as usize + 2;
    profile(grey, add(p, dir, start), dir, step, n, buf)?;
    let sign = if inv { -1.0 } else { 1.0 };
    let mut best: Option<f64> = None;
    for i in 1..buf.len() {
        let (g0, g1) = ((buf[i - 1] - thr) * sign, (buf[i] - thr) * sign);
        if g0 < 0.0 && g1 >= 0.0 {
            let d = start + ((i - 1) as f64 + g0 / (g0 - g1)) * step;
            if best.is_none_or(|b| (d - expect).abs() < (b - expect).abs()) {
                best = Some(d);
            }
        }
    }
    best
}

/// A straight line through `p` with unit direction `d`.
#[derive(Clone, Copy, Debug)]
struct Line {
    p: Pt,
    d: Pt,
}

impl Line {
    /// Total least squares through the points, dropping those further than `tol` pixels
    /// and refitting (twice). `None` below three points.
    fn fit(pts: &mut Vec<Pt>, tol: f64) -> Option<Line> {
        for _ in 0..3 {
            if pts.len() < 3 {
                return None;
            }
            let n = pts.len() as f64;
            let cx = pts.iter().map(|p| p.0).sum::<f64>() / n;
            let cy = pts.iter().map(|p| p.1).sum::<f64>() / n;
            let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
            for p in pts.iter() {
                let (dx, dy) = (p.0 - cx, p.1 - cy);
                sxx += dx * dx;
                sxy += dx * dy;
                syy += dy * dy;
            }
            let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
            let line = Line {
                p: (cx, cy),
                d: (angle.cos(), angle.sin()),
            };
            let before = pts.len();
            pts.retain(|&q| line.distance(q) <= tol);
            if pts.len() == before {
                return (pts.len() >= 3).then_some(line);
            }
        }
        None
    }

    fn distance(&self, q: Pt) -> f64 {
        ((q.0 - self.p.0) * self.d.1 - (q.1 - self.p.1) * self.d.0).abs()
    }

    /// Where the line meets the ray from `o` along `dir` (distance along the ray).
    fn along_ray(&self, o: Pt, dir: Pt) -> Option<f64> {
        let den = dir.0 * self.d.1 - dir.1 * self.d.0;
        if den.abs() < 1e-6 {
            return None;
        }
        Some(((self.p.0 - o.0) * self.d.1 - (self.p.1 - o.1) * self.d.0) / den)
    }

    fn intersect(&self, o: &Line) -> Option<Pt> {
        let t = o.along_ray(self.p, self.d)?;
        Some(add(self.p, self.d, t))
    }
}

/// Points on one outer edge of a finder: the edge faces `out`, and runs along `along`;
/// `m_out` and `m_along` are the module sizes in those directions.
#[allow(clippy::too_many_arguments)]
fn edge_points(
    grey: &Plane,
    f: &Finder,
    out: Pt,
    along: Pt,
    m_out: f64,
    m_along: f64,
    pts: &mut Vec<Pt>,
    buf: &mut Vec<f64>,
) -> Option<()> {
    let c = (f.x, f.y);
    // Rays through the 3×3 centre count the colour changes; they fix the edge roughly.
    let mut near = Vec::with_capacity(5);
    let mut thr_sum = 0.0;
    for s in [-1.0, -0.5, 0.0, 0.5, 1.0] {
        let o = add(c, along, s * m_along);
        if let Some((d, thr)) = ring_edge(grey, o, out, m_out, f.inv, buf) {
            near.push(add(o, out, d));
            thr_sum += thr;
        }
    }
    if near.len() < 3 {
        return None;
    }
    let thr = thr_sum / near.len() as f64;
    let rough = Line::fit(&mut near.clone(), 0.5 * m_out + 1.0)?;
    pts.extend_from_slice(&near);
    // Rays further out along the edge look near where the rough line says.
    for s in [-2.9, -2.5, -2.0, -1.5, 1.5, 2.0, 2.5, 2.9] {
        let o = add(c, along, s * m_along);
        let Some(expect) = rough.along_ray(o, out) else {
            continue;
        };
        if let Some(d) = crossing_near(grey, o, out, expect, 0.5 * m_out, thr, f.inv, buf) {
            pts.push(add(o, out, d));
        }
    }
    Some(())
}

/// The module size along `dir` at finder `f`: its ring's outer edge is 3.5 modules out.
fn module_along(grey: &Plane, f: &Finder, dir: Pt, buf: &mut Vec<f64>) -> Option<f64> {
    ring_edge(grey, (f.x, f.y), dir, f.module, f.inv, buf).map(|(d, _)| d / 3.5)
}

/// The corners of the code (outer edges of its modules: module coordinates (0, 0), (n, 0),
/// (n, n), (0, n) for top-left, top-right, bottom-right, bottom-left) framed by the top-left
/// `a`, top-right `b` and bottom-left `c` finder patterns, or `None` if the edges cannot be
/// traced (too blurred, cut off, not a code).
pub(crate) fn code_corners(grey: &Plane, a: &Finder, b: &Finder, c: &Finder) -> Option<[Pt; 4]> {
    let right = unit((a.x, a.y), (b.x, b.y))?;
    let down = unit((a.x, a.y), (c.x, c.y))?;
    let (left, up) = ((-right.0, -right.1), (-down.0, -down.1));
    let mut buf = Vec::with_capacity(64);
    // Module sizes across each finder, from its own edges.
    let (a_h, a_v) = (
        module_along(grey, a, left, &mut buf)?,
        module_along(grey, a, up, &mut buf)?,
    );
    let (b_h, b_v) = (
        module_along(grey, b, right, &mut buf)?,
        module_along(grey, b, up, &mut buf)?,
    );
    let (c_h, c_v) = (
        module_along(grey, c, left, &mut buf)?,
        module_along(grey, c, down, &mut buf)?,
    );
    let mut top = Vec::with_capacity(26);
    edge_points(grey, a, up, right, a_v, a_h, &mut top, &mut buf)?;
    edge_points(grey, b, up, right, b_v, b_h, &mut top, &mut buf)?;
    let mut lft = Vec::with_capacity(26);
    edge_points(grey, a, left, down, a_h, a_v, &mut lft, &mut buf)?;
    edge_points(grey, c, left, down, c_h, c_v, &mut lft, &mut buf)?;
    let mut rgt = Vec::with_capacity(13);
    edge_points(grey, b, right, down, b_h, b_v, &mut rgt, &mut buf)?;
    let mut bot = Vec::with_capacity(13);
    edge_points(grey, c, down, right, c_v, c_h, &mut bot, &mut buf)?;
    let tol = |m: f64| 0.25 * m + 0.5;
    let top = Line::fit(&mut top, tol(a_v.min(b_v)))?;
    let lft = Line::fit(&mut lft, tol(a_h.min(c_h)))?;
    let rgt = Line::fit(&mut rgt, tol(b_h))?;
    let bot = Line::fit(&mut bot, tol(c_v))?;
    let corners = [
        top.intersect(&lft)?,
        top.intersect(&rgt)?,
        rgt.intersect(&bot)?,
        bot.intersect(&lft)?,
    ];
    // A convex quadrilateral, clockwise on screen like the finders.
    let turn = |p: Pt, q: Pt, r: Pt| (q.0 - p.0) * (r.1 - q.1) - (q.1 - p.1) * (r.0 - q.0);
    let convex = (0..4).all(|i| turn(corners[i], corners[(i + 1) % 4], corners[(i + 2) % 4]) > 0.0);
    convex.then_some(corners)
}

/// The four outer corners of one finder's dark ring (top-left, top-right, bottom-right,
/// bottom-left in the code's orientation; `right` and `down` are the code's rough row and
/// column directions), each `None` if one of its two edges cannot be traced. Under strong
/// perspective the code's far edges are often not traceable while the finders' own edges
/// are, and their corners place the far finders with their own, foreshortened, module axes.
pub(crate) fn finder_corners(grey: &Plane, f: &Finder, right: Pt, down: Pt) -> [Option<Pt>; 4] {
    let (left, up) = ((-right.0, -right.1), (-down.0, -down.1));
    let mut buf = Vec::with_capacity(64);
    let mut along = |d: Pt| module_along(grey, f, d, &mut buf);
    // Module sizes across the finder, each axis from either side.
    let m_h = match (along(left), along(right)) {
        (Some(l), Some(r)) => (l + r) / 2.0,
        (Some(m), None) | (None, Some(m)) => m,
        (None, None) => f.module,
    };
    let m_v = match (along(up), along(down)) {
        (Some(u), Some(d)) => (u + d) / 2.0,
        (Some(m), None) | (None, Some(m)) => m,
        (None, None) => f.module,
    };
    let mut side = |out: Pt, along: Pt, m_out: f64, m_along: f64| -> Option<Line> {
        let mut pts = Vec::with_capacity(13);
        edge_points(grey, f, out, along, m_out, m_along, &mut pts, &mut buf)?;
        Line::fit(&mut pts, 0.25 * m_out + 0.5)
    };
    let top = side(up, right, m_v, m_h);
    let rgt = side(right, down, m_h, m_v);
    let bot = side(down, right, m_v, m_h);
    let lft = side(left, down, m_h, m_v);
    let meet = |p: &Option<Line>, q: &Option<Line>| match (p, q) {
        (Some(p), Some(q)) => p.intersect(q),
        _ => None,
    };
    let corners = [
        meet(&top, &lft),
        meet(&top, &rgt),
        meet(&bot, &rgt),
        meet(&bot, &lft),
    ];
    // A corner further than 7 modules from the centre is a misfit (a line through clutter).
    let limit = 7.0 * m_h.max(m_v);
    corners.map(|c| c.filter(|p| (p.0 - f.x).hypot(p.1 - f.y) < limit))
}
