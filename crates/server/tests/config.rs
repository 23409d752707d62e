//! The layers of the configuration with real environment variables (clap reads the process's
//! environment): flags win over variables, which win over the configuration file, which wins
//! over the defaults. The tests of this file (its own process, nothing else running) change the
//! environment one at a time, under a lock, and put it back.

use std::path::PathBuf;
use std::sync::Mutex;

use nextauth_server::{ArgsError, Cli, PushConfig, ServerConfig};

static ENV: Mutex<()> = Mutex::new(());

/// Parses `args` with `vars` set in the environment (and removed again afterwards).
fn with_env(vars: &[(&str, &str)], args: &[&str]) -> Result<Cli, ArgsError> {
    let _guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
    for (name, value) in vars {
        std::env::set_var(name, value);
    }
    let cli = Cli::parse(args.iter().copied());
    for (name, _) in vars {
        std::env::remove_var(name);
    }
    cli
}

fn run(cli: Result<Cli, ArgsError>) -> ServerConfig {
    match cli {
        Ok(Cli::Run(config)) => config,
        other => panic!("expected Run, got {other:?}"),
    }
}

#[test]
fn env_is_used_and_flags_win() {
    let env = [
        ("NEXTAUTH_LISTEN", "127.0.0.1:7000"),
        ("NEXTAUTH_DATA_DIR", "/srv/nextauth"),
    ];
    let config = run(with_env(&env, &[]));
    assert_eq!(config.listen.to_string(), "127.0.0.1:7000");
    assert_eq!(config.data_dir, PathBuf::from("/srv/nextauth"));

    let config = run(with_env(&env, &["--listen", "[::1]:7001"]));
    assert_eq!(config.listen.to_string(), "[::1]:7001");
    assert_eq!(config.data_dir, PathBuf::from("/srv/nextauth"));
}

#[test]
fn push_senders_from_flags_and_env() {
    let env = [
        ("NEXTAUTH_FCM_CREDENTIALS", "/etc/nextauth/firebase.json"),
        ("NEXTAUTH_APNS_KEY", "/etc/nextauth/AuthKey.p8"),
        ("NEXTAUTH_APNS_KEY_ID", "ABC123DEFG"),
        ("NEXTAUTH_APNS_TEAM_ID", "TEAM123456"),
        ("NEXTAUTH_APNS_TOPIC", "com.example.app"),
        ("NEXTAUTH_APNS_ENDPOINT", ""),
    ];
    let config = run(with_env(
        &env,
        &[
            "--fcm-endpoint=http://127.0.0.1:9",
            "--apns-endpoint",
            "https://api.sandbox.push.apple.com",
            "--apns-topic",
            "com.example.other",
        ],
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
    let config = run(with_env(&env, &[]));
    assert_eq!(config.push.apns_endpoint, None);
    assert_eq!(config.push.apns_topic.as_deref(), Some("com.example.app"));
}

#[test]
fn limits_and_retention_from_env() {
    let env = [
        ("NEXTAUTH_PROVOKE_RATE", "5/s"),
        ("NEXTAUTH_SWEEP_INTERVAL", "1s"),
        ("NEXTAUTH_PAGE_RATE", ""),
    ];
    let config = run(with_env(&env, &["--session-retention", "never"]));
    assert_eq!(
        config.limits.provoke_rate.map(|r| r.to_string()).as_deref(),
        Some("5/s")
    );
    assert_eq!(
        config.limits.page_rate,
        nextauth_server::LimitsConfig::default().page_rate
    );
    assert_eq!(config.retention.sweep_interval.as_secs(), 1);
    assert_eq!(config.retention.sessions, None);
}

#[test]
fn worker_threads_from_flag_env_or_default() {
    assert_eq!(run(with_env(&[], &[])).worker_threads, None);
    let config = run(with_env(&[("NEXTAUTH_WORKER_THREADS", "3")], &[]));
    assert_eq!(config.worker_threads.map(|n| n.get()), Some(3));
    let config = run(with_env(
        &[("NEXTAUTH_WORKER_THREADS", "3")],
        &["--worker-threads", "1"],
    ));
    assert_eq!(config.worker_threads.map(|n| n.get()), Some(1));
    assert_eq!(
        run(with_env(&[], &["--worker-threads", ""])).worker_threads,
        None
    );
    for bad in ["0", "1.5", "two"] {
        assert_eq!(
            with_env(&[], &["--worker-threads", bad]).err(),
            Some(ArgsError::InvalidWorkerThreads(bad.to_owned())),
            "{bad:?}"
        );
    }
}

#[test]
fn a_bad_variable_is_named() {
    let err = with_env(&[("NEXTAUTH_LISTEN", "nope")], &[]).unwrap_err();
    assert!(err.to_string().contains("NEXTAUTH_LISTEN"), "{err}");
    // The help names every variable but shows none of their values (secrets, passwords).
    let Ok(Cli::Print(help)) = with_env(
        &[("NEXTAUTH_FRAUD_WEBHOOK_SECRET", "s3cret-value")],
        &["--help"],
    ) else {
        panic!("--help prints")
    };
    assert!(
        help.contains("[env: NEXTAUTH_FRAUD_WEBHOOK_SECRET]"),
        "{help}"
    );
    assert!(!help.contains("s3cret-value"));
}

#[test]
fn file_values_apply_below_env_and_flags() {
    let dir = std::env::temp_dir().join(format!("nextauth-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("server.conf");
    std::fs::write(
        &file,
        "# demo\nlisten = \"127.0.0.1:9100\"\ndata-dir = \"/srv/a\" # comment\npublic-url = \"https://auth.example.com\"\nprovoke-rate = \"7/min\"\napns-topic = \"\"\n",
    )
    .unwrap();
    let path = file.to_str().unwrap().to_owned();
    let config = run(with_env(&[], &["--config", path.as_str()]));
    assert_eq!(config.listen.to_string(), "127.0.0.1:9100");
    assert_eq!(config.data_dir, PathBuf::from("/srv/a"));
    assert_eq!(config.public_url(), "https://auth.example.com");
    assert_eq!(
        config.limits.provoke_rate.map(|r| r.to_string()).as_deref(),
        Some("7/min")
    );
    // An empty text in the file is "not set" too.
    assert_eq!(config.push.apns_topic, None);

    let env = [
        ("NEXTAUTH_LISTEN", "127.0.0.1:9200"),
        ("NEXTAUTH_PROVOKE_RATE", "8/min"),
    ];
    let config = run(with_env(&env, &["--config", path.as_str()]));
    assert_eq!(config.listen.to_string(), "127.0.0.1:9200");
    assert_eq!(config.data_dir, PathBuf::from("/srv/a"));
    assert_eq!(
        config.limits.provoke_rate.map(|r| r.to_string()).as_deref(),
        Some("8/min")
    );
    let flag = run(with_env(
        &env,
        &["--config", path.as_str(), "--listen", "127.0.0.1:9300"],
    ));
    assert_eq!(flag.listen.to_string(), "127.0.0.1:9300");
    // The file named by the variable instead of the flag.
    let by_env = run(with_env(&[("NEXTAUTH_CONFIG", path.as_str())], &[]));
    assert_eq!(by_env.listen.to_string(), "127.0.0.1:9100");
    // A bad value in the file is named as the file's.
    std::fs::write(&file, "listen = \"nowhere\"\n").unwrap();
    let err = with_env(&[], &["--config", path.as_str()]).unwrap_err();
    assert!(err.to_string().contains("configuration file"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}
