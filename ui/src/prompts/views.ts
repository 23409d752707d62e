// What the prompt dialog shows for each step of a flow.

import type { Account } from '../bindings/Account';
import type { Announce } from '../bindings/Announce';
import type { Flow } from '../bindings/Flow';
import type { Interaction } from '../bindings/Interaction';
import type { IpcError } from '../bindings/IpcError';
import { logo } from '../app';
import { type Child, h, icon } from '../dom';
import { explain, FLOW_LABEL } from '../format';
import type { PromptActions } from './controller';
import { pinPad } from './pin';

/** The dialog's content for `flow`. */
export function renderFlow(flow: Flow, actions: PromptActions): HTMLElement {
  const i = flow.interaction;
  if (flow.state === 'WAITING_FOR_CONFIRMATION' && i) {
    if (i.type === 'CONFIRM') return confirmLogin(flow, i, actions);
    if (i.type === 'CONFIRM_ENROL') return confirmEnrol(flow, i, actions);
    if (i.type === 'CONFIRM_TRANSACTION') return confirmTransaction(flow, i, actions);
  }
  if (flow.state === 'WAITING_FOR_INPUT' && i) {
    if (i.type === 'SET_SECOND_FACTOR') return pinPad(flow, { mode: 'set' }, actions);
    if (i.type === 'VERIFY_SECOND_FACTOR')
      return pinPad(
        flow,
        { mode: 'verify', remaining: i.remainingAttempts, retry: i.retry },
        actions,
      );
  }
  if (flow.state === 'DONE') return done(flow, actions);
  if (flow.state === 'ERROR') return failed(flow, actions);
  return working(flow, actions);
}

function serverName(flow: Flow): string {
  return flow.server?.name || 'the website';
}

/** Header with the server's logo and name. */
function header(flow: Flow, title: string, announce?: Announce): HTMLElement {
  const source = announce?.logo
    ? { name: serverName(flow), logo: announce.logo }
    : flow.server ?? undefined;
  return h(
    'header',
    { class: 'prompt-head' },
    logo(source, 48),
    h(
      'div',
      null,
      h('p', { class: 'eyebrow' }, FLOW_LABEL[flow.kind]),
      h('h2', { id: 'prompt-title' }, title),
      flow.server?.siteUrl ? h('p', { class: 'muted small' }, flow.server.siteUrl) : null,
    ),
  );
}

function buttons(...children: (HTMLElement | null)[]): HTMLElement {
  return h('div', { class: 'prompt-buttons' }, ...children);
}

/** An error line under the form (refused answers). */
function errorLine(): { el: HTMLElement; show(err: IpcError | null): void } {
  const el = h('p', { class: 'form-status bad', role: 'alert' });
  return {
    el,
    show(err) {
      el.textContent = err ? explain(err) : '';
    },
  };
}

/** Sends an answer with the buttons disabled meanwhile. */
async function send(
  actions: PromptActions,
  form: HTMLElement,
  err: ReturnType<typeof errorLine>,
  answer: Parameters<PromptActions['answer']>[0],
): Promise<void> {
  const controls = form.querySelectorAll<HTMLButtonElement | HTMLInputElement>('button, input');
  controls.forEach((c) => (c.disabled = true));
  const refused = await actions.answer(answer);
  err.show(refused);
  if (refused) controls.forEach((c) => (c.disabled = false));
}

function accountChoice(accounts: Account[], legend: string): {
  el: HTMLElement | null;
  chosen(): string | null;
} {
  if (accounts.length <= 1) {
    return {
      el: accounts.length
        ? h('p', { class: 'as-account' }, icon('users', 16), ' as ', h('strong', null, accounts[0].displayName))
        : null,
      chosen: () => accounts[0]?.id ?? null,
    };
  }
  const fieldset = h(
    'fieldset',
    { class: 'choice' },
    h('legend', null, legend),
    accounts.map((a, n) =>
      h(
        'label',
        { class: 'choice-row' },
        h('input', { type: 'radio', name: 'account', value: a.id, checked: n === 0 }),
        h('span', null, a.displayName),
      ),
    ),
  );
  return {
    el: fieldset,
    chosen: () =>
      fieldset.querySelector<HTMLInputElement>('input[name=account]:checked')?.value ?? null,
  };
}

/** "Firefox on Linux" from a user agent, or the raw string. */
export function describeAgent(ua: string): string {
  if (!ua) return 'Unknown browser';
  const browser =
    /Edg\//.test(ua) ? 'Edge' :
    /OPR\//.test(ua) ? 'Opera' :
    /Firefox\//.test(ua) ? 'Firefox' :
    /Chrome\//.test(ua) ? 'Chrome' :
    /Safari\//.test(ua) ? 'Safari' :
    /curl\//.test(ua) ? 'curl' : '';
  const os =
    /Windows/.test(ua) ? 'Windows' :
    /Android/.test(ua) ? 'Android' :
    /iPhone|iPad/.test(ua) ? 'iOS' :
    /Mac OS X/.test(ua) ? 'macOS' :
    /Linux/.test(ua) ? 'Linux' : '';
  if (!browser) return ua.length > 60 ? `${ua.slice(0, 57)}…` : ua;
  return os ? `${browser} on ${os}` : browser;
}

function requestFrom(announce: Announce): HTMLElement {
  if (!announce.ip && !announce.userAgent && announce.info.length === 0) {
    return h('p', { class: 'muted small request-from-none' }, 'The website did not say which browser is asking.');
  }
  return h(
    'section',
    { class: 'request-from', 'aria-label': 'Who is asking' },
    h('h3', { class: 'small-heading' }, 'Request from'),
    h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'Browser'),
      h('dd', { title: announce.userAgent }, describeAgent(announce.userAgent)),
      h('dt', null, 'IP address'),
      h('dd', null, announce.ip || 'unknown'),
      announce.info.map((item) => [h('dt', null, item.key), h('dd', null, item.value)]),
    ),
  );
}

/** A prompt that ends in a decision: a form whose submit sends `confirm()`, then its content,
 *  the error line, and the deny (also Escape) and approve buttons. */
function decision(
  actions: PromptActions,
  confirm: () => Parameters<PromptActions['answer']>[0],
  content: Child[],
  deny: Child[],
  approve: Child[],
): HTMLFormElement {
  const err = errorLine();
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'prompt',
      onsubmit: (e: SubmitEvent) => {
        e.preventDefault();
        void send(actions, form, err, confirm());
      },
    },
    content,
    err.el,
    buttons(
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          id: 'deny',
          'data-escape': true,
          onclick: () => void send(actions, form, err, { type: 'DENY' }),
        },
        deny,
      ),
      h('button', { type: 'submit', class: 'primary', id: 'approve', 'data-autofocus': true }, approve),
    ),
  );
  return form;
}

function confirmLogin(
  flow: Flow,
  i: Extract<Interaction, { type: 'CONFIRM' }>,
  actions: PromptActions,
): HTMLElement {
  const choice = accountChoice(i.accounts, 'Log in as');
  const note = h('input', {
    id: 'user-input',
    type: 'text',
    maxlength: '1024',
    autocomplete: 'off',
  });
  return decision(
    actions,
    () => {
      const userInput = note.value.trim();
      return { type: 'CONFIRM', accountId: choice.chosen() ?? undefined, userInput: userInput || undefined };
    },
    [
      header(flow, `Log in to ${serverName(flow)}?`, i.announce),
      h('p', { id: 'prompt-desc' }, 'Someone wants to log in with your account. Approve only if it is you.'),
      choice.el,
      requestFrom(i.announce),
      h(
        'details',
        { class: 'note' },
        h('summary', null, 'Add a note for the website (optional)'),
        h('label', { for: 'user-input' }, 'Note'),
        note,
      ),
    ],
    [icon('x', 18), 'Deny'],
    [icon('check', 18), 'Approve'],
  );
}

function confirmEnrol(
  flow: Flow,
  i: Extract<Interaction, { type: 'CONFIRM_ENROL' }>,
  actions: PromptActions,
): HTMLElement {
  const hash = flow.server?.visualHash;
  return decision(
    actions,
    () => ({ type: 'CONFIRM' }),
    [
      header(flow, `Add an account at ${serverName(flow)}?`),
      h('p', { class: 'enrol-name' }, 'Account name: ', h('strong', null, i.displayName)),
      h(
        'figure',
        { class: 'vash' },
        hash
          ? h('img', {
              src: `data:image/png;base64,${hash}`,
              alt: 'Visual hash of the website’s parameters',
              width: 128,
              height: 128,
            })
          : h('div', { class: 'vash-missing' }, 'No picture'),
        h(
          'figcaption',
          { id: 'prompt-desc' },
          'Check that this picture is the same as the one the website shows next to the code. If it differs, cancel.',
        ),
      ),
      i.existingAccounts.length
        ? h(
            'div',
            { class: 'warning', role: 'note' },
            icon('alert', 18),
            h(
              'p',
              null,
              `You already have ${i.existingAccounts.length === 1 ? 'an account' : `${i.existingAccounts.length} accounts`} at this website: `,
              h('strong', null, i.existingAccounts.map((a) => a.displayName).join(', ')),
              '. Add another only if you meant to.',
            ),
          )
        : null,
    ],
    ['Cancel'],
    [icon('plus', 18), 'Add account'],
  );
}

function confirmTransaction(
  flow: Flow,
  i: Extract<Interaction, { type: 'CONFIRM_TRANSACTION' }>,
  actions: PromptActions,
): HTMLElement {
  const choice = accountChoice(i.accounts, 'Approve as');
  return decision(
    actions,
    () => ({ type: 'CONFIRM', accountId: choice.chosen() ?? undefined }),
    [
      header(flow, 'Approve this transaction?'),
      h('p', { id: 'prompt-desc' }, `${serverName(flow)} asks you to confirm:`),
      h(
        'dl',
        { class: 'transaction' },
        h('dt', null, 'Amount'),
        h('dd', { class: 'amount' }, i.amount),
        h('dt', null, 'To'),
        h('dd', null, i.beneficiary),
        i.description ? [h('dt', null, 'Description'), h('dd', null, i.description)] : null,
      ),
      choice.el,
    ],
    [icon('x', 18), 'Decline'],
    [icon('check', 18), 'Approve'],
  );
}

function working(flow: Flow, actions: PromptActions): HTMLElement {
  const text =
    flow.state === 'STARTING'
      ? `Contacting ${serverName(flow)}…`
      : `Talking to ${serverName(flow)}…`;
  return h(
    'div',
    { class: 'prompt working', 'aria-busy': 'true' },
    header(flow, text),
    h('div', { class: 'spinner', role: 'progressbar', 'aria-label': text }),
    h('p', { id: 'prompt-desc', class: 'muted' }, 'This takes a moment.'),
    buttons(
      h(
        'button',
        { type: 'button', class: 'secondary', id: 'cancel', 'data-escape': true, onclick: () => void actions.stop() },
        'Cancel',
      ),
    ),
  );
}

function done(flow: Flow, actions: PromptActions): HTMLElement {
  const declined = actions.lastAnswer === 'DENY' || actions.lastAnswer === 'CANCEL';
  const name = serverName(flow);
  const account = flow.account?.displayName;
  let title: string;
  let text: string;
  if (declined) {
    title = flow.kind === 'SIGN_TRANSACTION' ? 'Transaction declined' : 'Declined';
    text = flow.kind === 'LOGIN' ? `Nobody was logged in to ${name}.` : 'Nothing was changed.';
  } else if (flow.kind === 'ENROL') {
    title = 'Account added';
    text = `${account ?? 'Your account'} at ${name} is ready. Log in by scanning the website’s code.`;
  } else if (flow.kind === 'LOGIN') {
    title = `Logged in to ${name}`;
    text = account ? `As ${account}. You can go back to the website.` : 'You can go back to the website.';
  } else if (flow.kind === 'SIGN_TRANSACTION') {
    title = 'Transaction approved';
    text = `${name} has your approval.`;
  } else {
    title = 'Done';
    text = '';
  }
  return h(
    'div',
    { class: `prompt result ${declined ? 'neutral' : 'ok'}` },
    h('div', { class: 'result-icon', 'aria-hidden': 'true' }, icon(declined ? 'x' : 'check', 36)),
    h('h2', { id: 'prompt-title' }, title),
    h('p', { id: 'prompt-desc' }, text),
    buttons(
      h(
        'button',
        { type: 'button', class: 'primary', id: 'close', 'data-escape': true, 'data-autofocus': true, onclick: () => actions.close() },
        'Close',
      ),
    ),
  );
}

function failed(flow: Flow, actions: PromptActions): HTMLElement {
  const err = flow.error ?? { code: 0, message: 'Something went wrong.' };
  const blocked = err.code === 109;
  return h(
    'div',
    { class: `prompt result bad${blocked ? ' blocked' : ''}` },
    h('div', { class: 'result-icon', 'aria-hidden': 'true' }, icon(blocked ? 'key' : 'alert', 36)),
    h('h2', { id: 'prompt-title' }, blocked ? 'PIN blocked' : 'That did not work'),
    h('p', { id: 'prompt-desc' }, explain(err)),
    h('p', { class: 'muted small' }, `Error ${err.code}`),
    buttons(
      h(
        'button',
        { type: 'button', class: 'primary', id: 'close', 'data-escape': true, 'data-autofocus': true, onclick: () => actions.close() },
        'Close',
      ),
    ),
  );
}

