//! Blurred codes whose gated grid is misregistered by a fraction of a module: the refit for
//! contrast (`sharpness.rs`) reads them. Both frames are of the tuning split and were misses
//! before it (docs/qr.md, fifth round).

#[path = "support/scenes/mod.rs"]
mod scenes;

use nextauth_qr::QrProcessor;
use scenes::{Condition, Split, RESOLUTIONS};

fn tuning_blur_frame(index: u64) -> scenes::Frame {
    let condition = Condition::ALL
        .iter()
        .position(|c| c.name() == "blur")
        .expect("a blur condition");
    let seed = Split::Tune.seed(scenes::code_stream(condition, 0), index);
    scenes::frame(Condition::ALL[condition], RESOLUTIONS[0], seed)
}

#[test]
fn blurred_codes_with_a_misregistered_grid_read_after_the_contrast_refit() {
    for index in [21, 34] {
        let f = tuning_blur_frame(index);
        let read = QrProcessor::new().process_frame(&f.luma, f.width, f.height, f.width);
        assert!(f.payload.is_some());
        assert_eq!(read, f.payload, "blur 640 {index}: {}", f.note);
    }
}
