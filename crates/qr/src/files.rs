//! Still image files (PNG, JPEG) to luma planes, for "scan from file" and the CLI.

use std::fmt;

/// A decoded image as an 8-bit luma plane (`width` bytes per row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LumaImage {
    /// Luma samples, row by row.
    pub data: Vec<u8>,
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
}

/// Why an image file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// Neither a PNG nor a JPEG file (by its signature).
    UnknownFormat,
    /// The file is damaged or uses a feature the decoder does not support.
    Decode(String),
    /// Larger than [`MAX_PIXELS`].
    TooLarge,
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageError::UnknownFormat => write!(f, "not a PNG or JPEG image"),
            ImageError::Decode(e) => write!(f, "cannot decode image: {e}"),
            ImageError::TooLarge => write!(f, "image too large"),
        }
    }
}

impl std::error::Error for ImageError {}

/// Largest accepted image (pixels): an 8K × 8K desktop is 64 Mpx.
pub const MAX_PIXELS: usize = 1 << 26;

/// Decodes a PNG or JPEG file's bytes into luma (BT.601 weights for colour images; alpha is
/// composited onto white, as a transparent code on a page would look).
pub fn load_luma(bytes: &[u8]) -> Result<LumaImage, ImageError> {
    if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
        load_png(bytes)
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        load_jpeg(bytes)
    } else {
        Err(ImageError::UnknownFormat)
    }
}

fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((299 * r as u32 + 587 * g as u32 + 114 * b as u32 + 500) / 1000) as u8
}

fn over_white(v: u8, a: u8) -> u8 {
    ((v as u32 * a as u32 + 255 * (255 - a as u32) + 127) / 255) as u8
}

fn load_png(bytes: &[u8]) -> Result<LumaImage, ImageError> {
    let err = |e: png::DecodingError| ImageError::Decode(e.to_string());
    let mut dec = png::Decoder::new(bytes);
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().map_err(err)?;
    let (w, h) = {
        let info = reader.info();
        (info.width as usize, info.height as usize)
    };
    if w.checked_mul(h).is_none_or(|n| n > MAX_PIXELS) {
        return Err(ImageError::TooLarge);
    }
    let mut buf = vec![0u8; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).map_err(err)?;
    let buf = &buf[..frame.buffer_size()];
    let data: Vec<u8> = match frame.color_type {
        png::ColorType::Grayscale => buf.to_vec(),
        png::ColorType::GrayscaleAlpha => buf
            .chunks_exact(2)
            .map(|p| over_white(p[0], p[1]))
            .collect(),
        png::ColorType::Rgb => buf
            .chunks_exact(3)
            .map(|p| luma(p[0], p[1], p[2]))
            .collect(),
        png::ColorType::Rgba => buf
            .chunks_exact(4)
            .map(|p| over_white(luma(p[0], p[1], p[2]), p[3]))
            .collect(),
        png::ColorType::Indexed => {
            return Err(ImageError::Decode("unexpanded palette".into()));
        }
    };
    let width = frame.width as usize;
    let height = frame.height as usize;
    if data.len() != width * height {
        return Err(ImageError::Decode("unexpected sample layout".into()));
    }
    Ok(LumaImage {
        data,
        width,
        height,
    })
}

fn load_jpeg(bytes: &[u8]) -> Result<LumaImage, ImageError> {
    use zune_jpeg::zune_core::bytestream::ZCursor;
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;
    let opts = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_max_width(1 << 15)
        .set_max_height(1 << 15);
    let mut dec = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), opts);
    dec.decode_headers()
        .map_err(|e| ImageError::Decode(format!("{e:?}")))?;
    let (w, h) = dec
        .dimensions()
        .ok_or_else(|| ImageError::Decode("no dimensions".into()))?;
    if w.checked_mul(h).is_none_or(|n| n > MAX_PIXELS) {
        return Err(ImageError::TooLarge);
    }
    let data = dec
        .decode()
        .map_err(|e| ImageError::Decode(format!("{e:?}")))?;
    if data.len() != w * h {
        return Err(ImageError::Decode("unexpected sample layout".into()));
    }
    Ok(LumaImage {
        data,
        width: w,
        height: h,
    })
}
