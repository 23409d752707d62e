//! Commands on the history of interactions and the messages servers sent (listed, marked
//! read, deleted).

use nextauth_sdk::{HistoryEntry, HistoryQuery, HistoryStatus, Message};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::IpcResult;
use crate::state::AppState;

/// Default page size of the history screen.
pub const DEFAULT_PAGE: u32 = 50;
/// Largest page the UI may ask for.
pub const MAX_PAGE: u32 = 200;

/// Which history entries to show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct HistoryFilter {
    /// Entries older than this id ("load more"); none starts at the newest.
    #[cfg_attr(test, ts(optional, type = "number"))]
    pub before_id: Option<i64>,
    /// Page size (1 to 200, default 50).
    #[cfg_attr(test, ts(optional))]
    pub limit: Option<u32>,
    /// Only this server (base64url id).
    #[cfg_attr(test, ts(optional))]
    pub server_id: Option<String>,
    /// Only this status.
    #[cfg_attr(test, ts(optional))]
    pub status: Option<HistoryStatus>,
}

/// One page of history, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    /// The entries.
    pub entries: Vec<HistoryEntry>,
    /// Whether older entries exist (ask again with `beforeId` = the last entry's id).
    pub more: bool,
}

/// A page of the history (`invoke('history_list', { filter })`).
#[tauri::command]
pub async fn history_list(
    state: State<'_, AppState>,
    filter: HistoryFilter,
) -> IpcResult<HistoryPage> {
    let limit = filter.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    // One more than asked tells whether another page exists.
    let query = HistoryQuery {
        before_id: filter.before_id,
        limit: Some(limit + 1),
        server_id: filter.server_id.filter(|s| !s.is_empty()),
        status: filter.status,
    };
    let mut entries = state.sdk.history(&query).await?;
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    Ok(HistoryPage { entries, more })
}

/// Messages servers sent, newest first.
#[tauri::command]
pub async fn message_list(state: State<'_, AppState>) -> IpcResult<Vec<Message>> {
    Ok(state.sdk.messages().await?)
}

/// Marks every message read (the person opened the messages screen); returns how many were
/// unread.
#[tauri::command]
pub async fn message_mark_read(state: State<'_, AppState>) -> IpcResult<u32> {
    let marked = state.sdk.mark_messages_read().await?;
    Ok(u32::try_from(marked).unwrap_or(u32::MAX))
}

/// Deletes one message; returns whether it existed.
#[tauri::command]
pub async fn message_delete(state: State<'_, AppState>, message_id: String) -> IpcResult<bool> {
    Ok(state.sdk.delete_message(&message_id).await?)
}
