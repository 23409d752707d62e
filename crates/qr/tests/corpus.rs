//! The processor on a small generated corpus: exact bytes per category, no false positives,
//! camera buffer layouts, strides, location reuse, screenshots and still images.

#[path = "support/corpus.rs"]
mod corpus;

use corpus::{Category, Frame, NO_CODE_KINDS, SIZES};
use nextauth_qr::QrProcessor;

fn read(f: &Frame) -> Option<Vec<u8>> {
    QrProcessor::new().process_frame(&f.luma, f.width, f.height, f.width)
}

/// Every category at every frame size (fixed seeds), exact bytes.
#[test]
fn reads_every_category_at_every_size() {
    let mut misses = Vec::new();
    for (ci, cat) in Category::ALL.iter().enumerate() {
        for (si, &(w, h)) in SIZES.iter().enumerate() {
            for i in 0..2u64 {
                let seed = 0xC0DE + 100 * ci as u64 + 10 * si as u64 + i;
                let f = corpus::frame(*cat, w, h, seed);
                let got = read(&f);
                if got != f.payload {
                    misses.push(format!(
                        "{} {w}x{h} seed {seed} v{} m={:.2}: {:?}",
                        cat.name(),
                        f.version,
                        f.module_px,
                        got.map(|g| g.len())
                    ));
                }
            }
        }
    }
    assert!(misses.is_empty(), "missed: {misses:#?}");
}

#[test]
fn no_false_positives_on_frames_without_a_code() {
    for kind in NO_CODE_KINDS {
        for &(w, h) in &SIZES[..2] {
            for seed in 0..2 {
                let img = corpus::no_code_frame(kind, w, h, seed);
                let got = QrProcessor::new().process_frame(&img, w, h, w);
                assert_eq!(got, None, "{kind} {w}x{h} seed {seed}");
                assert_eq!(
                    nextauth_qr::decode_image(&img, w, h),
                    None,
                    "{kind} {w}x{h} still"
                );
            }
        }
    }
}

#[test]
fn all_payload_plans_of_versions_2_to_13_round_trip_on_a_clean_render() {
    let mut rng = corpus::Rng::new(5);
    for version in 2..=13 {
        for nominal in [100, 300] {
            let code = corpus::make_code(&mut rng, version, nominal);
            let m = 4usize;
            let side = (code.size + 8) * m;
            let mut img = vec![255u8; side * side];
            for y in 0..code.size {
                for x in 0..code.size {
                    if code.dark[y * code.size + x] {
                        corpus::fill_rect(&mut img, side, (x + 4) * m, (y + 4) * m, m, m, 0);
                    }
                }
            }
            let got = QrProcessor::new().process_frame(&img, side, side, side);
            assert_eq!(
                got.as_deref(),
                Some(&code.payload[..]),
                "v{version} {nominal}"
            );
        }
    }
}

#[test]
fn reads_yuyv_and_nv12_buffers_and_strided_planes() {
    let f = corpus::frame(Category::Clean, 640, 480, 42);
    let (w, h) = (f.width, f.height);
    // YUYV with padding at the end of each row.
    let stride = 2 * w + 16;
    let mut yuyv = vec![0u8; stride * h];
    for y in 0..h {
        for x in 0..w {
            yuyv[y * stride + 2 * x] = f.luma[y * w + x];
            yuyv[y * stride + 2 * x + 1] = (x * 7 + y) as u8; // chroma: anything
        }
    }
    let luma = nextauth_qr::luma_from_yuyv(&yuyv, w, h, stride).expect("valid yuyv");
    assert_eq!(luma, f.luma);
    assert_eq!(QrProcessor::new().process_frame(&luma, w, h, w), f.payload);
    assert_eq!(nextauth_qr::luma_from_yuyv(&yuyv, w, h + 1, stride), None);

    // NV12 with a stride: Y plane rows padded, then the UV plane.
    let stride = w + 32;
    let mut nv12 = vec![128u8; stride * h + stride * h / 2];
    for y in 0..h {
        nv12[y * stride..y * stride + w].copy_from_slice(&f.luma[y * w..(y + 1) * w]);
        nv12[y * stride + w..(y + 1) * stride].fill(0); // padding must be ignored
    }
    let y_plane = nextauth_qr::luma_from_nv12(&nv12, w, h, stride).expect("valid nv12");
    assert_eq!(
        QrProcessor::new().process_frame(y_plane, w, h, stride),
        f.payload
    );
}

#[test]
fn reuses_the_last_location_and_forgets_on_reset() {
    let f = corpus::frame(Category::Rotated, 1280, 720, 9);
    let mut qr = QrProcessor::new();
    for _ in 0..3 {
        assert_eq!(
            qr.process_frame(&f.luma, f.width, f.height, f.width),
            f.payload
        );
    }
    // A frame without the code after one with it: nothing, and no stale result.
    let blank = vec![90u8; f.width * f.height];
    assert_eq!(qr.process_frame(&blank, f.width, f.height, f.width), None);
    qr.reset();
    assert_eq!(
        qr.process_frame(&f.luma, f.width, f.height, f.width),
        f.payload
    );
}

#[test]
fn finds_a_code_on_a_4k_screenshot() {
    for (i, m) in [4usize, 6].into_iter().enumerate() {
        let f = corpus::screenshot_4k(77 + i as u64, m);
        assert_eq!(
            nextauth_qr::decode_image(&f.luma, f.width, f.height),
            f.payload,
            "module {m}"
        );
    }
}

#[test]
fn rejects_invalid_dimensions_without_panicking() {
    let mut qr = QrProcessor::new();
    let buf = vec![0u8; 100];
    assert_eq!(qr.process_frame(&buf, 0, 10, 0), None);
    assert_eq!(qr.process_frame(&buf, 10, 0, 10), None);
    assert_eq!(qr.process_frame(&buf, 10, 10, 9), None); // stride < width
    assert_eq!(qr.process_frame(&buf, 10, 11, 10), None); // too short
    assert_eq!(qr.process_frame(&buf, usize::MAX, 2, usize::MAX), None);
    assert_eq!(qr.process_frame(&buf, 1, 100, 1), None);
    assert_eq!(nextauth_qr::decode_image(&buf, 100, 1), None);
}

#[cfg(feature = "files")]
#[test]
fn still_image_files() {
    // A PNG of a rendered frame, written with the png crate the loader uses.
    let f = corpus::frame(Category::Clean, 640, 480, 3);
    let mut png_bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png_bytes, 640, 480);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().expect("header");
        wr.write_image_data(&f.luma).expect("data");
    }
    assert_eq!(nextauth_qr::decode_file(&png_bytes), Ok(f.payload.clone()));
    // RGBA: the same luma in every channel, opaque.
    let rgba: Vec<u8> = f.luma.iter().flat_map(|&v| [v, v, v, 255]).collect();
    let mut png_rgba = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png_rgba, 640, 480);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().expect("header");
        wr.write_image_data(&rgba).expect("data");
    }
    assert_eq!(nextauth_qr::decode_file(&png_rgba), Ok(f.payload));
    assert!(nextauth_qr::decode_file(b"GIF89a...").is_err());
    assert!(nextauth_qr::decode_file(&png_bytes[..60]).is_err());
    assert!(nextauth_qr::decode_file(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J']).is_err());
}

#[test]
fn tiny_modules_without_a_coarse_hint_are_found_within_a_few_stream_frames() {
    // About 2 px per module at 1280x720: the coarse (half-scale) pass sees no finder at all,
    // so a single frame is not read; a stream forces the full-resolution scan every 4th
    // frame without a code.
    let f = corpus::frame(Category::Small, 1280, 720, 4402342478431);
    assert!(f.module_px < 2.1);
    let mut qr = QrProcessor::new();
    let found = (0..4).find(|_| qr.process_frame(&f.luma, f.width, f.height, f.width) == f.payload);
    assert!(found.is_some(), "not read within 4 frames");
    // And then every frame, from the remembered location.
    assert_eq!(
        qr.process_frame(&f.luma, f.width, f.height, f.width),
        f.payload
    );
}
