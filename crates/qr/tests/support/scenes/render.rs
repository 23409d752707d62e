//! Renders a code with a [`Look`] into a camera frame: placement, paper or screen, light,
//! glare, lens and motion blur, sensor, JPEG.

use super::backdrop;
use super::camera::{card_to_pixels, image_bounds, paint, translated, Pose};
use super::code::Code;
use super::looks::{Look, Screen};
use super::optics::{self, DarkCorner, Glare, Light, Shadow};
use super::Rng;

/// Rendered frame and the module size finally used (placement may shrink the code to fit).
pub struct Rendered {
    pub luma: Vec<u8>,
    pub module_px: f64,
}

/// Samples per pixel side: finer for small modules and for a screen's pixel grid (whose
/// aliasing against the camera's pixels is the moiré).
fn supersampling(look: &Look, module_px: f64) -> usize {
    if look.screen.is_some() {
        4
    } else if module_px < 4.0 {
        3
    } else {
        2
    }
}

pub fn render(code: &Code, look: &Look, w: usize, h: usize, rng: &mut Rng) -> Rendered {
    let n = code.size as f64;
    let (wf, hf) = (w as f64, h as f64);
    let mut pose = Pose {
        module_px: look.fill.map_or(look.module_px, |f| f * hf / n),
        roll_deg: look.roll_deg,
        tilt_deg: look.tilt_deg,
        tilt_axis_deg: look.tilt_axis_deg,
        fov_deg: look.fov_deg,
    };
    let card = look.quiet + look.card_margin;
    let bezel = look.screen.map_or(0.0, |s| s.bezel);
    // What must be inside the frame: the code and its quiet zone (half a module of it for a
    // code filling the frame).
    let keep = if look.fill.is_some() {
        look.quiet.min(0.5)
    } else {
        look.quiet
    };
    let must = (-keep, -keep, n + keep, n + keep);
    let centre = (n / 2.0, n / 2.0);
    let mut hm = card_to_pixels(&pose, centre, w);
    for _ in 0..10 {
        let b = image_bounds(&hm, must);
        let scale = ((wf - 4.0) / (b.2 - b.0)).min((hf - 4.0) / (b.3 - b.1));
        if scale >= 1.0 {
            break;
        }
        pose.module_px *= scale * 0.98;
        hm = card_to_pixels(&pose, centre, w);
    }
    let b = image_bounds(&hm, must);
    let (dx, dy) = if look.fill.is_some() {
        let slack = (
            (wf - 4.0 - (b.2 - b.0)) / 2.0,
            (hf - 4.0 - (b.3 - b.1)) / 2.0,
        );
        (
            (wf - b.0 - b.2) / 2.0 + rng.range(-slack.0, slack.0),
            (hf - b.1 - b.3) / 2.0 + rng.range(-slack.1, slack.1),
        )
    } else {
        (
            rng.range(2.0 - b.0, (wf - 2.0 - b.2).max(2.0 - b.0)),
            rng.range(2.0 - b.1, (hf - 2.0 - b.3).max(2.0 - b.1)),
        )
    };
    let hm = translated(&hm, dx, dy);
    let (cx, cy, _) = hm.map(centre.0, centre.1);
    let side = pose.module_px * n;
    let ss = supersampling(look, pose.module_px);

    let mut buf = backdrop::desk(w, h, rng, look.scene);
    let (ink, paper) = (look.ink, look.paper);
    let module = |u: f64, v: f64| code.is_dark(u.floor() as isize, v.floor() as isize);
    if look.screen.is_none() {
        let extent = (-card, -card, n + card, n + card);
        paint(&mut buf, w, h, &hm, extent, ss, |u, v| {
            if module(u, v) {
                ink
            } else {
                paper
            }
        });
    }
    optics::illuminate(
        &mut buf,
        w,
        h,
        &light_in_pixels(&look.light, (cx, cy), side),
    );
    if let Some(s) = look.screen {
        let extent = (
            -card - bezel,
            -card - bezel,
            n + card + bezel,
            n + card + bezel,
        );
        paint(&mut buf, w, h, &hm, extent, ss, |u, v| {
            screen_emission(&s, code, card, u, v)
        });
    }
    if let Some(g) = look.glare {
        let glare = Glare {
            at: (cx + g.at.0 * side, cy + g.at.1 * side),
            radius: g.radius * side,
            aspect: g.aspect,
            angle_deg: g.angle_deg,
            peak: g.peak,
        };
        optics::add_glare(&mut buf, w, h, &glare);
    }
    optics::gaussian_blur(&mut buf, w, h, look.blur_px);
    if let Some((len, angle)) = look.motion {
        optics::motion_blur(&mut buf, w, h, len, angle);
    }
    let mut luma = optics::expose(&buf, look.exposure, look.noise, rng);
    if let Some(q) = look.jpeg {
        optics::jpeg_artefacts(&mut luma, w, h, q);
    }
    Rendered {
        luma,
        module_px: pose.module_px,
    }
}

/// The light of a look, from code units (side 1, centre 0) to the frame's pixels.
fn light_in_pixels(l: &Light, centre: (f64, f64), side: f64) -> Light {
    let at = |p: (f64, f64)| (centre.0 + p.0 * side, centre.1 + p.1 * side);
    Light {
        gradient: l.gradient,
        shadow: l.shadow.map(|s| Shadow {
            through: at(s.through),
            width: s.width * side,
            ..s
        }),
        dark_corner: l.dark_corner.map(|c| DarkCorner {
            at: at(c.at),
            radius: c.radius * side,
            ..c
        }),
    }
}

/// Light emitted at card point (u, v) of a screen showing the code (with `card` modules of
/// lit background around it, then the bezel): RGB-stripe sub-pixels weighted by their share
/// of luma, the black matrix between pixels, and the code scaled to screen pixels by nearest
/// neighbour.
fn screen_emission(s: &Screen, code: &Code, card: f64, u: f64, v: f64) -> f32 {
    let n = code.size as f64;
    if u < -card || v < -card || u >= n + card || v >= n + card {
        return 0.03; // bezel
    }
    let k = s.px_per_module;
    let (sx, sy) = ((u + card) * k, (v + card) * k);
    let (px, py) = (sx.floor(), sy.floor());
    let mu = ((px + 0.5) / k - card).floor() as isize;
    let mv = ((py + 0.5) / k - card).floor() as isize;
    let level = if code.is_dark(mu, mv) {
        s.off * s.brightness
    } else {
        s.brightness
    };
    let (fx, fy) = (sx - px, sy - py);
    if fy > s.fill.1 {
        return 0.0;
    }
    let third = (fx * 3.0).floor().min(2.0);
    if fx * 3.0 - third > s.fill.0 {
        return 0.0;
    }
    // Mean over a pixel = level: each sub-pixel's weight times 3, over the lit fraction.
    let weight = [0.299, 0.587, 0.114][third as usize] * 3.0;
    level * (weight / (s.fill.0 * s.fill.1)) as f32
}
