//! Answering a flow's questions from flags or terminal prompts.

use std::io::{IsTerminal, Write};

use nextauth_sdk::{
    Event, Flow, FlowKind, FlowState, Interaction, PinInput, Response, Sdk, SessionState,
};

use crate::args::Options;
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

fn show(flow: &Flow) {
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
            eprintln!("  Compare the visual hash with the one the website shows (see the app for the image).");
        }
        Some(Interaction::Confirm { accounts, announce }) => {
            eprintln!("Log in at {server}?");
            for item in &announce.info {
                eprintln!("  {}: {}", item.key, item.value);
            }
            if !announce.ip.is_empty() {
                eprintln!("  from {} ({})", announce.ip, announce.user_agent);
            }
            for (i, a) in accounts.iter().enumerate() {
                eprintln!("  [{}] {} ({})", i + 1, a.display_name, a.id);
            }
        }
        Some(Interaction::ConfirmTransaction {
            amount,
            beneficiary,
            description,
            ..
        }) => {
            eprintln!("Approve at {server}: {amount} to {beneficiary} ({description})?");
        }
        _ => {}
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
    drive(sdk, &flow.id, None, opts, &mut events).await
}

/// Answers a flow that a push message started and that already asks for confirmation.
pub async fn answer_pushed(
    sdk: &Sdk,
    flow: Flow,
    opts: &Options,
    events: &mut tokio::sync::broadcast::Receiver<Event>,
) -> Result<Flow, Failure> {
    let id = flow.id.clone();
    drive(sdk, &id, Some(Event::FlowUpdate { flow }), opts, events).await
}

/// Answers the flow `id` until it ends; `first` is an event already received.
async fn drive(
    sdk: &Sdk,
    id: &str,
    mut first: Option<Event>,
    opts: &Options,
    events: &mut tokio::sync::broadcast::Receiver<Event>,
) -> Result<Flow, Failure> {
    let mut pin_from_flag = opts
        .pin
        .clone()
        .or_else(|| std::env::var("NEXTAUTH_PIN").ok());
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
                    show(&f);
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
                    let response = if yes {
                        confirm(&f, opts).await?
                    } else {
                        Response::Deny
                    };
                    sdk.respond(&f.id, response).await?;
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
                    if retry && pin_from_flag.is_some() {
                        // A PIN given on the command line is not retried: it would only burn attempts.
                        let _ = sdk.stop(&f.id).await;
                        return Err(fail(128, "wrong PIN"));
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
                    sdk.respond(
                        &f.id,
                        Response::Pin {
                            pin: PinInput::new(&pin),
                        },
                    )
                    .await?;
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

async fn confirm(flow: &Flow, opts: &Options) -> Result<Response, Failure> {
    let accounts = match &flow.interaction {
        Some(
            Interaction::Confirm { accounts, .. }
            | Interaction::ConfirmTransaction { accounts, .. },
        ) => accounts.clone(),
        _ => Vec::new(),
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
    Ok(Response::Confirm {
        account_id,
        user_input: opts.user_input.clone(),
    })
}
