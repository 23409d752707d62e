// UI tests: the built UI (ui/dist) in Debian's headless Chromium, driven with playwright-core,
// with Tauri's IPC mocked at the edge (tests/mock-tauri.js stands in for window.__TAURI__).
// Covers every screen and prompt, and saves screenshots (light and dark) to docs/screenshots.
//
//   cd ui && npm run build && node tests/ui.test.mjs      (CHROMIUM=/path overrides the browser)
//
// Prints one line per test and closes with "N passed, N failed".
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { accounts, fixtures, flow, ids, messages, now as fixtureNow, servers } from './fixtures.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../dist');
const shots = path.resolve(here, '../../docs/screenshots');
const mockSource = fs.readFileSync(path.join(here, 'mock-tauri.js'), 'utf8');
fs.mkdirSync(shots, { recursive: true });
assert.ok(fs.existsSync(path.join(dist, 'index.html')), 'ui/dist is missing: run npm run build first');

const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml' };
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const file = path.join(dist, url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname));
  if (!file.startsWith(dist) || !fs.existsSync(file)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});

const DESKTOP = { width: 960, height: 720 };
const PHONE = { width: 360, height: 740 };
const pageErrors = [];

/** A fresh page on the built UI with the mock and `fx` fixtures; waits until it is ready. */
async function open(fx = fixtures(), { viewport = DESKTOP, hash = '' } = {}) {
  const context = await browser.newContext({ viewport, colorScheme: 'light', reducedMotion: 'reduce', deviceScaleFactor: 1 });
  // The page's clock stands at the fixtures' moment, so "5 minutes ago" does not drift on a slow run.
  await context.clock.setFixedTime(fixtureNow * 1000);
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  await page.addInitScript(`window.__MOCK_FIXTURES__ = ${JSON.stringify(fx)};\n${mockSource}`);
  await page.goto(base + hash);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

/** Screenshots in light and dark (prefers-color-scheme, theme "system"); whole page unless a
 *  dialog is open. Focus is dropped first so no focus ring shows. */
async function shoot(page, name) {
  await page.evaluate(() => document.activeElement?.blur?.());
  const fullPage = (await page.locator('.backdrop').count()) === 0;
  await page.waitForTimeout(50);
  await page.screenshot({ path: path.join(shots, `app-${name}-light.png`), fullPage });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(50);
  await page.screenshot({ path: path.join(shots, `app-${name}-dark.png`), fullPage });
  await page.emulateMedia({ colorScheme: 'light' });
}

/** Emits a FLOW_UPDATE through the mock and waits for the prompt to show it. */
async function show(page, f) {
  await page.evaluate((f) => window.__mock.show(f), f);
  await page.waitForSelector(`#prompt[data-state="${f.state}"]`);
}

const answers = (page) => page.evaluate(() => window.__mock.answers());
const noOverflow = async (page) => {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `horizontal overflow: ${scroll} > ${width}`);
};

const enrolFlow = (state, interaction, extra) => flow('ENROL', state, interaction, { id: 'enrol-1', ...extra });

const tests = [];
const test = (name, fn) => tests.push([name, fn]);

test('first run: welcome explains the app and offers every way to add an account', async () => {
  const page = await open(fixtures({ accounts: [], history: [] }));
  await page.getByRole('heading', { name: 'Welcome to nextAuth' }).waitFor();
  for (const name of ['Scan from screen', 'Open image…', 'Use camera']) {
    assert.ok(await page.getByRole('button', { name: new RegExp(name) }).isVisible(), name);
  }
  assert.ok(await page.getByLabel('Paste a link').isVisible());
  await shoot(page, 'welcome');
  await page.setViewportSize(PHONE);
  await noOverflow(page);
  await shoot(page, 'mobile-welcome');
  await page.context().close();
});

test('enrol: scan from screen, compare the visual hash, set the PIN twice, done', async () => {
  const page = await open(fixtures({ accounts: [], history: [] }));
  await page.evaluate((f) => (window.__mock.nextFlow = f), [
    enrolFlow('STARTING', null),
    enrolFlow('WAITING_FOR_CONFIRMATION', { type: 'CONFIRM_ENROL', displayName: 'alice', existingAccounts: [] }),
  ]);
  await page.getByRole('button', { name: /Scan from screen/ }).click();
  await page.waitForSelector('#prompt[data-interaction="CONFIRM_ENROL"]');
  const dialog = page.getByRole('dialog');
  assert.match(await dialog.getByRole('heading', { level: 2 }).innerText(), /Add an account at Acme\?/);
  assert.ok(await dialog.getByRole('img', { name: /Visual hash/ }).isVisible(), 'visual hash shown');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'approve', 'focus on the main action');
  await shoot(page, 'prompt-enrol');
  await page.getByRole('button', { name: 'Add account' }).click();
  assert.deepEqual((await answers(page)).at(-1), { type: 'CONFIRM' });

  await show(page, enrolFlow('WAITING_FOR_INPUT', { type: 'SET_SECOND_FACTOR' }));
  assert.equal(await page.getByRole('heading', { name: 'Choose a PIN' }).count(), 1);
  for (const d of '24') await page.getByRole('button', { name: `Digit ${d}` }).click();
  await page.keyboard.type('68');
  await shoot(page, 'prompt-pin-set');
  await page.locator('#pin-input').focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Repeat your PIN' }).waitFor();
  await page.keyboard.type('2469');
  await page.keyboard.press('Enter');
  await page.getByText('The two PINs differ').waitFor();
  assert.equal((await answers(page)).length, 1, 'a mismatch sends nothing');
  await page.keyboard.type('2468');
  await page.keyboard.press('Enter');
  await page.keyboard.type('2468');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.__mock.answers().length === 2);
  assert.deepEqual((await answers(page)).at(-1), { type: 'PIN', pin: '2468' });
  assert.equal(await page.locator('#pin-input').inputValue(), '', 'the PIN is cleared after sending');

  await page.evaluate((a) => {
    window.__mock.accounts = [a];
  }, accounts[0]);
  await show(page, enrolFlow('DONE', null, { account: accounts[0] }));
  await page.getByRole('heading', { name: 'Account added' }).waitFor();
  await shoot(page, 'prompt-enrol-done');
  await page.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('heading', { name: 'Accounts' }).waitFor();
  assert.equal(await page.locator('.account-row').count(), 1, 'the new account is listed');
  await page.context().close();
});

test('enrol with existing accounts warns; Escape cancels', async () => {
  const page = await open();
  await show(page, enrolFlow('WAITING_FOR_CONFIRMATION', { type: 'CONFIRM_ENROL', displayName: 'alice-2', existingAccounts: accounts.slice(0, 2) }));
  await page.getByText('You already have 2 accounts at this website').waitFor();
  await shoot(page, 'prompt-enrol-existing');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => window.__mock.answers().length === 1);
  assert.deepEqual((await answers(page))[0], { type: 'DENY' });
  await page.context().close();
});

test('accounts: grouped by server with logos, names and last login', async () => {
  const page = await open();
  const groups = page.locator('.server-group');
  assert.equal(await groups.count(), 2);
  assert.deepEqual(await page.locator('.server-group h2').allInnerTexts(), ['Acme', 'Northwind Bank']);
  assert.equal(await groups.nth(0).locator('.account-row').count(), 2);
  assert.match(await groups.nth(0).innerText(), /Last login \d+ minutes ago/);
  assert.match(await groups.nth(0).innerText(), /Not used yet/);
  assert.equal(await page.locator('.server-head img.logo').count(), 2, 'server logos shown');
  await shoot(page, 'accounts');
  await page.setViewportSize(PHONE);
  await noOverflow(page);
  await shoot(page, 'mobile-accounts');
  await page.context().close();
});

test('accounts: websites logged in now, each with a log-out button', async () => {
  const session = (id, account, server) => ({
    id, account, server: { ...server, serverId: server.serverId }, state: 'ACTIVE', continuous: true, error: null,
  });
  const sessions = [session('s1', accounts[2], servers[ids.BANK]), session('s2', accounts[0], servers[ids.ACME])];
  const page = await open(fixtures({ sessions }));
  const card = page.getByRole('region', { name: 'Logged in now' });
  await card.waitFor();
  assert.equal(await card.locator('.session-row').count(), 2);
  assert.match(await card.innerText(), /Northwind Bank\s+as Alice Example/);
  await shoot(page, 'accounts-sessions');
  const logout = page.getByRole('button', { name: 'Log out of Northwind Bank as Alice Example' });
  await logout.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('.session-row').length === 1);
  const calls = await page.evaluate(() => window.__mock.calls.filter(([c]) => c === 'session_logout'));
  assert.deepEqual(calls, [['session_logout', { sessionId: 's1' }]]);
  // The last one: the card goes away.
  await page.getByRole('button', { name: /Log out of Acme/ }).click();
  await page.waitForFunction(() => document.querySelectorAll('.sessions').length === 0);
  await page.setViewportSize(PHONE);
  await noOverflow(page);
  await page.context().close();
});

test('account detail: server parameters, visual hash, enrolled date; delete with confirmation', async () => {
  const page = await open();
  await page.locator('.account-row').first().click();
  await page.getByRole('heading', { name: 'alice@acme.example', level: 1 }).waitFor();
  const text = await page.locator('main').innerText();
  for (const s of ['Added', 'Last login', 'https://acme.example', 'One-shot logins', 'Required · Asked again after 15 min', ids.ACME]) {
    assert.ok(text.includes(s), `detail shows ${s}`);
  }
  assert.ok(await page.getByRole('img', { name: /Visual hash/ }).isVisible());
  await shoot(page, 'account-detail');
  await page.getByRole('button', { name: 'Delete account' }).click();
  const dialog = page.getByRole('alertdialog');
  await dialog.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'cancel-delete', 'the safe choice has focus');
  await shoot(page, 'account-delete');
  await page.keyboard.press('Escape');
  assert.equal(await dialog.count(), 0, 'Escape keeps the account');
  await page.getByRole('button', { name: 'Delete account' }).click();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByRole('heading', { name: 'Accounts' }).waitFor();
  await page.getByText('alice@acme.example was deleted.').waitFor();
  assert.equal(await page.locator('.account-row').count(), 2);
  await page.context().close();
});

test('login prompt: logo and name, browser and IP, announce info, account choice, note, approve', async () => {
  const page = await open();
  const login = flow('LOGIN', 'WAITING_FOR_CONFIRMATION', {
    type: 'CONFIRM',
    accounts: accounts.slice(0, 2),
    announce: {
      info: [{ key: 'Location', value: 'Amsterdam, NL' }, { key: 'Reason', value: 'Sign in to the shop' }],
      logo: '', ip: '198.51.100.23',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
    },
  });
  await show(page, login);
  const dialog = page.getByRole('dialog', { name: 'Log in to Acme?' });
  await dialog.waitFor();
  const text = await dialog.innerText();
  for (const s of ['Chrome on Linux', '198.51.100.23', 'Amsterdam, NL', 'Sign in to the shop']) assert.ok(text.includes(s), s);
  assert.ok(await dialog.locator('img.logo').isVisible(), 'server logo');
  await dialog.getByRole('radio', { name: 'Alice (admin)' }).check();
  await dialog.getByText('Add a note for the website').click();
  await dialog.getByLabel('Note').fill('from my desk');
  await shoot(page, 'prompt-login');
  await dialog.getByRole('button', { name: 'Approve' }).click();
  await page.waitForFunction(() => window.__mock.answers().length === 1);
  assert.deepEqual((await answers(page))[0], { type: 'CONFIRM', accountId: 'a2', userInput: 'from my desk' });
  await show(page, { ...login, state: 'DONE', interaction: null, account: accounts[1] });
  await page.getByRole('heading', { name: 'Logged in to Acme' }).waitFor();
  await shoot(page, 'prompt-login-done');
  await page.setViewportSize(PHONE);
  await show(page, { ...login, id: 'login-2' });
  await noOverflow(page);
  await shoot(page, 'mobile-prompt-login');
  await page.context().close();
});

test('login prompt with one account; deny', async () => {
  const page = await open();
  await show(page, flow('LOGIN', 'WAITING_FOR_CONFIRMATION', {
    type: 'CONFIRM', accounts: accounts.slice(2), announce: { info: [], logo: '', ip: '192.0.2.1', userAgent: '' },
  }, { serverId: ids.BANK }));
  assert.match(await page.getByRole('dialog').innerText(), /as\s+Alice Example/);
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.waitForFunction(() => window.__mock.answers().length === 1);
  assert.deepEqual((await answers(page))[0], { type: 'DENY' });
  await page.context().close();
});

test('transaction approval: amount, beneficiary, description; decline', async () => {
  const page = await open();
  await show(page, flow('SIGN_TRANSACTION', 'WAITING_FOR_CONFIRMATION', {
    type: 'CONFIRM_TRANSACTION', accounts: accounts.slice(2), amount: '1,250.00 EUR', beneficiary: 'Contoso Ltd · NL91 ABNA 0417 1643 00', description: 'Invoice 2026-114',
  }, { serverId: ids.BANK }));
  const text = await page.getByRole('dialog').innerText();
  for (const s of ['Approve this transaction?', '1,250.00 EUR', 'Contoso Ltd', 'Invoice 2026-114']) assert.ok(text.includes(s), s);
  await shoot(page, 'prompt-transaction');
  await page.getByRole('button', { name: 'Decline' }).click();
  await page.waitForFunction(() => window.__mock.answers().length === 1);
  assert.deepEqual((await answers(page))[0], { type: 'DENY' });
  await show(page, flow('SIGN_TRANSACTION', 'DONE', null, { serverId: ids.BANK }));
  await page.getByRole('heading', { name: 'Transaction declined' }).waitFor();
  await page.context().close();
});

test('PIN verify: remaining attempts, retry, then the blocked state', async () => {
  const page = await open();
  const verify = (remaining, retry) => flow('LOGIN', 'WAITING_FOR_INPUT', { type: 'VERIFY_SECOND_FACTOR', remainingAttempts: remaining, retry });
  await show(page, verify(3, false));
  await page.getByRole('heading', { name: 'Enter your PIN' }).waitFor();
  await page.keyboard.type('1111');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.__mock.answers().length === 1);
  await show(page, { ...verify(2, true), state: 'ACTIVE', interaction: null });
  await show(page, verify(2, true));
  await page.getByText('Wrong PIN. 2 attempts left before it is blocked.').waitFor();
  await shoot(page, 'prompt-pin-retry');
  await show(page, flow('LOGIN', 'ERROR', null, { error: { code: 109, message: 'the PIN is blocked' } }));
  await page.getByRole('heading', { name: 'PIN blocked' }).waitFor();
  await shoot(page, 'prompt-pin-blocked');
  await page.context().close();
});

test('progress and errors: connecting spinner, cancel, unreachable server', async () => {
  const page = await open();
  await show(page, flow('LOGIN', 'STARTING'));
  assert.ok(await page.getByRole('progressbar').isVisible());
  await shoot(page, 'prompt-connecting');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.waitForFunction(() => window.__mock.calls.some(([c]) => c === 'flow_stop'));
  assert.equal(await page.getByRole('dialog').count(), 0, 'cancel closes the prompt');
  await show(page, flow('LOGIN', 'ERROR', null, { id: 'f2', error: { code: 120, message: 'the server could not be reached' } }));
  await page.getByText('could not be reached').waitFor();
  await shoot(page, 'prompt-error');
  await page.context().close();
});

test('add: the camera shows what it sees while it looks; Cancel stops it', async () => {
  const fx = fixtures();
  fx.info = { ...fx.info, camera: true };
  const page = await open(fx, { hash: '#/add' });
  await page.getByRole('heading', { name: 'Add an account', level: 1 }).waitFor();
  await page.getByRole('button', { name: /Use camera/ }).click();
  const preview = page.getByRole('img', { name: 'What the camera sees' });
  await preview.waitFor();
  await page.waitForFunction(() => document.getElementById('camera-preview')?.width === 64);
  const drawn = await page.evaluate(() => {
    const c = document.getElementById('camera-preview');
    return [...c.getContext('2d').getImageData(10, 10, 1, 1).data];
  });
  assert.ok(drawn[0] > 0 && drawn[0] === drawn[1] && drawn[1] === drawn[2], `a grey preview is drawn: ${drawn}`);
  assert.equal(drawn[3], 255);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'camera-cancel', 'Cancel has focus');
  await shoot(page, 'add-camera');
  await page.locator('#camera-cancel').click();
  await preview.waitFor({ state: 'detached' });
  assert.ok(await page.evaluate(() => window.__mock.calls.some(([c]) => c === 'scan_cancel')));
  assert.equal(await page.locator('.add-card .form-status').innerText(), '', 'a cancel is no error');

  // A code in view: the preview closes and the flow starts.
  await page.evaluate((f) => {
    window.__mock.nextFlow = f;
    window.__mock.cameraFinds = true;
  }, [flow('LOGIN', 'STARTING')]);
  await page.getByRole('button', { name: /Use camera/ }).click();
  await page.locator('#prompt').waitFor();
  assert.equal(await preview.count(), 0);
  await page.context().close();
});

test('add: no QR code in an image, no camera, bad link, image by path', async () => {
  const page = await open(fixtures(), { hash: '#/add' });
  await page.getByRole('heading', { name: 'Add an account', level: 1 }).waitFor();
  await page.setInputFiles('#open-image-input', { name: 'blank.png', mimeType: 'image/png', buffer: Buffer.from('x') });
  await page.getByText('No QR code was found in that image.').waitFor();
  await page.getByRole('button', { name: /Use camera/ }).click();
  await page.getByText('No camera is available.').waitFor();
  await page.getByLabel('Paste a link').fill('https://evil.example/x');
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.getByText('This is not a nextAuth code').waitFor();
  await shoot(page, 'add-error');
  await page.evaluate((f) => (window.__mock.nextFlow = f), [flow('LOGIN', 'STARTING')]);
  await page.getByLabel('Paste a link').fill('/tmp/login-code.png');
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.waitForSelector('#prompt');
  const call = await page.evaluate(() => window.__mock.calls.find(([c]) => c === 'scan_image'));
  assert.deepEqual(call, ['scan_image', { path: '/tmp/login-code.png' }], 'a pasted image path is scanned');
  await page.context().close();
});

test('history: statuses, details, filters by server and status, load more', async () => {
  const page = await open(fixtures(), { hash: '#/history' });
  await page.waitForSelector('.history-entry');
  assert.equal(await page.locator('.history-entry').count(), 25);
  await shoot(page, 'history');
  await page.getByRole('button', { name: 'Load more' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.history-entry').length === 50);
  await page.getByRole('button', { name: 'Load more' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.history-entry').length === 60);
  assert.ok(await page.getByRole('button', { name: 'Load more' }).isHidden(), 'no more pages');
  await page.getByLabel('Status').selectOption('ERROR');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('.history-entry')];
    return rows.length > 0 && rows.every((e) => e.dataset.status === 'ERROR');
  });
  assert.equal(await page.locator('.history-entry').count(), 12);
  assert.match(await page.locator('.history-entry').first().innerText(), /could not be reached.*\(error 120\)/);
  await page.getByLabel('Server').selectOption(ids.BANK);
  await page.waitForFunction(() => document.querySelectorAll('.history-entry').length === 4);
  const last = await page.evaluate(() => window.__mock.calls.filter(([c]) => c === 'history_list').at(-1)[1].filter);
  assert.deepEqual(last, { limit: 25, serverId: ids.BANK, status: 'ERROR' });
  await page.setViewportSize(PHONE);
  // Two filters cleared quickly, the first answer slower than the second: it must not be
  // appended to the newer list.
  await page.evaluate(() => (window.__mock.delays.history_list = ({ filter }) => (filter.serverId ? 300 : 5)));
  await page.getByLabel('Status').selectOption('');
  await page.getByLabel('Server').selectOption('');
  await page.waitForFunction(() => {
    const count = (log) => log.filter((c) => (Array.isArray(c) ? c[0] : c) === 'history_list').length;
    return count(window.__mock.answered) === count(window.__mock.calls);
  });
  assert.equal(await page.locator('.history-entry').count(), 25, 'only the newest filter’s page is shown');
  assert.equal(await page.locator('.history-entry').first().getAttribute('data-id'), '60');
  await noOverflow(page);
  await shoot(page, 'mobile-history');
  await page.context().close();
});

test('messages: empty state explains what appears here', async () => {
  const page = await open(fixtures({ messages: [] }), { hash: '#/messages' });
  await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor();
  await page.getByRole('heading', { name: 'No messages yet' }).waitFor();
  assert.match(await page.locator('main').innerText(), /Websites where you have an account can send you messages/);
  assert.equal(await page.locator('.message').count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Messages' }).getAttribute('aria-current'), 'page');
  await shoot(page, 'messages-empty');
  await page.context().close();
});

test('messages: newest first with website, account and time; reached by keyboard; 360 px', async () => {
  const page = await open();
  // Keyboard: skip link, brand, Accounts, History, Messages.
  for (let i = 0; i < 5; i++) await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('href')), '#/messages');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor();
  await page.waitForSelector('.message');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Messages', 'focus on the heading');
  const list = page.getByRole('list', { name: 'Messages, newest first' });
  assert.equal(await list.getByRole('listitem').count(), 3);
  assert.deepEqual(
    await page.locator('.message-title').allInnerTexts(),
    ['Your order has shipped', 'New payee added', 'Welcome to Acme'],
    'newest first',
  );
  const first = page.getByRole('article', { name: 'Your order has shipped' });
  const text = await first.innerText();
  for (const s of ['Acme', 'alice@acme.example', '5 minutes ago', 'Order #4711 left our warehouse today.']) assert.ok(text.includes(s), s);
  assert.ok(await first.locator('img.logo').isVisible(), 'server logo');
  const iso = new Date(messages[1].received * 1000).toISOString();
  assert.equal(await first.locator('time').getAttribute('datetime'), iso);
  assert.match(await page.getByRole('article', { name: 'New payee added' }).innerText(), /Northwind Bank · Alice Example[\s\S]*5 hours ago/);
  assert.match(await page.getByRole('article', { name: 'Welcome to Acme' }).innerText(), /account removed/);
  assert.equal(await page.getByRole('status').filter({ hasText: '3 messages' }).count(), 1);
  await shoot(page, 'messages');
  await page.setViewportSize(PHONE);
  await noOverflow(page);
  assert.ok(await page.getByRole('link', { name: 'Messages' }).isVisible(), 'the tab bar has room for Messages');
  await shoot(page, 'mobile-messages');
  await page.context().close();
});

test('messages: a MESSAGE_RECEIVED event updates the list, or badges the tab elsewhere', async () => {
  const page = await open(fixtures({ messages: [] }), { hash: '#/messages' });
  await page.getByRole('heading', { name: 'No messages yet' }).waitFor();
  const arrive = (m) =>
    page.evaluate((m) => {
      window.__mock.messages.push(m);
      window.__mock.emit('sdk://event', { type: 'MESSAGE_RECEIVED', message: m });
    }, m);
  const now = fixtureNow;
  await arrive({ id: 'bmV3LTE', accountId: 'a2', received: now, title: 'Password policy', body: 'Logins now need nextAuth.' });
  await page.getByRole('article', { name: 'Password policy' }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'No messages yet' }).count(), 0, 'the empty state is gone');
  assert.match(await page.locator('.message').first().innerText(), /Acme · Alice \(admin\)[\s\S]*just now/);
  await page.getByRole('status').filter({ hasText: '1 message' }).waitFor();
  assert.equal(await page.locator('#messages-badge').isHidden(), true, 'no badge on the messages screen');

  // Elsewhere, a new message badges the tab; opening the screen clears it.
  await page.getByRole('link', { name: 'History' }).click();
  await page.getByRole('heading', { name: 'History' }).waitFor();
  await arrive({ id: 'bmV3LTI', accountId: 'b1', received: now + 1, title: 'Statement ready', body: 'Your March statement is ready.' });
  await page.getByRole('link', { name: 'Messages, 1 new' }).waitFor();
  assert.equal(await page.locator('#messages-badge').innerText(), '1');
  await page.getByRole('link', { name: 'Messages, 1 new' }).click();
  await page.getByRole('article', { name: 'Statement ready' }).waitFor();
  assert.equal(await page.locator('.message').count(), 2);
  assert.equal(await page.locator('.message-title').first().innerText(), 'Statement ready', 'the new one on top');
  assert.ok(await page.locator('#messages-badge').isHidden(), 'seen: no badge');
  await page.context().close();
});

test('messages: unread ones badge the tab at start, are marked read when shown, and can be deleted', async () => {
  const unread = { ...messages[1], read: false };
  const page = await open(fixtures({ messages: [messages[0], unread, messages[2]] }));
  await page.getByRole('link', { name: 'Messages, 1 new' }).waitFor();
  await page.getByRole('link', { name: 'Messages, 1 new' }).click();
  const fresh = page.getByRole('article', { name: unread.title });
  await fresh.waitFor();
  assert.equal(await fresh.locator('.badge').innerText(), 'New');
  assert.equal(await page.locator('.message .badge').count(), 1, 'only the unread one is marked');
  await page.waitForFunction(() => window.__mock.calls.some(([c]) => c === 'message_mark_read'));
  assert.equal(await page.evaluate(() => window.__mock.messages.filter((m) => !m.read).length), 0);
  await page.getByRole('button', { name: `Delete message “${unread.title}”` }).click();
  await page.getByText('Message deleted.').waitFor();
  await page.waitForFunction(() => document.querySelectorAll('.message').length === 2);
  const deleted = await page.evaluate(() => window.__mock.calls.filter(([c]) => c === 'message_delete'));
  assert.deepEqual(deleted, [['message_delete', { messageId: unread.id }]]);
  await page.context().close();
});

test('settings: PIN change, notifications, theme, about', async () => {
  const page = await open(fixtures(), { hash: '#/settings' });
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  const about = await page.locator('main').innerText();
  for (const s of ['nextAuth 0.1.0', '2.12.5', '/home/alice/.local/share/io.github.nextauth_rs.app', 'OS keychain']) assert.ok(about.includes(s), s);
  await shoot(page, 'settings');
  await page.getByLabel('Current PIN').fill('1111');
  await page.getByLabel('New PIN (4 to 16 digits)').fill('13579');
  await page.getByLabel('New PIN again').fill('13579');
  await page.getByRole('button', { name: 'Change PIN' }).click();
  await page.getByText('The current PIN is wrong.').waitFor();
  assert.equal(await page.getByLabel('Current PIN').inputValue(), '', 'PIN fields are cleared');
  await page.getByLabel('Current PIN').fill('2468');
  await page.getByLabel('New PIN (4 to 16 digits)').fill('13579');
  await page.getByLabel('New PIN again').fill('13579');
  await page.getByRole('button', { name: 'Change PIN' }).click();
  await page.getByText('Your PIN was changed.').waitFor();
  const pinCall = await page.evaluate(() => window.__mock.calls.filter(([c]) => c === 'pin_change').at(-1)[1]);
  assert.deepEqual(pinCall, { current: '2468', new: '13579' });
  await page.getByRole('switch', { name: /Notifications/ }).uncheck();
  await page.waitForFunction(() => window.__mock.settings.notifications === false);
  await page.getByRole('radio', { name: 'Dark' }).check();
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  assert.equal(await page.evaluate(() => window.__mock.settings.theme), 'dark');
  await page.screenshot({ path: path.join(shots, 'app-settings-manual-dark.png') });
  await page.context().close();
});

test('settings: start on login, tray and link switches, refusals by the OS, hidden where unavailable', async () => {
  const page = await open(fixtures(), { hash: '#/settings' });
  const toggle = page.getByRole('switch', { name: /Start on login/ });
  assert.equal(await toggle.isChecked(), false);
  // Keyboard: Space flips a focused switch.
  await toggle.focus();
  await page.keyboard.press('Space');
  await page.waitForFunction(() => window.__mock.settings.startOnLogin === true);
  const sent = await page.evaluate(() => window.__mock.calls.filter(([c]) => c === 'settings_update').at(-1)[1].settings);
  assert.deepEqual(sent, { notifications: true, theme: 'system', startOnLogin: true, keepInBackground: true, openLinks: false }, 'the other preferences are kept');
  assert.equal(await toggle.isChecked(), true);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'start-on-login', 'focus stays on the switch');
  await page.evaluate(() => {
    window.__mock.overrides.settings_update = () => {
      throw { code: 306, message: 'cannot turn off starting at login: permission denied' };
    };
  });
  await toggle.click(); // the UI puts it back on
  await page.getByText('Starting nextAuth when you log in could not be changed').waitFor();
  await page.waitForFunction(() => document.getElementById('start-on-login')?.checked === true);
  assert.equal(await page.evaluate(() => window.__mock.settings.startOnLogin), true, 'nothing changed');
  await page.evaluate(() => delete window.__mock.overrides.settings_update);
  const tray = page.getByRole('switch', { name: /Keep running in the tray/ });
  assert.equal(await tray.isChecked(), true, 'on by default');
  await tray.click();
  await page.waitForFunction(() => window.__mock.settings.keepInBackground === false);
  assert.equal(await page.evaluate(() => window.__mock.settings.startOnLogin), true, 'the other preferences are kept');
  assert.equal(await tray.isChecked(), false);
  const links = page.getByRole('switch', { name: /Open nextauth: links/ });
  assert.equal(await links.isChecked(), false, 'off until asked for');
  await links.click();
  await page.waitForFunction(() => window.__mock.settings.openLinks === true);
  await page.evaluate(() => {
    window.__mock.overrides.settings_update = () => {
      throw { code: 308, message: 'cannot turn off opening nextauth: links with this app: xdg-mime failed' };
    };
  });
  await links.click(); // refused: back on
  await page.getByText('did not let nextAuth change which app opens nextauth: links').waitFor();
  await page.waitForFunction(() => document.getElementById('open-links')?.checked === true);
  await page.context().close();

  const phone = await open(fixtures({ info: { ...fixtures().info, platform: 'android', startOnLogin: false, tray: false, linkHandler: false } }), { hash: '#/settings' });
  await phone.getByRole('heading', { name: 'Settings' }).waitFor();
  assert.equal(await phone.getByRole('switch', { name: /Start on login/ }).count(), 0, 'no switch without autostart');
  assert.equal(await phone.getByRole('switch', { name: /Keep running in the tray/ }).count(), 0, 'no switch without a tray');
  assert.equal(await phone.getByRole('switch', { name: /Open nextauth: links/ }).count(), 0, 'no switch where links come from the bundle');
  await phone.context().close();
});

test('keyboard: skip link, visible focus, navigation, focus returns after a prompt', async () => {
  const page = await open();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'skip-link');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.equal(outline, 'solid', 'focus is visible');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'History' }).waitFor();
  // The screen is drawn before focus moves to it: wait until focus has landed somewhere.
  await page.waitForFunction(() => document.activeElement && document.activeElement !== document.body);
  const opener = await page.evaluate(() => document.activeElement?.textContent);
  await show(page, flow('LOGIN', 'ERROR', null, { error: { code: 111, message: 'session expired' } }));
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => !!document.activeElement?.closest('#prompt')), true, 'focus stays in the dialog');
  await page.keyboard.press('Escape');
  assert.equal(await page.getByRole('dialog').count(), 0);
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), opener, 'focus returns');
  await page.context().close();
});

test('high contrast and a deep link that opened the app at a prompt', async () => {
  const ready = { flow: flow('LOGIN', 'WAITING_FOR_CONFIRMATION', { type: 'CONFIRM', accounts: accounts.slice(0, 1), announce: { info: [], logo: '', ip: '192.0.2.9', userAgent: 'curl/8.5' } }), notices: [{ code: 32, message: 'parse error' }] };
  const page = await open(fixtures({ ready }));
  await page.getByRole('dialog', { name: 'Log in to Acme?' }).waitFor();
  await page.getByText('This is not a nextAuth code').waitFor();
  await page.emulateMedia({ contrast: 'more' });
  const border = await page.evaluate(() => getComputedStyle(document.querySelector('.dialog')).borderTopWidth);
  assert.equal(border, '2px', 'prefers-contrast: more thickens lines');
  await page.screenshot({ path: path.join(shots, 'app-prompt-login-high-contrast.png') });
  await page.context().close();
});

test('resync and account events refresh the list; notices from a second launch show', async () => {
  const page = await open();
  await page.evaluate(() => {
    window.__mock.accounts = window.__mock.accounts.slice(0, 1);
    window.__mock.emit('sdk://resync', { missed: 3 });
  });
  await page.waitForFunction(() => document.querySelectorAll('.account-row').length === 1);
  await page.evaluate((a) => {
    window.__mock.accounts.push(a);
    window.__mock.emit('sdk://event', { type: 'ACCOUNT_UPDATE', account: a });
  }, accounts[2]);
  await page.waitForFunction(() => document.querySelectorAll('.account-row').length === 2);
  await page.evaluate(() => window.__mock.emit('app://notice', { code: 122, message: 'another flow is in progress' }));
  await page.getByText('Another request is still open.').waitFor();
  await page.context().close();
});

let passed = 0;
let failed = 0;
for (const [name, fn] of tests) {
  const errorsBefore = pageErrors.length;
  const t0 = Date.now();
  try {
    await fn();
    assert.deepEqual(pageErrors.slice(errorsBefore), [], 'no uncaught errors in the page');
    passed++;
    console.log(`ok ${passed + failed} - ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    failed++;
    console.log(`not ok ${passed + failed} - ${name}\n  ${String(err?.stack ?? err).split('\n').slice(0, 20).join('\n  ')}`);
  }
}
await browser.close();
server.close();
void servers;
console.log(`ui: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
