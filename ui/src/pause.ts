// Pausing login requests (push logins) to an account at its server: after "This was not me",
// or whenever someone keeps sending requests the person did not ask for. The server refuses
// push logins to the account until then; scanning a code still works. Shown on NOT_ME history
// entries and on the account screen.

import { h } from './dom';
import { clock, explain } from './format';
import { api, asIpcError } from './ipc';

/** What the last answer in this run said, per account (Unix seconds; null: resumed). The
 *  account list does not carry it, so it is only known once asked. */
const pausedUntil = new Map<string, number | null>();

const CHOICES: [string, string, number][] = [
  ['1 hour', 'Pause login requests for 1 hour', 60],
  ['24 hours', 'Pause login requests for 24 hours', 24 * 60],
  ['Resume', 'Resume login requests', 0],
];

/** "Pause login requests: [1 hour] [24 hours] [Resume]" for one account, with a status line
 *  (polite live region) for the outcome or the error; `only` keeps some of the choices
 *  (minutes). */
export function pauseControls(accountId: string, accountName: string, only?: number[]): HTMLElement {
  const status = h('p', { class: 'form-status small pause-status', role: 'status', 'aria-live': 'polite' });
  const said = () => {
    const until = pausedUntil.get(accountId);
    status.className = 'form-status small pause-status';
    status.textContent =
      until === undefined
        ? ''
        : until === null
          ? `Login requests to ${accountName} are on again.`
          : `Login requests to ${accountName} are paused until ${clock(until)}.`;
  };
  let busy = false;
  const act = async (minutes: number) => {
    if (busy) return; // the buttons stay enabled (and focused) while the server answers
    busy = true;
    group.setAttribute('aria-busy', 'true');
    try {
      const result = await api.accountPausePush(accountId, minutes);
      pausedUntil.set(accountId, result?.pausedUntil ?? null);
      said();
    } catch (err) {
      status.className = 'form-status small pause-status bad';
      status.textContent = explain(asIpcError(err));
    } finally {
      busy = false;
      group.removeAttribute('aria-busy');
    }
  };
  const labelId = `pause-label-${accountId}-${Math.random().toString(36).slice(2, 8)}`;
  const group = h(
    'div',
    { class: 'pause-controls', role: 'group', 'aria-labelledby': labelId, dataset: { account: accountId } },
    h('span', { class: 'pause-label', id: labelId }, 'Pause login requests'),
    CHOICES.filter(([, , minutes]) => !only || only.includes(minutes)).map(([text, label, minutes]) =>
      h(
        'button',
        { type: 'button', class: minutes ? 'secondary small-button' : 'small-button', 'aria-label': label, dataset: { minutes: String(minutes) }, onclick: () => void act(minutes) },
        text,
      ),
    ),
  );
  said();
  return h('div', { class: 'pause' }, group, status);
}
