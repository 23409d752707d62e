//! Commands on flows: start one from a link, answer its prompt, stop it, read the open one.
//! Flows started from images are in [`super::scan`]; their progress arrives as `sdk://event`.

use nextauth_sdk::{Flow, FlowState, PinInput, Response};
use tauri::State;

use crate::error::{codes, IpcError, IpcResult};
use crate::state::AppState;

/// Longest deep link accepted.
pub use nextauth_desktop::links::MAX_LINK_LEN;
/// Longest text for the website accepted with a login confirmation.
pub const MAX_USER_INPUT_LEN: usize = 1024;

/// Refuses an answer the UI should never send: text for the website or a number longer than
/// any prompt takes.
fn check_answer(answer: &Response) -> IpcResult<()> {
    if let Response::Confirm {
        user_input, number, ..
    } = answer
    {
        if user_input
            .as_ref()
            .is_some_and(|t| t.len() > MAX_USER_INPUT_LEN)
        {
            return Err(IpcError::bad_request(
                "the text for the website is too long",
            ));
        }
        if number.as_ref().is_some_and(|n| n.len() > 16) {
            return Err(IpcError::bad_request("the number is too long"));
        }
    }
    Ok(())
}

/// Starts a flow from a deep link (`https://…` with a configured prefix) or an app-to-app
/// URI (`nextauth:…`).
#[tauri::command]
pub async fn flow_start_link(state: State<'_, AppState>, link: String) -> IpcResult<Flow> {
    let link = link.trim();
    if link.is_empty() {
        return Err(IpcError::bad_request("the link is empty"));
    }
    if link.len() > MAX_LINK_LEN {
        return Err(IpcError::bad_request("the link is too long"));
    }
    Ok(state.start_link(link).await?)
}

/// Answers the open prompt of flow `flow_id` with the SDK's own answer type (`Response`, the
/// UI's `Answer`). An approval the settings protect comes with the person's PIN,
/// `approval_pin`, proven before the SDK sees the approval ([`confirm_it_is_you`]); the PIN is
/// moved straight into the SDK's wiping [`PinInput`] and never logged or stored.
#[tauri::command]
pub async fn flow_respond(
    state: State<'_, AppState>,
    flow_id: String,
    answer: Response,
    approval_pin: Option<PinInput>,
) -> IpcResult<()> {
    check_answer(&answer)?;
    if matches!(answer, Response::Confirm { .. }) {
        confirm_it_is_you(&state, &flow_id, approval_pin).await?;
    }
    let answered = state.sdk.respond(&flow_id, answer).await;
    if answered.is_err() {
        // Not approved after all: the proven PIN goes.
        if let Ok(mut verified) = state.verified_pin.lock() {
            verified.take();
        }
    }
    Ok(answered?)
}

/// Before a login or transaction the settings protect is approved, the person proves it is
/// them: on Linux with the app's PIN, checked by a server (the device cannot check a PIN
/// itself; docs/app.md says what other platforms would use). Nothing to prove with (no account
/// has a PIN) or a flow that is not asking for an approval lets the answer through; a missing
/// PIN is error 309, a wrong one the SDK's 128 (attempts count at the server). The PIN is kept
/// for this flow only, so the server's own question, if it asks, is answered with it
/// (`events.rs`) instead of asking the person twice.
pub async fn confirm_it_is_you(
    state: &AppState,
    flow_id: &str,
    pin: Option<PinInput>,
) -> IpcResult<()> {
    let Some(flow) = state.current_flow().filter(|f| f.id == flow_id) else {
        return Ok(()); // not the open flow: the SDK refuses the answer itself
    };
    if flow.state != FlowState::WaitingForConfirmation || !state.settings().asks_pin_for(flow.kind)
    {
        return Ok(());
    }
    if !state.sdk.accounts().await?.iter().any(|a| a.has_pin) {
        return Ok(());
    }
    let pin = pin.ok_or_else(|| {
        IpcError::new(
            codes::PIN_BEFORE_APPROVAL,
            "enter your PIN to approve (Settings: ask for my PIN before approving)",
        )
    })?;
    state.sdk.verify_pin(&pin).await?;
    if let Ok(mut verified) = state.verified_pin.lock() {
        *verified = Some((flow_id.to_owned(), pin));
    }
    Ok(())
}

/// Stops flow `flow_id` (or logs out the continuous session it opened).
#[tauri::command]
pub async fn flow_stop(state: State<'_, AppState>, flow_id: String) -> IpcResult<()> {
    Ok(state.sdk.stop(&flow_id).await?)
}

/// The open flow as last reported, if any.
#[tauri::command]
pub fn flow_current(state: State<'_, AppState>) -> Option<Flow> {
    state.current_flow()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_from_the_ui_shape() {
        let a: Response =
            serde_json::from_str(r#"{"type":"CONFIRM","accountId":"a1","userInput":"hi"}"#)
                .expect("confirm");
        assert!(matches!(
            a,
            Response::Confirm { account_id: Some(ref id), user_input: Some(ref t), number: None }
                if id == "a1" && t == "hi"
        ));
        let a: Response =
            serde_json::from_str(r#"{"type":"CONFIRM","number":"07"}"#).expect("number");
        assert!(matches!(a, Response::Confirm { number: Some(ref n), .. } if n == "07"));
        let a: Response = serde_json::from_str(r#"{"type":"NOT_ME"}"#).expect("not me");
        assert!(matches!(a, Response::NotMe { account_id: None }));
        let a: Response = serde_json::from_str(r#"{"type":"CONFIRM"}"#).expect("bare confirm");
        assert!(matches!(
            a,
            Response::Confirm {
                account_id: None,
                user_input: None,
                number: None
            }
        ));
        let a: Response = serde_json::from_str(r#"{"type":"PIN","pin":"2468"}"#).expect("pin");
        assert_eq!(
            format!("{a:?}"),
            "Pin { pin: PinInput(..) }",
            "the PIN never shows in logs"
        );
        let pin: Option<PinInput> = serde_json::from_str(r#""1357""#).expect("approval PIN");
        assert_eq!(
            format!("{pin:?}"),
            "Some(PinInput(..))",
            "a PIN with an approval never shows in logs either"
        );
        assert!(serde_json::from_str::<Response>(r#"{"type":"PIN"}"#).is_err());
        assert!(serde_json::from_str::<Response>(r#"{"type":"MAYBE"}"#).is_err());
        let long = Response::Confirm {
            account_id: None,
            user_input: Some("x".repeat(MAX_USER_INPUT_LEN + 1)),
            number: None,
        };
        assert_eq!(
            check_answer(&long).unwrap_err().code,
            crate::error::codes::BAD_REQUEST
        );
        let number = Response::Confirm {
            account_id: None,
            user_input: None,
            number: Some("1".repeat(17)),
        };
        assert_eq!(
            check_answer(&number).unwrap_err().code,
            crate::error::codes::BAD_REQUEST
        );
        assert!(check_answer(&Response::Deny).is_ok());
    }
}
