//! The command line of `nextauth-server`, with clap (derive; `env` for the variables). Flags win
//! over the environment (clap), which wins over the configuration file (`--config`,
//! config_file.rs), which wins over the defaults (the option tables of config.rs, limits,
//! sweep and login_checks). A field of the definition is `Some` only when a flag or a variable
//! gave it (no clap defaults), so the file fills exactly the options neither gave.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::{
    ArgsError, LimitsConfig, LoginCheckConfig, PushConfig, RetentionConfig, ServerConfig,
    DEFAULT_DATA_DIR, DEFAULT_LISTEN, ENV_DATABASE_URL, ENV_DATA_DIR, ENV_LISTEN, ENV_PUBLIC_URL,
    ENV_WORKER_THREADS, LIMIT_OPTIONS, LOGIN_CHECK_OPTIONS, PUSH_OPTIONS, RETENTION_OPTIONS,
};
use crate::config_file::ENV_CONFIG;

/// Printed after the options in `--help`.
const AFTER_HELP: &str = "\
Every option is also a key of the configuration file (--config), without its --:
`listen = \"0.0.0.0:8080\"`, `browser-sockets = 4096`.

Limits count per client address: the socket's peer, or from X-Forwarded-For when the peer is
a trusted proxy; IPv6 per /64. A refused request gets 429 with Retry-After; `off` lifts a
limit. RATE is N/s, N/min or N/h. DURATION is 90s, 5m, 2h or 30d; `never` keeps rows forever.

Log verbosity follows RUST_LOG (default: info).";

/// Reference server of nextauth-rs; serves the Acme demo site.
#[derive(Debug, Parser)]
// An option given twice takes the last value, as the hand-written parser did.
#[command(
    name = "nextauth-server",
    version,
    after_help = AFTER_HELP,
    args_override_self = true
)]
struct ServerArgs {
    #[command(subcommand)]
    command: Option<ServerCommand>,
    /// Read options from FILE (TOML, one `key = value` line per option; flags and the
    /// environment win over it)
    #[arg(long, value_name = "FILE", env = ENV_CONFIG, hide_env_values = true)]
    config: Option<PathBuf>,
    #[command(flatten)]
    main: MainArgs,
    #[command(flatten)]
    push: PushArgs,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    retention: RetentionArgs,
    #[command(flatten)]
    checks: LoginCheckArgs,
}

#[derive(Debug, Subcommand)]
enum ServerCommand {
    /// Print the shell completion script for SHELL
    ///
    /// Prints the completion script of SHELL (bash, zsh, fish, elvish, powershell), generated
    /// from this command line, for example
    /// `nextauth-server completions bash > ~/.local/share/bash-completion/completions/nextauth-server`.
    Completions {
        /// The shell
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
struct MainArgs {
    /// IP:port to listen on [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR", env = ENV_LISTEN, hide_env_values = true)]
    listen: Option<String>,
    /// Directory for server state [default: ./data]
    #[arg(long, value_name = "PATH", env = ENV_DATA_DIR, hide_env_values = true)]
    data_dir: Option<String>,
    /// sqlite://FILE or postgres://USER@HOST/DB [default: sqlite://<data-dir>/server.db]
    #[arg(long, value_name = "URL", env = ENV_DATABASE_URL, hide_env_values = true)]
    database_url: Option<String>,
    /// URL browsers and apps use to reach this server, e.g. https://auth.example.com
    /// [default: http://<listen>]
    #[arg(long, value_name = "URL", env = ENV_PUBLIC_URL, hide_env_values = true)]
    public_url: Option<String>,
    /// Threads that serve requests; 1 costs the least CPU per login, more use more cores of
    /// one machine (docs/server.md) [default: one per CPU]
    #[arg(long, value_name = "N", env = ENV_WORKER_THREADS, hide_env_values = true)]
    worker_threads: Option<String>,
}

/// The push-sender options, in [`PUSH_OPTIONS`] order.
#[derive(Debug, Args)]
#[command(
    next_help_heading = "Push senders (optional; without them messages reach apps over their live connection and pull)"
)]
struct PushArgs {
    /// Firebase service-account JSON
    #[arg(
        long,
        value_name = "FILE",
        env = "NEXTAUTH_FCM_CREDENTIALS",
        hide_env_values = true
    )]
    fcm_credentials: Option<String>,
    /// FCM base URL [default: https://fcm.googleapis.com]
    #[arg(
        long,
        value_name = "URL",
        env = "NEXTAUTH_FCM_ENDPOINT",
        hide_env_values = true
    )]
    fcm_endpoint: Option<String>,
    /// APNs signing key (.p8)
    #[arg(
        long,
        value_name = "FILE",
        env = "NEXTAUTH_APNS_KEY",
        hide_env_values = true
    )]
    apns_key: Option<String>,
    /// Its key id
    #[arg(
        long,
        value_name = "ID",
        env = "NEXTAUTH_APNS_KEY_ID",
        hide_env_values = true
    )]
    apns_key_id: Option<String>,
    /// Apple team id
    #[arg(
        long,
        value_name = "ID",
        env = "NEXTAUTH_APNS_TEAM_ID",
        hide_env_values = true
    )]
    apns_team_id: Option<String>,
    /// The app's bundle id
    #[arg(
        long,
        value_name = "BUNDLE",
        env = "NEXTAUTH_APNS_TOPIC",
        hide_env_values = true
    )]
    apns_topic: Option<String>,
    /// APNs base URL [default: https://api.push.apple.com; development builds:
    /// https://api.sandbox.push.apple.com]
    #[arg(
        long,
        value_name = "URL",
        env = "NEXTAUTH_APNS_ENDPOINT",
        hide_env_values = true
    )]
    apns_endpoint: Option<String>,
}

impl PushArgs {
    fn values(self) -> [Option<String>; 7] {
        [
            self.fcm_credentials,
            self.fcm_endpoint,
            self.apns_key,
            self.apns_key_id,
            self.apns_team_id,
            self.apns_topic,
            self.apns_endpoint,
        ]
    }
}

/// The limit options, in [`LIMIT_OPTIONS`] order.
#[derive(Debug, Args)]
#[command(next_help_heading = "Limits per client address (`off` lifts one)")]
struct LimitArgs {
    /// Proxies whose X-Forwarded-For is believed: addresses or networks, comma-separated
    /// (10.0.0.0/8,::1) [default: none]
    #[arg(
        long,
        value_name = "LIST",
        env = "NEXTAUTH_TRUSTED_PROXIES",
        hide_env_values = true
    )]
    trusted_proxies: Option<String>,
    /// Open app connections (/sigmai) [default: 64]
    #[arg(
        long,
        value_name = "N",
        env = "NEXTAUTH_APP_CONNECTIONS_PER_IP",
        hide_env_values = true
    )]
    app_connections_per_ip: Option<String>,
    /// New app connections [default: 120/min]
    #[arg(
        long,
        value_name = "RATE",
        env = "NEXTAUTH_APP_CONNECT_RATE",
        hide_env_values = true
    )]
    app_connect_rate: Option<String>,
    /// Open browser sockets (/ws) [default: 64]
    #[arg(
        long,
        value_name = "N",
        env = "NEXTAUTH_BROWSER_SOCKETS_PER_IP",
        hide_env_values = true
    )]
    browser_sockets_per_ip: Option<String>,
    /// Open browser sockets of all clients together [default: 4096]
    #[arg(
        long,
        value_name = "N",
        env = "NEXTAUTH_BROWSER_SOCKETS",
        hide_env_values = true
    )]
    browser_sockets: Option<String>,
    /// New browser sockets [default: 120/min]
    #[arg(
        long,
        value_name = "RATE",
        env = "NEXTAUTH_BROWSER_CONNECT_RATE",
        hide_env_values = true
    )]
    browser_connect_rate: Option<String>,
    /// Demo site pages [default: 300/min]
    #[arg(
        long,
        value_name = "RATE",
        env = "NEXTAUTH_PAGE_RATE",
        hide_env_values = true
    )]
    page_rate: Option<String>,
    /// REST push logins (provokelogin) [default: 60/min]
    #[arg(
        long,
        value_name = "RATE",
        env = "NEXTAUTH_PROVOKE_RATE",
        hide_env_values = true
    )]
    provoke_rate: Option<String>,
}

impl LimitArgs {
    fn values(self) -> [Option<String>; 8] {
        [
            self.trusted_proxies,
            self.app_connections_per_ip,
            self.app_connect_rate,
            self.browser_sockets_per_ip,
            self.browser_sockets,
            self.browser_connect_rate,
            self.page_rate,
            self.provoke_rate,
        ]
    }
}

/// The retention options, in [`RETENTION_OPTIONS`] order.
#[derive(Debug, Args)]
#[command(next_help_heading = "Retention (a background sweep deletes what is finished)")]
struct RetentionArgs {
    /// Time between two sweeps [default: 5m]
    #[arg(
        long,
        value_name = "DURATION",
        env = "NEXTAUTH_SWEEP_INTERVAL",
        hide_env_values = true
    )]
    sweep_interval: Option<String>,
    /// Sessions no account logged into, after their last change [default: 1d]
    #[arg(
        long,
        value_name = "DURATION",
        env = "NEXTAUTH_IDLE_SESSION_RETENTION",
        hide_env_values = true
    )]
    idle_session_retention: Option<String>,
    /// Other sessions, after their last change; logged-in continuous sessions are kept while
    /// logged in [default: 30d]
    #[arg(
        long,
        value_name = "DURATION",
        env = "NEXTAUTH_SESSION_RETENTION",
        hide_env_values = true
    )]
    session_retention: Option<String>,
    /// Enrol codes, after they expire [default: 1h]
    #[arg(
        long,
        value_name = "DURATION",
        env = "NEXTAUTH_ENROL_CODE_RETENTION",
        hide_env_values = true
    )]
    enrol_code_retention: Option<String>,
    /// Transactions, after they expire [default: 30d]
    #[arg(
        long,
        value_name = "DURATION",
        env = "NEXTAUTH_TRANSACTION_RETENTION",
        hide_env_values = true
    )]
    transaction_retention: Option<String>,
    /// Push messages, after they expire (acknowledged ones at once) [default: 1h]
    #[arg(
        long,
        value_name = "DURATION",
        env = "NEXTAUTH_MESSAGE_RETENTION",
        hide_env_values = true
    )]
    message_retention: Option<String>,
}

impl RetentionArgs {
    fn values(self) -> [Option<String>; 6] {
        [
            self.sweep_interval,
            self.idle_session_retention,
            self.session_retention,
            self.enrol_code_retention,
            self.transaction_retention,
            self.message_retention,
        ]
    }
}

/// The login-check options, in [`LOGIN_CHECK_OPTIONS`] order.
#[derive(Debug, Args)]
#[command(
    next_help_heading = "Login checks (docs/security.md, \"Relay phishing and push fatigue\")"
)]
struct LoginCheckArgs {
    /// Offline GeoIP database (MaxMind .mmdb) for the coarse location in the app's prompt
    /// [default: none: the prompt says the location is unknown]
    #[arg(
        long,
        value_name = "FILE",
        env = "NEXTAUTH_GEOIP_DB",
        hide_env_values = true
    )]
    geoip_db: Option<String>,
    /// Where "This was not me" reports are posted (JSON) [default: none]
    #[arg(
        long,
        value_name = "URL",
        env = "NEXTAUTH_FRAUD_WEBHOOK",
        hide_env_values = true
    )]
    fraud_webhook: Option<String>,
    /// HMAC-SHA256 key of the X-Nextauth-Signature header (required with --fraud-webhook)
    #[arg(
        long,
        value_name = "TEXT",
        env = "NEXTAUTH_FRAUD_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    fraud_webhook_secret: Option<String>,
    /// Push logins per account, from all sources together [default: 10/h]
    #[arg(
        long,
        value_name = "RATE",
        env = "NEXTAUTH_ACCOUNT_PUSH_RATE",
        hide_env_values = true
    )]
    account_push_rate: Option<String>,
}

impl LoginCheckArgs {
    fn values(self) -> [Option<String>; 4] {
        [
            self.geoip_db,
            self.fraud_webhook,
            self.fraud_webhook_secret,
            self.account_push_rate,
        ]
    }
}

/// What the command line asks the binary to do.
#[derive(Debug, Clone, PartialEq, Eq)]
// Parsed once at start; boxing the configuration would only complicate every caller.
#[allow(clippy::large_enum_variant)]
pub enum Cli {
    /// Run the server with this configuration.
    Run(ServerConfig),
    /// Print this text (the help or the version) on standard output and exit.
    Print(String),
    /// Print the completion script of a shell and exit.
    Completions(clap_complete::Shell),
}

impl Cli {
    /// Parses the arguments (without the program name); clap reads the environment variables,
    /// and `--config FILE` (or `NEXTAUTH_CONFIG`) fills what neither flags nor variables gave.
    ///
    /// # Errors
    ///
    /// [`ArgsError::Usage`] for what clap refuses (unknown options, missing values), the
    /// configuration file's errors, and values that are not of their option's form.
    pub fn parse<I, S>(args: I) -> Result<Self, ArgsError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Self::parse_with(command(), args)
    }

    fn parse_with<I, S>(command: clap::Command, args: I) -> Result<Self, ArgsError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let args = std::iter::once(OsString::from("nextauth-server"))
            .chain(args.into_iter().map(Into::into));
        let matches = match command.try_get_matches_from(args) {
            Ok(matches) => matches,
            // --help and --version are "errors" that go to standard output.
            Err(err) if !err.use_stderr() => return Ok(Self::Print(err.render().to_string())),
            Err(err) => return Err(usage(&err)),
        };
        let listen_source = match matches.value_source("listen") {
            Some(ValueSource::EnvVariable) => ENV_LISTEN,
            _ => "--listen",
        };
        let parsed = ServerArgs::from_arg_matches(&matches).map_err(|err| usage(&err))?;
        if let Some(ServerCommand::Completions { shell }) = parsed.command {
            return Ok(Self::Completions(shell));
        }
        let mut file = match &parsed.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ArgsError::ConfigFile(format!("{}: {e}", path.display())))?;
                crate::config_file::parse(&text)?
            }
            None => HashMap::new(),
        };
        let mut from_file = |flag: &str| file.remove(flag.trim_start_matches("--"));

        let push = layer(
            parsed.push.values(),
            PUSH_OPTIONS.map(|o| o.0),
            &mut from_file,
        );
        let limits = layer(
            parsed.limits.values(),
            LIMIT_OPTIONS.map(|o| o.0),
            &mut from_file,
        );
        let retention = layer(
            parsed.retention.values(),
            RETENTION_OPTIONS.map(|o| o.0),
            &mut from_file,
        );
        let checks = layer(
            parsed.checks.values(),
            LOGIN_CHECK_OPTIONS.map(|o| o.0),
            &mut from_file,
        );
        let push = PushConfig::from_values(push)?;
        let limits = LimitsConfig::from_values(limits)?;
        let retention = RetentionConfig::from_values(retention)?;
        let login_checks = LoginCheckConfig::from_values(checks)?;

        let main = parsed.main;
        let (listen, source_name) = main
            .listen
            .map(|v| (v, listen_source))
            .or_else(|| from_file("--listen").map(|v| (v, "the configuration file")))
            .unwrap_or_else(|| (DEFAULT_LISTEN.to_owned(), "the default"));
        let listen = listen
            .trim()
            .parse()
            .map_err(|_| ArgsError::InvalidListen {
                value: listen.clone(),
                source_name,
            })?;
        let data_dir = main
            .data_dir
            .or_else(|| from_file("--data-dir"))
            .unwrap_or_else(|| DEFAULT_DATA_DIR.to_owned());
        if data_dir.is_empty() {
            return Err(ArgsError::EmptyDataDir);
        }
        let public_url = main.public_url.or_else(|| from_file("--public-url"));
        if let Some(url) = &public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ArgsError::InvalidPublicUrl(url.clone()));
            }
        }
        let database_url = main.database_url.or_else(|| from_file("--database-url"));
        let [worker_threads] = layer([main.worker_threads], ["--worker-threads"], &mut from_file);
        let worker_threads = match worker_threads {
            None => None,
            Some(value) => Some(
                value
                    .trim()
                    .parse()
                    .map_err(|_| ArgsError::InvalidWorkerThreads(value.clone()))?,
            ),
        };
        Ok(Self::Run(ServerConfig {
            listen,
            data_dir: PathBuf::from(data_dir),
            database_url,
            public_url,
            push,
            limits,
            retention,
            login_checks,
            worker_threads,
        }))
    }
}

/// Fills each value neither a flag nor a variable gave from the file; an empty value (e.g.
/// `NEXTAUTH_APNS_KEY=`) means "not set".
fn layer<const N: usize>(
    values: [Option<String>; N],
    flags: [&str; N],
    from_file: &mut impl FnMut(&str) -> Option<String>,
) -> [Option<String>; N] {
    let mut i = 0;
    values.map(|value| {
        let flag = flags[i];
        i += 1;
        value
            .or_else(|| from_file(flag))
            .filter(|v| !v.trim().is_empty())
    })
}

/// clap's refusal in one line: its first paragraph (the words, not the line breaks), without
/// `error: `.
fn usage(err: &clap::Error) -> ArgsError {
    let text = err.render().to_string();
    let paragraph = text.split("\n\n").next().unwrap_or_default();
    let words = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    let message = words.strip_prefix("error: ").unwrap_or(&words);
    ArgsError::Usage(format!("{message} (try --help)"))
}

/// The command-line definition (for the help, completions and man page).
pub fn command() -> clap::Command {
    ServerArgs::command()
}

/// The configuration-file keys: every option's long name, without `--config` itself.
pub(crate) fn file_keys() -> Vec<String> {
    command()
        .get_arguments()
        .filter_map(|arg| arg.get_long())
        .filter(|long| !matches!(*long, "config" | "help" | "version"))
        .map(str::to_owned)
        .collect()
}

/// The completion script of `shell` for this command line.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command(), "nextauth-server", &mut script);
    script
}

/// Parses with the environment variables left out (tests must not depend on the process's).
#[cfg(test)]
pub(crate) fn parse_without_env<const N: usize>(args: [&str; N]) -> Result<Cli, ArgsError> {
    Cli::parse_with(
        command().mut_args(|arg| arg.env(None::<&'static str>)),
        args,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cli: Result<Cli, ArgsError>) -> ServerConfig {
        match cli {
            Ok(Cli::Run(config)) => config,
            other => panic!("expected Run, got {other:?}"),
        }
    }

    fn usage_error(cli: Result<Cli, ArgsError>) -> String {
        match cli {
            Err(ArgsError::Usage(line)) => line,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn the_definition_is_consistent() {
        command().debug_assert();
    }

    /// docs/man/nextauth-server*.1 are this definition's (`NEXTAUTH_UPDATE_MAN=1` rewrites
    /// them).
    #[test]
    fn man_pages() {
        nextauth_e2e::man::check(command());
    }

    /// The clap definition and the option tables (defaults, error names) name the same
    /// options, variables and defaults, in the same order.
    #[test]
    fn the_definition_matches_the_option_tables() {
        let command = command();
        let args: Vec<&clap::Arg> = command.get_arguments().collect();
        let tables = PUSH_OPTIONS
            .iter()
            .map(|(flag, env)| (*flag, *env, ""))
            .chain(LIMIT_OPTIONS)
            .chain(RETENTION_OPTIONS)
            .chain(LOGIN_CHECK_OPTIONS);
        let longs: Vec<&str> = args.iter().filter_map(|a| a.get_long()).collect();
        let first = longs.iter().position(|l| *l == "fcm-credentials").unwrap();
        let mut count = 0;
        for (i, (flag, env, default)) in tables.enumerate() {
            let arg = args
                .iter()
                .find(|a| a.get_long() == Some(flag.trim_start_matches("--")))
                .unwrap_or_else(|| panic!("{flag} is not in the clap definition"));
            assert_eq!(longs[first + i], flag.trim_start_matches("--"), "order");
            assert_eq!(arg.get_env().and_then(|e| e.to_str()), Some(env), "{flag}");
            if !default.is_empty() {
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                assert!(
                    help.contains(&format!("[default: {default}]")),
                    "{flag}: {help}"
                );
            }
            count += 1;
        }
        assert_eq!(count, 25);
        for (flag, env) in [
            ("listen", ENV_LISTEN),
            ("data-dir", ENV_DATA_DIR),
            ("database-url", ENV_DATABASE_URL),
            ("public-url", ENV_PUBLIC_URL),
            ("config", ENV_CONFIG),
        ] {
            let arg = args.iter().find(|a| a.get_long() == Some(flag)).unwrap();
            assert_eq!(arg.get_env().and_then(|e| e.to_str()), Some(env), "{flag}");
        }
        // No variable's value is ever shown by the help (secrets, passwords in URLs).
        assert!(args
            .iter()
            .filter(|a| a.get_env().is_some())
            .all(|a| a.is_hide_env_values_set()));
    }

    #[test]
    fn defaults() {
        let config = run(parse_without_env([]));
        assert_eq!(config, ServerConfig::default());
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.data_dir, PathBuf::from("./data"));
    }

    #[test]
    fn flags_in_both_spellings() {
        let config = run(parse_without_env([
            "--listen",
            "0.0.0.0:9000",
            "--data-dir=/tmp/x",
        ]));
        assert_eq!(config.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(config.data_dir, PathBuf::from("/tmp/x"));
        // Given twice, the last one counts.
        let config = run(parse_without_env([
            "--listen",
            "127.0.0.1:1",
            "--listen=127.0.0.1:2",
        ]));
        assert_eq!(config.listen.to_string(), "127.0.0.1:2");
    }

    #[test]
    fn urls_derive_from_listen_or_are_given() {
        let config = run(parse_without_env([
            "--listen",
            "0.0.0.0:9000",
            "--data-dir",
            "/d",
        ]));
        assert_eq!(config.public_url(), "http://127.0.0.1:9000");
        assert_eq!(config.sigmai_url(), "ws://127.0.0.1:9000/sigmai");
        assert_eq!(config.database_url(), "sqlite:///d/server.db?mode=rwc");
        let config = run(parse_without_env([
            "--public-url",
            "https://auth.example.com/",
            "--database-url",
            "postgres://u@h/db",
        ]));
        assert_eq!(config.public_url(), "https://auth.example.com");
        assert_eq!(config.sigmai_url(), "wss://auth.example.com/sigmai");
        assert_eq!(config.database_url(), "postgres://u@h/db");
        assert_eq!(
            parse_without_env(["--public-url", "ftp://x"]),
            Err(ArgsError::InvalidPublicUrl("ftp://x".into()))
        );
    }

    #[test]
    fn push_senders_from_flags() {
        let config = run(parse_without_env([]));
        assert_eq!(config.push, PushConfig::default());
        let config = run(parse_without_env([
            "--fcm-credentials",
            "/etc/nextauth/firebase.json",
            "--fcm-endpoint=http://127.0.0.1:9",
            "--apns-key",
            "/etc/nextauth/AuthKey.p8",
            "--apns-key-id",
            "ABC123DEFG",
            "--apns-team-id",
            "TEAM123456",
            "--apns-endpoint",
            "https://api.sandbox.push.apple.com",
            "--apns-topic",
            "com.example.other",
        ]));
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
        // An empty value counts as unset.
        let config = run(parse_without_env(["--apns-endpoint="]));
        assert_eq!(config.push.apns_endpoint, None);
    }

    #[test]
    fn push_sender_errors() {
        assert_eq!(
            parse_without_env(["--apns-key", "k.p8", "--apns-key-id", "K"]),
            Err(ArgsError::IncompletePush {
                missing: "--apns-team-id",
                given: "--apns-key",
            })
        );
        assert_eq!(
            parse_without_env(["--apns-topic", "com.example.app"]),
            Err(ArgsError::IncompletePush {
                missing: "--apns-key",
                given: "--apns-topic",
            })
        );
        assert_eq!(
            parse_without_env(["--fcm-endpoint", "http://127.0.0.1:9"]),
            Err(ArgsError::IncompletePush {
                missing: "--fcm-credentials",
                given: "--fcm-endpoint",
            })
        );
        assert_eq!(
            parse_without_env(["--fcm-credentials", "f.json", "--fcm-endpoint", "fcm.local"]),
            Err(ArgsError::InvalidPushEndpoint {
                option: "--fcm-endpoint",
                value: "fcm.local".into(),
            })
        );
        assert!(usage_error(parse_without_env(["--apns-key-id"])).contains("--apns-key-id"));
    }

    #[test]
    fn limits_and_retention_from_flags() {
        let config = run(parse_without_env([
            "--trusted-proxies=127.0.0.1",
            "--browser-sockets",
            "off",
            "--session-retention",
            "never",
            "--provoke-rate",
            "5/s",
            "--sweep-interval",
            "1s",
        ]));
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
            parse_without_env(["--app-connect-rate", "fast"]),
            Err(ArgsError::InvalidValue {
                option: "--app-connect-rate",
                ..
            })
        ));
        assert!(
            usage_error(parse_without_env(["--message-retention"])).contains("--message-retention")
        );
    }

    #[test]
    fn help_version_and_completions() {
        let Ok(Cli::Print(help)) = parse_without_env(["--help"]) else {
            panic!("--help prints")
        };
        assert!(
            help.starts_with("Reference server of nextauth-rs"),
            "{help}"
        );
        assert!(
            help.contains("Usage: nextauth-server [OPTIONS] [COMMAND]"),
            "{help}"
        );
        // Every option, with its variable (the help is generated from the same definition).
        let help = command().render_long_help().to_string();
        for arg in command().get_arguments() {
            let long = arg.get_long().unwrap();
            assert!(help.contains(&format!("--{long}")), "--{long}");
            if let Some(env) = arg.get_env() {
                let env = env.to_str().unwrap();
                assert!(help.contains(&format!("[env: {env}]")), "{env}");
            }
        }
        assert!(help.contains("RUST_LOG"));
        assert_eq!(
            parse_without_env(["-V"]),
            Ok(Cli::Print(format!("nextauth-server {}\n", crate::VERSION)))
        );
        assert_eq!(
            parse_without_env(["completions", "bash"]),
            Ok(Cli::Completions(clap_complete::Shell::Bash))
        );
        let script = String::from_utf8(completions(clap_complete::Shell::Bash)).unwrap();
        for word in ["--listen", "--account-push-rate", "completions"] {
            assert!(script.contains(word), "{word}");
        }
    }

    #[test]
    fn errors() {
        let line = usage_error(parse_without_env(["--bogus"]));
        assert!(
            line.contains("--bogus") && line.ends_with("(try --help)"),
            "{line}"
        );
        assert_eq!(line.lines().count(), 1);
        assert!(usage_error(parse_without_env(["--listen"])).contains("--listen"));
        assert_eq!(
            parse_without_env(["--data-dir="]),
            Err(ArgsError::EmptyDataDir)
        );
        assert!(matches!(
            parse_without_env(["--listen", "localhost"]),
            Err(ArgsError::InvalidListen {
                source_name: "--listen",
                ..
            })
        ));
    }
}
