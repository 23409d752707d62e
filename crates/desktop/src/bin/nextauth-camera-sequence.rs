//! `nextauth-camera-sequence DIR FORMAT PAYLOAD_BASE64 [--dark] [--frames N] [--code-frame N]`:
//! writes a made-up camera scene (a code sliding into view, then still) as a recorded camera
//! for `NEXTAUTH_CAMERA_SOURCE`. Used by the app's end-to-end test and the camera benchmark.

use std::process::ExitCode;

use base64::Engine;
use nextauth_desktop::camera::luma::PixelFormat;
use nextauth_desktop::camera::scenes::{self, Scene};

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("nextauth-camera-sequence: {err}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let usage = "usage: nextauth-camera-sequence DIR yuyv|nv12|gray|mjpeg PAYLOAD_BASE64 [--dark] [--frames N] [--code-frame N]";
    let [dir, format, payload, rest @ ..] = args.as_slice() else {
        return Err(usage.into());
    };
    let format = PixelFormat::from_extension(format).ok_or(usage)?;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim()))
        .map_err(|e| format!("the payload is not base64: {e}"))?;
    let mut scene = Scene::default();
    let mut flags = rest.iter();
    while let Some(flag) = flags.next() {
        let mut number = || -> Result<usize, String> {
            flags
                .next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{flag} needs a number"))
        };
        match flag.as_str() {
            "--dark" => scene.dark = true,
            "--frames" => scene.frames = number()?,
            "--code-frame" => scene.code_frame = number()?,
            _ => return Err(usage.into()),
        }
    }
    scenes::write(std::path::Path::new(dir), format, &payload, &scene).map_err(|e| e.to_string())
}
