//! Time as the engine sees it: handed in by the driver, never read. Two clocks, because they
//! answer different questions: Unix seconds for what is recorded (history, account dates), and
//! the driver's monotonic milliseconds for deadlines (a wall clock that jumps must not end or
//! stretch a wait).

/// How long a flow waits for each side, in milliseconds. The defaults are the reference app's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// For the server's next message (or the driver's next outcome).
    pub server_ms: u64,
    /// For the person to confirm or decline; the server gives up at about the same time.
    pub person_ms: u64,
    /// For the person to enter a PIN (`Config::second_factor_input_timeout`).
    pub second_factor_input_ms: u64,
}

impl Timeouts {
    /// 30 s for the server.
    pub const SERVER_MS: u64 = 30_000;
    /// 300 s for the person.
    pub const PERSON_MS: u64 = 300_000;

    /// How long a continuous session waits for the server's next ping: the server pings at
    /// least every `ping_time` seconds; one missed ping and some latency are allowed for.
    pub fn ping_ms(ping_time: u32) -> u64 {
        (2 * u64::from(ping_time) + 5) * 1000
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            server_ms: Self::SERVER_MS,
            person_ms: Self::PERSON_MS,
            second_factor_input_ms: Self::PERSON_MS,
        }
    }
}

/// A moment, on both clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Time {
    /// Unix seconds (for records).
    pub unix_s: u64,
    /// The driver's monotonic milliseconds (for deadlines).
    pub ms: u64,
}
