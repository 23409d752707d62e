//! CA certificates for `--ca`: a DER file, or PEM with one or more CERTIFICATE blocks.

use std::path::Path;

use base64::Engine;

/// Reads the certificates in `path`.
pub fn read_certificates(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("--ca {}: {e}", path.display()))?;
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) if text.contains("-----BEGIN") => text,
        // Not PEM: one DER certificate (a SEQUENCE).
        _ if bytes.first() == Some(&0x30) => return Ok(vec![bytes]),
        _ => {
            return Err(format!(
                "--ca {}: not a DER or PEM certificate",
                path.display()
            ))
        }
    };
    let certificates =
        pem_blocks(text, "CERTIFICATE").map_err(|e| format!("--ca {}: {e}", path.display()))?;
    if certificates.is_empty() {
        return Err(format!(
            "--ca {}: no CERTIFICATE in the PEM file",
            path.display()
        ));
    }
    Ok(certificates)
}

/// The decoded contents of every `-----BEGIN <label>-----` block.
fn pem_blocks(text: &str, label: &str) -> Result<Vec<Vec<u8>>, String> {
    let (begin, end) = (
        format!("-----BEGIN {label}-----"),
        format!("-----END {label}-----"),
    );
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let body_start = start + begin.len();
        let body_len = rest[body_start..]
            .find(&end)
            .ok_or_else(|| format!("{begin} without {end}"))?;
        let body: String = rest[body_start..body_start + body_len]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| format!("a {label} block is not base64"))?;
        blocks.push(der);
        rest = &rest[body_start + body_len + end.len()..];
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_are_found_and_decoded() {
        let pem = "junk\n-----BEGIN CERTIFICATE-----\nMAEC\nAw==\n-----END CERTIFICATE-----\n\
                   -----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
        assert_eq!(
            pem_blocks(pem, "CERTIFICATE").unwrap(),
            vec![vec![0x30, 0x01, 0x02, 0x03], vec![0x30, 0x00]]
        );
        assert!(pem_blocks("-----BEGIN CERTIFICATE-----\nMAA=", "CERTIFICATE").is_err());
        assert!(pem_blocks(
            "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----",
            "CERTIFICATE"
        )
        .is_err());
    }
}
