//! Biometric unlock of the PIN, through a platform trait.
//!
//! The PIN stays the second factor the server checks (docs/protocol.md section 11). With
//! biometrics enabled, the SDK keeps the PIN sealed by the keystore and, when a server asks for
//! it, first asks the platform to verify the person (fingerprint, face); only if that succeeds
//! is the sealed PIN used, as if typed. If the person cancels, or the server says the PIN is
//! wrong (it was changed elsewhere), the PIN pad is the way on.
//!
//! This is only as strong as the keystore that seals the PIN: a platform must enable it only
//! where the keystore key itself requires the biometric check (Android Keystore with
//! `setUserAuthenticationRequired`, a Secure Enclave key with `.biometryCurrentSet`). The
//! desktop app has no such keystore and reports biometrics unavailable.

use std::sync::Arc;

use crate::account_ops::check_pin;
use crate::engine::{PinCheck, PinInput};
use crate::error::{SdkError, SdkResult};
use crate::Sdk;

/// The keystore label of the PIN sealed for biometric unlock.
pub(crate) const BIOMETRIC_PIN_LABEL: &[u8] = b"biometric pin";

/// The platform's biometric check (a mobile shell implements it with the OS's API; Tauri's
/// biometric plugin on Android and iOS).
pub trait Biometrics: Send + Sync {
    /// Whether the device can verify the person now (hardware present, a finger or face
    /// enrolled, and a keystore that binds its keys to the check).
    fn available(&self) -> bool;

    /// Shows the system's biometric prompt with `reason`; `true` when the person was verified,
    /// `false` when they cancelled or failed. Blocking: the SDK calls it off the async threads.
    fn verify(&self, reason: &str) -> bool;
}

/// Whether biometric unlock can be used and is switched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct BiometricStatus {
    /// The platform can verify the person.
    pub available: bool,
    /// Biometric unlock is on (a PIN is sealed for it).
    pub enabled: bool,
}

impl Sdk {
    /// Hands the SDK the platform's biometric check (once, after [`Sdk::open`]).
    pub fn set_biometrics(&self, platform: Arc<dyn Biometrics>) {
        if let Ok(mut slot) = self.inner.biometrics.write() {
            *slot = Some(platform);
        }
    }

    /// Whether biometric unlock is available and on.
    pub async fn biometric_status(&self) -> SdkResult<BiometricStatus> {
        Ok(BiometricStatus {
            available: platform(&self.inner).is_some_and(|b| b.available()),
            enabled: self.inner.store.biometric_pin().await?.is_some(),
        })
    }

    /// Switches biometric unlock on: `pin` is checked with a server (wrong PINs count as
    /// usual), the person is verified once by the platform, then the PIN is sealed for later.
    pub async fn enable_biometrics(&self, pin: &PinInput) -> SdkResult<()> {
        let platform = platform(&self.inner)
            .filter(|b| b.available())
            .ok_or(SdkError::BiometricsUnavailable)?;
        pin.to_pin()?;
        if self.inner.store.pin_secret().await?.is_none() {
            return Err(SdkError::InvalidInput("no PIN is set"));
        }
        match check_pin(&self.inner, pin).await {
            PinCheck::Right => {}
            PinCheck::Wrong(remaining) => return Err(SdkError::WrongPin(remaining)),
            PinCheck::Blocked => return Err(SdkError::PinBlocked),
            PinCheck::Unavailable => return Err(SdkError::Unreachable),
        }
        if !verify(platform, "Use biometrics instead of your PIN").await {
            return Err(SdkError::BiometricsDeclined);
        }
        let sealed = self
            .inner
            .keystore
            .seal(BIOMETRIC_PIN_LABEL, pin.expose().as_bytes())?;
        if !self.inner.store.set_biometric_pin(Some(&sealed)).await? {
            return Err(SdkError::InvalidInput("no PIN is set"));
        }
        Ok(())
    }

    /// Switches biometric unlock off (the sealed PIN is deleted).
    pub async fn disable_biometrics(&self) -> SdkResult<()> {
        self.inner.store.set_biometric_pin(None).await?;
        Ok(())
    }
}

/// The platform's check, unless the configuration turns biometrics off.
fn platform(inner: &crate::sdk::Inner) -> Option<Arc<dyn Biometrics>> {
    if inner.config.biometrics_disabled {
        return None;
    }
    inner.biometrics.read().ok().and_then(|b| b.clone())
}

/// Runs the platform's check off the async threads.
async fn verify(platform: Arc<dyn Biometrics>, reason: &str) -> bool {
    let reason = reason.to_owned();
    tokio::task::spawn_blocking(move || platform.verify(&reason))
        .await
        .unwrap_or(false)
}

/// For a flow asking for the PIN: the sealed PIN, once the platform has verified the person;
/// `None` when biometrics are off, unavailable or the person did not pass.
pub(crate) async fn unlock_pin(inner: &crate::sdk::Inner, reason: &str) -> Option<PinInput> {
    let platform = platform(inner).filter(|b| b.available())?;
    let sealed = inner.store.biometric_pin().await.ok().flatten()?;
    if !verify(platform, reason).await {
        return None;
    }
    let digits = inner.keystore.open(BIOMETRIC_PIN_LABEL, &sealed).ok()?;
    let digits = std::str::from_utf8(&digits).ok()?;
    Some(PinInput::new(digits))
}
