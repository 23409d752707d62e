// Generated from src-tauri/src/contract.rs by src-tauri/src/bindings.rs: do not edit.
// `UPDATE_BINDINGS=1 cargo test --workspace --lib bindings` rewrites it; the test fails when it is stale.

import type { Account } from './Account';
import type { AccountDetail } from './AccountDetail';
import type { Answer } from './Answer';
import type { AppInfo } from './AppInfo';
import type { AppLoginStatus } from './AppLoginStatus';
import type { AppLoginToken } from './AppLoginToken';
import type { CameraInfo } from './CameraInfo';
import type { DeleteResult } from './DeleteResult';
import type { Event } from './Event';
import type { Flow } from './Flow';
import type { HistoryFilter } from './HistoryFilter';
import type { HistoryPage } from './HistoryPage';
import type { IpcError } from './IpcError';
import type { Message } from './Message';
import type { Preview } from './Preview';
import type { PushPause } from './PushPause';
import type { ReadyState } from './ReadyState';
import type { Resync } from './Resync';
import type { ScreenScan } from './ScreenScan';
import type { ServerLinkPrefix } from './ServerLinkPrefix';
import type { Session } from './Session';
import type { Settings } from './Settings';
import type { StartupError } from './StartupError';

/** Every command the main window may invoke. */
export const COMMANDS = [
  'account_delete',
  'account_detail',
  'account_list',
  'account_pause_push',
  'app_info',
  'app_login_start',
  'app_login_status',
  'app_login_stop',
  'app_login_token',
  'app_ready',
  'app_startup_error',
  'flow_current',
  'flow_respond',
  'flow_start_link',
  'flow_stop',
  'history_list',
  'message_delete',
  'message_list',
  'message_mark_read',
  'camera_list',
  'scan_camera',
  'scan_cancel',
  'scan_image',
  'scan_image_data',
  'scan_screen',
  'session_list',
  'session_logout',
  'pin_change',
  'settings_get',
  'settings_server_link_prefixes',
  'settings_update',
] as const;

/** The name of a command. */
export type CommandName = (typeof COMMANDS)[number];

/** Each command's arguments, as sent (camelCase, as Tauri expects). */
export interface CommandArgs {
  account_delete: { accountId: string };
  account_detail: { accountId: string };
  account_list: Record<string, never>;
  account_pause_push: { accountId: string; minutes: number };
  app_info: Record<string, never>;
  app_login_start: Record<string, never>;
  app_login_status: Record<string, never>;
  app_login_stop: Record<string, never>;
  app_login_token: { audience: string };
  app_ready: Record<string, never>;
  app_startup_error: Record<string, never>;
  flow_current: Record<string, never>;
  flow_respond: { flowId: string; answer: Answer; approvalPin: string | null };
  flow_start_link: { link: string };
  flow_stop: { flowId: string };
  history_list: { filter: HistoryFilter };
  message_delete: { messageId: string };
  message_list: Record<string, never>;
  message_mark_read: Record<string, never>;
  camera_list: Record<string, never>;
  scan_camera: { cameraId: string | null };
  scan_cancel: Record<string, never>;
  scan_image: { path: string };
  scan_image_data: { data: string };
  scan_screen: Record<string, never>;
  session_list: Record<string, never>;
  session_logout: { sessionId: string };
  pin_change: { current: string; new: string };
  settings_get: Record<string, never>;
  settings_server_link_prefixes: Record<string, never>;
  settings_update: { settings: Settings };
}

/** Each command's result. */
export interface CommandResults {
  account_delete: DeleteResult;
  account_detail: AccountDetail;
  account_list: Array<Account>;
  account_pause_push: PushPause;
  app_info: AppInfo;
  app_login_start: AppLoginStatus;
  app_login_status: AppLoginStatus;
  app_login_stop: AppLoginStatus;
  app_login_token: AppLoginToken;
  app_ready: ReadyState;
  app_startup_error: StartupError | null;
  flow_current: Flow | null;
  flow_respond: null;
  flow_start_link: Flow;
  flow_stop: null;
  history_list: HistoryPage;
  message_delete: boolean;
  message_list: Array<Message>;
  message_mark_read: number;
  camera_list: Array<CameraInfo>;
  scan_camera: Flow;
  scan_cancel: null;
  scan_image: Flow;
  scan_image_data: Flow;
  scan_screen: ScreenScan;
  session_list: Array<Session>;
  session_logout: null;
  pin_change: null;
  settings_get: Settings;
  settings_server_link_prefixes: Array<ServerLinkPrefix>;
  settings_update: Settings;
}

/** Sends a command; it resolves with the command's result (the caller rejects with an IpcError). */
export type Invoke = <C extends CommandName>(command: C, args: CommandArgs[C]) => Promise<CommandResults[C]>;

/** One typed function per command (camelCase of its name), over `invoke`. */
export function commands(invoke: Invoke) {
  return {
    accountDelete: (accountId_: string) => invoke('account_delete', { accountId: accountId_ }),
    accountDetail: (accountId_: string) => invoke('account_detail', { accountId: accountId_ }),
    accountList: () => invoke('account_list', {}),
    accountPausePush: (accountId_: string, minutes_: number) => invoke('account_pause_push', { accountId: accountId_, minutes: minutes_ }),
    appInfo: () => invoke('app_info', {}),
    appLoginStart: () => invoke('app_login_start', {}),
    appLoginStatus: () => invoke('app_login_status', {}),
    appLoginStop: () => invoke('app_login_stop', {}),
    appLoginToken: (audience_: string) => invoke('app_login_token', { audience: audience_ }),
    appReady: () => invoke('app_ready', {}),
    appStartupError: () => invoke('app_startup_error', {}),
    flowCurrent: () => invoke('flow_current', {}),
    flowRespond: (flowId_: string, answer_: Answer, approvalPin_: string | null) => invoke('flow_respond', { flowId: flowId_, answer: answer_, approvalPin: approvalPin_ }),
    flowStartLink: (link_: string) => invoke('flow_start_link', { link: link_ }),
    flowStop: (flowId_: string) => invoke('flow_stop', { flowId: flowId_ }),
    historyList: (filter_: HistoryFilter) => invoke('history_list', { filter: filter_ }),
    messageDelete: (messageId_: string) => invoke('message_delete', { messageId: messageId_ }),
    messageList: () => invoke('message_list', {}),
    messageMarkRead: () => invoke('message_mark_read', {}),
    cameraList: () => invoke('camera_list', {}),
    scanCamera: (cameraId_: string | null) => invoke('scan_camera', { cameraId: cameraId_ }),
    scanCancel: () => invoke('scan_cancel', {}),
    scanImage: (path_: string) => invoke('scan_image', { path: path_ }),
    scanImageData: (data_: string) => invoke('scan_image_data', { data: data_ }),
    scanScreen: () => invoke('scan_screen', {}),
    sessionList: () => invoke('session_list', {}),
    sessionLogout: (sessionId_: string) => invoke('session_logout', { sessionId: sessionId_ }),
    pinChange: (current_: string, new_: string) => invoke('pin_change', { current: current_, new: new_ }),
    settingsGet: () => invoke('settings_get', {}),
    settingsServerLinkPrefixes: () => invoke('settings_server_link_prefixes', {}),
    settingsUpdate: (settings_: Settings) => invoke('settings_update', { settings: settings_ }),
  };
}

/** The Tauri events the app emits. */
export const EVENTS = {
  SDK_EVENT: 'sdk://event',
  RESYNC_EVENT: 'sdk://resync',
  NOTICE_EVENT: 'app://notice',
  PREVIEW_EVENT: 'scanner://preview',
  SCAN_EVENT: 'app://scan-screen',
} as const;

/** Each event's payload. */
export interface EventPayloads {
  'sdk://event': Event;
  'sdk://resync': Resync;
  'app://notice': IpcError;
  'scanner://preview': Preview;
  'app://scan-screen': null;
}
