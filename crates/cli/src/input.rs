//! Turning an INPUT argument into something the SDK starts a flow from, and reading QR codes
//! from image files.

use std::path::Path;

/// What a flow starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// Raw QR bytes.
    Bytes(Vec<u8>),
    /// A deep link or app-to-app URI.
    Link(String),
}

/// Interprets INPUT: an existing file is an image with a QR code; `https://…` or `scheme:…` is
/// a link; an even-length string of hex digits is the QR bytes.
pub fn parse_input(input: &str) -> Result<Start, String> {
    let trimmed = input.trim();
    let path = Path::new(trimmed);
    if path.is_file() {
        return match decode_file(path)? {
            Some(bytes) => Ok(Start::Bytes(bytes)),
            None => Err(format!("{trimmed}: no QR code found")),
        };
    }
    if let Some(bytes) = nextauth_protocol::from_hex(trimmed).filter(|b| !b.is_empty()) {
        return Ok(Start::Bytes(bytes));
    }
    if trimmed.starts_with("https://")
        || trimmed.split_once(':').is_some_and(|(s, _)| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
    {
        return Ok(Start::Link(trimmed.to_owned()));
    }
    Err(format!("{trimmed}: not a link, hex string or image file"))
}

/// Reads an image file (PNG or JPEG) and returns the raw bytes of the first QR code in it.
pub fn decode_file(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    nextauth_qr::decode_file(&bytes)
        .map_err(|e| format!("{}: cannot read image: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_recognised() {
        assert_eq!(parse_input("6e41").unwrap(), Start::Bytes(vec![0x6e, 0x41]));
        assert_eq!(
            parse_input("nextauth:bkEB").unwrap(),
            Start::Link("nextauth:bkEB".into())
        );
        assert_eq!(
            parse_input("https://a.test/q/x").unwrap(),
            Start::Link("https://a.test/q/x".into())
        );
        assert!(parse_input("not input").is_err());
        assert!(parse_input("abc").is_err(), "odd-length hex is not bytes");
        assert!(parse_input("").is_err(), "nothing is not bytes");
    }
}
