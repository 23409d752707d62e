//! Finding a nextAuth QR code in an image: a file, image bytes from the UI, the screen or a
//! camera.
//!
//! Decoding uses the project's QR processor (`nextauth-qr`): it reads PNG and JPEG files into a luma plane itself, finds codes
//! anywhere on a large screenshot, and takes camera luma planes (YUYV, NV12) without an RGB
//! step. The payload is binary (docs/protocol.md), so the raw bytes of the code are returned,
//! never a string.

use nextauth_qr as qr;

use crate::error::{codes, ScanError, ScanResult};

/// Largest image file accepted (bytes).
pub const MAX_IMAGE_BYTES: usize = 32 * 1024 * 1024;

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
pub fn decode_image(bytes: &[u8]) -> ScanResult<Vec<u8>> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ScanError::new(
            codes::IMAGE_UNREADABLE,
            "the image is too large (more than 32 MiB)",
        ));
    }
    match qr::decode_file(bytes) {
        Ok(Some(code)) => Ok(code),
        Ok(None) => Err(no_code("the image")),
        Err(err) => Err(ScanError::new(
            codes::IMAGE_UNREADABLE,
            format!("the image cannot be read: {err}"),
        )),
    }
}

/// The raw bytes of the first QR code found in a greyscale picture.
pub fn decode_luma(luma: &Luma) -> ScanResult<Vec<u8>> {
    qr::decode_image(&luma.data, luma.width, luma.height).ok_or_else(|| no_code("the picture"))
}

/// Most codes read from one screenshot.
pub const MAX_SCREEN_CODES: usize = 6;

/// The raw bytes of every QR code in a greyscale picture (at most [`MAX_SCREEN_CODES`]).
pub fn decode_all_luma(luma: &Luma) -> Vec<Vec<u8>> {
    qr::decode_image_all(&luma.data, luma.width, luma.height, MAX_SCREEN_CODES)
}

fn no_code(place: &str) -> ScanError {
    ScanError::new(
        codes::NO_QR_CODE,
        format!("no QR code was found in {place}"),
    )
}

/// Whether "scan from screen" can work here: an X11 display on Linux (Xorg, or XWayland).
pub fn screen_capture_supported() -> bool {
    cfg!(target_os = "linux") && std::env::var_os("DISPLAY").is_some()
}

/// A greyscale picture of the whole screen (X11 `GetImage` on the root window).
#[cfg(target_os = "linux")]
pub fn capture_screen() -> ScanResult<Luma> {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ConnectionExt, ImageFormat};

    let unavailable = |what: &str| {
        ScanError::new(
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
#[cfg(not(target_os = "linux"))]
pub fn capture_screen() -> ScanResult<Luma> {
    Err(ScanError::new(
        codes::SCREEN_CAPTURE_UNAVAILABLE,
        "scanning the screen is not available on this platform yet",
    ))
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
}
