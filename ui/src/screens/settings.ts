// Settings: PIN change, approvals, preferences, the camera, website links, theme, about.

import type { CameraInfo } from '../bindings/CameraInfo';
import type { ServerLinkPrefix } from '../bindings/ServerLinkPrefix';
import type { Settings } from '../bindings/Settings';
import type { Theme } from '../bindings/Theme';
import { applyTheme, state, toast } from '../app';
import { h } from '../dom';
import { explain } from '../format';
import { api, asIpcError } from '../ipc';

/** Saves the preferences; on failure shows why and returns false (nothing was changed). */
async function save(next: Settings): Promise<boolean> {
  try {
    state.settings = await api.settingsUpdate(next);
    applyTheme(state.settings);
    return true;
  } catch (err) {
    toast(explain(asIpcError(err)), 'bad');
    return false;
  }
}

function pinSection(): HTMLElement {
  const hasPin = state.accounts.some((a) => a.hasPin);
  if (!hasPin) {
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'pin-heading' },
      h('h2', { id: 'pin-heading' }, 'PIN'),
      h('p', { class: 'muted' }, 'No PIN is set. You choose one when you add the first account whose website asks for it.'),
    );
  }
  const field = (id: string, label: string) =>
    h(
      'div',
      { class: 'field' },
      h('label', { for: id }, label),
      h('input', { id, type: 'password', inputmode: 'numeric', pattern: '[0-9]*', autocomplete: 'off', minlength: '4', maxlength: '16', required: true }),
    );
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const form: HTMLFormElement = h(
    'form',
    {
      class: 'pin-change',
      onsubmit: async (e: SubmitEvent) => {
        e.preventDefault();
        const get = (id: string) => form.querySelector<HTMLInputElement>(`#${id}`)!;
        const [cur, next, again] = [get('pin-current'), get('pin-new'), get('pin-again')];
        const clear = () => [cur, next, again].forEach((i) => (i.value = ''));
        if (!/^\d{4,16}$/.test(next.value)) {
          status.textContent = 'The new PIN has 4 to 16 digits.';
          status.className = 'form-status bad';
          next.focus();
          return;
        }
        if (next.value !== again.value) {
          status.textContent = 'The new PINs differ.';
          status.className = 'form-status bad';
          again.value = '';
          again.focus();
          return;
        }
        const button = form.querySelector('button');
        if (button) button.disabled = true;
        status.textContent = 'Changing the PIN with every website…';
        status.className = 'form-status info';
        try {
          await api.pinChange(cur.value, next.value);
          status.textContent = 'Your PIN was changed.';
          status.className = 'form-status ok';
        } catch (err) {
          status.textContent = explain(asIpcError(err));
          status.className = 'form-status bad';
        } finally {
          clear();
          if (button) button.disabled = false;
        }
      },
    },
    field('pin-current', 'Current PIN'),
    field('pin-new', 'New PIN (4 to 16 digits)'),
    field('pin-again', 'New PIN again'),
    h('button', { type: 'submit', class: 'primary', id: 'pin-change' }, 'Change PIN'),
    status,
  );
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'pin-heading' },
    h('h2', { id: 'pin-heading' }, 'Change PIN'),
    h('p', { class: 'muted' }, 'Each website checks your current PIN before it accepts the new one.'),
    form,
  );
}

/** A switch for a yes/no preference. Disabled while it is saved; if the save is refused (the OS
 *  keeps start on login and the link handler, and may say no), it goes back to what is true. */
function preferenceSwitch(
  id: string,
  key: 'notifications' | 'startOnLogin' | 'keepInBackground' | 'openLinks' | 'askPinForLogins' | 'askPinForTransactions',
): HTMLInputElement {
  const input: HTMLInputElement = h('input', {
    type: 'checkbox',
    id,
    role: 'switch',
    checked: state.settings[key],
    onchange: async () => {
      input.disabled = true;
      const ok = await save({ ...state.settings, [key]: input.checked });
      if (!ok) input.checked = state.settings[key];
      input.disabled = false;
      input.focus();
    },
  });
  return input;
}

/** A preference switch with its name and a line on what it does (the label names the switch). */
function switchRow(input: HTMLInputElement, title: string, hint: string): HTMLElement {
  return h(
    'div',
    { class: 'switch-row' },
    h('label', { for: input.id }, h('span', null, title), h('span', { class: 'muted small' }, hint)),
    input,
  );
}

/** Most website addresses the person may add (src-tauri/src/links.rs). */
const MAX_LINK_PREFIXES = 20;

/** A website address as the app stores it (scheme and host in lower case, no trailing slash),
 *  or why it cannot be one: the same rules as nextauth_desktop::links::normalise_prefix, which has the last word. */
export function linkPrefix(text: string): { prefix: string } | { error: string } {
  const t = text.trim();
  if (!t) return { error: 'Enter the address the website’s links start with.' };
  if (t.length > 200) return { error: 'That address is too long.' };
  if (/\s/.test(t)) return { error: 'A website address has no spaces.' };
  if (!/^https:\/\//i.test(t)) return { error: 'The address must start with https://' };
  if (/^https:\/\/[/\\]/i.test(t)) return { error: 'That is not a website address.' };
  let url: URL;
  try {
    url = new URL(t);
  } catch {
    return { error: 'That is not a website address.' };
  }
  if (url.protocol !== 'https:' || !url.hostname) return { error: 'That is not a website address.' };
  if (url.username || url.password) return { error: 'Leave out the user name.' };
  if (url.search || url.hash || /[?#]/.test(t)) return { error: 'Leave out everything from ? or # on.' };
  return { prefix: url.href.replace(/\/+$/, '') };
}

/** The https addresses whose links open in the app: those the servers of the person's accounts
 *  announce (read-only) and the person's own list (add, remove; saved with the settings). */
function linksSection(): HTMLElement {
  const status = h('p', { class: 'form-status', id: 'link-prefix-status', role: 'status', 'aria-live': 'polite' });
  const say = (text: string, tone: 'ok' | 'bad') => {
    status.textContent = text;
    status.className = `form-status ${tone}`;
  };
  const list = h('ul', { class: 'prefix-list', id: 'link-prefixes', 'aria-labelledby': 'links-own' });
  const fromServers = h('div', { id: 'server-link-prefixes' });
  const input: HTMLInputElement = h('input', {
    id: 'link-prefix-input',
    type: 'text',
    inputmode: 'url',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'https://example.com/app',
    'aria-describedby': 'link-prefix-hint link-prefix-status',
  });
  const add: HTMLButtonElement = h('button', { type: 'submit', class: 'secondary', id: 'link-prefix-add' }, 'Add');
  async function saveList(next: string[]): Promise<boolean> {
    try {
      state.settings = await api.settingsUpdate({ ...state.settings, linkPrefixes: next });
      return true;
    } catch (err) {
      say(explain(asIpcError(err)), 'bad');
      return false;
    }
  }
  async function remove(prefix: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    if (await saveList(state.settings.linkPrefixes.filter((p) => p !== prefix))) {
      draw();
      say(`Links starting with ${prefix} no longer open in this app.`, 'ok');
      input.focus();
    } else {
      button.disabled = false;
      button.focus();
    }
  }
  function draw(): void {
    const prefixes = state.settings.linkPrefixes;
    list.replaceChildren(
      ...(prefixes.length
        ? prefixes.map((prefix) => {
            const button: HTMLButtonElement = h(
              'button',
              { type: 'button', class: 'secondary small-button', 'aria-label': `Remove ${prefix}`, onclick: () => void remove(prefix, button) },
              'Remove',
            );
            return h('li', { class: 'prefix-row' }, h('span', { class: 'mono prefix' }, prefix), button);
          })
        : [h('li', { class: 'muted small', id: 'link-prefixes-empty' }, 'None added.')]),
    );
  }
  const form = h(
    'form',
    {
      class: 'prefix-add',
      onsubmit: async (e: SubmitEvent) => {
        e.preventDefault();
        const checked = linkPrefix(input.value);
        if ('error' in checked) {
          say(checked.error, 'bad');
          input.focus();
          return;
        }
        if (state.settings.linkPrefixes.includes(checked.prefix)) {
          say(`${checked.prefix} is already in the list.`, 'bad');
          input.focus();
          return;
        }
        if (state.settings.linkPrefixes.length >= MAX_LINK_PREFIXES) {
          say(`At most ${MAX_LINK_PREFIXES} addresses; remove one first.`, 'bad');
          return;
        }
        add.disabled = true;
        const ok = await saveList([...state.settings.linkPrefixes, checked.prefix]);
        add.disabled = false;
        if (ok) {
          input.value = '';
          draw();
          say(`Links starting with ${checked.prefix} now open in this app.`, 'ok');
        }
        input.focus();
      },
    },
    h('label', { for: 'link-prefix-input' }, 'Add a website address'),
    h('div', { class: 'row' }, input, add),
    status,
  );
  const showServers = (servers: ServerLinkPrefix[]) =>
    fromServers.replaceChildren(
      ...(servers.length
        ? [
            h('h3', { id: 'links-servers' }, 'From your accounts'),
            h(
              'ul',
              { class: 'prefix-list', 'aria-labelledby': 'links-servers' },
              servers.map((s) => h('li', { class: 'prefix-row' }, h('span', { class: 'mono prefix' }, s.prefix), h('span', { class: 'muted small' }, s.serverName))),
            ),
          ]
        : []),
    );
  void api.settingsServerLinkPrefixes().then(showServers, () => showServers([]));
  draw();
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'links-heading' },
    h('h2', { id: 'links-heading' }, 'Website links'),
    h(
      'p',
      { class: 'muted', id: 'link-prefix-hint' },
      'A link on a website that logs you in or adds an account opens in this app when it starts with one of these addresses (nextauth: links always do).',
    ),
    fromServers,
    h('h3', { id: 'links-own' }, 'Added by you'),
    list,
    form,
  );
}

export async function renderSettings(main: HTMLElement): Promise<void> {
  const info = state.info ?? (state.info = await api.appInfo().catch(() => null));
  const notify = preferenceSwitch('notifications', 'notifications');
  const startOnLogin = preferenceSwitch('start-on-login', 'startOnLogin');
  const keepInBackground = preferenceSwitch('keep-in-background', 'keepInBackground');
  const openLinks = preferenceSwitch('open-links', 'openLinks');
  const pinForLogins = preferenceSwitch('ask-pin-logins', 'askPinForLogins');
  const pinForTransactions = preferenceSwitch('ask-pin-transactions', 'askPinForTransactions');
  const cameras = await api.cameraList().catch(() => [] as CameraInfo[]);
  // The remembered camera, or the first when it is gone (as a scan does).
  const camera = cameras.some((c) => c.id === state.settings.camera) ? state.settings.camera : cameras[0]?.id;
  const cameraField = cameras.length
    ? h(
        'div',
        { class: 'field' },
        h('label', { for: 'settings-camera' }, 'Camera for scanning'),
        h(
          'select',
          {
            id: 'settings-camera',
            onchange: (e: Event) => void save({ ...state.settings, camera: (e.target as HTMLSelectElement).value }),
          },
          cameras.map((c) => h('option', { value: c.id, selected: c.id === camera }, c.name)),
        ),
      )
    : null;
  const hasPin = state.accounts.some((a) => a.hasPin);
  const themes: [Theme, string][] = [
    ['system', 'System'],
    ['light', 'Light'],
    ['dark', 'Dark'],
  ];
  const themeGroup = h(
    'fieldset',
    { class: 'segmented' },
    h('legend', null, 'Theme'),
    themes.map(([value, label]) =>
      h(
        'label',
        null,
        h('input', {
          type: 'radio',
          name: 'theme',
          value,
          id: `theme-${value}`,
          checked: state.settings.theme === value,
          onchange: () => void save({ ...state.settings, theme: value }),
        }),
        h('span', null, label),
      ),
    ),
  );
  main.replaceChildren(
    h(
      'div',
      { class: 'screen narrow' },
      h('div', { class: 'screen-head' }, h('h1', null, 'Settings')),
      pinSection(),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'approvals-heading' },
        h('h2', { id: 'approvals-heading' }, 'Approvals'),
        h(
          'p',
          { class: 'muted' },
          hasPin
            ? 'Anyone at this computer while it is unlocked could approve for you. Your PIN, checked by the website, makes sure it is you.'
            : 'These take effect once you have a PIN (a website that asks for one lets you choose it).',
        ),
        switchRow(pinForTransactions, 'Ask for my PIN before approving a transaction', 'Recommended: payments cannot be undone'),
        switchRow(pinForLogins, 'Ask for my PIN before approving a login', 'Also for every login, not only when the website asks'),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'prefs-heading' },
        h('h2', { id: 'prefs-heading' }, 'Preferences'),
        switchRow(notify, 'Notifications', 'Tell me about login requests while the app is in the background'),
        info?.startOnLogin
          ? switchRow(startOnLogin, 'Start on login', 'Open nextAuth when you log in to this computer, so login requests reach you')
          : null,
        info?.tray
          ? switchRow(keepInBackground, 'Keep running in the tray', 'Closing the window leaves nextAuth in the tray, so login requests still reach you')
          : null,
        info?.linkHandler
          ? switchRow(openLinks, 'Open nextauth: links', 'Links on websites that start a login open this app')
          : null,
        cameraField,
        themeGroup,
      ),
      linksSection(),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'about-heading' },
        h('h2', { id: 'about-heading' }, 'About'),
        info
          ? h(
              'dl',
              { class: 'facts' },
              h('dt', null, 'Version'),
              h('dd', null, `${info.name} ${info.version}`),
              h('dt', null, 'Tauri'),
              h('dd', null, info.tauriVersion),
              h('dt', null, 'Web view'),
              h('dd', null, info.webviewVersion ?? 'unknown'),
              h('dt', null, 'Platform'),
              h('dd', null, info.platform),
              h('dt', null, 'Data folder'),
              h('dd', { class: 'mono' }, info.dataDir),
              h('dt', null, 'Your keys are protected by'),
              h(
                'dd',
                { id: 'about-keystore' },
                info.keystore === 'os-keychain'
                  ? 'the system keychain'
                  : info.keystore === 'file'
                    ? 'a file only readable by you (no system keychain was found)'
                    : info.keystore,
              ),
            )
          : h('p', null, 'Version information is unavailable.'),
        h('p', { class: 'muted small' }, 'nextauth-rs is open source under the Apache-2.0 licence.'),
      ),
    ),
  );
}
