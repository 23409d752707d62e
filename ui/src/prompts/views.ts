// What the prompt dialog shows for each step of a flow.

import type { Account } from '../bindings/Account';
import type { Announce } from '../bindings/Announce';
import type { Answer } from '../bindings/Answer';
import type { Flow } from '../bindings/Flow';
import type { Interaction } from '../bindings/Interaction';
import type { IpcError } from '../bindings/IpcError';
import type { LoginCheck } from '../bindings/LoginCheck';
import type { NumberAsk } from '../bindings/NumberAsk';
import { logo, state } from '../app';
import { type Child, h, icon } from '../dom';
import { ago, explain, FLOW_LABEL, when } from '../format';
import type { PromptActions } from './controller';
import { pinPad } from './pin';
import { pauseControls } from '../pause';
import { Code } from '../bindings/codes';

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
      flow.server
        ? h(
            'p',
            { class: 'site small' },
            icon('shield', 14),
            h('span', null, flow.server.siteUrl || flow.server.name, h('span', { class: 'muted' }, ' · verified name')),
          )
        : null,
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

/** Sends an answer with the controls disabled meanwhile. Focus waits on the dialog itself
 *  (disabling the focused button would drop it out of the dialog) and, if the answer is
 *  refused, goes back to where it was, next to the error line (unless the person moved it). */
async function send(
  actions: PromptActions,
  form: HTMLElement,
  err: ReturnType<typeof errorLine>,
  answer: Parameters<PromptActions['answer']>[0],
): Promise<void> {
  const controls = form.querySelectorAll<HTMLButtonElement | HTMLInputElement>('button, input');
  const focused = document.activeElement;
  const dialog = form.closest<HTMLElement>('[role="dialog"]');
  dialog?.focus();
  controls.forEach((c) => (c.disabled = true));
  const refused = await actions.answer(answer);
  err.show(refused);
  if (refused) {
    controls.forEach((c) => (c.disabled = false));
    const waiting = document.activeElement === dialog;
    if (waiting && focused instanceof HTMLElement && form.contains(focused)) focused.focus();
  }
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

/** What a prompt shows when the SDK sent no check (an older back end): nothing asked or seen. */
const NO_CHECK: LoginCheck = {
  number: { type: 'NONE' },
  observed: { ip: '', browser: '', location: '', seenAt: 0, networkDiffers: false },
  relayWarning: false,
  source: 'CAMERA',
};

/** The relay warning (role=alert): the browser is on another network although the code came
 *  from this device or a push. Someone may be relaying a login of theirs to this person. */
function relayWarning(check: LoginCheck, kind: Flow['kind']): HTMLElement | null {
  if (!check.relayWarning) return null;
  const what = kind === 'SIGN_TRANSACTION' ? 'transaction' : 'login';
  const youDid =
    check.source === 'SCREEN'
      ? 'scan a code on your own screen'
      : check.source === 'LINK'
        ? 'open a login link on this device'
        : check.source === 'PUSH'
          ? `start this ${what} yourself`
          : `start this ${what} here`;
  return h(
    'div',
    { class: 'relay-warning', role: 'alert', id: 'relay-warning' },
    icon('alert', 24),
    h(
      'div',
      null,
      h('p', { class: 'relay-title' }, 'Someone may be trying to trick you'),
      h(
        'p',
        null,
        `This ${what} was started on another network than this device. If you did not just ${youDid}, `,
        h('strong', null, 'deny it'),
        ', or choose “This was not me”.',
      ),
    ),
  );
}

/** "Seen by the server": what the server itself observed of the browser that asks. */
function seenByServer(check: LoginCheck): HTMLElement {
  const o = check.observed;
  const facts = o.seenAt
    ? h(
        'dl',
        { class: 'facts compact' },
        h('dt', null, 'Browser'),
        h('dd', { id: 'seen-browser' }, o.browser || 'Unknown browser'),
        h('dt', null, 'IP address'),
        h('dd', { id: 'seen-ip' }, o.ip || 'unknown'),
        h('dt', null, 'Location'),
        h('dd', { id: 'seen-location', class: o.location ? null : 'muted' }, o.location || 'Unknown location'),
        h('dt', null, 'When'),
        h(
          'dd',
          null,
          h('time', { datetime: new Date(o.seenAt * 1000).toISOString(), title: when(o.seenAt) }, ago(o.seenAt)),
        ),
        o.networkDiffers
          ? [
              h('dt', null, 'Network'),
              h('dd', { id: 'seen-network', class: check.relayWarning ? 'warn-text' : null }, 'Not the network of this device'),
            ]
          : null,
      )
    : h('p', { class: 'small', id: 'seen-none' }, 'The server did not see the browser that asks.');
  return h(
    'section',
    { class: 'observed', 'aria-labelledby': 'observed-heading' },
    h('h3', { class: 'small-heading', id: 'observed-heading' }, icon('shield', 14), 'Seen by the server'),
    facts,
  );
}

/** "The website says": the integrator's own text, which could claim anything. The browser
 *  details the website passed on are shown only when the server saw none itself. */
function websiteSays(announce: Announce, check: LoginCheck): HTMLElement | null {
  const claims: [string, string, string?][] = announce.info.map((i) => [i.key, i.value]);
  if (!check.observed.seenAt) {
    if (announce.userAgent) claims.push(['Browser', describeAgent(announce.userAgent), announce.userAgent]);
    if (announce.ip) claims.push(['IP address', announce.ip]);
  }
  if (!claims.length) return null;
  return h(
    'section',
    { class: 'website-says', 'aria-labelledby': 'website-says-heading' },
    h('h3', { class: 'small-heading', id: 'website-says-heading' }, 'The website says'),
    h(
      'dl',
      { class: 'facts compact' },
      claims.map(([key, value, title]) => [h('dt', null, key), h('dd', { title }, value)]),
    ),
  );
}

/** The number the browser shows (number matching): large choices (a radio group) or a
 *  field for its digits. The decision form enables Approve as they change (its input and
 *  change events). */
interface NumberField {
  el: HTMLElement | null;
  /** The number given, or undefined while none is (or none is asked). */
  value(): string | undefined;
  /** Whether approving may go ahead: nothing asked, or a whole number given. */
  ready(): boolean;
}

function numberField(ask: NumberAsk): NumberField {
  if (ask.type === 'CHOOSE') {
    const fieldset = h(
      'fieldset',
      { class: 'number-choice', role: 'radiogroup', 'aria-labelledby': 'number-legend', 'aria-describedby': 'number-help' },
      h('legend', { id: 'number-legend' }, 'Choose the number shown in your browser'),
      h(
        'div',
        { class: 'number-options' },
        ask.choices.map((choice, n) =>
          h(
            'label',
            { class: 'number-option' },
            h('input', { type: 'radio', name: 'number', value: choice, id: `number-${n}`, 'data-autofocus': n === 0 }),
            h('span', null, choice),
          ),
        ),
      ),
      h('p', { class: 'small muted', id: 'number-help' }, 'If your browser shows none of these, or no number at all, deny.'),
    );
    const value = () => fieldset.querySelector<HTMLInputElement>('input[name=number]:checked')?.value;
    return { el: fieldset, value, ready: () => value() !== undefined };
  }
  if (ask.type === 'TYPE') {
    const digits = ask.digits;
    const input = h('input', {
      id: 'number-input',
      class: 'number-input',
      type: 'text',
      inputmode: 'numeric',
      autocomplete: 'off',
      spellcheck: 'false',
      maxlength: String(digits),
      size: String(Math.max(digits, 2)),
      'aria-describedby': 'number-help',
      'data-autofocus': true,
    });
    input.style.setProperty('--digits', String(digits));
    input.addEventListener('input', () => {
      const clean = input.value.replace(/\D/g, '').slice(0, digits);
      if (clean !== input.value) input.value = clean;
    });
    const el = h(
      'div',
      { class: 'number-type' },
      h('label', { for: 'number-input' }, 'Type the number shown in your browser'),
      input,
      h(
        'p',
        { class: 'small muted', id: 'number-help' },
        `${digits} ${digits === 1 ? 'digit' : 'digits'}. If your browser shows no number, deny.`,
      ),
    );
    const ready = () => input.value.length === digits;
    return { el, value: () => (ready() ? input.value : undefined), ready };
  }
  return { el: null, value: () => undefined, ready: () => true };
}

/** Whether approving `flow` needs the PIN first (Settings; only where a PIN exists to check). */
export function asksPinFirst(flow: Flow): boolean {
  const wanted =
    (flow.kind === 'LOGIN' && state.settings.askPinForLogins) ||
    (flow.kind === 'SIGN_TRANSACTION' && state.settings.askPinForTransactions);
  return wanted && state.accounts.some((a) => a.hasPin);
}

/** "This was not me" on a login or transaction prompt: who reports, and what. */
interface NotMe {
  /** The account chosen in the prompt. */
  account(): Account | undefined;
  flow: Flow;
}

/** What a decision prompt holds besides its content. */
interface DecisionOptions {
  /** The number asked: Approve waits for it. */
  number?: NumberField;
  /** Offers "This was not me" (logins and transactions). */
  notMe?: NotMe;
  /** Approving asks for the PIN first. */
  pinFirst?: Flow | null;
}

/** A prompt that ends in a decision: a form whose submit sends `confirm()`, then its content,
 *  the error line, and the deny (also Escape) and approve buttons. Approve stays disabled until
 *  the number asked is given. With `pinFirst`, Approve first asks for the PIN (in place of the
 *  form, with Back to return to it). With `notMe`, "This was not me" leads the buttons' row and
 *  asks once (in place of the form) before it reports. */
function decision(
  actions: PromptActions,
  confirm: () => Extract<Answer, { type: 'CONFIRM' }>,
  content: Child[],
  deny: Child[],
  approve: Child[],
  options: DecisionOptions = {},
): HTMLFormElement {
  const err = errorLine();
  const { number, notMe, pinFirst } = options;
  /** Shows `step` in place of the form; `back()` puts the form back, focus on `returnTo`. */
  const swap = (step: HTMLElement, interaction: string, focus: string) => {
    const holder = form.parentElement;
    const before = holder?.dataset.interaction ?? '';
    form.replaceWith(step);
    if (holder) holder.dataset.interaction = interaction;
    step.querySelector<HTMLElement>(focus)?.focus();
    return (returnTo: string) => {
      step.replaceWith(form);
      if (holder) holder.dataset.interaction = before;
      form.querySelector<HTMLElement>(returnTo)?.focus();
    };
  };
  const approveButton = h(
    'button',
    { type: 'submit', class: 'primary', id: 'approve', 'data-autofocus': !number?.el, disabled: number ? !number.ready() : false },
    approve,
  );
  const approveWhenReady = () => {
    if (number) approveButton.disabled = !number.ready();
  };
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'prompt',
      onsubmit: (e: SubmitEvent) => {
        e.preventDefault();
        if (number && !number.ready()) return;
        if (pinFirst) {
          const pad: HTMLElement = pinPad(pinFirst, { mode: 'approve', confirm: confirm(), back: () => back('#approve') }, actions);
          const back = swap(pad, 'APPROVE_WITH_PIN', '#pin-input');
          return;
        }
        void send(actions, form, err, confirm());
      },
      oninput: approveWhenReady,
      onchange: approveWhenReady,
    },
    content,
    err.el,
    buttons(
      notMe
        ? h(
            'button',
            {
              type: 'button',
              class: 'link-button',
              id: 'not-me',
              onclick: () => {
                const panel = notMeConfirm(notMe, actions, () => back('#not-me'));
                const back = swap(panel, 'CONFIRM_NOT_ME', '#not-me-report');
              },
            },
            'This was not me',
          )
        : null,
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
      approveButton,
    ),
  );
  return form;
}

/** The one step before "This was not me" is sent: what it does, Back and Report. */
function notMeConfirm(notMe: NotMe, actions: PromptActions, back: () => void): HTMLElement {
  const err = errorLine();
  const account = notMe.account();
  const name = serverName(notMe.flow);
  const transaction = notMe.flow.kind === 'SIGN_TRANSACTION';
  const who = () => (account ? h('strong', null, account.displayName) : 'your account');
  const panel: HTMLElement = h(
    'div',
    { class: 'prompt not-me-confirm' },
    h('div', { class: 'result-icon', 'aria-hidden': 'true' }, icon('alert', 32)),
    h('h2', { id: 'prompt-title' }, transaction ? 'Report this transaction?' : 'Report this login?'),
    h(
      'div',
      { id: 'prompt-desc' },
      h(
        'p',
        null,
        transaction
          ? ['The transaction is declined, and ', name, ' is told that you did not ask for it.']
          : ['Nobody is logged in, and ', name, ' is told that someone else tried to log in as ', who(), '.'],
      ),
      h(
        'p',
        null,
        'Login requests to ',
        who(),
        ' are paused for a while, so they cannot ask you again and again. You can resume them from the history or the account.',
      ),
    ),
    err.el,
    buttons(
      h('button', { type: 'button', class: 'secondary', id: 'not-me-back', 'data-escape': true, onclick: back }, icon('back', 18), 'Back'),
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          id: 'not-me-report',
          onclick: () => void send(actions, panel, err, { type: 'NOT_ME', accountId: account?.id }),
        },
        'Report and deny',
      ),
    ),
  );
  return panel;
}

function confirmLogin(
  flow: Flow,
  i: Extract<Interaction, { type: 'CONFIRM' }>,
  actions: PromptActions,
): HTMLElement {
  const check = i.check ?? NO_CHECK;
  // One account: named in the description instead.
  const choice = accountChoice(i.accounts, 'Log in as');
  const accountEl = i.accounts.length === 1 ? null : choice.el;
  const number = numberField(check.number);
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
      return {
        type: 'CONFIRM',
        accountId: choice.chosen() ?? undefined,
        userInput: userInput || undefined,
        number: number.value(),
      };
    },
    [
      header(flow, `Log in to ${serverName(flow)}?`, i.announce),
      relayWarning(check, flow.kind),
      h(
        'p',
        { id: 'prompt-desc' },
        'Approve only if it is you logging in',
        i.accounts.length === 1 ? [' as ', h('strong', null, i.accounts[0].displayName)] : null,
        ' right now.',
      ),
      seenByServer(check),
      websiteSays(i.announce, check),
      number.el,
      accountEl,
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
    {
      number,
      notMe: { flow, account: () => i.accounts.find((a) => a.id === choice.chosen()) },
      pinFirst: asksPinFirst(flow) ? flow : null,
    },
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
  const check = i.check ?? NO_CHECK;
  const choice = accountChoice(i.accounts, 'Approve as');
  const number = numberField(check.number);
  return decision(
    actions,
    () => ({ type: 'CONFIRM', accountId: choice.chosen() ?? undefined, number: number.value() }),
    [
      header(flow, 'Approve this transaction?'),
      relayWarning(check, flow.kind),
      h('p', { id: 'prompt-desc' }, `${serverName(flow)} asks you to confirm:`),
      h(
        'dl',
        { class: 'transaction' },
        h('dt', null, 'Amount'),
        h('dd', { class: 'amount' }, i.amount),
        h('dt', null, 'To'),
        h('dd', { class: 'beneficiary' }, i.beneficiary),
        i.description ? [h('dt', null, 'Description'), h('dd', null, i.description)] : null,
      ),
      seenByServer(check),
      number.el,
      choice.el,
    ],
    [icon('x', 18), 'Decline'],
    [icon('check', 18), 'Approve'],
    {
      number,
      notMe: { flow, account: () => i.accounts.find((a) => a.id === choice.chosen()) },
      pinFirst: asksPinFirst(flow) ? flow : null,
    },
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
  const reported = actions.lastAnswer === 'NOT_ME';
  const declined = reported || actions.lastAnswer === 'DENY' || actions.lastAnswer === 'CANCEL';
  const name = serverName(flow);
  const account = flow.account?.displayName;
  let title: string;
  let text: string;
  if (reported) {
    title = 'Reported';
    text =
      flow.kind === 'SIGN_TRANSACTION'
        ? `The transaction was declined, and ${name} was told that it was not you.`
        : `Nobody was logged in. ${name} was told that it was not you, and login requests to ${account ?? 'your account'} are paused for a while.`;
  } else if (declined) {
    title = flow.kind === 'SIGN_TRANSACTION' ? 'Transaction declined' : 'Declined';
    text = flow.kind === 'LOGIN' ? `Nobody was logged in to ${name}.` : 'Nothing was changed.';
  } else if (flow.kind === 'ENROL') {
    title = 'Account added';
    // The enrolment logged the browser in as well (the website's page continues by itself).
    text = `${account ?? 'Your account'} at ${name} is ready, and the website has logged you in. Next time, press Scan while it shows its login code.`;
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
    { class: `prompt result ${reported ? 'warn' : declined ? 'neutral' : 'ok'}` },
    h('div', { class: 'result-icon', 'aria-hidden': 'true' }, icon(reported ? 'alert' : declined ? 'x' : 'check', 36)),
    h('h2', { id: 'prompt-title' }, title),
    h('p', { id: 'prompt-desc' }, text),
    // After a report the server pauses login requests for its own while; a day is one click.
    reported && flow.account ? h('div', { class: 'reported-pause' }, pauseControls(flow.account.id, flow.account.displayName, [24 * 60])) : null,
    buttons(
      h(
        'button',
        { type: 'button', class: 'primary', id: 'close', 'aria-describedby': 'prompt-desc', 'data-escape': true, 'data-autofocus': true, onclick: () => actions.close() },
        'Close',
      ),
    ),
  );
}

function failed(flow: Flow, actions: PromptActions): HTMLElement {
  const err = flow.error ?? { code: 0, message: 'Something went wrong.' };
  const blocked = err.code === Code.PIN_BLOCKED;
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
        { type: 'button', class: 'primary', id: 'close', 'aria-describedby': 'prompt-desc', 'data-escape': true, 'data-autofocus': true, onclick: () => actions.close() },
        'Close',
      ),
    ),
  );
}

