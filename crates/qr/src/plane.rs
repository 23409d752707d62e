//! Owned grey planes: cropping, box-filter downscaling, camera buffer conversion.

/// A contiguous 8-bit grey image (row length = width).
#[derive(Clone, Debug, Default)]
pub(crate) struct Plane {
    pub w: usize,
    pub h: usize,
    pub data: Vec<u8>,
}

/// A borrowed luma image with a row stride, validated by [`View::new`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct View<'a> {
    pub data: &'a [u8],
    pub w: usize,
    pub h: usize,
    pub stride: usize,
}

/// Largest accepted width or height (larger inputs are rejected, never indexed).
pub(crate) const MAX_SIDE: usize = 1 << 15;

impl<'a> View<'a> {
    /// Checks that `data` holds `h` rows of `w` pixels `stride` bytes apart.
    pub fn new(data: &'a [u8], w: usize, h: usize, stride: usize) -> Option<Self> {
        if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || stride < w {
            return None;
        }
        let need = stride.checked_mul(h - 1)?.checked_add(w)?;
        if data.len() < need {
            return None;
        }
        Some(View { data, w, h, stride })
    }

    fn row(&self, y: usize) -> &'a [u8] {
        &self.data[y * self.stride..y * self.stride + self.w]
    }
}

/// A rectangle in source pixels, `x0 <= x1`, `y0 <= y1`, exclusive ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rect {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
}

impl Rect {
    pub fn full(w: usize, h: usize) -> Self {
        Rect {
            x0: 0,
            y0: 0,
            x1: w,
            y1: h,
        }
    }
    pub fn width(&self) -> usize {
        self.x1 - self.x0
    }
    pub fn height(&self) -> usize {
        self.y1 - self.y0
    }
    /// The rectangle spanned by float bounds, grown by `margin` and clipped to `w`×`h`.
    pub fn around(min: (f64, f64), max: (f64, f64), margin: f64, w: usize, h: usize) -> Self {
        let clip = |v: f64, hi: usize| -> usize {
            if v.is_nan() || v <= 0.0 {
                0
            } else {
                (v as usize).min(hi)
            }
        };
        Rect {
            x0: clip(min.0 - margin, w),
            y0: clip(min.1 - margin, h),
            x1: clip(max.0 + margin + 1.0, w),
            y1: clip(max.1 + margin + 1.0, h),
        }
    }
}

/// Copies `rect` of `src`, downscaled by the integer factor `f` with a box filter (`f == 1`:
/// plain copy). Output pixel (i, j) covers source pixels `[x0 + f*i, x0 + f*i + f)`.
pub(crate) fn extract(src: &View<'_>, rect: Rect, f: usize, out: &mut Plane) {
    let f = f.max(1);
    let w = rect.width() / f;
    let h = rect.height() / f;
    out.w = w;
    out.h = h;
    out.data.clear();
    out.data.resize(w * h, 0);
    if w == 0 || h == 0 {
        return;
    }
    match f {
        1 => {
            for y in 0..h {
                let r = &src.row(rect.y0 + y)[rect.x0..rect.x0 + w];
                out.data[y * w..(y + 1) * w].copy_from_slice(r);
            }
        }
        2 => {
            for y in 0..h {
                let r0 = &src.row(rect.y0 + 2 * y)[rect.x0..rect.x0 + 2 * w];
                let r1 = &src.row(rect.y0 + 2 * y + 1)[rect.x0..rect.x0 + 2 * w];
                let o = &mut out.data[y * w..(y + 1) * w];
                for ((px, a), b) in o.iter_mut().zip(r0.chunks_exact(2)).zip(r1.chunks_exact(2)) {
                    let s = a[0] as u16 + a[1] as u16 + b[0] as u16 + b[1] as u16;
                    *px = ((s + 2) >> 2) as u8;
                }
            }
        }
        _ => {
            let mut acc = vec![0u32; w];
            let n = (f * f) as u32;
            for y in 0..h {
                acc.iter_mut().for_each(|a| *a = 0);
                for dy in 0..f {
                    let r = &src.row(rect.y0 + f * y + dy)[rect.x0..rect.x0 + f * w];
                    for (i, a) in acc.iter_mut().enumerate() {
                        *a += r[f * i..f * i + f].iter().map(|&p| p as u32).sum::<u32>();
                    }
                }
                let o = &mut out.data[y * w..(y + 1) * w];
                for (px, a) in o.iter_mut().zip(&acc) {
                    *px = ((a + n / 2) / n) as u8;
                }
            }
        }
    }
}

/// Extracts the luma (Y) plane of a packed YUYV (YUY2, `Y0 U Y1 V`) camera buffer.
///
/// `stride` is the length of one row in bytes (at least `2 * width`). Returns `None` if the
/// buffer is too short or the dimensions are invalid.
pub fn luma_from_yuyv(data: &[u8], width: usize, height: usize, stride: usize) -> Option<Vec<u8>> {
    let row_bytes = width.checked_mul(2)?;
    View::new(data, row_bytes, height, stride)?;
    let mut out = Vec::with_capacity(width * height);
    for y in 0..height {
        let row = &data[y * stride..y * stride + row_bytes];
        out.extend(row.iter().step_by(2));
    }
    Some(out)
}

/// Returns the luma (Y) plane of an NV12 camera buffer (a full-resolution Y plane followed by
/// interleaved, half-resolution UV) as a borrowed slice, without copying or converting.
///
/// `stride` is the Y plane's row length in bytes. Pass the returned slice with the same
/// `width`, `height` and `stride` to [`crate::QrProcessor::process_frame`]. The chroma plane
/// is ignored (and need not be present). Returns `None` if the buffer is too short.
pub fn luma_from_nv12(data: &[u8], width: usize, height: usize, stride: usize) -> Option<&[u8]> {
    View::new(data, width, height, stride)?;
    let len = stride.checked_mul(height - 1)?.checked_add(width)?;
    Some(&data[..len])
}

/// Estimated sensor-noise sigma of a plane, in grey levels: the 10th percentile, over blocks
/// of 16 pixels on every 4th row, of the mean absolute difference of horizontal neighbours
/// (flat areas hold only noise; `E|n1 - n2| = 2σ/√π`).
pub(crate) fn noise_sigma(p: &Plane, scratch: &mut Vec<u32>) -> f64 {
    scratch.clear();
    if p.w < 17 || p.h == 0 {
        return 0.0;
    }
    for y in (0..p.h).step_by(4) {
        let row = &p.data[y * p.w..(y + 1) * p.w];
        for chunk in row.windows(17).step_by(16) {
            let s: u32 = chunk.windows(2).map(|d| d[0].abs_diff(d[1]) as u32).sum();
            scratch.push(s);
        }
    }
    if scratch.is_empty() {
        return 0.0;
    }
    let k = scratch.len() / 10;
    let (_, v, _) = scratch.select_nth_unstable(k);
    *v as f64 / 16.0 / 1.128
}

/// 3×3 binomial ([1 2 1] ⊗ [1 2 1] / 16) smoothing in place: noise sigma × 0.375 while
/// keeping modules of 2-3 pixels (a box filter would wash them out). Edges are clamped.
pub(crate) fn smooth3(p: &mut Plane, scratch: &mut Vec<u16>) {
    let (w, h) = (p.w, p.h);
    if w < 3 || h < 3 {
        return;
    }
    scratch.clear();
    scratch.resize(w * h, 0);
    for y in 0..h {
        let r = &p.data[y * w..(y + 1) * w];
        let o = &mut scratch[y * w..(y + 1) * w];
        o[0] = r[0] as u16 * 3 + r[1] as u16;
        for x in 1..w - 1 {
            o[x] = r[x - 1] as u16 + 2 * r[x] as u16 + r[x + 1] as u16;
        }
        o[w - 1] = r[w - 2] as u16 + r[w - 1] as u16 * 3;
    }
    for y in 0..h {
        let a = &scratch[y.saturating_sub(1) * w..][..w];
        let b = &scratch[y * w..][..w];
        let c = &scratch[(y + 1).min(h - 1) * w..][..w];
        let o = &mut p.data[y * w..(y + 1) * w];
        for x in 0..w {
            o[x] = ((a[x] + 2 * b[x] + c[x] + 8) >> 4) as u8;
        }
    }
}
