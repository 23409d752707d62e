// The PIN pad: a real password field (screen readers, keyboards, password managers kept out)
// with on-screen digits for touch. The digits live only in the field until they are sent
// once to the SDK; the field is then cleared. Nothing stores them.

import type { Answer } from '../bindings/Answer';
import type { Flow } from '../bindings/Flow';
import { h, icon } from '../dom';
import { explain } from '../format';
import type { PromptActions } from './controller';
import { Code } from '../bindings/codes';

/** set: choose a new PIN (typed twice); verify: the server asks for it; approve: the person
 *  proves it is them before an approval (Settings), `confirm` is the answer it goes with and
 *  `back` returns to the question. */
export type PinMode =
  | { mode: 'set' }
  | { mode: 'verify'; remaining: number; retry: boolean }
  | { mode: 'approve'; confirm: Extract<Answer, { type: 'CONFIRM' }>; back: () => void };

const MIN = 4;
const MAX = 16;

export function pinPad(flow: Flow, mode: PinMode, actions: PromptActions): HTMLElement {
  let firstEntry: string | null = null; // set mode: the first entry, until repeated
  const title = h('h2', { id: 'prompt-title' });
  const desc = h('p', { id: 'prompt-desc' });
  // The other step's text, laid out in the same place but unseen: both steps take the room of
  // the longer one.
  const ghost = h('p', { class: 'pin-ghost', 'aria-hidden': 'true' });
  const status = h('p', { class: 'form-status', role: 'alert', id: 'pin-status' });
  const input = h('input', {
    id: 'pin-input',
    type: 'password',
    inputmode: 'numeric',
    pattern: '[0-9]*',
    autocomplete: 'off',
    minlength: String(MIN),
    maxlength: String(MAX),
    'aria-describedby': 'prompt-desc pin-status',
    'data-autofocus': true,
    class: 'pin-input',
  });
  const dots = h('div', { class: 'pin-dots', 'aria-hidden': 'true' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'pin-ok' }, 'OK');

  const refreshDots = () => {
    const n = input.value.length;
    dots.replaceChildren(
      ...Array.from({ length: Math.max(n, MIN) }, (_, k) => h('span', { class: k < n ? 'dot on' : 'dot' })),
    );
  };
  input.addEventListener('input', () => {
    input.value = input.value.replace(/\D/g, '').slice(0, MAX);
    refreshDots();
  });

  const setStep = () => {
    if (mode.mode === 'set') {
      const choose = `${flow.server?.name ?? 'This website'} asks for a PIN. Choose ${MIN} to ${MAX} digits; it protects all your accounts in this app.`;
      const repeat = 'Type the same PIN again to make sure.';
      title.textContent = firstEntry === null ? 'Choose a PIN' : 'Repeat your PIN';
      desc.textContent = firstEntry === null ? choose : repeat;
      ghost.textContent = firstEntry === null ? repeat : choose;
    } else if (mode.mode === 'approve') {
      title.textContent = 'Confirm it’s you';
      desc.textContent =
        flow.kind === 'SIGN_TRANSACTION'
          ? 'Enter your PIN to approve this transaction.'
          : 'Enter your PIN to approve this login.';
    } else {
      title.textContent = 'Enter your PIN';
      desc.textContent = `${flow.server?.name ?? 'The website'} checks your app PIN.`;
      if (mode.retry) {
        status.textContent =
          mode.remaining > 0
            ? `Wrong PIN. ${mode.remaining} ${mode.remaining === 1 ? 'attempt' : 'attempts'} left before it is blocked.`
            : 'Wrong PIN. Try again.';
        status.className = 'form-status bad';
      } else if (mode.remaining > 0 && mode.remaining <= 3) {
        status.textContent = `${mode.remaining} ${mode.remaining === 1 ? 'attempt' : 'attempts'} left.`;
        status.className = 'form-status info';
      }
    }
    refreshDots();
  };

  const press = (digit: string) => {
    if (input.value.length < MAX) input.value += digit;
    refreshDots();
    input.focus();
  };
  const back = () => {
    input.value = input.value.slice(0, -1);
    refreshDots();
    input.focus();
  };
  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) =>
    h('button', { type: 'button', class: 'key', 'aria-label': `Digit ${d}`, onclick: () => press(d) }, d),
  );
  const pad = h(
    'div',
    { class: 'keypad', role: 'group', 'aria-label': 'Number pad' },
    keys,
    h(
      'button',
      { type: 'button', class: 'key muted-key', 'aria-label': 'Delete last digit', onclick: back },
      icon('backspace', 22),
    ),
    h('button', { type: 'button', class: 'key', 'aria-label': 'Digit 0', onclick: () => press('0') }, '0'),
    h('span', { class: 'key spacer', 'aria-hidden': 'true' }),
  );

  const form: HTMLFormElement = h(
    'form',
    {
      class: 'prompt pin',
      onsubmit: async (e: SubmitEvent) => {
        e.preventDefault();
        const pin = input.value;
        if (pin.length < MIN) {
          status.textContent = `The PIN has at least ${MIN} digits.`;
          status.className = 'form-status bad';
          input.focus();
          return;
        }
        if (mode.mode === 'approve') {
          input.value = '';
          refreshDots();
          if (document.activeElement === submit) input.focus();
          submit.disabled = true;
          const refused = await actions.answer(mode.confirm, pin);
          submit.disabled = false;
          if (refused) {
            // 128 carries the attempts left ("wrong PIN (2 attempts left)").
            const left = refused.code === Code.WRONG_PIN ? /\(([^)]*)\)/.exec(refused.message)?.[1] : undefined;
            status.textContent = refused.code === Code.WRONG_PIN ? `Wrong PIN.${left ? ` ${left.replace(/^./, (c) => c.toUpperCase())}.` : ''}` : explain(refused);
            status.className = 'form-status bad';
            input.focus();
          }
          return;
        }
        if (mode.mode === 'set' && firstEntry === null) {
          firstEntry = pin;
          input.value = '';
          status.textContent = '';
          setStep();
          input.focus();
          return;
        }
        if (mode.mode === 'set' && firstEntry !== pin) {
          firstEntry = null;
          input.value = '';
          status.textContent = 'The two PINs differ. Choose your PIN again.';
          status.className = 'form-status bad';
          setStep();
          input.focus();
          return;
        }
        firstEntry = null;
        input.value = '';
        refreshDots();
        // Focus stays in the field while OK is disabled (a disabled button loses it).
        if (document.activeElement === submit) input.focus();
        submit.disabled = true;
        const refused = await actions.answer({ type: 'PIN', pin });
        submit.disabled = false;
        if (refused) {
          status.textContent = explain(refused);
          status.className = 'form-status bad';
          setStep();
          input.focus();
        }
      },
    },
    h('header', { class: 'prompt-head centered' }, h('div', { class: 'pin-icon', 'aria-hidden': 'true' }, icon('key', 28)), h('div', null, title)),
    h('div', { class: 'pin-texts' }, desc, ghost),
    h('label', { for: 'pin-input', class: 'visually-hidden' }, 'PIN'),
    input,
    dots,
    status,
    pad,
    h(
      'div',
      { class: 'prompt-buttons' },
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          id: 'pin-cancel',
          'data-escape': true,
          onclick: () => (mode.mode === 'approve' ? mode.back() : void actions.stop()),
        },
        mode.mode === 'approve' ? 'Back' : 'Cancel',
      ),
      submit,
    ),
  );
  setStep();
  return form;
}
