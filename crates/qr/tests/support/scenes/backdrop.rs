//! What surrounds a code, and the frames without one: a desk with objects and printed text,
//! a document page, checkerboards, noise, user-interface screenshots and 1-D barcode labels.
//! All as reflectance (`f32`, 0 = black, 1 = white).

use super::Rng;

/// Fills the pixels whose centres lie in the rectangle (clipped to the image).
pub fn fill_rect(buf: &mut [f32], w: usize, x: f64, y: f64, rw: f64, rh: f64, v: f32) {
    let h = buf.len() / w;
    let x0 = x.round().clamp(0.0, w as f64) as usize;
    let y0 = y.round().clamp(0.0, h as f64) as usize;
    let x1 = (x + rw).round().clamp(0.0, w as f64) as usize;
    let y1 = (y + rh).round().clamp(0.0, h as f64) as usize;
    for yy in y0..y1 {
        buf[yy * w + x0..yy * w + x1.max(x0)].fill(v);
    }
}

fn fill_ellipse(buf: &mut [f32], w: usize, c: (f64, f64), r: (f64, f64), v: f32) {
    let h = buf.len() / w;
    let y0 = (c.1 - r.1).max(0.0) as usize;
    let y1 = ((c.1 + r.1).max(0.0) as usize + 1).min(h);
    for y in y0..y1 {
        let dy = (y as f64 + 0.5 - c.1) / r.1;
        if dy.abs() >= 1.0 {
            continue;
        }
        let half = r.0 * (1.0 - dy * dy).sqrt();
        let x0 = (c.0 - half).round().clamp(0.0, w as f64) as usize;
        let x1 = (c.0 + half).round().clamp(0.0, w as f64) as usize;
        buf[y * w + x0..y * w + x1.max(x0)].fill(v);
    }
}

/// Lines of glyph-like strokes (two to four strokes per glyph, word gaps) in a box.
pub fn text_block(
    buf: &mut [f32],
    w: usize,
    rng: &mut Rng,
    area: (f64, f64, f64, f64),
    glyph_h: f64,
    ink: f32,
) {
    let (x0, y0, x1, y1) = area;
    let stroke = (glyph_h / 7.0).max(1.0);
    let mut y = y0;
    while y + glyph_h < y1 {
        let mut x = x0;
        let end = x1 - rng.range(0.0, (x1 - x0) * 0.4);
        while x + glyph_h < end {
            let gw = glyph_h * rng.range(0.35, 0.75);
            for _ in 0..2 + rng.below(3) {
                match rng.below(3) {
                    0 => fill_rect(
                        buf,
                        w,
                        x + rng.range(0.0, gw - stroke),
                        y,
                        stroke,
                        glyph_h,
                        ink,
                    ),
                    1 => fill_rect(
                        buf,
                        w,
                        x,
                        y + rng.range(0.0, glyph_h - stroke),
                        gw,
                        stroke,
                        ink,
                    ),
                    _ => fill_ellipse(
                        buf,
                        w,
                        (x + gw / 2.0, y + glyph_h * 0.6),
                        (gw / 2.0, glyph_h * 0.35),
                        ink,
                    ),
                }
            }
            x += gw
                + stroke
                + if rng.below(6) == 0 {
                    glyph_h * 0.6
                } else {
                    0.0
                };
        }
        y += glyph_h * rng.range(1.5, 2.0);
    }
}

/// A desk-like scene: a smooth textured surface with objects (boxes, round things, sheets of
/// printed text, cables) of reflectances in `range`.
pub fn desk(w: usize, h: usize, rng: &mut Rng, range: (f64, f64)) -> Vec<f32> {
    let (lo, hi) = range;
    let base = rng.range(lo, hi) as f32;
    let mut buf = vec![base; w * h];
    // Texture: three plane waves, sin(ax + by + p) = sin(ax + p) cos(by) + cos(ax + p) sin(by).
    for _ in 0..3 {
        let amp = rng.range(0.01, 0.05) as f32;
        let len = rng.range(40.0, 400.0);
        let dir = rng.range(0.0, std::f64::consts::TAU);
        let (a, b) = (
            dir.cos() * std::f64::consts::TAU / len,
            dir.sin() * std::f64::consts::TAU / len,
        );
        let p = rng.range(0.0, std::f64::consts::TAU);
        let sx: Vec<(f32, f32)> = (0..w)
            .map(|x| {
                (
                    (a * x as f64 + p).sin() as f32,
                    (a * x as f64 + p).cos() as f32,
                )
            })
            .collect();
        for y in 0..h {
            let (sy, cy) = ((b * y as f64).sin() as f32, (b * y as f64).cos() as f32);
            for (v, &(s, c)) in buf[y * w..(y + 1) * w].iter_mut().zip(&sx) {
                *v += amp * (s * cy + c * sy);
            }
        }
    }
    let (wf, hf) = (w as f64, h as f64);
    for _ in 0..4 + rng.below(8) {
        let v = rng.range(lo, hi) as f32;
        match rng.below(5) {
            0 | 1 => {
                let (rw, rh) = (rng.range(20.0, wf / 3.0), rng.range(20.0, hf / 3.0));
                fill_rect(
                    &mut buf,
                    w,
                    rng.range(-rw / 2.0, wf),
                    rng.range(-rh / 2.0, hf),
                    rw,
                    rh,
                    v,
                );
            }
            2 => {
                let r = rng.range(10.0, hf / 6.0);
                fill_ellipse(
                    &mut buf,
                    w,
                    (rng.range(0.0, wf), rng.range(0.0, hf)),
                    (r, r * rng.range(0.5, 1.0)),
                    v,
                );
            }
            3 => {
                // A printed sheet.
                let (rw, rh) = (rng.range(60.0, wf / 2.5), rng.range(60.0, hf / 2.5));
                let (x, y) = (rng.range(-rw / 2.0, wf), rng.range(-rh / 2.0, hf));
                let paper = rng.range(0.6, 0.9) as f32;
                fill_rect(&mut buf, w, x, y, rw, rh, paper);
                let gh = rng.range(5.0, 14.0);
                text_block(
                    &mut buf,
                    w,
                    rng,
                    (x + gh, y + gh, x + rw - gh, y + rh - gh),
                    gh,
                    paper * 0.1,
                );
            }
            _ => {
                // A cable: a thick line across.
                let (x0, y0) = (rng.range(0.0, wf), rng.range(0.0, hf));
                let dir = rng.range(0.0, std::f64::consts::TAU);
                let t = rng.range(3.0, 10.0);
                for s in 0..(wf.max(hf) as usize) {
                    let (x, y) = (x0 + dir.cos() * s as f64, y0 + dir.sin() * s as f64);
                    fill_rect(&mut buf, w, x - t / 2.0, y - t / 2.0, t, t, v);
                }
            }
        }
    }
    buf
}

/// A printed page of text filling the frame.
pub fn page(w: usize, h: usize, rng: &mut Rng) -> Vec<f32> {
    let paper = rng.range(0.7, 0.9) as f32;
    let mut buf = vec![paper; w * h];
    let m = rng.range(8.0, 40.0);
    let gh = rng.range(6.0, 16.0);
    text_block(
        &mut buf,
        w,
        rng,
        (m, m, w as f64 - m, h as f64 - m),
        gh,
        paper * 0.08,
    );
    buf
}

/// A checkerboard (cells of 2-24 pixels, at any angle).
pub fn checkerboard(w: usize, h: usize, rng: &mut Rng) -> Vec<f32> {
    let cell = rng.range(2.0, 24.0);
    let (s, c) = rng.range(0.0, std::f64::consts::TAU).sin_cos();
    let (dark, light) = (rng.range(0.02, 0.2) as f32, rng.range(0.6, 0.95) as f32);
    let mut buf = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let (u, v) = (
                (x as f64 * c + y as f64 * s) / cell,
                (-(x as f64) * s + y as f64 * c) / cell,
            );
            buf[y * w + x] = if (u.floor() + v.floor()) as i64 % 2 == 0 {
                dark
            } else {
                light
            };
        }
    }
    buf
}

/// Random pixels: uniform, or blobs (noise blurred by a few pixels) thresholded or not.
pub fn noise(w: usize, h: usize, rng: &mut Rng) -> Vec<f32> {
    let mut buf: Vec<f32> = (0..w * h).map(|_| rng.f64() as f32).collect();
    if rng.below(2) == 0 {
        super::optics::gaussian_blur(&mut buf, w, h, rng.range(1.0, 4.0));
        let mid = 0.5;
        let hard = rng.below(2) == 0;
        for v in &mut buf {
            *v = if hard {
                if *v < mid {
                    0.05
                } else {
                    0.9
                }
            } else {
                ((*v - mid) * 6.0 + 0.5).clamp(0.0, 1.0)
            };
        }
    }
    buf
}

/// A user-interface screenshot: windows with title bars, side bars, buttons, square and round
/// icons (check boxes, stop buttons: squares in squares), text; light or dark theme.
pub fn ui(w: usize, h: usize, rng: &mut Rng) -> Vec<f32> {
    let dark_theme = rng.below(2) == 0;
    let (bg, fg, panel) = if dark_theme {
        (0.07f32, 0.85f32, 0.15f32)
    } else {
        (0.95, 0.08, 0.85)
    };
    let mut buf = vec![panel; w * h];
    let (wf, hf) = (w as f64, h as f64);
    for _ in 0..1 + rng.below(4) {
        let (ww, wh) = (rng.range(wf / 3.0, wf), rng.range(hf / 3.0, hf));
        let (x, y) = (rng.range(0.0, wf - ww), rng.range(0.0, hf - wh));
        fill_rect(&mut buf, w, x, y, ww, wh, bg);
        fill_rect(&mut buf, w, x, y, ww, 28.0, panel * 0.8 + 0.1);
        let side = rng.range(0.0, ww / 4.0);
        fill_rect(&mut buf, w, x, y + 28.0, side, wh - 28.0, panel);
        let gh = rng.range(7.0, 12.0);
        text_block(
            &mut buf,
            w,
            rng,
            (x + side + 12.0, y + 40.0, x + ww - 12.0, y + wh - 12.0),
            gh,
            fg,
        );
        // Buttons and icons.
        for _ in 0..rng.below(12) {
            let s = rng.range(10.0, 40.0);
            let (ix, iy) = (rng.range(x, x + ww - s), rng.range(y, y + wh - s));
            match rng.below(4) {
                0 => {
                    fill_rect(&mut buf, w, ix, iy, s, s, fg);
                    fill_rect(
                        &mut buf,
                        w,
                        ix + s / 7.0,
                        iy + s / 7.0,
                        s * 5.0 / 7.0,
                        s * 5.0 / 7.0,
                        bg,
                    );
                    fill_rect(
                        &mut buf,
                        w,
                        ix + s * 2.0 / 7.0,
                        iy + s * 2.0 / 7.0,
                        s * 3.0 / 7.0,
                        s * 3.0 / 7.0,
                        fg,
                    );
                }
                1 => {
                    fill_rect(&mut buf, w, ix, iy, s * 3.0, s, fg * 0.5 + bg * 0.5);
                    text_block(
                        &mut buf,
                        w,
                        rng,
                        (ix + 4.0, iy + s / 3.0, ix + s * 3.0 - 4.0, iy + s),
                        s / 3.0,
                        bg,
                    );
                }
                2 => fill_ellipse(
                    &mut buf,
                    w,
                    (ix + s / 2.0, iy + s / 2.0),
                    (s / 2.0, s / 2.0),
                    fg,
                ),
                _ => {
                    fill_rect(&mut buf, w, ix, iy, s, s, fg);
                    fill_rect(&mut buf, w, ix + 2.0, iy + 2.0, s - 4.0, s - 4.0, bg);
                }
            }
        }
    }
    buf
}

/// Labels with 1-D barcodes (bars of 1-4 units) on a desk.
pub fn barcodes(w: usize, h: usize, rng: &mut Rng) -> Vec<f32> {
    let mut buf = desk(w, h, rng, (0.2, 0.7));
    for _ in 0..1 + rng.below(3) {
        let unit = rng.range(1.5, 5.0);
        let bars = 60 + rng.below(40);
        let bh = rng.range(40.0, h as f64 / 2.0);
        let lw = unit * bars as f64 * 2.6 + 20.0;
        let (x, y) = (
            rng.range(0.0, (w as f64 - lw).max(1.0)),
            rng.range(0.0, h as f64 - bh - 20.0),
        );
        fill_rect(&mut buf, w, x, y, lw, bh + 20.0, 0.88);
        let mut bx = x + 10.0;
        for i in 0..bars {
            let width = unit * (1 + rng.below(4)) as f64;
            if i % 2 == 0 {
                fill_rect(&mut buf, w, bx, y + 10.0, width, bh, 0.04);
            }
            bx += width;
        }
    }
    buf
}
