// Shared state of the UI and the little helpers every screen uses.

import type { Account } from './bindings/Account';
import type { AppInfo } from './bindings/AppInfo';
import type { IpcError } from './bindings/IpcError';
import type { ServerInfo } from './bindings/ServerInfo';
import type { Session } from './bindings/Session';
import type { Settings } from './bindings/Settings';
import { h, icon } from './dom';
import { api } from './ipc';
import { explain } from './format';

export const state = {
  accounts: [] as Account[],
  /** Continuous sessions active now (websites the person stays logged in to). */
  sessions: [] as Session[],
  /** Server parameters by server id (logo, visual hash), filled from account details. */
  servers: new Map<string, ServerInfo>(),
  info: null as AppInfo | null,
  settings: { notifications: true, theme: 'system', startOnLogin: false, keepInBackground: true, openLinks: false } as Settings,
};

/** Reloads the accounts (with the sessions active now) and the servers they belong to. */
export async function loadAccounts(): Promise<void> {
  [state.accounts, state.sessions] = await Promise.all([api.accounts(), api.sessions()]);
  const missing = new Map<string, string>();
  for (const a of state.accounts) {
    if (!state.servers.has(a.serverId) && !missing.has(a.serverId)) missing.set(a.serverId, a.id);
  }
  await Promise.all(
    [...missing.values()].map(async (accountId) => {
      try {
        const detail = await api.accountDetail(accountId);
        if (detail.server) state.servers.set(detail.server.serverId, detail.server);
      } catch {
        /* the list still shows; the logo is missing */
      }
    }),
  );
}

/** Applies the theme preference to the document. */
export function applyTheme(settings: Settings): void {
  document.documentElement.dataset.theme = settings.theme;
}

/** Shows a short message in the live region (announced by screen readers). */
export function toast(text: string, tone: 'ok' | 'bad' | 'info' = 'info'): void {
  const root = document.getElementById('toasts');
  if (!root) return;
  // One failure can arrive twice (the SDK's ERROR event and the command's answer): show it once.
  if ([...root.children].some((t) => t.textContent === text)) return;
  const el = h('div', { class: `toast ${tone}` }, icon(tone === 'bad' ? 'alert' : 'check', 18), text);
  root.appendChild(el);
  setTimeout(() => el.remove(), 5000);
}

/** Shows an error from a command as a toast. */
export function toastError(err: IpcError): void {
  toast(explain(err), 'bad');
}

/** A server logo (base64 PNG) or a lettered placeholder. */
export function logo(server: { name: string; logo: string } | undefined, size = 40): HTMLElement {
  const name = server?.name ?? '?';
  if (server?.logo) {
    return h('img', {
      class: 'logo',
      src: `data:image/png;base64,${server.logo}`,
      alt: '',
      width: size,
      height: size,
    });
  }
  return h(
    'span',
    { class: 'logo placeholder', style: `width:${size}px;height:${size}px`, 'aria-hidden': 'true' },
    name.trim().charAt(0).toUpperCase() || '?',
  );
}

/** Navigates to a route (`#/accounts`, `#/account/<id>`, ...). */
export function go(route: string): void {
  if (location.hash === route) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = route;
}

/** Moves focus to the main region's heading after a screen change. */
export function focusHeading(main: HTMLElement): void {
  const heading = main.querySelector<HTMLElement>('h1, h2');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: false });
  }
}
