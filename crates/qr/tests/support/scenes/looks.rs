//! How each condition of the corpus looks: the random parameters of one frame (pose, size,
//! paper and ink, light, lens, sensor, compression, screen) drawn for a condition. The ranges
//! were fixed before any reader was measured on the corpus (docs/qr.md says so and lists them).

use super::code::Code;
use super::optics::{DarkCorner, Light, Shadow};
use super::Rng;

/// A displaying screen instead of paper: the code is emitted through a pixel grid.
#[derive(Clone, Copy, Debug)]
pub struct Screen {
    /// Screen pixels per module (the app scaled the code by this, nearest neighbour).
    pub px_per_module: f64,
    /// Lit fraction of each sub-pixel's width and of the pixel's height (the rest is the
    /// black matrix between them).
    pub fill: (f64, f64),
    /// Emission of an unlit pixel (backlight leak), of a lit one.
    pub off: f32,
    pub brightness: f32,
    /// Dark bezel around the displayed area (modules).
    pub bezel: f64,
}

/// A specular highlight, in code units (side = 1, centre = (0, 0)).
#[derive(Clone, Copy, Debug)]
pub struct GlareSpot {
    pub at: (f64, f64),
    pub radius: f64,
    pub aspect: f64,
    pub angle_deg: f64,
    pub peak: f64,
}

/// Everything random about one frame but the code and its position.
#[derive(Clone, Debug)]
pub struct Look {
    /// Pixels per module at the code's centre.
    pub module_px: f64,
    pub roll_deg: f64,
    pub tilt_deg: f64,
    pub tilt_axis_deg: f64,
    pub fov_deg: f64,
    /// Quiet zone and the card (paper or screen area) beyond it, in modules.
    pub quiet: f64,
    pub card_margin: f64,
    /// The code spans this fraction of the frame height, centred (codes held close).
    pub fill: Option<f64>,
    /// Reflectance of dark modules and of the paper (light modules, quiet zone, card). Ink
    /// lighter than paper is an inverted (dark-mode) code.
    pub ink: f32,
    pub paper: f32,
    /// Reflectance range of the surroundings.
    pub scene: (f64, f64),
    /// Illumination; shadow and dark-corner positions and sizes in code units (side = 1,
    /// centre = (0, 0)), the softness of a shadow's edge in pixels.
    pub light: Light,
    pub exposure: f64,
    /// Lens blur sigma (pixels), motion blur (length in pixels, direction in degrees).
    pub blur_px: f64,
    pub motion: Option<(f64, f64)>,
    pub glare: Option<GlareSpot>,
    /// Sensor noise sigma (grey levels) and JPEG quality.
    pub noise: f64,
    pub jpeg: Option<u8>,
    pub screen: Option<Screen>,
}

/// The conditions of the corpus; `Mixed` combines two or three milder ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    Clean,
    Rotation,
    Blur,
    Motion,
    Perspective,
    UnevenLight,
    LowContrastNoise,
    Small,
    Inverted,
    Jpeg,
    Screen,
    Glare,
    Fill,
    Mixed,
}

impl Condition {
    pub const ALL: [Condition; 14] = [
        Condition::Clean,
        Condition::Rotation,
        Condition::Blur,
        Condition::Motion,
        Condition::Perspective,
        Condition::UnevenLight,
        Condition::LowContrastNoise,
        Condition::Small,
        Condition::Inverted,
        Condition::Jpeg,
        Condition::Screen,
        Condition::Glare,
        Condition::Fill,
        Condition::Mixed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Condition::Clean => "clean",
            Condition::Rotation => "rotation",
            Condition::Blur => "blur",
            Condition::Motion => "motion",
            Condition::Perspective => "perspective",
            Condition::UnevenLight => "uneven-light",
            Condition::LowContrastNoise => "lowcontrast+noise",
            Condition::Small => "small",
            Condition::Inverted => "inverted",
            Condition::Jpeg => "jpeg",
            Condition::Screen => "screen",
            Condition::Glare => "glare",
            Condition::Fill => "fill",
            Condition::Mixed => "mixed",
        }
    }
}

/// The ordinary look: a printed code held roughly square to the camera, some light gradient,
/// a little lens blur and noise.
fn base(code: &Code, h: usize, rng: &mut Rng) -> Look {
    let quiet = rng.range(4.0, 6.0);
    let span = code.size as f64 + 2.0 * quiet;
    Look {
        module_px: (rng.range(0.25, 0.85) * h as f64 / span).max(3.0),
        roll_deg: rng.range(-8.0, 8.0),
        tilt_deg: rng.range(0.0, 10.0),
        tilt_axis_deg: rng.range(0.0, 360.0),
        fov_deg: rng.range(50.0, 75.0),
        quiet,
        card_margin: rng.range(0.0, 6.0),
        fill: None,
        ink: rng.range(0.03, 0.1) as f32,
        paper: rng.range(0.65, 0.9) as f32,
        scene: (rng.range(0.05, 0.3), rng.range(0.4, 0.9)),
        light: Light {
            gradient: (rng.range(-0.3, 0.3), rng.range(-0.3, 0.3)),
            ..Light::default()
        },
        exposure: rng.range(0.85, 1.15),
        blur_px: rng.range(0.4, 0.9),
        motion: None,
        glare: None,
        noise: rng.range(1.0, 3.0),
        jpeg: None,
        screen: None,
    }
}

/// The ingredients of the conditions, each at full or (for `Mixed`) milder strength.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Effect {
    Small,
    Rotation,
    Blur,
    Motion,
    Perspective,
    UnevenLight,
    LowContrast,
    Inverted,
    Jpeg,
    Glare,
}

/// Effects a mixed frame draws from, in the order they are applied (those that set the module
/// size first: blur lengths follow it); small codes are not combined with blur, motion or
/// perspective (the modules would be below two pixels).
const MIXABLE: [Effect; 10] = [
    Effect::Small,
    Effect::Perspective,
    Effect::Rotation,
    Effect::Blur,
    Effect::Motion,
    Effect::UnevenLight,
    Effect::LowContrast,
    Effect::Inverted,
    Effect::Jpeg,
    Effect::Glare,
];

fn apply(e: Effect, look: &mut Look, rng: &mut Rng, mild: bool) {
    match e {
        Effect::Small => {
            look.module_px = if mild {
                rng.range(2.4, 3.4)
            } else {
                rng.range(2.0, 3.2)
            };
            look.tilt_deg = rng.range(0.0, 5.0);
            look.blur_px = rng.range(0.4, 0.7);
        }
        Effect::Rotation => look.roll_deg = rng.range(-180.0, 180.0),
        Effect::Blur => {
            let per_module = if mild {
                rng.range(0.2, 0.32)
            } else {
                rng.range(0.28, 0.45)
            };
            if !mild {
                look.module_px = rng.range(3.0, 8.0);
            }
            look.blur_px = per_module * look.module_px;
        }
        Effect::Motion => {
            let modules = if mild {
                rng.range(0.4, 0.9)
            } else {
                rng.range(0.5, 1.4)
            };
            look.motion = Some(((modules * look.module_px).max(2.0), rng.range(0.0, 180.0)));
        }
        Effect::Perspective => {
            look.tilt_deg = if mild {
                rng.range(15.0, 35.0)
            } else {
                rng.range(25.0, 45.0)
            };
            look.roll_deg = rng.range(-180.0, 180.0);
            look.module_px = look.module_px.max(4.0);
        }
        Effect::UnevenLight => {
            let kind = rng.below(3);
            let deep = if mild { (0.3, 0.5) } else { (0.15, 0.4) };
            if kind != 1 {
                look.light.shadow = Some(Shadow {
                    through: (rng.range(-0.3, 0.3), rng.range(-0.3, 0.3)),
                    angle_deg: rng.range(0.0, 180.0),
                    width: rng.range(0.15, 0.6),
                    softness: rng.range(1.0, 25.0),
                    depth: rng.range(deep.0, deep.1),
                });
            }
            if kind != 0 {
                let corner = |rng: &mut Rng| if rng.below(2) == 0 { -0.6 } else { 0.6 };
                look.light.dark_corner = Some(DarkCorner {
                    at: (corner(rng), corner(rng)),
                    radius: rng.range(0.8, 1.6),
                    depth: rng.range(deep.0 - 0.05, deep.1 - 0.1),
                });
            }
            look.light.gradient = (rng.range(-0.6, 0.6), rng.range(-0.6, 0.6));
        }
        Effect::LowContrast => {
            look.paper = rng.range(0.5, 0.85) as f32;
            let ratio = if mild {
                rng.range(0.4, 0.6)
            } else {
                rng.range(0.5, 0.72)
            };
            look.ink = look.paper * ratio as f32;
            look.exposure = rng.range(0.25, 0.75) / look.paper as f64;
            look.noise = if mild {
                rng.range(3.0, 6.0)
            } else {
                rng.range(4.0, 9.0)
            };
        }
        Effect::Inverted => {
            look.ink = rng.range(0.6, 0.9) as f32;
            look.paper = rng.range(0.02, 0.08) as f32;
            if rng.below(2) == 0 {
                // Dark mode: the app's dark background around the code.
                look.card_margin = rng.range(4.0, 15.0);
                look.scene = (0.01, rng.range(0.05, 0.3));
            } else {
                look.scene = (rng.range(0.02, 0.2), rng.range(0.3, 0.8));
            }
        }
        Effect::Jpeg => {
            look.jpeg = Some(if mild {
                rng.range(30.0, 70.0)
            } else {
                rng.range(20.0, 60.0)
            } as u8)
        }
        Effect::Glare => {
            look.glare = Some(GlareSpot {
                at: (rng.range(-0.35, 0.35), rng.range(-0.35, 0.35)),
                radius: rng.range(0.06, 0.15),
                aspect: rng.range(1.0, 2.5),
                angle_deg: rng.range(0.0, 180.0),
                peak: if mild {
                    rng.range(0.4, 0.9)
                } else {
                    rng.range(0.5, 1.3)
                },
            })
        }
    }
}

/// Draws the look of one frame of `cond` for `code` in a frame `h` pixels high.
pub fn look_for(cond: Condition, code: &Code, h: usize, rng: &mut Rng) -> Look {
    let mut look = base(code, h, rng);
    let full = |e: Effect, look: &mut Look, rng: &mut Rng| apply(e, look, rng, false);
    match cond {
        Condition::Clean => {}
        Condition::Rotation => full(Effect::Rotation, &mut look, rng),
        Condition::Blur => full(Effect::Blur, &mut look, rng),
        Condition::Motion => full(Effect::Motion, &mut look, rng),
        Condition::Perspective => full(Effect::Perspective, &mut look, rng),
        Condition::UnevenLight => full(Effect::UnevenLight, &mut look, rng),
        Condition::LowContrastNoise => full(Effect::LowContrast, &mut look, rng),
        Condition::Small => full(Effect::Small, &mut look, rng),
        Condition::Inverted => full(Effect::Inverted, &mut look, rng),
        Condition::Jpeg => full(Effect::Jpeg, &mut look, rng),
        Condition::Glare => full(Effect::Glare, &mut look, rng),
        Condition::Screen => {
            let pitch = rng.range(0.6, 2.4); // camera pixels per screen pixel
            look.screen = Some(Screen {
                px_per_module: (look.module_px / pitch).max(2.0),
                fill: (rng.range(0.6, 0.95), rng.range(0.6, 0.95)),
                off: rng.range(0.01, 0.06) as f32,
                brightness: rng.range(0.6, 1.0) as f32,
                bezel: rng.range(1.0, 4.0),
            });
            look.card_margin = rng.range(1.0, 8.0);
            look.scene = (rng.range(0.05, 0.2), rng.range(0.3, 0.6));
            look.blur_px = rng.range(0.3, 0.8);
            look.tilt_deg = rng.range(0.0, 20.0);
            look.roll_deg = rng.range(-15.0, 15.0);
            look.noise = rng.range(1.5, 4.0);
        }
        Condition::Fill => {
            look.fill = Some(rng.range(0.7, 0.92));
            look.quiet = rng.range(0.5, 2.0);
            look.card_margin = 0.0;
            look.tilt_deg = rng.range(0.0, 8.0);
            look.roll_deg = rng.range(-5.0, 5.0);
        }
        Condition::Mixed => {
            let count = 2 + rng.below(2);
            let mut chosen: Vec<Effect> = Vec::new();
            while chosen.len() < count {
                let e = MIXABLE[rng.below(MIXABLE.len())];
                let clash = |a: Effect, b: Effect| {
                    a == b
                        || (a == Effect::Small || b == Effect::Small)
                            && [Effect::Blur, Effect::Motion, Effect::Perspective]
                                .iter()
                                .any(|x| *x == a || *x == b)
                };
                if !chosen.iter().any(|c| clash(*c, e)) {
                    chosen.push(e);
                }
            }
            // In MIXABLE order: sizes first, blur lengths follow the module size.
            for e in MIXABLE {
                if chosen.contains(&e) {
                    apply(e, &mut look, rng, true);
                }
            }
        }
    }
    look
}
