// Scanning the screen from anywhere: the top bar's Scan button, Ctrl+Alt+S (in the window, and
// from any application where the desktop-wide shortcut is registered) and the tray
// menu's "Scan screen". One nextAuth code on the screen starts its flow at once (enrolment,
// login or transaction alike); several are offered to choose from. The prompt opens over the
// screen the person is on, so closing it leaves them where they were.

import type { ScreenCode } from './bindings/ScreenCode';
import { state, toast } from './app';
import { h } from './dom';
import { explain } from './format';
import { api, asIpcError } from './ipc';
import { openModal } from './modal';
import { prompts } from './prompts/controller';
import { Code } from './bindings/codes';

/** What the person sees when the screen shows no nextAuth code. */
export const NO_CODE_ON_SCREEN =
  'No nextAuth code is visible on the screen. Show the website’s code (the app hides itself while it looks), or open a saved image of it.';

/** What a code on the screen does, in words. */
export function codeLabel(code: ScreenCode): string {
  const where = code.serverName || 'a website';
  switch (code.kind) {
    case 'ENROL':
      return code.serverName ? `Add the account ${code.displayName} at ${code.serverName}` : `Add the account ${code.displayName}`;
    case 'SIGN_TRANSACTION':
      return `Approve a transaction at ${where}`;
    default:
      return `Log in to ${where}`;
  }
}

/** Asks which of several codes to use; resolves to its link, or null (Cancel, Escape). */
export function chooseCode(choices: ScreenCode[]): Promise<string | null> {
  return new Promise((resolve) => {
    const done = (link: string | null) => {
      modal.close();
      resolve(link);
    };
    const dialog = h(
      'div',
      { class: 'dialog small', id: 'choose-code', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'choose-title', 'aria-describedby': 'choose-desc' },
      h('h2', { id: 'choose-title' }, 'Which code?'),
      h('p', { id: 'choose-desc' }, `There are ${choices.length} nextAuth codes on the screen. Choose the one you mean.`),
      h(
        'ul',
        { class: 'code-choices' },
        choices.map((c, i) =>
          h('li', null, h('button', { type: 'button', class: 'secondary', id: `code-choice-${i}`, onclick: () => done(c.link) }, codeLabel(c))),
        ),
      ),
      h('div', { class: 'prompt-buttons' }, h('button', { type: 'button', class: 'secondary', id: 'choose-cancel', onclick: () => done(null) }, 'Cancel')),
    );
    const modal = openModal(dialog, () => done(null));
    dialog.querySelector<HTMLButtonElement>('#code-choice-0')?.focus();
  });
}

/** Scans the screen and starts what it found. Rejects with the IpcError of the scan. */
export async function scanScreenAndStart(): Promise<void> {
  const found = await api.scanScreen();
  if (found.flow) {
    prompts.started(found.flow);
    return;
  }
  const link = await chooseCode(found.choices);
  if (link) prompts.started(await api.flowStartLink(link));
}

let scanning = false;

/** The scan the top bar, the shortcut and the tray ask for: problems are said in a toast. */
export async function scanFromAnywhere(): Promise<void> {
  if (scanning || document.body.classList.contains('modal-open')) return;
  scanning = true;
  document.body.dataset.scanning = 'true';
  try {
    await scanScreenAndStart();
  } catch (err) {
    const e = asIpcError(err);
    toast(e.code === Code.NO_QR_CODE ? NO_CODE_ON_SCREEN : explain(e), 'bad');
  } finally {
    scanning = false;
    delete document.body.dataset.scanning;
  }
}

/** Ctrl+Alt+S scans the screen from any screen of the app (and, where the app registered it
 *  with the desktop, from any application: then the key never reaches this window). */
export function isScanShortcut(e: KeyboardEvent): boolean {
  return e.ctrlKey && e.altKey && !e.shiftKey && !e.metaKey && e.key.toLowerCase() === 's';
}

/** The shortcut, as the person reads it. */
export function shortcutHint(): string {
  return state.info?.globalScanShortcut ? 'Ctrl+Alt+S, also from other apps' : 'Ctrl+Alt+S';
}
