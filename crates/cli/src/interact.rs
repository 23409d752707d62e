//! Answering a flow's questions from flags or terminal prompts.

use std::io::{IsTerminal, Write};

use nextauth_sdk::{
    Event, Flow, FlowKind, FlowState, Interaction, LoginCheck, NumberAsk, PinInput, Response, Sdk,
    SessionState,
};

use nextauth_protocol::crypto::HASH_LEN;
use nextauth_protocol::qr::{decode_link, QrPayload};

use crate::args::Options;
use crate::display;
use crate::input::Start;

/// A failure with the SDK's numeric code when there is one.
#[derive(Debug)]
pub struct Failure {
    /// Code (0 for CLI usage errors).
    pub code: u16,
    /// One line.
    pub message: String,
}

impl From<nextauth_sdk::SdkError> for Failure {
    fn from(e: nextauth_sdk::SdkError) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

fn fail(code: u16, message: impl Into<String>) -> Failure {
    Failure {
        code,
        message: message.into(),
    }
}

async fn ask(prompt: String, secret: bool) -> Result<String, Failure> {
    if !std::io::stdin().is_terminal() && secret {
        return Err(fail(0, "a PIN is needed: pass --pin or NEXTAUTH_PIN"));
    }
    tokio::task::spawn_blocking(move || {
        if secret {
            rpassword::prompt_password(prompt).map_err(|e| fail(0, e.to_string()))
        } else {
            eprint!("{prompt}");
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| fail(0, e.to_string()))?;
            Ok(line.trim().to_owned())
        }
    })
    .await
    .map_err(|e| fail(0, e.to_string()))?
}

fn show(flow: &Flow, enrol_hash: Option<&[u8; HASH_LEN]>) {
    let server = flow.server.as_ref().map(|s| s.name.as_str()).unwrap_or("?");
    match &flow.interaction {
        Some(Interaction::ConfirmEnrol {
            display_name,
            existing_accounts,
        }) => {
            eprintln!("Enrol at {server} as \"{display_name}\".");
            if !existing_accounts.is_empty() {
                eprintln!(
                    "  You already have {} account(s) there.",
                    existing_accounts.len()
                );
            }
            match enrol_hash {
                Some(hash) => {
                    eprintln!("  The website shows this picture next to its code. Is it the same?");
                    eprint!(
                        "{}",
                        display::visual_hash(hash, display::colour_on_stderr())
                    );
                }
                None => eprintln!("  (No visual hash: this code carries none to compare.)"),
            }
        }
        Some(Interaction::Confirm {
            accounts,
            announce,
            check,
        }) => {
            eprintln!("Log in at {server}?");
            show_check(check);
            eprintln!("  The website says:");
            for item in &announce.info {
                eprintln!("    {}: {}", item.key, item.value);
            }
            // Who asks, as the app shows it: approve only if that is you.
            eprintln!(
                "    Browser: {}",
                display::describe_agent(&announce.user_agent)
            );
            let ip = if announce.ip.is_empty() {
                "unknown"
            } else {
                &announce.ip
            };
            eprintln!("    Address: {ip}");
            for (i, a) in accounts.iter().enumerate() {
                eprintln!("  [{}] {} ({})", i + 1, a.display_name, a.id);
            }
        }
        Some(Interaction::ConfirmTransaction {
            amount,
            beneficiary,
            description,
            check,
            ..
        }) => {
            eprintln!("Approve at {server}: {amount} to {beneficiary} ({description})?");
            show_check(check);
        }
        _ => {}
    }
}

/// What the server saw of the browser, and the relay warning.
fn show_check(check: &LoginCheck) {
    let o = &check.observed;
    if o.seen_at == 0 {
        eprintln!("  The server did not see the browser that asks.");
    } else {
        let browser = if o.browser.is_empty() {
            "an unknown browser"
        } else {
            &o.browser
        };
        let location = if o.location.is_empty() {
            "location unknown"
        } else {
            &o.location
        };
        eprintln!("  Seen by the server: {browser}, {} ({location}).", o.ip);
    }
    if check.relay_warning {
        eprintln!(
            "  WARNING: This login was started on another network than this device. If you did \
             not just start it here, deny it (--not-me)."
        );
    }
}

/// Runs a flow to its end, answering with `opts` or prompts. `expect` refuses codes of another
/// kind (an enrol command given a login code).
pub async fn run(
    sdk: &Sdk,
    start: Start,
    opts: &Options,
    expect: &[FlowKind],
) -> Result<Flow, Failure> {
    let mut events = sdk.subscribe();
    // An enrol code carries the hash of the website's parameters: its picture is what the
    // website shows next to the code (and what the SDK checks the server against).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let payload = match &start {
        Start::Bytes(bytes) => QrPayload::decode(bytes, now).ok(),
        Start::Link(link) => decode_link(link, &sdk.link_rules(), now).ok(),
    };
    let enrol_hash = match payload {
        Some(QrPayload::Enrol(code)) => Some(code.params_hash),
        _ => None,
    };
    let flow = match start {
        Start::Bytes(bytes) => sdk.start_qr(&bytes).await?,
        Start::Link(link) => sdk.start_link(&link).await?,
    };
    if !expect.contains(&flow.kind) {
        let _ = sdk.stop(&flow.id).await;
        return Err(fail(
            33,
            format!(
                "this is a {:?} code, not what the command expects",
                flow.kind
            ),
        ));
    }
    drive(sdk, &flow.id, None, opts, &mut events, enrol_hash.as_ref()).await
}

/// AppLogin: logs the CLI's single account in as the app itself (the PIN when due) and gets a
/// token for `audience`. Returns the token and the session's id (its flow's).
pub async fn app_login(
    sdk: &Sdk,
    opts: &Options,
    audience: &str,
) -> Result<(nextauth_sdk::AppToken, String), Failure> {
    let mut events = sdk.subscribe();
    let login = sdk.app_login().await?;
    let once = Options {
        stay: false,
        ..opts.clone()
    };
    drive(sdk, &login.flow_id, None, &once, &mut events, None).await?;
    let token = sdk.app_login_token(audience).await?;
    Ok((token, login.flow_id))
}

/// Answers a flow that a push message started and that already asks for confirmation.
pub async fn answer_pushed(
    sdk: &Sdk,
    flow: Flow,
    opts: &Options,
    events: &mut tokio::sync::broadcast::Receiver<Event>,
) -> Result<Flow, Failure> {
    let id = flow.id.clone();
    drive(
        sdk,
        &id,
        Some(Event::FlowUpdate { flow }),
        opts,
        events,
        None,
    )
    .await
}

/// Answers the flow `id` until it ends; `first` is an event already received.
async fn drive(
    sdk: &Sdk,
    id: &str,
    mut first: Option<Event>,
    opts: &Options,
    events: &mut tokio::sync::broadcast::Receiver<Event>,
    enrol_hash: Option<&[u8; HASH_LEN]>,
) -> Result<Flow, Failure> {
    // --pin or NEXTAUTH_PIN (clap reads the variable).
    let mut pin_from_flag = opts.pin.clone();
    // A PIN given on the command line is used once and never retried (a retry would only
    // burn attempts): a wrong one is the wrong-PIN error, not a request for a PIN.
    let pin_given = pin_from_flag.is_some();
    let mut done: Option<Flow> = None;
    loop {
        let event = match first.take() {
            Some(event) => event,
            None => events
                .recv()
                .await
                .map_err(|_| fail(0, "the SDK stopped"))?,
        };
        match event {
            Event::FlowUpdate { flow: f } if f.id == id => match f.state {
                FlowState::WaitingForConfirmation => {
                    show(&f, enrol_hash);
                    let yes = match opts.answer {
                        Some(answer) => answer,
                        None if std::io::stdin().is_terminal() => {
                            matches!(
                                ask("Approve? [y/N] ".into(), false)
                                    .await?
                                    .to_lowercase()
                                    .as_str(),
                                "y" | "yes"
                            )
                        }
                        None => return Err(fail(0, "confirmation needed: pass --yes or --deny")),
                    };
                    let response = if opts.not_me {
                        Response::NotMe {
                            account_id: opts.account.clone(),
                        }
                    } else if yes {
                        confirm(&f, opts).await?
                    } else {
                        Response::Deny
                    };
                    answer(sdk, &f.id, response).await?;
                }
                FlowState::WaitingForInput => {
                    let (first, retry) = match f.interaction {
                        Some(Interaction::SetSecondFactor) => (true, false),
                        Some(Interaction::VerifySecondFactor {
                            retry,
                            remaining_attempts,
                        }) => {
                            if retry {
                                eprintln!("Wrong PIN ({remaining_attempts} attempts left).");
                            }
                            (false, retry)
                        }
                        _ => (false, false),
                    };
                    if retry && pin_given {
                        let _ = sdk.stop(&f.id).await;
                        let left = match f.interaction {
                            Some(Interaction::VerifySecondFactor {
                                remaining_attempts, ..
                            }) => remaining_attempts,
                            _ => 0,
                        };
                        return Err(fail(128, format!("wrong PIN ({left} attempts left)")));
                    }
                    let pin = match pin_from_flag.take() {
                        Some(pin) => pin,
                        None if first => {
                            let a = ask("Choose a PIN (4-16 digits): ".into(), true).await?;
                            let b = ask("Repeat the PIN: ".into(), true).await?;
                            if a != b {
                                let _ = sdk.stop(&f.id).await;
                                return Err(fail(126, "the PINs differ"));
                            }
                            a
                        }
                        None => ask("PIN: ".into(), true).await?,
                    };
                    let pin = Response::Pin {
                        pin: PinInput::new(&pin),
                    };
                    answer(sdk, &f.id, pin).await?;
                }
                FlowState::Done => {
                    let continuous = f.server.as_ref().is_some_and(|s| s.ping_time > 0);
                    if !(opts.stay && continuous && f.kind == FlowKind::Login) {
                        return Ok(f);
                    }
                    eprintln!("Logged in; keeping the session until Ctrl-C or logout.");
                    done = Some(f);
                }
                FlowState::Error => {
                    let e = f.error.unwrap_or(nextauth_sdk::ErrorInfo {
                        code: 0,
                        message: "failed".into(),
                    });
                    return Err(Failure {
                        code: e.code,
                        message: e.message,
                    });
                }
                _ => {}
            },
            Event::SessionUpdate { session }
                if session.id == id && session.state == SessionState::LoggedOut =>
            {
                if let Some(f) = done.take() {
                    eprintln!("Session ended.");
                    return Ok(f);
                }
            }
            _ => {}
        }
    }
}

/// Answers the flow. A flow that ended meanwhile (its connection broke, the disk filled) is
/// not an error here: its end, with the real cause, is the next update `drive` reads.
async fn answer(sdk: &Sdk, id: &str, response: Response) -> Result<(), Failure> {
    match sdk.respond(id, response).await {
        Ok(())
        | Err(nextauth_sdk::SdkError::Engine(nextauth_sdk::engine::EngineError::UnknownFlow)) => {
            Ok(())
        }
        Err(err) => Err(err.into()),
    }
}

async fn confirm(flow: &Flow, opts: &Options) -> Result<Response, Failure> {
    let (accounts, asked) = match &flow.interaction {
        Some(
            Interaction::Confirm {
                accounts, check, ..
            }
            | Interaction::ConfirmTransaction {
                accounts, check, ..
            },
        ) => (accounts.clone(), check.number.clone()),
        _ => (Vec::new(), NumberAsk::None),
    };
    let account_id = match &opts.account {
        Some(id) => Some(id.clone()),
        None if accounts.len() > 1 && std::io::stdin().is_terminal() => {
            let pick = ask(format!("Account [1-{}]: ", accounts.len()), false).await?;
            let index: usize = pick.parse().map_err(|_| fail(125, "no such account"))?;
            Some(
                accounts
                    .get(index.wrapping_sub(1))
                    .ok_or(fail(125, "no such account"))?
                    .id
                    .clone(),
            )
        }
        None => None,
    };
    let number = match (&asked, &opts.number) {
        (NumberAsk::None, _) => None,
        (_, Some(n)) => Some(n.clone()),
        (NumberAsk::Choose { choices }, None) if std::io::stdin().is_terminal() => Some(
            ask(
                format!(
                    "Which number does the browser show? ({}) ",
                    choices.join(" / ")
                ),
                false,
            )
            .await?,
        ),
        (NumberAsk::Type { digits }, None) if std::io::stdin().is_terminal() => Some(
            ask(
                format!("Type the {digits}-digit number the browser shows: "),
                false,
            )
            .await?,
        ),
        (_, None) => {
            return Err(fail(
                126,
                "the browser shows a number this login asks for: pass --number N",
            ))
        }
    };
    Ok(Response::Confirm {
        account_id,
        user_input: opts.user_input.clone(),
        number,
    })
}
