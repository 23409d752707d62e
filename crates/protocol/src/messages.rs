//! What travels inside the handshake (server contexts, app requests) and the records after it.
//!
//! Every message starts with a one-byte kind; unknown kinds are refused with code 33.

use crate::codec::{Reader, Writer};
use crate::crypto::HASH_LEN;
use crate::error::{ProtocolError, Result};
use crate::ids::SessionRef;
use crate::qr::EnrolSecret;

/// Largest number of key/value pairs in a [`SessionInfo`].
pub const MAX_INFO_ENTRIES: usize = 32;
/// Largest text value (user agent, info value, user input, message body), in bytes.
pub const MAX_TEXT_LEN: usize = 4096;
/// Largest logo, in bytes.
pub const MAX_INFO_LOGO_LEN: usize = 64 * 1024;

/// Information about a session shown to the person (the REST API's `SessionInfo`): keyed strings
/// from the website, a logo, and the requesting browser's IP address and user agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionInfo {
    /// Keyed strings to show, in the website's order.
    pub info: Vec<(String, String)>,
    /// Logo bytes (PNG), may be empty.
    pub logo: Vec<u8>,
    /// The browser's IP address as the server saw it.
    pub ip: String,
    /// The browser's user agent.
    pub user_agent: String,
}

impl SessionInfo {
    pub(crate) fn encode(&self, w: &mut Writer) -> Result<()> {
        if self.info.len() > MAX_INFO_ENTRIES {
            return Err(ProtocolError::Oversized {
                field: "info",
                limit: MAX_INFO_ENTRIES,
            });
        }
        w.u8(self.info.len() as u8);
        for (key, value) in &self.info {
            w.bytes8(key.as_bytes(), "info.key")?.bytes16(
                value.as_bytes(),
                "info.value",
                MAX_TEXT_LEN,
            )?;
        }
        w.bytes32(&self.logo, "info.logo", MAX_INFO_LOGO_LEN)?;
        w.bytes8(self.ip.as_bytes(), "info.ip")?;
        w.bytes16(self.user_agent.as_bytes(), "info.user_agent", MAX_TEXT_LEN)?;
        Ok(())
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let count = r.u8("info.count")? as usize;
        if count > MAX_INFO_ENTRIES {
            return Err(ProtocolError::Oversized {
                field: "info",
                limit: MAX_INFO_ENTRIES,
            });
        }
        let mut info = Vec::with_capacity(count);
        for _ in 0..count {
            info.push((r.str8("info.key")?, r.str16("info.value", MAX_TEXT_LEN)?));
        }
        Ok(Self {
            info,
            logo: r.bytes32("info.logo", MAX_INFO_LOGO_LEN)?.to_vec(),
            ip: r.str8("info.ip")?,
            user_agent: r.str16("info.user_agent", MAX_TEXT_LEN)?,
        })
    }
}

/// What a transaction asks the person to approve (the REST API's `Transaction`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransactionDetails {
    /// Amount, as the integrator formats it.
    pub amount: String,
    /// Who receives it.
    pub beneficiary: String,
    /// Free text.
    pub description: String,
}

/// How the person proves they see the browser that asks: the browser shows a number, the app
/// asks for it (docs/protocol.md 9.2, "Number matching"). The number chosen is part of the
/// request the account signs, so nobody between the app and the server can change it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NumberChallenge {
    /// No number is asked.
    #[default]
    None,
    /// The person picks the browser's number among these (one of them is right).
    Choose(Vec<String>),
    /// The person types the browser's number, of this many digits.
    Type(u8),
}

/// Most choices a [`NumberChallenge::Choose`] offers.
pub const MAX_NUMBER_CHOICES: usize = 5;
/// Longest number, in digits.
pub const MAX_NUMBER_LEN: u8 = 8;

/// What the server itself observed of the browser that asks (never what the website says):
/// shown apart from the announce information, so a website's text cannot pose as it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// The browser's address as the server saw it (`""`: not seen).
    pub ip: String,
    /// Its user agent in words ("Chrome 131 on Windows"; `""`: not seen).
    pub browser: String,
    /// Coarse location from the server's GeoIP database (`""`: none configured or unknown).
    pub location: String,
    /// When the browser was seen (Unix seconds, 0: not seen).
    pub seen_at: u64,
    /// The browser's network is not the one the app connects from (the relay signal).
    pub network_differs: bool,
}

/// The checks a login or transaction context carries: the number and what was observed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginCheck {
    /// The number challenge.
    pub number: NumberChallenge,
    /// What the server observed of the browser.
    pub observed: Observed,
}

impl LoginCheck {
    fn encode(&self, w: &mut Writer) -> Result<()> {
        match &self.number {
            NumberChallenge::None => {
                w.u8(0);
            }
            NumberChallenge::Choose(choices) => {
                if choices.is_empty() || choices.len() > MAX_NUMBER_CHOICES {
                    return Err(ProtocolError::Oversized {
                        field: "number.choices",
                        limit: MAX_NUMBER_CHOICES,
                    });
                }
                w.u8(1).u8(choices.len() as u8);
                for choice in choices {
                    check_number(choice)?;
                    w.bytes8(choice.as_bytes(), "number.choice")?;
                }
            }
            NumberChallenge::Type(len) => {
                if *len == 0 || *len > MAX_NUMBER_LEN {
                    return Err(ProtocolError::Malformed {
                        field: "number.length",
                        reason: "1 to 8 digits",
                    });
                }
                w.u8(2).u8(*len);
            }
        }
        let o = &self.observed;
        w.bytes8(o.ip.as_bytes(), "observed.ip")?
            .bytes8(o.browser.as_bytes(), "observed.browser")?
            .bytes8(o.location.as_bytes(), "observed.location")?
            .u64(o.seen_at)
            .bool(o.network_differs);
        Ok(())
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let number = match r.u8("number.mode")? {
            0 => NumberChallenge::None,
            1 => {
                let count = usize::from(r.u8("number.count")?);
                if count == 0 || count > MAX_NUMBER_CHOICES {
                    return Err(ProtocolError::Oversized {
                        field: "number.choices",
                        limit: MAX_NUMBER_CHOICES,
                    });
                }
                let choices = (0..count)
                    .map(|_| {
                        let choice = r.str8("number.choice")?;
                        check_number(&choice)?;
                        Ok(choice)
                    })
                    .collect::<Result<Vec<_>>>()?;
                NumberChallenge::Choose(choices)
            }
            2 => {
                let len = r.u8("number.length")?;
                if len == 0 || len > MAX_NUMBER_LEN {
                    return Err(ProtocolError::Malformed {
                        field: "number.length",
                        reason: "1 to 8 digits",
                    });
                }
                NumberChallenge::Type(len)
            }
            other => return Err(ProtocolError::UnknownType(other)),
        };
        Ok(Self {
            number,
            observed: Observed {
                ip: r.str8("observed.ip")?,
                browser: r.str8("observed.browser")?,
                location: r.str8("observed.location")?,
                seen_at: r.u64("observed.seen_at")?,
                network_differs: r.bool("observed.network_differs")?,
            },
        })
    }
}

/// A number of the challenge: 1 to 8 ASCII digits (or empty in a request: none given).
fn check_number(n: &str) -> Result<()> {
    if n.len() > usize::from(MAX_NUMBER_LEN) || !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ProtocolError::Malformed {
            field: "number",
            reason: "up to 8 digits",
        });
    }
    Ok(())
}

/// The server's purpose-specific context inside the ServerHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerContext {
    /// For an enrolment: what the website says about the session that shows the code.
    Enrol {
        /// The website's session information.
        session: SessionInfo,
    },
    /// For a login: what the website announces and the browser that asks.
    Login {
        /// Keyed strings and logo that the website wants shown (`announceinfo`).
        announce: SessionInfo,
        /// The requesting browser (`sessioninfo`).
        session: SessionInfo,
        /// The number to match and what the server observed of the browser.
        check: LoginCheck,
    },
    /// For a transaction: the details to approve.
    Transaction {
        /// What to approve.
        details: TransactionDetails,
        /// The number to match and what the server observed of the browser.
        check: LoginCheck,
    },
    /// For a connection without a session.
    Connect,
}

impl ServerContext {
    /// Encodes the context.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut w = Writer::new();
        match self {
            Self::Enrol { session } => {
                w.u8(1);
                session.encode(&mut w)?;
            }
            Self::Login {
                announce,
                session,
                check,
            } => {
                w.u8(2);
                announce.encode(&mut w)?;
                session.encode(&mut w)?;
                check.encode(&mut w)?;
            }
            Self::Transaction { details: t, check } => {
                w.u8(3);
                w.bytes16(t.amount.as_bytes(), "tx.amount", MAX_TEXT_LEN)?;
                w.bytes16(t.beneficiary.as_bytes(), "tx.beneficiary", MAX_TEXT_LEN)?;
                w.bytes16(t.description.as_bytes(), "tx.description", MAX_TEXT_LEN)?;
                check.encode(&mut w)?;
            }
            Self::Connect => {
                w.u8(4);
            }
        }
        Ok(w.into_bytes())
    }

    /// Decodes a context.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let out = match r.u8("context.kind")? {
            1 => Self::Enrol {
                session: SessionInfo::decode(&mut r)?,
            },
            2 => Self::Login {
                announce: SessionInfo::decode(&mut r)?,
                session: SessionInfo::decode(&mut r)?,
                check: LoginCheck::decode(&mut r)?,
            },
            3 => Self::Transaction {
                details: TransactionDetails {
                    amount: r.str16("tx.amount", MAX_TEXT_LEN)?,
                    beneficiary: r.str16("tx.beneficiary", MAX_TEXT_LEN)?,
                    description: r.str16("tx.description", MAX_TEXT_LEN)?,
                },
                check: LoginCheck::decode(&mut r)?,
            },
            4 => Self::Connect,
            other => return Err(ProtocolError::UnknownType(other)),
        };
        r.finish()?;
        Ok(out)
    }
}

/// The app's purpose-specific request inside the ClientFinish (covered by the account's
/// signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientRequest {
    /// Create an account with the handshake's account key.
    Enrol {
        /// The enrol code's one-time secret.
        secret: EnrolSecret,
        /// A name for this device, shown in the server's account list.
        device_name: String,
        /// The PIN verifier key for this account ([`crate::pin`]), when the app has a PIN.
        pin_verifier: Option<[u8; 32]>,
    },
    /// Log in to the session of the ClientHello.
    Login {
        /// Optional input the person typed for the website.
        user_input: String,
        /// The number the person chose or typed (`""` when none was asked).
        number: String,
    },
    /// Decide on the transaction of the ClientHello.
    Transaction {
        /// Approve (true) or decline (false).
        approve: bool,
        /// The number the person chose or typed (`""` when none was asked).
        number: String,
    },
    /// Open a connection for the account.
    Connect,
    /// "This was not me": the person did not start this login or transaction. Signed by the
    /// account, so nobody else can report for it (and so block its push logins).
    NotMe,
}

impl ClientRequest {
    /// A login with no number asked.
    pub fn login(user_input: impl Into<String>) -> Self {
        Self::Login {
            user_input: user_input.into(),
            number: String::new(),
        }
    }

    /// A transaction decision with no number asked.
    pub fn transaction(approve: bool) -> Self {
        Self::Transaction {
            approve,
            number: String::new(),
        }
    }
}

impl ClientRequest {
    /// Encodes the request.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut w = Writer::new();
        match self {
            Self::Enrol {
                secret,
                device_name,
                pin_verifier,
            } => {
                w.u8(1)
                    .raw(&secret.0)
                    .bytes8(device_name.as_bytes(), "device_name")?;
                match pin_verifier {
                    Some(v) => w.u8(1).raw(v),
                    None => w.u8(0),
                };
            }
            Self::Login { user_input, number } => {
                check_number(number)?;
                w.u8(2)
                    .bytes16(user_input.as_bytes(), "user_input", MAX_TEXT_LEN)?
                    .bytes8(number.as_bytes(), "number")?;
            }
            Self::Transaction { approve, number } => {
                check_number(number)?;
                w.u8(3).bool(*approve).bytes8(number.as_bytes(), "number")?;
            }
            Self::Connect => {
                w.u8(4);
            }
            Self::NotMe => {
                w.u8(5);
            }
        }
        Ok(w.into_bytes())
    }

    /// Decodes a request.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let out = match r.u8("request.kind")? {
            1 => {
                let secret = EnrolSecret(r.array("enrol.secret")?);
                let device_name = r.str8("enrol.device_name")?;
                let pin_verifier = if r.bool("enrol.has_pin")? {
                    Some(r.array("enrol.pin_verifier")?)
                } else {
                    None
                };
                Self::Enrol {
                    secret,
                    device_name,
                    pin_verifier,
                }
            }
            2 => Self::Login {
                user_input: r.str16("user_input", MAX_TEXT_LEN)?,
                number: {
                    let n = r.str8("number")?;
                    check_number(&n)?;
                    n
                },
            },
            3 => Self::Transaction {
                approve: r.bool("approve")?,
                number: {
                    let n = r.str8("number")?;
                    check_number(&n)?;
                    n
                },
            },
            4 => Self::Connect,
            5 => Self::NotMe,
            other => return Err(ProtocolError::UnknownType(other)),
        };
        r.finish()?;
        Ok(out)
    }
}

/// Records from the server to the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerRecord {
    /// The request succeeded; for a login, the session is now logged in.
    Accepted,
    /// The server needs the second factor before it accepts.
    PinRequired {
        /// Wrong PINs left before the PIN is blocked.
        remaining_attempts: u8,
    },
    /// The PIN proof was wrong.
    PinWrong {
        /// Wrong PINs left before the PIN is blocked.
        remaining_attempts: u8,
    },
    /// Too many wrong PINs: the PIN is blocked for this account.
    PinBlocked,
    /// The server refused, with a numeric error code.
    Refused {
        /// Error code (see docs/protocol.md).
        code: u16,
    },
    /// Continuous authentication: answer with [`AppRecord::Pong`] within the server's ping time.
    Ping {
        /// Echoed in the pong.
        counter: u64,
    },
    /// The session was logged out (by the website or the server).
    LoggedOut,
    /// Push envelopes for this app (live delivery or the answer to a pull).
    Messages {
        /// Each one a [`crate::push`] envelope.
        envelopes: Vec<Vec<u8>>,
    },
    /// The integrator unblocked this account's PIN: the app sets a PIN for it again
    /// ([`AppRecord::PinSet`]) before the request goes on.
    PinReset,
    /// The answer to [`AppRecord::QueryOutcome`].
    Outcome {
        /// What happened.
        outcome: Outcome,
    },
    /// The answer to [`AppRecord::PausePush`]: push logins to the account are paused until
    /// then (Unix seconds; 0: not paused).
    PushPaused {
        /// Unix seconds, 0 when resumed.
        until: u64,
    },
    /// The answer to [`AppRecord::TokenRequest`]: the token text ([`crate::app_token`]).
    AppToken {
        /// `nat1.…`
        token: String,
    },
}

/// What became of a login or approval the app answered without hearing back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing this account did: no login, no settled transaction.
    Nothing,
    /// This account logged into the session.
    LoggedIn,
    /// This account approved the transaction.
    Approved,
    /// This account declined the transaction.
    Declined,
}

impl Outcome {
    fn to_byte(self) -> u8 {
        match self {
            Self::Nothing => 0,
            Self::LoggedIn => 1,
            Self::Approved => 2,
            Self::Declined => 3,
        }
    }

    fn from_byte(b: u8) -> Result<Self> {
        Ok(match b {
            0 => Self::Nothing,
            1 => Self::LoggedIn,
            2 => Self::Approved,
            3 => Self::Declined,
            other => return Err(ProtocolError::UnknownType(other)),
        })
    }
}

/// Records from the app to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppRecord {
    /// Proof of the PIN, bound to this session ([`crate::pin::pin_proof`]).
    PinProof {
        /// HMAC tag.
        proof: [u8; HASH_LEN],
    },
    /// Replace the PIN verifier; `proof` is the proof of the current PIN.
    PinChange {
        /// Proof with the current verifier.
        proof: [u8; HASH_LEN],
        /// The verifier of the new PIN.
        new_verifier: [u8; 32],
    },
    /// Answer to a ping.
    Pong {
        /// The ping's counter.
        counter: u64,
    },
    /// The person logged the session out from the app.
    Logout,
    /// Delete this account on the server.
    DeleteAccount,
    /// Send the messages waiting for this app.
    PullMessages,
    /// Acknowledge messages up to and including these ids, so the server drops them.
    Ack {
        /// Message ids.
        message_ids: Vec<[u8; 16]>,
    },
    /// Subscribe to a login session's logout (continuous sessions).
    Watch {
        /// The session.
        session_ref: SessionRef,
    },
    /// Where the server's push service reaches this app (sent after enrolment and whenever the
    /// platform hands the app a new token).
    RegisterPushToken {
        /// The push service.
        platform: PushPlatform,
        /// The platform's device token (FCM registration token, APNs device token in hex).
        token: String,
    },
    /// The verifier of the PIN the person set after a [`ServerRecord::PinReset`].
    PinSet {
        /// The new verifier.
        verifier: [u8; 32],
    },
    /// What became of this account's login (session ref) or approval (transaction ref) that the
    /// app sent without hearing the answer (it stopped, or the connection broke).
    QueryOutcome {
        /// The session or transaction ref.
        reference: [u8; 16],
    },
    /// Pause push logins to this account for `minutes` (the person's lock after a login they
    /// did not start; at most [`MAX_PUSH_PAUSE_MINUTES`]), or resume them (`0`).
    PausePush {
        /// How long; 0 resumes.
        minutes: u16,
    },
    /// CONNECT only: an app token ([`crate::app_token`]) for `audience`, stating that this
    /// account is logged into the AppLogin session `session_ref`. Answered with
    /// [`ServerRecord::AppToken`] or `Refused`.
    TokenRequest {
        /// The AppLogin session.
        session_ref: SessionRef,
        /// Who the token is for (the app's backend), 1 to 255 bytes.
        audience: String,
    },
    /// CONNECT only: deliver the messages of another account of this app on this server over
    /// this connection too (live delivery opens one connection per server). `signature` is the
    /// account key's over this session's binder ([`add_account_message`]).
    AddAccount {
        /// The other account's public key.
        account_key: crate::crypto::PublicKey,
        /// Its signature over [`add_account_message`].
        signature: crate::crypto::Signature,
    },
}

/// What an [`AppRecord::AddAccount`] signs: a label and the session's binder, so the
/// signature proves the key's holder is at this end of this session and cannot be replayed
/// into another one.
pub fn add_account_message(binder: &[u8; 32]) -> Vec<u8> {
    [b"nextauth-rs/1 add account".as_slice(), binder].concat()
}

/// The longest pause of push logins the app can ask for (7 days).
pub const MAX_PUSH_PAUSE_MINUTES: u16 = 7 * 24 * 60;

/// The push services a server can deliver through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushPlatform {
    /// Firebase Cloud Messaging (Android).
    Fcm,
    /// Apple Push Notification service (iOS, macOS).
    Apns,
}

impl PushPlatform {
    /// Wire value.
    pub fn to_byte(self) -> u8 {
        match self {
            Self::Fcm => 1,
            Self::Apns => 2,
        }
    }

    /// Parses the wire value.
    pub fn from_byte(b: u8) -> Result<Self> {
        match b {
            1 => Ok(Self::Fcm),
            2 => Ok(Self::Apns),
            other => Err(ProtocolError::UnknownType(other)),
        }
    }
}

/// The longest push token accepted, in bytes.
pub const MAX_PUSH_TOKEN_LEN: usize = 4096;

const MAX_BATCH: usize = 256;

impl ServerRecord {
    /// Encodes the record's plaintext.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut w = Writer::new();
        match self {
            Self::Accepted => w.u8(1),
            Self::PinRequired { remaining_attempts } => w.u8(2).u8(*remaining_attempts),
            Self::PinWrong { remaining_attempts } => w.u8(3).u8(*remaining_attempts),
            Self::PinBlocked => w.u8(4),
            Self::Refused { code } => w.u8(5).u16(*code),
            Self::Ping { counter } => w.u8(6).u64(*counter),
            Self::LoggedOut => w.u8(7),
            Self::Messages { envelopes } => {
                if envelopes.len() > MAX_BATCH {
                    return Err(ProtocolError::Oversized {
                        field: "envelopes",
                        limit: MAX_BATCH,
                    });
                }
                w.u8(8).u16(envelopes.len() as u16);
                for e in envelopes {
                    w.bytes16(e, "envelope", crate::push::MAX_ENVELOPE_LEN)?;
                }
                &mut w
            }
            Self::PinReset => w.u8(9),
            Self::Outcome { outcome } => w.u8(10).u8(outcome.to_byte()),
            Self::PushPaused { until } => w.u8(11).u64(*until),
            Self::AppToken { token } => w.u8(12).bytes16(token.as_bytes(), "app_token", 2048)?,
        };
        Ok(w.into_bytes())
    }

    /// Decodes a record's plaintext.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let out = match r.u8("record.kind")? {
            1 => Self::Accepted,
            2 => Self::PinRequired {
                remaining_attempts: r.u8("remaining_attempts")?,
            },
            3 => Self::PinWrong {
                remaining_attempts: r.u8("remaining_attempts")?,
            },
            4 => Self::PinBlocked,
            5 => Self::Refused {
                code: r.u16("code")?,
            },
            6 => Self::Ping {
                counter: r.u64("counter")?,
            },
            7 => Self::LoggedOut,
            8 => {
                let count = r.u16("envelopes")? as usize;
                if count > MAX_BATCH {
                    return Err(ProtocolError::Oversized {
                        field: "envelopes",
                        limit: MAX_BATCH,
                    });
                }
                let envelopes = (0..count)
                    .map(|_| {
                        r.bytes16("envelope", crate::push::MAX_ENVELOPE_LEN)
                            .map(<[u8]>::to_vec)
                    })
                    .collect::<Result<_>>()?;
                Self::Messages { envelopes }
            }
            9 => Self::PinReset,
            10 => Self::Outcome {
                outcome: Outcome::from_byte(r.u8("outcome")?)?,
            },
            11 => Self::PushPaused {
                until: r.u64("until")?,
            },
            12 => Self::AppToken {
                token: r.str16("app_token", 2048)?,
            },
            other => return Err(ProtocolError::UnknownType(other)),
        };
        r.finish()?;
        Ok(out)
    }
}

impl AppRecord {
    /// Encodes the record's plaintext.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut w = Writer::new();
        match self {
            Self::PinProof { proof } => w.u8(1).raw(proof),
            Self::PinChange {
                proof,
                new_verifier,
            } => w.u8(2).raw(proof).raw(new_verifier),
            Self::Pong { counter } => w.u8(3).u64(*counter),
            Self::Logout => w.u8(4),
            Self::DeleteAccount => w.u8(5),
            Self::PullMessages => w.u8(6),
            Self::Ack { message_ids } => {
                if message_ids.len() > MAX_BATCH {
                    return Err(ProtocolError::Oversized {
                        field: "message_ids",
                        limit: MAX_BATCH,
                    });
                }
                w.u8(7).u16(message_ids.len() as u16);
                for id in message_ids {
                    w.raw(id);
                }
                &mut w
            }
            Self::Watch { session_ref } => w.u8(8).raw(&session_ref.0),
            Self::RegisterPushToken { platform, token } => w.u8(9).u8(platform.to_byte()).bytes16(
                token.as_bytes(),
                "push_token",
                MAX_PUSH_TOKEN_LEN,
            )?,
            Self::PinSet { verifier } => w.u8(10).raw(verifier),
            Self::QueryOutcome { reference } => w.u8(11).raw(reference),
            Self::PausePush { minutes } => w.u8(12).u16(*minutes),
            Self::AddAccount {
                account_key,
                signature,
            } => w.u8(13).raw(&account_key.0).raw(&signature.0),
            Self::TokenRequest {
                session_ref,
                audience,
            } => w
                .u8(14)
                .raw(&session_ref.0)
                .bytes8(audience.as_bytes(), "audience")?,
        };
        Ok(w.into_bytes())
    }

    /// Decodes a record's plaintext.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let out = match r.u8("record.kind")? {
            1 => Self::PinProof {
                proof: r.array("proof")?,
            },
            2 => Self::PinChange {
                proof: r.array("proof")?,
                new_verifier: r.array("new_verifier")?,
            },
            3 => Self::Pong {
                counter: r.u64("counter")?,
            },
            4 => Self::Logout,
            5 => Self::DeleteAccount,
            6 => Self::PullMessages,
            7 => {
                let count = r.u16("message_ids")? as usize;
                if count > MAX_BATCH {
                    return Err(ProtocolError::Oversized {
                        field: "message_ids",
                        limit: MAX_BATCH,
                    });
                }
                let message_ids = (0..count)
                    .map(|_| r.array("message_id"))
                    .collect::<Result<_>>()?;
                Self::Ack { message_ids }
            }
            8 => Self::Watch {
                session_ref: SessionRef(r.array("session_ref")?),
            },
            9 => Self::RegisterPushToken {
                platform: PushPlatform::from_byte(r.u8("platform")?)?,
                token: r.str16("push_token", MAX_PUSH_TOKEN_LEN)?,
            },
            10 => Self::PinSet {
                verifier: r.array("verifier")?,
            },
            11 => Self::QueryOutcome {
                reference: r.array("reference")?,
            },
            12 => Self::PausePush {
                minutes: r.u16("minutes")?,
            },
            13 => Self::AddAccount {
                account_key: crate::crypto::PublicKey::from_slice(&r.array::<65>("account_key")?)?,
                signature: crate::crypto::Signature(r.array("signature")?),
            },
            14 => Self::TokenRequest {
                session_ref: SessionRef(r.array("session_ref")?),
                audience: r.str8("audience")?,
            },
            other => return Err(ProtocolError::UnknownType(other)),
        };
        r.finish()?;
        Ok(out)
    }
}
