//! Work the app does on its own: the periodic pull of push messages (so push logins reach a
//! desktop that has no push service), and deep links from the command line.

use std::sync::atomic::Ordering;
use std::time::Duration;

use nextauth_sdk::Sdk;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::error::IpcError;
use crate::events::NOTICE_EVENT;
use crate::state::AppState;

/// Environment variable with the pull interval in seconds (`0` turns the pull off; tests).
pub const PULL_INTERVAL_ENV: &str = "NEXTAUTH_PULL_SECS";
/// Default pull interval.
pub const DEFAULT_PULL_SECS: u64 = 15;

/// The pull interval from the environment, or the default.
pub fn pull_interval() -> Option<Duration> {
    let secs = std::env::var(PULL_INTERVAL_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_PULL_SECS);
    (secs > 0).then(|| Duration::from_secs(secs))
}

/// Pulls messages for every account every `interval`, skipping while a flow runs (a push
/// login would otherwise be refused as "another flow is in progress").
pub fn spawn_pull(sdk: Sdk, interval: Duration) {
    tauri::async_runtime::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if sdk.active_flow().is_some() {
                continue;
            }
            match sdk.accounts().await {
                Ok(accounts) if accounts.is_empty() => continue,
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(code = err.code(), "cannot list accounts for the pull");
                    continue;
                }
            }
            match sdk.pull_messages().await {
                Ok(0) => {}
                Ok(handled) => tracing::info!(handled, "pulled push messages"),
                Err(err) => tracing::info!(code = err.code(), %err, "pull of push messages failed"),
            }
        }
    });
}

/// Opens deep links (from the command line, a second launch, or the OS): queued until the UI
/// is ready to show their prompt, started at once afterwards. A link that cannot start is
/// reported to the UI as [`NOTICE_EVENT`].
pub fn open_links<R: Runtime>(app: &AppHandle<R>, links: Vec<String>) {
    if links.is_empty() {
        return;
    }
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    {
        // The same lock as `app_ready` takes, so no link slips between the check and the queue.
        let Ok(mut pending) = state.pending_links.lock() else {
            return;
        };
        if !state.ui_ready.load(Ordering::SeqCst) {
            pending.extend(links);
            return;
        }
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        for link in links {
            if let Err(err) = state.sdk.start_link(&link).await {
                let _ = app.emit(NOTICE_EVENT, IpcError::from(err));
            }
        }
    });
}

/// The deep links among command-line arguments: app-to-app URIs (`nextauth:…`) and `https://`
/// links (the SDK checks them against its accepted prefixes). At most four are kept.
pub fn links_from_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    args.into_iter()
        .map(|a| a.trim().to_owned())
        .filter(|a| {
            a.len() <= crate::commands::flows::MAX_LINK_LEN
                && (a.starts_with(nextauth_sdk::config::DEFAULT_SCHEME)
                    && a[nextauth_sdk::config::DEFAULT_SCHEME.len()..].starts_with(':')
                    || a.starts_with("https://"))
        })
        .take(4)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_links_are_taken_from_arguments() {
        let args = [
            "--verbose",
            "nextauth:AAEC",
            "https://example.org/q/AAEC",
            "http://plain.example",
            "nextauthx:zz",
            "/tmp/file.png",
        ]
        .map(String::from);
        assert_eq!(
            links_from_args(args),
            vec!["nextauth:AAEC", "https://example.org/q/AAEC"]
        );
    }
}
