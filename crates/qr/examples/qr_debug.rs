//! Development aid: renders one frame of the scene corpus's *tuning* split, writes it to
//! `/tmp/qr_debug.png` and traces the coarse pass.
//!
//! `cargo run --release -p nextauth-qr --example qr_debug -- CONDITION WIDTH INDEX [FACTOR]`
//! (`nocode:KIND` as condition for a frame without a code). Only tuning frames can be drawn
//! here: the held-out split is for the reported figures alone.
#![allow(missing_docs)]

#[path = "../tests/support/scenes/mod.rs"]
mod scenes;

use scenes::{Condition, NoCode, Split, RESOLUTIONS};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let what = a.get(1).map(String::as_str).unwrap_or("clean");
    let w: usize = a.get(2).and_then(|v| v.parse().ok()).unwrap_or(640);
    let (ri, &res) = RESOLUTIONS
        .iter()
        .enumerate()
        .find(|(_, s)| s.0 == w)
        .unwrap_or((0, &RESOLUTIONS[0]));
    let index: u64 = a.get(3).and_then(|v| v.parse().ok()).unwrap_or(0);
    let f = if let Some(kind) = what.strip_prefix("nocode:") {
        let (ki, kind) = NoCode::ALL
            .iter()
            .enumerate()
            .find(|(_, k)| k.name() == kind)
            .expect("a no-code kind: text, checkerboard, noise, ui-screenshot, scene, barcode");
        scenes::no_code_frame(
            *kind,
            res,
            Split::Tune.seed(scenes::no_code_stream(ki, ri), index),
        )
    } else {
        let (ci, cond) = Condition::ALL
            .iter()
            .enumerate()
            .find(|(_, c)| c.name() == what)
            .expect("a condition name");
        scenes::frame(
            *cond,
            res,
            Split::Tune.seed(scenes::code_stream(ci, ri), index),
        )
    };
    let (w, h) = (f.width, f.height);
    let factor: usize = a
        .get(4)
        .and_then(|v| v.parse().ok())
        .unwrap_or(if w > 1024 { 2 } else { 1 });
    println!("{}", f.note);
    print!("{}", nextauth_qr::trace_pass(&f.luma, w, h, factor));
    let mut qr = nextauth_qr::QrProcessor::new();
    let mut best = f64::MAX;
    let mut r = None;
    for _ in 0..15 {
        qr.reset();
        let t = std::time::Instant::now();
        r = qr.process_frame(&f.luma, w, h, w);
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
    }
    println!("time {best:.2} ms (best of 15)");
    println!(
        "process_frame: {}",
        if r.is_some() && r == f.payload {
            "OK"
        } else if r.is_some() {
            "WRONG"
        } else {
            "none"
        }
    );
    let mut png_bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png_bytes, w as u32, h as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().expect("png header");
        wr.write_image_data(&f.luma).expect("png data");
    }
    std::fs::write("/tmp/qr_debug.png", png_bytes).expect("write /tmp/qr_debug.png");
}
