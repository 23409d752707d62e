// Words and numbers as people read them.

import type { FlowKind } from './bindings/FlowKind';
import type { HistoryKind } from './bindings/HistoryKind';
import type { HistoryStatus } from './bindings/HistoryStatus';
import type { IpcError } from './bindings/IpcError';
import { Code } from './bindings/codes';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "12 Mar 2026, 14:05" from Unix seconds. */
export function when(unixSeconds: number): string {
  return dateTime.format(new Date(unixSeconds * 1000));
}

/** "5 minutes ago", "yesterday" from Unix seconds (`now` for tests). */
export function ago(unixSeconds: number, now = Date.now() / 1000): string {
  const d = unixSeconds - now;
  const abs = Math.abs(d);
  if (abs < 45) return 'just now';
  if (abs < 3600) return relative.format(Math.round(d / 60), 'minute');
  if (abs < 86400) return relative.format(Math.round(d / 3600), 'hour');
  if (abs < 86400 * 30) return relative.format(Math.round(d / 86400), 'day');
  return when(unixSeconds);
}

export const STATUS_LABEL: Record<HistoryStatus, string> = {
  LOGGED_IN: 'Logged in',
  LOGGED_IN_ONE_SHOT: 'Logged in',
  LOGGED_OUT: 'Logged out',
  ABORTED: 'Declined',
  DELETED: 'Deleted',
  ERROR: 'Failed',
  ENROLLED: 'Account added',
  APPROVED: 'Approved',
  DECLINED: 'Declined',
  MESSAGE: 'Message',
  PIN_CHANGED: 'PIN changed',
  NOT_ME: 'Reported: not me',
  PUSH_PAUSED: 'Login requests paused',
  BIOMETRICS_ADDED: 'Biometric unlock on',
  BIOMETRICS_REMOVED: 'Biometric unlock off',
};

const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

/** "14:05" today, "13 Mar 2026, 09:00" another day, from Unix seconds (`now` for tests). */
export function clock(unixSeconds: number, now = Date.now() / 1000): string {
  const day = (s: number) => new Date(s * 1000).toDateString();
  return day(unixSeconds) === day(now) ? timeOnly.format(new Date(unixSeconds * 1000)) : when(unixSeconds);
}

/** The tone of a status badge (NOT_ME: someone else tried, a warning). */
export function statusTone(status: HistoryStatus): 'ok' | 'bad' | 'warn' | 'neutral' {
  switch (status) {
    case 'NOT_ME':
      return 'warn';
    case 'LOGGED_IN':
    case 'LOGGED_IN_ONE_SHOT':
    case 'ENROLLED':
    case 'APPROVED':
    case 'PIN_CHANGED':
    case 'BIOMETRICS_ADDED':
      return 'ok';
    case 'ERROR':
    case 'DECLINED':
    case 'ABORTED':
      return 'bad';
    default:
      return 'neutral';
  }
}

export const KIND_LABEL: Record<HistoryKind, string> = {
  ENROL: 'New account',
  LOGIN: 'Login',
  SIGN_TRANSACTION: 'Transaction',
  CHANGE_PIN: 'PIN change',
  ADD_BIOMETRICS: 'Biometric unlock',
  REMOVE_BIOMETRICS: 'Biometric unlock',
  PUSH: 'Push message',
  DELETE: 'Account deletion',
  PAUSE_PUSH: 'Login requests',
  SCAN: 'Scan',
};

export const FLOW_LABEL: Record<FlowKind, string> = {
  ENROL: 'Adding an account',
  LOGIN: 'Login',
  SIGN_TRANSACTION: 'Transaction',
  CHANGE_PIN: 'PIN change',
  ADD_BIOMETRICS: 'Biometric unlock',
  REMOVE_BIOMETRICS: 'Biometric unlock',
};

/** A sentence for people about an error, by its stable code (docs/sdk.md, docs/app.md). */
export function explain(err: IpcError): string {
  switch (err.code) {
    case Code.MALFORMED:
    case Code.UNKNOWN_TYPE:
      return 'This is not a nextAuth code, or it is damaged.';
    case Code.NO_APP_LOGIN:
      return 'The app is locked. Unlock it on the account screen first.';
    case Code.NO_ACCOUNTS_FOR_SERVER:
      return 'You have no account at this website yet. Scan its sign-up code first.';
    case Code.DISPLAY_NAME_EXISTS:
      return 'An account with this name already exists for this website.';
    case Code.SINGLE_ACCOUNT:
      return 'This app holds a single account and already has one.';
    case Code.ENROL_EXPIRED:
      return 'This sign-up code has expired or was already used. Ask the website for a new one.';
    case Code.SERVER_AUTHENTICATION:
      return 'The website could not be verified, or it no longer knows this account.';
    case Code.TIMEOUT:
      return 'The website did not answer in time. Try again.';
    case Code.SERVER_NOT_ALLOWED:
      return 'This website is not allowed in this app.';
    case Code.PARAMS_HASH_MISMATCH:
      return 'The website’s details do not match its code. Do not continue with this code.';
    case Code.MESSAGE_EXPIRED:
      return 'This request has expired.';
    case Code.REPLAYED:
      return 'This request was already handled.';
    case Code.ACCOUNT_BLOCKED:
      return 'The website has blocked this account.';
    case Code.PIN_BLOCKED:
      return 'Your PIN is blocked after too many wrong attempts. Contact the website to reset it; you will then choose a new PIN.';
    case Code.LOGIN_EXPIRED:
      return 'This login has expired. Reload the page on the website and scan again.';
    case Code.TRANSACTION_EXPIRED:
      return 'This transaction has expired or was already answered.';
    case Code.WRONG_NUMBER:
      return 'That is not the number the website showed, so nothing was approved and the website was told. If it was you, look at the number in your browser and try again.';
    case Code.UNREACHABLE:
      return 'The website’s server could not be reached. Check your connection and try again.';
    case Code.CONNECTION_LOST:
      return 'The connection to the website was lost.';
    case Code.FLOW_ACTIVE:
      return 'Another request is still open. Finish or cancel it first.';
    case Code.PINNED_KEY_MISMATCH:
      return 'The website’s server is not the one this app was set up to trust. Nothing was sent.';
    case Code.IMPERSONATED_SERVER:
    case Code.ENDPOINT_MISMATCH:
      // The SDK names the website the code pretends to be (docs/security.md).
      return `${err.message.replace(/^./, (c) => c.toUpperCase())}. Do not use this code; nothing was changed.`;
    case Code.PIN_QUESTION_REPLACED:
      return 'Another device or window asked for this PIN meanwhile. Try again.';
    case Code.BIOMETRICS_UNAVAILABLE:
      return 'Biometrics are not available on this device. Use your PIN.';
    case Code.BIOMETRICS_DECLINED:
      return 'The biometric check was not passed.';
    case Code.SCAN_CANCELLED:
      return 'The camera scan was stopped.';
    case Code.UNTRUSTED_SERVER:
      return 'The website’s server could not prove who it is (its certificate is not trusted). Nothing was sent.';
    case Code.INVALID_INPUT:
      if (/number the browser shows/.test(err.message)) return 'Give the number your browser shows first.';
      return err.message.replace(/^invalid input: /, '').replace(/^./, (c) => c.toUpperCase()) + '.';
    case Code.WRONG_PIN:
      return 'The current PIN is wrong.';
    case Code.NO_QR_CODE:
      return 'No QR code was found in that image.';
    case Code.IMAGE_UNREADABLE:
      return 'That file could not be read as an image (PNG or JPEG).';
    case Code.SCREEN_CAPTURE_UNAVAILABLE:
      return 'The screen cannot be captured here. Open a saved image of the code instead.';
    case Code.NO_CAMERA:
      return 'No camera found. Scan from the screen or open an image instead.';
    case Code.CAMERA_BUSY:
      return 'The camera is in use by another program. Close that program and try again.';
    case Code.CAMERA_DENIED:
      // The SDK side names what to do on this system (the video group, the privacy settings).
      return err.message.replace(/^./, (c) => c.toUpperCase());
    case Code.CAMERA_LOST:
      return 'The camera stopped sending pictures. Is it still connected?';
    case Code.START_ON_LOGIN:
      return 'Starting nextAuth when you log in could not be changed on this computer.';
    case Code.PIN_BEFORE_APPROVAL:
      return 'Enter your PIN to approve this.';
    case Code.LINK_HANDLER:
      return 'This computer did not let nextAuth change which app opens nextauth: links.';
    default:
      return err.message.replace(/^./, (c) => c.toUpperCase());
  }
}
