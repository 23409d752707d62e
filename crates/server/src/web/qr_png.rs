//! QR codes as PNG images: byte mode, error correction level M, a quiet zone of 4 modules,
//! 8-bit greyscale, each module an integer number of pixels.

use qrcode::bits::Bits;
use qrcode::types::{Color, EcLevel, Version};
use qrcode::QrCode;

/// Size of the image when the caller does not ask for one (pixels).
pub const DEFAULT_SIZE: u32 = 500;
/// Smallest image side a caller can ask for (pixels).
pub const MIN_SIZE: u32 = 100;
/// Largest image side a caller can ask for (pixels).
pub const MAX_SIZE: u32 = 2000;
/// Light modules around the code, on each side.
pub const QUIET_ZONE: usize = 4;

/// Why a QR image could not be made.
#[derive(Debug, thiserror::Error)]
pub enum QrImageError {
    /// The data does not fit in any QR version at level M.
    #[error("data too long for a QR code")]
    TooLong,
    /// The PNG encoder failed.
    #[error("PNG encoding failed")]
    Png,
}

/// The QR code for `data` in byte mode at level M, in the smallest version that holds it.
///
/// # Errors
///
/// [`QrImageError::TooLong`] when no version holds the data.
pub fn code(data: &[u8]) -> Result<QrCode, QrImageError> {
    for version in 1..=40 {
        let mut bits = Bits::new(Version::Normal(version));
        if bits.push_byte_data(data).is_err() || bits.push_terminator(EcLevel::M).is_err() {
            continue;
        }
        return QrCode::with_bits(bits, EcLevel::M).map_err(|_| QrImageError::TooLong);
    }
    Err(QrImageError::TooLong)
}

/// The requested image side, clamped to [`MIN_SIZE`]..=[`MAX_SIZE`] ([`DEFAULT_SIZE`] if none).
pub fn clamp_size(requested: Option<u32>) -> u32 {
    requested.unwrap_or(DEFAULT_SIZE).clamp(MIN_SIZE, MAX_SIZE)
}

/// Encodes `data` as a QR code PNG whose side is the multiple of the module count (quiet zone
/// included) closest to `size_px` (at least one pixel a module; `size_px` is capped at
/// [`MAX_SIZE`]).
///
/// # Errors
///
/// Fails when the data does not fit in a QR code or the PNG cannot be written.
pub fn png(data: &[u8], size_px: u32) -> Result<Vec<u8>, QrImageError> {
    let code = code(data)?;
    let width = code.width();
    let colors = code.to_colors();
    let modules = width + 2 * QUIET_ZONE;
    let target = size_px.min(MAX_SIZE) as usize;
    let scale = ((target + modules / 2) / modules).max(1);
    let side = modules * scale;
    let mut pixels = vec![0xffu8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i % width + QUIET_ZONE, i / width + QUIET_ZONE);
        for y in my * scale..(my + 1) * scale {
            pixels[y * side + mx * scale..y * side + (mx + 1) * scale].fill(0);
        }
    }
    encode_grey(side as u32, &pixels)
}

fn encode_grey(side: u32, pixels: &[u8]) -> Result<Vec<u8>, QrImageError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|_| QrImageError::Png)?;
    writer
        .write_image_data(pixels)
        .map_err(|_| QrImageError::Png)?;
    writer.finish().map_err(|_| QrImageError::Png)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_is_a_multiple_of_the_module_count_close_to_the_request() {
        let data = [0xa5u8; 64];
        let code = code(&data).expect("code");
        let modules = code.width() + 2 * QUIET_ZONE;
        for requested in [100u32, 333, 500, 2000] {
            let png = png(&data, requested).expect("png");
            let side = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
            assert_eq!(side as usize % modules, 0);
            assert!(
                side.abs_diff(requested) <= modules as u32 / 2 + 1,
                "{side} vs {requested}"
            );
        }
    }

    #[test]
    fn sizes_are_clamped() {
        assert_eq!(clamp_size(None), 500);
        assert_eq!(clamp_size(Some(1)), 100);
        assert_eq!(clamp_size(Some(1_000_000)), 2000);
    }

    #[test]
    fn long_data_still_fits_up_to_the_limit() {
        assert!(code(&[7u8; 400]).is_ok());
        assert!(matches!(code(&[7u8; 3000]), Err(QrImageError::TooLong)));
    }
}
