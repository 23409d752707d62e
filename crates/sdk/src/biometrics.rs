//! Biometric unlock of the PIN, through a platform trait.
//!
//! The PIN stays the second factor the server checks (docs/protocol.md section 11). With
//! biometrics enabled, the SDK keeps the PIN sealed by the keystore and, when a server asks for
//! it, first asks the platform to verify the person (fingerprint, face); only if that succeeds
//! is the sealed PIN used, as if typed. If the person cancels, or the server says the PIN is
//! wrong (it was changed elsewhere), the PIN pad is the way on.
//!
//! The PIN is sealed by the platform under a key of its own that opens only after the
//! biometric check, never by the app's keystore key: whoever can use the keystore (a copied
//! data directory, code running as the person) still cannot read the PIN without the person's
//! finger or face. On Android that is an AndroidKeyStore AES key made with
//! `setUserAuthenticationRequired(true)` and `setInvalidatedByBiometricEnrollment(true)`, used
//! through a `BiometricPrompt` with a `CryptoObject`; on iOS and macOS a Keychain item (or a
//! Secure Enclave key) whose access control is `.biometryCurrentSet`. The desktop app has no
//! such key and reports biometrics unavailable (docs/mobile.md).

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::account_ops::check_pin;
use crate::engine::EngineError;
use crate::engine::{PinCheck, PinInput};
use crate::error::{SdkError, SdkResult};
use crate::Sdk;

/// Why the platform's biometric key could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BiometricError {
    /// The person cancelled or did not pass the check.
    #[error("the biometric check was not passed")]
    Declined,
    /// No usable hardware, no finger or face enrolled, or the key was invalidated (a new
    /// finger was enrolled): biometric unlock must be switched on again.
    #[error("biometrics are not available")]
    Unavailable,
}

/// The platform's biometric key (a mobile shell implements it with the OS's API; Tauri's
/// biometric plugin on Android and iOS).
pub trait Biometrics: Send + Sync {
    /// Whether the device can verify the person now (hardware present, a finger or face
    /// enrolled, and a key that only works after the check).
    fn available(&self) -> bool;

    /// Seals `secret` under the platform's biometric key (created if needed), which is not the
    /// keystore's key and only works after the person passes the check; may show the system's
    /// prompt with `reason`. Blocking: the SDK calls it off the async threads.
    fn seal(&self, reason: &str, secret: &[u8]) -> Result<Vec<u8>, BiometricError>;

    /// Shows the system's prompt with `reason` and, if the person passes, opens what
    /// [`Biometrics::seal`] made. Blocking.
    fn open(&self, reason: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, BiometricError>;

    /// Deletes the biometric key (biometric unlock was switched off).
    fn forget(&self);
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
            return Err(SdkError::Engine(EngineError::InvalidInput("no PIN is set")));
        }
        match check_pin(&self.inner, pin).await {
            PinCheck::Right => {}
            PinCheck::Wrong(remaining) => {
                return Err(SdkError::Engine(EngineError::WrongPin(remaining)))
            }
            PinCheck::Blocked => return Err(SdkError::Engine(EngineError::PinBlocked)),
            PinCheck::Unavailable => return Err(SdkError::Engine(EngineError::Unreachable)),
        }
        let sealed = seal(platform, "Use biometrics instead of your PIN", pin)
            .await
            .map_err(|err| match err {
                BiometricError::Declined => SdkError::BiometricsDeclined,
                BiometricError::Unavailable => SdkError::BiometricsUnavailable,
            })?;
        if !self.inner.store.set_biometric_pin(Some(&sealed)).await? {
            return Err(SdkError::Engine(EngineError::InvalidInput("no PIN is set")));
        }
        // The PIN was just typed (and proven): the limits count from here.
        self.inner.store.pin_typed(self.inner.now()).await?;
        Ok(())
    }

    /// Switches biometric unlock off (the sealed PIN and the platform's key are deleted).
    pub async fn disable_biometrics(&self) -> SdkResult<()> {
        self.inner.store.set_biometric_pin(None).await?;
        if let Some(platform) = platform(&self.inner) {
            tokio::task::spawn_blocking(move || platform.forget())
                .await
                .map_err(|_| SdkError::BiometricsUnavailable)?;
        }
        Ok(())
    }
}

/// The platform's check, unless the configuration turns biometrics off.
fn platform(inner: &crate::inner::Inner) -> Option<Arc<dyn Biometrics>> {
    if inner.config.biometrics_disabled {
        return None;
    }
    inner.biometrics.read().ok().and_then(|b| b.clone())
}

/// Seals the PIN with the platform's biometric key, off the async threads.
async fn seal(
    platform: Arc<dyn Biometrics>,
    reason: &str,
    pin: &PinInput,
) -> Result<Vec<u8>, BiometricError> {
    let reason = reason.to_owned();
    let digits = Zeroizing::new(pin.expose().as_bytes().to_vec());
    tokio::task::spawn_blocking(move || platform.seal(&reason, &digits))
        .await
        .unwrap_or(Err(BiometricError::Unavailable))
}

/// After a PIN change: the new PIN is sealed for biometric unlock in place of the old one, if
/// it was on; if the person does not pass, biometric unlock is switched off (never a stale PIN).
pub(crate) async fn follow_pin_change(
    inner: &crate::inner::Inner,
    new_pin: &PinInput,
) -> SdkResult<()> {
    if inner.store.biometric_pin().await?.is_none() {
        return Ok(());
    }
    let sealed = match platform(inner) {
        Some(p) => seal(p, "Keep biometric unlock for your new PIN", new_pin)
            .await
            .ok(),
        None => None,
    };
    inner.store.set_biometric_pin(sealed.as_deref()).await?;
    Ok(())
}

/// Answers flow `flow_id`'s PIN question with the biometrically unlocked PIN, in the
/// background, if biometrics are on and the person passes the platform's check (shown
/// `reason`); otherwise the question stays for the PIN pad. The answer goes in like the
/// person's own (a PIN typed first wins; the later one is refused).
pub(crate) fn answer_with_biometrics(sdk: crate::Sdk, flow_id: String, reason: String) {
    tokio::spawn(async move {
        if let Some(pin) = unlock_pin(&sdk.inner, &reason).await {
            let answer = crate::engine::Response::Pin { pin };
            if let Err(err) = sdk.respond_as(&flow_id, answer).await {
                tracing::info!(code = err.code(), "biometric answer not taken");
            }
        }
    });
}

/// For a flow asking for the PIN: the sealed PIN, once the platform has verified the person
/// and opened it; `None` when biometrics are off, unavailable or the person did not pass.
pub(crate) async fn unlock_pin(inner: &crate::inner::Inner, reason: &str) -> Option<PinInput> {
    let platform = platform(inner).filter(|b| b.available())?;
    let sealed = inner.store.biometric_pin().await.ok().flatten()?;
    if !within_limits(inner).await {
        tracing::info!("biometric unlock not offered: the PIN is due to be typed");
        return None;
    }
    let reason = reason.to_owned();
    let digits = tokio::task::spawn_blocking(move || platform.open(&reason, &sealed))
        .await
        .ok()?
        .ok()?;
    let digits = std::str::from_utf8(&digits).ok()?;
    if let Err(err) = inner.store.count_biometric_unlock().await {
        // Not counted means not offered next time either: the limit errs on the safe side.
        tracing::warn!(code = err.code(), "cannot count a biometric unlock");
        return None;
    }
    Some(PinInput::new(digits))
}

/// Whether biometric unlock may stand in for the PIN now: fewer than
/// `Config::max_biometric_unlocks` in a row, and the PIN typed within
/// `Config::max_time_without_pin` (docs/sdk.md, "Biometric unlock").
async fn within_limits(inner: &crate::inner::Inner) -> bool {
    if inner.config.block_second_factor_on_pin_blocked
        && inner.store.pin_blocked().await.unwrap_or(true)
    {
        return false;
    }
    let Ok((streak, typed_at)) = inner.store.second_factor_streak().await else {
        return false;
    };
    let max = inner.config.max_biometric_unlocks;
    if max > 0 && streak >= max {
        return false;
    }
    match inner.config.max_time_without_pin {
        Some(limit) => inner.now().saturating_sub(typed_at) <= limit.as_secs(),
        None => true,
    }
}
