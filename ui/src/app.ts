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
  settings: { notifications: true, theme: 'system', startOnLogin: false, keepInBackground: true, openLinks: false, askPinForLogins: false, askPinForTransactions: true, linkPrefixes: [], camera: null } as Settings,
};

/** Reloads the accounts (with the sessions active now) and the servers they belong to. */
export async function loadAccounts(): Promise<void> {
  [state.accounts, state.sessions] = await Promise.all([api.accountList(), api.sessionList()]);
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

const osPrefersDark = window.matchMedia('(prefers-color-scheme: dark)');

/** Applies the theme preference to the document: data-theme is the setting, data-scheme the
 *  palette shown (style.css defines the dark one once, for both ways of asking for it). */
export function applyTheme(settings: Settings): void {
  const root = document.documentElement;
  root.dataset.theme = settings.theme;
  const dark = settings.theme === 'dark' || (settings.theme === 'system' && osPrefersDark.matches);
  root.dataset.scheme = dark ? 'dark' : 'light';
}
// With the theme on "system", follow the OS when it switches while the app runs.
osPrefersDark.addEventListener('change', () => applyTheme(state.settings));

/** At most this many toasts stay; a new one pushes out the oldest. */
const MAX_TOASTS = 3;

/**
 * Shows a short message in the live region (announced by screen readers). It stays until the
 * person dismisses it: no timer takes it away while it is being read (WCAG 2.2.1).
 */
export function toast(text: string, tone: 'ok' | 'bad' | 'info' = 'info'): void {
  const root = document.getElementById('toasts');
  if (!root) return;
  // One failure can arrive twice at once (the SDK's ERROR event and the command's answer):
  // show it once. Said again later, it is news again: it moves to the end.
  const same = [...root.querySelectorAll<HTMLElement>('.toast')].find((t) => t.dataset.text === text);
  if (same && performance.now() - Number(same.dataset.shownAt) < 2000) return;
  same?.remove();
  const el = h(
    'div',
    { class: `toast ${tone}`, dataset: { text, shownAt: String(performance.now()) } },
    icon(tone === 'bad' ? 'alert' : 'check', 18),
    h('p', { class: 'toast-text' }, text),
    h(
      'button',
      { type: 'button', class: 'icon-button toast-dismiss', 'aria-label': 'Dismiss', onclick: () => dismissToast(el) },
      icon('x', 16),
    ),
  );
  root.appendChild(el);
  while (root.children.length > MAX_TOASTS) root.firstElementChild?.remove();
  makeRoomForToasts(root);
}

/** Removes a toast; focus on its button moves to the next toast's, or to the screen. */
function dismissToast(el: HTMLElement): void {
  const root = el.parentElement;
  const hadFocus = el.contains(document.activeElement);
  const neighbour = (el.nextElementSibling ?? el.previousElementSibling) as HTMLElement | null;
  el.remove();
  if (root) makeRoomForToasts(root);
  if (hadFocus) (neighbour?.querySelector('button') ?? document.getElementById('main'))?.focus();
}

/** Toasts stay, so the screen gets room below its content for them (style.css: main's
 *  padding): scrolled to the end, nothing is left under a toast. */
function makeRoomForToasts(root: HTMLElement): void {
  document.body.style.setProperty('--toasts-height', `${root.offsetHeight}px`);
}

// Escape dismisses the newest toast when no dialog is open (a dialog's Escape is its own).
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || e.defaultPrevented || document.body.classList.contains('modal-open')) return;
  const newest = document.querySelector<HTMLElement>('#toasts .toast:last-child');
  if (newest) dismissToast(newest);
});

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
