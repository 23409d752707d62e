// Entry point: the top bar, the router (#/…), the SDK event subscription and first load.

import './style.css';
import { applyTheme, focusHeading, loadAccounts, state, toast } from './app';
import { h, icon } from './dom';
import { explain } from './format';
import { api, asIpcError, hasTauri, onNotice, onResync, onScanRequest, onSdkEvent } from './ipc';
import { prompts } from './prompts/controller';
import { renderAccount } from './screens/account';
import { renderAccounts } from './screens/accounts';
import { renderScan } from './screens/scan';
import { isScanShortcut, scanFromAnywhere, shortcutHint } from './scan';
import { historyChanged, renderHistory } from './screens/history';
import { loadUnread, markMessagesSeen, messagesChanged, renderMessages, unreadMessages } from './screens/messages';
import { renderSettings } from './screens/settings';
import { renderStartupError } from './screens/startup';
import { renderWelcome } from './screens/welcome';

const main = document.getElementById('main') as HTMLElement;
const topbar = document.getElementById('topbar') as HTMLElement;

const NAV: [string, string, Parameters<typeof icon>[0]][] = [
  ['#/accounts', 'Accounts', 'users'],
  ['#/history', 'History', 'clock'],
  ['#/messages', 'Messages', 'mail'],
  ['#/settings', 'Settings', 'gear'],
];

function renderTopbar(): void {
  const route = location.hash || '#/accounts';
  topbar.replaceChildren(
    h(
      'a',
      { class: 'brand', href: '#/accounts', 'aria-label': 'nextAuth, accounts' },
      h('span', { class: 'mark', 'aria-hidden': 'true' }, icon('shield', 18)),
      h('span', { class: 'brand-name' }, 'nextAuth'),
    ),
    h(
      'nav',
      { 'aria-label': 'Main' },
      h(
        'ul',
        null,
        NAV.map(([href, label, ic]) =>
          h(
            'li',
            null,
            h(
              'a',
              {
                href,
                class: 'nav-link',
                'aria-current': route.startsWith(href) || (href === '#/accounts' && route.startsWith('#/account')) ? 'page' : undefined,
                'aria-label': href === '#/messages' ? messagesLabel() : undefined,
              },
              icon(ic, 18),
              h('span', null, label),
              // The space keeps "Messages 2" two words, as in the accessible name "Messages, 2 new".
              href === '#/messages' ? [' ', unreadBadge()] : null,
            ),
          ),
        ),
      ),
    ),
    // One Scan for everything (sign up, log in, approve): it reads the screen at once, the
    // prompt opens over the screen the person is on.
    h(
      'button',
      {
        type: 'button',
        class: 'primary scan-button',
        id: 'scan-button',
        'aria-keyshortcuts': 'Control+Alt+S',
        title: `Scan the screen for a nextAuth code (${shortcutHint()})`,
        onclick: () => void scanFromAnywhere(),
      },
      icon('screen', 18),
      h('span', null, 'Scan'),
    ),
  );
}

/** The count of messages that arrived while the messages screen was not shown (the link's
 *  accessible name says it: "Messages, 2 new"). */
function unreadBadge(): HTMLElement {
  const n = unreadMessages();
  return h('span', { class: 'nav-badge', id: 'messages-badge', 'aria-hidden': 'true', hidden: n === 0 }, n > 99 ? '99+' : String(n));
}

function messagesLabel(): string | undefined {
  const n = unreadMessages();
  return n ? `Messages, ${n} new` : undefined;
}

/** Updates the badge in place (the top bar keeps its focus). */
function updateUnreadBadge(): void {
  const badge = document.getElementById('messages-badge');
  const link = badge?.closest('a');
  if (!badge || !link) return;
  badge.replaceWith(unreadBadge());
  const label = messagesLabel();
  if (label) link.setAttribute('aria-label', label);
  else link.removeAttribute('aria-label');
}

let rendering = Promise.resolve();

/** Renders the screen for the current route. */
async function route(focus = true): Promise<void> {
  const hash = location.hash || '#/accounts';
  const [, name, arg] = hash.split('/');
  const firstRun = state.accounts.length === 0;
  document.body.dataset.screen = firstRun && (name === 'accounts' || !name) ? 'welcome' : name || 'accounts';
  if (name === 'messages') markMessagesSeen();
  renderTopbar();
  switch (name) {
    case 'account':
      await renderAccount(main, decodeURIComponent(arg ?? ''));
      break;
    case 'history':
      await renderHistory(main);
      break;
    case 'messages':
      await renderMessages(main);
      break;
    case 'settings':
      await renderSettings(main);
      break;
    case 'scan':
    case 'add':
      renderScan(main);
      break;
    default:
      if (firstRun) renderWelcome(main);
      else renderAccounts(main);
  }
  if (focus) focusHeading(main);
}

function rerender(focus: boolean): void {
  rendering = rendering.then(() => route(focus)).catch(() => undefined);
}

async function refreshAccounts(): Promise<void> {
  try {
    await loadAccounts();
  } catch (err) {
    toast(explain(asIpcError(err)), 'bad');
  }
  const name = (location.hash || '#/accounts').split('/')[1];
  // Lists follow account changes; other screens keep the person's place.
  if (!name || name === 'accounts' || name === 'account' || (name === 'add' && state.accounts.length === 1)) {
    rerender(false);
  } else if (name === 'messages') {
    messagesChanged(); // account names and logos
  }
}

async function start(): Promise<void> {
  if (!hasTauri()) {
    main.replaceChildren(
      h('div', { class: 'screen narrow' }, h('h1', null, 'nextAuth'), h('p', null, 'This page runs outside the nextAuth app.')),
    );
    return;
  }
  applyTheme(state.settings); // the OS's preference until the settings arrive
  // Data that could not be opened (a missing database, a key that does not fit): only that
  // screen, since every other command needs the data.
  const failure = await api.appStartupError().catch(() => null);
  if (failure) {
    topbar.replaceChildren();
    renderStartupError(main, failure);
    document.body.dataset.ready = 'true';
    return;
  }
  window.addEventListener('hashchange', () => rerender(true));
  document.addEventListener('keydown', (e) => {
    if (!isScanShortcut(e)) return;
    e.preventDefault();
    void scanFromAnywhere();
  });
  // A flow started from #/scan returns the person to where they were when its prompt closes.
  let before = '#/accounts';
  window.addEventListener('hashchange', (e) => {
    const from = new URL(e.oldURL).hash || '#/accounts';
    if (!/^#\/(scan|add)/.test(from)) before = from;
  });
  prompts.onClosed = () => {
    if (/^#\/(scan|add)/.test(location.hash)) location.hash = before;
  };
  // The skip link moves focus to the content; followed as a link, "#main" would be a route.
  document.querySelector('.skip-link')?.addEventListener('click', (e) => {
    e.preventDefault();
    focusHeading(main);
  });
  prompts.onFinished = (flow) => {
    historyChanged();
    if (flow.kind === 'ENROL' && flow.state === 'DONE') void refreshAccounts();
    // The account screen shows whether the app's own login (AppLogin) is still unlocking.
    else if ((location.hash || '').startsWith('#/account/')) rerender(false);
  };
  await onSdkEvent((event) => {
    switch (event.type) {
      case 'FLOW_UPDATE':
        prompts.update(event.flow);
        break;
      case 'ACCOUNT_UPDATE':
      case 'ACCOUNT_DELETED':
        void refreshAccounts();
        historyChanged();
        break;
      case 'SESSION_UPDATE':
        historyChanged();
        void refreshAccounts(); // the "Logged in now" list
        break;
      case 'MESSAGE_RECEIVED':
        toast(`${event.message.title}: ${event.message.body}`, 'info');
        historyChanged();
        if (!messagesChanged(true)) updateUnreadBadge();
        break;
      case 'ERROR':
        toast(explain(event.error), 'bad');
        historyChanged();
        break;
      default: {
        // A new SDK event (src-tauri's bindings) fails to compile here until it is handled.
        const unhandled: never = event;
        void unhandled;
      }
    }
  });
  await onNotice((notice) => toast(explain(notice), 'bad'));
  await onScanRequest(() => void scanFromAnywhere());
  await onResync(() => {
    void refreshAccounts();
    historyChanged();
    void api.flowCurrent().then((flow) => flow && prompts.update(flow));
  });
  try {
    const [settings, info] = await Promise.all([api.settingsGet(), api.appInfo()]);
    state.settings = settings;
    state.info = info;
    applyTheme(settings);
    await Promise.all([loadAccounts(), loadUnread()]);
  } catch (err) {
    toast(explain(asIpcError(err)), 'bad');
  }
  await route(false);
  // Listeners are attached: deep links from the command line start now.
  const ready = await api.appReady().catch((err) => {
    toast(explain(asIpcError(err)), 'bad');
    return null;
  });
  if (ready?.flow) prompts.update(ready.flow);
  for (const notice of ready?.notices ?? []) toast(explain(notice), 'bad');
  document.body.dataset.ready = 'true';
}

void start();
