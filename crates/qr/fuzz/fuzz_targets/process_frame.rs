//! `QrProcessor::process_frame`, `decode_image` and the camera-buffer helpers on arbitrary
//! planes: never a panic. The first bytes choose the width, height and stride; the rest are
//! the pixels. Each input is also fed as two consecutive frames (location reuse), and its
//! pixels are thresholded to black and white (sharp edges make finder-like patterns likelier).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nextauth_qr::QrProcessor;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let w = 1 + data[0] as usize % 160;
    let h = 1 + data[1] as usize % 160;
    let stride = w + data[2] as usize % 8;
    let mode = data[3];
    let pixels = &data[4..];
    let mut qr = QrProcessor::new();
    let _ = qr.process_frame(pixels, w, h, stride);
    let bw: Vec<u8> = pixels.iter().map(|&p| if p & 0x80 != 0 { 255 } else { 0 }).collect();
    let _ = qr.process_frame(&bw, w, h, stride);
    if mode & 1 == 0 {
        let _ = nextauth_qr::decode_image(&bw, w, h);
    }
    let _ = nextauth_qr::luma_from_yuyv(pixels, w, h, stride);
    let _ = nextauth_qr::luma_from_nv12(pixels, w, h, stride);
});
