// The PIN pad: a real password field (screen readers, keyboards, password managers kept out)
// with on-screen digits for touch. The digits live only in the field until they are sent
// once to the SDK; the field is then cleared. Nothing stores them.

import type { Flow } from '../bindings/Flow';
import { h, icon } from '../dom';
import { explain } from '../format';
import type { PromptActions } from './controller';

export type PinMode = { mode: 'set' } | { mode: 'verify'; remaining: number; retry: boolean };

const MIN = 4;
const MAX = 16;

export function pinPad(flow: Flow, mode: PinMode, actions: PromptActions): HTMLElement {
  let firstEntry: string | null = null; // set mode: the first entry, until repeated
  const title = h('h2', { id: 'prompt-title' });
  const desc = h('p', { id: 'prompt-desc' });
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
      title.textContent = firstEntry === null ? 'Choose a PIN' : 'Repeat your PIN';
      desc.textContent =
        firstEntry === null
          ? `${flow.server?.name ?? 'This website'} asks for a PIN. Choose ${MIN} to ${MAX} digits; it protects all your accounts in this app.`
          : 'Type the same PIN again to make sure.';
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
    desc,
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
        { type: 'button', class: 'secondary', id: 'pin-cancel', 'data-escape': true, onclick: () => void actions.stop() },
        'Cancel',
      ),
      submit,
    ),
  );
  setStep();
  return form;
}
