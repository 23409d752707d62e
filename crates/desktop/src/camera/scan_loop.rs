//! The camera scan loop: frames in, a QR payload out, with a small greyscale preview for the
//! UI about ten times a second and a way to cancel. The frames come through [`FrameSource`]
//! (a camera, or a recording in tests); whatever ends the scan, the source is stopped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use nextauth_qr as qr;
use serde::Serialize;

use super::FrameSource;
use crate::error::{codes, ScanError, ScanResult};
use crate::scanner::Luma;

/// How long a camera scan looks for a code before it asks whether to keep looking.
pub const CAMERA_SCAN_SECS: u64 = 20;

/// A small greyscale copy of a camera frame for the UI to draw (one byte a pixel, row by row,
/// base64), so the person can aim the camera.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The samples, base64.
    pub luma: String,
}

/// How long a scan may look, and how its previews are made.
#[derive(Debug, Clone, Copy)]
pub struct ScanLimits {
    /// Give up after this long.
    pub timeout: Duration,
    /// At most one preview this often.
    pub preview_every: Duration,
    /// Previews are at most this wide (and high).
    pub preview_size: usize,
}

impl Default for ScanLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(CAMERA_SCAN_SECS),
            preview_every: Duration::from_millis(100),
            preview_size: 320,
        }
    }
}

/// Reads frames until one holds a QR code (its raw bytes), the person cancels (`cancel` set:
/// [`codes::SCAN_CANCELLED`]), the time runs out ([`codes::NO_QR_CODE`]) or the source fails.
/// Every frame is decoded; previews go to `on_preview` at most every `limits.preview_every`.
/// The source is stopped before this returns, whatever the outcome.
///
/// # Errors
///
/// As above, or the source's own error (a camera unplugged: [`codes::CAMERA_LOST`]).
pub fn scan(
    source: &mut dyn FrameSource,
    cancel: &AtomicBool,
    limits: ScanLimits,
    on_preview: &mut dyn FnMut(Preview),
) -> ScanResult<Vec<u8>> {
    let result = look(source, cancel, limits, on_preview);
    source.stop();
    result
}

/// The QR reader the loop uses for a stream, set up as the loop sets it up (for measurements
/// that replay frames offline).
pub fn processor() -> qr::QrProcessor {
    qr::QrProcessor::new()
}

fn look(
    source: &mut dyn FrameSource,
    cancel: &AtomicBool,
    limits: ScanLimits,
    on_preview: &mut dyn FnMut(Preview),
) -> ScanResult<Vec<u8>> {
    let started = Instant::now();
    let mut last_preview: Option<Instant> = None;
    let mut processor = processor();
    loop {
        if cancel.load(Ordering::SeqCst) {
            return Err(ScanError::new(
                codes::SCAN_CANCELLED,
                "the scan was cancelled",
            ));
        }
        if started.elapsed() > limits.timeout {
            return Err(ScanError::new(
                codes::NO_QR_CODE,
                "The camera saw no QR code. Hold the code closer, in good light, and keep looking.",
            ));
        }
        let Some(frame) = source.next_frame()? else {
            continue;
        };
        if frame.data.len() < frame.width * frame.height {
            continue; // a torn frame
        }
        if last_preview.is_none_or(|at| at.elapsed() >= limits.preview_every) {
            last_preview = Some(Instant::now());
            on_preview(preview_of(&frame, limits.preview_size));
        }
        if let Some(code) =
            processor.process_frame(&frame.data, frame.width, frame.height, frame.width)
        {
            return Ok(code);
        }
    }
}

/// A copy of `frame` scaled down (nearest sample) to fit `max` pixels on its longer side.
pub fn preview_of(frame: &Luma, max: usize) -> Preview {
    let longer = frame.width.max(frame.height).max(1);
    let step = longer.div_ceil(max.max(1)).max(1);
    let (width, height) = (frame.width.div_ceil(step), frame.height.div_ceil(step));
    let mut samples = Vec::with_capacity(width * height);
    for y in (0..frame.height).step_by(step) {
        let row = &frame.data[y * frame.width..(y + 1) * frame.width];
        samples.extend(row.iter().step_by(step));
    }
    Preview {
        width: width as u32,
        height: height as u32,
        luma: base64::engine::general_purpose::STANDARD.encode(samples),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames from a list, then blank ones; counts its stops.
    struct Frames(Vec<Option<Luma>>, usize);

    impl FrameSource for Frames {
        fn next_frame(&mut self) -> ScanResult<Option<Luma>> {
            if self.0.is_empty() {
                return Ok(Some(blank()));
            }
            Ok(self.0.remove(0))
        }

        fn stop(&mut self) {
            self.1 += 1;
        }
    }

    fn blank() -> Luma {
        Luma {
            data: vec![200; 640 * 480],
            width: 640,
            height: 480,
        }
    }

    /// A 640x480 frame with a QR code of `payload` in it.
    fn frame_with_code(payload: &[u8]) -> Luma {
        let code = qrcode::QrCode::new(payload).expect("qr");
        let modules = code.width();
        let colors = code.to_colors();
        let mut frame = blank();
        let (px, left, top) = (6, 150, 60);
        for my in 0..modules {
            for mx in 0..modules {
                if colors[my * modules + mx] == qrcode::Color::Dark {
                    for y in 0..px {
                        let row = (top + my * px + y) * 640;
                        frame.data[row + left + mx * px..row + left + (mx + 1) * px].fill(0);
                    }
                }
            }
        }
        // A white quiet zone is already there (200 is light); make it clean white.
        frame
    }

    #[test]
    fn finds_the_code_and_previews_what_it_sees() {
        let payload = b"\x6e\x41\x01binary \x00\xff payload";
        let mut source = Frames(vec![Some(blank()), None, Some(frame_with_code(payload))], 0);
        let mut previews = Vec::new();
        let limits = ScanLimits {
            preview_every: Duration::ZERO,
            ..ScanLimits::default()
        };
        let found = scan(&mut source, &AtomicBool::new(false), limits, &mut |p| {
            previews.push(p)
        })
        .expect("found");
        assert_eq!(found, payload);
        assert_eq!(source.1, 1, "the stream is stopped once the code is found");
        assert_eq!(previews.len(), 2, "one per readable frame");
        assert_eq!((previews[0].width, previews[0].height), (320, 240));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&previews[1].luma)
            .unwrap();
        assert_eq!(bytes.len(), 320 * 240);
        assert!(bytes.contains(&0), "the code shows in the preview");
    }

    #[test]
    fn cancelling_or_running_out_of_time_are_typed_errors() {
        let limits = ScanLimits {
            timeout: Duration::from_millis(50),
            preview_every: Duration::from_secs(60),
            preview_size: 320,
        };
        let cancel = AtomicBool::new(true);
        let mut source = Frames(vec![], 0);
        let err = scan(&mut source, &cancel, limits, &mut |_| {}).unwrap_err();
        assert_eq!(err.code, codes::SCAN_CANCELLED);
        assert_eq!(source.1, 1, "stopped when cancelled");
        let mut previews = 0;
        let err = scan(
            &mut Frames(vec![], 0),
            &AtomicBool::new(false),
            limits,
            &mut |_| previews += 1,
        )
        .unwrap_err();
        assert_eq!(err.code, codes::NO_QR_CODE);
        assert_eq!(previews, 1, "previews are rate limited");
    }

    #[test]
    fn previews_keep_the_aspect_and_fit() {
        let frame = Luma {
            data: (0..=255u8).cycle().take(1920 * 1080).collect(),
            width: 1920,
            height: 1080,
        };
        let p = preview_of(&frame, 320);
        assert_eq!((p.width, p.height), (320, 180));
        let small = Luma {
            data: vec![7; 100 * 50],
            width: 100,
            height: 50,
        };
        assert_eq!(
            (
                preview_of(&small, 320).width,
                preview_of(&small, 320).height
            ),
            (100, 50)
        );
    }
}
