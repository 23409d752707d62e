//! Tuning frames that only the re-reads of a frame that did not read at first take
//! (`lib.rs::read`, docs/qr.md fifth round): the half-size re-read of large finders (a
//! screen's moire at 640×480, noise over a low-contrast code at 1920×1080) and the re-read with
//! each block at its own threshold (a shadow's edge). Each was a miss before its re-read.

#[path = "support/scenes/mod.rs"]
mod scenes;

use nextauth_qr::QrProcessor;
use scenes::{Condition, Split, RESOLUTIONS};

fn tuning_frame(condition: &str, width: usize, index: u64) -> scenes::Frame {
    let c = Condition::ALL
        .iter()
        .position(|k| k.name() == condition)
        .expect("a condition");
    let r = RESOLUTIONS
        .iter()
        .position(|s| s.0 == width)
        .expect("a frame size");
    let seed = Split::Tune.seed(scenes::code_stream(c, r), index);
    scenes::frame(Condition::ALL[c], RESOLUTIONS[r], seed)
}

fn assert_reads(condition: &str, width: usize, index: u64) {
    let f = tuning_frame(condition, width, index);
    let read = QrProcessor::new().process_frame(&f.luma, f.width, f.height, f.width);
    assert!(f.payload.is_some());
    assert_eq!(read, f.payload, "{condition} {width} {index}: {}", f.note);
}

#[test]
fn large_finders_under_moire_or_noise_are_read_again_at_half_size() {
    for index in [7, 60, 82, 86] {
        assert_reads("screen", 640, index);
    }
    for index in [35, 79, 107] {
        assert_reads("lowcontrast+noise", 1920, index);
    }
}

#[test]
fn finders_across_a_shadow_edge_are_read_again_with_each_block_its_own_threshold() {
    assert_reads("uneven-light", 1280, 60);
    assert_reads("uneven-light", 1920, 29);
    assert_reads("mixed", 1920, 111);
}
