// The accounts, grouped by server.

import type { Account } from '../bindings/Account';
import { logo, state } from '../app';
import { h, icon } from '../dom';
import { ago } from '../format';

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
