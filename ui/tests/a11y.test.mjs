// Accessibility tests (WCAG 2.1 level AA) of the built UI in headless Chromium, with the IPC
// mocked (tests/harness.mjs):
//  - axe-core on every screen and prompt state in three colour modes (light, dark by the OS
//    with the theme on "system", dark by the app's setting): any WCAG 2.0/2.1 A or AA
//    violation fails;
//  - what axe does not check: the contrast of controls' edges (1.4.11), reflow at 320 px
//    (1.4.10) and between the phone and desktop layouts (601 to 801 px), forced colours (Windows high contrast), the keyboard in every prompt (2.1.1,
//    2.4.3), finished prompts and toasts that wait for the person (2.2.1), the skip link.
//
//   cd ui && npm run build && node tests/a11y.test.mjs      (CHROMIUM=/path overrides the browser)
//
// Prints one line per test and closes with "a11y: N passed, N failed".
import assert from 'node:assert/strict';
import { accounts, check, fixtures, flow, ids, messages, notMeEntry, servers } from './fixtures.mjs';
import { axeInPage, axeSource, bestPracticeFindings, MIN_RULES_APPLIED, WCAG_TAGS, wcagFailures } from './axe.mjs';
import { answers, open, PHONE, run, show, test } from './harness.mjs';

// ---------------------------------------------------------------------------------------------
// Colour modes

const DARK_BG = 'rgb(15, 20, 32)';
const MODES = {
  light: { colorScheme: 'light', theme: 'system', background: 'rgb(244, 246, 251)' },
  'dark by OS': { colorScheme: 'dark', theme: 'system', background: DARK_BG },
  'dark by setting': { colorScheme: 'light', theme: 'dark', background: DARK_BG },
};

/** `open` in a colour mode; checks the mode took effect (the page's background). */
async function openIn(mode, fx = fixtures(), options = {}) {
  const { colorScheme, theme, background } = MODES[mode];
  const page = await open({ ...fx, settings: { ...fx.settings, theme } }, { ...options, colorScheme });
  assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor), background, `${mode} is shown`);
  return page;
}

// ---------------------------------------------------------------------------------------------
// Every screen and prompt state, as journeys: each opens a page with its fixtures and walks
// through its states, yielding the name of each as it is shown.

/** Navigates to `hash` and waits for `selector`. */
async function visit(page, hash, selector) {
  await page.evaluate((h) => (location.hash = h), hash);
  await page.waitForSelector(selector);
}

const enrol = (state, interaction, extra) => flow('ENROL', state, interaction, { id: 'enrol-1', ...extra });
const announce = { info: [{ key: 'Location', value: 'Amsterdam, NL' }], logo: '', ip: '198.51.100.23', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0' };
const loginConfirm = (id, accountList = accounts.slice(0, 2), a = announce, c = check()) =>
  flow('LOGIN', 'WAITING_FOR_CONFIRMATION', { type: 'CONFIRM', accounts: accountList, announce: a, check: c }, { id });
const transactionConfirm = (id, c = check()) =>
  flow('SIGN_TRANSACTION', 'WAITING_FOR_CONFIRMATION', {
    type: 'CONFIRM_TRANSACTION', accounts: accounts.slice(2), amount: '1,250.00 EUR', beneficiary: 'Contoso Ltd', description: 'Invoice 2026-114', check: c,
  }, { id, serverId: ids.BANK });
const chooseCheck = check({ number: { type: 'CHOOSE', choices: ['17', '42', '86'] } });
const relayCheck = check({ number: { type: 'TYPE', digits: 2 }, relayWarning: true, source: 'SCREEN', observed: { location: '' } });
const pinVerify = (id, remaining, retry) =>
  flow('LOGIN', 'WAITING_FOR_INPUT', { type: 'VERIFY_SECOND_FACTOR', remainingAttempts: remaining, retry }, { id });
const done = (f, account = null) => ({ ...f, state: 'DONE', interaction: null, account });
const sessions = [
  { id: 's1', account: accounts[2], server: servers[ids.BANK], state: 'ACTIVE', continuous: true, error: null },
];

const journeys = [
  {
    name: 'screens',
    fx: fixtures(),
    async *states(page) {
      await page.waitForSelector('.account-row');
      yield 'accounts';
      await visit(page, '#/account/a1', 'h1');
      yield 'account detail';
      await page.locator('#delete-account').click();
      await page.waitForSelector('[role=alertdialog]');
      yield 'account: delete?';
      await page.evaluate(() => {
        window.__mock.overrides.account_delete = () => {
          throw { code: 120, message: 'the server could not be reached' };
        };
      });
      await page.locator('#confirm-delete').click();
      await page.waitForSelector('[role=alertdialog] .form-status:not(:empty)');
      yield 'account: delete refused';
      await page.keyboard.press('Escape');
      await visit(page, '#/scan', '#link-input');
      yield 'scan';
      await page.locator('#link-input').fill('https://evil.example/x');
      await page.locator('#link-go').click();
      await page.waitForSelector('.scan-card .form-status:not(:empty)');
      yield 'scan: not a nextAuth link';
      await page.evaluate(() => {
        window.__mock.screenChoices = [
          { link: 'nextauth:AAEC', kind: 'LOGIN', serverName: 'Acme', displayName: '' },
          { link: 'nextauth:AwQF', kind: 'ENROL', serverName: '', displayName: 'bob' },
        ];
      });
      await page.locator('#scan-screen').click();
      await page.waitForSelector('#choose-code');
      yield 'scan: several codes, choose one';
      await page.keyboard.press('Escape');
      await page.waitForSelector('#choose-code', { state: 'detached' });
      await visit(page, '#/history', '.history-entry');
      yield 'history';
      await page.locator('#filter-status').selectOption('PIN_CHANGED');
      await page.getByText('Nothing matches these filters.').waitFor();
      yield 'history: nothing matches';
      await page.locator('#filter-status').selectOption('');
      await visit(page, '#/messages', '.message');
      yield 'messages';
      await visit(page, '#/settings', '#pin-current');
      yield 'settings';
      await page.locator('#pin-current').fill('1111');
      await page.locator('#pin-new').fill('13579');
      await page.locator('#pin-again').fill('13579');
      await page.locator('#pin-change').click();
      await page.getByText('The current PIN is wrong.').waitFor();
      yield 'settings: PIN change refused';
      await page.evaluate((m) => {
        window.__mock.emit('app://notice', { code: 122, message: 'another flow is in progress' });
        window.__mock.emit('sdk://event', { type: 'MESSAGE_RECEIVED', message: m });
      }, messages[1]);
      await page.waitForFunction(() => document.querySelectorAll('.toast').length === 2);
      yield 'toasts';
    },
  },
  {
    name: 'website links and app login',
    fx: fixtures({ accounts: accounts.slice(2), serverLinkPrefixes: [{ serverName: 'Northwind Bank', prefix: 'https://links.bank.example/app' }] }),
    async *states(page) {
      await visit(page, '#/settings', '#link-prefix-input');
      await page.locator('#link-prefix-input').fill('https://shop.example/app');
      await page.locator('#link-prefix-add').click();
      await page.waitForSelector('#link-prefixes .prefix-row');
      await page.locator('#link-prefix-input').fill('http://shop.example');
      await page.locator('#link-prefix-add').click();
      await page.waitForSelector('#link-prefix-status.bad');
      yield 'settings: website links, an address refused';
      await visit(page, `#/account/${accounts[2].id}`, '#app-login[data-state="LOCKED"]');
      yield 'account: app login locked';
      await page.locator('#app-login-unlock').click();
      await page.waitForSelector('#app-login[data-state="UNLOCKED"]');
      await page.locator('#app-login-audience').fill('https://api.bank.example');
      await page.locator('#app-login-get-token').click();
      await page.waitForSelector('#app-login-token-text');
      yield 'account: app login unlocked, a token';
    },
  },
  {
    name: 'first run',
    fx: fixtures({ accounts: [], history: [] }),
    async *states(page) {
      await page.getByRole('heading', { name: 'Welcome to nextAuth' }).waitFor();
      yield 'welcome';
    },
  },
  {
    name: 'sessions and a new message',
    fx: fixtures({ sessions, messages: [messages[0], { ...messages[1], read: false }, messages[2]] }),
    async *states(page) {
      await page.waitForSelector('.session-row');
      await page.getByRole('link', { name: 'Messages, 1 new' }).waitFor();
      yield 'accounts: logged in now, a new message';
      await visit(page, '#/messages', '.message .badge');
      yield 'messages: a new one';
    },
  },
  {
    name: 'no messages',
    fx: fixtures({ messages: [] }),
    hash: '#/messages',
    async *states(page) {
      await page.getByRole('heading', { name: 'No messages yet' }).waitFor();
      yield 'messages: none';
    },
  },
  {
    name: 'camera',
    fx: fixtures({ info: { ...fixtures().info, camera: true } }),
    hash: '#/scan',
    async *states(page) {
      await page.locator('#scan-camera').click();
      await page.waitForFunction(() => document.getElementById('camera-preview')?.width === 64);
      yield 'add: camera preview';
    },
  },
  {
    name: 'phone',
    fx: fixtures(),
    viewport: PHONE,
    async *states(page) {
      await page.waitForSelector('.account-row');
      yield 'accounts (360 px)';
      await show(page, loginConfirm('login-phone'));
      yield 'login prompt (360 px)';
      await show(page, loginConfirm('login-phone-2', accounts.slice(0, 1), announce, relayCheck));
      yield 'login prompt, relayed, the number to type (360 px)';
    },
  },
  {
    name: 'prompts',
    fx: fixtures(),
    async *states(page) {
      await show(page, enrol('WAITING_FOR_CONFIRMATION', { type: 'CONFIRM_ENROL', displayName: 'alice', existingAccounts: [] }));
      yield 'enrol: confirm';
      await show(page, enrol('WAITING_FOR_CONFIRMATION', { type: 'CONFIRM_ENROL', displayName: 'alice-2', existingAccounts: accounts.slice(0, 2) }));
      yield 'enrol: confirm, accounts there already';
      await show(page, enrol('WAITING_FOR_INPUT', { type: 'SET_SECOND_FACTOR' }));
      yield 'enrol: choose a PIN';
      await page.keyboard.type('2468');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Repeat your PIN' }).waitFor();
      yield 'enrol: repeat the PIN';
      await page.keyboard.type('1111');
      await page.keyboard.press('Enter');
      await page.getByText('The two PINs differ').waitFor();
      yield 'enrol: the PINs differ';
      await show(page, done(enrol('DONE'), accounts[0]));
      yield 'enrol: done';

      await show(page, loginConfirm('login-1'));
      await page.getByText('Add a note for the website').click();
      yield 'login: confirm, two accounts, note open';
      await page.evaluate(() => (window.__mock.delays.flow_respond = () => 60_000));
      await page.locator('#approve').click();
      await page.waitForSelector('#approve:disabled');
      yield 'login: waiting for the answer';
      await page.evaluate(() => {
        window.__mock.delays = {};
        window.__mock.overrides.flow_respond = () => {
          throw { code: 120, message: 'the server could not be reached' };
        };
      });
      await show(page, loginConfirm('login-2', accounts.slice(2), { info: [], logo: '', ip: '', userAgent: '' }));
      await page.locator('#approve').click();
      await page.waitForSelector('#prompt .form-status:not(:empty)');
      yield 'login: one account, answer refused';
      await page.evaluate(() => delete window.__mock.overrides.flow_respond);
      await show(page, done(loginConfirm('login-3'), accounts[0]));
      yield 'login: done';
      await show(page, loginConfirm('login-4'));
      await page.locator('#deny').click();
      await show(page, done(loginConfirm('login-4')));
      await page.getByRole('heading', { name: 'Declined' }).waitFor();
      yield 'login: declined';
      await show(page, loginConfirm('login-5', accounts.slice(0, 1), announce, chooseCheck));
      yield 'login: choose the number';
      await page.locator('#number-1').check();
      yield 'login: a number chosen';
      await show(page, loginConfirm('login-6', accounts.slice(0, 1), announce, relayCheck));
      await page.locator('#number-input').fill('4');
      yield 'login: relayed, the number half typed';
      await page.locator('#not-me').click();
      await page.waitForSelector('#not-me-report');
      yield 'login: this was not me?';
      await page.locator('#not-me-report').click();
      await show(page, done(loginConfirm('login-6'), accounts[0]));
      await page.getByRole('heading', { name: 'Reported' }).waitFor();
      yield 'login: reported';

      await show(page, transactionConfirm('tx-0', chooseCheck));
      yield 'transaction: choose the number';
      await show(page, transactionConfirm('tx-1'));
      yield 'transaction: confirm';
      await page.locator('#approve').click();
      await page.waitForSelector('#pin-input');
      yield 'transaction: the PIN before approving';
      await page.keyboard.type('1111');
      await page.keyboard.press('Enter');
      await page.getByText('Wrong PIN.').waitFor();
      yield 'transaction: a wrong PIN before approving';
      await show(page, done(transactionConfirm('tx-1'), accounts[2]));
      yield 'transaction: approved';
      await show(page, transactionConfirm('tx-2'));
      await page.locator('#deny').click();
      await show(page, done(transactionConfirm('tx-2')));
      await page.getByRole('heading', { name: 'Transaction declined' }).waitFor();
      yield 'transaction: declined';

      await show(page, pinVerify('pin-1', 3, false));
      yield 'PIN: 3 attempts left';
      await show(page, pinVerify('pin-1', 2, true));
      yield 'PIN: wrong, 2 attempts left';
      await show(page, flow('LOGIN', 'ERROR', null, { id: 'pin-1', error: { code: 109, message: 'the PIN is blocked' } }));
      yield 'PIN: blocked';

      await show(page, flow('LOGIN', 'STARTING', null, { id: 'work-1' }));
      yield 'connecting';
      await show(page, flow('LOGIN', 'ACTIVE', null, { id: 'work-1' }));
      yield 'talking to the website';
      await show(page, flow('LOGIN', 'ERROR', null, { id: 'work-1', error: { code: 120, message: 'the server could not be reached' } }));
      yield 'error: server unreachable';
    },
  },
  {
    name: 'a reported login in the history',
    fx: fixtures({ history: [...fixtures().history.slice(-5), notMeEntry] }),
    hash: '#/history',
    async *states(page) {
      await page.waitForSelector('.history-entry.not-me');
      yield 'history: a reported login';
      await page.locator('.pause-controls button').first().click();
      await page.getByText('are paused until').waitFor();
      yield 'history: login requests paused';
      await page.evaluate(() => {
        window.__mock.overrides.account_pause_push = () => {
          throw { code: 120, message: 'the server could not be reached' };
        };
      });
      await page.locator('.pause-controls button').last().click();
      await page.waitForSelector('.pause-status.bad');
      yield 'history: a pause refused';
    },
  },
  {
    name: 'a deep link at start',
    fx: fixtures({ ready: { flow: loginConfirm('deep-1', accounts.slice(0, 1)), notices: [{ code: 32, message: 'parse error' }] } }),
    async *states(page) {
      await page.waitForSelector('#prompt');
      await page.waitForSelector('.toast');
      yield 'login prompt at start, with a notice';
    },
  },
];

/** Opens each journey's page (`openPage(journey)`) and calls `check(page, state name)` in each
 *  state; returns how many states were checked. */
async function everyState(openPage, check) {
  let count = 0;
  for (const journey of journeys) {
    const page = await openPage(journey);
    for await (const name of journey.states(page)) {
      await check(page, name);
      count++;
    }
    await page.context().close();
  }
  return count;
}
/** How many states the journeys show: a guard against one that stops early. */
const STATE_COUNT = 56;

// ---------------------------------------------------------------------------------------------
// axe

/** axe's violations on the page as it is now. */
async function axe(page, where) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource });
  const { rulesApplied, violations } = await page.evaluate(axeInPage, WCAG_TAGS);
  assert.ok(rulesApplied >= MIN_RULES_APPLIED, `axe applied only ${rulesApplied} rules to ${where}`);
  return violations;
}

for (const mode of Object.keys(MODES)) {
  test(`axe: every screen and prompt state has no WCAG 2.1 A/AA violation (${mode})`, async () => {
    const failures = [];
    const bestPractice = new Set();
    const count = await everyState(
      (j) => openIn(mode, j.fx, { hash: j.hash, viewport: j.viewport }),
      async (page, name) => {
        const violations = await axe(page, `${name} (${mode})`);
        failures.push(...wcagFailures(violations, `${name} (${mode})`));
        for (const id of bestPracticeFindings(violations)) bestPractice.add(id);
      },
    );
    assert.equal(count, STATE_COUNT, 'every state was checked');
    if (bestPractice.size) console.log(`# best practice (reported, not failing): ${[...bestPractice].join(', ')}`);
    assert.deepEqual(failures, [], `${failures.length} WCAG A/AA violations`);
  });
}

// ---------------------------------------------------------------------------------------------
// Colours measured in the page

/** Installs window.__colours: colour parsing, what shows behind an element, WCAG contrast. */
function installColourTools() {
  const parse = (s) => {
    const rgb = s.match(/^rgba?\(([^)]+)\)$/);
    const srgb = s.match(/^color\(srgb ([^)]+)\)$/);
    const parts = (rgb ?? srgb)?.[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    if (!parts) throw new Error(`cannot read the colour ${s}`);
    const scale = srgb ? 255 : 1;
    return [parts[0] * scale, parts[1] * scale, parts[2] * scale, parts[3] ?? 1];
  };
  const over = (top, below) => (top[3] >= 1 ? top : [0, 1, 2].map((i) => top[i] * top[3] + below[i] * (1 - top[3])).concat(1));
  /** The colour behind `el`: its ancestors' backgrounds laid over each other. */
  const behind = (el) => {
    const layers = [];
    for (let e = el.parentElement; e; e = e.parentElement) layers.unshift(parse(getComputedStyle(e).backgroundColor));
    return layers.reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => (v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  window.__colours = { parse, over, behind, ratio };
}

/** In the page: the contrast of each form control's edge (border or fill, whichever stands
 *  out more) against what surrounds it, of each switch's knob against its track, and of the
 *  chosen theme against the others; in the open dialog if there is one. */
function controlContrasts() {
  const { parse, over, behind, ratio } = window.__colours;
  const scope = document.querySelector('.dialog') ?? document;
  const found = [];
  for (const el of scope.querySelectorAll('input:not([type=radio]):not([type=file]), select')) {
    if (el.disabled || !el.checkVisibility()) continue;
    const s = getComputedStyle(el);
    const outside = behind(el);
    const fill = over(parse(s.backgroundColor), outside);
    const hasBorder = parseFloat(s.borderTopWidth) > 0 && s.borderTopStyle !== 'none';
    const edge = hasBorder ? over(parse(s.borderTopColor), outside) : fill;
    const name = el.id || el.name;
    found.push({ what: `${name}: edge`, ratio: Math.max(ratio(edge, outside), ratio(fill, outside)) });
    if (el.getAttribute('role') === 'switch') {
      const knob = over(parse(getComputedStyle(el, '::after').backgroundColor), fill);
      found.push({ what: `${name}: knob (${el.checked ? 'on' : 'off'})`, ratio: ratio(knob, fill) });
    }
  }
  const chosenNumber = scope.querySelector('.number-option input:checked + span');
  const otherNumber = scope.querySelector('.number-option input:not(:checked) + span');
  if (chosenNumber && otherNumber) {
    const outside = behind(chosenNumber);
    const fill = (el) => over(parse(getComputedStyle(el).backgroundColor), outside);
    found.push({ what: 'number: chosen against the others', ratio: ratio(fill(chosenNumber), fill(otherNumber)) });
    for (const span of scope.querySelectorAll('.number-option span')) {
      const s = getComputedStyle(span);
      found.push({ what: `number ${span.textContent}: edge`, ratio: ratio(over(parse(s.borderTopColor), outside), outside) });
    }
  }
  const chosen = scope.querySelector('.segmented input:checked + span');
  const other = scope.querySelector('.segmented input:not(:checked) + span');
  if (chosen && other) {
    const outside = behind(chosen);
    const fill = (el) => over(parse(getComputedStyle(el).backgroundColor), outside);
    found.push({ what: 'theme: chosen against the others', ratio: ratio(fill(chosen), fill(other)) });
  }
  return found;
}

/** In the page: the focus ring of the focused element (for the theme choice, its label's
 *  shape) and its contrast against what it is drawn on. */
function focusRing() {
  const { parse, over, behind, ratio } = window.__colours;
  let el = document.activeElement;
  if (el?.matches('.segmented input, .number-option input')) el = el.nextElementSibling;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  // A ring drawn inside the element (negative offset) sits on the element's own background.
  const outside = parseFloat(s.outlineOffset) < 0 ? over(parse(s.backgroundColor), behind(el)) : behind(el);
  return {
    what: el.id || el.getAttribute('aria-label') || el.textContent.trim(),
    style: s.outlineStyle,
    width: parseFloat(s.outlineWidth),
    ratio: ratio(over(parse(s.outlineColor), outside), outside),
  };
}

/** Tabs through `count` stops and returns each focus ring. */
async function focusRings(page, count) {
  const rings = [];
  for (let i = 0; i < count; i++) {
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(focusRing);
    if (ring) rings.push(ring);
  }
  return rings;
}

/** Opens the screens with form controls, and a prompt, and measures what controlContrasts
 *  and the focus rings give. */
async function measureControls(openPage) {
  const measured = [];
  const take = async (page, where) => {
    await page.evaluate(installColourTools);
    for (const m of await page.evaluate(controlContrasts)) measured.push({ ...m, where });
  };
  const settings = await openPage(fixtures(), '#/settings');
  await settings.waitForSelector('#open-links');
  await take(settings, 'settings');
  const rings = await focusRings(settings, 16);
  measured.push(...rings.map((r) => ({ what: `focus ring on ${r.what}`, ratio: r.style === 'solid' && r.width >= 2 ? r.ratio : 0, where: 'settings' })));
  await settings.context().close();
  const history = await openPage(fixtures(), '#/history');
  await history.waitForSelector('.history-entry');
  await take(history, 'history');
  await history.context().close();
  const add = await openPage(fixtures(), '#/scan');
  await take(add, 'add');
  await show(add, loginConfirm('login-1'));
  await add.getByText('Add a note for the website').click();
  await take(add, 'login prompt');
  const promptRings = await focusRings(add, 5);
  measured.push(...promptRings.map((r) => ({ what: `focus ring on ${r.what}`, ratio: r.style === 'solid' && r.width >= 2 ? r.ratio : 0, where: 'login prompt' })));
  await show(add, loginConfirm('login-n', accounts.slice(0, 1), announce, chooseCheck));
  await add.locator('#number-1').check();
  await add.locator('#number-0').focus();
  await take(add, 'number prompt');
  const numberRings = await focusRings(add, 3);
  measured.push(...numberRings.map((r) => ({ what: `focus ring on ${r.what}`, ratio: r.style === 'solid' && r.width >= 2 ? r.ratio : 0, where: 'number prompt' })));
  await show(add, loginConfirm('login-t', accounts.slice(0, 1), announce, relayCheck));
  await take(add, 'relayed prompt');
  await show(add, pinVerify('pin-1', 3, false));
  await take(add, 'PIN prompt');
  await add.context().close();
  return measured;
}

for (const mode of Object.keys(MODES)) {
  test(`non-text contrast: text fields, selects, switches, the theme choice and focus rings stand out by 3:1 (${mode})`, async () => {
    const measured = await measureControls((fx, hash) => openIn(mode, fx, { hash }));
    const names = measured.map((m) => `${m.where}: ${m.what}`);
    for (const expected of [
      'settings: pin-current: edge', 'settings: notifications: knob (on)', 'settings: start-on-login: knob (off)',
      'settings: start-on-login: edge', 'settings: theme: chosen against the others', 'history: filter-status: edge',
      'add: link-input: edge', 'login prompt: user-input: edge', 'PIN prompt: pin-input: edge',
      'number prompt: number: chosen against the others', 'number prompt: number 17: edge', 'relayed prompt: number-input: edge',
    ]) {
      assert.ok(names.includes(expected), `measured ${expected}`);
    }
    assert.ok(names.filter((n) => n.includes('focus ring')).length >= 12, 'focus rings measured');
    const weak = measured.filter((m) => m.ratio < 3).map((m) => `${m.where}: ${m.what} ${m.ratio.toFixed(2)}:1`);
    assert.deepEqual(weak, [], 'below 3:1');
  });
}

// ---------------------------------------------------------------------------------------------
// Reflow at 320 px (WCAG 1.4.10): nothing wider than the window, nothing cut off.

const NARROW = { width: 320, height: 640 };

/** In the page: what is wider than the window or than its box (form fields scroll their own
 *  text and are left out). */
function overflowing() {
  const width = document.documentElement.clientWidth;
  const name = (el) => (el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}${[...el.classList].map((c) => `.${c}`).join('')}`);
  const problems = [];
  if (document.documentElement.scrollWidth > width) problems.push(`the page is ${document.documentElement.scrollWidth} px wide`);
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.visually-hidden, .skip-link, svg, input, select, textarea') || !el.checkVisibility()) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;
    if (box.right > width + 1 || box.left < -1) problems.push(`${name(el)} spans ${Math.round(box.left)}..${Math.round(box.right)} px`);
    else if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) problems.push(`${name(el)} holds ${el.scrollWidth} px in ${el.clientWidth} px`);
  }
  return problems;
}

test('reflow: every screen and prompt state fits 320 px without sideways scrolling or cut-off content', async () => {
  const problems = [];
  const count = await everyState(
    (j) => open(j.fx, { hash: j.hash, viewport: NARROW }),
    async (page, name) => {
      for (const p of await page.evaluate(overflowing)) problems.push(`${name}: ${p}`);
    },
  );
  assert.equal(count, STATE_COUNT, 'every state was checked');
  assert.deepEqual(problems, [], 'overflow at 320 px');
});

// Between the phone layout and the full one, windows a person made narrow: either side of the
// breakpoints (600 and 800 px) and in between. Nothing may be cut off there either.
const BETWEEN = [601, 700, 800, 801];

test('widths between the phone and the desktop layout (601 to 801 px): every screen and prompt state fits, nothing cut off', async () => {
  const problems = [];
  for (const width of BETWEEN) {
    const count = await everyState(
      (j) => open(j.fx, { hash: j.hash, viewport: { width, height: 700 } }),
      async (page, name) => {
        for (const p of await page.evaluate(overflowing)) problems.push(`${width} px, ${name}: ${p}`);
      },
    );
    assert.equal(count, STATE_COUNT, `every state was checked at ${width} px`);
  }
  assert.deepEqual(problems, [], 'overflow between the layouts');
});

// ---------------------------------------------------------------------------------------------
// Forced colours (Windows high contrast)

/** In the page: each control's outline in forced colours: a border (or the fill a system
 *  colour keeps) that stands out by 3:1 from what is behind it. */
function forcedColourEdges() {
  const { parse, over, behind, ratio } = window.__colours;
  const found = [];
  const controls = document.querySelectorAll('button, input:not([type=radio]):not([type=file]), select, .segmented span, .dialog, .toast');
  for (const el of controls) {
    if (!el.checkVisibility() || el.closest('.visually-hidden')) continue;
    const s = getComputedStyle(el);
    const outside = behind(el);
    const border = parseFloat(s.borderTopWidth) > 0 && s.borderTopStyle !== 'none' ? ratio(over(parse(s.borderTopColor), outside), outside) : 0;
    const fill = ratio(over(parse(s.backgroundColor), outside), outside);
    found.push({ what: el.id || el.getAttribute('aria-label') || el.textContent.trim().slice(0, 30) || el.className, ratio: Math.max(border, fill) });
  }
  return found;
}

test('forced colours: controls, switches, the theme choice, dialogs and focus rings stay visible', async () => {
  const measured = [];
  const page = await open(fixtures(), { hash: '#/settings', forcedColors: 'active' });
  await page.waitForSelector('#open-links');
  await page.evaluate(installColourTools);
  assert.equal(await page.evaluate(() => matchMedia('(forced-colors: active)').matches), true, 'forced colours are on');
  measured.push(...(await page.evaluate(forcedColourEdges)).map((m) => ({ ...m, where: 'settings' })));
  // Which switch is on and which theme is chosen must show without the colours that said it.
  measured.push(...(await page.evaluate(controlContrasts)).filter((m) => !m.what.endsWith('edge')).map((m) => ({ ...m, where: 'settings' })));
  // The chosen theme's label is HighlightText on Highlight: drawn by hand, or the forced
  // backplate (Canvas behind text) hides it. Computed colours cannot show that; this can.
  const adjust = () => [...document.querySelectorAll('.segmented span, .number-option span')].map((el) => getComputedStyle(el).forcedColorAdjust);
  assert.deepEqual([...new Set(await page.evaluate(adjust))], ['none'], 'the theme choice is drawn by hand');
  const rings = await focusRings(page, 16);
  assert.ok(rings.length >= 12, 'focus moved through the settings');
  measured.push(...rings.map((r) => ({ what: `focus ring on ${r.what}`, ratio: r.style === 'solid' && r.width >= 2 ? r.ratio : 0, where: 'settings' })));
  await visit(page, '#/history', '.history-entry');
  measured.push(...(await page.evaluate(forcedColourEdges)).map((m) => ({ ...m, where: 'history' })));
  await show(page, loginConfirm('login-n', accounts.slice(0, 1), announce, chooseCheck));
  await page.locator('#number-1').check();
  measured.push(...(await page.evaluate(forcedColourEdges)).map((m) => ({ ...m, where: 'number prompt' })));
  assert.deepEqual([...new Set(await page.evaluate(adjust))], ['none'], 'the number choices are drawn by hand');
  measured.push(...(await page.evaluate(controlContrasts)).filter((m) => m.what.startsWith('number')).map((m) => ({ ...m, where: 'number prompt' })));
  await show(page, loginConfirm('login-1'));
  await page.evaluate(() => window.__mock.emit('app://notice', { code: 122, message: 'another flow is in progress' }));
  await page.waitForSelector('.toast');
  measured.push(...(await page.evaluate(forcedColourEdges)).map((m) => ({ ...m, where: 'login prompt' })));
  await page.context().close();
  const names = measured.map((m) => `${m.where}: ${m.what}`);
  for (const expected of ['settings: pin-change', 'settings: notifications', 'settings: notifications: knob (on)', 'settings: start-on-login: knob (off)',
    'settings: theme: chosen against the others', 'history: filter-server', 'login prompt: prompt', 'login prompt: approve', 'login prompt: Dismiss',
    'login prompt: not-me', 'number prompt: number: chosen against the others', 'number prompt: number 42: edge']) {
    assert.ok(names.includes(expected), `measured ${expected}`);
  }
  const invisible = measured.filter((m) => m.ratio < 3).map((m) => `${m.where}: ${m.what} ${m.ratio.toFixed(2)}:1`);
  assert.deepEqual(invisible, [], 'not visible in forced colours');
});

// ---------------------------------------------------------------------------------------------
// Keyboard (WCAG 2.1.1, 2.1.2, 2.4.3)

/** What has focus: '#id', 'radio <value>', 'summary', a button's label; 'body' for nothing. */
const focused = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'body';
    if (el.type === 'radio') return `radio ${el.value}`;
    if (el.tagName === 'SUMMARY') return 'summary';
    return el.id ? `#${el.id}` : (el.getAttribute('aria-label') ?? el.textContent.trim());
  });

/** Presses `key` `times` times and returns where focus went each time. */
async function trail(page, key, times) {
  const seen = [];
  for (let i = 0; i < times; i++) {
    await page.keyboard.press(key);
    seen.push(await focused(page));
  }
  return seen;
}

/** Asserts that Tab and Shift+Tab go round `stops` (in tab order) from the focused `from`,
 *  never leaving them. */
async function assertWraps(page, stops, from) {
  const at = stops.indexOf(from);
  assert.ok(at >= 0, `${from} is a stop`);
  const forward = stops.map((_, i) => stops[(at + 1 + i) % stops.length]);
  assert.deepEqual(await trail(page, 'Tab', stops.length), forward, 'Tab wraps');
  const backward = stops.map((_, i) => stops[(at - 1 - i + 2 * stops.length) % stops.length]);
  assert.deepEqual(await trail(page, 'Shift+Tab', stops.length), backward, 'Shift+Tab wraps');
}

const DIGITS = ['Digit 1', 'Digit 2', 'Digit 3', 'Digit 4', 'Digit 5', 'Digit 6', 'Digit 7', 'Digit 8', 'Digit 9', 'Delete last digit', 'Digit 0'];
const errorFlow = (id, code, message) => flow('LOGIN', 'ERROR', null, { id, error: { code, message } });

// Each prompt: where focus starts, the tab stops in order, and what Escape does (DENY: the
// answer, then the result closes with Escape too; stop: the flow is stopped; close).
const PROMPTS = [
  ['enrol', enrol('WAITING_FOR_CONFIRMATION', { type: 'CONFIRM_ENROL', displayName: 'alice', existingAccounts: [] }), '#approve', ['#deny', '#approve'], 'DENY'],
  ['login', loginConfirm('login-1'), '#approve', ['radio a1', 'summary', '#not-me', '#deny', '#approve'], 'DENY'],
  // Approve waits for the number: no tab stop until then.
  ['login with a number to choose', loginConfirm('login-n', accounts.slice(0, 1), announce, chooseCheck), 'radio 17', ['radio 17', 'summary', '#not-me', '#deny'], 'DENY'],
  ['relayed login with a number to type', loginConfirm('login-t', accounts.slice(0, 1), announce, relayCheck), '#number-input', ['#number-input', 'summary', '#not-me', '#deny'], 'DENY'],
  ['transaction', transactionConfirm('tx-1'), '#approve', ['#not-me', '#deny', '#approve'], 'DENY'],
  ['PIN', pinVerify('pin-1', 3, false), '#pin-input', ['#pin-input', ...DIGITS, '#pin-cancel', '#pin-ok'], 'stop'],
  ['connecting', flow('LOGIN', 'STARTING', null, { id: 'work-1' }), '#cancel', ['#cancel'], 'stop'],
  ['done', done(loginConfirm('login-2'), accounts[0]), '#close', ['#close'], 'close'],
  ['error', errorFlow('err-1', 120, 'the server could not be reached'), '#close', ['#close'], 'close'],
];

for (const [name, f, first, stops, escape] of PROMPTS) {
  test(`keyboard: ${name} prompt: focus on ${first}, Tab and Shift+Tab wrap, Escape ${escape === 'DENY' ? 'denies' : escape === 'stop' ? 'stops the flow' : 'closes'}, focus returns`, async () => {
    const page = await open();
    await page.locator('#scan-button').focus();
    await show(page, f);
    assert.equal(await focused(page), first, 'focus starts on the main action');
    await assertWraps(page, stops, first);
    await page.keyboard.press('Escape');
    if (escape === 'DENY') {
      await page.waitForFunction(() => window.__mock.answers().length === 1);
      assert.deepEqual((await answers(page))[0], { type: 'DENY' });
      await show(page, done(f));
      assert.equal(await focused(page), '#close');
      await page.keyboard.press('Escape');
    } else if (escape === 'stop') {
      await page.waitForFunction(() => window.__mock.calls.some(([c]) => c === 'flow_stop'));
    }
    assert.equal(await page.locator('#prompt').count(), 0, 'the prompt is closed');
    assert.equal(await focused(page), '#scan-button', 'focus is back where it was');
    await page.context().close();
  });
}

test('keyboard: "This was not me": focus on Report, Tab wraps in the step, Escape goes back to the question (focus on This was not me), Enter reports', async () => {
  const page = await open();
  await page.locator('#scan-button').focus();
  await show(page, loginConfirm('login-1', accounts.slice(0, 1), announce, relayCheck));
  await page.locator('#not-me').focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('#not-me-report');
  assert.equal(await focused(page), '#not-me-report');
  await assertWraps(page, ['#not-me-back', '#not-me-report'], '#not-me-report');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#number-input');
  assert.equal(await focused(page), '#not-me', 'back on This was not me');
  assert.equal((await answers(page)).length, 0, 'Escape sent nothing');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#not-me-report');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.__mock.answers().length === 1);
  assert.deepEqual((await answers(page))[0], { type: 'NOT_ME', accountId: 'a1' });
  await show(page, done(loginConfirm('login-1'), accounts[0]));
  assert.equal(await focused(page), '#close');
  assert.equal(await page.locator('#close').getAttribute('aria-describedby'), 'prompt-desc', 'Close carries what happened');
  await page.waitForFunction(() => document.getElementById('prompt-live')?.textContent === 'Reported');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('#prompt').count(), 0);
  assert.equal(await focused(page), '#scan-button', 'focus is back where it was');
  await page.context().close();
});

test('keyboard: login prompt: after choosing the second account with the arrow keys, Shift+Tab and Tab still wrap', async () => {
  const page = await open();
  await show(page, loginConfirm('login-1'));
  assert.deepEqual(await trail(page, 'Tab', 1), ['radio a1'], 'Tab from Approve wraps to the account choice');
  await page.keyboard.press('ArrowDown');
  assert.equal(await focused(page), 'radio a2');
  assert.equal(await page.locator('input[value=a2]').isChecked(), true, 'the arrow chose the second account');
  await assertWraps(page, ['radio a2', 'summary', '#not-me', '#deny', '#approve'], 'radio a2');
  await page.keyboard.press('Enter'); // submits the form: approve as the second account
  await page.waitForFunction(() => window.__mock.answers().length === 1);
  assert.equal((await answers(page))[0].accountId, 'a2');
  await page.context().close();
});

/** Asserts the focused element shows a ring of 3:1. */
async function assertVisibleFocus(page) {
  await page.evaluate(installColourTools);
  const ring = await page.evaluate(focusRing);
  assert.ok(ring.style === 'solid' && ring.width >= 2 && ring.ratio >= 3, `focus is visible: ${JSON.stringify(ring)}`);
}

/** Asserts focus is on the dialog itself, visibly, and stays there through Tab and Shift+Tab. */
async function assertFocusWaitsOnDialog(page, dialogId) {
  assert.equal(await focused(page), dialogId, 'focus waits on the dialog');
  await assertVisibleFocus(page);
  assert.deepEqual(await trail(page, 'Tab', 2), [dialogId, dialogId], 'Tab stays in the dialog');
  assert.deepEqual(await trail(page, 'Shift+Tab', 2), [dialogId, dialogId], 'Shift+Tab stays in the dialog');
}

test('keyboard: while an answer is on its way focus stays in the prompt; a refused answer puts it back', async () => {
  // Approve answers at once here (no PIN asked first: that step has its own checks).
  const page = await open(fixtures({ settings: { ...fixtures().settings, askPinForTransactions: false } }));
  await page.evaluate(() => {
    // The SDK takes 1.5 s, then refuses.
    window.__mock.delays.flow_respond = () => 1500;
    window.__mock.overrides.flow_respond = () => {
      throw { code: 120, message: 'the server could not be reached' };
    };
  });
  await show(page, transactionConfirm('tx-1'));
  await page.keyboard.press('Enter');
  await page.waitForSelector('#approve:disabled');
  await assertFocusWaitsOnDialog(page, '#prompt');
  await page.keyboard.press('Escape');
  assert.equal(await focused(page), '#prompt', 'Escape cannot deny while the answer is on its way');
  await page.getByText('could not be reached').waitFor();
  assert.equal(await focused(page), '#approve', 'focus is back on Approve, next to the error');
  assert.deepEqual((await answers(page)).map((a) => a.type), ['CONFIRM'], 'Escape sent nothing meanwhile');

  // The PIN pad: the field keeps focus while OK waits.
  await page.evaluate(() => delete window.__mock.overrides.flow_respond);
  await show(page, pinVerify('pin-1', 3, false));
  await page.keyboard.type('2468');
  await page.locator('#pin-ok').focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('#pin-ok:disabled');
  assert.equal(await focused(page), '#pin-input', 'focus moves to the field, not <body>');
  await page.context().close();
});

test('keyboard: delete dialog: Tab wraps, focus stays in it while deleting, comes back after a refusal, returns to the opener', async () => {
  const page = await open(fixtures(), { hash: '#/account/a1' });
  await page.locator('#delete-account').focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('#delete-dialog');
  assert.equal(await focused(page), '#cancel-delete', 'the safe choice has focus');
  await assertWraps(page, ['#cancel-delete', '#confirm-delete'], '#cancel-delete');
  await page.evaluate(() => {
    window.__mock.delays.account_delete = () => 1500;
    window.__mock.overrides.account_delete = () => {
      throw { code: 120, message: 'the server could not be reached' };
    };
  });
  await page.locator('#confirm-delete').focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('#confirm-delete:disabled');
  assert.equal(await focused(page), '#delete-dialog', 'focus waits on the dialog');
  await assertVisibleFocus(page);
  assert.deepEqual(await trail(page, 'Tab', 2), ['#cancel-delete', '#cancel-delete'], 'Tab reaches only what is enabled');
  await page.locator('#delete-dialog .form-status:not(:empty)').waitFor();
  assert.equal(await focused(page), '#cancel-delete');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(page), '#confirm-delete', 'Delete is back in the cycle');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('#delete-dialog').count(), 0);
  assert.equal(await focused(page), '#delete-account', 'focus returns to the opener');
  await page.context().close();
});

test('keyboard: the skip link moves focus to the screen without changing it (Settings, account detail)', async () => {
  for (const [hash, heading] of [['#/settings', 'Settings'], ['#/account/a1', 'alice@acme.example']]) {
    const page = await open(fixtures(), { hash });
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.className), 'skip-link');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => location.hash), hash, 'still the same screen');
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.closest('main')?.id), 'main', 'focus is in the content');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => !!document.activeElement?.closest('main')), true, 'Tab goes on from the content');
    await page.context().close();
  }
});

// ---------------------------------------------------------------------------------------------
// Timing (WCAG 2.2.1): nothing goes away on a timer.

test('timing: a finished prompt and toasts stay until dismissed; dismissing a toast keeps focus on the page', async () => {
  const page = await open(fixtures(), { clock: 'fake' });
  await page.locator('#scan-button').focus();
  await show(page, done(loginConfirm('login-1'), accounts[0]));
  await page.evaluate((m) => {
    window.__mock.emit('app://notice', { code: 122, message: 'another flow is in progress' });
    window.__mock.emit('sdk://event', { type: 'MESSAGE_RECEIVED', message: m });
  }, messages[1]);
  await page.waitForFunction(() => document.querySelectorAll('.toast').length === 2);
  await page.clock.runFor('10:00'); // ten minutes later
  assert.equal(await page.locator('#prompt[data-state="DONE"]').count(), 1, 'the finished prompt is still open');
  assert.equal(await focused(page), '#close', 'and still has focus');
  assert.equal(await page.locator('.toast').count(), 2, 'the toasts are still shown');
  await page.keyboard.press('Escape');
  assert.equal(await focused(page), '#scan-button', 'focus returned');
  // Dismissed from the keyboard, one after the other.
  await page.locator('.toast-dismiss').first().focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('.toast').count(), 1);
  assert.equal(await focused(page), 'Dismiss', 'focus moves to the next toast');
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('.toast').count(), 0);
  assert.equal(await focused(page), '#main', 'then to the screen, not <body>');
  await page.context().close();
});

test('toasts: the same failure reported twice at once shows once; said again later, it shows again; at most three stay', async () => {
  const page = await open(fixtures(), { clock: 'fake' });
  const notice = () => page.evaluate(() => window.__mock.emit('app://notice', { code: 122, message: 'another flow is in progress' }));
  await notice();
  await notice();
  assert.equal(await page.locator('.toast').count(), 1, 'shown once');
  await page.evaluate(() => window.__mock.emit('app://notice', { code: 120, message: 'unreachable' }));
  await page.clock.runFor(5000);
  await notice();
  const texts = await page.locator('.toast-text').allInnerTexts();
  assert.equal(texts.length, 2);
  assert.match(texts[1], /^Another request is still open/, 'said again, it moves to the end (and is announced again)');
  for (const code of [32, 300]) await page.evaluate((code) => window.__mock.emit('app://notice', { code, message: 'x' }), code);
  assert.equal(await page.locator('.toast').count(), 3, 'at most three');
  await page.context().close();
});

test('toasts: they never hide the end of a screen; Escape dismisses the newest', async () => {
  for (const viewport of [{ width: 960, height: 480 }, PHONE]) {
    const page = await open(fixtures(), { hash: '#/settings', viewport });
    await page.waitForSelector('#open-links');
    for (const code of [122, 120, 32]) await page.evaluate((code) => window.__mock.emit('app://notice', { code, message: 'x' }), code);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const [contentEnd, toastsTop] = await page.evaluate(() => [
      document.querySelector('main .card:last-of-type').getBoundingClientRect().bottom,
      document.getElementById('toasts').getBoundingClientRect().top,
    ]);
    assert.ok(contentEnd <= toastsTop, `${viewport.width} px: scrolled to the end, the last card (to ${contentEnd}) is above the toasts (from ${toastsTop})`);
    await page.locator('#notifications').focus();
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('.toast').count(), 2, 'Escape dismissed one');
    assert.match(await page.locator('.toast-text').last().innerText(), /could not be reached/, 'the newest went (not a nextAuth code)');
    assert.equal(await focused(page), '#notifications', 'focus stays where it was');
    await page.context().close();
  }
});

await run('a11y');
