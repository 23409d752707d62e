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
//! Precedence: command-line flags, then environment variables, then the file, then defaults.

use std::collections::HashMap;

use crate::config::{
    ArgsError, Cli, ENV_DATABASE_URL, ENV_DATA_DIR, ENV_LISTEN, ENV_PUBLIC_URL, LIMIT_OPTIONS,
    LOGIN_CHECK_OPTIONS, PUSH_OPTIONS, RETENTION_OPTIONS,
};

/// Environment variable naming the configuration file.
pub const ENV_CONFIG: &str = "NEXTAUTH_CONFIG";

/// The file keys and the environment variable each stands for.
fn key_to_env(key: &str) -> Option<&'static str> {
    match key {
        "listen" => Some(ENV_LISTEN),
        "data-dir" => Some(ENV_DATA_DIR),
        "database-url" => Some(ENV_DATABASE_URL),
        "public-url" => Some(ENV_PUBLIC_URL),
        other => PUSH_OPTIONS
            .iter()
            .copied()
            .chain(LIMIT_OPTIONS.iter().map(|(flag, env, _)| (*flag, *env)))
            .chain(RETENTION_OPTIONS.iter().map(|(flag, env, _)| (*flag, *env)))
            .chain(
                LOGIN_CHECK_OPTIONS
                    .iter()
                    .map(|(flag, env, _)| (*flag, *env)),
            )
            .find(|(flag, _)| flag.trim_start_matches("--") == other)
            .map(|(_, env)| env),
    }
}

/// Parses the file's text into environment-variable names and values.
///
/// # Errors
///
/// [`ArgsError::ConfigFile`] with the line: TOML that does not parse (an unquoted text value
/// among others), an unknown key, or a value that is not a string, number or boolean.
pub fn parse(text: &str) -> Result<HashMap<&'static str, String>, ArgsError> {
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
    let mut out = HashMap::new();
    for (key, value) in table {
        let bad = |why: String| ArgsError::ConfigFile(format!("line {}: {why}", line_of(&key)));
        let env = key_to_env(&key).ok_or_else(|| bad(format!("unknown key `{key}`")))?;
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
        out.insert(env, value);
    }
    Ok(out)
}

/// Parses the command line with `--config FILE` (or `NEXTAUTH_CONFIG`) taken into account.
pub fn load<I, S, E>(args: I, env: E) -> Result<Cli, ArgsError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
    E: Fn(&str) -> Option<String>,
{
    let mut rest = Vec::new();
    let mut path = None;
    let mut it = args.into_iter().map(Into::into);
    while let Some(arg) = it.next() {
        if let Some(value) = arg.strip_prefix("--config=") {
            path = Some(value.to_owned());
        } else if arg == "--config" {
            path = Some(it.next().ok_or(ArgsError::MissingValue("--config"))?);
        } else {
            rest.push(arg);
        }
    }
    let path = path.or_else(|| env(ENV_CONFIG));
    let file = match path {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ArgsError::ConfigFile(format!("{path}: {e}")))?;
            parse(&text)?
        }
        None => HashMap::new(),
    };
    Cli::parse(rest, |name| env(name).or_else(|| file.get(name).cloned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cli: Result<Cli, ArgsError>) -> crate::ServerConfig {
        match cli {
            Ok(Cli::Run(config)) => config,
            other => panic!("expected Run, got {other:?}"),
        }
    }

    #[test]
    fn file_values_apply_below_env_and_flags() {
        let dir = std::env::temp_dir().join(format!("nextauth-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("server.conf");
        std::fs::write(
            &file,
            "# demo\nlisten = \"127.0.0.1:9100\"\ndata-dir = \"/srv/a\" # comment\npublic-url = \"https://auth.example.com\"\n",
        )
        .unwrap();
        let path = file.to_str().unwrap().to_owned();
        let config = run(load(["--config", path.as_str()], |_| None));
        assert_eq!(config.listen.to_string(), "127.0.0.1:9100");
        assert_eq!(config.data_dir, std::path::PathBuf::from("/srv/a"));
        assert_eq!(config.public_url(), "https://auth.example.com");
        let env = |name: &str| (name == ENV_LISTEN).then(|| "127.0.0.1:9200".to_owned());
        assert_eq!(
            run(load(["--config", path.as_str()], env))
                .listen
                .to_string(),
            "127.0.0.1:9200"
        );
        let flag = run(load(
            ["--config", path.as_str(), "--listen", "127.0.0.1:9300"],
            env,
        ));
        assert_eq!(flag.listen.to_string(), "127.0.0.1:9300");
        let by_env = |name: &str| (name == ENV_CONFIG).then(|| path.clone());
        assert_eq!(
            run(load(Vec::<String>::new(), by_env)).listen.to_string(),
            "127.0.0.1:9100"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

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
            load(["--config", "/nonexistent/file"], |_| None),
            Err(ArgsError::ConfigFile(_))
        ));
        assert_eq!(
            parse("provoke-rate = \"10/min\"")
                .unwrap()
                .get("NEXTAUTH_PROVOKE_RATE")
                .map(String::as_str),
            Some("10/min")
        );
        // Numbers may be bare; text must be quoted (TOML), and the message says so. A key
        // given twice is refused (TOML) rather than the last one winning.
        assert_eq!(
            parse("browser-sockets = 64")
                .unwrap()
                .get("NEXTAUTH_BROWSER_SOCKETS")
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
