//! Light, lens and sensor: illumination fields (gradients, shadow bands, dark corners),
//! glare, gaussian and motion blur, gamma encoding with sensor noise, and the artefacts of
//! JPEG compression. Images are linear radiance (`f32`, 1.0 = white) until [`expose`].

use super::Rng;

/// Illumination across the frame, as a factor on the scene's reflectance.
#[derive(Clone, Debug, Default)]
pub struct Light {
    /// Linear gradient: factor `1 + gx (x/w - 1/2) + gy (y/h - 1/2)`.
    pub gradient: (f64, f64),
    pub shadow: Option<Shadow>,
    pub dark_corner: Option<DarkCorner>,
}

/// A shadow band (an arm, a phone, a window frame) across the scene.
#[derive(Clone, Copy, Debug)]
pub struct Shadow {
    /// A point on the band's centre line (pixels) and the line's direction (degrees).
    pub through: (f64, f64),
    pub angle_deg: f64,
    /// Width of the band and of its soft edges (pixels).
    pub width: f64,
    pub softness: f64,
    /// Light left inside the band (0..1).
    pub depth: f64,
}

/// Light falling off towards a point (a corner of the code out of the lamp's reach).
#[derive(Clone, Copy, Debug)]
pub struct DarkCorner {
    pub at: (f64, f64),
    /// Distance (pixels) at which the light is full again.
    pub radius: f64,
    /// Light left at the point itself (0..1).
    pub depth: f64,
}

fn smoothstep(t: f64) -> f64 {
    let t = t.clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

impl Light {
    /// The illumination factor at pixel (x, y) of a `w`×`h` frame.
    pub fn at(&self, x: f64, y: f64, w: f64, h: f64) -> f64 {
        let normal = self
            .shadow
            .map_or((0.0, 0.0), |s| s.angle_deg.to_radians().sin_cos());
        self.at_with(x, y, w, h, normal)
    }

    /// [`Light::at`] with the shadow line's (sin, cos) computed once per frame.
    fn at_with(&self, x: f64, y: f64, w: f64, h: f64, (sn, cs): (f64, f64)) -> f64 {
        let mut l = 1.0 + self.gradient.0 * (x / w - 0.5) + self.gradient.1 * (y / h - 0.5);
        if let Some(s) = &self.shadow {
            // Distance from the centre line, then how far inside the band's edge.
            let d = ((x - s.through.0) * -sn + (y - s.through.1) * cs).abs();
            let inside = smoothstep((s.width / 2.0 - d) / s.softness.max(0.5) + 0.5);
            l *= 1.0 - (1.0 - s.depth) * inside;
        }
        if let Some(c) = &self.dark_corner {
            let d = ((x - c.at.0).powi(2) + (y - c.at.1).powi(2)).sqrt() / c.radius;
            l *= c.depth + (1.0 - c.depth) * smoothstep(d);
        }
        l.max(0.02)
    }
}

/// Multiplies the image by the illumination field, pixel by pixel.
pub fn illuminate(buf: &mut [f32], w: usize, h: usize, light: &Light) {
    let (wf, hf) = (w as f64, h as f64);
    let normal = light
        .shadow
        .map_or((0.0, 0.0), |s| s.angle_deg.to_radians().sin_cos());
    for y in 0..h {
        for x in 0..w {
            let l = light.at_with(x as f64 + 0.5, y as f64 + 0.5, wf, hf, normal);
            buf[y * w + x] *= l as f32;
        }
    }
}

/// A specular highlight: an elliptical gaussian of light added to the scene.
#[derive(Clone, Copy, Debug)]
pub struct Glare {
    pub at: (f64, f64),
    /// Standard deviation along the long axis (pixels), the ratio of the axes, the direction.
    pub radius: f64,
    pub aspect: f64,
    pub angle_deg: f64,
    /// Added radiance at the centre (1.0 = white paper under full light).
    pub peak: f64,
}

pub fn add_glare(buf: &mut [f32], w: usize, h: usize, g: &Glare) {
    let (sn, cs) = g.angle_deg.to_radians().sin_cos();
    let reach = 4.0 * g.radius;
    let x0 = (g.at.0 - reach).max(0.0) as usize;
    let y0 = (g.at.1 - reach).max(0.0) as usize;
    let x1 = ((g.at.0 + reach).max(0.0) as usize).min(w);
    let y1 = ((g.at.1 + reach).max(0.0) as usize).min(h);
    for y in y0..y1 {
        for x in x0..x1 {
            let (dx, dy) = (x as f64 + 0.5 - g.at.0, y as f64 + 0.5 - g.at.1);
            let a = (dx * cs + dy * sn) / g.radius;
            let b = (-dx * sn + dy * cs) / (g.radius / g.aspect);
            buf[y * w + x] += (g.peak * (-(a * a + b * b) / 2.0).exp()) as f32;
        }
    }
}

/// Separable gaussian blur with clamped edges: an exact kernel up to sigma 2.5, three box
/// passes (running sums, the same variance) above.
pub fn gaussian_blur(buf: &mut [f32], w: usize, h: usize, sigma: f64) {
    if sigma < 0.2 {
        return;
    }
    let mut tmp = vec![0f32; buf.len()];
    if sigma <= 2.5 {
        let r = (3.0 * sigma).ceil() as isize;
        let k: Vec<f32> = (-r..=r)
            .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp() as f32)
            .collect();
        let sum: f32 = k.iter().sum();
        let k: Vec<f32> = k.iter().map(|v| v / sum).collect();
        convolve_rows(buf, &mut tmp, w, h, &k);
        transpose(&tmp, buf, w, h);
        convolve_rows(buf, &mut tmp, h, w, &k);
        transpose(&tmp, buf, h, w);
    } else {
        // Box widths whose three-fold convolution has variance sigma² (ideal width rounded
        // to odd sizes, as Kovesi's recipe).
        let ideal = (12.0 * sigma * sigma / 3.0 + 1.0).sqrt();
        let mut lo = ideal.floor() as usize;
        if lo.is_multiple_of(2) {
            lo -= 1;
        }
        let hi = lo + 2;
        let m = ((12.0 * sigma * sigma - 3.0 * (lo * lo) as f64 - 12.0 * lo as f64 - 9.0)
            / (-4.0 * lo as f64 - 4.0))
            .round() as usize;
        let widths: Vec<usize> = (0..3).map(|i| if i < m { lo } else { hi }).collect();
        for (dim_w, dim_h) in [(w, h), (h, w)] {
            for &bw in &widths {
                box_rows(buf, &mut tmp, dim_w, dim_h, bw / 2);
                buf.copy_from_slice(&tmp);
            }
            transpose(buf, &mut tmp, dim_w, dim_h);
            buf.copy_from_slice(&tmp);
        }
    }
}

fn convolve_rows(src: &[f32], dst: &mut [f32], w: usize, h: usize, k: &[f32]) {
    let r = (k.len() / 2) as isize;
    let ru = r as usize;
    for y in 0..h {
        let row = &src[y * w..(y + 1) * w];
        // Inside: a plain dot product; near the ends: clamped indices.
        if w > 2 * ru {
            for x in ru..w - ru {
                dst[y * w + x] = row[x - ru..=x + ru].iter().zip(k).map(|(a, b)| a * b).sum();
            }
        }
        for x in (0..w).filter(|&x| x < ru || x + ru >= w) {
            let mut a = 0.0;
            for (i, kv) in k.iter().enumerate() {
                let xx = (x as isize + i as isize - r).clamp(0, w as isize - 1) as usize;
                a += kv * row[xx];
            }
            dst[y * w + x] = a;
        }
    }
}

fn box_rows(src: &[f32], dst: &mut [f32], w: usize, h: usize, r: usize) {
    let n = (2 * r + 1) as f32;
    for y in 0..h {
        let row = &src[y * w..(y + 1) * w];
        let at = |i: isize| row[i.clamp(0, w as isize - 1) as usize];
        let mut s: f32 = (-(r as isize)..=r as isize).map(at).sum();
        for x in 0..w {
            dst[y * w + x] = s / n;
            s += at(x as isize + r as isize + 1) - at(x as isize - r as isize);
        }
    }
}

fn transpose(src: &[f32], dst: &mut [f32], w: usize, h: usize) {
    for y in 0..h {
        for x in 0..w {
            dst[x * h + y] = src[y * w + x];
        }
    }
}

/// Linear motion blur: the mean along a segment of `length` pixels in direction `angle_deg`,
/// sampled every half pixel with bilinear interpolation.
pub fn motion_blur(buf: &mut [f32], w: usize, h: usize, length: f64, angle_deg: f64) {
    if length < 1.0 {
        return;
    }
    let (sn, cs) = angle_deg.to_radians().sin_cos();
    let n = (2.0 * length).ceil() as usize + 1;
    let taps: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let t = (i as f64 / (n - 1) as f64 - 0.5) * length;
            (t * cs, t * sn)
        })
        .collect();
    let src = buf.to_vec();
    let get = |x: isize, y: isize| {
        src[y.clamp(0, h as isize - 1) as usize * w + x.clamp(0, w as isize - 1) as usize]
    };
    for y in 0..h {
        for x in 0..w {
            let mut a = 0.0f32;
            for &(dx, dy) in &taps {
                let (sx, sy) = (x as f64 + dx, y as f64 + dy);
                let (fx, fy) = (sx.floor(), sy.floor());
                let (tx, ty) = ((sx - fx) as f32, (sy - fy) as f32);
                let (ix, iy) = (fx as isize, fy as isize);
                let top = get(ix, iy) * (1.0 - tx) + get(ix + 1, iy) * tx;
                let bot = get(ix, iy + 1) * (1.0 - tx) + get(ix + 1, iy + 1) * tx;
                a += top * (1.0 - ty) + bot * ty;
            }
            buf[y * w + x] = a / n as f32;
        }
    }
}

/// The sensor: exposure, clipping, gamma 2.2 encoding, gaussian noise of `noise` grey levels,
/// 8-bit quantisation. The gamma curve is a 16384-entry table, interpolated.
pub fn expose(buf: &[f32], exposure: f64, noise: f64, rng: &mut Rng) -> Vec<u8> {
    const N: usize = 1 << 14;
    let curve: Vec<f32> = (0..=N)
        .map(|i| 255.0 * (i as f32 / N as f32).powf(1.0 / 2.2))
        .collect();
    let e = exposure as f32 * N as f32;
    let noise = noise as f32;
    buf.iter()
        .map(|&v| {
            let t = (v * e).clamp(0.0, N as f32 - 1e-3);
            let i = t as usize;
            let g = curve[i] + (curve[i + 1] - curve[i]) * (t - i as f32);
            (g + noise * rng.gauss_fast()).round().clamp(0.0, 255.0) as u8
        })
        .collect()
}

/// The IJG standard luminance quantisation table (quality 50), row-major.
const LUMA_QUANT: [u16; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
    92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/// What a JPEG encode and decode at `quality` (1-100, IJG scaling) does to a grey image: 8×8
/// DCT, quantisation with the scaled standard table, inverse DCT (edge blocks replicate their
/// last row and column, as encoders pad).
pub fn jpeg_artefacts(img: &mut [u8], w: usize, h: usize, quality: u8) {
    let q = quality.clamp(1, 100) as u32;
    let scale = if q < 50 { 5000 / q } else { 200 - 2 * q };
    let quant: Vec<f32> = LUMA_QUANT
        .iter()
        .map(|&b| ((b as u32 * scale + 50) / 100).clamp(1, 255) as f32)
        .collect();
    // DCT-II basis: c[k][n] = a(k) cos((2n + 1) k pi / 16).
    let mut c = [[0f32; 8]; 8];
    for (k, row) in c.iter_mut().enumerate() {
        let a = if k == 0 {
            (1.0f64 / 8.0).sqrt()
        } else {
            (2.0f64 / 8.0).sqrt()
        };
        for (n, v) in row.iter_mut().enumerate() {
            *v = (a * ((2 * n + 1) as f64 * k as f64 * std::f64::consts::PI / 16.0).cos()) as f32;
        }
    }
    let ct = transpose8(&c);
    let mut blk = [[0f32; 8]; 8];
    for by in (0..h).step_by(8) {
        for bx in (0..w).step_by(8) {
            for (j, row) in blk.iter_mut().enumerate() {
                let y = (by + j).min(h - 1);
                for (i, v) in row.iter_mut().enumerate() {
                    let x = (bx + i).min(w - 1);
                    *v = img[y * w + x] as f32 - 128.0;
                }
            }
            // Forward C X C^T, quantise, inverse C^T F C.
            let mut f = mul8(&mul8(&c, &blk), &ct);
            for (k, row) in f.iter_mut().enumerate() {
                for (l, v) in row.iter_mut().enumerate() {
                    let qv = quant[k * 8 + l];
                    *v = (*v / qv).round() * qv;
                }
            }
            let out = mul8(&mul8(&ct, &f), &c);
            for (j, row) in out.iter().enumerate() {
                for (i, v) in row.iter().enumerate() {
                    let (x, y) = (bx + i, by + j);
                    if x < w && y < h {
                        img[y * w + x] = (v + 128.0).round().clamp(0.0, 255.0) as u8;
                    }
                }
            }
        }
    }
}

fn mul8(a: &[[f32; 8]; 8], b: &[[f32; 8]; 8]) -> [[f32; 8]; 8] {
    let mut r = [[0f32; 8]; 8];
    for (i, row) in r.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (0..8).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    r
}

fn transpose8(a: &[[f32; 8]; 8]) -> [[f32; 8]; 8] {
    let mut r = [[0f32; 8]; 8];
    for (i, row) in a.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            r[j][i] = *v;
        }
    }
    r
}
