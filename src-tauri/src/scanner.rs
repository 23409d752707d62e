//! Finding a nextAuth QR code in an image: a file, image bytes from the UI, or the screen.
//!
//! Decoding uses rqrr on a greyscale copy. The payload is binary (docs/protocol.md), so the
//! raw bytes of the code are returned, never a string.

use image::{GrayImage, ImageReader, Limits};

use crate::error::{codes, IpcError, IpcResult};

/// Largest image file accepted (bytes).
pub const MAX_IMAGE_BYTES: usize = 32 * 1024 * 1024;
/// Largest side of an image accepted (pixels).
pub const MAX_IMAGE_SIDE: u32 = 10_000;

/// The raw bytes of the first QR code found in an encoded image (PNG or JPEG).
pub fn decode_image(bytes: &[u8]) -> IpcResult<Vec<u8>> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(IpcError::new(
            codes::IMAGE_UNREADABLE,
            "the image is too large (more than 32 MiB)",
        ));
    }
    let mut reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| unreadable(&e))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| unreadable(&e))?;
    decode_luma(&image.to_luma8())
}

/// The raw bytes of the first QR code found in a greyscale image.
pub fn decode_luma(luma: &GrayImage) -> IpcResult<Vec<u8>> {
    let (w, h) = (luma.width() as usize, luma.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        luma.get_pixel(x as u32, y as u32).0[0]
    });
    for grid in prepared.detect_grids() {
        let mut out = Vec::new();
        if grid.decode_to(&mut out).is_ok() {
            return Ok(out);
        }
    }
    Err(IpcError::new(
        codes::NO_QR_CODE,
        "no QR code was found in the image",
    ))
}

fn unreadable(err: &dyn std::fmt::Display) -> IpcError {
    IpcError::new(
        codes::IMAGE_UNREADABLE,
        format!("the image cannot be read: {err}"),
    )
}

/// Whether "scan from screen" can work here: an X11 display on Linux (Xorg, or XWayland).
pub fn screen_capture_supported() -> bool {
    cfg!(all(target_os = "linux", desktop)) && std::env::var_os("DISPLAY").is_some()
}

/// A greyscale picture of the whole screen.
#[cfg(all(target_os = "linux", desktop))]
pub fn capture_screen() -> IpcResult<GrayImage> {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ConnectionExt, ImageFormat};

    let unavailable = |what: &str| {
        IpcError::new(
            codes::SCREEN_CAPTURE_UNAVAILABLE,
            format!("the screen cannot be captured: {what}"),
        )
    };
    let (conn, screen_num) = x11rb::connect(None)
        .map_err(|e| unavailable(&format!("no X11 display ({e}); Wayland needs XWayland")))?;
    let setup = conn.setup();
    let screen = setup
        .roots
        .get(screen_num)
        .ok_or_else(|| unavailable("no such X11 screen"))?;
    let (w, h) = (screen.width_in_pixels, screen.height_in_pixels);
    let reply = conn
        .get_image(ImageFormat::Z_PIXMAP, screen.root, 0, 0, w, h, !0)
        .map_err(|e| unavailable(&e.to_string()))?
        .reply()
        .map_err(|e| unavailable(&e.to_string()))?;
    let format = setup
        .pixmap_formats
        .iter()
        .find(|f| f.depth == reply.depth)
        .ok_or_else(|| unavailable("unknown pixel format"))?;
    let bpp = usize::from(format.bits_per_pixel);
    if bpp != 24 && bpp != 32 {
        return Err(unavailable(
            "only 24 and 32 bit colour screens are supported",
        ));
    }
    let pad = usize::from(format.scanline_pad).max(8);
    let stride = (usize::from(w) * bpp).div_ceil(pad) * pad / 8;
    let step = bpp / 8;
    if reply.data.len() < stride * usize::from(h) {
        return Err(unavailable("short image from the X server"));
    }
    Ok(GrayImage::from_fn(u32::from(w), u32::from(h), |x, y| {
        let i = y as usize * stride + x as usize * step;
        let px = &reply.data[i..i + 3];
        // Symmetric in red and blue, so the X server's byte order does not matter here.
        let luma = (u16::from(px[0]) + 2 * u16::from(px[1]) + u16::from(px[2])) / 4;
        image::Luma([luma as u8])
    }))
}

/// A greyscale picture of the whole screen (not available on this platform yet).
#[cfg(not(all(target_os = "linux", desktop)))]
pub fn capture_screen() -> IpcResult<GrayImage> {
    Err(IpcError::new(
        codes::SCREEN_CAPTURE_UNAVAILABLE,
        "scanning the screen is not available on this platform yet",
    ))
}

/// Whether a camera scanner is built in (the `camera` feature, desktop only).
pub fn camera_supported() -> bool {
    cfg!(all(feature = "camera", desktop))
}

/// How long a camera scan looks for a code before giving up.
pub const CAMERA_SCAN_SECS: u64 = 20;

/// Looks through the first camera until a QR code is seen (at most [`CAMERA_SCAN_SECS`]).
///
/// Formats whose luma plane can be read directly (YUYV, NV12, grey) are preferred, so frames
/// are not converted to RGB just to find a code; MJPEG frames are decoded to greyscale.
#[cfg(all(feature = "camera", desktop))]
pub fn scan_camera() -> IpcResult<Vec<u8>> {
    use nokhwa::utils::{ApiBackend, FrameFormat, RequestedFormat, RequestedFormatType};

    let no_camera = |what: String| IpcError::new(codes::NO_CAMERA, what);
    let cameras = nokhwa::query(ApiBackend::Auto)
        .map_err(|e| no_camera(format!("cameras cannot be listed: {e}")))?;
    let first = cameras
        .first()
        .ok_or_else(|| no_camera("no camera was found".into()))?;
    let formats = [
        FrameFormat::YUYV,
        FrameFormat::NV12,
        FrameFormat::GRAY,
        FrameFormat::MJPEG,
    ];
    let requested =
        RequestedFormat::with_formats(RequestedFormatType::AbsoluteHighestFrameRate, &formats);
    let mut camera = nokhwa::Camera::new(first.index().clone(), requested)
        .map_err(|e| no_camera(format!("the camera cannot be opened: {e}")))?;
    camera
        .open_stream()
        .map_err(|e| no_camera(format!("the camera cannot be started: {e}")))?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(CAMERA_SCAN_SECS);
    let result = loop {
        if std::time::Instant::now() > deadline {
            break Err(IpcError::new(
                codes::NO_QR_CODE,
                "the camera saw no QR code",
            ));
        }
        let frame = match camera.frame() {
            Ok(frame) => frame,
            Err(e) => break Err(no_camera(format!("the camera stopped: {e}"))),
        };
        let res = frame.resolution();
        let Some(luma) = frame_luma(
            frame.source_frame_format(),
            res.width_x,
            res.height_y,
            frame.buffer(),
        ) else {
            continue;
        };
        if let Ok(code) = decode_luma(&luma) {
            break Ok(code);
        }
    };
    let _ = camera.stop_stream();
    result
}

/// Looks through a camera (not built in: the `camera` feature is off, or not a desktop).
#[cfg(not(all(feature = "camera", desktop)))]
pub fn scan_camera() -> IpcResult<Vec<u8>> {
    Err(IpcError::new(
        codes::NO_CAMERA,
        "no camera is available: this build has no camera scanner; scan from the screen or \
         open an image instead",
    ))
}

/// The greyscale picture in a camera frame, without an RGB step where the format allows.
#[cfg(all(feature = "camera", desktop))]
fn frame_luma(
    format: nokhwa::utils::FrameFormat,
    w: u32,
    h: u32,
    data: &[u8],
) -> Option<GrayImage> {
    use nokhwa::utils::FrameFormat;
    let pixels = (w as usize).checked_mul(h as usize)?;
    match format {
        // Y0 U Y1 V: every other byte is luma.
        FrameFormat::YUYV => {
            let luma: Vec<u8> = data.iter().step_by(2).copied().take(pixels).collect();
            GrayImage::from_raw(w, h, luma)
        }
        // The luma plane comes first.
        FrameFormat::NV12 | FrameFormat::GRAY => {
            GrayImage::from_raw(w, h, data.get(..pixels)?.to_vec())
        }
        FrameFormat::MJPEG => image::load_from_memory_with_format(data, image::ImageFormat::Jpeg)
            .ok()
            .map(|i| i.to_luma8()),
        FrameFormat::RAWRGB | FrameFormat::RAWBGR => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A QR code of `payload` (binary) as a PNG with a quiet zone, `px` pixels per module.
    pub(crate) fn qr_png(payload: &[u8], px: u32) -> Vec<u8> {
        let code = qrcode::QrCode::new(payload).expect("qr");
        let width = code.width() as u32;
        let colors = code.to_colors();
        let side = (width + 8) * px;
        let img = GrayImage::from_fn(side, side, |x, y| {
            let (mx, my) = ((x / px).wrapping_sub(4), (y / px).wrapping_sub(4));
            let dark = mx < width
                && my < width
                && colors[(my * width + mx) as usize] == qrcode::Color::Dark;
            image::Luma([if dark { 0 } else { 255 }])
        });
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .expect("png");
        out
    }

    #[test]
    fn finds_binary_payloads_in_png() {
        let payload: Vec<u8> = (0u8..=255).step_by(3).chain([0, 0xff, 0x80]).collect();
        let png = qr_png(&payload, 4);
        assert_eq!(decode_image(&png).expect("decoded"), payload);
    }

    #[cfg(all(feature = "camera", desktop))]
    #[test]
    fn camera_frames_give_their_luma_plane() {
        use nokhwa::utils::FrameFormat;
        let yuyv = [10, 0, 20, 0, 30, 0, 40, 0];
        let luma = frame_luma(FrameFormat::YUYV, 2, 2, &yuyv).expect("yuyv");
        assert_eq!(luma.into_raw(), vec![10, 20, 30, 40]);
        let nv12 = [1, 2, 3, 4, 99, 99];
        assert_eq!(
            frame_luma(FrameFormat::NV12, 2, 2, &nv12)
                .expect("nv12")
                .into_raw(),
            vec![1, 2, 3, 4]
        );
        assert!(
            frame_luma(FrameFormat::GRAY, 4, 4, &nv12).is_none(),
            "short frame"
        );
    }

    #[cfg(all(feature = "camera", desktop))]
    #[test]
    fn without_a_camera_the_error_is_typed() {
        // These machines have no camera: the scan must fail with the "no camera" code.
        if std::path::Path::new("/dev/video0").exists() {
            return;
        }
        assert_eq!(scan_camera().unwrap_err().code, codes::NO_CAMERA);
    }

    #[test]
    fn reports_missing_codes_and_bad_files_with_their_codes() {
        let blank = GrayImage::from_pixel(64, 64, image::Luma([255]));
        let mut png = Vec::new();
        blank
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("png");
        assert_eq!(decode_image(&png).unwrap_err().code, codes::NO_QR_CODE);
        assert_eq!(
            decode_image(b"not an image").unwrap_err().code,
            codes::IMAGE_UNREADABLE
        );
    }
}
