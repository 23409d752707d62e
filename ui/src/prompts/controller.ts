// The prompt dialog: one modal at a time, driven by the open flow's FLOW_UPDATE events.
// Focus is trapped inside while open and returned where it was when it closes.

import type { Answer } from '../bindings/Answer';
import type { Flow } from '../bindings/Flow';
import type { IpcError } from '../bindings/IpcError';
import { h } from '../dom';
import { api, asIpcError } from '../ipc';
import { renderFlow } from './views';

/** What a view may do. */
export interface PromptActions {
  /** Sends an answer; resolves to the error if the SDK refused it (the prompt stays). */
  answer(answer: Answer): Promise<IpcError | null>;
  /** Stops the flow (Cancel). */
  stop(): Promise<void>;
  /** Closes the dialog (finished flows). */
  close(): void;
  /** The last answer given in this flow (DONE screens say "declined" after a DENY). */
  lastAnswer: Answer['type'] | null;
}

class PromptController {
  private root: HTMLElement | null = null;
  private dialog: HTMLElement | null = null;
  private flow: Flow | null = null;
  private seen = new Set<string>();
  /** Flows whose dialog the person closed: later updates do not reopen it. */
  private dismissed = new Set<string>();
  private lastAnswer: Answer['type'] | null = null;
  private returnFocus: HTMLElement | null = null;
  private closeTimer: number | undefined;
  /** Called when a flow finishes (DONE or ERROR), for screens to refresh. */
  onFinished: (flow: Flow) => void = () => {};

  constructor() {
    // On the document, so Escape and Tab work even when focus fell out of the dialog.
    document.addEventListener('keydown', (e) => {
      if (this.dialog) this.onKey(e);
    });
  }

  /** The flow a start command returned: shown unless its events are already ahead. */
  started(flow: Flow): void {
    if (!this.seen.has(flow.id)) this.update(flow);
  }

  /** A FLOW_UPDATE event. */
  update(flow: Flow): void {
    this.seen.add(flow.id);
    if (this.flow && this.flow.id !== flow.id) {
      this.lastAnswer = null;
    }
    const isNew = !this.flow || this.flow.id !== flow.id || !this.dialog;
    const sameStep =
      !isNew &&
      this.flow?.state === flow.state &&
      JSON.stringify(this.flow?.interaction) === JSON.stringify(flow.interaction);
    this.flow = flow;
    if (flow.state === 'DONE' || flow.state === 'ERROR') this.onFinished(flow);
    if (sameStep || this.dismissed.has(flow.id)) return;
    this.render(isNew);
  }

  /** The flow currently shown. */
  current(): Flow | null {
    return this.flow;
  }

  private actions(flow: Flow): PromptActions {
    return {
      answer: async (answer) => {
        this.lastAnswer = answer.type;
        try {
          await api.respond(flow.id, answer);
          return null;
        } catch (err) {
          return asIpcError(err);
        }
      },
      stop: async () => {
        this.lastAnswer = 'CANCEL';
        // Close first: the person asked to leave; the flow's own DONE is not shown again.
        this.close();
        try {
          await api.stopFlow(flow.id);
        } catch {
          /* already finished: nothing to stop */
        }
      },
      close: () => this.close(),
      lastAnswer: this.lastAnswer,
    };
  }

  private render(isNew: boolean): void {
    const flow = this.flow;
    if (!flow) return;
    window.clearTimeout(this.closeTimer);
    this.root ??= document.getElementById('prompt-root');
    if (!this.root) return;
    if (isNew || !this.dialog) {
      if (!this.dialog) {
        const active = document.activeElement;
        this.returnFocus = active instanceof HTMLElement ? active : null;
      }
      this.dialog = h('div', {
        class: 'dialog',
        role: 'dialog',
        'aria-modal': 'true',
        'aria-labelledby': 'prompt-title',
        'aria-describedby': 'prompt-desc',
        id: 'prompt',
      });
      this.root.replaceChildren(h('div', { class: 'backdrop' }, this.dialog));
      document.body.classList.add('modal-open');
      document.getElementById('main')?.setAttribute('inert', '');
      document.getElementById('topbar')?.setAttribute('inert', '');
    }
    const view = renderFlow(flow, this.actions(flow));
    this.dialog.dataset.state = flow.state;
    this.dialog.dataset.interaction = flow.interaction?.type ?? '';
    this.dialog.replaceChildren(view);
    const target =
      this.dialog.querySelector<HTMLElement>('[data-autofocus]') ??
      this.dialog.querySelector<HTMLElement>('button, input, select, textarea, [tabindex="0"]');
    target?.focus();
    if (flow.state === 'DONE') {
      this.closeTimer = window.setTimeout(() => this.close(), 4000);
    }
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.dialog) return;
    if (e.key === 'Escape') {
      e.preventDefault();
      const cancel = this.dialog.querySelector<HTMLButtonElement>('[data-escape]');
      cancel?.click();
      return;
    }
    if (e.key !== 'Tab') return;
    const focusable = [
      ...this.dialog.querySelectorAll<HTMLElement>(
        'button:not([disabled]), input:not([disabled]), select, textarea, a[href], [tabindex="0"], summary',
      ),
    ].filter((el) => el.offsetParent !== null);
    if (focusable.length === 0) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!this.dialog.contains(document.activeElement)) {
      e.preventDefault();
      (e.shiftKey ? last : first).focus();
    } else if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }

  /** Closes the dialog (the flow itself is left alone). */
  close(): void {
    window.clearTimeout(this.closeTimer);
    if (this.flow) this.dismissed.add(this.flow.id);
    this.root?.replaceChildren();
    this.dialog = null;
    document.body.classList.remove('modal-open');
    document.getElementById('main')?.removeAttribute('inert');
    document.getElementById('topbar')?.removeAttribute('inert');
    const back = this.returnFocus;
    this.returnFocus = null;
    if (back && document.contains(back)) back.focus();
    else document.getElementById('main')?.focus();
  }
}

export const prompts = new PromptController();
