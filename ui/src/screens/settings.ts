// Settings: PIN change, approvals, notifications, the camera, theme, about.

import type { CameraInfo } from '../bindings/CameraInfo';
import type { Settings } from '../bindings/Settings';
import type { Theme } from '../bindings/Theme';
import { applyTheme, state, toast } from '../app';
import { h } from '../dom';
import { explain } from '../format';
import { api, asIpcError } from '../ipc';

/** Saves the preferences; on failure shows why and returns false (nothing was changed). */
async function save(next: Settings): Promise<boolean> {
  try {
    state.settings = await api.updateSettings(next);
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
          await api.changePin(cur.value, next.value);
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
