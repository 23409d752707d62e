//! CA certificates for `--ca`: a DER file, or PEM with one or more CERTIFICATE blocks (read by
//! `rustls-pki-types`, the crate rustls itself uses for PEM).

use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

/// Reads the certificates in `path`.
pub fn read_certificates(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("--ca {}: {e}", path.display()))?;
    let is_pem = std::str::from_utf8(&bytes).is_ok_and(|text| text.contains("-----BEGIN"));
    if !is_pem {
        // Not PEM: one DER certificate (a SEQUENCE).
        if bytes.first() == Some(&0x30) {
            return Ok(vec![bytes]);
        }
        return Err(format!(
            "--ca {}: not a DER or PEM certificate",
            path.display()
        ));
    }
    let certificates =
        pem_certificates(&bytes).map_err(|e| format!("--ca {}: {e}", path.display()))?;
    if certificates.is_empty() {
        return Err(format!(
            "--ca {}: no CERTIFICATE in the PEM file",
            path.display()
        ));
    }
    Ok(certificates)
}

/// The decoded contents of every CERTIFICATE block (other blocks are skipped).
fn pem_certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    CertificateDer::pem_slice_iter(pem)
        .map(|block| {
            block
                .map(|der| der.to_vec())
                .map_err(|e| format!("bad PEM: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_are_found_and_decoded() {
        let pem = "junk\n-----BEGIN CERTIFICATE-----\nMAEC\nAw==\n-----END CERTIFICATE-----\n\
                   -----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n\
                   -----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
        assert_eq!(
            pem_certificates(pem.as_bytes()).unwrap(),
            vec![vec![0x30, 0x01, 0x02, 0x03], vec![0x30, 0x00]]
        );
        assert!(pem_certificates(b"-----BEGIN CERTIFICATE-----\nMAA=").is_err());
        assert!(
            pem_certificates(b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----")
                .is_err()
        );
    }
}
