// The accounts, grouped by server.

import type { Account } from '../bindings/Account';
import type { Session } from '../bindings/Session';
import { logo, state, toastError } from '../app';
import { h, icon } from '../dom';
import { ago } from '../format';
import { api, asIpcError } from '../ipc';
import { scanActions } from './scan';

function initials(name: string): string {
  const parts = name
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .trim()
    .split(/\s+/);
  return ((parts[0]?.[0] ?? '?') + (parts[1]?.[0] ?? '')).toUpperCase();
}

function row(a: Account): HTMLElement {
  const last = a.lastLogin ? `Last login ${ago(a.lastLogin)}` : 'Not used yet';
  return h(
    'li',
    null,
    h(
      'a',
      { class: 'account-row', href: `#/account/${encodeURIComponent(a.id)}`, dataset: { account: a.id } },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(a.displayName)),
      h(
        'span',
        { class: 'account-text' },
        h('span', { class: 'account-name' }, a.displayName),
        h('span', { class: 'muted small' }, last),
      ),
      a.pendingDelete ? h('span', { class: 'badge warn' }, 'Deleting') : null,
      a.hasPin ? h('span', { class: 'badge', title: 'Protected by your PIN' }, icon('key', 14), 'PIN') : null,
      h('span', { class: 'chevron', 'aria-hidden': 'true' }, '›'),
    ),
  );
}

/** One active session with its log-out button. */
function sessionRow(session: Session): HTMLElement {
  const label = `Log out of ${session.server.name} as ${session.account.displayName}`;
  const button = h(
    'button',
    {
      type: 'button',
      class: 'secondary small',
      id: `logout-${session.id}`,
      'aria-label': label,
      onclick: async () => {
        button.disabled = true;
        button.textContent = 'Logging out…';
        try {
          // The list refreshes on the session's LOGGED_OUT event.
          await api.sessionLogout(session.id);
        } catch (err) {
          toastError(asIpcError(err));
          button.disabled = false;
          button.textContent = 'Log out';
        }
      },
    },
    'Log out',
  ) as HTMLButtonElement;
  return h(
    'li',
    { class: 'session-row', dataset: { session: session.id } },
    logo(session.server, 32),
    h(
      'span',
      { class: 'account-text' },
      h('span', { class: 'account-name' }, session.server.name),
      h('span', { class: 'muted small' }, `as ${session.account.displayName}`),
    ),
    button,
  );
}

/** The websites the person is logged in to now (continuous sessions), if any. */
function sessionsCard(): HTMLElement | null {
  if (state.sessions.length === 0) return null;
  return h(
    'section',
    { class: 'card sessions', 'aria-labelledby': 'sessions-heading' },
    h('h2', { id: 'sessions-heading' }, 'Logged in now'),
    h(
      'p',
      { class: 'muted small' },
      'These websites keep you logged in while this app is running. Log out here to end the session on the website too.',
    ),
    h('ul', { class: 'session-list' }, state.sessions.map(sessionRow)),
  );
}

export function renderAccounts(main: HTMLElement): void {
  const groups = new Map<string, Account[]>();
  for (const a of state.accounts) {
    const list = groups.get(a.serverId) ?? [];
    list.push(a);
    groups.set(a.serverId, list);
  }
  const sorted = [...groups.entries()].sort((x, y) =>
    (x[1][0]?.serverName ?? '').localeCompare(y[1][0]?.serverName ?? ''),
  );
  main.replaceChildren(
    h(
      'div',
      { class: 'screen' },
      h(
        'div',
        { class: 'screen-head' },
        h('h1', null, 'Accounts'),
        h('span', { class: 'muted' }, `${state.accounts.length} ${state.accounts.length === 1 ? 'account' : 'accounts'}`),
      ),
      // The one way in for everything the websites ask: sign up, log in, approve.
      scanActions({ headingLevel: 'h2' }),
      sessionsCard(),
      sorted.map(([serverId, accounts]) => {
        const server = state.servers.get(serverId);
        const name = server?.name || accounts[0]?.serverName || 'Unknown server';
        const headingId = `server-${serverId.replace(/[^A-Za-z0-9_-]/g, '')}`;
        return h(
          'section',
          { class: 'card server-group', 'aria-labelledby': headingId },
          h(
            'header',
            { class: 'server-head' },
            logo({ name, logo: server?.logo ?? '' }, 36),
            h(
              'div',
              null,
              h('h2', { id: headingId }, name),
              server?.siteUrl ? h('p', { class: 'muted small' }, server.siteUrl) : null,
            ),
          ),
          h('ul', { class: 'account-list' }, accounts.map(row)),
        );
      }),
    ),
  );
}
