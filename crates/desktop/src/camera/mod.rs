//! Cameras: which are there ([`list`]), opening one ([`open`]) or a recorded sequence that
//! plays like one ([`recorded`]), the pixel formats they deliver ([`luma`]), and the loop that
//! reads frames until a code shows ([`scan_loop`]).
//!
//! Every source hands the scan loop a luma plane taken straight from the camera's format
//! (YUYV, NV12, grey; MJPEG decoded to luma only), never an RGB picture.

pub mod luma;
pub mod recorded;
pub mod scan_loop;
pub mod scenes;

#[cfg(not(any(target_os = "android", target_os = "ios")))]
mod device;

use serde::Serialize;

pub use luma::PixelFormat;
pub use scan_loop::{preview_of, scan, Preview, ScanLimits};

use crate::error::{codes, ScanError, ScanResult};
use crate::scanner::Luma;

/// The environment variable that replaces the cameras with a recorded sequence (a folder, see
/// [`recorded`]): for end-to-end tests, benchmarks and demonstrations without a camera.
pub const RECORDED_SOURCE_ENV: &str = "NEXTAUTH_CAMERA_SOURCE";

/// Where frames come from: a camera, or a recording that plays like one. (Not `Send`: some
/// platforms' cameras stay on the thread that opened them, so a scan opens and reads on one.)
pub trait FrameSource {
    /// The next frame's luma plane; `Ok(None)` for a frame that cannot be read (skipped).
    ///
    /// # Errors
    ///
    /// The source failed for good (a camera unplugged: [`codes::CAMERA_LOST`]).
    fn next_frame(&mut self) -> ScanResult<Option<Luma>>;

    /// Stops the stream (the camera's light goes off). Called once, whatever ended the scan.
    fn stop(&mut self);
}

/// A camera the person can choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CameraInfo {
    /// Stable id to remember the choice by (the device's name and index).
    pub id: String,
    /// Its name for people ("Integrated Camera").
    pub name: String,
}

/// The cameras there are now (the recorded source alone when [`RECORDED_SOURCE_ENV`] is set).
///
/// # Errors
///
/// The system cannot list cameras ([`codes::NO_CAMERA`], [`codes::CAMERA_DENIED`]).
pub fn list() -> ScanResult<Vec<CameraInfo>> {
    if let Some(dir) = std::env::var_os(RECORDED_SOURCE_ENV) {
        return Ok(vec![recorded::info(std::path::Path::new(&dir))]);
    }
    list_devices()
}

/// Opens the camera `wanted` (an id from [`list`]), or the first one when it is `None` or gone,
/// and starts its stream.
///
/// # Errors
///
/// No camera ([`codes::NO_CAMERA`]), in use by another program ([`codes::CAMERA_BUSY`]), not
/// allowed ([`codes::CAMERA_DENIED`]).
pub fn open(wanted: Option<&str>) -> ScanResult<Box<dyn FrameSource>> {
    if let Some(dir) = std::env::var_os(RECORDED_SOURCE_ENV) {
        let source = recorded::RecordedSource::open(std::path::Path::new(&dir), false)?;
        return Ok(Box::new(source));
    }
    let cameras = list_devices()?;
    let chosen = wanted
        .and_then(|id| cameras.iter().find(|c| c.id == id))
        .or_else(|| cameras.first())
        .ok_or_else(no_camera)?;
    open_device(chosen)
}

/// The error for a computer without a camera.
pub fn no_camera() -> ScanError {
    ScanError::new(
        codes::NO_CAMERA,
        "No camera found. Scan from the screen or open an image instead.",
    )
}

#[cfg(not(any(target_os = "android", target_os = "ios")))]
fn list_devices() -> ScanResult<Vec<CameraInfo>> {
    device::list()
}

#[cfg(not(any(target_os = "android", target_os = "ios")))]
fn open_device(camera: &CameraInfo) -> ScanResult<Box<dyn FrameSource>> {
    Ok(Box::new(device::DeviceSource::open(camera)?))
}

// Phones scan with the platform's scanner (Tauri's barcode-scanner plugin, docs/mobile.md).
#[cfg(any(target_os = "android", target_os = "ios"))]
fn list_devices() -> ScanResult<Vec<CameraInfo>> {
    Ok(Vec::new())
}

#[cfg(any(target_os = "android", target_os = "ios"))]
fn open_device(_camera: &CameraInfo) -> ScanResult<Box<dyn FrameSource>> {
    Err(no_camera())
}
