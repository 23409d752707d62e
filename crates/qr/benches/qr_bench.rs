//! QR reader benchmark on the seeded scene corpus (`tests/support/scenes`): success rate and
//! time per frame for every condition and frame size, ours next to rqrr (and rxing, zxing-cpp
//! with the `compare` / `compare-zxing-cpp` features), all in one run on one thread.
//!
//! ```text
//! QR_BENCH_SPLIT=fresh cargo bench -p nextauth-qr --bench qr_bench --features compare-zxing-cpp
//! cargo bench -p nextauth-qr --bench qr_bench          # tuning split, ours and rqrr
//! ```
//!
//! Environment: `QR_BENCH_SPLIT` `tune` (default), `fresh` (the reported figures; never while
//! tuning), `fresh2` (a second unseen range, run once), `fresh3` to `fresh8` (a third to eighth) or `held-out` (the figures of the first
//! three rounds, no longer clean), `QR_BENCH_N` frames per condition and size (default 40), `QR_BENCH_ONLY`
//! comma-separated decoder names, `QR_BENCH_CONDITIONS` comma-separated condition names (`nocode`: the frames without a code),
//! `QR_BENCH_REPEAT` decodes per frame, fastest kept (default 3), `QR_BENCH_VERBOSE` lists
//! our misses, `QR_BENCH_IDLE_N` frames per kind and size without a code (default a quarter
//! of `QR_BENCH_N`). Without `--bench` (as `cargo test --all-targets` runs it) it smoke-tests one
//! frame per condition.
#![allow(missing_docs)]

#[path = "../tests/support/scenes/mod.rs"]
mod scenes;

use scenes::{Condition, Frame, NoCode, Split, RESOLUTIONS};
use std::time::Instant;

type DecodeFn = Box<dyn FnMut(&[u8], usize, usize) -> Option<Vec<u8>>>;

struct Decoder {
    name: &'static str,
    run: DecodeFn,
}

fn decoders() -> Vec<Decoder> {
    let mut qr = nextauth_qr::QrProcessor::new();
    let mut v = vec![
        Decoder {
            name: "nextauth-qr",
            run: Box::new(move |luma, w, h| {
                qr.reset(); // single-frame measurement: no location reuse
                qr.process_frame(luma, w, h, w)
            }),
        },
        Decoder {
            name: "rqrr",
            run: Box::new(rqrr_decode),
        },
    ];
    #[cfg(feature = "compare")]
    v.push(Decoder {
        name: "rxing",
        run: Box::new(rxing_decode),
    });
    #[cfg(feature = "compare-zxing-cpp")]
    v.push(Decoder {
        name: "zxing-cpp",
        run: Box::new(zxing_cpp_decode),
    });
    if let Ok(only) = std::env::var("QR_BENCH_ONLY") {
        let names: Vec<&str> = only.split(',').collect();
        v.retain(|d| names.contains(&d.name));
    }
    v
}

/// rqrr alone, as its documentation uses it (its own binarisation), bytes via `decode_to`.
fn rqrr_decode(luma: &[u8], w: usize, h: usize) -> Option<Vec<u8>> {
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| luma[y * w + x]);
    for g in img.detect_grids() {
        let mut out = Vec::new();
        if g.decode_to(&mut out).is_ok() {
            return Some(out);
        }
    }
    None
}

#[cfg(feature = "compare")]
fn rxing_decode(luma: &[u8], w: usize, h: usize) -> Option<Vec<u8>> {
    use rxing::common::HybridBinarizer;
    use rxing::qrcode::QRCodeReader;
    use rxing::{BinaryBitmap, DecodeHints, Luma8LuminanceSource, RXingResultMetadataType, Reader};
    let src = Luma8LuminanceSource::new(luma.to_vec(), w as u32, h as u32).ok()?;
    let mut bmp = BinaryBitmap::new(HybridBinarizer::new(src));
    let hints = DecodeHints::default()
        .with(rxing::DecodeHintValue::TryHarder(true))
        .with(rxing::DecodeHintValue::AlsoInverted(true));
    let r = QRCodeReader.decode_with_hints(&mut bmp, &hints).ok()?;
    // Byte segments carry the raw bytes (the text is a charset interpretation).
    if let Some(rxing::RXingResultMetadataValue::ByteSegments(segs)) = r
        .getRXingResultMetadata()
        .get(&RXingResultMetadataType::BYTE_SEGMENTS)
    {
        return Some(segs.concat());
    }
    Some(r.getRawBytes().to_vec())
}

#[cfg(feature = "compare-zxing-cpp")]
fn zxing_cpp_decode(luma: &[u8], w: usize, h: usize) -> Option<Vec<u8>> {
    use zxingcpp::{BarcodeFormat, BarcodeReader, ImageView};
    thread_local! {
        static READER: BarcodeReader = BarcodeReader::new()
            .formats(BarcodeFormat::QRCode)
            .try_harder(true)
            .try_invert(true)
            .try_rotate(false);
    }
    let iv = ImageView::from_slice(luma, w, h, zxingcpp::ImageFormat::Lum).ok()?;
    READER.with(|r| {
        r.from(iv)
            .ok()?
            .into_iter()
            .find(|b| b.is_valid())
            .map(|b| b.bytes())
    })
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// Successes and times of one decoder on a set of frames.
#[derive(Default, Clone)]
struct Tally {
    ok: usize,
    n: usize,
    ms: Vec<f64>,
}

impl Tally {
    fn add(&mut self, ok: bool, ms: f64) {
        self.n += 1;
        self.ok += ok as usize;
        self.ms.push(ms);
    }
    fn merge<'a>(parts: impl IntoIterator<Item = &'a Tally>) -> Tally {
        let mut t = Tally::default();
        for p in parts {
            t.ok += p.ok;
            t.n += p.n;
            t.ms.extend_from_slice(&p.ms);
        }
        t
    }
    fn rate(&self) -> f64 {
        100.0 * self.ok as f64 / self.n.max(1) as f64
    }
    /// Success rate, median and 90th percentile of the time.
    fn cell(&self) -> String {
        let mut ms = self.ms.clone();
        let med = percentile(&mut ms, 0.5);
        let p90 = percentile(&mut ms, 0.9);
        format!("{:5.1} % {:6.2} {:6.2}", self.rate(), med, p90)
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Decodes `f` `repeat` times and keeps the fastest time: the machine is shared, and the
/// minimum is the time without preemption by other processes.
fn timed(d: &mut Decoder, f: &Frame, repeat: usize) -> (Option<Vec<u8>>, f64) {
    let mut best = f64::MAX;
    let mut r = None;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        r = (d.run)(&f.luma, f.width, f.height);
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
    }
    (r, best)
}

/// One frame to generate: a condition or no-code kind, a resolution, a seed.
#[derive(Clone, Copy)]
enum Job {
    Code(usize, usize, u64),
    NoCode(usize, usize, u64),
}

impl Job {
    fn make(self) -> Frame {
        match self {
            Job::Code(c, r, seed) => scenes::frame(Condition::ALL[c], RESOLUTIONS[r], seed),
            Job::NoCode(k, r, seed) => scenes::no_code_frame(NoCode::ALL[k], RESOLUTIONS[r], seed),
        }
    }
}

/// Generates `jobs` on both cores (generation is not timed; decoding then runs alone).
fn generate(jobs: &[Job]) -> Vec<Frame> {
    let half = jobs.len().div_ceil(2);
    std::thread::scope(|s| {
        let other = s.spawn(|| jobs[half..].iter().map(|j| j.make()).collect::<Vec<_>>());
        let mut v: Vec<Frame> = jobs[..half].iter().map(|j| j.make()).collect();
        v.extend(other.join().expect("generator thread"));
        v
    })
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let split = match std::env::var("QR_BENCH_SPLIT").as_deref() {
        Ok("held-out") => Split::HeldOut,
        Ok("fresh") => Split::Fresh,
        Ok("fresh2") => Split::Fresh2,
        Ok("fresh3") => Split::Fresh3,
        Ok("fresh4") => Split::Fresh4,
        Ok("fresh5") => Split::Fresh5,
        Ok("fresh6") => Split::Fresh6,
        Ok("fresh7") => Split::Fresh7,
        Ok("fresh8") => Split::Fresh8,
        Ok("tune") | Err(_) => Split::Tune,
        Ok(other) => panic!("QR_BENCH_SPLIT must be tune, held-out or fresh..fresh8, not {other}"),
    };
    let n = env_usize("QR_BENCH_N", if full { 40 } else { 1 }) as u64;
    let repeat = env_usize("QR_BENCH_REPEAT", 3);
    let verbose = std::env::var("QR_BENCH_VERBOSE").is_ok();
    let wanted: Option<Vec<String>> = std::env::var("QR_BENCH_CONDITIONS")
        .ok()
        .map(|v| v.split(',').map(str::to_string).collect());
    let conditions: Vec<usize> = (0..Condition::ALL.len())
        .filter(|&c| {
            wanted
                .as_ref()
                .is_none_or(|w| w.iter().any(|n| n == Condition::ALL[c].name()))
        })
        .collect();
    let resolutions: Vec<usize> = if full { vec![0, 1, 2] } else { vec![0] };
    let mut decs = decoders();
    if !full {
        decs.retain(|d| d.name == "nextauth-qr");
    }

    let mut jobs = Vec::new();
    for &c in &conditions {
        for &r in &resolutions {
            for i in 0..n {
                jobs.push(Job::Code(c, r, split.seed(scenes::code_stream(c, r), i)));
            }
        }
    }
    let with_idle = wanted
        .as_ref()
        .is_none_or(|w| w.iter().any(|n| n == "nocode"));
    let idle_n = env_usize(
        "QR_BENCH_IDLE_N",
        if full { (n / 4).max(2) as usize } else { 1 },
    ) as u64;
    if with_idle {
        for k in 0..NoCode::ALL.len() {
            for &r in &resolutions {
                for i in 0..idle_n {
                    jobs.push(Job::NoCode(
                        k,
                        r,
                        split.seed(scenes::no_code_stream(k, r), i),
                    ));
                }
            }
        }
    }

    let ncond = Condition::ALL.len();
    // [decoder][condition][resolution], [decoder][kind][resolution]
    let mut per = vec![vec![vec![Tally::default(); 3]; ncond]; decs.len()];
    let mut idle = vec![vec![vec![Tally::default(); 3]; NoCode::ALL.len()]; decs.len()];
    let (mut gen_s, mut misses) = (0.0, Vec::new());
    for chunk in jobs.chunks(32) {
        let t = Instant::now();
        let frames = generate(chunk);
        gen_s += t.elapsed().as_secs_f64();
        for (job, f) in chunk.iter().zip(&frames) {
            for (di, d) in decs.iter_mut().enumerate() {
                let (r, ms) = timed(d, f, repeat);
                match *job {
                    Job::Code(c, res, seed) => {
                        let ok = r.is_some() && r == f.payload;
                        per[di][c][res].add(ok, ms);
                        if verbose && di == 0 && !ok {
                            let index = seed - split.seed(scenes::code_stream(c, res), 0);
                            misses.push(format!(
                                "{} {} {index}: {} -> {}",
                                Condition::ALL[c].name(),
                                f.width,
                                f.note,
                                if r.is_some() { "WRONG" } else { "none" }
                            ));
                        }
                    }
                    Job::NoCode(k, res, _) => idle[di][k][res].add(r.is_none(), ms),
                }
            }
        }
    }
    eprintln!("corpus generated in {gen_s:.1} s (not timed)");
    for m in &misses {
        eprintln!("miss: {m}");
    }

    let rule = |head: &str| println!("{}", "-".repeat(head.chars().count()));
    println!(
        "QR benchmark, {} split: {n} frames per condition and size, {} decodes per frame (fastest kept), one thread",
        split.name(),
        repeat
    );
    println!("cells: success rate, median ms, p90 ms per frame\n");
    let mut head = format!("{:<22}", "condition (all sizes)");
    for d in &decs {
        head += &format!(" | {:^22}", d.name);
    }
    println!("{head}");
    rule(&head);
    for &c in &conditions {
        let mut line = format!("{:<22}", Condition::ALL[c].name());
        for t in &per {
            line += &format!(" | {}", Tally::merge(&t[c]).cell());
        }
        println!("{line}");
    }
    let mut line = format!("{:<22}", "OVERALL");
    for t in &per {
        line += &format!(" | {}", Tally::merge(t.iter().flatten()).cell());
    }
    println!("{line}");
    rule(&head);
    for &r in &resolutions {
        let (w, h) = RESOLUTIONS[r];
        let mut line = format!("{:<22}", format!("all @ {w}x{h}"));
        for t in &per {
            line += &format!(" | {}", Tally::merge(t.iter().map(|c| &c[r])).cell());
        }
        println!("{line}");
    }
    if with_idle {
        for &r in &resolutions {
            let (w, h) = RESOLUTIONS[r];
            let mut line = format!("{:<22}", format!("no code @ {w}x{h}"));
            for t in &idle {
                line += &format!(" | {}", Tally::merge(t.iter().map(|k| &k[r])).cell());
            }
            println!("{line}");
        }
        let mut line = format!("{:<22}", "false positives");
        for t in &idle {
            let all = Tally::merge(t.iter().flatten());
            line += &format!(" | {:^22}", format!("{} of {}", all.n - all.ok, all.n));
        }
        println!("{line}");
    }

    // Success per condition and frame size.
    println!("\nsuccess rate per condition and frame size (640x480 / 1280x720 / 1920x1080)\n");
    let mut head = format!("{:<22}", "condition");
    for d in &decs {
        head += &format!(" | {:^20}", d.name);
    }
    println!("{head}");
    rule(&head);
    for &c in &conditions {
        let mut line = format!("{:<22}", Condition::ALL[c].name());
        for t in &per {
            let cells: Vec<String> = (0..3).map(|r| format!("{:>5.1}", t[c][r].rate())).collect();
            line += &format!(" | {:>20}", cells.join(" "));
        }
        println!("{line}");
    }
    if with_idle {
        println!(
            "\nframes without a code: correct 'no code' rate, median ms, p90 ms (all sizes)\n"
        );
        for (k, kind) in NoCode::ALL.iter().enumerate() {
            let mut line = format!("{:<22}", kind.name());
            for t in &idle {
                line += &format!(" | {}", Tally::merge(&t[k]).cell());
            }
            println!("{line}");
        }
    }

    if full && wanted.is_none() {
        let mut shots = Tally::default();
        for i in 0..10 {
            let f = scenes::screenshot_4k(split.seed(scenes::SCREENSHOT_STREAM, i));
            let mut best = f64::MAX;
            let mut r = None;
            for _ in 0..repeat.max(1) {
                let t = Instant::now();
                r = nextauth_qr::decode_image(&f.luma, f.width, f.height);
                best = best.min(t.elapsed().as_secs_f64() * 1e3);
            }
            if verbose && r != f.payload {
                eprintln!("miss: 4K screenshot {i}: {}", f.note);
            }
            shots.add(r.is_some() && r == f.payload, best);
        }
        println!(
            "\n4K screenshot (3840x2160, nextauth_qr::decode_image): {}",
            shots.cell()
        );
    }
    if !full {
        println!("smoke run done");
    }
}
