//! The one error type every command returns: `{code, message}` on the wire.
//!
//! `code` is the SDK's stable numeric code ([`SdkError::code`], listed in docs/sdk.md) or one
//! of the app's own codes below (3xx), which the UI branches on. `message` is for people and
//! never carries a secret: SDK messages are secret-free by contract, and the app's own
//! messages name paths and platform facts only.

use nextauth_desktop::DesktopError;
use nextauth_sdk::SdkError;
use serde::Serialize;

/// App-level error codes (the SDK uses 1–299): scanning (300–303, 307, 310–312), settings
/// (304), bad input (305) and the OS switches (306, 308), the PIN before an approval (309). One
/// list, in `nextauth-desktop`; the bindings test writes it into `ui/src/bindings/codes.ts`.
pub use nextauth_desktop::codes;

/// An error as the UI receives it from a rejected `invoke`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[error("{message} (code {code})")]
pub struct IpcError {
    /// Stable numeric code: the SDK's (docs/sdk.md) or the app's (3xx, [`codes`]).
    pub code: u16,
    /// Text for people; never contains secrets.
    pub message: String,
}

impl IpcError {
    /// An app-level error (one of [`codes`]).
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        DesktopError::new(code, message).into()
    }

    /// Input from the UI that is not acceptable.
    pub fn bad_request(message: impl Into<String>) -> Self {
        DesktopError::bad_request(message).into()
    }
}

impl From<SdkError> for IpcError {
    fn from(err: SdkError) -> Self {
        Self {
            code: err.code(),
            message: err.to_string(),
        }
    }
}

impl From<DesktopError> for IpcError {
    fn from(err: DesktopError) -> Self {
        Self {
            code: err.code,
            message: err.message,
        }
    }
}

/// Result of a command.
pub type IpcResult<T> = Result<T, IpcError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_errors_keep_their_code() {
        let err = IpcError::from(SdkError::Engine(
            nextauth_sdk::engine::EngineError::WrongPin(2),
        ));
        assert_eq!(err.code, 128);
        assert_eq!(
            serde_json::to_value(&err).expect("serialise"),
            serde_json::json!({ "code": 128, "message": "wrong PIN (2 attempts left)" }),
            "the UI receives {{code, message}}"
        );
    }
}
