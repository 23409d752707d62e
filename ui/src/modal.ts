// Modal dialogs (the prompt, the delete confirmation): while one is open everything else is
// inert, Tab and Shift+Tab wrap inside it, Escape does what the dialog says, and focus goes
// back where it was when it closes.

import { h } from './dom';

/** What sits beside the dialog and must not be reached while it is open. */
const OUTSIDE = ['.skip-link', '#topbar', '#main'];

/** The elements Tab stops at inside `root`, in order: enabled controls that are shown, and of
 *  each radio group only the checked radio (or the first when none is), as browsers do. */
function tabStops(root: HTMLElement): HTMLElement[] {
  const candidates = [
    ...root.querySelectorAll<HTMLElement>('button, input, select, textarea, a[href], [tabindex="0"], summary'),
  ].filter((el) => !(el as HTMLButtonElement).disabled && el.tabIndex >= 0 && el.offsetParent !== null);
  const radios = (name: string) =>
    candidates.filter((c): c is HTMLInputElement => c instanceof HTMLInputElement && c.type === 'radio' && c.name === name);
  return candidates.filter((el) => {
    if (!(el instanceof HTMLInputElement) || el.type !== 'radio' || !el.name) return true;
    const group = radios(el.name);
    return el === (group.find((r) => r.checked) ?? group[0]);
  });
}

/** Keeps Tab inside `dialog`. With every control disabled (an answer on its way) focus rests
 *  on the dialog itself. */
function trapTab(dialog: HTMLElement, e: KeyboardEvent): void {
  const stops = tabStops(dialog);
  const active = document.activeElement;
  if (stops.length === 0) {
    e.preventDefault();
    dialog.focus();
    return;
  }
  const first = stops[0];
  const last = stops[stops.length - 1];
  const outside = !active || active === dialog || !dialog.contains(active);
  if (outside) {
    e.preventDefault();
    (e.shiftKey ? last : first).focus();
  } else if (e.shiftKey && active === first) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && active === last) {
    e.preventDefault();
    first.focus();
  }
}

/** An open modal dialog. */
export interface Modal {
  /** Shows `next` in its place (a new prompt while one is shown); focus still returns to
   *  what had it before the first. */
  replace(next: HTMLElement): void;
  /** Closes it and puts focus back on what had it before (or the screen, if that is gone). */
  close(): void;
}

/** The modal shown now. There is one at a time: a prompt that arrives while the delete
 *  confirmation is open closes it (and focus later returns to what had it before). */
let shown: Modal | null = null;

/**
 * Shows `dialog` over a backdrop in #prompt-root as the only part of the page the keyboard and
 * screen readers reach. Escape calls `onEscape`.
 */
export function openModal(dialog: HTMLElement, onEscape: () => void): Modal {
  shown?.close();
  const root = document.getElementById('prompt-root');
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const backdrop = h('div', { class: 'backdrop' });
  let current = dialog;
  const show = (next: HTMLElement) => {
    // Focusable from script only: where focus waits while the dialog's controls are disabled.
    next.tabIndex = -1;
    backdrop.replaceChildren(next);
    current = next;
  };
  show(dialog);
  root?.replaceChildren(backdrop);
  document.body.classList.add('modal-open');
  for (const selector of OUTSIDE) document.querySelector(selector)?.setAttribute('inert', '');
  // On the document, so Escape and Tab work even when focus fell out of the dialog (a click
  // on the backdrop).
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      onEscape();
    } else if (e.key === 'Tab') {
      trapTab(current, e);
    }
  };
  document.addEventListener('keydown', onKey);
  const modal: Modal = {
    replace: show,
    close() {
      if (shown !== modal) return; // closed already
      shown = null;
      document.removeEventListener('keydown', onKey);
      backdrop.remove();
      document.body.classList.remove('modal-open');
      for (const selector of OUTSIDE) document.querySelector(selector)?.removeAttribute('inert');
      // The opener may have been drawn again meanwhile (the top bar is, on every route): then
      // its new self, found by id.
      const back = opener && document.contains(opener) ? opener : opener?.id ? document.getElementById(opener.id) : null;
      if (back && back !== document.body) back.focus();
      else document.getElementById('main')?.focus();
    },
  };
  shown = modal;
  return modal;
}
