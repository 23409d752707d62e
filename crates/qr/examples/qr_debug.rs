//! Development aid: renders one corpus frame, writes it as PGM and traces the coarse pass.
//! `cargo run --release -p nextauth-qr --example qr_debug -- CATEGORY WIDTH SEED [FACTOR]`
#![allow(missing_docs)]

#[path = "../tests/support/corpus.rs"]
mod corpus;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let cat = corpus::Category::ALL
        .into_iter()
        .find(|c| c.name() == a.get(1).map(String::as_str).unwrap_or("clean"))
        .unwrap_or(corpus::Category::Clean);
    let w: usize = a.get(2).and_then(|v| v.parse().ok()).unwrap_or(640);
    let h = corpus::SIZES
        .iter()
        .find(|s| s.0 == w)
        .map(|s| s.1)
        .unwrap_or(480);
    let seed: u64 = a.get(3).and_then(|v| v.parse().ok()).unwrap_or(1);
    let kind = a.get(1).and_then(|k| k.strip_prefix("nocode:"));
    let f = match kind {
        Some(k) => corpus::Frame {
            width: w,
            height: h,
            luma: corpus::no_code_frame(k, w, h, seed),
            payload: None,
            version: 0,
            module_px: 0.0,
        },
        None => corpus::frame(cat, w, h, seed),
    };
    let factor: usize = a
        .get(4)
        .and_then(|v| v.parse().ok())
        .unwrap_or(if w > 1024 { 2 } else { 1 });
    println!(
        "v{} module {:.2} payload {} bytes",
        f.version,
        f.module_px,
        f.payload.as_ref().map_or(0, |p| p.len())
    );
    print!("{}", nextauth_qr::trace_pass(&f.luma, w, h, factor));
    let mut qr = nextauth_qr::QrProcessor::new();
    let mut best = f64::MAX;
    let mut r = None;
    for _ in 0..15 {
        qr.reset();
        let t = std::time::Instant::now();
        r = qr.process_frame(&f.luma, w, h, w);
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
        if std::env::var("QR_EACH").is_ok() {
            println!("  run: {}", r.is_some());
        }
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
    let mut pgm = format!("P5\n{w} {h}\n255\n").into_bytes();
    pgm.extend_from_slice(&f.luma);
    std::fs::write("/tmp/qr_debug.pgm", pgm).expect("write");
}
