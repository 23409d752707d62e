//! Made-up camera scenes (no downloaded media): a desk, then a code that slides into view with
//! motion blur and holds still, in light or dark mode. For tests, the camera benchmark and the
//! app's end-to-end test, through [`super::recorded`].

use std::path::Path;

use super::luma::PixelFormat;
use super::recorded;
use crate::scanner::Luma;

/// What to film.
#[derive(Debug, Clone, Copy)]
pub struct Scene {
    /// Frame width in pixels.
    pub width: usize,
    /// Frame height in pixels.
    pub height: usize,
    /// Frames a second.
    pub fps: u32,
    /// How many frames.
    pub frames: usize,
    /// The first frame where the code is whole and still (it slides in over the ten before;
    /// `usize::MAX`: never).
    pub code_frame: usize,
    /// A dark page with a light-on-dark code.
    pub dark: bool,
    /// Seed of the sensor noise.
    pub seed: u64,
}

impl Default for Scene {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 720,
            fps: 30,
            frames: 60,
            code_frame: 40,
            dark: false,
            seed: 1,
        }
    }
}

impl Scene {
    /// When frame `n` shows (ms from the start).
    pub fn at(&self, n: usize) -> u64 {
        n as u64 * 1000 / u64::from(self.fps.max(1))
    }
}

/// Renders `scene` with a code of `payload` and writes it to `dir` in `format`.
///
/// # Errors
///
/// The payload does not fit a QR code, or the files cannot be written.
pub fn write(
    dir: &Path,
    format: PixelFormat,
    payload: &[u8],
    scene: &Scene,
) -> std::io::Result<()> {
    let code = code_modules(payload)?;
    let mut noise = scene.seed.max(1);
    for n in 0..scene.frames {
        let frame = render(&code, scene, n, &mut noise);
        recorded::write_at(dir, format, n, scene.at(n), &frame)?;
    }
    Ok(())
}

/// The dark modules of `payload`'s QR code, row by row, and its width in modules.
fn code_modules(payload: &[u8]) -> std::io::Result<(Vec<bool>, usize)> {
    let code = qrcode::QrCode::new(payload)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Ok((dark, width))
}

fn render(code: &(Vec<bool>, usize), scene: &Scene, n: usize, noise: &mut u64) -> Luma {
    let (w, h) = (scene.width, scene.height);
    let (page, ink) = if scene.dark { (34u8, 226u8) } else { (214, 24) };
    // A desk: a soft gradient, lighter at the top.
    let mut data: Vec<u8> = (0..w * h)
        .map(|i| {
            let y = i / w;
            let base = if scene.dark { 20 } else { 120 };
            (base + 40 * (h - y) / h) as u8
        })
        .collect();
    let slide = scene.code_frame.saturating_sub(n);
    if n + 10 >= scene.code_frame && slide <= 10 {
        // The code on its page, moving in from the right (a frame's travel blurs it).
        let (modules, count) = (&code.0, code.1);
        let side = h * 5 / 12;
        let module = side / (count + 8);
        let page_side = module * (count + 8);
        let travel = w / 18;
        let left = (w - page_side) / 2 + slide * travel;
        let top = (h - page_side) / 2;
        for py in 0..page_side {
            for px in 0..page_side {
                let x = left + px;
                if x >= w {
                    break;
                }
                let (mx, my) = ((px / module).wrapping_sub(4), (py / module).wrapping_sub(4));
                let dark = mx < count && my < count && modules[my * count + mx];
                data[(top + py) * w + x] = if dark { ink } else { page };
            }
        }
        if slide > 0 {
            blur_rows(&mut data, w, travel / 3);
        }
    }
    for v in &mut data {
        // Sensor noise, ±6.
        *noise ^= *noise << 13;
        *noise ^= *noise >> 7;
        *noise ^= *noise << 17;
        *v = (i16::from(*v) + (*noise % 13) as i16 - 6).clamp(0, 255) as u8;
    }
    Luma {
        data,
        width: w,
        height: h,
    }
}

/// Horizontal motion blur: each pixel the mean of `radius` on either side.
fn blur_rows(data: &mut [u8], width: usize, radius: usize) {
    if radius == 0 {
        return;
    }
    let mut row_copy = vec![0u8; width];
    for row in data.chunks_mut(width) {
        row_copy.copy_from_slice(row);
        let mut sum: u32 = 0;
        let window = 2 * radius + 1;
        for x in 0..width + radius {
            if x < width {
                sum += u32::from(row_copy[x]);
            }
            if x >= window {
                sum -= u32::from(row_copy[x - window]);
            }
            if x >= radius {
                let n = (x + 1).min(window).min(width + radius - x) as u32;
                row[x - radius] = (sum / n.max(1)) as u8;
            }
        }
    }
}
