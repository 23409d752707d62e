// The only module that talks to Tauri. The commands, their arguments and results, and the
// event names come from the generated contract (ui/src/bindings/commands.ts, written from
// src-tauri/src/contract.rs by a Rust test that fails when it is stale); the types come from
// ui/src/bindings (ts-rs). Tests replace window.__TAURI__ with a mock, so this edge is also
// the mocking seam.

import { commands, EVENTS, type CommandName, type EventPayloads } from './bindings/commands';
import type { Event as SdkEvent } from './bindings/Event';
import type { IpcError } from './bindings/IpcError';
import type { Preview } from './bindings/Preview';
import type { Resync } from './bindings/Resync';

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

/**
 * The app's commands (src-tauri/src/commands), one typed function each, named after the
 * command (`account_list` → `api.accountList()`). All reject with an IpcError.
 */
export const api = commands(async (cmd: CommandName, args: object) => {
  try {
    // The result is what the contract says the command returns (CommandResults).
    return (await tauri().core.invoke(cmd, args as Record<string, unknown>)) as never;
  } catch (err) {
    throw asIpcError(err);
  }
});

/** Calls `cb` with the payload of every `name` event. */
function listen<K extends keyof EventPayloads>(name: K, cb: (payload: EventPayloads[K]) => void): Promise<() => void> {
  return tauri().event.listen(name, (e) => cb(e.payload as EventPayloads[K]));
}

/** Calls `cb` for every SDK event. */
export function onSdkEvent(cb: (event: SdkEvent) => void): Promise<() => void> {
  return listen(EVENTS.SDK_EVENT, cb);
}

/** Calls `cb` when the bridge missed events. */
export function onResync(cb: (resync: Resync) => void): Promise<() => void> {
  return listen(EVENTS.RESYNC_EVENT, cb);
}

/** Calls `cb` with each camera preview while a camera scan runs. */
export function onCameraPreview(cb: (preview: Preview) => void): Promise<() => void> {
  return listen(EVENTS.PREVIEW_EVENT, cb);
}

/** Calls `cb` with problems to show once. */
export function onNotice(cb: (notice: IpcError) => void): Promise<() => void> {
  return listen(EVENTS.NOTICE_EVENT, (notice) => cb(asIpcError(notice)));
}

/** Calls `cb` when the tray (or the desktop-wide shortcut) asks for a screen scan. */
export function onScanRequest(cb: () => void): Promise<() => void> {
  return listen(EVENTS.SCAN_EVENT, () => cb());
}

/** Whether the Tauri bridge is present at all. */
export function hasTauri(): boolean {
  return !!window.__TAURI__;
}
