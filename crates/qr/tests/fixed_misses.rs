//! Tuning-split frames that each stage named in a test reads and that were misses before it
//! (docs/qr.md): each test fails with its stage switched off.

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

/// Fifth round: the refit for contrast (`sharpness.rs`) reads blurred codes whose gated grid
/// is misregistered by a fraction of a module.
#[test]
fn blurred_codes_with_a_misregistered_grid_read_after_the_contrast_refit() {
    for index in [21, 34] {
        assert_reads("blur", 640, index);
    }
}

/// Fifth round: the re-reads of a frame that did not read at first (`lib.rs::read`): the
/// half-size re-read of large finders (a screen's moire at 640×480, noise over a low-contrast
/// code at 1920×1080) and the re-read with each block at its own threshold (a shadow's edge).
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

/// Sixth round: codes tilted 39-45° whose far finders have half the near one's module. Their
/// sides measured over the geometric mean of their ends' modules put the corner at the right
/// finder (the arithmetic mean put it at the near one: `grid::triples`).
#[test]
fn strongly_tilted_codes_have_their_corner_at_the_right_finder() {
    for index in [18, 40, 279, 371, 472, 475, 558] {
        assert_reads("perspective", 640, index);
    }
}

/// Sixth round: the far corner that the finders' module sizes imply under perspective, and
/// the alignment pattern searched where it puts it (`grid::perspective_far_corner`), where the
/// parallelogram's corner is several modules off.
#[test]
fn strongly_tilted_codes_read_through_the_far_corner_their_perspective_implies() {
    for index in [379, 396, 492] {
        assert_reads("perspective", 640, index);
    }
    for index in [430, 571] {
        assert_reads("perspective", 1280, index);
    }
    assert_reads("perspective", 1920, 335);
}

/// Sixth round: small codes whose finders the coarse pass of a 1280×720 frame does not see
/// at all get the full-resolution scan anyway (`lib.rs::FINE_ALWAYS_MAX_SIDE`).
#[test]
fn small_codes_unseen_by_the_coarse_pass_are_found_at_full_resolution() {
    assert_reads("small", 1280, 21);
}

/// Sixth round: the region read at full resolution lies on the frame's grid of threshold
/// blocks (a shifted grid lost two of the three finders).
#[test]
fn a_region_is_binarised_on_the_frames_block_grid() {
    assert_reads("small", 1920, 36);
}

/// Sixth round: a pair of finders is completed when each was confirmed by nearly all the scan
/// lines that can cross it, not a fixed five (`third::confirmed`): small modules are crossed
/// by three or four, and shadows, glare and noise leave codes with two finders.
#[test]
fn pairs_of_small_module_finders_are_completed() {
    assert_reads("small", 640, 151);
    assert_reads("uneven-light", 1280, 18);
    assert_reads("uneven-light", 1280, 40);
    assert_reads("uneven-light", 1920, 41);
    assert_reads("lowcontrast+noise", 640, 72);
    assert_reads("glare", 640, 86);
    assert_reads("mixed", 640, 19);
}

/// Sixth round: with few candidates confirmed by two scan lines or more, a triple of them
/// may have a corner angle of up to about 127° and finder modules up to three times apart
/// (`grid::triples`), as codes tilted by 40-45° show.
#[test]
fn strongly_tilted_codes_with_few_candidates_make_a_looser_triple() {
    assert_reads("perspective", 640, 363);
    assert_reads("perspective", 640, 454);
}
