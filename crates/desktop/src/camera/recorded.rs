//! A recorded camera: a folder of frames that plays like a camera, through the same format
//! conversion and scan loop, for end-to-end tests, benchmarks and demonstrations on machines
//! without one (selected with [`super::RECORDED_SOURCE_ENV`]).
//!
//! Each frame is a file `NNNNN-MS-WxH.EXT`: its number, when it is shown (milliseconds from the
//! start), its size, and its format (`yuyv`, `nv12`, `gray`, `mjpeg`: the camera's bytes). A
//! file `NNNNN-MS-unplugged` ends the stream as an unplugged camera would. After the last frame
//! the scene stays as it is (the last frame again), unless the source loops. A reader slower
//! than the frame rate gets the newest frame, as from a camera (the others are dropped).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::luma::{from_luma, to_luma, PixelFormat};
use super::{CameraInfo, FrameSource};
use crate::error::{codes, ScanError, ScanResult};
use crate::scanner::Luma;

/// One recorded frame.
#[derive(Debug, Clone)]
struct Entry {
    at: Duration,
    kind: EntryKind,
}

#[derive(Debug, Clone)]
enum EntryKind {
    Frame {
        path: PathBuf,
        format: PixelFormat,
        width: usize,
        height: usize,
    },
    Unplugged,
}

/// The recording as a camera in the list.
pub fn info(dir: &Path) -> CameraInfo {
    let name = dir
        .file_name()
        .map_or_else(|| "recording".into(), |n| n.to_string_lossy().into_owned());
    CameraInfo {
        id: format!("recorded:{}", dir.display()),
        name: format!("Recorded camera ({name})"),
    }
}

/// Plays a folder of frames in real time.
pub struct RecordedSource {
    entries: Vec<Entry>,
    next: usize,
    started: Instant,
    looping: bool,
    streaming: Arc<AtomicBool>,
}

impl RecordedSource {
    /// Opens the recording in `dir` and starts it; `looping` plays it again and again.
    ///
    /// # Errors
    ///
    /// [`codes::NO_CAMERA`] when the folder holds no frames.
    pub fn open(dir: &Path, looping: bool) -> ScanResult<Self> {
        let unreadable =
            |why: String| ScanError::new(codes::NO_CAMERA, format!("the recorded camera {why}"));
        let listing = std::fs::read_dir(dir)
            .map_err(|e| unreadable(format!("cannot be read ({}): {e}", dir.display())))?;
        let mut entries: Vec<(u64, Entry)> = listing
            .filter_map(Result::ok)
            .filter_map(|file| parse(&file.path()))
            .collect();
        if entries.is_empty() {
            return Err(unreadable(format!("has no frames in {}", dir.display())));
        }
        entries.sort_by_key(|(number, _)| *number);
        Ok(Self {
            entries: entries.into_iter().map(|(_, e)| e).collect(),
            next: 0,
            started: Instant::now(),
            looping,
            streaming: Arc::new(AtomicBool::new(true)),
        })
    }

    /// A handle that tells whether the stream is still on (the camera's light).
    pub fn streaming(&self) -> Arc<AtomicBool> {
        self.streaming.clone()
    }

    /// The entry to show now (waiting for its time), moving on.
    fn advance(&mut self) -> Entry {
        let last = self.entries.len() - 1;
        if self.next > last {
            if self.looping {
                let length = self.entries[last].at + Duration::from_millis(33);
                self.started += length;
                self.next = 0;
            } else {
                // The scene stays: the last frame again, a frame time later.
                let mut again = self.entries[last].clone();
                again.at = self.started.elapsed() + Duration::from_millis(33);
                self.pace(again.at);
                return again;
            }
        }
        // Like a camera, the newest frame: those whose time passed while the reader was busy
        // are dropped (an unplugging is not).
        let now = self.started.elapsed();
        while self.next < last
            && matches!(self.entries[self.next].kind, EntryKind::Frame { .. })
            && self.entries[self.next + 1].at <= now
        {
            self.next += 1;
        }
        let entry = self.entries[self.next].clone();
        self.next += 1;
        self.pace(entry.at);
        entry
    }

    fn pace(&self, at: Duration) {
        if let Some(wait) = at.checked_sub(self.started.elapsed()) {
            std::thread::sleep(wait);
        }
    }
}

impl FrameSource for RecordedSource {
    fn next_frame(&mut self) -> ScanResult<Option<Luma>> {
        if !self.streaming.load(Ordering::SeqCst) {
            return Err(ScanError::new(codes::CAMERA_LOST, "the camera is stopped"));
        }
        match self.advance().kind {
            EntryKind::Unplugged => Err(ScanError::new(
                codes::CAMERA_LOST,
                "The camera stopped sending pictures. Is it still connected?",
            )),
            EntryKind::Frame {
                path,
                format,
                width,
                height,
            } => Ok(std::fs::read(&path)
                .ok()
                .and_then(|bytes| to_luma(format, width, height, &bytes))),
        }
    }

    fn stop(&mut self) {
        self.streaming.store(false, Ordering::SeqCst);
    }
}

/// `NNNNN-MS-WxH.EXT` or `NNNNN-MS-unplugged`.
fn parse(path: &Path) -> Option<(u64, Entry)> {
    let name = path.file_name()?.to_str()?;
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    let mut parts = stem.splitn(3, '-');
    let number: u64 = parts.next()?.parse().ok()?;
    let at = Duration::from_millis(parts.next()?.parse().ok()?);
    let rest = parts.next()?;
    if rest == "unplugged" {
        return Some((
            number,
            Entry {
                at,
                kind: EntryKind::Unplugged,
            },
        ));
    }
    let (w, h) = rest.split_once('x')?;
    let kind = EntryKind::Frame {
        path: path.to_owned(),
        format: PixelFormat::from_extension(ext)?,
        width: w.parse().ok()?,
        height: h.parse().ok()?,
    };
    Some((number, Entry { at, kind }))
}

/// Writes frame `number`, shown at `at` ms, into `dir` in `format`.
///
/// # Errors
///
/// The file cannot be written.
pub fn write_at(
    dir: &Path,
    format: PixelFormat,
    number: usize,
    at: u64,
    luma: &Luma,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let name = format!(
        "{number:05}-{at}-{}x{}.{}",
        luma.width,
        luma.height,
        format.extension()
    );
    std::fs::write(dir.join(name), from_luma(format, luma))
}

/// Adds an unplugging after the frames written with [`write`], at `at` ms.
///
/// # Errors
///
/// The file cannot be written.
pub fn write_unplugged(dir: &Path, number: usize, at: u64) -> std::io::Result<()> {
    std::fs::write(dir.join(format!("{number:05}-{at}-unplugged")), b"")
}
