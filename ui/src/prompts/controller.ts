// The prompt dialog: one modal at a time, driven by the open flow's FLOW_UPDATE events.
// Focus is trapped inside while open and returned where it was when it closes (modal.ts). A
// finished prompt stays until the person closes it: no timer takes it (or the focus) away.

import type { Answer } from '../bindings/Answer';
import type { Flow } from '../bindings/Flow';
import type { IpcError } from '../bindings/IpcError';
import { h } from '../dom';
import { api, asIpcError } from '../ipc';
import { type Modal, openModal } from '../modal';
import { renderFlow } from './views';

/** What a view may do. */
export interface PromptActions {
  /** Sends an answer (an approval the settings protect with the person's PIN,
   *  `approvalPin`); resolves to the error if it was refused (the prompt stays). */
  answer(answer: Answer, approvalPin?: string): Promise<IpcError | null>;
  /** Stops the flow (Cancel). */
  stop(): Promise<void>;
  /** Closes the dialog (finished flows). */
  close(): void;
  /** The last answer given in this flow (DONE screens say "declined" after a DENY). */
  lastAnswer: Answer['type'] | null;
}

class PromptController {
  private dialog: HTMLElement | null = null;
  /** A polite live region kept in the dialog across its steps: says how a flow ended (the
   *  dialog's content is replaced in place, which screen readers do not read by themselves). */
  private live: HTMLElement = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', id: 'prompt-live' });
  private flow: Flow | null = null;
  private seen = new Set<string>();
  /** Flows whose dialog the person closed: later updates do not reopen it. */
  private dismissed = new Set<string>();
  private lastAnswer: Answer['type'] | null = null;
  /** The open modal (focus trap, inert page, focus return), while a dialog is shown. */
  private modal: Modal | null = null;
  /** Called when a flow finishes (DONE or ERROR), for screens to refresh. */
  onFinished: (flow: Flow) => void = () => {};
  /** Called when the person closes the dialog (after its flow finished, or Cancel). */
  onClosed: () => void = () => {};

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
      answer: async (answer, approvalPin) => {
        this.lastAnswer = answer.type;
        try {
          await api.flowRespond(flow.id, answer, approvalPin ?? null);
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
          await api.flowStop(flow.id);
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
    if (isNew || !this.dialog) {
      const dialog = h('div', {
        class: 'dialog',
        role: 'dialog',
        'aria-modal': 'true',
        'aria-labelledby': 'prompt-title',
        'aria-describedby': 'prompt-desc',
        id: 'prompt',
      });
      // A new flow while one is shown gets a new dialog element, announced as a new dialog.
      if (this.modal) this.modal.replace(dialog);
      else this.modal = openModal(dialog, () => this.escape());
      this.dialog = dialog;
    }
    const view = renderFlow(flow, this.actions(flow));
    this.dialog.dataset.state = flow.state;
    this.dialog.dataset.interaction = flow.interaction?.type ?? '';
    this.live.textContent = '';
    // The view is replaced; the live region stays where it is (a moved one may go unheard).
    if (this.live.parentElement === this.dialog) {
      for (const child of [...this.dialog.children]) if (child !== this.live) child.remove();
      this.dialog.prepend(view);
    } else {
      this.dialog.replaceChildren(view, this.live);
    }
    if (flow.state === 'DONE' || flow.state === 'ERROR') {
      // The outcome's title is said; the focused Close button carries the sentence below it
      // (aria-describedby), so each is read once.
      const title = view.querySelector('#prompt-title')?.textContent?.trim() ?? '';
      const live = this.live;
      queueMicrotask(() => (live.textContent = title));
    }
    const target =
      this.dialog.querySelector<HTMLElement>('[data-autofocus]') ??
      this.dialog.querySelector<HTMLElement>('button, input, select, textarea, [tabindex="0"]');
    // A relay warning stays in view above the field that takes the focus (phones scroll).
    target?.focus(this.dialog.querySelector('#relay-warning') ? { preventScroll: true } : undefined);
  }

  /** Escape: what the view's [data-escape] button does (deny, cancel or close); nothing while
   *  that button is disabled (an answer is on its way). */
  private escape(): void {
    this.dialog?.querySelector<HTMLButtonElement>('[data-escape]:not(:disabled)')?.click();
  }

  /** Closes the dialog (the flow itself is left alone). */
  close(): void {
    if (this.flow) this.dismissed.add(this.flow.id);
    this.dialog = null;
    const modal = this.modal;
    this.modal = null;
    modal?.close();
    if (modal) this.onClosed();
  }
}

export const prompts = new PromptController();
