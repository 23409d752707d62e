//! # nextauth-qr
//!
//! A fast, robust reader of binary (byte-mode) QR codes in camera frames, still images and
//! desktop screenshots, returning the code's exact raw bytes. Used by the SDK, the `nextauth`
//! command-line tool and the app's scanner.
//!
//! Pipeline (see `docs/qr.md` for the measurements behind each choice):
//!
//! 1. **Scale.** Large frames are first read at reduced resolution (box-filter downscale:
//!    1280×720 and 1920×1080 by 2, a 4K screenshot by 4), which is cheaper and averages away
//!    sensor noise.
//! 2. **Adaptive binarisation** with a local threshold map (8×8 blocks, 5×5 neighbourhood).
//! 3. **Finder patterns** by a row scan for 1:1:3:1:1 runs in *both* polarities at once (dark on
//!    light and light on dark), each confirmed by vertical, horizontal and diagonal cross-checks.
//!    A frame without candidates is rejected here (the idle cost).
//! 4. **Geometry**: finder triples (a lone pair completed by a correlation search for its
//!    third finder), module size and dimension, the code's outline, the alignment pattern, a
//!    perspective transform, and sampling of module values. Each transform is gated: finders
//!    where it puts them, timing patterns that alternate (after fitting the transform to
//!    their phase), plausible format information.
//! 5. **Decoding** of the sampled grid by [`rqrr`]'s decoder (format information, Reed-Solomon
//!    error correction, data segments) into bytes, with up to five thresholdings of the
//!    samples.
//! 6. **Refinement**: if the reduced scale found candidates but no code, the region around them
//!    is read again at full resolution (small codes); a [`QrProcessor`] also remembers where the
//!    last code was and looks there first in the next frame.
//!
//! ```
//! let mut qr = nextauth_qr::QrProcessor::new();
//! let frame = vec![128u8; 640 * 480]; // a grey frame: no code in it
//! assert_eq!(qr.process_frame(&frame, 640, 480, 640), None);
//! ```

mod binarize;
mod edges;
#[cfg(feature = "files")]
pub mod files;
mod finder;
mod format;
mod grid;
mod homography;
mod plane;
mod sample;
mod sharpness;
mod third;
mod tilt;
mod timing;
mod trace;

pub use plane::{luma_from_nv12, luma_from_yuyv};

use binarize::Binary;
use finder::Finder;
use grid::{Located, Triple};
use plane::{Plane, Rect, View};
use trace::Trace;

/// Upper bound on the triples of finder candidates examined per pass, best first: the looser
/// triple rules for tilted codes let text pages and checkerboards make 40-60 of them, at up to
/// 1 ms each (tuning split: 12 lost no code, 1080p no-code p90 20 -> 9 ms in a loaded run).
const TRIPLES_PER_PASS: usize = 12;

/// Upper bound on grid decode attempts per pass (bounds the time on frames full of clutter).
const ATTEMPTS_PER_PASS: u32 = 24;
/// Estimated noise sigma (grey levels) above which a plane is smoothed before binarising.
const NOISY_SIGMA: f64 = 3.5;
/// In a stream, every this many consecutive frames without a code the fine scan runs anyway.
const FORCED_FINE_EVERY: u32 = 4;
/// A coarse candidate with a module below this (coarse pixels) triggers the fine scan, if
/// confirmed by [`FINE_TRIGGER_COUNT`] scan lines or smaller than [`FINE_TRIGGER_TINY_MODULE`]
/// (text pages are full of single-line candidates of 2-3 px; tuning split: text pages, all
/// sizes, 1.8 / 6.5 -> 0.9 / 2.0 ms median / p90, small codes 98.9 -> 98.3 % of 180).
const FINE_TRIGGER_MODULE: f64 = 3.0;
const FINE_TRIGGER_COUNT: u32 = 2;
const FINE_TRIGGER_TINY_MODULE: f64 = 2.0;
/// Frames up to this long side get the full-resolution scan after a coarse pass that read
/// nothing, whatever it saw (tuning split at 600 per size: small codes at 1280×720 99.2 ->
/// 100 %; frames without a code at 1280×720 0.62 / 2.00 -> 1.0 / 2.0 ms median / p90).
const FINE_ALWAYS_MAX_SIDE: usize = 1280;
/// Coarse-plane noise sigma above which the full-resolution fine scan is skipped.
const FINE_MAX_NOISE: f64 = 2.5;
/// Most finder candidates in a pass for which any pair is completed (see `third.rs`).
const PAIRS_MAX_CANDIDATES: usize = 6;
/// Least scan lines confirming each finder of a pair completed in an uncluttered pass.
const PAIR_MIN_COUNT: u32 = 2;
/// The same in other passes (the finders of large codes: clutter is confirmed by fewer).
const STRONG_PAIR_MIN_COUNT: u32 = 5;
/// Most finder candidates combined into triples per pass.
const TRIPLE_CANDIDATES: usize = 12;

/// Reusable buffers of one pass.
#[derive(Debug, Default)]
struct Work {
    plane: Plane,
    bin: Binary,
    finders: Vec<Finder>,
    triples: Vec<Triple>,
    scratch32: Vec<u32>,
    scratch16: Vec<u16>,
    /// Noise sigma estimated for the last plane.
    noise: f64,
    /// A pass's plane kept for a second binarisation, and its noise sigma.
    kept: Plane,
    kept_noise: f64,
    /// What the passes tried (development only).
    trace: Trace,
}

/// What one pass over a plane produced.
enum Pass {
    Found(Vec<u8>, Located),
    /// No code, but finder candidates.
    Candidates,
    Nothing,
}

impl Work {
    /// Extracts `rect` of `src` at factor `f`, then binarises, searches and decodes it.
    fn pass(&mut self, src: &View<'_>, rect: Rect, f: usize) -> Pass {
        plane::extract(src, rect, f, &mut self.plane);
        if self.plane.w < 21 || self.plane.h < 21 {
            return Pass::Nothing;
        }
        // Noisy frames (dim rooms, cheap sensors): smooth before binarising, or the noise
        // breaks runs and fakes finder patterns.
        self.noise = plane::noise_sigma(&self.plane, &mut self.scratch32);
        if self.noise > NOISY_SIGMA {
            plane::smooth3(&mut self.plane, &mut self.scratch16);
        }
        self.search(rect, f, false)
    }

    /// Keeps this pass's plane (extracted and smoothed) for [`Work::pass_on_kept`].
    fn keep_plane(&mut self) {
        self.kept.w = self.plane.w;
        self.kept.h = self.plane.h;
        self.kept.data.clone_from(&self.plane.data);
        self.kept_noise = self.noise;
    }

    /// A pass over the plane kept by [`Work::keep_plane`] (the same `rect` and `f`), without
    /// extracting and smoothing it again: a third of a pass's time.
    fn pass_on_kept(&mut self, rect: Rect, f: usize, own_block: bool) -> Pass {
        std::mem::swap(&mut self.plane, &mut self.kept);
        self.noise = self.kept_noise;
        self.search(rect, f, own_block)
    }

    /// Binarises the plane, then searches and decodes it.
    fn search(&mut self, rect: Rect, f: usize, own_block: bool) -> Pass {
        self.bin.compute_with(&self.plane, own_block);
        finder::find(&self.bin, 2, &mut self.finders);
        if self.finders.is_empty() {
            return Pass::Nothing;
        }
        // Keep the best-confirmed candidates.
        self.finders.sort_by_key(|f| std::cmp::Reverse(f.count));
        let n = self.finders.len().min(TRIPLE_CANDIDATES);
        grid::triples(&self.finders[..n], &mut self.triples);
        let mut budget = ATTEMPTS_PER_PASS;
        for t in self.triples.iter().take(TRIPLES_PER_PASS) {
            if let Some((bytes, loc)) =
                grid::read_triple(&self.plane, &self.bin, t, &mut budget, &mut self.trace)
            {
                if bytes.is_empty() {
                    continue;
                }
                return Pass::Found(bytes, to_source(loc, rect, f));
            }
            if budget == 0 {
                break;
            }
        }
        // Two finders of a code found, the third not (a shadow's edge or glare across it).
        // Any pair in an uncluttered pass; else only pairs confirmed by many scan lines (the
        // finders of large codes), as text pages and checkerboards have many pairs.
        let min_count = if self.triples.is_empty() && self.finders.len() <= PAIRS_MAX_CANDIDATES {
            PAIR_MIN_COUNT
        } else {
            STRONG_PAIR_MIN_COUNT
        };
        if budget > 0 {
            for three in third::third_finders(&self.plane, &self.finders[..n], min_count) {
                grid::triples(&three, &mut self.triples);
                let Some(t) = self.triples.first() else {
                    continue;
                };
                self.trace.note(|| "completed pair:".into());
                if let Some((bytes, loc)) =
                    grid::read_triple(&self.plane, &self.bin, t, &mut budget, &mut self.trace)
                {
                    if !bytes.is_empty() {
                        return Pass::Found(bytes, to_source(loc, rect, f));
                    }
                }
            }
        }
        Pass::Candidates
    }

    /// After a failed pass at factor `f > 1` (whose binarisation is still in `self.bin`):
    /// scans every third row of the full-resolution frame, thresholded with that pass's
    /// threshold map, for finder patterns too small for the coarse scale, and returns the
    /// region to read again at full resolution.
    ///
    /// Runs only when the coarse pass saw a small finder-like candidate (small codes show one
    /// there often enough, and idle frames skip the full-resolution scan), or when `force`d.
    fn fine_region(&mut self, src: &View<'_>, f: usize, force: bool) -> Option<Rect> {
        if self.noise > FINE_MAX_NOISE {
            // Full resolution is noisier still: nothing that small is readable there.
            return None;
        }
        let small_finder = |c: &Finder| {
            c.module < FINE_TRIGGER_MODULE
                && (c.count >= FINE_TRIGGER_COUNT || c.module < FINE_TRIGGER_TINY_MODULE)
        };
        if !force && !self.finders.iter().any(small_finder) {
            return None;
        }
        let lazy = binarize::Lazy {
            view: *src,
            coarse: &self.bin,
            f,
        };
        finder::find(&lazy, 3, &mut self.finders);
        let small = 2.0 * f as f64 + 1.0;
        self.finders.retain(|c| c.module < small);
        if self.finders.is_empty() {
            return None;
        }
        self.finders.sort_by_key(|c| std::cmp::Reverse(c.count));
        let n = self.finders.len().min(TRIPLE_CANDIDATES);
        grid::triples(&self.finders[..n], &mut self.triples);
        let (min, max, module) = match self.triples.first() {
            Some(t) => {
                let d = (t.b.x + t.c.x - t.a.x, t.b.y + t.c.y - t.a.y);
                let xs = [t.a.x, t.b.x, t.c.x, d.0];
                let ys = [t.a.y, t.b.y, t.c.y, d.1];
                let min = (
                    xs.iter().cloned().fold(f64::MAX, f64::min),
                    ys.iter().cloned().fold(f64::MAX, f64::min),
                );
                let max = (
                    xs.iter().cloned().fold(f64::MIN, f64::max),
                    ys.iter().cloned().fold(f64::MIN, f64::max),
                );
                (min, max, t.a.module)
            }
            None => {
                // A lone finder: the code may extend up to ~70 modules from it either way.
                let c = self.finders[0];
                let r = 66.0 * c.module;
                ((c.x - r, c.y - r), (c.x + r, c.y + r), c.module)
            }
        };
        let margin = 10.0 * module + 0.1 * (max.0 - min.0).max(max.1 - min.1);
        let mut rect = Rect::around(min, max, margin, src.w, src.h);
        // On the full frame's grid of threshold blocks, so that the region is binarised as
        // the frame would be at this scale (a grid shifted against the code's finders lost
        // two of three of them in `small 1920 36`).
        rect.x0 -= rect.x0 % binarize::BLOCK;
        rect.y0 -= rect.y0 % binarize::BLOCK;
        Some(rect)
    }
}

fn to_source(loc: Located, rect: Rect, f: usize) -> Located {
    let s = f as f64;
    let map = |(x, y): (f64, f64)| (rect.x0 as f64 + x * s, rect.y0 as f64 + y * s);
    Located {
        corners: loc.corners.map(map),
        module: loc.module * s,
    }
}

/// Factor by which a frame is first read: the long side at most about 1000 pixels.
fn coarse_factor(w: usize, h: usize) -> usize {
    let long = w.max(h);
    if long <= 1024 {
        1
    } else if long <= 2048 {
        2
    } else {
        long.div_ceil(1024).min(8)
    }
}

/// The finder module (px of the pass's plane) from which a frame read at full or half size
/// that did not read is read again at half that scale (tuning split at 120 per size: screen
/// 96.9 -> 98.1 % at full size; at half size, low contrast + noise 97.5 -> 98.6 % and uneven
/// light 96.9 -> 97.2 %, large-module codes at 1920×1080).
const HALVE_MIN_MODULE: f64 = 6.0;

/// The scan lines that must confirm such a finder (noise makes large finder-like blobs seen by
/// one or two lines, and re-reading each of those frames doubled their time: 2.6 -> 5.1 ms on
/// the tuning frame `nocode:noise 1920 6`).
const HALVE_MIN_COUNT: u32 = 3;

/// The scan lines that must confirm a finder before a frame that did not read is read again
/// with each block thresholded at its own midpoint (tuning split at 120 per size: uneven light
/// 97.2 -> 97.8 %, mixed 97.8 -> 98.1 %; frames without a code no slower).
const OWN_BLOCK_MIN_COUNT: u32 = 5;

/// Factor at which a region with modules of `module` source pixels is read again.
fn refine_factor(module: f64) -> usize {
    let mut f = 1;
    while f < 8 && module / (2 * f) as f64 >= 3.0 {
        f *= 2;
    }
    f
}

/// A stateful QR reader for a stream of camera frames.
///
/// Reuse one processor for consecutive frames: it keeps its buffers and remembers where the
/// last code was found, which it tries first in the next frame.
#[derive(Debug, Default)]
pub struct QrProcessor {
    work: Work,
    last: Option<Located>,
    /// Consecutive frames without a code.
    misses: u32,
}

impl QrProcessor {
    /// A processor with empty buffers and no remembered code location.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets the stream's history: the remembered location of the last code and the count
    /// of frames without a code (after a reset, a frame is read exactly as the first one).
    pub fn reset(&mut self) {
        self.last = None;
        self.misses = 0;
    }

    /// Reads one camera frame: an 8-bit luma (grey) plane of `width` × `height` pixels whose
    /// rows start `stride` bytes apart. Returns the raw bytes of the first QR code read, or
    /// `None` (also for invalid dimensions or a too short buffer; it never panics).
    ///
    /// Codes may be dark on light or light on dark, rotated, tilted, blurred or noisy. Cost
    /// is bounded per frame: a frame without finder-pattern candidates is rejected after the
    /// coarse scan. See [`luma_from_yuyv`] and [`luma_from_nv12`] for camera buffers.
    pub fn process_frame(
        &mut self,
        luma: &[u8],
        width: usize,
        height: usize,
        stride: usize,
    ) -> Option<Vec<u8>> {
        let view = View::new(luma, width, height, stride)?;
        // Where the last code was.
        if let Some(last) = self.last.take() {
            if let Some((bytes, loc)) = self.read_near(&view, &last) {
                self.last = Some(loc);
                return Some(bytes);
            }
        }
        // Every few frames without a code, scan the full resolution even without a coarse
        // hint: codes with modules of about 2 px leave none at the coarse scale, and this
        // finds them within a few frames at a fraction of the cost per frame.
        let force_fine = self.misses % FORCED_FINE_EVERY == FORCED_FINE_EVERY - 1;
        let found = read(&mut self.work, &view, false, force_fine);
        self.misses = if found.is_some() {
            0
        } else {
            self.misses.wrapping_add(1)
        };
        self.last = found.as_ref().map(|(_, l)| *l);
        found.map(|(b, _)| b)
    }

    fn read_near(&mut self, view: &View<'_>, last: &Located) -> Option<(Vec<u8>, Located)> {
        let xs = last.corners.map(|c| c.0);
        let ys = last.corners.map(|c| c.1);
        let min = (
            xs.iter().cloned().fold(f64::MAX, f64::min),
            ys.iter().cloned().fold(f64::MAX, f64::min),
        );
        let max = (
            xs.iter().cloned().fold(f64::MIN, f64::max),
            ys.iter().cloned().fold(f64::MIN, f64::max),
        );
        let side = (max.0 - min.0).max(max.1 - min.1);
        let rect = Rect::around(min, max, side * 0.3 + 8.0 * last.module, view.w, view.h);
        let f = refine_factor(last.module);
        match self.work.pass(view, rect, f) {
            Pass::Found(b, l) => Some((b, l)),
            _ => None,
        }
    }
}

/// The full pipeline on one frame. `exhaustive` (still images) adds full-frame passes at every
/// finer scale when the coarse pass finds nothing.
fn read(
    work: &mut Work,
    view: &View<'_>,
    exhaustive: bool,
    force_fine: bool,
) -> Option<(Vec<u8>, Located)> {
    let full = Rect::full(view.w, view.h);
    let mut f = coarse_factor(view.w, view.h);
    loop {
        let saw = match work.pass(view, full, f) {
            Pass::Found(b, l) => return Some((b, l)),
            Pass::Candidates => true,
            Pass::Nothing => false,
        };
        // What this pass saw, before the passes below replace its finders.
        let large = saw
            && (work.finders.iter())
                .any(|c| c.module >= HALVE_MIN_MODULE && c.count >= HALVE_MIN_COUNT);
        let strong = saw && work.finders.iter().any(|c| c.count >= OWN_BLOCK_MIN_COUNT);
        if strong {
            work.keep_plane();
        }
        // First the full-resolution scan, which thresholds with this pass's map.
        if f > 1 {
            // Small codes (2-2.5 px per module) often show no finder at this scale at all: the
            // full-resolution scan runs anyway where the pass saw nothing, and on every frame
            // of up to 1280 px, where it costs little.
            let anyway = !saw || view.w.max(view.h) <= FINE_ALWAYS_MAX_SIDE;
            if let Some(rect) = work.fine_region(view, f, force_fine || exhaustive || anyway) {
                if let Pass::Found(b, l) = work.pass(view, rect, 1) {
                    return Some((b, l));
                }
            }
        }
        // A frame whose finders have large modules at this scale is read again at half of
        // it: a screen's pixel grid or moire over the code's light modules, or sensor noise
        // over a low-contrast code, breaks their runs, and averaging 2×2 pixels smooths it
        // away.
        if large && f <= 2 {
            if let Pass::Found(b, l) = work.pass(view, full, 2 * f) {
                return Some((b, l));
            }
        }
        // A finder seen on many scan lines, and no code read: perhaps a shadow's edge runs
        // across the others, and a neighbourhood's average threshold, taken across the edge,
        // lost them. Read again with each block at its own threshold.
        if strong {
            if let Pass::Found(b, l) = work.pass_on_kept(full, f, true) {
                return Some((b, l));
            }
        }
        if !exhaustive || f == 1 {
            return None;
        }
        f /= 2;
    }
}

/// Diagnostics for development (not a stable API): what one coarse pass over a frame saw,
/// with the time of each stage (best of 10).
#[doc(hidden)]
pub fn trace_pass(luma: &[u8], width: usize, height: usize, factor: usize) -> String {
    use std::fmt::Write;
    use std::time::Instant;
    let Some(view) = View::new(luma, width, height, width) else {
        return "invalid".into();
    };
    let mut work = Work::default();
    let rect = Rect::full(width, height);
    let mut s = String::new();
    let mut times = [f64::MAX; 7];
    let mut fine = 0;
    for _ in 0..10 {
        let mut t = Instant::now();
        let mut lap = |i: usize, t: &mut Instant| {
            times[i] = times[i].min(t.elapsed().as_secs_f64() * 1e3);
            *t = Instant::now();
        };
        plane::extract(&view, rect, factor, &mut work.plane);
        lap(0, &mut t);
        let noisy = plane::noise_sigma(&work.plane, &mut work.scratch32) > NOISY_SIGMA;
        lap(1, &mut t);
        if noisy {
            plane::smooth3(&mut work.plane, &mut work.scratch16);
        }
        lap(2, &mut t);
        work.bin.compute(&work.plane);
        lap(3, &mut t);
        finder::find(&work.bin, 2, &mut work.finders);
        lap(4, &mut t);
        let _ = work.pass(&view, rect, factor);
        lap(5, &mut t);
        if factor > 1 {
            let lazy = binarize::Lazy {
                view,
                coarse: &work.bin,
                f: factor,
            };
            let mut v = Vec::new();
            finder::find(&lazy, 3, &mut v);
            fine = v.len();
        }
        lap(6, &mut t);
    }
    let _ = writeln!(
        s,
        "ms: extract {:.2} noise {:.2} smooth {:.2} binarise {:.2} find {:.2} | whole pass {:.2} | fine scan {:.2} ({fine} cands)",
        times[0], times[1], times[2], times[3], times[4], times[5], times[6]
    );
    work.trace = Trace(Some(String::new()));
    let r = work.pass(&view, rect, factor);
    let _ = writeln!(s, "plane {}x{} factor {factor}", work.plane.w, work.plane.h);
    if let Ok(path) = std::env::var("QR_TRACE_BIN") {
        let mut pgm = format!("P5\n{} {}\n255\n", work.bin.w, work.bin.h).into_bytes();
        pgm.extend(
            work.bin
                .bits
                .iter()
                .map(|&b| if b != 0 { 0u8 } else { 255 }),
        );
        let _ = std::fs::write(path, pgm);
    }
    for f in &work.finders {
        let _ = writeln!(
            s,
            "  finder ({:.1},{:.1}) m={:.2} n={} inv={}",
            f.x, f.y, f.module, f.count, f.inv
        );
    }
    let _ = writeln!(s, "  triples {}", work.triples.len());
    s.push_str(work.trace.0.as_deref().unwrap_or(""));
    let _ = writeln!(
        s,
        "  result {}",
        match r {
            Pass::Found(b, l) => format!("found {} bytes, module {:.2}", b.len(), l.module),
            Pass::Candidates => "candidates only".into(),
            Pass::Nothing => "nothing".into(),
        }
    );
    s
}

/// Reads a QR code from a still image or a screenshot (e.g. a whole multi-monitor desktop
/// at HiDPI): an 8-bit luma plane of `width` × `height` pixels, `width` bytes per row.
///
/// Searches at a coarse scale first, refines around candidates at full resolution, and falls
/// back to full-frame passes at every finer scale, so a code anywhere on a 4K screenshot is
/// found in a few tens of milliseconds. Returns the raw bytes of the first code read.
pub fn decode_image(luma: &[u8], width: usize, height: usize) -> Option<Vec<u8>> {
    decode_image_strided(luma, width, height, width)
}

/// [`decode_image`] for a plane whose rows start `stride` bytes apart.
pub fn decode_image_strided(
    luma: &[u8],
    width: usize,
    height: usize,
    stride: usize,
) -> Option<Vec<u8>> {
    let view = View::new(luma, width, height, stride)?;
    let mut work = Work::default();
    read(&mut work, &view, true, true).map(|(b, _)| b)
}

/// Every QR code on a still image or screenshot (see [`decode_image`]), at most `max`, each
/// once, in the order found: a desktop may show several (two browser windows, a code of
/// another kind next to the website's), and the caller picks. Each code found is blanked out
/// of a copy of the plane (with its quiet zone) before the next search.
pub fn decode_image_all(luma: &[u8], width: usize, height: usize, max: usize) -> Vec<Vec<u8>> {
    let mut found: Vec<Vec<u8>> = Vec::new();
    if View::new(luma, width, height, width).is_none() {
        return found;
    }
    let mut plane = luma[..width * height].to_vec();
    let mut work = Work::default();
    // Each pass blanks what it read, so a screen of many copies of one code ends too.
    for _ in 0..max.saturating_mul(2) {
        if found.len() >= max {
            break;
        }
        let Some(view) = View::new(&plane, width, height, width) else {
            break;
        };
        let Some((bytes, located)) = read(&mut work, &view, true, true) else {
            break;
        };
        let first_time = !found.contains(&bytes);
        if first_time {
            found.push(bytes);
        }
        let blanked = blank(&mut plane, width, height, &located);
        if !first_time && !blanked {
            break; // nothing left to remove: the same code would be read again
        }
    }
    found
}

/// Paints the code at `located` and its quiet zone white; returns whether anything was painted.
fn blank(plane: &mut [u8], width: usize, height: usize, located: &Located) -> bool {
    let margin = 4.0 * located.module + 2.0;
    let xs = located.corners.map(|c| c.0);
    let ys = located.corners.map(|c| c.1);
    let clamp = |v: f64, hi: usize| v.max(0.0).min(hi as f64) as usize;
    let x0 = clamp(xs.iter().cloned().fold(f64::MAX, f64::min) - margin, width);
    let x1 = clamp(xs.iter().cloned().fold(f64::MIN, f64::max) + margin, width);
    let y0 = clamp(ys.iter().cloned().fold(f64::MAX, f64::min) - margin, height);
    let y1 = clamp(ys.iter().cloned().fold(f64::MIN, f64::max) + margin, height);
    for y in y0..y1 {
        plane[y * width + x0..y * width + x1].fill(255);
    }
    x1 > x0 && y1 > y0
}

/// Reads a QR code from the bytes of a PNG or JPEG file (see [`decode_image`]).
/// `Ok(None)` if the image holds no readable code.
#[cfg(feature = "files")]
pub fn decode_file(bytes: &[u8]) -> Result<Option<Vec<u8>>, files::ImageError> {
    let img = files::load_luma(bytes)?;
    Ok(decode_image(&img.data, img.width, img.height))
}
