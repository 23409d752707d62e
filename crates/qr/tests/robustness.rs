//! Never a panic, whatever the input: random sizes, strides and contents, and damaged codes.

#[path = "support/corpus.rs"]
mod corpus;

use nextauth_qr::QrProcessor;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_planes_never_panic(
        w in 0usize..200,
        h in 0usize..200,
        pad in 0usize..9,
        len_delta in -3isize..3,
        seed in any::<u64>(),
        kind in 0u8..4,
    ) {
        let stride = w + pad;
        let len = ((stride * h) as isize + len_delta).max(0) as usize;
        let mut rng = corpus::Rng::new(seed);
        let data: Vec<u8> = match kind {
            0 => rng.bytes(len),
            1 => (0..len).map(|i| if (i / 3 + i / (stride.max(1) * 3)) % 2 == 0 { 0 } else { 255 }).collect(),
            2 => vec![0; len],
            _ => (0..len).map(|_| if rng.below(2) == 0 { 0 } else { 255 }).collect(),
        };
        let mut qr = QrProcessor::new();
        let _ = qr.process_frame(&data, w, h, stride);
        let _ = qr.process_frame(&data, w, h, stride);
        let _ = nextauth_qr::decode_image(&data, w, h);
        let _ = nextauth_qr::luma_from_yuyv(&data, w / 2, h, stride);
        let _ = nextauth_qr::luma_from_nv12(&data, w, h, stride);
        #[cfg(feature = "files")]
        { let _ = nextauth_qr::decode_file(&data); }
    }

    #[test]
    fn damaged_codes_never_panic_and_never_return_wrong_bytes_silently(
        seed in any::<u64>(),
        holes in 0usize..40,
    ) {
        // A clean code, then random rectangles painted over it.
        let mut f = corpus::frame(corpus::Category::Clean, 320, 240, seed % 1000);
        let mut rng = corpus::Rng::new(seed);
        for _ in 0..holes {
            let (x, y) = (rng.below(320), rng.below(240));
            let v = if rng.below(2) == 0 { 0 } else { 255 };
            corpus::fill_rect(&mut f.luma, 320, x, y, 1 + rng.below(12), 1 + rng.below(12), v);
        }
        let got = QrProcessor::new().process_frame(&f.luma, 320, 240, 320);
        // Reed-Solomon either corrects the damage or rejects the code.
        if let Some(bytes) = got {
            prop_assert_eq!(Some(bytes), f.payload);
        }
    }
}
