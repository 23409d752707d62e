//! Finder-pattern search: row scan for 1:1:3:1:1 runs in both polarities, confirmed by
//! vertical, horizontal and diagonal cross-checks, merged into candidates.

use crate::binarize::BitSource;

/// A finder-pattern candidate in plane coordinates (pixel centres at `i + 0.5`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Finder {
    pub x: f64,
    pub y: f64,
    /// Estimated module size in pixels.
    pub module: f64,
    /// Number of scan lines that confirmed it.
    pub count: u32,
    /// Light-on-dark (inverted) pattern.
    pub inv: bool,
}

/// Largest ratio of a finder's vertical and horizontal extents accepted.
const MAX_ASPECT: f64 = 2.5;

/// Most candidates kept per polarity (the best confirmed ones).
pub(crate) const MAX_CANDIDATES: usize = 64;

/// Does `c` look like 1:1:3:1:1? Each 1-run may deviate by half a module (three quarters if
/// `loose`) plus half a pixel, the centre by three times that. Integer arithmetic (this runs
/// for every 5-run window of every scanned row).
#[inline]
fn ratio_ok(c: &[u32; 5], loose: bool) -> bool {
    let t: u32 = c[0] + c[1] + c[2] + c[3] + c[4];
    if t < 7 || c.contains(&0) {
        return false;
    }
    let t = t as i64;
    let d = |v: u32| (t - 7 * v as i64).abs();
    let dc = (3 * t - 7 * c[2] as i64).abs();
    if loose {
        let lim = 3 * t + 14;
        4 * d(c[0]) < lim
            && 4 * d(c[1]) < lim
            && 4 * d(c[3]) < lim
            && 4 * d(c[4]) < lim
            && 4 * dc < 3 * lim
    } else {
        let lim = t + 7;
        2 * d(c[0]) < lim
            && 2 * d(c[1]) < lim
            && 2 * d(c[3]) < lim
            && 2 * d(c[4]) < lim
            && 2 * dc < 3 * lim
    }
}

/// Scans `bin` for finder patterns of both polarities; `step` is the row step.
pub(crate) fn find<B: BitSource>(bin: &B, step: usize, out: &mut Vec<Finder>) {
    out.clear();
    let (w, h) = (bin.width(), bin.height());
    if w < 7 || h < 7 {
        return;
    }
    let mut runs: Vec<u32> = Vec::with_capacity(w);
    let mut row: Vec<u8> = Vec::with_capacity(w);
    let mut edges: Vec<u32> = Vec::with_capacity(w + 1);
    let mut recent = Recent::default();
    let mut y = step / 2;
    while y < h {
        recent.retire(y, step, out);
        bin.row_bits(y, &mut row);
        // A pattern needs both colours.
        let first = row[0];
        if row.iter().all(|&b| b == first) {
            y += step;
            continue;
        }
        // Run boundaries, branch-free (rows of fine texture have a boundary every pixel or
        // two, and a branch per pixel would mispredict constantly).
        edges.clear();
        edges.resize(w + 1, 0);
        let mut n = 1usize; // edges[0] = 0
        let mut x = 1;
        while x < w {
            // Eight pixels at a time where none differs from its left neighbour (flat
            // stretches of screenshots and margins); else each pixel.
            let group = (x + 8).min(w);
            if group - x == 8 && row[x..group] == row[x - 1..group - 1] {
                x = group;
                continue;
            }
            for x in x..group {
                edges[n] = x as u32;
                n += (row[x] != row[x - 1]) as usize;
            }
            x = group;
        }
        edges[n] = w as u32;
        n += 1;
        runs.clear();
        runs.extend(edges[..n].windows(2).map(|e| e[1] - e[0]));
        // Run i has colour `first` if i is even, else the other.
        let mut start = 0usize; // pixel start of run i
        for i in 0..runs.len() {
            if i + 5 <= runs.len() {
                let c = [runs[i], runs[i + 1], runs[i + 2], runs[i + 3], runs[i + 4]];
                // Colour of run i: dark if (first==1) xor (i odd).
                let dark_first = (first == 1) != (i % 2 == 1);
                if ratio_ok(&c, false) {
                    let cx = start as f64 + (c[0] + c[1]) as f64 + c[2] as f64 / 2.0;
                    confirm(bin, cx, y, &c, !dark_first, out, &mut recent);
                }
            }
            start += runs[i] as usize;
        }
        y += step;
    }
}

/// Counts a 1:1:3:1:1 pattern through (cx, cy) along direction (dx, dy) (unit steps in
/// pixels), returning the five run lengths and the offset (in steps) of the centre run's middle
/// from the start point, or `None` if the pattern does not fit within `max_run` per outer run.
fn cross<B: BitSource>(
    bin: &B,
    cx: f64,
    cy: f64,
    dx: isize,
    dy: isize,
    inv: bool,
    max_run: u32,
) -> Option<([u32; 5], f64)> {
    let x0 = cx.floor() as isize;
    let y0 = cy.floor() as isize;
    let on = |k: isize| bin.dark(x0 + k * dx, y0 + k * dy) != inv;
    if !on(0) {
        return None;
    }
    let mut c = [0u32; 5];
    // Backwards: centre, then light, then dark.
    let mut k = 0isize;
    while on(k) {
        c[2] += 1;
        k -= 1;
        if c[2] > 3 * max_run + 3 {
            return None;
        }
    }
    while !on(k) && c[1] <= max_run {
        c[1] += 1;
        k -= 1;
    }
    if c[1] > max_run || c[1] == 0 {
        return None;
    }
    while on(k) && c[0] <= max_run {
        c[0] += 1;
        k -= 1;
    }
    if c[0] > max_run || c[0] == 0 {
        return None;
    }
    let back = c[2]; // includes the start pixel
                     // Forwards.
    let mut k = 1isize;
    while on(k) {
        c[2] += 1;
        k += 1;
        if c[2] > 3 * max_run + 3 {
            return None;
        }
    }
    while !on(k) && c[3] <= max_run {
        c[3] += 1;
        k += 1;
    }
    if c[3] > max_run || c[3] == 0 {
        return None;
    }
    while on(k) && c[4] <= max_run {
        c[4] += 1;
        k += 1;
    }
    if c[4] > max_run || c[4] == 0 {
        return None;
    }
    // Centre of the centre run relative to the start pixel's centre.
    let centre = -(back as f64 - 1.0) + (c[2] as f64 - 1.0) / 2.0;
    Some((c, centre))
}

/// The candidates that a pattern on the current scan row can still merge with: those
/// confirmed within a finder's height (7 modules) of it. Rows of fine texture (a
/// checkerboard) confirm thousands of patterns among hundreds of candidates, and comparing
/// each with every candidate was a third of the search's time on them.
#[derive(Default)]
struct Recent {
    /// Indices into the candidates, ascending (so the first match is the same as in a
    /// search of all of them).
    index: Vec<usize>,
    /// The scan row of each candidate's last confirmation, by candidate index.
    last_row: Vec<usize>,
}

impl Recent {
    /// Drops the candidates that no pattern on row `y` can belong to: a finder's patterns
    /// lie on rows within its own height, and a pattern's centre within that height too.
    fn retire(&mut self, y: usize, step: usize, out: &[Finder]) {
        let last_row = &self.last_row;
        self.index.retain(|&k| {
            let reach = 7.0 * out[k].module + 2.0 * step as f64 + 2.0;
            ((y - last_row[k]) as f64) <= reach
        });
    }

    fn touched(&mut self, k: usize, y: usize) {
        self.last_row[k] = y;
    }

    fn added(&mut self, k: usize, y: usize) {
        self.last_row.resize(k + 1, y);
        self.index.push(k);
    }
}

fn confirm<B: BitSource>(
    bin: &B,
    cx: f64,
    row: usize,
    hc: &[u32; 5],
    inv: bool,
    out: &mut Vec<Finder>,
    recent: &mut Recent,
) {
    let cy = row as f64 + 0.5;
    let htotal: u32 = hc.iter().sum();
    // Runs may be up to 2.5 times longer across than along the row: a code tilted away
    // from the camera shows its far finders foreshortened.
    let max_run = (hc[2] as f64 / 3.0 * MAX_ASPECT + 2.0) as u32;
    // Vertical.
    let Some((vc, off)) = cross(bin, cx, cy, 0, 1, inv, max_run) else {
        return;
    };
    if !ratio_ok(&vc, false) {
        return;
    }
    let vtotal: u32 = vc.iter().sum();
    let (lo, hi) = (htotal.min(vtotal) as f64, htotal.max(vtotal) as f64);
    if hi > MAX_ASPECT * lo {
        return;
    }
    let cy = cy.floor() + 0.5 + off;
    // Horizontal again through the refined centre.
    let Some((hc2, offx)) = cross(bin, cx, cy, 1, 0, inv, max_run) else {
        return;
    };
    if !ratio_ok(&hc2, false) {
        return;
    }
    let cx = cx.floor() + 0.5 + offx;
    // Diagonal (loose, runs are √2 longer).
    let Some((dc, _)) = cross(bin, cx, cy, 1, 1, inv, max_run * 3 / 2 + 1) else {
        return;
    };
    if !ratio_ok(&dc, true) {
        return;
    }
    let h2: u32 = hc2.iter().sum();
    let module = (h2 + vtotal) as f64 / 14.0;
    // Merge with an existing candidate.
    for &k in &recent.index {
        let f = &mut out[k];
        if f.inv == inv
            && (f.x - cx).abs() <= module.max(f.module)
            && (f.y - cy).abs() <= module.max(f.module)
            && (f.module - module).abs() <= 1.0 + 0.3 * module.max(f.module)
        {
            let n = f.count as f64;
            f.x = (f.x * n + cx) / (n + 1.0);
            f.y = (f.y * n + cy) / (n + 1.0);
            f.module = (f.module * n + module) / (n + 1.0);
            f.count += 1;
            recent.touched(k, row);
            return;
        }
    }
    if out.len() < 4 * MAX_CANDIDATES {
        recent.added(out.len(), row);
        out.push(Finder {
            x: cx,
            y: cy,
            module,
            count: 1,
            inv,
        });
    }
}
