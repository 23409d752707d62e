//! The configuration file, in TOML (read with the `toml` crate): one `key = value` per
//! option, `#` comments; strings in double quotes, numbers bare. Keys are the long flag names
//! without `--`:
//!
//! ```text
//! listen = "0.0.0.0:8080"
//! data-dir = "/var/lib/nextauth"
//! database-url = "postgres://nextauth@db/nextauth"
//! public-url = "https://auth.example.com"
//! apns-topic = "com.example.authenticator"
//! browser-sockets = 4096
//! ```
//!
//! Precedence: command-line flags, then environment variables, then the file, then defaults
//! (args.rs applies the file).

use std::collections::HashMap;

use crate::config::ArgsError;

/// Environment variable naming the configuration file.
pub const ENV_CONFIG: &str = "NEXTAUTH_CONFIG";

/// Parses the file's text into option names (the long flags without `--`) and values.
///
/// # Errors
///
/// [`ArgsError::ConfigFile`] with the line: TOML that does not parse (an unquoted text value
/// among others), an unknown key, or a value that is not a string, number or boolean.
pub fn parse(text: &str) -> Result<HashMap<String, String>, ArgsError> {
    let line_at = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let table: toml::Table = text.parse().map_err(|err: toml::de::Error| {
        let line = err.span().map_or(1, |span| line_at(span.start));
        let message = err.message().trim_end().replace('\n', " ");
        ArgsError::ConfigFile(format!("line {line}: {message}"))
    })?;
    // The line a key is on, for messages (the table does not keep positions).
    let line_of = |key: &str| {
        text.lines()
            .position(|l| {
                l.trim_start()
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
            .map_or(1, |n| n + 1)
    };
    let keys = crate::args::file_keys();
    let mut out = HashMap::new();
    for (key, value) in table {
        let bad = |why: String| ArgsError::ConfigFile(format!("line {}: {why}", line_of(&key)));
        if !keys.contains(&key) {
            return Err(bad(format!("unknown key `{key}`")));
        }
        let value = match value {
            toml::Value::String(text) => text,
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(bad(format!(
                    "`{key}` must be a string or a number, not a {}",
                    other.type_str()
                )))
            }
        };
        out.insert(key, value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_are_reported_with_the_line() {
        assert!(matches!(parse("listen"), Err(ArgsError::ConfigFile(m)) if m.contains("line 1")));
        assert!(
            matches!(parse("\nbogus = 1"), Err(ArgsError::ConfigFile(m)) if m.contains("line 2") && m.contains("bogus"))
        );
        assert!(matches!(
            parse("listen = \"x"),
            Err(ArgsError::ConfigFile(_))
        ));
        assert!(matches!(
            crate::args::parse_without_env(["--config", "/nonexistent/file"]),
            Err(ArgsError::ConfigFile(_))
        ));
        assert!(
            matches!(parse("config = \"x\""), Err(ArgsError::ConfigFile(m)) if m.contains("unknown key"))
        );
        assert_eq!(
            parse("provoke-rate = \"10/min\"")
                .unwrap()
                .get("provoke-rate")
                .map(String::as_str),
            Some("10/min")
        );
        // Numbers may be bare; text must be quoted (TOML), and the message says so. A key
        // given twice is refused (TOML) rather than the last one winning.
        assert_eq!(
            parse("browser-sockets = 64")
                .unwrap()
                .get("browser-sockets")
                .map(String::as_str),
            Some("64")
        );
        assert!(
            matches!(parse("\napns-topic = com.example"), Err(ArgsError::ConfigFile(m)) if m.contains("line 2") && m.contains("quoted")),
            "{:?}",
            parse("\napns-topic = com.example")
        );
        assert!(matches!(
            parse("listen = \"a\"\nlisten = \"b\""),
            Err(ArgsError::ConfigFile(m)) if m.contains("line 2") && m.contains("duplicate")
        ));
        assert!(matches!(
            parse("listen = [1]"),
            Err(ArgsError::ConfigFile(m)) if m.contains("array")
        ));
    }
}
