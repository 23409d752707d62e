//! How long what is finished stays in the database, and how often the sweep runs.

use std::time::Duration;

use crate::config::ArgsError;

/// The retention options: flag, environment variable, default, in
/// [`RetentionConfig::from_values`] order.
pub(crate) const RETENTION_OPTIONS: [(&str, &str, &str); 6] = [
    ("--sweep-interval", "NEXTAUTH_SWEEP_INTERVAL", "5m"),
    (
        "--idle-session-retention",
        "NEXTAUTH_IDLE_SESSION_RETENTION",
        "1d",
    ),
    ("--session-retention", "NEXTAUTH_SESSION_RETENTION", "30d"),
    (
        "--enrol-code-retention",
        "NEXTAUTH_ENROL_CODE_RETENTION",
        "1h",
    ),
    (
        "--transaction-retention",
        "NEXTAUTH_TRANSACTION_RETENTION",
        "30d",
    ),
    ("--message-retention", "NEXTAUTH_MESSAGE_RETENTION", "1h"),
];

/// What the sweep deletes, and when (`None`: never).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionConfig {
    /// Time between two sweeps.
    pub sweep_interval: Duration,
    /// Sessions no account ever logged into (a QR code shown, a hello with a made-up
    /// reference), this long after their last change.
    pub idle_sessions: Option<Duration>,
    /// Sessions an account logged into, this long after their last change; a logged-in
    /// session of a server with continuous sessions (ping time > 0) is live and never swept.
    pub sessions: Option<Duration>,
    /// Enrol codes, this long after they expire (used or not).
    pub enrol_codes: Option<Duration>,
    /// Transactions, this long after they expire (settled or not).
    pub transactions: Option<Duration>,
    /// Push messages, this long after they expire; acknowledged ones at the next sweep.
    pub messages: Option<Duration>,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self::from_values(Default::default()).expect("the defaults parse")
    }
}

impl RetentionConfig {
    /// Builds the configuration from option values in [`RETENTION_OPTIONS`] order (`None`: the
    /// default).
    pub(crate) fn from_values(values: [Option<String>; 6]) -> Result<Self, ArgsError> {
        let mut i = 0;
        let [interval, idle, sessions, codes, transactions, messages] = values.map(|value| {
            let (flag, _, default) = RETENTION_OPTIONS[i];
            i += 1;
            (flag, value.unwrap_or_else(|| default.to_owned()))
        });
        let sweep_interval = parse_duration(&interval.1)
            .filter(|d| !d.is_zero())
            .ok_or_else(|| ArgsError::InvalidValue {
                option: interval.0,
                value: interval.1.clone(),
                expected: "a duration above zero: 30s, 5m, 1h, 1d",
            })?;
        Ok(Self {
            sweep_interval,
            idle_sessions: retention(idle)?,
            sessions: retention(sessions)?,
            enrol_codes: retention(codes)?,
            transactions: retention(transactions)?,
            messages: retention(messages)?,
        })
    }
}

fn retention((option, text): (&'static str, String)) -> Result<Option<Duration>, ArgsError> {
    if text.trim() == "never" {
        return Ok(None);
    }
    parse_duration(&text)
        .map(Some)
        .ok_or_else(|| ArgsError::InvalidValue {
            option,
            value: text.clone(),
            expected: "a duration (30s, 5m, 1h, 1d) or never",
        })
}

/// `90`, `90s`, `5m`, `2h`, `30d`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let unit_secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    number.checked_mul(unit_secs).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(
            parse_duration(" 30d "),
            Some(Duration::from_secs(2_592_000))
        );
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
        for bad in ["", "m", "5 m", "1w", "-1", "99999999999999999999d"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn defaults_never_and_errors() {
        let config = RetentionConfig::default();
        assert_eq!(config.sweep_interval, Duration::from_secs(300));
        assert_eq!(config.idle_sessions, Some(Duration::from_secs(86_400)));
        assert_eq!(config.messages, Some(Duration::from_secs(3600)));
        let mut values: [Option<String>; 6] = Default::default();
        values[2] = Some("never".into());
        values[5] = Some("0".into());
        let config = RetentionConfig::from_values(values).unwrap();
        assert_eq!(config.sessions, None);
        assert_eq!(config.messages, Some(Duration::ZERO));
        let mut values: [Option<String>; 6] = Default::default();
        values[0] = Some("0s".into());
        let err = RetentionConfig::from_values(values).unwrap_err();
        assert!(err.to_string().contains("--sweep-interval"), "{err}");
        let mut values: [Option<String>; 6] = Default::default();
        values[3] = Some("soon".into());
        let err = RetentionConfig::from_values(values).unwrap_err();
        assert!(err.to_string().contains("--enrol-code-retention"), "{err}");
    }
}
