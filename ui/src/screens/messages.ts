// Messages: what websites sent through their message centre (push messages of kind
// "message"), newest first, with the website, the account and the time.

import type { Message } from '../bindings/Message';
import { logo, state, toast, toastError } from '../app';
import { h, icon } from '../dom';
import { ago, explain, when } from '../format';
import { api, asIpcError } from '../ipc';

/** Reloads the list on screen; set while the messages screen is shown. */
let reloadList: (() => Promise<void>) | null = null;

/** Messages that arrived since the person last opened this screen (the nav badge). */
let unread = 0;

/** How many messages arrived while the screen was not shown (since the app started). */
export function unreadMessages(): number {
  return unread;
}

/** The person opened the messages screen (the screen marks the messages read once shown). */
export function markMessagesSeen(): void {
  unread = 0;
}

/** Counts the messages not read yet (at start: those that arrived while the app was closed). */
export async function loadUnread(): Promise<void> {
  unread = (await api.messageList()).filter((m) => !m.read).length;
}

function item(m: Message, index: number): HTMLElement {
  const account = state.accounts.find((a) => a.id === m.accountId);
  const server = account ? state.servers.get(account.serverId) : undefined;
  const serverName = server?.name || account?.serverName || 'A website';
  const titleId = `message-title-${index}`;
  return h(
    'li',
    { class: 'message', dataset: { id: m.id, account: m.accountId } },
    h(
      'article',
      { 'aria-labelledby': titleId },
      h(
        'div',
        { class: 'message-head' },
        logo({ name: serverName, logo: server?.logo ?? '' }, 32),
        h(
          'p',
          { class: 'message-from' },
          h('strong', null, serverName),
          h('span', { class: 'muted' }, account ? ` · ${account.displayName}` : ' · account removed'),
        ),
        h(
          'time',
          { class: 'muted small', datetime: new Date(m.received * 1000).toISOString(), title: when(m.received) },
          ago(m.received),
        ),
      ),
      h(
        'div',
        { class: 'message-title-row' },
        h('h2', { class: 'message-title', id: titleId }, m.title || 'Message'),
        m.read ? null : h('span', { class: 'badge ok' }, 'New'),
        h(
          'button',
          {
            type: 'button',
            class: 'icon-button',
            'aria-label': `Delete message “${m.title || 'Message'}”`,
            title: 'Delete',
            onclick: async () => {
              try {
                await api.messageDelete(m.id);
                toast('Message deleted.', 'ok');
              } catch (err) {
                toastError(asIpcError(err));
              }
              if (reloadList) await reloadList();
            },
          },
          icon('trash', 18),
        ),
      ),
      m.body ? h('p', { class: 'message-body' }, m.body) : null,
    ),
  );
}

function emptyState(): HTMLElement {
  return h(
    'section',
    { class: 'card empty', 'aria-labelledby': 'messages-empty-heading' },
    h('span', { class: 'empty-icon', 'aria-hidden': 'true' }, icon('mail', 28)),
    h('h2', { id: 'messages-empty-heading' }, 'No messages yet'),
    h(
      'p',
      { class: 'muted' },
      'Websites where you have an account can send you messages through nextAuth, ' +
        'for example a notice about your account or a security alert. They appear here as soon as they arrive, newest first.',
    ),
  );
}

export async function renderMessages(main: HTMLElement): Promise<void> {
  const list = h('ol', { class: 'message-list', 'aria-label': 'Messages, newest first' });
  const status = h('p', { class: 'muted message-count', role: 'status' });
  const body = h('div', null);
  let generation = 0;

  async function load(): Promise<void> {
    const mine = ++generation;
    try {
      const messages = await api.messageList();
      if (mine !== generation) return; // a newer load is on its way
      messages.sort((a, b) => b.received - a.received);
      list.replaceChildren(...messages.map(item));
      status.className = 'muted message-count';
      status.textContent = messages.length
        ? `${messages.length} ${messages.length === 1 ? 'message' : 'messages'}`
        : '';
      body.replaceChildren(messages.length ? list : emptyState());
      // Shown now: read (they keep their "New" mark until the next visit).
      if (messages.some((m) => !m.read)) void api.messageMarkRead().catch(() => undefined);
    } catch (err) {
      if (mine !== generation) return;
      status.textContent = explain(asIpcError(err));
      status.className = 'message-count bad-text';
    }
  }
  reloadList = load;

  main.replaceChildren(
    h(
      'div',
      { class: 'screen narrow' },
      h('div', { class: 'screen-head' }, h('h1', null, 'Messages'), status),
      body,
    ),
  );
  await load();
}

/**
 * A message arrived (or accounts changed): refreshes the list if the messages screen is
 * shown, else counts it for the navigation badge. Returns whether the screen was refreshed.
 */
export function messagesChanged(arrived = false): boolean {
  if (location.hash.startsWith('#/messages') && reloadList) {
    void reloadList();
    return true;
  }
  if (arrived) unread++;
  return false;
}
