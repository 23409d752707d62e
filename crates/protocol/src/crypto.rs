//! The narrow layer over `ring`: every primitive the protocol uses, behind intent-level names.
//!
//! * Signatures: ECDSA P-256 with SHA-256, fixed 64-byte `r || s` encoding.
//! * Key agreement: X25519 ephemeral keys.
//! * Key derivation: HKDF-SHA256. Hash: SHA-256. MAC: HMAC-SHA256.
//! * AEAD: ChaCha20-Poly1305 (fast without AES instructions, as on many phones).
//!
//! Randomness is always passed in as `&dyn SecureRandom`, so tests can fix it.

use ring::{aead, agreement, digest, hkdf, hmac, rand::SecureRandom, signature};
use zeroize::Zeroizing;

use crate::error::{ProtocolError, Result};

/// Length of an uncompressed SEC1 P-256 public key.
pub const PUBLIC_KEY_LEN: usize = 65;
/// Length of a fixed-size ECDSA P-256 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Length of an X25519 public key.
pub const EPHEMERAL_KEY_LEN: usize = 32;
/// Length of a SHA-256 digest.
pub const HASH_LEN: usize = 32;
/// Length of an AEAD tag.
pub const TAG_LEN: usize = 16;

/// A P-256 public key in uncompressed SEC1 form (`0x04 || x || y`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(pub [u8; PUBLIC_KEY_LEN]);

impl core::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PublicKey({})", crate::hex(&self.0[1..9]))
    }
}

impl PublicKey {
    /// Parses a key, checking its form. The curve check itself happens in `verify`.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; PUBLIC_KEY_LEN] = bytes.try_into().map_err(|_| ProtocolError::BadKey)?;
        if arr[0] != 0x04 {
            return Err(ProtocolError::BadKey);
        }
        Ok(Self(arr))
    }

    /// Verifies `signature` over `message`.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<()> {
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &self.0)
            .verify(message, &signature.0)
            .map_err(|_| ProtocolError::BadSignature)
    }
}

/// A fixed-size ECDSA P-256 signature.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; SIGNATURE_LEN]);

impl core::fmt::Debug for Signature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Signature(..)")
    }
}

/// Anything that can sign with a P-256 key: a software key here, a platform keystore elsewhere
/// (Android Keystore and the Secure Enclave hold P-256 keys and never export them).
pub trait Signer {
    /// The public half.
    fn public_key(&self) -> PublicKey;
    /// Signs `message` (ECDSA P-256, SHA-256).
    fn sign(&self, rng: &dyn SecureRandom, message: &[u8]) -> Result<Signature>;
}

/// A P-256 signing key held in memory (ring keeps the scalar; we keep the PKCS#8 bytes only
/// where the caller asks for them to store encrypted).
pub struct SigningKey {
    pair: signature::EcdsaKeyPair,
}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SigningKey({:?})", self.public_key())
    }
}

impl SigningKey {
    /// Makes a new random key. Returns it with its PKCS#8 encoding, for encrypted storage.
    pub fn generate(rng: &dyn SecureRandom) -> Result<(Self, Zeroizing<Vec<u8>>)> {
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let doc =
            signature::EcdsaKeyPair::generate_pkcs8(alg, rng).map_err(|_| ProtocolError::Random)?;
        let pkcs8 = Zeroizing::new(doc.as_ref().to_vec());
        let key = Self::from_pkcs8(&pkcs8, rng)?;
        Ok((key, pkcs8))
    }

    /// Loads a key from its PKCS#8 encoding.
    pub fn from_pkcs8(pkcs8: &[u8], rng: &dyn SecureRandom) -> Result<Self> {
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pair = signature::EcdsaKeyPair::from_pkcs8(alg, pkcs8, rng)
            .map_err(|_| ProtocolError::BadKey)?;
        Ok(Self { pair })
    }
}

impl Signer for SigningKey {
    fn public_key(&self) -> PublicKey {
        use signature::KeyPair;
        let mut out = [0u8; PUBLIC_KEY_LEN];
        out.copy_from_slice(self.pair.public_key().as_ref());
        PublicKey(out)
    }

    fn sign(&self, rng: &dyn SecureRandom, message: &[u8]) -> Result<Signature> {
        let sig = self
            .pair
            .sign(rng, message)
            .map_err(|_| ProtocolError::Random)?;
        let mut out = [0u8; SIGNATURE_LEN];
        out.copy_from_slice(sig.as_ref());
        Ok(Signature(out))
    }
}

/// Fills `out` with random bytes.
pub fn fill_random(rng: &dyn SecureRandom, out: &mut [u8]) -> Result<()> {
    rng.fill(out).map_err(|_| ProtocolError::Random)
}

/// Random bytes of a fixed size.
pub fn random_array<const N: usize>(rng: &dyn SecureRandom) -> Result<[u8; N]> {
    let mut out = [0u8; N];
    fill_random(rng, &mut out)?;
    Ok(out)
}

/// SHA-256 over the concatenation of `parts`.
pub fn sha256(parts: &[&[u8]]) -> [u8; HASH_LEN] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for part in parts {
        ctx.update(part);
    }
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// HMAC-SHA256 of the concatenation of `parts`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; HASH_LEN] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    for part in parts {
        ctx.update(part);
    }
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// Checks an HMAC-SHA256 tag in constant time.
pub fn hmac_sha256_verify(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> Result<()> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let message: Vec<u8> = parts.concat();
    hmac::verify(&key, &message, tag).map_err(|_| ProtocolError::Decrypt)
}

struct OutLen(usize);

impl hkdf::KeyType for OutLen {
    fn len(&self) -> usize {
        self.0
    }
}

/// An HKDF pseudo-random key (the output of HKDF-Extract).
pub struct Prk(hkdf::Prk);

impl Prk {
    /// HKDF-Extract(salt, ikm).
    pub fn extract(salt: &[u8], ikm: &[u8]) -> Self {
        Self(hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(ikm))
    }

    /// HKDF-Expand with `info` = `label || context`, into a secret of `N` bytes.
    pub fn expand<const N: usize>(&self, label: &[u8], context: &[u8]) -> Zeroizing<[u8; N]> {
        let mut out = Zeroizing::new([0u8; N]);
        let info = [label, context];
        // N is a small constant (at most 32 here); HKDF-SHA256 allows up to 8160 bytes, so the
        // only failure mode of `expand`/`fill` cannot occur.
        if let Ok(okm) = self.0.expand(&info, OutLen(N)) {
            let _ = okm.fill(out.as_mut());
        }
        out
    }
}

/// X25519 ephemeral key agreement: returns our public key and a closure-free handle.
pub struct Ephemeral {
    private: agreement::EphemeralPrivateKey,
    public: [u8; EPHEMERAL_KEY_LEN],
}

impl Ephemeral {
    /// Makes a new ephemeral key pair.
    pub fn generate(rng: &dyn SecureRandom) -> Result<Self> {
        let private = agreement::EphemeralPrivateKey::generate(&agreement::X25519, rng)
            .map_err(|_| ProtocolError::Random)?;
        let public_key = private
            .compute_public_key()
            .map_err(|_| ProtocolError::Random)?;
        let mut public = [0u8; EPHEMERAL_KEY_LEN];
        public.copy_from_slice(public_key.as_ref());
        Ok(Self { private, public })
    }

    /// Our public key.
    pub fn public(&self) -> [u8; EPHEMERAL_KEY_LEN] {
        self.public
    }

    /// Consumes the private key and derives the shared secret with `peer`.
    pub fn agree(self, peer: &[u8; EPHEMERAL_KEY_LEN]) -> Result<Zeroizing<[u8; 32]>> {
        let peer = agreement::UnparsedPublicKey::new(&agreement::X25519, peer);
        agreement::agree_ephemeral(self.private, &peer, |shared| {
            let mut out = Zeroizing::new([0u8; 32]);
            out.copy_from_slice(shared);
            out
        })
        .map_err(|_| ProtocolError::BadKey)
    }
}

/// Encrypts with ChaCha20-Poly1305; the output is `ciphertext || tag`.
pub fn seal(key: &[u8; 32], nonce: [u8; 12], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let key = aead_key(key)?;
    let mut buf = plaintext.to_vec();
    key.seal_in_place_append_tag(
        aead::Nonce::assume_unique_for_key(nonce),
        aead::Aad::from(aad),
        &mut buf,
    )
    .map_err(|_| ProtocolError::Oversized {
        field: "plaintext",
        limit: usize::MAX,
    })?;
    Ok(buf)
}

/// Decrypts and authenticates `ciphertext || tag`.
pub fn open(
    key: &[u8; 32],
    nonce: [u8; 12],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let key = aead_key(key)?;
    let mut buf = Zeroizing::new(sealed.to_vec());
    let len = key
        .open_in_place(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::from(aad),
            &mut buf,
        )
        .map_err(|_| ProtocolError::Decrypt)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

fn aead_key(key: &[u8; 32]) -> Result<aead::LessSafeKey> {
    aead::UnboundKey::new(&aead::CHACHA20_POLY1305, key)
        .map(aead::LessSafeKey::new)
        .map_err(|_| ProtocolError::BadKey)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    #[test]
    fn signatures_verify_and_reject_tampering() {
        let rng = SystemRandom::new();
        let (key, pkcs8) = SigningKey::generate(&rng).unwrap();
        let sig = key.sign(&rng, b"hello").unwrap();
        key.public_key().verify(b"hello", &sig).unwrap();
        assert_eq!(
            key.public_key().verify(b"hellO", &sig),
            Err(ProtocolError::BadSignature)
        );
        let again = SigningKey::from_pkcs8(&pkcs8, &rng).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let (other, _) = SigningKey::generate(&rng).unwrap();
        assert_eq!(
            other.public_key().verify(b"hello", &sig),
            Err(ProtocolError::BadSignature)
        );
    }

    #[test]
    fn aead_round_trip_and_tamper() {
        let key = [7u8; 32];
        let sealed = seal(&key, [1; 12], b"aad", b"secret").unwrap();
        assert_eq!(
            &open(&key, [1; 12], b"aad", &sealed).unwrap()[..],
            b"secret"
        );
        assert_eq!(
            open(&key, [1; 12], b"aaD", &sealed).unwrap_err(),
            ProtocolError::Decrypt
        );
        assert_eq!(
            open(&key, [2; 12], b"aad", &sealed).unwrap_err(),
            ProtocolError::Decrypt
        );
        let mut bad = sealed.clone();
        bad[0] ^= 1;
        assert_eq!(
            open(&key, [1; 12], b"aad", &bad).unwrap_err(),
            ProtocolError::Decrypt
        );
    }

    #[test]
    fn ephemeral_agreement_matches() {
        let rng = SystemRandom::new();
        let a = Ephemeral::generate(&rng).unwrap();
        let b = Ephemeral::generate(&rng).unwrap();
        let (pa, pb) = (a.public(), b.public());
        assert_eq!(*a.agree(&pb).unwrap(), *b.agree(&pa).unwrap());
    }

    #[test]
    fn public_key_form_is_checked() {
        assert_eq!(PublicKey::from_slice(&[4; 64]), Err(ProtocolError::BadKey));
        assert_eq!(PublicKey::from_slice(&[2; 65]), Err(ProtocolError::BadKey));
        let bogus = PublicKey([4; 65]);
        assert_eq!(
            bogus.verify(b"m", &Signature([1; 64])),
            Err(ProtocolError::BadSignature)
        );
    }
}
