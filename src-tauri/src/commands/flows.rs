//! Commands on flows: start one from a link, answer its prompt, stop it, read the open one.
//! Flows started from images are in [`super::scan`]; their progress arrives as `sdk://event`.

use nextauth_sdk::{Flow, PinInput, Response};
use serde::Deserialize;
use tauri::State;

use crate::error::{IpcError, IpcResult};
use crate::state::AppState;

/// Longest link accepted from the UI (a login link is under 200 characters).
pub const MAX_LINK_LEN: usize = 4096;
/// Longest text for the website accepted with a login confirmation.
pub const MAX_USER_INPUT_LEN: usize = 1024;

/// The person's answer to the open prompt (the SDK's `Response` as the UI sends it).
///
/// `{"type":"CONFIRM","accountId":"…","userInput":"…"}`, `{"type":"DENY"}`,
/// `{"type":"PIN","pin":"2468"}`, `{"type":"CANCEL"}`. The PIN is moved straight into the
/// SDK's wiping [`PinInput`] and never logged or stored.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Answer {
    /// Yes (login: with the chosen account and optional text for the website).
    Confirm {
        /// The account, when several fit.
        #[serde(default, rename = "accountId")]
        #[cfg_attr(test, ts(optional))]
        account_id: Option<String>,
        /// Text for the website.
        #[serde(default, rename = "userInput")]
        #[cfg_attr(test, ts(optional))]
        user_input: Option<String>,
    },
    /// No.
    Deny,
    /// The PIN (4 to 16 digits).
    Pin {
        /// The digits.
        #[cfg_attr(test, ts(type = "string"))]
        pin: PinInput,
    },
    /// Stop the flow.
    Cancel,
}

impl TryFrom<Answer> for Response {
    type Error = IpcError;

    fn try_from(answer: Answer) -> IpcResult<Self> {
        Ok(match answer {
            Answer::Confirm {
                account_id,
                user_input,
            } => {
                if user_input
                    .as_ref()
                    .is_some_and(|t| t.len() > MAX_USER_INPUT_LEN)
                {
                    return Err(IpcError::bad_request(
                        "the text for the website is too long",
                    ));
                }
                Response::Confirm {
                    account_id,
                    user_input,
                }
            }
            Answer::Deny => Response::Deny,
            Answer::Pin { pin } => Response::Pin { pin },
            Answer::Cancel => Response::Cancel,
        })
    }
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
    Ok(state.sdk.start_link(link).await?)
}

/// Answers the open prompt of flow `flow_id`.
#[tauri::command]
pub async fn flow_respond(
    state: State<'_, AppState>,
    flow_id: String,
    answer: Answer,
) -> IpcResult<()> {
    let response = Response::try_from(answer)?;
    Ok(state.sdk.respond(&flow_id, response).await?)
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
        let a: Answer =
            serde_json::from_str(r#"{"type":"CONFIRM","accountId":"a1","userInput":"hi"}"#)
                .expect("confirm");
        assert!(matches!(
            Response::try_from(a),
            Ok(Response::Confirm { account_id: Some(ref id), user_input: Some(ref t) })
                if id == "a1" && t == "hi"
        ));
        let a: Answer = serde_json::from_str(r#"{"type":"CONFIRM"}"#).expect("bare confirm");
        assert!(matches!(
            Response::try_from(a),
            Ok(Response::Confirm {
                account_id: None,
                user_input: None
            })
        ));
        let a: Answer = serde_json::from_str(r#"{"type":"PIN","pin":"2468"}"#).expect("pin");
        assert_eq!(
            format!("{a:?}"),
            "Pin { pin: PinInput(..) }",
            "the PIN never shows in logs"
        );
        assert!(serde_json::from_str::<Answer>(r#"{"type":"PIN"}"#).is_err());
        assert!(serde_json::from_str::<Answer>(r#"{"type":"MAYBE"}"#).is_err());
        let long = "x".repeat(MAX_USER_INPUT_LEN + 1);
        let a = Answer::Confirm {
            account_id: None,
            user_input: Some(long),
        };
        assert_eq!(
            Response::try_from(a).map(|_| ()).unwrap_err().code,
            crate::error::codes::BAD_REQUEST
        );
    }
}
