// The screen shown instead of everything else when the app could not open its data at start
// (docs/reliability.md): what is wrong, in the person's words, and what to do. Nothing was
// changed on disk, so putting the right file back and starting again is always safe.

import type { StartupError } from '../bindings/StartupError';
import { h, icon } from '../dom';

const ADVICE: Record<number, [string, string[]]> = {
  202: [
    'This device’s key cannot be read',
    [
      'The key that protects your accounts (keystore.key in the folder below, or the system keychain entry) is missing or cannot be read. The app did not make a new one, since your accounts would then be lost.',
      'Put keystore.key back, or unlock the system keychain, and start nextAuth again.',
    ],
  ],
  203: [
    'Your accounts’ database is missing',
    [
      'The file nextauth.db is gone from the folder below, but this device’s key is still there. The app did not start over, so nothing was lost that can still be put back.',
      'Put nextauth.db back (from a backup or the bin) and start nextAuth again.',
      'To start over with no accounts instead, delete nextauth.db.id in that folder and start nextAuth again. Every website account must then be added again.',
    ],
  ],
  204: [
    'The key does not fit your accounts',
    [
      'Your accounts were saved with another key than the one this app found (in the system keychain, or in keystore.key in the folder below). Nothing was changed.',
      'Put back the key that belongs to these accounts: restore keystore.key, or unlock or restore the keychain that held it, then start nextAuth again.',
    ],
  ],
  205: [
    'This database belongs to another installation',
    [
      'nextauth.db in the folder below was made by another nextAuth installation (its id differs from nextauth.db.id). Nothing was changed.',
      'Put back this installation’s database, or, if you mean to use this one, delete nextauth.db.id and start nextAuth again.',
    ],
  ],
};

/** Renders the start-up failure into `main`. */
export function renderStartupError(main: HTMLElement, failure: StartupError): void {
  const [title, steps] = ADVICE[failure.error.code] ?? [
    'nextAuth cannot open its data',
    ['Nothing was changed. Start nextAuth again; if this stays, the details below say what failed.'],
  ];
  const details = `${failure.error.message} (code ${failure.error.code})\n${failure.dataDir}`;
  const copied = h('span', { class: 'muted', role: 'status' });
  const copy = h('button', { type: 'button', class: 'btn' }, 'Copy details');
  copy.addEventListener('click', () => {
    void navigator.clipboard
      .writeText(details)
      .then(() => (copied.textContent = 'Copied.'))
      .catch(() => (copied.textContent = 'Could not copy: select the text instead.'));
  });
  main.replaceChildren(
    h(
      'div',
      { class: 'screen narrow', 'data-startup-error': String(failure.error.code) },
      h('div', { class: 'warning', role: 'alert' }, icon('alert', 20), h('h1', { tabindex: '-1' }, title)),
      steps.map((text) => h('p', null, text)),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'startup-details' },
        h('h2', { id: 'startup-details' }, 'Details'),
        h('dl', { class: 'facts' }, h('dt', null, 'Folder'), h('dd', null, h('code', null, failure.dataDir)), h('dt', null, 'Error'), h('dd', null, `${failure.error.message} (code ${failure.error.code})`)),
        h('p', null, copy, ' ', copied),
      ),
    ),
  );
  main.querySelector<HTMLElement>('h1')?.focus();
}
