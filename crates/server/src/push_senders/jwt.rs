//! The JSON Web Tokens the push services want: RS256 for Google's OAuth token exchange (FCM)
//! and ES256 for APNs provider tokens, signed with ring; plus the PEM decoding of their keys.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::rand::SecureRandom;
use ring::signature::{EcdsaKeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use zeroize::Zeroizing;

use super::PushError;

/// Decodes the PEM block labelled `label` (e.g. `PRIVATE KEY`) in `pem` to its DER bytes.
///
/// Hand-written rather than `rustls_pki_types::pem` (which the CLI uses for certificates):
/// that reader leaves the block's base64 text in a buffer it frees without wiping, and every
/// copy of a key here is wiped (docs/architecture.md).
///
/// # Errors
///
/// [`PushError::Config`] when there is no such block or its base64 is bad. The message never
/// contains key material.
pub fn pem_decode(pem: &str, label: &str) -> Result<Zeroizing<Vec<u8>>, PushError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let missing = || PushError::Config(format!("no `{begin}` block in the key"));
    let start = pem.find(&begin).ok_or_else(missing)? + begin.len();
    let stop = pem[start..].find(&end).ok_or_else(missing)? + start;
    let body: Zeroizing<String> = Zeroizing::new(
        pem[start..stop]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect(),
    );
    STANDARD
        .decode(body.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| PushError::Config(format!("the `{label}` block is not valid base64")))
}

/// `base64url(header) . base64url(claims)`: the part of a JWT that is signed.
fn signing_input(header: &serde_json::Value, claims: &serde_json::Value) -> String {
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// Signs a JWT with RS256 (RSASSA-PKCS1-v1_5 with SHA-256). `header` should say `"alg":"RS256"`.
///
/// # Errors
///
/// [`PushError::Auth`] if signing fails (randomness failure).
pub fn sign_rs256(
    key: &RsaKeyPair,
    rng: &dyn SecureRandom,
    header: &serde_json::Value,
    claims: &serde_json::Value,
) -> Result<String, PushError> {
    let input = signing_input(header, claims);
    let mut signature = vec![0u8; key.public().modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, rng, input.as_bytes(), &mut signature)
        .map_err(|_| PushError::Auth("RS256 signing failed".into()))?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// Signs a JWT with ES256. `key` must be a P-256 key loaded for
/// `ECDSA_P256_SHA256_FIXED_SIGNING`, whose signatures are the raw `r ‖ s` JWS wants.
///
/// # Errors
///
/// [`PushError::Auth`] if signing fails (randomness failure).
pub fn sign_es256(
    key: &EcdsaKeyPair,
    rng: &dyn SecureRandom,
    header: &serde_json::Value,
    claims: &serde_json::Value,
) -> Result<String, PushError> {
    let input = signing_input(header, claims);
    let signature = key
        .sign(rng, input.as_bytes())
        .map_err(|_| PushError::Auth("ES256 signing failed".into()))?;
    Ok(format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(signature.as_ref())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{
        KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING,
    };
    use serde_json::json;

    #[test]
    fn pem_blocks_decode_and_bad_ones_are_refused() {
        let pem = "junk\n-----BEGIN PRIVATE KEY-----\nAAEC\nAwQ=\n-----END PRIVATE KEY-----\n";
        assert_eq!(
            &pem_decode(pem, "PRIVATE KEY").unwrap()[..],
            &[0, 1, 2, 3, 4]
        );
        assert!(pem_decode(pem, "EC PRIVATE KEY").is_err());
        assert!(pem_decode(
            "-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----",
            "PRIVATE KEY"
        )
        .is_err());
        assert!(pem_decode("-----BEGIN PRIVATE KEY-----\nAAEC", "PRIVATE KEY").is_err());
    }

    #[test]
    fn es256_tokens_verify_with_the_public_key() {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let header = json!({"alg": "ES256", "kid": "K"});
        let claims = json!({"iss": "T", "iat": 1});
        let jwt = sign_es256(&key, &rng, &header, &claims).unwrap();
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        assert_eq!(sig.len(), 64);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, key.public_key().as_ref())
            .verify(input.as_bytes(), &sig)
            .unwrap();
        let (h, c) = input.split_once('.').unwrap();
        let h: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap();
        let c: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(c).unwrap()).unwrap();
        assert_eq!((h, c), (header, claims));
    }
}
