// The only module that talks to Tauri. Every command has one typed wrapper here; the types
// come from ui/src/bindings (generated from the Rust types by ts-rs, checked by a Rust test).
// Tests replace window.__TAURI__ with a mock, so this edge is also the mocking seam.

import type { Account } from './bindings/Account';
import type { AccountDetail } from './bindings/AccountDetail';
import type { Answer } from './bindings/Answer';
import type { AppInfo } from './bindings/AppInfo';
import type { AppLoginStatus } from './bindings/AppLoginStatus';
import type { AppLoginToken } from './bindings/AppLoginToken';
import type { DeleteResult } from './bindings/DeleteResult';
import type { Event as SdkEvent } from './bindings/Event';
import type { Flow } from './bindings/Flow';
import type { HistoryFilter } from './bindings/HistoryFilter';
import type { HistoryPage } from './bindings/HistoryPage';
import type { IpcError } from './bindings/IpcError';
import type { StartupError } from './bindings/StartupError';
import type { Message } from './bindings/Message';
import type { Preview } from './bindings/Preview';
import type { CameraInfo } from './bindings/CameraInfo';
import type { PushPause } from './bindings/PushPause';
import type { ReadyState } from './bindings/ReadyState';
import type { ScreenScan } from './bindings/ScreenScan';
import type { Resync } from './bindings/Resync';
import type { Session } from './bindings/Session';
import type { ServerLinkPrefix } from './bindings/ServerLinkPrefix';
import type { Settings } from './bindings/Settings';

/** Tauri event carrying every SDK event (src-tauri/src/events.rs). */
export const SDK_EVENT = 'sdk://event';
/** Tauri event sent when SDK events were missed: reload everything. */
export const RESYNC_EVENT = 'sdk://resync';
/** Tauri event with a problem to show once (a deep link that could not start). */
export const NOTICE_EVENT = 'app://notice';
export const PREVIEW_EVENT = 'scanner://preview';
/** Tauri event: scan the screen now (the tray menu's "Scan screen"). */
export const SCAN_EVENT = 'app://scan-screen';

interface TauriGlobal {
  core: { invoke: (cmd: string, args?: Record<string, unknown>) => Promise<unknown> };
  event: {
    listen: (name: string, cb: (e: { payload: unknown }) => void) => Promise<() => void>;
  };
}

declare global {
  interface Window {
    __TAURI__?: TauriGlobal;
  }
}

/** Any rejection as the `{code, message}` the Rust side sends (code 0: not from Rust). */
export function asIpcError(err: unknown): IpcError {
  if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
    const e = err as { code: unknown; message: unknown };
    return { code: Number(e.code) || 0, message: String(e.message) };
  }
  return { code: 0, message: err instanceof Error ? err.message : String(err) };
}

function tauri(): TauriGlobal {
  const t = window.__TAURI__;
  if (!t) throw { code: 0, message: 'This page runs outside the nextAuth app.' } as IpcError;
  return t;
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return (await tauri().core.invoke(cmd, args)) as T;
  } catch (err) {
    throw asIpcError(err);
  }
}

/** The app's commands (src-tauri/src/commands). All reject with an IpcError. */
export const api = {
  appInfo: () => call<AppInfo>('app_info'),
  appReady: () => call<ReadyState>('app_ready'),
  startupError: () => call<StartupError | null>('app_startup_error'),
  accounts: () => call<Account[]>('account_list'),
  accountDetail: (accountId: string) => call<AccountDetail>('account_detail', { accountId }),
  deleteAccount: (accountId: string) => call<DeleteResult>('account_delete', { accountId }),
  /** Pauses push login requests to the account for `minutes` at its server (0 resumes them). */
  pausePush: (accountId: string, minutes: number) => call<PushPause>('account_pause_push', { accountId, minutes }),
  startLink: (link: string) => call<Flow>('flow_start_link', { link }),
  respond: (flowId: string, answer: Answer) => call<null>('flow_respond', { flowId, answer }),
  stopFlow: (flowId: string) => call<null>('flow_stop', { flowId }),
  currentFlow: () => call<Flow | null>('flow_current'),
  history: (filter: HistoryFilter) => call<HistoryPage>('history_list', { filter }),
  messages: () => call<Message[]>('message_list'),
  markMessagesRead: () => call<number>('message_mark_read'),
  deleteMessage: (messageId: string) => call<boolean>('message_delete', { messageId }),
  sessions: () => call<Session[]>('session_list'),
  logoutSession: (sessionId: string) => call<null>('session_logout', { sessionId }),
  scanImage: (path: string) => call<Flow>('scan_image', { path }),
  scanImageData: (data: string) => call<Flow>('scan_image_data', { data }),
  scanScreen: () => call<ScreenScan>('scan_screen'),
  cameraList: () => call<CameraInfo[]>('camera_list'),
  scanCamera: (cameraId?: string) => call<Flow>('scan_camera', { cameraId: cameraId ?? null }),
  cancelScan: () => call<null>('scan_cancel'),
  settings: () => call<Settings>('settings_get'),
  updateSettings: (settings: Settings) => call<Settings>('settings_update', { settings }),
  changePin: (current: string, next: string) => call<null>('pin_change', { current, new: next }),
  /** The https link prefixes the servers of the app's accounts announce (accepted unasked). */
  serverLinkPrefixes: () => call<ServerLinkPrefix[]>('settings_server_link_prefixes'),
  /** The app's own login (AppLogin, "unlock"). */
  appLoginStatus: () => call<AppLoginStatus>('app_login_status'),
  appLoginStart: () => call<AppLoginStatus>('app_login_start'),
  appLoginStop: () => call<AppLoginStatus>('app_login_stop'),
  appLoginToken: (audience: string) => call<AppLoginToken>('app_login_token', { audience }),
};

/** Calls `cb` for every SDK event. */
export function onSdkEvent(cb: (event: SdkEvent) => void): Promise<() => void> {
  return tauri().event.listen(SDK_EVENT, (e) => cb(e.payload as SdkEvent));
}

/** Calls `cb` when the bridge missed events. */
export function onResync(cb: (resync: Resync) => void): Promise<() => void> {
  return tauri().event.listen(RESYNC_EVENT, (e) => cb(e.payload as Resync));
}

/** Calls `cb` with each camera preview while a camera scan runs. */
export function onCameraPreview(cb: (preview: Preview) => void): Promise<() => void> {
  return tauri().event.listen(PREVIEW_EVENT, (e) => cb(e.payload as Preview));
}

/** Calls `cb` with problems to show once. */
export function onNotice(cb: (notice: IpcError) => void): Promise<() => void> {
  return tauri().event.listen(NOTICE_EVENT, (e) => cb(asIpcError(e.payload)));
}

/** Calls `cb` when the tray asks for a screen scan. */
export function onScanRequest(cb: () => void): Promise<() => void> {
  return tauri().event.listen(SCAN_EVENT, () => cb());
}

/** Whether the Tauri bridge is present at all. */
export function hasTauri(): boolean {
  return !!window.__TAURI__;
}
