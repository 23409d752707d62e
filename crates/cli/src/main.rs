//! `nextauth`: the authenticator on the command line, for people, scripts and tests.

mod args;
mod certs;
mod display;
mod input;
mod interact;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use args::{Command, Options};
use interact::Failure;
use nextauth_sdk::keystore::FileKeystore;
use nextauth_sdk::{Config, FlowKind, HistoryQuery, PinInput, Sdk};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("NEXTAUTH_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let (opts, command) = match args::parse(std::env::args_os()) {
        Ok(parsed) => parsed,
        // --help, --version: printed to standard output, no failure.
        Err(err) if !err.use_stderr() => {
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        // `nextauth qr`: the command's help (on standard error), usage error 2.
        Err(err)
            if err.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            let _ = err.print();
            return ExitCode::from(2);
        }
        Err(err) => {
            eprintln!("nextauth: {}", args::one_line(&err));
            return ExitCode::from(2);
        }
    };
    match run(&opts, command).await {
        Ok(code) => code,
        Err(f) if f.code == 0 => {
            eprintln!("nextauth: {}", f.message);
            ExitCode::FAILURE
        }
        Err(f) => {
            // The code once, even where the message names it already.
            let code = format!("(code {})", f.code);
            if f.message.ends_with(&code) {
                eprintln!("nextauth: {}", f.message);
            } else {
                eprintln!("nextauth: {} {code}", f.message);
            }
            ExitCode::FAILURE
        }
    }
}

fn data_dir(opts: &Options) -> PathBuf {
    opts.data
        .clone()
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/nextauth"))
        })
        .unwrap_or_else(|| PathBuf::from(".nextauth"))
}

async fn open(opts: &Options) -> Result<Sdk, Failure> {
    let dir = data_dir(opts);
    let keystore = FileKeystore::open_in(&dir).map_err(nextauth_sdk::SdkError::from)?;
    let mut config = Config::new(&dir);
    config
        .link_rules
        .https_prefixes
        .extend(opts.link_prefixes.iter().cloned());
    for file in &opts.ca_files {
        let certificates = certs::read_certificates(file).map_err(|e| Failure {
            code: 0,
            message: e,
        })?;
        config.extra_root_certificates.extend(certificates);
    }
    let sdk = Sdk::open(config, Arc::new(keystore)).await?;
    // What a stop, a crash or a full disk left unsettled is settled with the servers first.
    match sdk.reconcile().await {
        Ok(report) if report.enrolments_kept + report.enrolments_dropped > 0 => eprintln!(
            "Settled with the servers: {} enrolment(s) completed, {} dropped.",
            report.enrolments_kept, report.enrolments_dropped
        ),
        Ok(_) => {}
        Err(err) => eprintln!("nextauth: cannot settle with the servers yet: {err}"),
    }
    Ok(sdk)
}

fn print(opts: &Options, json: serde_json::Value, text: String) {
    if opts.json {
        println!("{json}");
    } else if !text.is_empty() {
        println!("{text}");
    }
}

async fn run(opts: &Options, command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Help => {
            print!("{}", args::long_help());
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions(shell) => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&args::completions(shell))
                .map_err(|e| Failure {
                    code: 0,
                    message: e.to_string(),
                })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::QrDecode(files) => {
            let mut all_read = true;
            for file in files {
                match input::decode_file(&file) {
                    Ok(Some(bytes)) => {
                        println!("{}: {}", file.display(), nextauth_protocol::hex(&bytes))
                    }
                    Ok(None) => println!("{}: none", file.display()),
                    Err(message) => {
                        eprintln!("nextauth: {message}");
                        all_read = false;
                    }
                }
            }
            Ok(if all_read {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Enrol(text) => {
            let start = input::parse_input(&text).map_err(|m| Failure {
                code: 32,
                message: m,
            })?;
            let sdk = open(opts).await?;
            let flow = interact::run(&sdk, start, opts, &[FlowKind::Enrol]).await?;
            let account = flow.account.clone();
            let text = match &account {
                Some(a) => format!(
                    "enrolled {} at {} (account {})",
                    a.display_name, a.server_name, a.id
                ),
                None => "declined".into(),
            };
            print(opts, serde_json::to_value(&flow).unwrap_or_default(), text);
            Ok(ExitCode::SUCCESS)
        }
        Command::Login(text) => {
            let start = input::parse_input(&text).map_err(|m| Failure {
                code: 32,
                message: m,
            })?;
            let sdk = open(opts).await?;
            let flow = interact::run(
                &sdk,
                start,
                opts,
                &[FlowKind::Login, FlowKind::SignTransaction],
            )
            .await?;
            let text = match (&flow.kind, &flow.account) {
                (FlowKind::SignTransaction, Some(_)) => "transaction answered".to_owned(),
                (_, Some(a)) => format!("logged in as {} at {}", a.display_name, a.server_name),
                _ => "declined".to_owned(),
            };
            print(opts, serde_json::to_value(&flow).unwrap_or_default(), text);
            Ok(ExitCode::SUCCESS)
        }
        Command::Accounts => {
            let accounts = open(opts).await?.accounts().await?;
            let text = accounts
                .iter()
                .map(|a| {
                    let pending = if a.pending_delete {
                        " (deletion pending)"
                    } else {
                        ""
                    };
                    format!("{}  {}  {}{pending}", a.id, a.server_name, a.display_name)
                })
                .collect::<Vec<_>>()
                .join("\n");
            print(
                opts,
                serde_json::to_value(&accounts).unwrap_or_default(),
                text,
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::History(limit) => {
            let query = HistoryQuery {
                limit: Some(limit),
                ..HistoryQuery::default()
            };
            let entries = open(opts).await?.history(&query).await?;
            let text = entries
                .iter()
                .map(|h| {
                    let code = h
                        .record
                        .error_code
                        .map(|c| format!(" (code {c})"))
                        .unwrap_or_default();
                    let status = serde_json::to_value(h.record.status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    format!(
                        "{}  {:<16} {:<20} {} {}{code}",
                        h.record.at,
                        h.record.kind,
                        status,
                        h.record.server_name,
                        h.record.account_name
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            print(
                opts,
                serde_json::to_value(&entries).unwrap_or_default(),
                text,
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Messages => {
            let messages = open(opts).await?.messages().await?;
            let text = messages
                .iter()
                .map(|m| format!("{}  {}: {}", m.received, m.title, m.body))
                .collect::<Vec<_>>()
                .join("\n");
            print(
                opts,
                serde_json::to_value(&messages).unwrap_or_default(),
                text,
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Delete(id) => {
            let confirmed = open(opts).await?.delete_account(&id).await?;
            let text = if confirmed {
                "deleted"
            } else {
                "deletion pending: the server will be told later"
            };
            print(
                opts,
                serde_json::json!({ "deleted": confirmed }),
                text.to_owned(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::PinChange => {
            let sdk = open(opts).await?;
            let current = match opts.pin.clone() {
                Some(p) => p,
                None => rpassword::prompt_password("Current PIN: ").map_err(|e| Failure {
                    code: 0,
                    message: e.to_string(),
                })?,
            };
            let new = match opts.new_pin.clone() {
                Some(p) => p,
                None => rpassword::prompt_password("New PIN: ").map_err(|e| Failure {
                    code: 0,
                    message: e.to_string(),
                })?,
            };
            sdk.change_pin(&PinInput::new(&current), &PinInput::new(&new))
                .await?;
            print(
                opts,
                serde_json::json!({ "changed": true }),
                "PIN changed".into(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Listen => listen(opts).await,
        Command::AppLogin(audience) => {
            let sdk = open(opts).await?;
            let (token, session) = interact::app_login(&sdk, opts, &audience).await?;
            // The token is the command's output (for the backend), never logged.
            print(
                opts,
                serde_json::to_value(&token).unwrap_or_default(),
                token.token.clone(),
            );
            if opts.stay {
                use nextauth_sdk::{Event, SessionState};
                let mut events = sdk.subscribe();
                eprintln!("Logged in as the app; keeping the session until Ctrl-C or logout.");
                loop {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => break,
                        event = events.recv() => match event {
                            Ok(Event::SessionUpdate { session: s })
                                if s.id == session && s.state == SessionState::LoggedOut =>
                            {
                                return Ok(ExitCode::SUCCESS);
                            }
                            Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                            _ => {}
                        },
                    }
                }
            }
            // Log out before exiting (else the server waits for the missed pings).
            let mut events = sdk.subscribe();
            if sdk.stop(&session).await.is_ok() {
                let ended = async {
                    while let Ok(event) = events.recv().await {
                        if matches!(event, nextauth_sdk::Event::SessionUpdate { session: ref s }
                            if s.id == session && s.state == nextauth_sdk::SessionState::LoggedOut)
                        {
                            break;
                        }
                    }
                };
                let _ = tokio::time::timeout(std::time::Duration::from_secs(5), ended).await;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Keeps a live connection to every account's server and handles what arrives (push logins
/// are asked like any login; with `--json` every event is printed as a line), until Ctrl-C.
async fn listen(opts: &Options) -> Result<ExitCode, Failure> {
    use nextauth_sdk::{Event, FlowState};
    use tokio::sync::broadcast::error::RecvError;

    let sdk = open(opts).await?;
    let mut events = sdk.subscribe();
    let _live = sdk.start_live_delivery();
    eprintln!("Listening for messages (Ctrl-C to stop).");
    loop {
        let event = tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
            event = events.recv() => match event {
                Ok(event) => event,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return Ok(ExitCode::SUCCESS),
            },
        };
        if opts.json {
            println!("{}", serde_json::to_value(&event).unwrap_or_default());
        }
        match &event {
            // A push login: answer it here (its later events are printed by `drive`).
            Event::FlowUpdate { flow } if flow.state == FlowState::WaitingForConfirmation => {
                if let Err(f) = interact::answer_pushed(&sdk, flow.clone(), opts, &mut events).await
                {
                    eprintln!("nextauth: {} (code {})", f.message, f.code);
                }
            }
            Event::MessageReceived { message } if !opts.json => {
                println!("{}: {}", message.title, message.body);
            }
            Event::AccountDeleted {
                account_id,
                by_server,
            } if !opts.json => {
                if *by_server {
                    eprintln!("Account {account_id} was deleted by its server.");
                } else {
                    eprintln!("Account {account_id} was deleted in this app.");
                }
            }
            _ => {}
        }
    }
}
