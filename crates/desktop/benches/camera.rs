//! Camera scanning figures (docs/benchmarks.md, "Camera"): a recorded 30 fps 1280×720 NV12
//! camera (made-up scenes) through the app's scan loop.
//!
//! * CPU while scanning with no code in view: process CPU time over the run, as a share of
//!   one core, with the frames read and decoded.
//! * Memory over a long scan (the recording looping): resident size sampled every 5 s.
//! * Latency from the first frame that shows a readable code to the login prompt (the SDK's
//!   `WAITING_FOR_CONFIRMATION` update, as the app's UI receives it), against the real server
//!   on loopback.
//!
//! Run: `cargo build --release -p nextauth-server && cargo bench -p nextauth-desktop --bench camera`
//! (`CAMERA_BENCH_CPU_SECS`, default 10; `CAMERA_BENCH_MEMORY_SECS`, default 300;
//! `CAMERA_BENCH_LOGINS`, default 30). Under `cargo test` a short smoke pass runs.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nextauth_desktop::camera::luma::{to_luma, PixelFormat};
use nextauth_desktop::camera::recorded::RecordedSource;
use nextauth_desktop::camera::scenes::{self, Scene};
use nextauth_desktop::camera::{scan, FrameSource, ScanLimits};
use nextauth_desktop::scanner::Luma;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let cpu_secs = if full {
        env_or("CAMERA_BENCH_CPU_SECS", 10)
    } else {
        1
    };
    let memory_secs = if full {
        env_or("CAMERA_BENCH_MEMORY_SECS", 300)
    } else {
        2
    };
    let logins = if full {
        env_or("CAMERA_BENCH_LOGINS", 30)
    } else {
        1
    } as usize;
    let work = scratch("bench");
    println!(
        "camera bench: 1280x720 NV12 at 30 fps, recorded ({})",
        if full { "full" } else { "smoke" }
    );
    cpu_without_a_code(&work, cpu_secs);
    memory_over_a_long_scan(&work, memory_secs);
    latency_to_the_prompt(&work, logins);
    let _ = std::fs::remove_dir_all(&work);
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nextauth-camera-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A desk with no code: one second, played in a loop.
fn empty_desk(work: &Path) -> PathBuf {
    let dir = work.join("empty-desk");
    if !dir.exists() {
        let scene = Scene {
            frames: 30,
            code_frame: usize::MAX,
            ..Scene::default()
        };
        scenes::write(&dir, PixelFormat::Nv12, b"unused", &scene).expect("scene");
    }
    dir
}

/// Counts the frames a source delivers.
struct Counted<S>(S, Arc<AtomicU64>);

impl<S: FrameSource> FrameSource for Counted<S> {
    fn next_frame(&mut self) -> nextauth_desktop::ScanResult<Option<Luma>> {
        self.1.fetch_add(1, Ordering::Relaxed);
        self.0.next_frame()
    }
    fn stop(&mut self) {
        self.0.stop();
    }
}

/// This process's CPU time (user + system).
fn cpu_time() -> Duration {
    nextauth_e2e::proc_stats::cpu_time("self")
}

fn rss_kib() -> u64 {
    nextauth_e2e::proc_stats::rss_kib("self")
}

fn cpu_without_a_code(work: &Path, secs: u64) {
    let dir = empty_desk(work);
    let frames = Arc::new(AtomicU64::new(0));
    let mut source = Counted(
        RecordedSource::open(&dir, true).expect("source"),
        frames.clone(),
    );
    let limits = ScanLimits {
        timeout: Duration::from_secs(secs),
        ..ScanLimits::default()
    };
    let (cpu0, t0) = (cpu_time(), Instant::now());
    let mut previews = 0u32;
    let outcome = scan(&mut source, &AtomicBool::new(false), limits, &mut |_| {
        previews += 1
    });
    let (cpu, wall) = (cpu_time() - cpu0, t0.elapsed());
    assert!(outcome.is_err(), "no code in view");
    let n = frames.load(Ordering::Relaxed);
    println!(
        "| no code in view, {secs} s | {:.1} frames/s read | CPU {:.1} % of one core | {:.2} ms CPU a frame | {previews} previews |",
        n as f64 / wall.as_secs_f64(),
        100.0 * cpu.as_secs_f64() / wall.as_secs_f64(),
        cpu.as_secs_f64() * 1000.0 / n.max(1) as f64,
    );
}

fn memory_over_a_long_scan(work: &Path, secs: u64) {
    let dir = empty_desk(work);
    let mut source = RecordedSource::open(&dir, true).expect("source");
    let limits = ScanLimits {
        timeout: Duration::from_secs(secs),
        ..ScanLimits::default()
    };
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            let started = Instant::now();
            while !done.load(Ordering::SeqCst) {
                samples.push((started.elapsed().as_secs(), rss_kib()));
                std::thread::sleep(Duration::from_millis(if secs > 10 { 5000 } else { 500 }));
            }
            samples
        })
    };
    let _ = scan(&mut source, &AtomicBool::new(false), limits, &mut |_| {});
    done.store(true, Ordering::SeqCst);
    let samples = sampler.join().expect("sampler");
    // After the first samples (buffers sized by the first frames), nothing may grow.
    let settled = samples
        .iter()
        .skip(samples.len().min(2))
        .map(|s| s.1)
        .collect::<Vec<_>>();
    let (first, last) = (
        settled.first().copied().unwrap_or(0),
        settled.last().copied().unwrap_or(0),
    );
    let max = settled.iter().copied().max().unwrap_or(0);
    println!(
        "| scanning {secs} s (looping) | RSS after warm-up {first} KiB | at the end {last} KiB | max {max} KiB | growth {} KiB |",
        last as i64 - first as i64
    );
}

/// The number of the first frame of `dir` the scan loop reads a code from (frames in order).
fn first_readable(dir: &Path) -> usize {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let mut processor = nextauth_desktop::camera::scan_loop::processor();
    for (n, file) in files.iter().enumerate() {
        let bytes = std::fs::read(file).expect("frame");
        let luma = to_luma(PixelFormat::Nv12, 1280, 720, &bytes).expect("luma");
        if processor
            .process_frame(&luma.data, luma.width, luma.height, luma.width)
            .is_some()
        {
            return n;
        }
    }
    panic!("no frame of {} is readable", dir.display());
}

fn latency_to_the_prompt(work: &Path, logins: usize) {
    use nextauth_sdk::{CodeSource, Event, FlowState, Response};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let server = nextauth_e2e::ServerProcess::start().await;
        let mut app = nextauth_e2e::App::new().await;
        app.enrol(&server, "camera", "2468").await;
        let scene = Scene { frames: 40, code_frame: 20, ..Scene::default() };
        let mut latencies = Vec::new();
        for n in 0..logins {
            let nonce = format!("camera-{n}");
            let code = server.login_code(&nonce).await;
            let dir = work.join(&nonce);
            scenes::write(&dir, PixelFormat::Nv12, &code, &scene).expect("scene");
            let readable = first_readable(&dir);
            let t0 = Instant::now();
            let mut source = RecordedSource::open(&dir, false).expect("source");
            let found = tokio::task::spawn_blocking(move || {
                scan(&mut source, &AtomicBool::new(false), ScanLimits::default(), &mut |_| {})
            })
            .await
            .expect("scan thread")
            .expect("the code is read");
            let flow = app.sdk.start_qr_from(&found, CodeSource::Camera).await.expect("flow");
            loop {
                match app.events.recv().await.expect("events") {
                    Event::FlowUpdate { flow: f } if f.id == flow.id && f.state == FlowState::WaitingForConfirmation => break,
                    Event::FlowUpdate { flow: f } if f.id == flow.id && f.state == FlowState::Error => panic!("{:?}", f.error),
                    _ => {}
                }
            }
            let shown = t0.elapsed();
            latencies.push(shown.saturating_sub(Duration::from_millis(scene.at(readable))));
            app.sdk.respond(&flow.id, Response::Deny).await.expect("deny");
            app.flow_in(FlowState::Done).await;
            let _ = std::fs::remove_dir_all(&dir);
        }
        latencies.sort();
        let pick = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
        println!(
            "| first readable frame → login prompt, {} logins | p50 {:.1} ms | p95 {:.1} ms | max {:.1} ms |",
            latencies.len(),
            pick(0.5).as_secs_f64() * 1000.0,
            pick(0.95).as_secs_f64() * 1000.0,
            latencies.last().expect("one").as_secs_f64() * 1000.0,
        );
    });
}
