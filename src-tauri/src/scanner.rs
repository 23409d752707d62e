//! Finding a nextAuth QR code in an image: a file, image bytes from the UI, the screen or a
//! camera.
//!
//! Decoding uses the project's QR processor (`nextauth-qr`, re-exported by the SDK as
//! `nextauth_sdk::qr`): it reads PNG and JPEG files into a luma plane itself, finds codes
//! anywhere on a large screenshot, and takes camera luma planes (YUYV, NV12) without an RGB
//! step. The payload is binary (docs/protocol.md), so the raw bytes of the code are returned,
//! never a string.

use nextauth_sdk::qr;

use crate::error::{codes, IpcError, IpcResult};

/// Largest image file accepted (bytes).
pub const MAX_IMAGE_BYTES: usize = 32 * 1024 * 1024;

/// How long a camera scan looks for a code before giving up.
pub const CAMERA_SCAN_SECS: u64 = 20;

/// An 8-bit greyscale picture, `width` bytes per row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Luma {
    /// Samples, row by row.
    pub data: Vec<u8>,
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
}

/// The raw bytes of the first QR code found in an encoded image (PNG or JPEG).
pub fn decode_image(bytes: &[u8]) -> IpcResult<Vec<u8>> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(IpcError::new(
            codes::IMAGE_UNREADABLE,
            "the image is too large (more than 32 MiB)",
        ));
    }
    match qr::decode_file(bytes) {
        Ok(Some(code)) => Ok(code),
        Ok(None) => Err(no_code("the image")),
        Err(err) => Err(IpcError::new(
            codes::IMAGE_UNREADABLE,
            format!("the image cannot be read: {err}"),
        )),
    }
}

/// The raw bytes of the first QR code found in a greyscale picture.
pub fn decode_luma(luma: &Luma) -> IpcResult<Vec<u8>> {
    qr::decode_image(&luma.data, luma.width, luma.height).ok_or_else(|| no_code("the picture"))
}

/// Most codes read from one screenshot.
pub const MAX_SCREEN_CODES: usize = 6;

/// The raw bytes of every QR code in a greyscale picture (at most [`MAX_SCREEN_CODES`]).
pub fn decode_all_luma(luma: &Luma) -> Vec<Vec<u8>> {
    qr::decode_image_all(&luma.data, luma.width, luma.height, MAX_SCREEN_CODES)
}

fn no_code(place: &str) -> IpcError {
    IpcError::new(
        codes::NO_QR_CODE,
        format!("no QR code was found in {place}"),
    )
}

/// Whether "scan from screen" can work here: an X11 display on Linux (Xorg, or XWayland).
pub fn screen_capture_supported() -> bool {
    cfg!(all(target_os = "linux", desktop)) && std::env::var_os("DISPLAY").is_some()
}

/// A greyscale picture of the whole screen (X11 `GetImage` on the root window).
#[cfg(all(target_os = "linux", desktop))]
pub fn capture_screen() -> IpcResult<Luma> {
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
    let (width, height) = (usize::from(w), usize::from(h));
    let pad = usize::from(format.scanline_pad).max(8);
    let stride = (width * bpp).div_ceil(pad) * pad / 8;
    let step = bpp / 8;
    if reply.data.len() < stride * height {
        return Err(unavailable("short image from the X server"));
    }
    let mut data = Vec::with_capacity(width * height);
    for row in reply.data.chunks(stride).take(height) {
        for px in row.chunks(step).take(width) {
            // Symmetric in red and blue, so the X server's byte order does not matter here.
            let luma = (u16::from(px[0]) + 2 * u16::from(px[1]) + u16::from(px[2])) / 4;
            data.push(luma as u8);
        }
    }
    Ok(Luma {
        data,
        width,
        height,
    })
}

/// A greyscale picture of the whole screen (not available on this platform yet).
#[cfg(not(all(target_os = "linux", desktop)))]
pub fn capture_screen() -> IpcResult<Luma> {
    Err(IpcError::new(
        codes::SCREEN_CAPTURE_UNAVAILABLE,
        "scanning the screen is not available on this platform yet",
    ))
}

/// Whether a camera scanner is built in (the `camera` feature, desktop only).
pub fn camera_supported() -> bool {
    cfg!(all(feature = "camera", desktop))
}

/// Looks through the first camera until a QR code is seen (at most [`CAMERA_SCAN_SECS`]),
/// handing previews to `on_preview` and stopping when `cancel` is set ([`crate::camera::scan`]).
///
/// Formats whose luma plane can be read directly (YUYV, NV12, grey) are preferred, so frames
/// are not converted to RGB just to find a code; MJPEG frames are decoded to greyscale. One
/// [`qr::QrProcessor`] reads the stream (it looks first where the last candidate was).
#[cfg(all(feature = "camera", desktop))]
pub fn scan_camera(
    cancel: &std::sync::atomic::AtomicBool,
    on_preview: &mut dyn FnMut(crate::camera::Preview),
) -> IpcResult<Vec<u8>> {
    use nokhwa::utils::{ApiBackend, FrameFormat, RequestedFormat, RequestedFormatType};

    /// nokhwa's camera as a frame source.
    struct Nokhwa(nokhwa::Camera);

    impl crate::camera::FrameSource for Nokhwa {
        fn next_frame(&mut self) -> IpcResult<Option<Luma>> {
            let frame = self
                .0
                .frame()
                .map_err(|e| IpcError::new(codes::NO_CAMERA, format!("the camera stopped: {e}")))?;
            let res = frame.resolution();
            Ok(frame_luma(
                frame.source_frame_format(),
                res.width_x as usize,
                res.height_y as usize,
                frame.buffer(),
            ))
        }
    }

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
    let mut source = Nokhwa(camera);
    let result = crate::camera::scan(
        &mut source,
        cancel,
        crate::camera::ScanLimits::default(),
        on_preview,
    );
    let _ = source.0.stop_stream();
    result
}

/// Looks through a camera (not built in: the `camera` feature is off, or not a desktop).
#[cfg(not(all(feature = "camera", desktop)))]
pub fn scan_camera(
    _cancel: &std::sync::atomic::AtomicBool,
    _on_preview: &mut dyn FnMut(crate::camera::Preview),
) -> IpcResult<Vec<u8>> {
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
    width: usize,
    height: usize,
    data: &[u8],
) -> Option<Luma> {
    use nokhwa::utils::FrameFormat;
    let plane = match format {
        FrameFormat::YUYV => qr::luma_from_yuyv(data, width, height, width.checked_mul(2)?)?,
        FrameFormat::NV12 => qr::luma_from_nv12(data, width, height, width)?.to_vec(),
        FrameFormat::GRAY => data.get(..width.checked_mul(height)?)?.to_vec(),
        FrameFormat::MJPEG => {
            let img = qr::files::load_luma(data).ok()?;
            return Some(Luma {
                data: img.data,
                width: img.width,
                height: img.height,
            });
        }
        FrameFormat::RAWRGB | FrameFormat::RAWBGR => return None,
    };
    Some(Luma {
        data: plane,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use image::GrayImage;

    use super::*;

    /// A QR code of `payload` (binary) drawn with a quiet zone, `px` pixels per module.
    fn qr_picture(payload: &[u8], px: u32) -> GrayImage {
        let code = qrcode::QrCode::new(payload).expect("qr");
        let width = code.width() as u32;
        let colors = code.to_colors();
        let side = (width + 8) * px;
        GrayImage::from_fn(side, side, |x, y| {
            let (mx, my) = ((x / px).wrapping_sub(4), (y / px).wrapping_sub(4));
            let dark = mx < width
                && my < width
                && colors[(my * width + mx) as usize] == qrcode::Color::Dark;
            image::Luma([if dark { 0 } else { 255 }])
        })
    }

    fn png(img: &GrayImage) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .expect("png");
        out
    }

    fn payload() -> Vec<u8> {
        (0u8..=255).step_by(3).chain([0, 0xff, 0x80]).collect()
    }

    #[test]
    fn finds_binary_payloads_in_png() {
        assert_eq!(
            decode_image(&png(&qr_picture(&payload(), 4))).expect("decoded"),
            payload()
        );
    }

    #[test]
    fn finds_a_small_code_on_a_large_screen() {
        let code = qr_picture(&payload(), 3);
        let mut screen = GrayImage::from_pixel(1920, 1080, image::Luma([230]));
        image::imageops::overlay(&mut screen, &code, 1500, 700);
        let luma = Luma {
            width: screen.width() as usize,
            height: screen.height() as usize,
            data: screen.into_raw(),
        };
        assert_eq!(decode_luma(&luma).expect("decoded"), payload());
    }

    #[test]
    fn finds_every_code_on_a_screen_with_several() {
        // Two browser windows, each with its code, and one code twice: each is read once.
        let (a, b) = (payload(), b"another code".to_vec());
        let mut screen = GrayImage::from_pixel(1920, 1080, image::Luma([230]));
        image::imageops::overlay(&mut screen, &qr_picture(&a, 3), 200, 300);
        image::imageops::overlay(&mut screen, &qr_picture(&b, 4), 1300, 500);
        image::imageops::overlay(&mut screen, &qr_picture(&a, 3), 700, 100);
        let luma = Luma {
            width: screen.width() as usize,
            height: screen.height() as usize,
            data: screen.into_raw(),
        };
        let mut found = decode_all_luma(&luma);
        found.sort();
        let mut expected = vec![a, b];
        expected.sort();
        assert_eq!(found, expected);
    }

    #[test]
    fn reports_missing_codes_and_bad_files_with_their_codes() {
        let blank = GrayImage::from_pixel(64, 64, image::Luma([255]));
        assert_eq!(
            decode_image(&png(&blank)).unwrap_err().code,
            codes::NO_QR_CODE
        );
        assert_eq!(
            decode_image(b"not an image").unwrap_err().code,
            codes::IMAGE_UNREADABLE
        );
        let too_big = vec![0u8; MAX_IMAGE_BYTES + 1];
        assert_eq!(
            decode_image(&too_big).unwrap_err().code,
            codes::IMAGE_UNREADABLE
        );
    }

    #[cfg(all(feature = "camera", desktop))]
    #[test]
    fn camera_frames_give_their_luma_plane() {
        use nokhwa::utils::FrameFormat;
        let yuyv = [10, 0, 20, 0, 30, 0, 40, 0];
        let luma = frame_luma(FrameFormat::YUYV, 2, 2, &yuyv).expect("yuyv");
        assert_eq!(luma.data, vec![10, 20, 30, 40]);
        let nv12 = [1, 2, 3, 4, 99, 99];
        assert_eq!(
            frame_luma(FrameFormat::NV12, 2, 2, &nv12)
                .expect("nv12")
                .data,
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
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let err = scan_camera(&cancel, &mut |_| {}).unwrap_err();
        assert_eq!(err.code, codes::NO_CAMERA);
    }
}
