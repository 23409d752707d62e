//! Command-line and environment configuration of the server.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Default listen address when neither `--listen` nor `NEXTAUTH_LISTEN` is given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default data directory when neither `--data-dir` nor `NEXTAUTH_DATA_DIR` is given.
pub const DEFAULT_DATA_DIR: &str = "./data";

/// Environment variable overriding the listen address.
pub const ENV_LISTEN: &str = "NEXTAUTH_LISTEN";
/// Environment variable overriding the data directory.
pub const ENV_DATA_DIR: &str = "NEXTAUTH_DATA_DIR";

/// Usage text printed for `--help`.
pub const USAGE: &str = "\
Usage: nextauth-server [OPTIONS]

Reference server of nextauth-rs; serves the Acme demo site.

Options:
  --listen <ADDR>      IP:port to listen on [env: NEXTAUTH_LISTEN] [default: 127.0.0.1:8080]
  --data-dir <PATH>    directory for server state [env: NEXTAUTH_DATA_DIR] [default: ./data]
  -h, --help           print this help
  -V, --version        print the version

Log verbosity follows RUST_LOG (default: info).
";

/// Runtime configuration of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Address the server listens on.
    pub listen: SocketAddr,
    /// Directory where the server keeps its state; created on start if missing.
    pub data_dir: PathBuf,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN
                .parse()
                .expect("default listen address is valid"),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
        }
    }
}

/// What the command line asks the binary to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cli {
    /// Run the server with this configuration.
    Run(ServerConfig),
    /// Print [`USAGE`] and exit.
    Help,
    /// Print the version and exit.
    Version,
}

/// A command line or environment value that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgsError {
    /// An option that the server does not know.
    #[error("unknown argument `{0}` (try --help)")]
    Unknown(String),
    /// An option given without its value.
    #[error("`{0}` needs a value")]
    MissingValue(&'static str),
    /// A listen address that is not `IP:port`.
    #[error("invalid listen address `{value}` from {source_name}: expected IP:port, e.g. 127.0.0.1:8080")]
    InvalidListen {
        /// The rejected text.
        value: String,
        /// Where it came from (`--listen` or the environment variable).
        source_name: &'static str,
    },
    /// An empty data directory.
    #[error("the data directory must not be empty")]
    EmptyDataDir,
}

impl Cli {
    /// Parses the arguments (without the program name) with `env` as the lookup for
    /// environment variables. Flags win over environment variables, which win over defaults.
    ///
    /// # Errors
    ///
    /// Returns an [`ArgsError`] for unknown options, missing values, a listen address that
    /// is not `IP:port` or an empty data directory.
    pub fn parse<I, S, E>(args: I, env: E) -> Result<Self, ArgsError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
        E: Fn(&str) -> Option<String>,
    {
        let mut listen: Option<(String, &'static str)> = None;
        let mut data_dir: Option<String> = None;

        let mut args = args.into_iter().map(Into::into);
        while let Some(arg) = args.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => {
                    (name.to_owned(), Some(value.to_owned()))
                }
                _ => (arg.clone(), None),
            };
            match name.as_str() {
                "-h" | "--help" => return Ok(Self::Help),
                "-V" | "--version" => return Ok(Self::Version),
                "--listen" => {
                    let value = inline
                        .or_else(|| args.next())
                        .ok_or(ArgsError::MissingValue("--listen"))?;
                    listen = Some((value, "--listen"));
                }
                "--data-dir" => {
                    let value = inline
                        .or_else(|| args.next())
                        .ok_or(ArgsError::MissingValue("--data-dir"))?;
                    data_dir = Some(value);
                }
                _ => return Err(ArgsError::Unknown(arg)),
            }
        }

        let (listen, source_name) = listen
            .or_else(|| env(ENV_LISTEN).map(|v| (v, ENV_LISTEN)))
            .unwrap_or_else(|| (DEFAULT_LISTEN.to_owned(), "the default"));
        let listen = listen
            .trim()
            .parse()
            .map_err(|_| ArgsError::InvalidListen {
                value: listen.clone(),
                source_name,
            })?;

        let data_dir = data_dir
            .or_else(|| env(ENV_DATA_DIR))
            .unwrap_or_else(|| DEFAULT_DATA_DIR.to_owned());
        if data_dir.is_empty() {
            return Err(ArgsError::EmptyDataDir);
        }

        Ok(Self::Run(ServerConfig {
            listen,
            data_dir: PathBuf::from(data_dir),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn run(cli: Result<Cli, ArgsError>) -> ServerConfig {
        match cli {
            Ok(Cli::Run(config)) => config,
            other => panic!("expected Run, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let config = run(Cli::parse(Vec::<String>::new(), no_env));
        assert_eq!(config, ServerConfig::default());
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.data_dir, PathBuf::from("./data"));
    }

    #[test]
    fn flags_in_both_spellings() {
        let config = run(Cli::parse(
            ["--listen", "0.0.0.0:9000", "--data-dir=/tmp/x"],
            no_env,
        ));
        assert_eq!(config.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(config.data_dir, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn env_is_used_and_flags_win() {
        let env = |name: &str| match name {
            ENV_LISTEN => Some("127.0.0.1:7000".to_owned()),
            ENV_DATA_DIR => Some("/srv/nextauth".to_owned()),
            _ => None,
        };
        let config = run(Cli::parse(Vec::<String>::new(), env));
        assert_eq!(config.listen.to_string(), "127.0.0.1:7000");
        assert_eq!(config.data_dir, PathBuf::from("/srv/nextauth"));

        let config = run(Cli::parse(["--listen", "[::1]:7001"], env));
        assert_eq!(config.listen.to_string(), "[::1]:7001");
        assert_eq!(config.data_dir, PathBuf::from("/srv/nextauth"));
    }

    #[test]
    fn help_and_version() {
        assert_eq!(Cli::parse(["--help"], no_env), Ok(Cli::Help));
        assert_eq!(Cli::parse(["-V"], no_env), Ok(Cli::Version));
    }

    #[test]
    fn errors() {
        assert_eq!(
            Cli::parse(["--bogus"], no_env),
            Err(ArgsError::Unknown("--bogus".into()))
        );
        assert_eq!(
            Cli::parse(["--listen"], no_env),
            Err(ArgsError::MissingValue("--listen"))
        );
        assert_eq!(
            Cli::parse(["--data-dir="], no_env),
            Err(ArgsError::EmptyDataDir)
        );
        assert!(matches!(
            Cli::parse(["--listen", "localhost"], no_env),
            Err(ArgsError::InvalidListen {
                source_name: "--listen",
                ..
            })
        ));
        let bad_env = |name: &str| (name == ENV_LISTEN).then(|| "nope".to_owned());
        let err = Cli::parse(Vec::<String>::new(), bad_env).unwrap_err();
        assert!(err.to_string().contains("NEXTAUTH_LISTEN"), "{err}");
    }
}
