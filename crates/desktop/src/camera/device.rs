//! Real cameras through nokhwa (V4L2 on Linux, AVFoundation on macOS, Media Foundation on
//! Windows), with errors a person understands.

use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
};
use nokhwa::NokhwaError;

use super::luma::{to_luma, PixelFormat};
use super::{no_camera, CameraInfo, FrameSource};
use crate::error::{codes, ScanError, ScanResult};
use crate::scanner::Luma;

/// What scanning asks of a camera: 1280×720 (or the nearest it has) at 30 frames a second, in
/// a format whose luma plane can be taken as it is; MJPEG (decoded to luma only) after those.
const WANTED: (u32, u32, u32) = (1280, 720, 30);
const FORMATS: [FrameFormat; 4] = [
    FrameFormat::YUYV,
    FrameFormat::NV12,
    FrameFormat::GRAY,
    FrameFormat::MJPEG,
];

/// The cameras the system lists.
pub fn list() -> ScanResult<Vec<CameraInfo>> {
    let cameras = nokhwa::query(ApiBackend::Auto).map_err(|e| classify(&e))?;
    if cameras.is_empty() {
        // A camera the system hides from us is not the same as none at all.
        if let Some(denied) = access_denied() {
            return Err(denied);
        }
    }
    Ok(cameras
        .iter()
        .map(|c| CameraInfo {
            id: format!("{}#{}", c.human_name(), c.index()),
            name: c.human_name(),
        })
        .collect())
}

/// A camera with its stream on.
pub struct DeviceSource {
    camera: nokhwa::Camera,
    streaming: bool,
}

impl DeviceSource {
    /// Opens `info` (from [`list`]) in the best format it offers and starts its stream.
    pub fn open(info: &CameraInfo) -> ScanResult<Self> {
        let index = info
            .id
            .rsplit_once('#')
            .map(|(_, index)| match index.parse::<u32>() {
                Ok(n) => CameraIndex::Index(n),
                Err(_) => CameraIndex::String(index.to_owned()),
            })
            .ok_or_else(no_camera)?;
        let (w, h, fps) = WANTED;
        let mut last = None;
        for format in FORMATS {
            let wanted = CameraFormat::new_from(w, h, format, fps);
            let only = [format];
            let requested =
                RequestedFormat::with_formats(RequestedFormatType::Closest(wanted), &only);
            match nokhwa::Camera::new(index.clone(), requested) {
                Ok(mut camera) => {
                    camera.open_stream().map_err(|e| classify(&e))?;
                    tracing::info!(format = %camera.frame_format(), resolution = %camera.resolution(), "camera open");
                    return Ok(Self {
                        camera,
                        streaming: true,
                    });
                }
                Err(err) => last = Some(err),
            }
        }
        Err(last.map_or_else(no_camera, |e| classify(&e)))
    }
}

impl FrameSource for DeviceSource {
    fn next_frame(&mut self) -> ScanResult<Option<Luma>> {
        let frame = self.camera.frame().map_err(|e| {
            tracing::warn!(error = %e, "camera frame");
            ScanError::new(
                codes::CAMERA_LOST,
                "The camera stopped sending pictures. Is it still connected?",
            )
        })?;
        let format = match frame.source_frame_format() {
            FrameFormat::YUYV => PixelFormat::Yuyv,
            FrameFormat::NV12 => PixelFormat::Nv12,
            FrameFormat::GRAY => PixelFormat::Gray,
            FrameFormat::MJPEG => PixelFormat::Mjpeg,
            FrameFormat::RAWRGB | FrameFormat::RAWBGR => return Ok(None),
        };
        let res = frame.resolution();
        Ok(to_luma(
            format,
            res.width_x as usize,
            res.height_y as usize,
            frame.buffer(),
        ))
    }

    fn stop(&mut self) {
        if std::mem::take(&mut self.streaming) {
            if let Err(err) = self.camera.stop_stream() {
                tracing::warn!(error = %err, "camera stream did not stop");
            }
        }
    }
}

impl Drop for DeviceSource {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What a camera error means for the person.
pub(super) fn classify(err: &NokhwaError) -> ScanError {
    classify_text(&err.to_string())
}

/// [`classify`] on the error's text (the backends report the OS error only as text).
pub(super) fn classify_text(text: &str) -> ScanError {
    let lower = text.to_lowercase();
    if lower.contains("busy") || lower.contains("os error 16") {
        ScanError::new(
            codes::CAMERA_BUSY,
            "The camera is in use by another program. Close that program and try again.",
        )
    } else if lower.contains("permission denied")
        || lower.contains("os error 13")
        || lower.contains("not authorized")
        || lower.contains("access denied")
    {
        denied()
    } else {
        tracing::warn!(error = text, "camera");
        ScanError::new(
            codes::NO_CAMERA,
            format!("The camera cannot be used: {text}"),
        )
    }
}

fn denied() -> ScanError {
    ScanError::new(
        codes::CAMERA_DENIED,
        if cfg!(target_os = "macos") {
            "nextAuth may not use the camera. Allow it in System Settings, Privacy & Security, Camera."
        } else {
            "nextAuth may not use the camera. On Linux, ask for your account to be added to the \
             \"video\" group, then log in again."
        },
    )
}

/// On Linux: video devices exist but none may be opened (not in the `video` group).
fn access_denied() -> Option<ScanError> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let devices = std::fs::read_dir("/dev")
        .ok()?
        .filter_map(Result::ok)
        .filter(|f| f.file_name().to_string_lossy().starts_with("video"));
    let mut any = false;
    for device in devices {
        any = true;
        match std::fs::File::open(device.path()) {
            Err(err) if err.kind() == std::io::ErrorKind::PermissionDenied => {}
            _ => return None,
        }
    }
    any.then(denied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camera_errors_say_what_is_wrong() {
        // The texts the V4L2 backend gives (its OS errors) for each case.
        let busy = NokhwaError::OpenStreamError("Device or resource busy (os error 16)".into());
        assert_eq!(classify(&busy).code, codes::CAMERA_BUSY);
        let denied = NokhwaError::OpenDeviceError(
            "/dev/video0".into(),
            "Permission denied (os error 13)".into(),
        );
        assert_eq!(classify(&denied).code, codes::CAMERA_DENIED);
        assert!(classify(&denied).message.contains("video"));
        let other = NokhwaError::OpenDeviceError("0".into(), "No such device".into());
        assert_eq!(classify(&other).code, codes::NO_CAMERA);
    }

    #[test]
    fn a_machine_without_cameras_lists_none_and_opens_none() {
        // These machines have no camera; where one exists the test says nothing about it.
        if std::path::Path::new("/dev/video0").exists() {
            return;
        }
        assert_eq!(list(), Ok(Vec::new()));
        let err = super::super::open(None).err().expect("no camera");
        assert_eq!(err.code, codes::NO_CAMERA);
        assert!(err.message.starts_with("No camera found."));
    }
}
