//! Request extractors that answer bad input with the API's JSON error (axum's own answer
//! plain-text rejections), and the parsing of path and query values.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine};
use nextauth_protocol::ids::ServerId;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Largest request body the API reads.
pub const BODY_LIMIT: usize = 256 * 1024;

/// A JSON request body, whatever its `Content-Type` (integrations often omit it).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

/// A JSON object request body (serde would also read a struct from a JSON array).
#[derive(Debug)]
pub struct ObjectBody<T>(pub T);

/// A JSON object request body that may be absent (empty body: `None`).
#[derive(Debug)]
pub struct OptionalJson<T>(pub Option<T>);

/// Query parameters; a malformed query string is a 400.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

/// Path parameters; undecodable ones are a 400.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

async fn body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state)
        .await
        .map_err(|rejection| match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            _ => ApiError::BadRequest("cannot read the request body"),
        })
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|err| {
        use serde_json::error::Category;
        let what = match err.classify() {
            // Data errors name the field and expected type, from the caller's own input.
            Category::Data => format!("request body has the wrong shape: {err}"),
            _ => format!(
                "request body is not valid JSON (line {}, column {})",
                err.line(),
                err.column()
            ),
        };
        ApiError::Invalid(what)
    })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body(req, state).await?;
        parse_json(&bytes).map(Self)
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ObjectBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body(req, state).await?;
        object(&bytes).map(Self)
    }
}

/// Parses a JSON object into `T`.
fn object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = parse_json(bytes)?;
    if !value.is_object() {
        return Err(ApiError::BadRequest("request body must be a JSON object"));
    }
    serde_json::from_value(value)
        .map_err(|err| ApiError::Invalid(format!("request body has the wrong shape: {err}")))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(None));
        }
        object(&bytes).map(|v| Self(Some(v)))
    }
}

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Self(v))
            .map_err(|_| ApiError::BadRequest("malformed query string"))
    }
}

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| Self(v))
            .map_err(|_| ApiError::BadRequest("malformed path parameter"))
    }
}

/// A server id from a path: base64url or standard base64, padded or not.
pub fn server_id(text: &str) -> Result<ServerId, ApiError> {
    ServerId::from_base64(text)
        .map_err(|_| ApiError::BadRequest("serverid is not a base64 server id"))
}

/// An account id from a path.
pub fn account_id(text: &str) -> Result<i64, ApiError> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| ApiError::BadRequest("accountid must be an integer"))
}

/// A user id (from a path or a query): 1 to 255 bytes, no control characters.
pub fn userid(text: &str) -> Result<&str, ApiError> {
    if text.is_empty() || text.len() > 255 || text.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "userid must be 1 to 255 bytes without control characters",
        ));
    }
    Ok(text)
}

/// A role id: 1 to 255 bytes, no control characters (opaque otherwise).
pub fn role_id(text: &str) -> Result<&str, ApiError> {
    if text.is_empty() || text.len() > 255 || text.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "roleid must be 1 to 255 bytes without control characters",
        ));
    }
    Ok(text)
}

/// An attribute key: 1 to 255 bytes, no control characters.
pub fn attribute_key(text: &str) -> Result<&str, ApiError> {
    if text.is_empty() || text.len() > 255 || text.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "attribute keys must be 1 to 255 bytes without control characters",
        ));
    }
    Ok(text)
}

/// A boolean query value (`true`/`false`, also `1`/`0`).
pub fn boolean(text: Option<&str>, missing: &'static str) -> Result<bool, ApiError> {
    match text.map(str::trim) {
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(_) => Err(ApiError::BadRequest("boolean parameters are true or false")),
        None => Err(ApiError::BadRequest(missing)),
    }
}

/// Standard base64 that tolerates missing padding and the URL-safe alphabet.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    STANDARD.decode(cleaned).ok()
}

/// Standard, padded base64 (what the API's byte fields carry).
pub fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_path_and_query_values() {
        assert_eq!(decode_base64("iVBORw"), Some(vec![0x89, b'P', b'N', b'G']));
        assert_eq!(decode_base64("-_8="), decode_base64("+/8"));
        assert_eq!(decode_base64("%%%"), None);
        assert!(server_id("AAAAAAAAAAAAAAAAAAAAAA").is_ok());
        assert!(server_id("not an id").is_err());
        assert_eq!(account_id("42").ok(), Some(42));
        assert!(account_id("x").is_err());
        assert!(userid("").is_err() && userid("a\nb").is_err() && userid("alice").is_ok());
        assert_eq!(boolean(Some("true"), "m").ok(), Some(true));
        assert!(boolean(Some("yes"), "m").is_err() && boolean(None, "m").is_err());
    }
}
