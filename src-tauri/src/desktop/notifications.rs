//! Desktop notifications (notify-rust): a new request replaces the last notification, a click
//! brings the window forward (Linux and the BSDs), and the notification is withdrawn once its
//! prompt no longer asks anything.

use nextauth_desktop::notifications::prompt_notification;
use nextauth_sdk::Flow;
use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

/// The window was closed while `flow` waits for the person: the notification that brings it
/// back is shown again (it may have been dismissed), so the request is not left invisible.
/// Returns false when no notification can be shown (turned off, or no notification service):
/// the window must then stay.
pub fn notify_waiting_prompt<R: Runtime>(app: &AppHandle<R>, flow: &Flow) -> bool {
    let enabled = app
        .try_state::<AppState>()
        .is_some_and(|s| s.settings().notifications);
    let Some((title, body)) = prompt_notification(flow).filter(|_| enabled && can_notify()) else {
        return false;
    };
    notify(app, title, body);
    true
}

/// Whether the desktop shows notifications (a notification service answers).
fn can_notify() -> bool {
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        notify_rust::get_server_information().is_ok()
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        true
    }
}

/// Tells the person that closing the window left the app running in the tray.
pub fn notify_still_running<R: Runtime>(app: &AppHandle<R>) {
    notify(
        app,
        "nextAuth is still running".to_owned(),
        "It waits in the tray for login requests. Quit it from the tray's menu.".to_owned(),
    );
}

/// Shows a desktop notification; failure (no notification service) is logged, not fatal. On
/// Linux and the BSDs a click on it brings the window forward (its "default" action).
pub(crate) fn notify<R: Runtime>(app: &AppHandle<R>, title: String, body: String) {
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let mut notification = notify_rust::Notification::new();
        notification.appname("nextAuth").summary(&title).body(&body);
        #[cfg(all(unix, not(target_os = "macos")))]
        click_to_open::show(&app, notification);
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        {
            let _ = &app;
            if let Err(err) = notification.show() {
                tracing::info!(%err, "desktop notification not shown");
            }
        }
    });
}

/// Freedesktop notifications that open the app when clicked. They share one slot: a new
/// request replaces the previous notification (a person answers one prompt at a time), one
/// blocking thread waits for clicks on whatever occupies the slot until it is clicked or closed,
/// and the notification is withdrawn once its prompt is answered or ends.
#[cfg(all(unix, not(target_os = "macos")))]
mod click_to_open {
    use std::sync::Mutex;

    use notify_rust::{ActionResponse, NotificationHandle};
    use tauri::{AppHandle, Runtime};

    /// How long a notification stays up: about as long as a website waits for an answer.
    const SHOWN_MS: u32 = 120_000;

    struct Slot {
        /// The notification shown now (the next one replaces it; withdrawing closes it).
        shown: Option<NotificationHandle>,
        /// Whether a thread waits for a click on it.
        waiting: bool,
    }

    static SLOT: Mutex<Slot> = Mutex::new(Slot {
        shown: None,
        waiting: false,
    });

    pub(super) fn show<R: Runtime>(
        app: &AppHandle<R>,
        mut notification: notify_rust::Notification,
    ) {
        notification
            .action("default", "Open nextAuth")
            .timeout(notify_rust::Timeout::Milliseconds(SHOWN_MS));
        let Ok(mut slot) = SLOT.lock() else { return };
        if let Some(previous) = &slot.shown {
            notification.id(previous.id());
        }
        let handle = match notification.show() {
            Ok(handle) => handle,
            Err(err) => {
                tracing::info!(%err, "desktop notification not shown");
                return;
            }
        };
        let id = handle.id();
        slot.shown = Some(handle);
        if std::mem::replace(&mut slot.waiting, true) {
            return; // the thread already waiting on this id serves the new notification
        }
        drop(slot);
        /// Frees the slot however the wait ends (notify-rust panics on a broken bus).
        struct Done;
        impl Drop for Done {
            fn drop(&mut self) {
                if let Ok(mut slot) = SLOT.lock() {
                    *slot = Slot {
                        shown: None,
                        waiting: false,
                    };
                }
            }
        }
        let _done = Done;
        let _ = notify_rust::handle_action(id, |response| {
            if let ActionResponse::Custom("default") = response {
                tracing::info!("notification clicked");
                crate::events::show_main_window(app);
            }
        });
    }

    /// Closes the notification shown now, if any (its prompt was answered or ended).
    pub(super) fn withdraw() {
        let shown = SLOT.lock().ok().and_then(|mut slot| slot.shown.take());
        if let Some(handle) = shown {
            tauri::async_runtime::spawn_blocking(move || {
                tracing::info!("notification withdrawn");
                handle.close();
            });
        }
    }
}

/// Withdraws the notification shown now, if any: its prompt no longer asks anything.
pub(crate) fn withdraw() {
    #[cfg(all(unix, not(target_os = "macos")))]
    click_to_open::withdraw();
}
