//! The greyscale plane of a camera frame in the formats cameras deliver, without an RGB step.

use nextauth_qr as qr;

use crate::scanner::Luma;

/// A camera's pixel format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    /// Packed 4:2:2, Y0 U Y1 V (two bytes a pixel).
    Yuyv,
    /// Planar 4:2:0: the Y plane, then interleaved UV at half size.
    Nv12,
    /// 8-bit grey.
    Gray,
    /// Each frame a JPEG picture.
    Mjpeg,
}

impl PixelFormat {
    /// The file extension of a recorded frame in this format.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Yuyv => "yuyv",
            Self::Nv12 => "nv12",
            Self::Gray => "gray",
            Self::Mjpeg => "mjpeg",
        }
    }

    /// The format of a recorded frame's extension.
    pub fn from_extension(ext: &str) -> Option<Self> {
        [Self::Yuyv, Self::Nv12, Self::Gray, Self::Mjpeg]
            .into_iter()
            .find(|f| f.extension() == ext)
    }
}

/// The luma plane of a `width`×`height` frame; `None` for a short or undecodable frame (torn
/// frames happen: the scan loop skips them).
pub fn to_luma(format: PixelFormat, width: usize, height: usize, data: &[u8]) -> Option<Luma> {
    let plane = match format {
        PixelFormat::Yuyv => qr::luma_from_yuyv(data, width, height, width.checked_mul(2)?)?,
        PixelFormat::Nv12 => qr::luma_from_nv12(data, width, height, width)?.to_vec(),
        PixelFormat::Gray => data.get(..width.checked_mul(height)?)?.to_vec(),
        PixelFormat::Mjpeg => {
            // Decoded straight to luma (zune-jpeg skips the colour conversion).
            let img = qr::files::load_luma(data).ok()?;
            return Some(Luma {
                data: img.data,
                width: img.width,
                height: img.height,
            });
        }
    };
    Some(Luma {
        data: plane,
        width,
        height,
    })
}

/// A luma plane in `format`, as a camera would deliver it (chroma neutral): for recorded
/// sequences.
pub fn from_luma(format: PixelFormat, luma: &Luma) -> Vec<u8> {
    match format {
        PixelFormat::Yuyv => luma.data.iter().flat_map(|&y| [y, 128]).collect(),
        PixelFormat::Nv12 => {
            let chroma = luma.width.div_ceil(2) * 2 * luma.height.div_ceil(2);
            let mut out = luma.data.clone();
            out.resize(luma.data.len() + chroma, 128);
            out
        }
        PixelFormat::Gray => luma.data.clone(),
        PixelFormat::Mjpeg => {
            let mut out = Vec::new();
            let encoder = jpeg_encoder::Encoder::new(&mut out, 85);
            let (w, h) = (luma.width as u16, luma.height as u16);
            // A luma plane always fits the encoder (sizes checked by the caller's frames).
            if encoder
                .encode(&luma.data, w, h, jpeg_encoder::ColorType::Luma)
                .is_err()
            {
                out.clear();
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_gives_back_the_luma_plane() {
        let luma = Luma {
            data: (0..64 * 48).map(|i| (i % 251) as u8).collect(),
            width: 64,
            height: 48,
        };
        for format in [PixelFormat::Yuyv, PixelFormat::Nv12, PixelFormat::Gray] {
            let frame = from_luma(format, &luma);
            assert_eq!(
                to_luma(format, 64, 48, &frame).as_ref(),
                Some(&luma),
                "{format:?}"
            );
            // A torn frame (cut short) is skipped, not misread.
            assert_eq!(to_luma(format, 64, 48, &frame[..frame.len() / 3]), None);
        }
        let jpeg = from_luma(PixelFormat::Mjpeg, &luma);
        let back = to_luma(PixelFormat::Mjpeg, 64, 48, &jpeg).expect("jpeg");
        assert_eq!((back.width, back.height), (64, 48));
        let error: u64 = back
            .data
            .iter()
            .zip(&luma.data)
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum();
        assert!(error / 3072 < 12, "lossy but close: {}", error / 3072);
        assert_eq!(to_luma(PixelFormat::Mjpeg, 64, 48, b"not a jpeg"), None);
    }

    #[test]
    fn yuyv_and_nv12_take_the_y_samples_only() {
        let yuyv = [10, 0, 20, 0, 30, 0, 40, 0];
        assert_eq!(
            to_luma(PixelFormat::Yuyv, 2, 2, &yuyv).unwrap().data,
            vec![10, 20, 30, 40]
        );
        let nv12 = [1, 2, 3, 4, 99, 99];
        assert_eq!(
            to_luma(PixelFormat::Nv12, 2, 2, &nv12).unwrap().data,
            vec![1, 2, 3, 4]
        );
        assert!(
            to_luma(PixelFormat::Gray, 4, 4, &nv12).is_none(),
            "short frame"
        );
    }
}
