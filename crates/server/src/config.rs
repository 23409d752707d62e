//! Command-line and environment configuration of the server.

use std::net::SocketAddr;
use std::path::PathBuf;

pub(crate) use crate::limits::options::LIMIT_OPTIONS;
pub use crate::limits::options::{LimitsConfig, Rate};
pub(crate) use crate::login_checks::options::LOGIN_CHECK_OPTIONS;
pub use crate::login_checks::LoginCheckConfig;
pub use crate::sweep::options::RetentionConfig;
pub(crate) use crate::sweep::options::RETENTION_OPTIONS;

/// Default listen address when neither `--listen` nor `NEXTAUTH_LISTEN` is given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default data directory when neither `--data-dir` nor `NEXTAUTH_DATA_DIR` is given.
pub const DEFAULT_DATA_DIR: &str = "./data";

/// Environment variable overriding the listen address.
pub const ENV_LISTEN: &str = "NEXTAUTH_LISTEN";
/// Environment variable overriding the data directory.
pub const ENV_DATA_DIR: &str = "NEXTAUTH_DATA_DIR";
/// Environment variable naming the database (`sqlite://…` or `postgres://…`).
pub const ENV_DATABASE_URL: &str = "NEXTAUTH_DATABASE_URL";
/// Environment variable giving the URL browsers and apps reach the server at.
pub const ENV_PUBLIC_URL: &str = "NEXTAUTH_PUBLIC_URL";
/// Environment variable naming the Firebase service-account JSON file (FCM sender).
pub const ENV_FCM_CREDENTIALS: &str = "NEXTAUTH_FCM_CREDENTIALS";
/// Environment variable overriding the FCM endpoint (default `https://fcm.googleapis.com`).
pub const ENV_FCM_ENDPOINT: &str = "NEXTAUTH_FCM_ENDPOINT";
/// Environment variable naming the APNs signing key file (`AuthKey_XXXXXXXXXX.p8`).
pub const ENV_APNS_KEY: &str = "NEXTAUTH_APNS_KEY";
/// Environment variable giving the APNs key id (the 10 characters of the key's name).
pub const ENV_APNS_KEY_ID: &str = "NEXTAUTH_APNS_KEY_ID";
/// Environment variable giving the Apple developer team id.
pub const ENV_APNS_TEAM_ID: &str = "NEXTAUTH_APNS_TEAM_ID";
/// Environment variable giving the APNs topic (the app's bundle id).
pub const ENV_APNS_TOPIC: &str = "NEXTAUTH_APNS_TOPIC";
/// Environment variable overriding the APNs endpoint (default `https://api.push.apple.com`).
pub const ENV_APNS_ENDPOINT: &str = "NEXTAUTH_APNS_ENDPOINT";

/// The push-sender options: flag, environment variable, in [`PushConfig`] field order.
pub(crate) const PUSH_OPTIONS: [(&str, &str); 7] = [
    ("--fcm-credentials", ENV_FCM_CREDENTIALS),
    ("--fcm-endpoint", ENV_FCM_ENDPOINT),
    ("--apns-key", ENV_APNS_KEY),
    ("--apns-key-id", ENV_APNS_KEY_ID),
    ("--apns-team-id", ENV_APNS_TEAM_ID),
    ("--apns-topic", ENV_APNS_TOPIC),
    ("--apns-endpoint", ENV_APNS_ENDPOINT),
];

/// Usage text printed for `--help`.
pub const USAGE: &str = "\
Usage: nextauth-server [OPTIONS]

Reference server of nextauth-rs; serves the Acme demo site.

Options:
  --config <FILE>      read options from FILE (TOML `key = value` lines, keys are the long
                       option names without --; flags and env win over it) [env: NEXTAUTH_CONFIG]
  --listen <ADDR>      IP:port to listen on [env: NEXTAUTH_LISTEN] [default: 127.0.0.1:8080]
  --data-dir <PATH>    directory for server state [env: NEXTAUTH_DATA_DIR] [default: ./data]
  --database-url <URL> sqlite://FILE or postgres://USER@HOST/DB [env: NEXTAUTH_DATABASE_URL]
                       [default: sqlite://<data-dir>/server.db]
  --public-url <URL>   URL browsers and apps use to reach this server, e.g.
                       https://auth.example.com [env: NEXTAUTH_PUBLIC_URL]
                       [default: http://<listen>]

Push senders (optional; without them messages reach apps over their live connection and pull):
  --fcm-credentials <FILE>  Firebase service-account JSON [env: NEXTAUTH_FCM_CREDENTIALS]
  --fcm-endpoint <URL>      [env: NEXTAUTH_FCM_ENDPOINT] [default: https://fcm.googleapis.com]
  --apns-key <FILE>         APNs signing key (.p8) [env: NEXTAUTH_APNS_KEY]
  --apns-key-id <ID>        its key id [env: NEXTAUTH_APNS_KEY_ID]
  --apns-team-id <ID>       Apple team id [env: NEXTAUTH_APNS_TEAM_ID]
  --apns-topic <BUNDLE>     the app's bundle id [env: NEXTAUTH_APNS_TOPIC]
  --apns-endpoint <URL>     [env: NEXTAUTH_APNS_ENDPOINT] [default: https://api.push.apple.com;
                            development builds: https://api.sandbox.push.apple.com]

Limits per client address (the socket's peer, or from X-Forwarded-For when the peer is a
trusted proxy; IPv6 per /64). A refused request gets 429 with Retry-After. `off` lifts a limit:
  --trusted-proxies <LIST>        proxies whose X-Forwarded-For is believed: addresses or
                                  networks, comma-separated (10.0.0.0/8,::1)
                                  [env: NEXTAUTH_TRUSTED_PROXIES] [default: none]
  --app-connections-per-ip <N>    open app connections (/sigmai)
                                  [env: NEXTAUTH_APP_CONNECTIONS_PER_IP] [default: 64]
  --app-connect-rate <RATE>       new app connections, RATE as N/s, N/min or N/h
                                  [env: NEXTAUTH_APP_CONNECT_RATE] [default: 120/min]
  --browser-sockets-per-ip <N>    open browser sockets (/ws)
                                  [env: NEXTAUTH_BROWSER_SOCKETS_PER_IP] [default: 64]
  --browser-sockets <N>           open browser sockets of all clients together
                                  [env: NEXTAUTH_BROWSER_SOCKETS] [default: 4096]
  --browser-connect-rate <RATE>   new browser sockets
                                  [env: NEXTAUTH_BROWSER_CONNECT_RATE] [default: 120/min]
  --page-rate <RATE>              demo site pages [env: NEXTAUTH_PAGE_RATE] [default: 300/min]
  --provoke-rate <RATE>           REST push logins (provokelogin)
                                  [env: NEXTAUTH_PROVOKE_RATE] [default: 60/min]

Retention: a background sweep deletes what is finished (DURATION as 90s, 5m, 2h, 30d; `never`):
  --sweep-interval <DURATION>          [env: NEXTAUTH_SWEEP_INTERVAL] [default: 5m]
  --idle-session-retention <DURATION>  sessions no account logged into, after their last
                                       change [env: NEXTAUTH_IDLE_SESSION_RETENTION] [default: 1d]
  --session-retention <DURATION>       other sessions, after their last change; logged-in
                                       continuous sessions are kept while logged in
                                       [env: NEXTAUTH_SESSION_RETENTION] [default: 30d]
  --enrol-code-retention <DURATION>    enrol codes, after they expire
                                       [env: NEXTAUTH_ENROL_CODE_RETENTION] [default: 1h]
  --transaction-retention <DURATION>   transactions, after they expire
                                       [env: NEXTAUTH_TRANSACTION_RETENTION] [default: 30d]
  --message-retention <DURATION>       push messages, after they expire (acknowledged ones
                                       at once) [env: NEXTAUTH_MESSAGE_RETENTION] [default: 1h]

Login checks (docs/security.md, \"Relay phishing and push fatigue\"):
  --geoip-db <FILE>               offline GeoIP database (MaxMind .mmdb) for the coarse
                                  location in the app's prompt [env: NEXTAUTH_GEOIP_DB]
                                  [default: none: the prompt says the location is unknown]
  --fraud-webhook <URL>           where \"This was not me\" reports are posted (JSON)
                                  [env: NEXTAUTH_FRAUD_WEBHOOK] [default: none]
  --fraud-webhook-secret <TEXT>   HMAC-SHA256 key of the X-Nextauth-Signature header
                                  [env: NEXTAUTH_FRAUD_WEBHOOK_SECRET]
  --account-push-rate <RATE>      push logins per account, from all sources together
                                  [env: NEXTAUTH_ACCOUNT_PUSH_RATE] [default: 10/h]

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
    /// Database URL; `None` means a SQLite file in the data directory.
    pub database_url: Option<String>,
    /// Public base URL; `None` means `http://<listen>`.
    pub public_url: Option<String>,
    /// Push senders (FCM, APNs); all `None` by default: no sender.
    pub push: PushConfig,
    /// Connection caps and rate limits per client.
    pub limits: LimitsConfig,
    /// What the background sweep deletes, and how often it runs.
    pub retention: RetentionConfig,
    /// GeoIP, the fraud webhook and the push rate per account.
    pub login_checks: LoginCheckConfig,
}

/// Configuration of the push senders (see docs/push.md). A sender is built for each platform
/// whose key material is given; the endpoints default to Google's and Apple's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushConfig {
    /// Firebase service-account JSON file; enables the FCM sender.
    pub fcm_credentials: Option<PathBuf>,
    /// FCM base URL (default `https://fcm.googleapis.com`).
    pub fcm_endpoint: Option<String>,
    /// APNs signing key (`.p8`, PKCS#8 P-256 PEM); enables the APNs sender.
    pub apns_key: Option<PathBuf>,
    /// The APNs key's id.
    pub apns_key_id: Option<String>,
    /// The Apple developer team id.
    pub apns_team_id: Option<String>,
    /// The app's bundle id (`apns-topic`).
    pub apns_topic: Option<String>,
    /// APNs base URL (default `https://api.push.apple.com`).
    pub apns_endpoint: Option<String>,
}

impl PushConfig {
    /// Builds and checks the configuration from the option values in [`PUSH_OPTIONS`] order.
    fn from_values(values: [Option<String>; 7]) -> Result<Self, ArgsError> {
        let [fcm_credentials, fcm_endpoint, apns_key, apns_key_id, apns_team_id, apns_topic, apns_endpoint] =
            values;
        let config = Self {
            fcm_credentials: fcm_credentials.map(PathBuf::from),
            fcm_endpoint,
            apns_key: apns_key.map(PathBuf::from),
            apns_key_id,
            apns_team_id,
            apns_topic,
            apns_endpoint,
        };
        for (url, flag) in [
            (&config.fcm_endpoint, "--fcm-endpoint"),
            (&config.apns_endpoint, "--apns-endpoint"),
        ] {
            if let Some(url) = url {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(ArgsError::InvalidPushEndpoint {
                        option: flag,
                        value: url.clone(),
                    });
                }
            }
        }
        if config.fcm_endpoint.is_some() && config.fcm_credentials.is_none() {
            return Err(ArgsError::IncompletePush {
                missing: "--fcm-credentials",
                given: "--fcm-endpoint",
            });
        }
        let apns_given = [
            (config.apns_key.is_some(), "--apns-key"),
            (config.apns_key_id.is_some(), "--apns-key-id"),
            (config.apns_team_id.is_some(), "--apns-team-id"),
            (config.apns_topic.is_some(), "--apns-topic"),
            (config.apns_endpoint.is_some(), "--apns-endpoint"),
        ];
        if let Some((_, given)) = apns_given.iter().find(|(set, _)| *set) {
            if let Some((_, missing)) = apns_given[..4].iter().find(|(set, _)| !set) {
                return Err(ArgsError::IncompletePush { missing, given });
            }
        }
        Ok(config)
    }
}

impl ServerConfig {
    /// The database to use.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("server.db").display()
            )
        })
    }

    /// The base URL browsers use (no trailing slash).
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None if self.listen.ip().is_unspecified() => {
                format!("http://127.0.0.1:{}", self.listen.port())
            }
            None => format!("http://{}", self.listen),
        }
    }

    /// The app endpoint: the public URL with a WebSocket scheme and `/sigmai`.
    pub fn sigmai_url(&self) -> String {
        let base = self.public_url();
        let ws = match base.strip_prefix("https://") {
            Some(rest) => format!("wss://{rest}"),
            None => format!("ws://{}", base.trim_start_matches("http://")),
        };
        format!("{ws}/sigmai")
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN
                .parse()
                .expect("default listen address is valid"),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            database_url: None,
            public_url: None,
            push: PushConfig::default(),
            limits: LimitsConfig::default(),
            retention: RetentionConfig::default(),
            login_checks: LoginCheckConfig::default(),
        }
    }
}

/// What the command line asks the binary to do.
#[derive(Debug, Clone, PartialEq, Eq)]
// Parsed once at start; boxing the configuration would only complicate every caller.
#[allow(clippy::large_enum_variant)]
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
    /// A public URL that is not http(s).
    #[error("invalid public URL `{0}`: expected http://… or https://…")]
    InvalidPublicUrl(String),
    /// The configuration file could not be read or has a bad line.
    #[error("configuration file: {0}")]
    ConfigFile(String),
    /// A push endpoint that is not http(s).
    #[error("invalid {option} `{value}`: expected http://… or https://…")]
    InvalidPushEndpoint {
        /// The option (flag spelling; the environment variable is named in the usage).
        option: &'static str,
        /// What was given.
        value: String,
    },
    /// An option value that is not of the expected form.
    #[error("invalid {option} `{value}`: expected {expected}")]
    InvalidValue {
        /// The option (flag spelling; the environment variable is named in the usage).
        option: &'static str,
        /// What was given.
        value: String,
        /// What it should look like.
        expected: &'static str,
    },
    /// A push sender option given without another one the sender needs.
    #[error("{given} needs {missing} too (or its environment variable)")]
    IncompletePush {
        /// The option that is missing.
        missing: &'static str,
        /// An option that was given.
        given: &'static str,
    },
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
        let mut database_url: Option<String> = None;
        let mut public_url: Option<String> = None;
        let mut push: [Option<String>; 7] = Default::default();
        let mut limits: [Option<String>; 8] = Default::default();
        let mut retention: [Option<String>; 6] = Default::default();
        let mut checks: [Option<String>; 4] = Default::default();

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
                "--database-url" => {
                    let value = inline
                        .or_else(|| args.next())
                        .ok_or(ArgsError::MissingValue("--database-url"))?;
                    database_url = Some(value);
                }
                "--public-url" => {
                    let value = inline
                        .or_else(|| args.next())
                        .ok_or(ArgsError::MissingValue("--public-url"))?;
                    public_url = Some(value);
                }
                other => {
                    let (flag, slot) =
                        if let Some(i) = PUSH_OPTIONS.iter().position(|(flag, _)| *flag == other) {
                            (PUSH_OPTIONS[i].0, &mut push[i])
                        } else if let Some(i) =
                            LIMIT_OPTIONS.iter().position(|(flag, ..)| *flag == other)
                        {
                            (LIMIT_OPTIONS[i].0, &mut limits[i])
                        } else if let Some(i) = RETENTION_OPTIONS
                            .iter()
                            .position(|(flag, ..)| *flag == other)
                        {
                            (RETENTION_OPTIONS[i].0, &mut retention[i])
                        } else if let Some(i) = LOGIN_CHECK_OPTIONS
                            .iter()
                            .position(|(flag, ..)| *flag == other)
                        {
                            (LOGIN_CHECK_OPTIONS[i].0, &mut checks[i])
                        } else {
                            return Err(ArgsError::Unknown(arg));
                        };
                    let value = inline
                        .or_else(|| args.next())
                        .ok_or(ArgsError::MissingValue(flag))?;
                    *slot = Some(value);
                }
            }
        }
        let vars = PUSH_OPTIONS.iter().map(|(_, var)| *var);
        let vars = vars
            .chain(LIMIT_OPTIONS.iter().map(|(_, var, _)| *var))
            .chain(RETENTION_OPTIONS.iter().map(|(_, var, _)| *var))
            .chain(LOGIN_CHECK_OPTIONS.iter().map(|(_, var, _)| *var));
        let values = push
            .iter_mut()
            .chain(&mut limits)
            .chain(&mut retention)
            .chain(&mut checks);
        for (value, var) in values.zip(vars) {
            if value.is_none() {
                *value = env(var);
            }
            // An empty value (e.g. `NEXTAUTH_APNS_KEY=`) means "not set".
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *value = None;
            }
        }
        let push = PushConfig::from_values(push)?;
        let limits = LimitsConfig::from_values(limits)?;
        let retention = RetentionConfig::from_values(retention)?;
        let login_checks = LoginCheckConfig::from_values(checks)?;

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

        let public_url = public_url.or_else(|| env(ENV_PUBLIC_URL));
        if let Some(url) = &public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ArgsError::InvalidPublicUrl(url.clone()));
            }
        }
        Ok(Self::Run(ServerConfig {
            listen,
            data_dir: PathBuf::from(data_dir),
            database_url: database_url.or_else(|| env(ENV_DATABASE_URL)),
            public_url,
            push,
            limits,
            retention,
            login_checks,
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
    fn urls_derive_from_listen_or_are_given() {
        let config = run(Cli::parse(
            ["--listen", "0.0.0.0:9000", "--data-dir", "/d"],
            no_env,
        ));
        assert_eq!(config.public_url(), "http://127.0.0.1:9000");
        assert_eq!(config.sigmai_url(), "ws://127.0.0.1:9000/sigmai");
        assert_eq!(config.database_url(), "sqlite:///d/server.db?mode=rwc");
        let config = run(Cli::parse(
            [
                "--public-url",
                "https://auth.example.com/",
                "--database-url",
                "postgres://u@h/db",
            ],
            no_env,
        ));
        assert_eq!(config.public_url(), "https://auth.example.com");
        assert_eq!(config.sigmai_url(), "wss://auth.example.com/sigmai");
        assert_eq!(config.database_url(), "postgres://u@h/db");
        assert_eq!(
            Cli::parse(["--public-url", "ftp://x"], no_env),
            Err(ArgsError::InvalidPublicUrl("ftp://x".into()))
        );
    }

    #[test]
    fn push_senders_from_flags_and_env() {
        let config = run(Cli::parse(Vec::<String>::new(), no_env));
        assert_eq!(config.push, PushConfig::default());

        let env = |name: &str| match name {
            ENV_FCM_CREDENTIALS => Some("/etc/nextauth/firebase.json".to_owned()),
            ENV_APNS_KEY => Some("/etc/nextauth/AuthKey.p8".to_owned()),
            ENV_APNS_KEY_ID => Some("ABC123DEFG".to_owned()),
            ENV_APNS_TEAM_ID => Some("TEAM123456".to_owned()),
            ENV_APNS_TOPIC => Some("com.example.app".to_owned()),
            ENV_APNS_ENDPOINT => Some(String::new()),
            _ => None,
        };
        let config = run(Cli::parse(
            [
                "--fcm-endpoint=http://127.0.0.1:9",
                "--apns-endpoint",
                "https://api.sandbox.push.apple.com",
                "--apns-topic",
                "com.example.other",
            ],
            env,
        ));
        assert_eq!(
            config.push,
            PushConfig {
                fcm_credentials: Some(PathBuf::from("/etc/nextauth/firebase.json")),
                fcm_endpoint: Some("http://127.0.0.1:9".into()),
                apns_key: Some(PathBuf::from("/etc/nextauth/AuthKey.p8")),
                apns_key_id: Some("ABC123DEFG".into()),
                apns_team_id: Some("TEAM123456".into()),
                apns_topic: Some("com.example.other".into()),
                apns_endpoint: Some("https://api.sandbox.push.apple.com".into()),
            }
        );
        // An empty environment value counts as unset.
        let config = run(Cli::parse(Vec::<String>::new(), env));
        assert_eq!(config.push.apns_endpoint, None);
    }

    #[test]
    fn push_sender_errors() {
        assert_eq!(
            Cli::parse(["--apns-key", "k.p8", "--apns-key-id", "K"], no_env),
            Err(ArgsError::IncompletePush {
                missing: "--apns-team-id",
                given: "--apns-key",
            })
        );
        assert_eq!(
            Cli::parse(["--apns-topic", "com.example.app"], no_env),
            Err(ArgsError::IncompletePush {
                missing: "--apns-key",
                given: "--apns-topic",
            })
        );
        assert_eq!(
            Cli::parse(["--fcm-endpoint", "http://127.0.0.1:9"], no_env),
            Err(ArgsError::IncompletePush {
                missing: "--fcm-credentials",
                given: "--fcm-endpoint",
            })
        );
        assert_eq!(
            Cli::parse(
                ["--fcm-credentials", "f.json", "--fcm-endpoint", "fcm.local"],
                no_env
            ),
            Err(ArgsError::InvalidPushEndpoint {
                option: "--fcm-endpoint",
                value: "fcm.local".into(),
            })
        );
        assert_eq!(
            Cli::parse(["--apns-key-id"], no_env),
            Err(ArgsError::MissingValue("--apns-key-id"))
        );
    }

    #[test]
    fn limits_and_retention_from_flags_and_env() {
        let env = |name: &str| match name {
            "NEXTAUTH_PROVOKE_RATE" => Some("5/s".to_owned()),
            "NEXTAUTH_SWEEP_INTERVAL" => Some("1s".to_owned()),
            "NEXTAUTH_PAGE_RATE" => Some(String::new()),
            _ => None,
        };
        let config = run(Cli::parse(
            [
                "--trusted-proxies=127.0.0.1",
                "--browser-sockets",
                "off",
                "--session-retention",
                "never",
            ],
            env,
        ));
        assert_eq!(config.limits.trusted_proxies.len(), 1);
        assert_eq!(config.limits.browser_sockets, None);
        assert_eq!(
            config.limits.provoke_rate.map(|r| r.to_string()).as_deref(),
            Some("5/s")
        );
        assert_eq!(config.limits.page_rate, LimitsConfig::default().page_rate);
        assert_eq!(config.retention.sweep_interval.as_secs(), 1);
        assert_eq!(config.retention.sessions, None);
        assert!(matches!(
            Cli::parse(["--app-connect-rate", "fast"], no_env),
            Err(ArgsError::InvalidValue {
                option: "--app-connect-rate",
                ..
            })
        ));
        assert_eq!(
            Cli::parse(["--message-retention"], no_env),
            Err(ArgsError::MissingValue("--message-retention"))
        );
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
