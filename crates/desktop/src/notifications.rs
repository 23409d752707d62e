//! The words of the app's desktop notifications, decided without Tauri (the app's
//! `events.rs` shows them).

use nextauth_sdk::{Flow, Interaction};

/// The notification that asks the person to answer `flow`, if it asks something.
pub fn prompt_notification(flow: &Flow) -> Option<(String, String)> {
    let server = flow
        .server
        .as_ref()
        .map(|s| s.name.as_str())
        .unwrap_or("a website");
    Some(match &flow.interaction {
        Some(Interaction::Confirm { .. }) => (
            format!("Log in to {server}?"),
            "Open nextAuth to approve or deny the login.".to_owned(),
        ),
        Some(Interaction::ConfirmTransaction { amount, .. }) => (
            format!("Approve a transaction at {server}?"),
            format!("Amount: {amount}. Open nextAuth to approve or decline."),
        ),
        Some(Interaction::ConfirmEnrol { .. }) => (
            format!("Add an account at {server}?"),
            "Open nextAuth to compare the picture and confirm.".to_owned(),
        ),
        Some(Interaction::VerifySecondFactor { .. } | Interaction::SetSecondFactor) => (
            format!("{server} waits for your PIN"),
            "Open nextAuth to enter it.".to_owned(),
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(interaction: Option<Interaction>) -> Flow {
        Flow {
            id: "f1".into(),
            kind: nextauth_sdk::FlowKind::Login,
            state: nextauth_sdk::FlowState::WaitingForConfirmation,
            interaction,
            server: None,
            account: None,
            error: None,
        }
    }

    #[test]
    fn only_questions_are_notified() {
        assert_eq!(prompt_notification(&flow(None)), None);
        let pin = prompt_notification(&flow(Some(Interaction::SetSecondFactor)));
        assert_eq!(
            pin,
            Some((
                "a website waits for your PIN".to_owned(),
                "Open nextAuth to enter it.".to_owned()
            ))
        );
    }
}
