//! Deterministic, generated QR test corpus (no downloaded images).
//!
//! Shared by the integration tests (`tests/corpus.rs`) and the benchmark
//! (`benches/qr_bench.rs`) through `#[path]`. Every frame is a pure function of its seed.
//!
//! Codes are made with the `qrcode` crate from random binary payloads and rendered into a
//! synthetic camera frame: a background scene (illumination gradient and clutter), a "card"
//! (the code with a quiet zone of at least 4 modules) mapped by a homography (scale, rotation,
//! optional keystone tilt), 2×2 supersampled edges, gaussian lens blur, photometric contrast and
//! gaussian sensor noise, all seeded.
//!
//! Payload rule (versions 2..=13, nominal payloads of 100 and 300 bytes): if the nominal size
//! fits the version at some error-correction level, the payload has that size and the highest
//! level that holds it; otherwise (100 bytes for versions 2-4, 300 bytes for versions 2-10) the
//! payload is the version's byte capacity at level M (26, 42, 62, 84, 106, 122, 152, 180, 213
//! bytes for versions 2-10) with level M.
#![allow(dead_code, missing_docs)]

use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};

/// splitmix64: tiny, seedable, good enough for test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5851_F42D_4C95_7F2D)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn gauss(&mut self) -> f64 {
        let u1 = self.f64().max(1e-12);
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// Byte-mode capacity of versions 1..=13 at levels L, M, Q, H.
const BYTE_CAPACITY: [[usize; 4]; 13] = [
    [17, 14, 11, 7],
    [32, 26, 20, 14],
    [53, 42, 32, 24],
    [78, 62, 46, 34],
    [106, 84, 60, 44],
    [134, 106, 74, 58],
    [154, 122, 86, 64],
    [192, 152, 108, 84],
    [230, 180, 130, 98],
    [271, 213, 151, 119],
    [321, 251, 177, 137],
    [367, 287, 203, 155],
    [425, 331, 241, 177],
];

const LEVELS: [EcLevel; 4] = [EcLevel::L, EcLevel::M, EcLevel::Q, EcLevel::H];

/// Payload length and EC level for `version` and a nominal payload size (see module docs).
pub fn payload_plan(version: usize, nominal: usize) -> (usize, EcLevel) {
    let caps = BYTE_CAPACITY[version - 1];
    for level in (0..4).rev() {
        if caps[level] >= nominal {
            return (nominal, LEVELS[level]);
        }
    }
    (caps[1], EcLevel::M)
}

/// A QR code as a square matrix of modules (`true` = dark), without quiet zone.
#[derive(Clone, Debug)]
pub struct Code {
    pub size: usize,
    pub dark: Vec<bool>,
    pub payload: Vec<u8>,
    pub version: usize,
    pub ec: EcLevel,
}

/// Makes a code of `version` with a random binary payload of the planned length.
pub fn make_code(rng: &mut Rng, version: usize, nominal: usize) -> Code {
    let (len, ec) = payload_plan(version, nominal);
    let payload = rng.bytes(len);
    code_for(&payload, version, ec)
}

/// Encodes `payload` at a fixed version and level (panics if it does not fit: test data only).
pub fn code_for(payload: &[u8], version: usize, ec: EcLevel) -> Code {
    // Byte mode only (the optimiser could pick numeric, alphanumeric or Kanji segments).
    let mut bits = Bits::new(Version::Normal(version as i16));
    bits.push_byte_data(payload)
        .expect("payload fits the version");
    bits.push_terminator(ec).expect("payload fits the version");
    let qr = QrCode::with_bits(bits, ec).expect("payload fits the version");
    let size = qr.width();
    let dark = qr
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Code {
        size,
        dark,
        payload: payload.to_vec(),
        version,
        ec,
    }
}

/// The frame categories of the benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    Clean,
    Rotated,
    Blurred,
    LowContrastNoise,
    Small,
    Inverted,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::Clean,
        Category::Rotated,
        Category::Blurred,
        Category::LowContrastNoise,
        Category::Small,
        Category::Inverted,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Category::Clean => "clean",
            Category::Rotated => "rotated",
            Category::Blurred => "blurred",
            Category::LowContrastNoise => "lowcontrast+noise",
            Category::Small => "small",
            Category::Inverted => "inverted",
        }
    }
}

/// The three frame sizes of the benchmark.
pub const SIZES: [(usize, usize); 3] = [(640, 480), (1280, 720), (1920, 1080)];

/// A generated frame with the payload it carries (if any).
#[derive(Clone, Debug)]
pub struct Frame {
    pub width: usize,
    pub height: usize,
    pub luma: Vec<u8>,
    pub payload: Option<Vec<u8>>,
    pub version: usize,
    pub module_px: f64,
}

/// How a code is placed and photographed.
#[derive(Clone, Debug)]
pub struct Scene {
    /// Pixels per module.
    pub module_px: f64,
    /// Rotation in degrees.
    pub angle_deg: f64,
    /// Keystone: projective terms (per pixel of code width) in x and y.
    pub tilt: (f64, f64),
    /// Gaussian blur sigma in pixels.
    pub blur: f64,
    /// Gaussian noise sigma in grey levels.
    pub noise: f64,
    /// Grey level of dark modules and of the paper (light modules and quiet zone).
    pub ink: f64,
    pub paper: f64,
    /// Background scene brightness range.
    pub bg: (f64, f64),
    /// Quiet zone in modules (≥ 4).
    pub quiet: f64,
}

/// Frame `index` of `category` at size `w`×`h` (deterministic in `seed`).
pub fn frame(category: Category, w: usize, h: usize, seed: u64) -> Frame {
    let mut rng = Rng::new(seed);
    let version = 2 + rng.below(12);
    let nominal = if rng.below(2) == 0 { 100 } else { 300 };
    let code = make_code(&mut rng, version, nominal);
    let n = code.size as f64;
    let span = n + 8.0; // code plus quiet zones
    let hf = h as f64;
    let angle = match category {
        Category::Rotated => rng.range(15.0, 25.0) * if rng.below(2) == 0 { 1.0 } else { -1.0 },
        _ => rng.range(-3.0, 3.0),
    };
    let rot_factor = angle.to_radians().cos().abs() + angle.to_radians().sin().abs();
    let max_m = 0.9 * hf / (span * rot_factor);
    let module_px = match category {
        Category::Small => rng.range(2.0, 4.0).min(max_m),
        _ => {
            let lo = (0.35 * hf / span).max(3.0);
            rng.range(lo.min(max_m), max_m)
        }
    };
    let mut scene = Scene {
        module_px,
        angle_deg: angle,
        tilt: (rng.range(-0.08, 0.08), rng.range(-0.08, 0.08)),
        blur: 0.6,
        noise: 2.0,
        ink: rng.range(20.0, 50.0),
        paper: rng.range(200.0, 240.0),
        bg: (rng.range(60.0, 120.0), rng.range(140.0, 230.0)),
        quiet: 4.0 + rng.range(0.0, 2.0),
    };
    match category {
        Category::Clean | Category::Rotated => {}
        Category::Blurred => scene.blur = module_px * rng.range(0.22, 0.38),
        Category::LowContrastNoise => {
            let mid = rng.range(110.0, 150.0);
            let contrast = rng.range(35.0, 50.0);
            scene.ink = mid - contrast / 2.0;
            scene.paper = mid + contrast / 2.0;
            scene.bg = (mid - 30.0, mid + 20.0);
            scene.noise = rng.range(6.0, 10.0);
        }
        Category::Small => {
            scene.blur = 0.5;
            scene.noise = 3.0;
        }
        Category::Inverted => {
            scene.ink = rng.range(190.0, 235.0);
            scene.paper = rng.range(15.0, 45.0);
            scene.bg = (rng.range(10.0, 30.0), rng.range(40.0, 70.0));
        }
    }
    let luma = render(&code, &scene, w, h, &mut rng);
    Frame {
        width: w,
        height: h,
        luma,
        payload: Some(code.payload),
        version,
        module_px,
    }
}

/// Renders `code` into a `w`×`h` frame, at a random position.
pub fn render(code: &Code, s: &Scene, w: usize, h: usize, rng: &mut Rng) -> Vec<u8> {
    let n = code.size as f64;
    let m = s.module_px;
    let (sin, cos) = s.angle_deg.to_radians().sin_cos();
    let half = (n / 2.0 + s.quiet) * m;
    let extent = half * (sin.abs() + cos.abs()) * 1.2;
    let cx = rng.range(
        extent.min(w as f64 / 2.0),
        (w as f64 - extent).max(w as f64 / 2.0),
    );
    let cy = rng.range(
        extent.min(h as f64 / 2.0),
        (h as f64 - extent).max(h as f64 / 2.0),
    );
    let mut img = background(w, h, s.bg, rng, Some((cx, cy, extent)));
    // Forward map from code coordinates (u, v in modules, centred) to pixels:
    // p = rotate(scale(u, v)) / (1 + tx*u' + ty*v') + centre; inverted per pixel below.
    let (tx, ty) = (s.tilt.0 / (n * m), s.tilt.1 / (n * m));
    let x0 = (cx - extent).floor().max(0.0) as usize;
    let x1 = ((cx + extent).ceil() as usize).min(w);
    let y0 = (cy - extent).floor().max(0.0) as usize;
    let y1 = ((cy + extent).ceil() as usize).min(h);
    let sub = [0.25, 0.75];
    for y in y0..y1 {
        for x in x0..x1 {
            let mut acc = 0.0;
            let mut inside = 0;
            for &sy in &sub {
                for &sx in &sub {
                    let px = x as f64 + sx - cx;
                    let py = y as f64 + sy - cy;
                    // Invert the projective division: q = p * (1 + t.q) => solve for q.
                    // With q = (qx, qy): qx = px (1 + tx qx + ty qy), qy = py (1 + tx qx + ty qy)
                    // => d = 1 / (1 - tx px - ty py); q = p d.
                    let den = 1.0 - tx * px - ty * py;
                    if den <= 0.05 {
                        continue;
                    }
                    let qx = px / den;
                    let qy = py / den;
                    // Undo rotation and scale.
                    let u = (cos * qx + sin * qy) / m + n / 2.0;
                    let v = (-sin * qx + cos * qy) / m + n / 2.0;
                    if u < -s.quiet || v < -s.quiet || u >= n + s.quiet || v >= n + s.quiet {
                        continue;
                    }
                    inside += 1;
                    let (iu, iv) = (u.floor(), v.floor());
                    let dark = iu >= 0.0
                        && iv >= 0.0
                        && iu < n
                        && iv < n
                        && code.dark[iv as usize * code.size + iu as usize];
                    acc += if dark { s.ink } else { s.paper };
                }
            }
            if inside > 0 {
                let bg = img[y * w + x] as f64;
                let v = (acc + bg * (4 - inside) as f64) / 4.0;
                img[y * w + x] = v.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    finish(&mut img, w, h, s.blur, s.noise, rng);
    img
}

/// Lens blur then sensor noise.
pub fn finish(img: &mut [u8], w: usize, h: usize, blur: f64, noise: f64, rng: &mut Rng) {
    if blur > 0.3 {
        gaussian_blur(img, w, h, blur);
    }
    if noise > 0.0 {
        for p in img.iter_mut() {
            *p = (*p as f64 + rng.gauss() * noise).round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// Separable gaussian blur (clamped edges).
pub fn gaussian_blur(img: &mut [u8], w: usize, h: usize, sigma: f64) {
    let r = (sigma * 3.0).ceil() as isize;
    let k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp() as f32)
        .collect();
    let sum: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|v| v / sum).collect();
    let mut tmp = vec![0f32; w * h];
    for y in 0..h {
        let row = &img[y * w..(y + 1) * w];
        for x in 0..w {
            let mut a = 0.0;
            for (i, kv) in k.iter().enumerate() {
                let xx = (x as isize + i as isize - r).clamp(0, w as isize - 1) as usize;
                a += kv * row[xx] as f32;
            }
            tmp[y * w + x] = a;
        }
    }
    for y in 0..h {
        for x in 0..w {
            let mut a = 0.0;
            for (i, kv) in k.iter().enumerate() {
                let yy = (y as isize + i as isize - r).clamp(0, h as isize - 1) as usize;
                a += kv * tmp[yy * w + x];
            }
            img[y * w + x] = a.round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// A background scene: illumination gradient plus clutter (rectangles, text-like strokes),
/// keeping clear of `keep_out` (centre x, centre y, half extent).
pub fn background(
    w: usize,
    h: usize,
    (lo, hi): (f64, f64),
    rng: &mut Rng,
    keep_out: Option<(f64, f64, f64)>,
) -> Vec<u8> {
    let mut img = vec![0u8; w * h];
    let (gx, gy) = (rng.range(-1.0, 1.0), rng.range(-1.0, 1.0));
    let mid = (lo + hi) / 2.0;
    let amp = (hi - lo) / 2.0;
    for y in 0..h {
        for x in 0..w {
            let t = gx * (x as f64 / w as f64 - 0.5) + gy * (y as f64 / h as f64 - 0.5);
            img[y * w + x] = (mid + amp * t).clamp(0.0, 255.0) as u8;
        }
    }
    let clear = |x: f64, y: f64, rw: f64, rh: f64| match keep_out {
        Some((cx, cy, e)) => {
            x + rw < cx - e - 4.0 || x > cx + e + 4.0 || y + rh < cy - e - 4.0 || y > cy + e + 4.0
        }
        None => true,
    };
    // Rectangles.
    for _ in 0..12 {
        let rw = rng.range(20.0, w as f64 / 4.0);
        let rh = rng.range(20.0, h as f64 / 4.0);
        let x = rng.range(0.0, w as f64 - rw);
        let y = rng.range(0.0, h as f64 - rh);
        if !clear(x, y, rw, rh) {
            continue;
        }
        let v = rng.range(lo, hi) as u8;
        fill_rect(
            &mut img,
            w,
            x as usize,
            y as usize,
            rw as usize,
            rh as usize,
            v,
        );
    }
    // Text-like lines: runs of small glyph blocks.
    for _ in 0..8 {
        let gh = rng.range(6.0, 16.0);
        let len = rng.range(80.0, w as f64 / 2.0);
        let x = rng.range(0.0, w as f64 - len);
        let y = rng.range(0.0, h as f64 - gh);
        if !clear(x, y, len, gh) {
            continue;
        }
        let ink = (lo * 0.5) as u8;
        let mut gx = x;
        while gx < x + len {
            let gw = rng.range(gh * 0.3, gh * 0.8);
            if rng.below(6) != 0 {
                // A glyph: a couple of strokes.
                fill_rect(&mut img, w, gx as usize, y as usize, 2, gh as usize, ink);
                let bar_y = y + rng.range(0.0, gh - 2.0);
                fill_rect(
                    &mut img,
                    w,
                    gx as usize,
                    bar_y as usize,
                    gw as usize,
                    2,
                    ink,
                );
            }
            gx += gw + rng.range(2.0, 5.0);
        }
    }
    img
}

pub fn fill_rect(img: &mut [u8], w: usize, x: usize, y: usize, rw: usize, rh: usize, v: u8) {
    let h = img.len() / w;
    for yy in y..(y + rh).min(h) {
        for xx in x..(x + rw).min(w) {
            img[yy * w + xx] = v;
        }
    }
}

/// Kinds of frames without a code, for false-positive tests.
pub const NO_CODE_KINDS: [&str; 6] = [
    "noise",
    "gradient",
    "scene",
    "text",
    "checker",
    "scene-noisy",
];

/// A frame without any code.
pub fn no_code_frame(kind: &str, w: usize, h: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    match kind {
        "noise" => rng.bytes(w * h),
        "gradient" => {
            let mut img = background(w, h, (20.0, 235.0), &mut rng, None);
            // background() adds clutter; a pure gradient is wanted here.
            for y in 0..h {
                for x in 0..w {
                    img[y * w + x] =
                        ((x * 255) / w.max(1)) as u8 / 2 + ((y * 255) / h.max(1)) as u8 / 2;
                }
            }
            img
        }
        "scene" => {
            let mut img = background(w, h, (40.0, 220.0), &mut rng, None);
            finish(&mut img, w, h, 0.7, 2.0, &mut rng);
            img
        }
        "text" => {
            let mut img = vec![230u8; w * h];
            let mut y = 4.0;
            while y + 14.0 < h as f64 {
                let gh = rng.range(7.0, 12.0);
                let mut x = 6.0;
                while x + 12.0 < w as f64 {
                    let gw = rng.range(3.0, 8.0);
                    for _ in 0..3 {
                        let sx = x + rng.range(0.0, gw);
                        let sy = y + rng.range(0.0, gh);
                        let (rw, rh) = if rng.below(2) == 0 {
                            (2, gh as usize / 2)
                        } else {
                            (gw as usize, 2)
                        };
                        fill_rect(&mut img, w, sx as usize, sy as usize, rw, rh, 20);
                    }
                    x += gw + rng.range(1.0, 3.0) + if rng.below(6) == 0 { 6.0 } else { 0.0 };
                }
                y += gh + rng.range(4.0, 8.0);
            }
            finish(&mut img, w, h, 0.6, 2.0, &mut rng);
            img
        }
        "checker" => {
            let cell = 2 + rng.below(14);
            let mut img = vec![0u8; w * h];
            for y in 0..h {
                for x in 0..w {
                    img[y * w + x] = if (x / cell + y / cell).is_multiple_of(2) {
                        30
                    } else {
                        220
                    };
                }
            }
            finish(&mut img, w, h, 0.6, 2.0, &mut rng);
            img
        }
        _ => {
            let mut img = background(w, h, (60.0, 200.0), &mut rng, None);
            finish(&mut img, w, h, 1.0, 8.0, &mut rng);
            img
        }
    }
}

/// A 3840×2160 desktop-screenshot-like image (windows, title bars, text) with one code on it,
/// drawn crisply (integer module size, as a HiDPI screen renders it), `module_px` pixels per
/// module. Returns the frame; `payload` is the code's.
pub fn screenshot_4k(seed: u64, module_px: usize) -> Frame {
    let (w, h) = (3840usize, 2160usize);
    let mut rng = Rng::new(seed);
    let version = 2 + rng.below(12);
    let nominal = if rng.below(2) == 0 { 100 } else { 300 };
    let code = make_code(&mut rng, version, nominal);
    let mut img = vec![235u8; w * h];
    // Desktop wallpaper gradient.
    for y in 0..h {
        for x in 0..w {
            img[y * w + x] = (80 + (x * 60) / w + (y * 40) / h) as u8;
        }
    }
    // Windows with title bars and text.
    for _ in 0..6 {
        let ww = rng.range(800.0, 2000.0) as usize;
        let wh = rng.range(500.0, 1400.0) as usize;
        let x = rng.below(w - ww);
        let y = rng.below(h - wh);
        fill_rect(&mut img, w, x, y, ww, wh, 250);
        fill_rect(&mut img, w, x, y, ww, 56, 200);
        let mut ty = y + 80;
        while ty + 30 < y + wh {
            let mut tx = x + 30;
            let end = x + 30 + rng.below(ww - 60);
            while tx + 20 < end {
                let gw = 8 + rng.below(14);
                fill_rect(&mut img, w, tx, ty, 3, 22, 30);
                fill_rect(&mut img, w, tx, ty + rng.below(18), gw, 3, 30);
                tx += gw + 4 + if rng.below(6) == 0 { 14 } else { 0 };
            }
            ty += 40;
        }
    }
    // The code, in a white box with a quiet zone.
    let n = code.size;
    let side = (n + 8) * module_px;
    let x0 = rng.below(w - side);
    let y0 = rng.below(h - side);
    fill_rect(&mut img, w, x0, y0, side, side, 255);
    for v in 0..n {
        for u in 0..n {
            if code.dark[v * n + u] {
                let px = x0 + (u + 4) * module_px;
                let py = y0 + (v + 4) * module_px;
                fill_rect(&mut img, w, px, py, module_px, module_px, 0);
            }
        }
    }
    Frame {
        width: w,
        height: h,
        luma: img,
        payload: Some(code.payload),
        version,
        module_px: module_px as f64,
    }
}
