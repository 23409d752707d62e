//! Local adaptive binarisation: per 8×8 block the midpoint of its grey range, if it has
//! contrast, averaged over the contrasty blocks of the 3×3 (else 5×5) block neighbourhood (a
//! variant of ZXing's hybrid binariser); flat areas enclosed by contrast take their
//! neighbours' threshold, other areas without contrast come out light; the per-block
//! threshold map is kept for module sampling.

use crate::plane::{Plane, View};

/// Something that says which pixels are dark: a materialised [`Binary`] or a [`Lazy`]
/// thresholding of a full-resolution view.
pub(crate) trait BitSource {
    fn width(&self) -> usize;
    fn height(&self) -> usize;
    /// Is (x, y) dark? Out of bounds counts as light.
    fn dark(&self, x: isize, y: isize) -> bool;
    /// Row `y` as 0/1 bytes (1 = dark) into `out`.
    fn row_bits(&self, y: usize, out: &mut Vec<u8>);
}

impl BitSource for Binary {
    fn width(&self) -> usize {
        self.w
    }
    fn height(&self) -> usize {
        self.h
    }
    #[inline]
    fn dark(&self, x: isize, y: isize) -> bool {
        Binary::dark(self, x, y)
    }
    fn row_bits(&self, y: usize, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(&self.bits[y * self.w..(y + 1) * self.w]);
    }
}

/// Full-resolution pixels thresholded on demand with the threshold map of a coarser
/// [`Binary`] made from the same frame downscaled by `f` (nothing is materialised).
pub(crate) struct Lazy<'a> {
    pub view: View<'a>,
    pub coarse: &'a Binary,
    pub f: usize,
}

impl Lazy<'_> {
    #[inline]
    fn thr(&self, x: usize, y: usize) -> u8 {
        self.coarse.threshold_at(x / self.f, y / self.f)
    }
}

impl BitSource for Lazy<'_> {
    fn width(&self) -> usize {
        self.view.w
    }
    fn height(&self) -> usize {
        self.view.h
    }
    #[inline]
    fn dark(&self, x: isize, y: isize) -> bool {
        if x < 0 || y < 0 || x as usize >= self.view.w || y as usize >= self.view.h {
            return false;
        }
        let (x, y) = (x as usize, y as usize);
        self.view.data[y * self.view.stride + x] < self.thr(x, y)
    }
    fn row_bits(&self, y: usize, out: &mut Vec<u8>) {
        out.clear();
        let row = &self.view.data[y * self.view.stride..y * self.view.stride + self.view.w];
        let span = BLOCK * self.f;
        for (i, chunk) in row.chunks(span).enumerate() {
            let t = self.thr(i * span, y);
            if t == 0 {
                // No contrast around: all light.
                out.resize(out.len() + chunk.len(), 0);
            } else {
                out.extend(chunk.iter().map(|&v| (v < t) as u8));
            }
        }
    }
}

/// Block side in pixels.
pub(crate) const BLOCK: usize = 8;
/// Blocks whose grey range is at most this are treated as flat (no local contrast).
const MIN_RANGE: u8 = 24;

/// A binarised plane: `bits[y * w + x]` is 1 for dark, 0 for light, plus the threshold map.
#[derive(Clone, Debug, Default)]
pub(crate) struct Binary {
    pub w: usize,
    pub h: usize,
    pub bits: Vec<u8>,
    /// Threshold per block (`bw` × `bh` blocks of [`BLOCK`] pixels).
    pub thr: Vec<u8>,
    pub bw: usize,
    pub bh: usize,
    /// Scratch: per-block black point.
    bp: Vec<u8>,
    /// Brightest grey of each block.
    bmax: Vec<u8>,
    /// Blocks without a threshold (input of [`fill_enclosed`]).
    holes: Vec<(u32, u32)>,
    /// Scratch: summed-area tables of the black points and of the blocks with contrast.
    sums: Vec<u32>,
    counts: Vec<u32>,
}

impl Binary {
    /// The local threshold at pixel (x, y) (nearest block).
    #[inline]
    pub fn threshold_at(&self, x: usize, y: usize) -> u8 {
        let bx = (x / BLOCK).min(self.bw.saturating_sub(1));
        let by = (y / BLOCK).min(self.bh.saturating_sub(1));
        self.thr.get(by * self.bw + bx).copied().unwrap_or(128)
    }

    /// Is pixel (x, y) dark? Out of bounds counts as light.
    #[inline]
    pub fn dark(&self, x: isize, y: isize) -> bool {
        x >= 0
            && y >= 0
            && (x as usize) < self.w
            && (y as usize) < self.h
            && self.bits[y as usize * self.w + x as usize] != 0
    }

    /// Binarises `p` into `self` (buffers are reused).
    pub fn compute(&mut self, p: &Plane) {
        self.compute_with(p, false)
    }

    /// [`Binary::compute`]; with `own_block`, a block with contrast is thresholded at its own
    /// midpoint, not its neighbourhood's average (a shadow's edge across a finder).
    pub fn compute_with(&mut self, p: &Plane, own_block: bool) {
        let (w, h) = (p.w, p.h);
        self.w = w;
        self.h = h;
        self.bw = w.div_ceil(BLOCK);
        self.bh = h.div_ceil(BLOCK);
        let (bw, bh) = (self.bw, self.bh);
        self.bits.clear();
        self.bits.resize(w * h, 0);
        self.thr.clear();
        self.thr.resize(bw * bh, 0);
        self.bp.clear();
        self.bp.resize(bw * bh, 0);
        self.bmax.clear();
        self.bmax.resize(bw * bh, 0);
        if w == 0 || h == 0 {
            return;
        }
        // Per-block black points.
        let mut colmin: Vec<u8> = Vec::with_capacity(w);
        let mut colmax: Vec<u8> = Vec::with_capacity(w);
        let mut mins = vec![255u8; bw];
        let mut maxs = vec![0u8; bw];
        for by in 0..bh {
            let y0 = by * BLOCK;
            let y1 = (y0 + BLOCK).min(h);
            // Column-wise min/max over the block row (vectorises), then per block.
            colmin.clear();
            colmin.extend_from_slice(&p.data[y0 * w..(y0 + 1) * w]);
            colmax.clear();
            colmax.extend_from_slice(&p.data[y0 * w..(y0 + 1) * w]);
            for y in y0 + 1..y1 {
                let row = &p.data[y * w..(y + 1) * w];
                for ((lo, hi), &v) in colmin.iter_mut().zip(colmax.iter_mut()).zip(row) {
                    *lo = (*lo).min(v);
                    *hi = (*hi).max(v);
                }
            }
            for (bx, (lo, hi)) in colmin.chunks(BLOCK).zip(colmax.chunks(BLOCK)).enumerate() {
                mins[bx] = lo.iter().copied().fold(255, u8::min);
                maxs[bx] = hi.iter().copied().fold(0, u8::max);
            }
            for bx in 0..bw {
                let (lo, hi) = (mins[bx], maxs[bx]);
                // Contrasty blocks vote with the midpoint of their range (unbiased by how much
                // of the block is dark); flat blocks (0) do not vote.
                let avg = if hi - lo > MIN_RANGE {
                    (((lo as u16 + hi as u16) / 2) as u8).max(1)
                } else {
                    0
                };
                self.bp[by * bw + bx] = avg;
                self.bmax[by * bw + bx] = hi;
            }
        }
        // Thresholds: average of the 3×3 or 5×5 neighbourhood of black points, from summed-
        // area tables of the black points and of the blocks with contrast.
        let stride = bw + 1;
        self.sums.clear();
        self.sums.resize(stride * (bh + 1), 0);
        self.counts.clear();
        self.counts.resize(stride * (bh + 1), 0);
        for by in 0..bh {
            let (mut row_s, mut row_n) = (0u32, 0u32);
            for bx in 0..bw {
                let v = self.bp[by * bw + bx];
                row_s += v as u32;
                row_n += (v != 0) as u32;
                let at = (by + 1) * stride + bx + 1;
                self.sums[at] = self.sums[at - stride] + row_s;
                self.counts[at] = self.counts[at - stride] + row_n;
            }
        }
        let rect = |t: &[u32], (x0, x1): (usize, usize), (y0, y1): (usize, usize)| {
            t[y1 * stride + x1] + t[y0 * stride + x0] - t[y0 * stride + x1] - t[y1 * stride + x0]
        };
        let r = 2usize;
        self.holes.clear();
        for by in 0..bh {
            let cy = by.clamp(r, bh.saturating_sub(r + 1).max(r));
            let ys = (cy.saturating_sub(r), (cy + r + 1).min(bh));
            let ys3 = (by.saturating_sub(1).max(ys.0), (by + 2).min(ys.1));
            for bx in 0..bw {
                let cx = bx.clamp(r, bw.saturating_sub(r + 1).max(r));
                let xs = (cx.saturating_sub(r), (cx + r + 1).min(bw));
                let xs3 = (bx.saturating_sub(1).max(xs.0), (bx + 2).min(xs.1));
                // The 3×3 blocks around, if any has contrast: a shadow's edge then reaches
                // only one block into the lit side (5×5 made shaded paper near it dark).
                // Else the 5×5 blocks: a flat block inside a large module needs the wider
                // view (3×3 alone lost codes filling the frame, 100 -> 85 % on the tuning
                // split).
                let (s3, n3) = (rect(&self.sums, xs3, ys3), rect(&self.counts, xs3, ys3));
                let own = self.bp[by * bw + bx];
                let t = if own_block && own != 0 {
                    Some(own as u32)
                } else {
                    s3.checked_div(n3)
                };
                let t = t
                    .unwrap_or_else(|| rect(&self.sums, xs, ys) / rect(&self.counts, xs, ys).max(1))
                    as u8;
                self.thr[by * bw + bx] = t;
                if t == 0 {
                    self.holes.push((bx as u32, by as u32));
                }
            }
        }
        fill_enclosed(&mut self.thr, &self.bmax, bw, bh, &mut self.holes);
        // Apply.
        for y in 0..h {
            let by = y / BLOCK;
            let row = &p.data[y * w..(y + 1) * w];
            let out = &mut self.bits[y * w..(y + 1) * w];
            let trow = &self.thr[by * bw..(by + 1) * bw];
            for ((o, i), t) in out.chunks_mut(BLOCK).zip(row.chunks(BLOCK)).zip(trow) {
                for (ob, &v) in o.iter_mut().zip(i) {
                    *ob = (v < *t) as u8;
                }
            }
        }
    }
}

/// Rounds of [`fill_enclosed`]: each reaches one block (8 px) further into a flat area.
const FILL_ROUNDS: usize = 4;

/// Gives blocks without a threshold (0: no contrast in their 5×5 neighbourhood) the mean
/// threshold of their neighbours that have one, if at least two of the four do and the whole
/// block is darker than that, for a few rounds. A finder's centre of 3×3 modules of 15+ px (a code filling the frame) is a flat
/// dark area wider than the 5×5 window: it came out light and the finder was lost. Requiring
/// two neighbours fills areas enclosed by contrast (the centre fills from its corners inward)
/// but not the flat side of a straight edge: shaded paper next to a shadow's edge would turn
/// dark with the lit side's threshold. Only wholly dark blocks are filled: flat blocks of a
/// low-contrast, noisy code straddle the threshold, and binarising them made noise clutter
/// (tuning split: two low-contrast frames lost).
fn fill_enclosed(thr: &mut [u8], bmax: &[u8], bw: usize, bh: usize, holes: &mut Vec<(u32, u32)>) {
    let mut filled: Vec<(usize, u8)> = Vec::new();
    for _ in 0..FILL_ROUNDS {
        filled.clear();
        for &(bx, by) in holes.iter() {
            let (bx, by) = (bx as usize, by as usize);
            let mut s = 0u32;
            let mut n = 0u32;
            let mut add = |i: usize| {
                let v = thr[i];
                s += v as u32;
                n += (v != 0) as u32;
            };
            if bx > 0 {
                add(by * bw + bx - 1);
            }
            if bx + 1 < bw {
                add(by * bw + bx + 1);
            }
            if by > 0 {
                add((by - 1) * bw + bx);
            }
            if by + 1 < bh {
                add((by + 1) * bw + bx);
            }
            let t = (s / n.max(1)) as u8;
            if n >= 2 && bmax[by * bw + bx] < t {
                filled.push((by * bw + bx, t));
            }
        }
        if filled.is_empty() {
            break;
        }
        for &(i, v) in &filled {
            thr[i] = v;
        }
        holes.retain(|&(bx, by)| thr[by as usize * bw + bx as usize] == 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The thresholds as first written: each block's 5×5 and 3×3 neighbourhoods summed
    /// directly, before [`fill_enclosed`].
    fn direct_thresholds(bp: &[u8], bw: usize, bh: usize) -> Vec<u8> {
        let r = 2usize;
        let mut thr = vec![0u8; bw * bh];
        for by in 0..bh {
            let cy = by.clamp(r, bh.saturating_sub(r + 1).max(r));
            let (ylo, yhi) = (cy.saturating_sub(r), (cy + r + 1).min(bh));
            for bx in 0..bw {
                let cx = bx.clamp(r, bw.saturating_sub(r + 1).max(r));
                let (xlo, xhi) = (cx.saturating_sub(r), (cx + r + 1).min(bw));
                let (mut s, mut n, mut s3, mut n3) = (0u32, 0u32, 0u32, 0u32);
                for yy in ylo..yhi {
                    for xx in xlo..xhi {
                        let v = bp[yy * bw + xx];
                        s += v as u32;
                        n += (v != 0) as u32;
                        if yy.abs_diff(by) <= 1 && xx.abs_diff(bx) <= 1 {
                            s3 += v as u32;
                            n3 += (v != 0) as u32;
                        }
                    }
                }
                thr[by * bw + bx] = s3.checked_div(n3).unwrap_or_else(|| s / n.max(1)) as u8;
            }
        }
        thr
    }

    #[test]
    fn summed_area_thresholds_equal_the_direct_sums() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for (w, h) in [(21, 21), (40, 33), (97, 61), (160, 120), (8, 200)] {
            // Patches of flat grey and of contrast, so both neighbourhoods and holes occur.
            let data: Vec<u8> = (0..w * h)
                .map(|i| {
                    let (x, y) = (i % w, i / w);
                    if (x / 24 + y / 16) % 3 == 0 {
                        128
                    } else {
                        next() as u8
                    }
                })
                .collect();
            let plane = Plane { w, h, data };
            let mut bin = Binary::default();
            bin.compute(&plane);
            let mut expected = direct_thresholds(&bin.bp, bin.bw, bin.bh);
            let mut holes: Vec<(u32, u32)> = (0..bin.bw * bin.bh)
                .filter(|&i| expected[i] == 0)
                .map(|i| ((i % bin.bw) as u32, (i / bin.bw) as u32))
                .collect();
            fill_enclosed(&mut expected, &bin.bmax, bin.bw, bin.bh, &mut holes);
            assert_eq!(bin.thr, expected, "{w}×{h}");
        }
    }
}
