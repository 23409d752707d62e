//! The configuration of the server: what the command line, the environment and the
//! configuration file (args.rs, config_file.rs) resolve to.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
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
/// Environment variable giving the number of worker threads.
pub const ENV_WORKER_THREADS: &str = "NEXTAUTH_WORKER_THREADS";
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
    /// The async runtime's worker threads; `None`: one per CPU. Read by the binary, which
    /// builds the runtime (docs/benchmarks.md, "Cluster": one costs the least CPU per login).
    pub worker_threads: Option<NonZeroUsize>,
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
    pub(crate) fn from_values(values: [Option<String>; 7]) -> Result<Self, ArgsError> {
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
            worker_threads: None,
        }
    }
}

/// A command line or environment value that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgsError {
    /// A command line clap refused (unknown option, missing value…), in one line.
    #[error("{0}")]
    Usage(String),
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
    /// A worker thread count that is not a whole number of at least 1.
    #[error("invalid worker thread count `{0}`: expected a whole number of at least 1")]
    InvalidWorkerThreads(String),
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
