// AppLogin ("unlock", docs/app.md): the app logs itself in to its server with its only
// account, so that the deployment's own services can learn who uses it; while unlocked it
// gives short-lived tokens for one audience (a backend's address) to copy. The login runs as
// a flow: its progress and a PIN question appear in the normal prompt.

import type { Account } from './bindings/Account';
import type { AppLoginStatus } from './bindings/AppLoginStatus';
import type { IpcError } from './bindings/IpcError';
import type { ServerInfo } from './bindings/ServerInfo';
import { state } from './app';
import { h, mount } from './dom';
import { clock, explain } from './format';
import { api, asIpcError } from './ipc';
import { Code } from './bindings/codes';

function why(err: IpcError, server: string): string {
  switch (err.code) {
    case Code.NO_ACCOUNTS_FOR_SERVER:
    case Code.SINGLE_ACCOUNT:
      return 'Unlocking needs this app to hold exactly one account.';
    case Code.LOGIN_EXPIRED:
      return `${server} no longer vouches for this login. Lock and unlock again.`;
    case Code.NO_APP_LOGIN:
      return 'The app is locked. Unlock it first.';
    default:
      return explain(err);
  }
}

/** The flow of the last Unlock, until the card has said how it ended (the screen is drawn anew
 *  when a flow ends). */
let attempt: string | null = null;

/** The account screen's "App login" card: only when the account is the app's only one. */
export function appLoginCard(account: Account, server: ServerInfo | null): HTMLElement | null {
  if (state.accounts.length !== 1 || account.pendingDelete) return null;
  const name = server?.name ?? account.serverName;
  const card = h('section', { class: 'card app-login', id: 'app-login', 'aria-labelledby': 'app-login-heading' });
  const heading = h('h2', { id: 'app-login-heading' }, 'App login');
  const status = h('p', { class: 'form-status', id: 'app-login-status', role: 'status', 'aria-live': 'polite' });
  const say = (text: string, tone: 'ok' | 'bad' | 'info') => {
    status.textContent = text;
    status.className = `form-status ${tone}`;
  };
  const body = h('div', null);
  card.append(heading, body, status);

  function draw(now: AppLoginStatus, focus?: string): void {
    card.dataset.state = now.state;
    if (now.state === 'UNLOCKING') attempt = now.flowId;
    else if (now.state === 'LOCKED' && attempt) {
      // The login's flow ended; its session may be a moment behind. Still locked then: it was
      // refused (the prompt said why), ended by the server, or the server keeps no logins open.
      const ended = attempt;
      setTimeout(async () => {
        const later = await api.appLoginStatus().catch(() => null);
        if (!later || attempt !== ended || !card.isConnected) return;
        if (later.state !== 'LOCKED') return draw(later);
        attempt = null;
        say(`The app did not stay unlocked: ${name} ended the login, or keeps no logins open.`, 'bad');
      }, 600);
    } else attempt = null;
    if (now.state === 'UNLOCKED') drawUnlocked();
    else drawLocked(now.state === 'UNLOCKING');
    if (focus) card.querySelector<HTMLElement>(focus)?.focus();
  }

  function drawLocked(unlocking: boolean): void {
    const unlock: HTMLButtonElement = h(
      'button',
      {
        type: 'button',
        class: 'primary',
        id: 'app-login-unlock',
        disabled: unlocking,
        onclick: async () => {
          unlock.disabled = true;
          say('', 'info');
          try {
            draw(await api.appLoginStart());
          } catch (err) {
            say(why(asIpcError(err), name), 'bad');
            unlock.disabled = false;
            unlock.focus();
          }
        },
      },
      unlocking ? 'Unlocking…' : 'Unlock',
    );
    mount(
      body,
      h('p', { id: 'app-login-state' }, h('strong', null, unlocking ? 'Unlocking…' : 'Locked')),
      h(
        'p',
        { class: 'muted' },
        `Unlock to log this app in to ${name} as ${account.displayName}, so that ${name}’s own services know it is you. Your PIN is asked when ${name} wants it. The app stays unlocked until you lock it or ${name} ends the login.`,
      ),
      // What the app last heard from the server; it may have changed since (the login reads it anew).
      server && server.pingTime === 0
        ? h('p', { class: 'muted small', id: 'app-login-one-shot' }, `Last time, ${name} kept no logins open (one-shot logins): then the app cannot stay unlocked.`)
        : null,
      unlock,
    );
  }

  function drawUnlocked(): void {
    const audience: HTMLInputElement = h('input', {
      id: 'app-login-audience',
      type: 'text',
      inputmode: 'url',
      autocomplete: 'off',
      spellcheck: 'false',
      placeholder: 'https://api.example.com',
    });
    const result = h('div', { id: 'app-login-result' });
    const get: HTMLButtonElement = h('button', { type: 'submit', class: 'secondary', id: 'app-login-get-token' }, 'Get token');
    const form = h(
      'form',
      {
        class: 'app-login-token',
        onsubmit: async (e: SubmitEvent) => {
          e.preventDefault();
          const who = audience.value.trim();
          if (!who) {
            say('Say who the token is for: the address of the service that asks for it.', 'bad');
            audience.focus();
            return;
          }
          get.disabled = true;
          try {
            const token = await api.appLoginToken(who);
            const text: HTMLTextAreaElement = h('textarea', { id: 'app-login-token-text', readonly: true, rows: 5, 'aria-label': `Token for ${token.audience}` });
            text.value = token.token;
            const copy: HTMLButtonElement = h(
              'button',
              {
                type: 'button',
                class: 'secondary small-button',
                id: 'app-login-copy',
                onclick: async () => {
                  try {
                    await navigator.clipboard.writeText(token.token);
                    say('Token copied.', 'ok');
                  } catch {
                    text.select();
                    say('Copying is not allowed here: the token is selected, copy it with Ctrl+C.', 'bad');
                  }
                },
              },
              'Copy',
            );
            result.replaceChildren(
              text,
              h('div', { class: 'row token-actions' }, copy, h('span', { class: 'muted small' }, `For ${token.audience}, valid until ${clock(token.expiresAt)}`)),
            );
            say('Here is a token. Give it to the service that asked; it works for a few minutes.', 'ok');
            copy.focus();
          } catch (err) {
            const e = asIpcError(err);
            say(why(e, name), 'bad');
            if (e.code === Code.NO_APP_LOGIN) void api.appLoginStatus().then((s) => draw(s, '#app-login-unlock'));
            else audience.focus();
          } finally {
            get.disabled = false;
          }
        },
      },
      h('label', { for: 'app-login-audience' }, 'Token for (the service’s address)'),
      h('div', { class: 'row' }, audience, get),
    );
    const lock: HTMLButtonElement = h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        id: 'app-login-lock',
        onclick: async () => {
          lock.disabled = true;
          try {
            attempt = null;
            draw(await api.appLoginStop(), '#app-login-unlock');
            say(`Locked: ${name} ended the app’s login.`, 'ok');
          } catch (err) {
            say(why(asIpcError(err), name), 'bad');
            lock.disabled = false;
            lock.focus();
          }
        },
      },
      'Lock',
    );
    body.replaceChildren(
      h('p', { id: 'app-login-state' }, h('strong', null, 'Unlocked'), ` as ${account.displayName} at ${name}`),
      form,
      result,
      lock,
    );
  }

  drawLocked(false);
  void api.appLoginStatus().then(
    (s) => draw(s),
    () => undefined,
  );
  return card;
}
