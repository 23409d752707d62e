//! The camera geometry of the scene corpus: a flat card (or screen) in front of a pinhole
//! camera, tilted and rolled, and the supersampled rendering of what it shows.

/// A 3×3 projective transform, row-major, acting on (x, y, 1).
#[derive(Clone, Copy, Debug)]
pub struct Mat3(pub [f64; 9]);

impl Mat3 {
    pub fn mul(&self, o: &Mat3) -> Mat3 {
        let (a, b) = (&self.0, &o.0);
        let mut r = [0.0; 9];
        for i in 0..3 {
            for j in 0..3 {
                r[3 * i + j] = (0..3).map(|k| a[3 * i + k] * b[3 * k + j]).sum();
            }
        }
        Mat3(r)
    }

    pub fn inverse(&self) -> Mat3 {
        let m = &self.0;
        let c = |a: usize, b: usize, c: usize, d: usize| m[a] * m[d] - m[b] * m[c];
        let adj = [
            c(4, 5, 7, 8),
            -c(1, 2, 7, 8),
            c(1, 2, 4, 5),
            -c(3, 5, 6, 8),
            c(0, 2, 6, 8),
            -c(0, 2, 3, 5),
            c(3, 4, 6, 7),
            -c(0, 1, 6, 7),
            c(0, 1, 3, 4),
        ];
        let det = m[0] * adj[0] + m[1] * adj[3] + m[2] * adj[6];
        Mat3(adj.map(|v| v / det))
    }

    /// Maps (x, y); the third coordinate (depth sign) is returned too.
    #[inline]
    pub fn map(&self, x: f64, y: f64) -> (f64, f64, f64) {
        let m = &self.0;
        let w = m[6] * x + m[7] * y + m[8];
        (
            (m[0] * x + m[1] * y + m[2]) / w,
            (m[3] * x + m[4] * y + m[5]) / w,
            w,
        )
    }
}

/// How the card is held in front of the camera.
#[derive(Clone, Copy, Debug)]
pub struct Pose {
    /// Pixels per module at the card's centre.
    pub module_px: f64,
    /// Rotation of the card in its own plane (degrees).
    pub roll_deg: f64,
    /// Angle between the card's plane and the image plane (degrees).
    pub tilt_deg: f64,
    /// Direction, in the card's plane, of the axis it is tilted about (degrees).
    pub tilt_axis_deg: f64,
    /// Horizontal field of view of the camera (degrees): the strength of the perspective.
    pub fov_deg: f64,
}

/// The transform from card coordinates (modules; `centre` is the point of the card at the
/// optical axis) to frame pixels, with the card centre at pixel (0, 0).
pub fn card_to_pixels(pose: &Pose, centre: (f64, f64), frame_width: usize) -> Mat3 {
    let f = frame_width as f64 / 2.0 / (pose.fov_deg.to_radians() / 2.0).tan();
    let m = pose.module_px;
    // Card modules to world units centred on the card (one unit = one pixel at depth f).
    let scale = Mat3([m, 0.0, -m * centre.0, 0.0, m, -m * centre.1, 0.0, 0.0, 1.0]);
    let (s, c) = pose.roll_deg.to_radians().sin_cos();
    let roll = [c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0];
    // Rodrigues rotation about the in-plane axis (ax, ay, 0) by the tilt.
    let (ay, ax) = pose.tilt_axis_deg.to_radians().sin_cos();
    let (st, ct) = pose.tilt_deg.to_radians().sin_cos();
    let tilt = [
        ct + ax * ax * (1.0 - ct),
        ax * ay * (1.0 - ct),
        ay * st,
        ax * ay * (1.0 - ct),
        ct + ay * ay * (1.0 - ct),
        -ax * st,
        -ay * st,
        ax * st,
        ct,
    ];
    let r = Mat3(tilt).mul(&Mat3(roll)).0;
    // [r1 r2 t] with the card centre at depth f on the axis, then the focal length.
    let rt = Mat3([r[0], r[1], 0.0, r[3], r[4], 0.0, r[6], r[7], f]);
    let k = Mat3([f, 0.0, 0.0, 0.0, f, 0.0, 0.0, 0.0, 1.0]);
    k.mul(&rt).mul(&scale)
}

/// Shifts a transform's output by (dx, dy) pixels.
pub fn translated(h: &Mat3, dx: f64, dy: f64) -> Mat3 {
    Mat3([1.0, 0.0, dx, 0.0, 1.0, dy, 0.0, 0.0, 1.0]).mul(h)
}

/// Bounding box (x0, y0, x1, y1) of the image of the card rectangle `extent` (u0, v0, u1, v1).
pub fn image_bounds(h: &Mat3, extent: (f64, f64, f64, f64)) -> (f64, f64, f64, f64) {
    let (u0, v0, u1, v1) = extent;
    let mut b = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    // Edges of a projected rectangle are straight: its corners bound it.
    for (u, v) in [(u0, v0), (u1, v0), (u1, v1), (u0, v1)] {
        let (x, y, _) = h.map(u, v);
        b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
    }
    b
}

/// Paints the card region `extent` of `surface` (card coordinates to a value) into `buf`
/// through `h`, averaging `ss`×`ss` samples per pixel; samples outside the region keep the
/// pixel's value (the background shows through at the card's edges).
pub fn paint(
    buf: &mut [f32],
    w: usize,
    hgt: usize,
    h: &Mat3,
    extent: (f64, f64, f64, f64),
    ss: usize,
    mut surface: impl FnMut(f64, f64) -> f32,
) {
    let inv = h.inverse();
    let b = image_bounds(h, extent);
    let x0 = b.0.floor().max(0.0) as usize;
    let y0 = b.1.floor().max(0.0) as usize;
    let x1 = (b.2.ceil().max(0.0) as usize + 1).min(w);
    let y1 = (b.3.ceil().max(0.0) as usize + 1).min(hgt);
    let (u0, v0, u1, v1) = extent;
    let step = 1.0 / ss as f64;
    let n = (ss * ss) as f32;
    for y in y0..y1 {
        for x in x0..x1 {
            let bg = buf[y * w + x];
            let mut acc = 0.0f32;
            for j in 0..ss {
                for i in 0..ss {
                    let px = x as f64 + (i as f64 + 0.5) * step;
                    let py = y as f64 + (j as f64 + 0.5) * step;
                    let (u, v, depth) = inv.map(px, py);
                    acc += if depth > 0.0 && u >= u0 && v >= v0 && u < u1 && v < v1 {
                        surface(u, v)
                    } else {
                        bg
                    };
                }
            }
            buf[y * w + x] = acc / n;
        }
    }
}
