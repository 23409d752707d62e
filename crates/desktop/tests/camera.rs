//! The camera scan loop on recorded sequences: made-up scenes written as a camera delivers them
//! (YUYV, NV12, MJPEG), played in real time through the same conversion and loop as a camera.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nextauth_desktop::camera::luma::PixelFormat;
use nextauth_desktop::camera::recorded::{self, RecordedSource};
use nextauth_desktop::camera::scenes::{self, Scene};
use nextauth_desktop::camera::{scan, FrameSource, ScanLimits};
use nextauth_desktop::codes;

/// A fresh directory under the system's temp dir, removed on drop.
struct Dir(std::path::PathBuf);

impl Dir {
    fn new(tag: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("nextauth-camera-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A binary payload like a login code's.
fn payload() -> Vec<u8> {
    let mut p = b"nA\x02".to_vec();
    p.extend((0u8..=255).step_by(7));
    p
}

fn limits(secs: u64) -> ScanLimits {
    ScanLimits {
        timeout: Duration::from_secs(secs),
        ..ScanLimits::default()
    }
}

#[test]
fn the_code_that_comes_into_view_at_frame_40_is_read_in_every_camera_format() {
    for (format, dark) in [
        (PixelFormat::Yuyv, false),
        (PixelFormat::Nv12, true),
        (PixelFormat::Mjpeg, false),
    ] {
        let dir = Dir::new(&format!("{format:?}"));
        let scene = Scene {
            dark,
            ..Scene::default()
        };
        scenes::write(&dir.0, format, &payload(), &scene).unwrap();
        let mut source = RecordedSource::open(&dir.0, false).unwrap();
        let light = source.streaming();
        let started = Instant::now();
        let mut previews = 0;
        let found = scan(
            &mut source,
            &AtomicBool::new(false),
            limits(10),
            &mut |_| previews += 1,
        )
        .unwrap_or_else(|e| panic!("{format:?} dark={dark}: {e}"));
        assert_eq!(found, payload(), "{format:?}");
        // Not before the code was whole: the blurred frames sliding in may be read only when
        // the code is already mostly in view (frame 37 on).
        let seen_at = started.elapsed();
        assert!(
            seen_at >= Duration::from_millis(scene.at(37)),
            "{format:?}: read at {seen_at:?}, before the code was in view"
        );
        assert!(previews >= 10, "about ten previews a second: {previews}");
        assert!(
            !light.load(Ordering::SeqCst),
            "{format:?}: the stream is stopped"
        );
    }
}

#[test]
fn an_unplugged_camera_is_a_typed_error_and_the_stream_ends() {
    let dir = Dir::new("unplugged");
    let scene = Scene {
        frames: 10,
        code_frame: usize::MAX,
        ..Scene::default()
    };
    scenes::write(&dir.0, PixelFormat::Yuyv, &payload(), &scene).unwrap();
    recorded::write_unplugged(&dir.0, 10, scene.at(10)).unwrap();
    let mut source = RecordedSource::open(&dir.0, false).unwrap();
    let light = source.streaming();
    let err = scan(
        &mut source,
        &AtomicBool::new(false),
        limits(10),
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(err.code, codes::CAMERA_LOST);
    assert!(err.message.contains("still connected"));
    assert!(!light.load(Ordering::SeqCst));
}

#[test]
fn cancel_and_the_time_limit_stop_the_stream_at_once() {
    let dir = Dir::new("empty-desk");
    let scene = Scene {
        frames: 15,
        code_frame: usize::MAX,
        ..Scene::default()
    };
    scenes::write(&dir.0, PixelFormat::Nv12, &payload(), &scene).unwrap();

    // Cancelled from another thread (the Cancel button, a closed window, another prompt).
    let mut source = RecordedSource::open(&dir.0, true).unwrap();
    let light = source.streaming();
    let cancel = Arc::new(AtomicBool::new(false));
    let canceller = {
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            cancel.store(true, Ordering::SeqCst);
            Instant::now()
        })
    };
    let err = scan(&mut source, &cancel, limits(10), &mut |_| {}).unwrap_err();
    let ended = Instant::now();
    let asked = canceller.join().unwrap();
    assert_eq!(err.code, codes::SCAN_CANCELLED);
    assert!(!light.load(Ordering::SeqCst));
    assert!(
        ended.duration_since(asked) < Duration::from_millis(200),
        "stopped within a frame or two"
    );

    // Nothing in view before the time limit: "keep looking" is the person's choice.
    let mut source = RecordedSource::open(&dir.0, true).unwrap();
    let light = source.streaming();
    let limits = ScanLimits {
        timeout: Duration::from_millis(400),
        ..ScanLimits::default()
    };
    let err = scan(&mut source, &AtomicBool::new(false), limits, &mut |_| {}).unwrap_err();
    assert_eq!(err.code, codes::NO_QR_CODE);
    assert!(err.message.contains("keep looking"));
    assert!(!light.load(Ordering::SeqCst));
}

#[test]
fn a_folder_without_frames_is_no_camera() {
    let dir = Dir::new("nothing");
    let err = RecordedSource::open(&dir.0, false).err().unwrap();
    assert_eq!(err.code, codes::NO_CAMERA);
    let mut missing = RecordedSource::open(&dir.0.join("absent"), false)
        .err()
        .unwrap();
    missing.message.clear();
    assert_eq!(missing.code, codes::NO_CAMERA);
}

#[test]
fn a_stopped_source_gives_no_more_frames() {
    let dir = Dir::new("stopped");
    let scene = Scene {
        frames: 2,
        ..Scene::default()
    };
    scenes::write(&dir.0, PixelFormat::Gray, &payload(), &scene).unwrap();
    let mut source = RecordedSource::open(&dir.0, false).unwrap();
    assert!(source.next_frame().unwrap().is_some());
    source.stop();
    assert_eq!(source.next_frame().unwrap_err().code, codes::CAMERA_LOST);
}
