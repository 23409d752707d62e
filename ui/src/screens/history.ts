// The history: every interaction, filterable by server and status, paged.

import type { HistoryEntry } from '../bindings/HistoryEntry';
import type { HistoryFilter } from '../bindings/HistoryFilter';
import type { HistoryStatus } from '../bindings/HistoryStatus';
import { state } from '../app';
import { h, icon } from '../dom';
import { ago, explain, KIND_LABEL, STATUS_LABEL, statusTone, when } from '../format';
import { api, asIpcError } from '../ipc';
import { pauseControls } from '../pause';
import { describeAgent } from '../prompts/views';

const PAGE = 25;

let reloadList: (() => void) | null = null;

let filter: { serverId: string; status: HistoryStatus | '' } = { serverId: '', status: '' };

/** A PUSH_PAUSED entry (the person paused or resumed login requests; the SDK's detail is
 *  "login requests paused for 60 min" or "login requests resumed"): its badge and a sentence. */
function pauseEntry(detail: string): { label: string; text: string } {
  if (/resumed/i.test(detail)) return { label: 'Login requests on', text: 'You resumed login requests to this account.' };
  const minutes = Number(/(\d+)\s*min/.exec(detail)?.[1] ?? NaN);
  const span =
    !Number.isFinite(minutes)
      ? ''
      : minutes % 1440 === 0
        ? ` for ${minutes / 1440} ${minutes === 1440 ? 'day' : 'days'}`
        : minutes % 60 === 0
          ? ` for ${minutes / 60} ${minutes === 60 ? 'hour' : 'hours'}`
          : ` for ${minutes} min`;
  return { label: STATUS_LABEL.PUSH_PAUSED, text: `You paused login requests to this account${span}.` };
}

function entry(e: HistoryEntry): HTMLElement {
  const tone = statusTone(e.status);
  const kind = KIND_LABEL[e.kind];
  const details: (HTMLElement | null)[] = [];
  const failed = e.errorCode !== null && e.errorCode !== undefined;
  const pause = e.status === 'PUSH_PAUSED' ? pauseEntry(e.detail) : null;
  if (pause) details.push(h('p', { class: 'small' }, pause.text));
  else if (e.detail && !failed) details.push(h('p', { class: 'small' }, e.detail));
  if (failed) {
    details.push(h('p', { class: 'small bad-text' }, `${explain({ code: e.errorCode ?? 0, message: e.detail })} (error ${e.errorCode})`));
  }
  if (e.announce && (e.announce.ip || e.announce.userAgent)) {
    details.push(
      h(
        'p',
        { class: 'small muted' },
        `From ${describeAgent(e.announce.userAgent)}${e.announce.ip ? `, ${e.announce.ip}` : ''}`,
      ),
    );
  }
  const notMe = e.status === 'NOT_ME';
  if (notMe) {
    details.push(
      h('p', { class: 'small' }, 'You said someone else tried this. The website was told, and it paused login requests to this account for a while.'),
    );
    const account = e.accountId ? state.accounts.find((a) => a.id === e.accountId) : undefined;
    if (account) details.push(pauseControls(account.id, account.displayName));
  }
  return h(
    'li',
    { class: `history-entry${notMe ? ' not-me' : ''}`, dataset: { id: String(e.id), status: e.status } },
    h('span', { class: `badge ${tone}` }, notMe ? icon('alert', 14) : null, pause?.label ?? STATUS_LABEL[e.status] ?? e.status),
    h(
      'div',
      { class: 'history-text' },
      h(
        'p',
        { class: 'history-title' },
        h('strong', null, kind),
        e.serverName ? ` · ${e.serverName}` : '',
        e.accountName ? h('span', { class: 'muted' }, ` · ${e.accountName}`) : '',
      ),
      details,
    ),
    h('time', { class: 'muted small', datetime: new Date(e.at * 1000).toISOString(), title: when(e.at) }, ago(e.at)),
  );
}

export async function renderHistory(main: HTMLElement): Promise<void> {
  const list = h('ol', { class: 'history-list', 'aria-label': 'History entries' });
  const status = h('p', { class: 'form-status', role: 'status' });
  const more = h('button', { type: 'button', class: 'secondary', id: 'load-more', hidden: true }, 'Load more');
  let before: number | null = null;
  // Each reset starts a new generation; a page that answers after a newer reset (two filters
  // changed quickly) is dropped instead of being appended to the new list.
  let generation = 0;

  const servers = new Map<string, string>();
  for (const a of state.accounts) servers.set(a.serverId, a.serverName);

  const serverSelect = h(
    'select',
    { id: 'filter-server' },
    h('option', { value: '' }, 'All servers'),
    [...servers.entries()].map(([id, name]) => h('option', { value: id, selected: filter.serverId === id }, name)),
  );
  const statusSelect = h(
    'select',
    { id: 'filter-status' },
    h('option', { value: '' }, 'All statuses'),
    (Object.keys(STATUS_LABEL) as HistoryStatus[])
      .filter((s) => s !== 'LOGGED_IN_ONE_SHOT')
      .map((s) => h('option', { value: s, selected: filter.status === s }, STATUS_LABEL[s])),
  );

  async function load(reset: boolean): Promise<void> {
    if (reset) {
      generation += 1;
      before = null;
      list.replaceChildren();
    }
    const mine = generation;
    more.disabled = true;
    const query: HistoryFilter = { limit: PAGE };
    if (before !== null) query.beforeId = before;
    if (filter.serverId) query.serverId = filter.serverId;
    if (filter.status) query.status = filter.status;
    try {
      const page = await api.historyList(query);
      if (mine !== generation) return;
      list.append(...page.entries.map(entry));
      before = page.entries.length ? page.entries[page.entries.length - 1].id : before;
      more.hidden = !page.more;
      const count = list.children.length;
      status.textContent = count
        ? `${count} ${count === 1 ? 'entry' : 'entries'}${page.more ? ' shown' : ''}`
        : filter.serverId || filter.status
          ? 'Nothing matches these filters.'
          : 'Nothing yet: logins, new accounts and approvals appear here.';
    } catch (err) {
      if (mine === generation) status.textContent = explain(asIpcError(err));
    } finally {
      if (mine === generation) more.disabled = false;
    }
  }

  serverSelect.addEventListener('change', () => {
    filter = { ...filter, serverId: serverSelect.value };
    void load(true);
  });
  statusSelect.addEventListener('change', () => {
    filter = { ...filter, status: statusSelect.value as HistoryStatus | '' };
    void load(true);
  });
  more.addEventListener('click', () => void load(false));
  reloadList = () => void load(true);

  main.replaceChildren(
    h(
      'div',
      { class: 'screen' },
      h('div', { class: 'screen-head' }, h('h1', null, 'History')),
      h(
        'div',
        { class: 'filters', role: 'group', 'aria-label': 'Filter the history' },
        h('label', { for: 'filter-server' }, 'Server'),
        serverSelect,
        h('label', { for: 'filter-status' }, 'Status'),
        statusSelect,
      ),
      status,
      list,
      h('div', { class: 'more-row' }, more),
    ),
  );
  await load(true);
}

/** Refreshes the list if the history screen is shown (new entries after a flow). */
export function historyChanged(): void {
  if (location.hash.startsWith('#/history')) reloadList?.();
}
