//! Server parameters: what the app learns about a virtual server and relies on.
//!
//! The server signs the canonical encoding with its key; an enrol code carries
//! [`params_hash`] of it, and a stored copy pins the key for every later refresh.
//!
//! ```text
//! version u8 (1) | server_id [16] | issued_at u64 | public_key [65] | name str8
//! | logo bytes32 (PNG, <= 64 KiB) | pin_timeout i32 | pin_trans_timeout i32 | ping_time u32
//! | max_pin_attempts u8 | second_factor u8 (0 none, 1 PIN) | unique_display_names bool
//! | flags: count u8, then str8 each, strictly ascending | endpoint str8 | site_url str8
//! | app_url str8
//! SignedServerParams = params bytes32 | signature [64] over "nextauth-rs/1 server params" || params
//! ```

use crate::codec::{Reader, Writer};
use crate::crypto::{sha256, PublicKey, Signature, Signer, HASH_LEN};
use crate::error::{ProtocolError, Result};
use crate::ids::ServerId;

/// Encoding version of the parameters.
pub const PARAMS_VERSION: u8 = 1;
/// The largest logo accepted, in bytes.
pub const MAX_LOGO_LEN: usize = 64 * 1024;
/// The largest encoded parameter block.
pub const MAX_PARAMS_LEN: usize = MAX_LOGO_LEN + 4096;
const SIGN_LABEL: &[u8] = b"nextauth-rs/1 server params";
const HASH_LABEL: &[u8] = b"nextauth-rs/1 server params hash";

/// Whether a server requires a second factor on its accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactorPolicy {
    /// Accounts may be headless (no PIN).
    None,
    /// Every account must have the app's PIN.
    Pin,
}

/// How a server presents itself to the app and what it asks of its accounts: the part of its
/// parameters the integrator sets (the server keeps it as part of its settings, the app
/// receives it signed in [`ServerParams`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerProfile {
    /// Name shown to people.
    pub name: String,
    /// Logo as PNG bytes (may be empty).
    pub logo: Vec<u8>,
    /// Minutes after a PIN entry during which logins do not ask again (-1 never ask, 0 always).
    pub pin_timeout: i32,
    /// The same for transactions.
    pub pin_trans_timeout: i32,
    /// Seconds the app has to answer a ping; 0 means one-shot logins.
    pub ping_time: u32,
    /// Wrong PINs before the server blocks the PIN.
    pub max_pin_attempts: u8,
    /// Second-factor requirement.
    pub second_factor: SecondFactorPolicy,
    /// Whether two accounts of this server in one app may share a display name.
    pub unique_display_names: bool,
    /// Server flags (strictly ascending, unique).
    pub flags: Vec<String>,
}

/// The parameters of one virtual server (the fields of the REST API's `Server` model that
/// matter to the app).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerParams {
    /// Which server.
    pub server_id: ServerId,
    /// When the server issued this version (Unix seconds); a refresh never goes back in time.
    pub issued_at: u64,
    /// The server's P-256 signing key.
    pub public_key: PublicKey,
    /// Its name, logo, PIN and ping rules and flags.
    pub profile: ServerProfile,
    /// The app endpoint (`wss://…/sigmai`).
    pub endpoint: String,
    /// The integrator's website.
    pub site_url: String,
    /// URL prefix that launches the app (deep links), may be empty.
    pub app_url: String,
}

impl ServerParams {
    /// The canonical encoding: one byte string per value, which is what gets signed and hashed.
    pub fn encode(&self) -> Result<Vec<u8>> {
        if self.profile.logo.len() > MAX_LOGO_LEN {
            return Err(ProtocolError::Oversized {
                field: "logo",
                limit: MAX_LOGO_LEN,
            });
        }
        check_flags(&self.profile.flags)?;
        let mut w = Writer::new();
        w.u8(PARAMS_VERSION)
            .raw(&self.server_id.0)
            .u64(self.issued_at)
            .raw(&self.public_key.0);
        w.bytes8(self.profile.name.as_bytes(), "name")?;
        w.bytes32(&self.profile.logo, "logo", MAX_LOGO_LEN)?;
        w.i32(self.profile.pin_timeout)
            .i32(self.profile.pin_trans_timeout)
            .u32(self.profile.ping_time);
        w.u8(self.profile.max_pin_attempts);
        w.u8(match self.profile.second_factor {
            SecondFactorPolicy::None => 0,
            SecondFactorPolicy::Pin => 1,
        });
        w.bool(self.profile.unique_display_names);
        let count =
            u8::try_from(self.profile.flags.len()).map_err(|_| ProtocolError::Oversized {
                field: "flags",
                limit: 255,
            })?;
        w.u8(count);
        for flag in &self.profile.flags {
            w.bytes8(flag.as_bytes(), "flag")?;
        }
        w.bytes8(self.endpoint.as_bytes(), "endpoint")?;
        w.bytes8(self.site_url.as_bytes(), "site_url")?;
        w.bytes8(self.app_url.as_bytes(), "app_url")?;
        Ok(w.into_bytes())
    }

    /// Decodes the canonical encoding, refusing any non-canonical form.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_PARAMS_LEN {
            return Err(ProtocolError::Oversized {
                field: "params",
                limit: MAX_PARAMS_LEN,
            });
        }
        let mut r = Reader::new(bytes);
        let version = r.u8("params.version")?;
        if version != PARAMS_VERSION {
            return Err(ProtocolError::UnsupportedVersion(version));
        }
        let server_id = ServerId(r.array("params.server_id")?);
        let issued_at = r.u64("params.issued_at")?;
        let public_key = PublicKey::from_slice(r.take(65, "params.public_key")?)?;
        let name = r.str8("params.name")?;
        let logo = r.bytes32("params.logo", MAX_LOGO_LEN)?.to_vec();
        let pin_timeout = r.i32("params.pin_timeout")?;
        let pin_trans_timeout = r.i32("params.pin_trans_timeout")?;
        let ping_time = r.u32("params.ping_time")?;
        let max_pin_attempts = r.u8("params.max_pin_attempts")?;
        let second_factor = match r.u8("params.second_factor")? {
            0 => SecondFactorPolicy::None,
            1 => SecondFactorPolicy::Pin,
            _ => {
                return Err(ProtocolError::Malformed {
                    field: "params.second_factor",
                    reason: "unknown policy",
                })
            }
        };
        let unique_display_names = r.bool("params.unique_display_names")?;
        let count = r.u8("params.flags")?;
        let flags = (0..count)
            .map(|_| r.str8("params.flag"))
            .collect::<Result<Vec<_>>>()?;
        check_flags(&flags)?;
        let endpoint = r.str8("params.endpoint")?;
        let site_url = r.str8("params.site_url")?;
        let app_url = r.str8("params.app_url")?;
        r.finish()?;
        for (field, value) in [
            ("params.pin_timeout", pin_timeout),
            ("params.pin_trans_timeout", pin_trans_timeout),
        ] {
            if value < -1 {
                return Err(ProtocolError::Malformed {
                    field,
                    reason: "must be -1 or more",
                });
            }
        }
        Ok(Self {
            server_id,
            issued_at,
            public_key,
            profile: ServerProfile {
                name,
                logo,
                pin_timeout,
                pin_trans_timeout,
                ping_time,
                max_pin_attempts,
                second_factor,
                unique_display_names,
                flags,
            },
            endpoint,
            site_url,
            app_url,
        })
    }

    /// The hash an enrol code carries for these parameters: the same as
    /// [`SignedServerParams::hash`] of them once signed (the signature is not hashed), so no
    /// key is needed to compute it.
    pub fn hash(&self) -> Result<[u8; HASH_LEN]> {
        Ok(params_hash(&self.encode()?))
    }

    /// Encodes and signs the parameters with the server key (which must match `public_key`).
    pub fn sign(
        &self,
        key: &dyn Signer,
        rng: &dyn ring::rand::SecureRandom,
    ) -> Result<SignedServerParams> {
        if key.public_key() != self.public_key {
            return Err(ProtocolError::ServerMismatch);
        }
        let bytes = self.encode()?;
        let signature = key.sign(rng, &[SIGN_LABEL, &bytes].concat())?;
        Ok(SignedServerParams { bytes, signature })
    }
}

/// `SHA-256("nextauth-rs/1 server params hash" || params)`: what an enrol code carries.
pub fn params_hash(encoded_params: &[u8]) -> [u8; HASH_LEN] {
    sha256(&[HASH_LABEL, encoded_params])
}

fn check_flags(flags: &[String]) -> Result<()> {
    if flags.windows(2).any(|w| w[0] >= w[1]) {
        return Err(ProtocolError::Malformed {
            field: "params.flags",
            reason: "must be strictly ascending",
        });
    }
    Ok(())
}

/// Encoded parameters with the server's signature over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedServerParams {
    /// The canonical encoding of [`ServerParams`].
    pub bytes: Vec<u8>,
    /// The server's signature.
    pub signature: Signature,
}

/// How the app decides whether to trust parameters it receives.
#[derive(Debug, Clone, Copy)]
pub enum ParamsTrust<'a> {
    /// First contact through an enrol code: the hash must match.
    EnrolHash(&'a [u8; HASH_LEN]),
    /// A server the app knows: the key must be the stored (or pinned) one, or one that key
    /// endorsed ([`KeyRotation`]), and the parameters may not be older than the stored ones.
    KnownKey {
        /// The key on record.
        key: &'a PublicKey,
        /// `issued_at` of the stored parameters.
        not_before: u64,
    },
    /// An enrol code for a server the app already knows: both rules (the hash of the code,
    /// and the key on record), so a code cannot replace the key the app trusts.
    EnrolKnown {
        /// The hash in the enrol code.
        hash: &'a [u8; HASH_LEN],
        /// The key on record.
        key: &'a PublicKey,
        /// `issued_at` of the stored parameters.
        not_before: u64,
    },
}

/// The most rotations a server sends with its parameters.
pub const MAX_ROTATIONS: usize = 8;
const ROTATION_LABEL: &[u8] = b"nextauth-rs/1 key rotation";

/// One step of a server key's rotation: the old key's signature over the new one. A server
/// sends its chain (oldest first) with its parameters in every handshake; an app that trusts
/// any key of the chain moves on to the newest, and no other key can take over.
///
/// ```text
/// KeyRotation = old key [65] | new key [65] | at u64 | signature [64]
/// signature   = ECDSA-P256(old key, "nextauth-rs/1 key rotation" | server id [16] | old key | new key | at)
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRotation {
    /// The key that endorses.
    pub old_key: PublicKey,
    /// The key it hands over to.
    pub new_key: PublicKey,
    /// When (Unix seconds).
    pub at: u64,
    /// The old key's signature.
    pub signature: Signature,
}

/// The wire size of one [`KeyRotation`].
pub const ROTATION_LEN: usize = 65 + 65 + 8 + 64;

impl KeyRotation {
    fn signed_bytes(server_id: &ServerId, old: &PublicKey, new: &PublicKey, at: u64) -> Vec<u8> {
        [
            ROTATION_LABEL,
            &server_id.0,
            &old.0,
            &new.0,
            &at.to_be_bytes(),
        ]
        .concat()
    }

    /// `old` endorses `new_key` as the server's key from `at` on.
    pub fn sign(
        server_id: &ServerId,
        old: &dyn Signer,
        new_key: PublicKey,
        at: u64,
        rng: &dyn ring::rand::SecureRandom,
    ) -> Result<Self> {
        let old_key = old.public_key();
        let signature = old.sign(rng, &Self::signed_bytes(server_id, &old_key, &new_key, at))?;
        Ok(Self {
            old_key,
            new_key,
            at,
            signature,
        })
    }

    /// Checks the old key's signature.
    pub fn verify(&self, server_id: &ServerId) -> Result<()> {
        self.old_key.verify(
            &Self::signed_bytes(server_id, &self.old_key, &self.new_key, self.at),
            &self.signature,
        )
    }

    /// Writes `count u8 | rotations`.
    pub fn encode_list(list: &[Self], w: &mut Writer) -> Result<()> {
        if list.len() > MAX_ROTATIONS {
            return Err(ProtocolError::Oversized {
                field: "rotations",
                limit: MAX_ROTATIONS,
            });
        }
        w.u8(list.len() as u8);
        for r in list {
            w.raw(&r.old_key.0)
                .raw(&r.new_key.0)
                .u64(r.at)
                .raw(&r.signature.0);
        }
        Ok(())
    }

    /// Reads `count u8 | rotations`.
    pub fn decode_list(r: &mut Reader<'_>) -> Result<Vec<Self>> {
        let count = usize::from(r.u8("rotations")?);
        if count > MAX_ROTATIONS {
            return Err(ProtocolError::Oversized {
                field: "rotations",
                limit: MAX_ROTATIONS,
            });
        }
        (0..count)
            .map(|_| {
                Ok(Self {
                    old_key: PublicKey::from_slice(r.take(65, "rotation.old_key")?)?,
                    new_key: PublicKey::from_slice(r.take(65, "rotation.new_key")?)?,
                    at: r.u64("rotation.at")?,
                    signature: Signature(r.array("rotation.signature")?),
                })
            })
            .collect()
    }

    /// The list as stored bytes (`count u8 | rotations`).
    pub fn list_to_bytes(list: &[Self]) -> Result<Vec<u8>> {
        let mut w = Writer::new();
        Self::encode_list(list, &mut w)?;
        Ok(w.into_bytes())
    }

    /// Parses stored bytes; empty bytes are an empty list.
    pub fn list_from_bytes(bytes: &[u8]) -> Result<Vec<Self>> {
        if bytes.is_empty() {
            return Ok(Vec::new());
        }
        let mut r = Reader::new(bytes);
        let list = Self::decode_list(&mut r)?;
        r.finish()?;
        Ok(list)
    }
}

/// Whether `rotations` lead from `trusted` to `current`, each step signed by the key before it.
pub fn endorsed(
    server_id: &ServerId,
    trusted: &PublicKey,
    current: &PublicKey,
    rotations: &[KeyRotation],
) -> bool {
    let Some(start) = rotations.iter().position(|r| &r.old_key == trusted) else {
        return false;
    };
    let mut key = *trusted;
    for step in &rotations[start..] {
        if step.old_key != key || step.verify(server_id).is_err() {
            return false;
        }
        key = step.new_key;
        if &key == current {
            return true;
        }
    }
    false
}

impl SignedServerParams {
    /// Writes `params bytes32 | signature`.
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        w.bytes32(&self.bytes, "params", MAX_PARAMS_LEN)?
            .raw(&self.signature.0);
        Ok(())
    }

    /// Reads `params bytes32 | signature`.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let bytes = r.bytes32("params", MAX_PARAMS_LEN)?.to_vec();
        let signature = Signature(r.array("params.signature")?);
        Ok(Self { bytes, signature })
    }

    /// The hash an enrol code carries for these parameters.
    pub fn hash(&self) -> [u8; HASH_LEN] {
        params_hash(&self.bytes)
    }

    /// Decodes, checks the self-signature and applies `trust`; returns the parameters.
    pub fn verify(
        &self,
        expected_server: &ServerId,
        trust: ParamsTrust<'_>,
    ) -> Result<ServerParams> {
        self.verify_rotated(expected_server, trust, &[])
    }

    /// [`SignedServerParams::verify`] where a known key may have handed over to the key in
    /// the parameters through `rotations`.
    pub fn verify_rotated(
        &self,
        expected_server: &ServerId,
        trust: ParamsTrust<'_>,
        rotations: &[KeyRotation],
    ) -> Result<ServerParams> {
        let params = ServerParams::decode(&self.bytes)?;
        if &params.server_id != expected_server {
            return Err(ProtocolError::ServerMismatch);
        }
        let known = |key: &PublicKey, not_before: u64| {
            if &params.public_key != key
                && !endorsed(expected_server, key, &params.public_key, rotations)
            {
                return Err(ProtocolError::ServerMismatch);
            }
            if params.issued_at < not_before {
                return Err(ProtocolError::Malformed {
                    field: "params.issued_at",
                    reason: "older than stored parameters",
                });
            }
            Ok(())
        };
        let hash = |expected: &[u8; HASH_LEN]| {
            if ring_eq(&self.hash(), expected) {
                Ok(())
            } else {
                Err(ProtocolError::ParamsHashMismatch)
            }
        };
        match trust {
            ParamsTrust::EnrolHash(expected) => hash(expected)?,
            ParamsTrust::KnownKey { key, not_before } => known(key, not_before)?,
            ParamsTrust::EnrolKnown {
                hash: expected,
                key,
                not_before,
            } => {
                known(key, not_before)?;
                hash(expected)?;
            }
        }
        params
            .public_key
            .verify(&[SIGN_LABEL, &self.bytes].concat(), &self.signature)?;
        Ok(params)
    }
}

impl SignedServerParams {
    /// Decodes and checks only what needs no trusted key: the server id is `expected_server`
    /// and the parameters are signed by the key inside them. Anyone can make such parameters,
    /// so they prove nothing about who the server is: this is for a server the app has no key
    /// for and that it only tells "no account here" (never to store or show them).
    pub(crate) fn verify_self_signed(&self, expected_server: &ServerId) -> Result<ServerParams> {
        let params = ServerParams::decode(&self.bytes)?;
        if &params.server_id != expected_server {
            return Err(ProtocolError::ServerMismatch);
        }
        params
            .public_key
            .verify(&[SIGN_LABEL, &self.bytes].concat(), &self.signature)?;
        Ok(params)
    }
}

fn ring_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
