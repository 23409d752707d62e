// One account: its server's parameters, the visual hash, and deletion.

import type { AccountDetail } from '../bindings/AccountDetail';
import { go, loadAccounts, logo, toast } from '../app';
import { h, icon } from '../dom';
import { ago, explain, when } from '../format';
import { api, asIpcError } from '../ipc';
import { openModal } from '../modal';
import { pauseControls } from '../pause';
import { appLoginCard } from '../applogin';

function pinTimeout(minutes: number): string {
  if (minutes < 0) return 'Never asked at login';
  if (minutes === 0) return 'Asked at every login';
  return `Asked again after ${minutes} min`;
}

export async function renderAccount(main: HTMLElement, id: string): Promise<void> {
  let detail: AccountDetail;
  try {
    detail = await api.accountDetail(id);
  } catch (err) {
    main.replaceChildren(
      h(
        'div',
        { class: 'screen narrow' },
        h('a', { href: '#/accounts', class: 'back' }, icon('back', 18), 'Accounts'),
        h('h1', null, 'Account not found'),
        h('p', null, explain(asIpcError(err))),
      ),
    );
    return;
  }
  const { account, server } = detail;
  const deleteBtn = h(
    'button',
    { type: 'button', class: 'danger', id: 'delete-account', onclick: () => confirmDelete() },
    icon('trash', 18),
    'Delete account',
  );

  function confirmDelete(): void {
    const status = h('p', { class: 'form-status bad', role: 'alert' });
    const yes = h(
      'button',
      {
        type: 'button',
        class: 'danger',
        id: 'confirm-delete',
        onclick: async () => {
          // Disabling the focused button would drop focus out of the dialog: it waits on the
          // dialog until the answer, and comes back if the deletion is refused (unless the
          // person moved it meanwhile).
          dialog.focus();
          yes.disabled = true;
          try {
            const result = await api.accountDelete(account.id);
            modal.close();
            toast(
              result.serverConfirmed
                ? `${account.displayName} was deleted.`
                : `${account.displayName} will be deleted as soon as ${account.serverName} can be reached.`,
              'ok',
            );
            await loadAccounts();
            go('#/accounts');
          } catch (err) {
            yes.disabled = false;
            status.textContent = explain(asIpcError(err));
            if (document.activeElement === dialog) yes.focus();
          }
        },
      },
      'Delete',
    );
    const no = h('button', { type: 'button', class: 'secondary', id: 'cancel-delete', onclick: () => modal.close() }, 'Keep it');
    const dialog = h(
      'div',
      {
        class: 'dialog small',
        id: 'delete-dialog',
        role: 'alertdialog',
        'aria-modal': 'true',
        'aria-labelledby': 'delete-title',
        'aria-describedby': 'delete-desc',
      },
      h('h2', { id: 'delete-title' }, `Delete ${account.displayName}?`),
      h(
        'p',
        { id: 'delete-desc' },
        `${account.serverName} is told, and you can no longer log in there with this app. This cannot be undone.`,
      ),
      status,
      h('div', { class: 'prompt-buttons' }, no, yes),
    );
    const modal = openModal(dialog, () => modal.close());
    no.focus();
  }

  main.replaceChildren(
    h(
      'div',
      { class: 'screen narrow' },
      h('a', { href: '#/accounts', class: 'back' }, icon('back', 18), 'Accounts'),
      h(
        'header',
        { class: 'detail-head' },
        logo(server ?? { name: account.serverName, logo: '' }, 56),
        h(
          'div',
          null,
          h('h1', null, account.displayName),
          h('p', { class: 'muted' }, account.serverName),
        ),
      ),
      account.pendingDelete
        ? h('div', { class: 'warning', role: 'note' }, icon('alert', 18), h('p', null, 'Deletion pending: the server has not confirmed yet. It is retried automatically.'))
        : null,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'acct-facts' },
        h('h2', { id: 'acct-facts' }, 'Account'),
        h(
          'dl',
          { class: 'facts' },
          h('dt', null, 'Added'),
          h('dd', null, when(account.created)),
          h('dt', null, 'Last login'),
          h('dd', null, account.lastLogin ? `${when(account.lastLogin)} (${ago(account.lastLogin)})` : 'Not used yet'),
          h('dt', null, 'PIN'),
          h('dd', null, account.hasPin ? 'Protected by your app PIN' : 'No PIN'),
        ),
      ),
      server
        ? h(
            'section',
            { class: 'card', 'aria-labelledby': 'server-facts' },
            h('h2', { id: 'server-facts' }, 'Server'),
            h(
              'div',
              { class: 'server-detail' },
              h(
                'figure',
                { class: 'vash' },
                h('img', {
                  src: `data:image/png;base64,${server.visualHash}`,
                  alt: 'Visual hash of the server’s parameters',
                  width: 112,
                  height: 112,
                }),
                h('figcaption', { class: 'small muted' }, 'Visual hash: the website shows the same picture when you add an account.'),
              ),
              h(
                'dl',
                { class: 'facts' },
                h('dt', null, 'Name'),
                h('dd', null, server.name),
                h('dt', null, 'Website'),
                h('dd', null, server.siteUrl || '—'),
                h('dt', null, 'Sessions'),
                h('dd', null, server.pingTime > 0 ? `Continuous (checked every ${server.pingTime} s)` : 'One-shot logins'),
                h('dt', null, 'PIN policy'),
                h('dd', null, server.requiresPin ? `Required · ${pinTimeout(server.pinTimeout)}` : 'Not required'),
                h('dt', null, 'Server id'),
                h('dd', { class: 'mono' }, server.serverId),
              ),
            ),
          )
        : null,
      account.pendingDelete
        ? null
        : h(
            'section',
            { class: 'card', 'aria-labelledby': 'requests' },
            h('h2', { id: 'requests' }, 'Login requests'),
            h(
              'p',
              { class: 'muted' },
              `If login requests arrive that you did not ask for, pause them: ${account.serverName} sends none to this account until then. Scanning a code still works.`,
            ),
            pauseControls(account.id, account.displayName),
          ),
      appLoginCard(account, server),
      h(
        'section',
        { class: 'card danger-zone', 'aria-labelledby': 'danger' },
        h('h2', { id: 'danger' }, 'Delete'),
        h('p', { class: 'muted' }, 'Removes the account from this app and from the website.'),
        deleteBtn,
      ),
    ),
  );
}
