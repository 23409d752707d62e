// UI tests: the built UI (ui/dist) in Debian's headless Chromium, driven with playwright-core,
// with Tauri's IPC mocked at the edge (tests/mock-tauri.js stands in for window.__TAURI__).
// Covers every screen and prompt, and saves screenshots (light and dark) to docs/screenshots.
// Accessibility (axe, keyboard, reflow, forced colours) is tests/a11y.test.mjs.
//
//   cd ui && npm run build && node tests/ui.test.mjs      (CHROMIUM=/path overrides the browser)
//
// Prints one line per test and closes with "N passed, N failed".
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { accounts, check, fixtures, flow, ids, messages, notMeEntry, now as fixtureNow, servers } from './fixtures.mjs';
import { answers, noOverflow, open, PHONE, run, show, test } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// Screenshots go to docs/screenshots only when asked (scripts/screenshots.sh sets
// SCREENSHOTS_DIR); a test run writes them to a scratch directory and leaves the docs alone.
const shots = process.env.SCREENSHOTS_DIR
  ? path.resolve(process.env.SCREENSHOTS_DIR)
  : fs.mkdtempSync(path.join(os.tmpdir(), 'nextauth-shots-'));
fs.mkdirSync(shots, { recursive: true });

/** Screenshots in light and dark (prefers-color-scheme, theme "system"); whole page unless a
 *  dialog is open. Focus is dropped first so no focus ring shows. With `highContrast`, a third
 *  in forced colours (Chromium's emulation of Windows high contrast, its dark variant). */
async function shoot(page, name, { highContrast = false } = {}) {
  await page.evaluate(() => document.activeElement?.blur?.());
  const fullPage = (await page.locator('.backdrop').count()) === 0;
  await page.waitForTimeout(50);
  await page.screenshot({ path: path.join(shots, `app-${name}-light.png`), fullPage });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(50);
  await page.screenshot({ path: path.join(shots, `app-${name}-dark.png`), fullPage });
  if (highContrast) {
    await page.emulateMedia({ colorScheme: 'dark', forcedColors: 'active' });
    await page.waitForTimeout(50);
    await page.screenshot({ path: path.join(shots, `app-${name}-high-contrast.png`), fullPage });
    await page.emulateMedia({ forcedColors: 'none' });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

const enrolFlow = (state, interaction, extra) => flow('ENROL', state, interaction, { id: 'enrol-1', ...extra });

test('first run: welcome explains the app and offers every way to scan', async () => {
  const page = await open(fixtures({ accounts: [], history: [] }));
  await page.getByRole('heading', { name: 'Welcome to nextAuth' }).waitFor();
  for (const name of ['Scan screen', 'Open image…', 'Camera', 'Paste a link…']) {
    assert.ok(await page.getByRole('button', { name: new RegExp(name) }).isVisible(), name);
  }
  assert.ok(await page.getByLabel('Paste a link', { exact: true }).isHidden(), 'the link field opens on demand');
  await page.getByRole('button', { name: /Paste a link…/ }).click();
  assert.ok(await page.getByLabel('Paste a link', { exact: true }).isVisible());
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'link-input', 'focus in the field');
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
  await page.getByRole('button', { name: /Scan screen/ }).click();
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
  assert.match(await page.locator('#prompt-desc').innerText(), /the website has logged you in/, 'the enrolment logged the browser in too');
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

test('login prompt: who asks, seen by the server apart from what the website says, account choice, note, approve', async () => {
  const page = await open();
  const login = flow('LOGIN', 'WAITING_FOR_CONFIRMATION', {
    type: 'CONFIRM',
    accounts: accounts.slice(0, 2),
    announce: {
      info: [{ key: 'Location', value: 'Amsterdam, NL' }, { key: 'Reason', value: 'Sign in to the shop' }],
      logo: '', ip: '198.51.100.23',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
    },
    check: check(),
  });
  await show(page, login);
  const dialog = page.getByRole('dialog', { name: 'Log in to Acme?' });
  await dialog.waitFor();
  assert.ok(await dialog.locator('img.logo').isVisible(), 'server logo');
  assert.match(await dialog.locator('.site').innerText(), /https:\/\/acme\.example · verified name/, 'the signed name and site');
  const seen = dialog.getByRole('region', { name: 'Seen by the server' });
  const seenText = await seen.innerText();
  for (const s of ['Firefox 128 on Linux', '198.51.100.23', 'Amsterdam, Netherlands', 'just now']) assert.ok(seenText.includes(s), `seen: ${s}`);
  assert.ok(!seenText.includes('Not the network of this device'), 'same network: not said');
  const says = await dialog.getByRole('region', { name: 'The website says' }).innerText();
  for (const s of ['Amsterdam, NL', 'Sign in to the shop']) assert.ok(says.includes(s), `website says: ${s}`);
  assert.ok(!says.includes('Chrome'), 'the browser the website passed on is not shown when the server saw one');
  assert.equal(await page.locator('#prompt-desc').innerText(), 'Approve only if it is you logging in right now.');
  assert.equal(await page.locator('#relay-warning').count(), 0, 'no relay warning');
  assert.equal(await dialog.getByRole('button', { name: 'Approve' }).isEnabled(), true, 'no number asked: Approve at once');
  await dialog.getByRole('radio', { name: 'Alice (admin)' }).check();
  await dialog.getByText('Add a note for the website').click();
  await dialog.getByLabel('Note').fill('from my desk');
  await shoot(page, 'prompt-login');
  await dialog.getByRole('button', { name: 'Approve' }).click();
  await page.waitForFunction(() => window.__mock.answers().length === 1);
  assert.deepEqual((await answers(page))[0], { type: 'CONFIRM', accountId: 'a2', userInput: 'from my desk' });
  await show(page, { ...login, state: 'DONE', interaction: null, account: accounts[1] });
  await page.getByRole('heading', { name: 'Logged in to Acme' }).waitFor();
  await page.waitForFunction(() => document.getElementById('prompt-live')?.textContent === 'Logged in to Acme');
  await shoot(page, 'prompt-login-done');
  await page.setViewportSize(PHONE);
  await show(page, { ...login, id: 'login-2' });
  await noOverflow(page);
  await shoot(page, 'mobile-prompt-login');
  await page.context().close();
});

test('login prompt: choose the number: large choices in a radio group, Approve waits for one, the number is sent', async () => {
  const page = await open();
  const login = flow('LOGIN', 'WAITING_FOR_CONFIRMATION', {
    type: 'CONFIRM', accounts: accounts.slice(0, 1),
    announce: { info: [{ key: 'Reason', value: 'Sign in to the shop' }], logo: '', ip: '', userAgent: '' },
    check: check({ number: { type: 'CHOOSE', choices: ['17', '42', '86'] } }),
  }, { id: 'choose-1' });
  await show(page, login);
  const dialog = page.getByRole('dialog', { name: 'Log in to Acme?' });
  const group = dialog.getByRole('radiogroup', { name: 'Choose the number shown in your browser' });
  assert.deepEqual(await group.getByRole('radio').evaluateAll((r) => r.map((x) => x.value)), ['17', '42', '86']);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'number-0', 'focus on the first choice');
  assert.equal(await page.locator('#number-0').isChecked(), false, 'focus chooses nothing');
  const approve = dialog.getByRole('button', { name: 'Approve' });
  assert.equal(await approve.isDisabled(), true, 'Approve waits for the number');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(50);
  assert.equal((await answers(page)).length, 0, 'Enter without a number sends nothing');
  const height = await page.locator('.number-option span').first().evaluate((e) => e.getBoundingClientRect().height);
  assert.ok(height >= 44, `large choices (${height} px)`);
  await group.getByRole('radio', { name: '42' }).check();
  assert.equal(await approve.isEnabled(), true, 'a number given: Approve');
  await shoot(page, 'prompt-login-choose', { highContrast: true });
  await approve.click();
  await page.waitForFunction(() => window.__mock.answers().length === 1);
  assert.deepEqual((await answers(page))[0], { type: 'CONFIRM', accountId: 'a1', number: '42' });
  // The arrow keys move through the choices; Enter approves with the one chosen.
  await show(page, { ...login, id: 'choose-2' });
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.locator('#number-2').isChecked(), true);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.__mock.answers().length === 2);
  assert.equal((await answers(page))[1].number, '86');
  await page.setViewportSize(PHONE);
  await show(page, { ...login, id: 'choose-3' });
  await noOverflow(page);
  await page.context().close();
});

test('login prompt: relayed from another network: a plain warning (role=alert) and the number to type; without the flag no warning', async () => {
  const page = await open();
  const relayed = check({
    number: { type: 'TYPE', digits: 2 }, relayWarning: true, source: 'SCREEN',
    observed: { ip: '203.0.113.50', browser: 'Chrome 131 on Windows 10', location: '' },
  });
  const login = flow('LOGIN', 'WAITING_FOR_CONFIRMATION', {
    type: 'CONFIRM', accounts: accounts.slice(0, 1), announce: { info: [], logo: '', ip: '', userAgent: '' }, check: relayed,
  }, { id: 'relay-1' });
  await show(page, login);
  const dialog = page.getByRole('dialog', { name: 'Log in to Acme?' });
  const alert = dialog.getByRole('alert').filter({ hasText: 'another network' });
  assert.equal(await alert.count(), 1, 'the warning is an alert');
  assert.match(await alert.innerText(), /Someone may be trying to trick you\s+This login was started on another network than this device\. If you did not just scan a code on your own screen, deny it, or choose “This was not me”\./);
  const seen = await dialog.getByRole('region', { name: 'Seen by the server' }).innerText();
  for (const s of ['Chrome 131 on Windows 10', '203.0.113.50', 'Unknown location', 'Not the network of this device']) assert.ok(seen.includes(s), `seen: ${s}`);
  const field = dialog.getByLabel('Type the number shown in your browser');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'number-input', 'focus in the number field');
  assert.equal(await field.getAttribute('inputmode'), 'numeric');
  assert.equal(await field.getAttribute('maxlength'), '2');
  const approve = dialog.getByRole('button', { name: 'Approve' });
  await page.keyboard.type('x4');
  assert.equal(await field.inputValue(), '4', 'digits only');
  assert.equal(await approve.isDisabled(), true, 'one digit of two: Approve waits');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(50);
  assert.equal((await answers(page)).length, 0, 'nothing sent');
  await page.keyboard.type('79');
  assert.equal(await field.inputValue(), '47', 'no more than the digits asked');
  assert.ok(await field.evaluate((el) => el.scrollWidth <= el.clientWidth), 'every digit typed is in view');
  assert.equal(await approve.isEnabled(), true);
  await shoot(page, 'prompt-login-relay', { highContrast: true });
  await page.locator('#number-input').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.__mock.answers().length === 1);
  assert.deepEqual((await answers(page))[0], { type: 'CONFIRM', accountId: 'a1', number: '47' });
  // Another network but the camera scanned it (a phone at a computer): the number, no warning.
  const scanned = check({ number: { type: 'TYPE', digits: 2 }, source: 'CAMERA', observed: { networkDiffers: true } });
  await show(page, { ...login, id: 'relay-2', interaction: { ...login.interaction, check: scanned } });
  await page.locator('#number-input').waitFor();
  assert.equal(await page.locator('#relay-warning').count(), 0, 'no warning without relayWarning');
  assert.match(await dialog.getByRole('region', { name: 'Seen by the server' }).innerText(), /Not the network of this device/);
  await shoot(page, 'prompt-login-type', { highContrast: true });
  // A link opened here, and a push, say so in the warning.
  for (const [source, words] of [['LINK', 'open a login link on this device'], ['PUSH', 'start this login yourself']]) {
    await show(page, { ...login, id: `relay-${source}`, interaction: { ...login.interaction, check: { ...relayed, source } } });
    assert.match(await page.locator('#relay-warning').innerText(), new RegExp(words));
  }
  await page.setViewportSize(PHONE);
  await noOverflow(page);
  await shoot(page, 'mobile-prompt-login-relay');
  await page.context().close();
});

test('login prompt: "This was not me" explains and asks once, Back returns, it sends NOT_ME with the chosen account; the result says reported', async () => {
  const page = await open();
  const login = flow('LOGIN', 'WAITING_FOR_CONFIRMATION', {
    type: 'CONFIRM', accounts: accounts.slice(0, 2), announce: { info: [], logo: '', ip: '', userAgent: '' },
    check: check({ number: { type: 'CHOOSE', choices: ['17', '42', '86'] }, relayWarning: true, source: 'PUSH' }),
  }, { id: 'notme-1' });
  await show(page, login);
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('radio', { name: 'Alice (admin)' }).check();
  await dialog.getByRole('button', { name: 'This was not me' }).click();
  await page.getByRole('heading', { name: 'Report this login?' }).waitFor();
  assert.equal(await page.locator('#prompt').getAttribute('data-interaction'), 'CONFIRM_NOT_ME');
  const text = await page.locator('#prompt-desc').innerText();
  assert.match(text, /Nobody is logged in, and Acme is told that someone else tried to log in as Alice \(admin\)\./);
  assert.match(text, /Login requests to Alice \(admin\) are paused for a while/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'not-me-report', 'focus on Report');
  assert.equal((await answers(page)).length, 0, 'nothing sent yet');
  await shoot(page, 'prompt-not-me', { highContrast: true });
  await page.keyboard.press('Escape');
  await page.getByRole('heading', { name: 'Log in to Acme?' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'not-me', 'Escape goes back, focus on This was not me');
  assert.equal(await page.locator('#prompt').getAttribute('data-interaction'), 'CONFIRM');
  assert.equal(await dialog.getByRole('radio', { name: 'Alice (admin)' }).isChecked(), true, 'the choices are kept');
  assert.equal((await answers(page)).length, 0, 'Back sends nothing');
  await dialog.getByRole('button', { name: 'This was not me' }).click();
  await dialog.getByRole('button', { name: 'Report and deny' }).click();
  await page.waitForFunction(() => window.__mock.answers().length === 1);
  assert.deepEqual((await answers(page))[0], { type: 'NOT_ME', accountId: 'a2' });
  await show(page, { ...login, state: 'DONE', interaction: null, account: accounts[1] });
  await page.getByRole('heading', { name: 'Reported' }).waitFor();
  assert.match(await page.locator('#prompt-desc').innerText(), /Nobody was logged in\. Acme was told that it was not you, and login requests to Alice \(admin\) are paused for a while\./);
  await page.waitForFunction(() => document.getElementById('prompt-live')?.textContent === 'Reported');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'close', 'focus on Close');
  await shoot(page, 'prompt-login-reported');
  // A longer pause is one click away.
  const longer = page.getByRole('dialog').getByRole('button', { name: 'Pause login requests for 24 hours' });
  assert.equal(await page.getByRole('dialog').locator('.pause-controls button').count(), 1, 'only the day');
  await longer.click();
  await page.getByRole('dialog').getByRole('status').filter({ hasText: 'Login requests to Alice (admin) are paused until' }).waitFor();
  assert.deepEqual(await page.evaluate(() => window.__mock.calls.filter(([c]) => c === 'account_pause_push').map(([, a]) => a)), [{ accountId: 'a2', minutes: 1440 }]);
  await page.context().close();
});

test('login prompt: a wrong number refused by the server says so', async () => {
  const page = await open();
  await show(page, flow('LOGIN', 'ERROR', null, { id: 'wrong-1', error: { code: 115, message: 'the number given is not the one the browser shows' } }));
  await page.getByText('That is not the number the website showed').waitFor();
  await page.context().close();
});

test('login prompt with one account; deny', async () => {
  const page = await open();
  await show(page, flow('LOGIN', 'WAITING_FOR_CONFIRMATION', {
    type: 'CONFIRM', accounts: accounts.slice(2), announce: { info: [], logo: '', ip: '192.0.2.1', userAgent: '' }, check: check(),
  }, { serverId: ids.BANK }));
  assert.match(await page.getByRole('dialog').innerText(), /as\s+Alice Example/);
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.waitForFunction(() => window.__mock.answers().length === 1);
  assert.deepEqual((await answers(page))[0], { type: 'DENY' });
  await page.context().close();
});

test('transaction approval: amount, beneficiary, description, seen by the server, the number; decline; This was not me', async () => {
  const page = await open(fixtures({ settings: { ...fixtures().settings, askPinForTransactions: false } }));
  const tx = flow('SIGN_TRANSACTION', 'WAITING_FOR_CONFIRMATION', {
    type: 'CONFIRM_TRANSACTION', accounts: accounts.slice(2), amount: '1,250.00 EUR', beneficiary: 'Contoso Ltd · NL91 ABNA 0417 1643 00', description: 'Invoice 2026-114',
    check: check({ number: { type: 'CHOOSE', choices: ['31', '58', '64'] } }),
  }, { serverId: ids.BANK });
  await show(page, tx);
  const dialog = page.getByRole('dialog', { name: 'Approve this transaction?' });
  const text = await dialog.innerText();
  for (const s of ['1,250.00 EUR', 'Contoso Ltd', 'Invoice 2026-114', 'Firefox 128 on Linux']) assert.ok(text.includes(s), s);
  assert.ok(await dialog.getByRole('region', { name: 'Seen by the server' }).isVisible());
  const amount = await page.locator('.transaction .amount').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  assert.ok(amount >= 22, `the amount stands out (${amount} px)`);
  assert.equal(await dialog.getByRole('button', { name: 'Approve' }).isDisabled(), true, 'Approve waits for the number');
  await dialog.getByRole('radio', { name: '58' }).check();
  await shoot(page, 'prompt-transaction', { highContrast: true });
  await page.getByRole('button', { name: 'Decline' }).click();
  await page.waitForFunction(() => window.__mock.answers().length === 1);
  assert.deepEqual((await answers(page))[0], { type: 'DENY' });
  await show(page, flow('SIGN_TRANSACTION', 'DONE', null, { serverId: ids.BANK }));
  await page.getByRole('heading', { name: 'Transaction declined' }).waitFor();
  await show(page, { ...tx, id: 'tx-2' });
  await dialog.getByRole('radio', { name: '64' }).check();
  await dialog.getByRole('button', { name: 'Approve' }).click();
  await page.waitForFunction(() => window.__mock.answers().length === 2);
  assert.deepEqual((await answers(page))[1], { type: 'CONFIRM', accountId: 'b1', number: '64' });
  await show(page, { ...tx, id: 'tx-3' });
  await page.getByRole('button', { name: 'This was not me' }).click();
  await page.getByRole('heading', { name: 'Report this transaction?' }).waitFor();
  assert.match(await page.locator('#prompt-desc').innerText(), /The transaction is declined, and Northwind Bank is told that you did not ask for it\./);
  await page.getByRole('button', { name: 'Report and deny' }).click();
  await page.waitForFunction(() => window.__mock.answers().length === 3);
  assert.deepEqual((await answers(page))[2], { type: 'NOT_ME', accountId: 'b1' });
  await show(page, { ...tx, id: 'tx-3', state: 'DONE', interaction: null, account: accounts[2] });
  await page.getByRole('heading', { name: 'Reported' }).waitFor();
  assert.match(await page.locator('#prompt-desc').innerText(), /The transaction was declined, and Northwind Bank was told that it was not you\./);
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

test('scan: the camera shows what it sees while it looks; Cancel stops it', async () => {
  const fx = fixtures();
  fx.info = { ...fx.info, camera: true };
  const page = await open(fx, { hash: '#/add' });
  await page.getByRole('heading', { name: 'Scan a code', level: 1 }).waitFor();
  await page.getByRole('button', { name: /^Camera/ }).click();
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
  assert.equal(await page.locator('.scan-card .form-status').innerText(), '', 'a cancel is no error');

  // A code in view: the preview closes and the flow starts.
  await page.evaluate((f) => {
    window.__mock.nextFlow = f;
    window.__mock.cameraFinds = true;
  }, [flow('LOGIN', 'STARTING')]);
  await page.getByRole('button', { name: /^Camera/ }).click();
  await page.locator('#prompt').waitFor();
  assert.equal(await preview.count(), 0);
  await page.context().close();
});

test('scan: with two cameras the person picks one, which is remembered; after the time limit they may keep looking; camera errors in words', async () => {
  const fx = fixtures();
  fx.info = { ...fx.info, camera: true };
  fx.settings = { ...fx.settings, camera: 'USB Camera#2' };
  const page = await open(fx, { hash: '#/add' });
  await page.evaluate(() => {
    window.__mock.cameras = [
      { id: 'Integrated Camera#0', name: 'Integrated Camera' },
      { id: 'USB Camera#2', name: 'USB Camera' },
    ];
    window.__mock.cameraTimesOut = 1;
  });
  await page.getByRole('button', { name: /^Camera/ }).click();
  const choice = page.getByLabel('Camera', { exact: true });
  await choice.waitFor();
  assert.equal(await choice.inputValue(), 'USB Camera#2', 'the remembered camera');
  // Nothing seen in time: the person keeps looking, with the same camera.
  await page.getByRole('button', { name: 'Keep looking' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'camera-keep-looking');
  await shoot(page, 'scan-camera-keep-looking');
  await page.getByRole('button', { name: 'Keep looking' }).click();
  await page.getByRole('button', { name: 'Keep looking' }).waitFor({ state: 'detached' });
  // Another camera: the scan restarts with it, and the choice is saved.
  await choice.selectOption('Integrated Camera#0');
  await page.waitForFunction(() => window.__mock.cameraScans.length === 3);
  assert.deepEqual(await page.evaluate(() => window.__mock.cameraScans), ['USB Camera#2', 'USB Camera#2', 'Integrated Camera#0']);
  await page.waitForFunction(() => window.__mock.settings.camera === 'Integrated Camera#0');
  await shoot(page, 'scan-camera-choice');
  await page.locator('#camera-cancel').click();
  await page.getByRole('img', { name: 'What the camera sees' }).waitFor({ state: 'detached' });

  // The errors a camera can give, each in words (the scan view closes).
  for (const [code, words] of [
    [310, 'in use by another program'],
    [311, 'video'],
    [312, 'Is it still connected?'],
  ]) {
    await page.evaluate(([c, m]) => {
      window.__mock.cameraError = { code: c, message: m };
    }, [code, code === 311 ? 'nextAuth may not use the camera. On Linux, ask for your account to be added to the "video" group, then log in again.' : 'x']);
    await page.getByRole('button', { name: /^Camera/ }).click();
    await page.getByText(words, { exact: false }).waitFor();
  }
  await page.evaluate(() => (window.__mock.cameraError = null));

  // Settings: the camera for scanning, the remembered one selected.
  await page.evaluate(() => (location.hash = '#/settings'));
  const setting = page.getByLabel('Camera for scanning');
  await setting.waitFor();
  assert.equal(await setting.inputValue(), 'Integrated Camera#0');
  await setting.selectOption('USB Camera#2');
  await page.waitForFunction(() => window.__mock.settings.camera === 'USB Camera#2');
  await page.context().close();
});

test('scan: no QR code in an image, no camera, bad link, image by path', async () => {
  const page = await open(fixtures(), { hash: '#/add' });
  await page.getByRole('heading', { name: 'Scan a code', level: 1 }).waitFor();
  await page.setInputFiles('#open-image-input', { name: 'blank.png', mimeType: 'image/png', buffer: Buffer.from('x') });
  await page.getByText('No QR code was found in that image.').waitFor();
  await page.getByRole('button', { name: /^Camera/ }).click();
  await page.getByText('No camera found. Scan from the screen or open an image instead.').waitFor();
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

test('scan: the top bar, Ctrl+Alt+S and the tray scan the screen from any screen; the prompt opens where the person is', async () => {
  const page = await open(fixtures(), { hash: '#/history' });
  await page.waitForSelector('.history-entry');
  const login = flow('LOGIN', 'WAITING_FOR_CONFIRMATION', { type: 'CONFIRM', accounts: accounts.slice(0, 1), announce: { info: [], logo: '', ip: '192.0.2.1', userAgent: '' }, check: check() }, { id: 'scan-1' });
  const scans = () => page.evaluate(() => window.__mock.calls.filter(([c]) => c === 'scan_screen').length);
  await page.evaluate((f) => (window.__mock.nextFlow = f), [login]);
  await page.getByRole('button', { name: 'Scan', exact: true }).click();
  await page.getByRole('dialog', { name: 'Log in to Acme?' }).waitFor();
  assert.equal(await scans(), 1);
  await page.getByRole('button', { name: 'Deny' }).click();
  await show(page, { ...login, state: 'DONE', interaction: null });
  await page.keyboard.press('Escape');
  assert.equal(await page.evaluate(() => location.hash), '#/history', 'still where the person was');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'scan-button', 'focus back on Scan');
  // The keyboard shortcut, from the settings screen.
  await page.evaluate(() => (location.hash = '#/settings'));
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  await page.evaluate((f) => (window.__mock.nextFlow = f), [{ ...login, id: 'scan-2' }]);
  await page.keyboard.press('Control+Alt+S');
  // The scan first: the previous prompt may still be on its way out when the dialog is looked for.
  await page.waitForFunction(() => window.__mock.calls.filter(([c]) => c === 'scan_screen').length >= 2);
  await page.getByRole('dialog', { name: 'Log in to Acme?' }).waitFor();
  assert.equal(await scans(), 2);
  await page.keyboard.press('Escape');
  await show(page, { ...login, id: 'scan-2', state: 'DONE', interaction: null });
  await page.keyboard.press('Escape');
  // The tray menu's "Scan screen".
  await page.evaluate((f) => {
    window.__mock.nextFlow = f;
    window.__mock.emit('app://scan-screen', null);
  }, [{ ...login, id: 'scan-3' }]);
  await page.waitForFunction(() => window.__mock.calls.filter(([c]) => c === 'scan_screen').length >= 3);
  await page.getByRole('dialog', { name: 'Log in to Acme?' }).waitFor();
  assert.equal(await scans(), 3);
  assert.equal(await page.evaluate(() => location.hash), '#/settings');
  // Nothing on the screen: said in a toast.
  await page.keyboard.press('Escape');
  await show(page, { ...login, id: 'scan-3', state: 'DONE', interaction: null });
  await page.keyboard.press('Escape');
  await page.evaluate(() => (window.__mock.nextFlow = null));
  await page.keyboard.press('Control+Alt+S');
  await page.getByText('No nextAuth code is visible on the screen.').waitFor();
  await page.context().close();
});

test('scan: several nextAuth codes on the screen: the person chooses one', async () => {
  const page = await open();
  await page.evaluate(() => {
    window.__mock.screenChoices = [
      { link: 'nextauth:AAEC', kind: 'LOGIN', serverName: 'Acme', displayName: '' },
      { link: 'nextauth:AwQF', kind: 'SIGN_TRANSACTION', serverName: 'Northwind Bank', displayName: '' },
      { link: 'nextauth:BgcI', kind: 'ENROL', serverName: '', displayName: 'bob' },
    ];
    window.__mock.nextFlow = [{ id: 'tx-9', kind: 'SIGN_TRANSACTION', state: 'STARTING', interaction: null, server: null, account: null, error: null }];
  });
  await page.getByRole('button', { name: /Scan screen/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Which code?' });
  await dialog.waitFor();
  assert.deepEqual(await dialog.getByRole('listitem').allInnerTexts(), ['Log in to Acme', 'Approve a transaction at Northwind Bank', 'Add the account bob']);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'code-choice-0');
  await shoot(page, 'scan-choose');
  await dialog.getByRole('button', { name: 'Approve a transaction at Northwind Bank' }).click();
  await page.locator('#prompt').waitFor();
  const started = await page.evaluate(() => window.__mock.calls.filter(([c]) => c === 'flow_start_link').map(([, a]) => a.link));
  assert.deepEqual(started, ['nextauth:AwQF']);
  // Escape chooses none.
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: /Scan screen/ }).click();
  await dialog.waitFor();
  await page.keyboard.press('Escape');
  assert.equal(await dialog.count(), 0);
  assert.equal((await page.evaluate(() => window.__mock.calls.filter(([c]) => c === 'flow_start_link'))).length, 1);
  await page.context().close();
});

test('scan: a flow started from the Scan page returns the person to where they were', async () => {
  const page = await open(fixtures(), { hash: '#/messages' });
  await page.waitForSelector('.message');
  await page.evaluate(() => (location.hash = '#/scan'));
  await page.getByRole('heading', { name: 'Scan a code', level: 1 }).waitFor();
  const login = flow('LOGIN', 'STARTING', null, { id: 'back-1' });
  await page.evaluate((f) => (window.__mock.nextFlow = f), [login]);
  await page.getByLabel('Paste a link', { exact: true }).fill('nextauth:AAEC');
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.locator('#prompt').waitFor();
  await page.waitForTimeout(100); // the flow's own first event, which the mock sends after 10 ms
  await show(page, { ...login, state: 'DONE' });
  await page.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor();
  assert.equal(await page.evaluate(() => location.hash), '#/messages');
  await page.context().close();
});

test('approvals: the PIN before approving a transaction (on by default); wrong, back, right; logins when switched on', async () => {
  const page = await open();
  const tx = flow('SIGN_TRANSACTION', 'WAITING_FOR_CONFIRMATION', {
    type: 'CONFIRM_TRANSACTION', accounts: accounts.slice(2), amount: '1,250.00 EUR', beneficiary: 'Contoso Ltd', description: '', check: check(),
  }, { serverId: ids.BANK, id: 'tx-pin' });
  await show(page, tx);
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByRole('heading', { name: 'Confirm it’s you' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'pin-input');
  assert.match(await page.locator('#prompt-desc').innerText(), /approve this transaction/);
  assert.equal((await answers(page)).length, 0, 'nothing is sent before the PIN');
  await page.keyboard.type('1111');
  await page.keyboard.press('Enter');
  await page.getByText('Wrong PIN. 2 attempts left.').waitFor();
  await shoot(page, 'prompt-approve-pin');
  await page.getByRole('button', { name: 'Back' }).click();
  await page.getByRole('heading', { name: 'Approve this transaction?' }).waitFor();
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.keyboard.type('2468');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.__mock.answers().length === 2);
  assert.deepEqual((await answers(page)).at(-1), { type: 'CONFIRM', accountId: 'b1', approvalPin: '2468' });
  assert.equal(await page.locator('#pin-input').inputValue(), '', 'the PIN is cleared after sending');
  // A login asks only once the setting is on.
  const login = flow('LOGIN', 'WAITING_FOR_CONFIRMATION', { type: 'CONFIRM', accounts: accounts.slice(0, 1), announce: { info: [], logo: '', ip: '192.0.2.1', userAgent: '' }, check: check() }, { id: 'login-pin' });
  await show(page, login);
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.waitForFunction(() => window.__mock.answers().length === 3);
  assert.deepEqual((await answers(page)).at(-1), { type: 'CONFIRM', accountId: 'a1' });
  await page.keyboard.press('Escape');
  await show(page, { ...login, state: 'DONE', interaction: null });
  await page.keyboard.press('Escape');
  await page.evaluate(() => (location.hash = '#/settings'));
  const logins = page.getByRole('switch', { name: /before approving a login/ });
  const payments = page.getByRole('switch', { name: /before approving a transaction/ });
  assert.equal(await payments.isChecked(), true, 'on by default for transactions');
  assert.equal(await logins.isChecked(), false, 'off by default for logins');
  await shoot(page, 'settings-approvals');
  await logins.click();
  await page.waitForFunction(() => window.__mock.settings.askPinForLogins === true);
  await show(page, { ...login, id: 'login-pin-2' });
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByRole('heading', { name: 'Confirm it’s you' }).waitFor();
  assert.match(await page.locator('#prompt-desc').innerText(), /approve this login/);
  await page.context().close();
  // Without a PIN there is nothing to check: Approve answers at once.
  const nopin = await open(fixtures({ accounts: accounts.map((a) => ({ ...a, hasPin: false })) }));
  await show(nopin, tx);
  await nopin.getByRole('button', { name: 'Approve' }).click();
  await nopin.waitForFunction(() => window.__mock.answers().length === 1);
  assert.deepEqual((await answers(nopin))[0], { type: 'CONFIRM', accountId: 'b1' });
  await nopin.context().close();
});

test('approvals: the number chosen goes with the PIN asked before approving; a number the SDK refuses is explained', async () => {
  const page = await open();
  const tx = flow('SIGN_TRANSACTION', 'WAITING_FOR_CONFIRMATION', {
    type: 'CONFIRM_TRANSACTION', accounts: accounts.slice(2), amount: '99.00 EUR', beneficiary: 'Contoso Ltd', description: '',
    check: check({ number: { type: 'CHOOSE', choices: ['31', '58', '64'] } }),
  }, { serverId: ids.BANK, id: 'tx-number-pin' });
  await show(page, tx);
  await page.getByRole('radio', { name: '58' }).check();
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByRole('heading', { name: 'Confirm it’s you' }).waitFor();
  await page.keyboard.type('2468');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.__mock.answers().length === 1);
  assert.deepEqual((await answers(page))[0], { type: 'CONFIRM', accountId: 'b1', number: '58', approvalPin: '2468' });
  await page.context().close();
  // Approving at once (no PIN asked): the SDK refuses a number that does not fit what was asked.
  const direct = await open(fixtures({ settings: { ...fixtures().settings, askPinForTransactions: false } }));
  await direct.evaluate(() => {
    window.__mock.overrides.flow_respond = () => {
      throw { code: 126, message: 'invalid input: the number the browser shows' };
    };
  });
  await show(direct, { ...tx, id: 'tx-number-2', interaction: { ...tx.interaction, check: check({ number: { type: 'TYPE', digits: 2 } }) } });
  await direct.keyboard.type('12');
  await direct.keyboard.press('Enter');
  await direct.getByRole('alert').filter({ hasText: 'Give the number your browser shows first.' }).waitFor();
  assert.equal(await direct.evaluate(() => document.activeElement?.id), 'number-input', 'focus back in the field');
  assert.deepEqual((await answers(direct))[0], { type: 'CONFIRM', accountId: 'b1', number: '12' });
  await direct.context().close();
});

test('PIN pad: the keys stay where they are from "Choose a PIN" to "Repeat your PIN" (desktop and phone)', async () => {
  for (const viewport of [undefined, PHONE]) {
    const page = await open(fixtures({ accounts: [], history: [] }), viewport ? { viewport } : {});
    await show(page, enrolFlow('WAITING_FOR_INPUT', { type: 'SET_SECOND_FACTOR' }));
    const keys = () => page.evaluate(() => [...document.querySelectorAll('.keypad .key')].map((k) => Math.round(k.getBoundingClientRect().top)));
    const before = await keys();
    await page.keyboard.type('2468');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Repeat your PIN' }).waitFor();
    assert.deepEqual(await keys(), before, 'no key moved');
    await page.keyboard.type('1111');
    await page.keyboard.press('Enter');
    await page.getByText('The two PINs differ').waitFor();
    assert.deepEqual(await keys(), before, 'not even with the message');
    await page.context().close();
  }
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

test('history: a NOT_ME entry is marked as a warning and pauses or resumes login requests; refusals are shown', async () => {
  const page = await open(fixtures({ history: [...fixtures().history.slice(-5), notMeEntry] }), { hash: '#/history' });
  await page.waitForSelector('.history-entry');
  const entry = page.locator('.history-entry').first();
  assert.equal(await entry.getAttribute('data-status'), 'NOT_ME');
  assert.match(await entry.getAttribute('class'), /\bnot-me\b/);
  assert.equal(await entry.locator('.badge').innerText(), 'Reported: not me');
  assert.match(await entry.locator('.badge').getAttribute('class'), /\bwarn\b/, 'a warning tone');
  const background = await entry.evaluate((e) => getComputedStyle(e).backgroundColor);
  assert.notEqual(background, 'rgba(0, 0, 0, 0)', 'the entry stands out');
  assert.match(await entry.innerText(), /From Chrome on Windows, 203\.0\.113\.99/);
  assert.equal(await page.locator('.pause-controls').count(), 1, 'only the NOT_ME entry offers a pause');
  const calls = () => page.evaluate(() => window.__mock.calls.filter(([c]) => c === 'account_pause_push').map(([, a]) => a));
  const group = entry.getByRole('group', { name: 'Pause login requests' });
  await group.getByRole('button', { name: 'Pause login requests for 1 hour' }).click();
  const status = entry.getByRole('status');
  await status.filter({ hasText: 'paused until' }).waitFor();
  // An hour from now may be tomorrow: the time then comes with its date ("Dec 6, 2026, 12:32 AM").
  assert.match(await status.innerText(), /^Login requests to alice@acme\.example are paused until (\w{3} \d{1,2}, \d{4}, )?\d{1,2}[:.]\d{2}/);
  assert.deepEqual(await calls(), [{ accountId: 'a1', minutes: 60 }]);
  assert.equal(await page.evaluate(() => window.__mock.paused.a1 - Math.floor(Date.now() / 1000)), 3600);
  await shoot(page, 'history-not-me', { highContrast: true });
  await group.getByRole('button', { name: 'Pause login requests for 24 hours' }).click();
  await page.waitForFunction(() => window.__mock.calls.filter(([c]) => c === 'account_pause_push').length === 2);
  assert.deepEqual((await calls())[1], { accountId: 'a1', minutes: 1440 });
  await group.getByRole('button', { name: 'Resume login requests' }).click();
  await status.filter({ hasText: 'on again' }).waitFor();
  assert.deepEqual((await calls())[2], { accountId: 'a1', minutes: 0 });
  assert.equal(await page.evaluate(() => window.__mock.paused.a1), undefined, 'resumed');
  // Refused (the server unreachable, or an app without the command): the message, in the status line.
  await page.evaluate(() => {
    window.__mock.overrides.account_pause_push = () => {
      throw { code: 120, message: 'the server could not be reached' };
    };
  });
  await group.getByRole('button', { name: 'Pause login requests for 1 hour' }).click();
  await status.filter({ hasText: 'could not be reached' }).waitFor();
  assert.match(await status.getAttribute('class'), /\bbad\b/);
  await page.evaluate(() => {
    window.__mock.overrides.account_pause_push = () => Promise.reject('command account_pause_push not found');
  });
  await group.getByRole('button', { name: 'Resume login requests' }).click();
  await status.filter({ hasText: 'Command account_pause_push not found' }).waitFor();
  await page.getByLabel('Status').selectOption('NOT_ME');
  await page.waitForFunction(() => document.querySelectorAll('.history-entry').length === 1);
  // The pauses are in the history too (the SDK records them): paused for an hour, for a day, resumed.
  await page.getByLabel('Status').selectOption('PUSH_PAUSED');
  await page.waitForFunction(() => document.querySelectorAll('.history-entry[data-status="PUSH_PAUSED"]').length === 3);
  assert.deepEqual(
    await page.locator('.history-entry').evaluateAll((rows) => rows.map((r) => `${r.querySelector('.badge').textContent}: ${r.querySelector('.history-text p.small').textContent}`)),
    [
      'Login requests on: You resumed login requests to this account.',
      'Login requests paused: You paused login requests to this account for 1 day.',
      'Login requests paused: You paused login requests to this account for 1 hour.',
    ],
  );
  assert.match(await page.locator('.history-entry').first().locator('.history-title').innerText(), /^Login requests · Acme · alice@acme\.example/);
  await page.setViewportSize(PHONE);
  await noOverflow(page);
  await page.context().close();
});

test('account detail: pause login requests for 24 hours and resume them', async () => {
  const page = await open(fixtures(), { hash: '#/account/b1' });
  const card = page.getByRole('region', { name: 'Login requests' });
  await card.waitFor();
  assert.match(await card.innerText(), /Northwind Bank sends none to this account until then/);
  await card.getByRole('button', { name: 'Pause login requests for 24 hours' }).click();
  await card.getByRole('status').filter({ hasText: 'paused until' }).waitFor();
  await card.getByRole('button', { name: 'Resume login requests' }).click();
  await card.getByRole('status').filter({ hasText: 'Login requests to Alice Example are on again.' }).waitFor();
  const sent = await page.evaluate(() => window.__mock.calls.filter(([c]) => c === 'account_pause_push').map(([, a]) => a));
  assert.deepEqual(sent, [{ accountId: 'b1', minutes: 1440 }, { accountId: 'b1', minutes: 0 }]);
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
  for (const s of ['nextAuth 0.1.0', '2.12.5', '/home/alice/.local/share/io.github.nextauth_rs.app', 'the system keychain']) assert.ok(about.includes(s), s);
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
  assert.deepEqual(sent, { notifications: true, theme: 'system', startOnLogin: true, keepInBackground: true, openLinks: false, askPinForLogins: false, askPinForTransactions: true, linkPrefixes: [], camera: null }, 'the other preferences are kept');
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

test('settings: website links: the servers’ addresses, add one (checked as an https address), refusals, remove it', async () => {
  const page = await open(
    fixtures({ serverLinkPrefixes: [{ serverName: 'Northwind Bank', prefix: 'https://links.bank.example/app' }] }),
    { hash: '#/settings' },
  );
  const card = page.locator('section', { has: page.getByRole('heading', { name: 'Website links' }) });
  await card.getByText('https://links.bank.example/app').waitFor();
  assert.match(await card.innerText(), /From your accounts[\s\S]*Northwind Bank[\s\S]*Added by you[\s\S]*None added\./);
  const input = page.getByLabel('Add a website address');
  const add = card.getByRole('button', { name: 'Add', exact: true });
  const updates = () => page.evaluate(() => window.__mock.calls.filter(([c]) => c === 'settings_update').map(([, a]) => a.settings.linkPrefixes));
  for (const [typed, said] of [
    ['http://shop.example/app', 'The address must start with https://'],
    ['shop.example', 'The address must start with https://'],
    ['https://shop.example/app?ref=mail', 'Leave out everything from ? or # on.'],
    ['https://shop example/app', 'A website address has no spaces.'],
  ]) {
    await input.fill(typed);
    await add.click();
    await page.locator('#link-prefix-status.bad').getByText(said).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'link-prefix-input', 'focus back in the field');
  }
  assert.deepEqual(await updates(), [], 'nothing saved');
  await input.fill('  https://Shop.Example/app/ ');
  await page.keyboard.press('Enter');
  await page.getByText('Links starting with https://shop.example/app now open in this app.').waitFor();
  assert.deepEqual(await updates(), [['https://shop.example/app']], 'saved as the app stores it, with the other settings');
  assert.equal(await input.inputValue(), '');
  await card.getByRole('listitem').filter({ hasText: 'https://shop.example/app' }).waitFor();
  await input.fill('https://shop.example/app');
  await add.click();
  await page.getByText('https://shop.example/app is already in the list.').waitFor();
  await input.fill('');
  await page.evaluate(() => document.getElementById('link-prefix-status').replaceChildren());
  await shoot(page, 'settings-links');
  // The app refuses (its own check has the last word): said, nothing changes.
  await page.evaluate(() => {
    window.__mock.overrides.settings_update = () => {
      throw { code: 305, message: '“https://evil.example” is not a website address' };
    };
  });
  await input.fill('https://evil.example');
  await add.click();
  await page.locator('#link-prefix-status.bad').waitFor();
  assert.equal(await card.getByRole('listitem').filter({ hasText: 'evil' }).count(), 0);
  await page.evaluate(() => delete window.__mock.overrides.settings_update);
  await card.getByRole('button', { name: 'Remove https://shop.example/app' }).click();
  await page.getByText('Links starting with https://shop.example/app no longer open in this app.').waitFor();
  await card.getByText('None added.').waitFor();
  assert.deepEqual((await updates()).at(-1), [], 'removed');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'link-prefix-input', 'focus moves to the field');
  await noOverflow(page);
  await page.context().close();
});

test('account: app login (AppLogin): unlock, a token for a service to copy, lock; only with one account; a login that does not stay open is explained', async () => {
  const bank = accounts.find((a) => a.id === 'b1');
  const page = await open(fixtures({ accounts: [bank] }), { hash: `#/account/${bank.id}` });
  const card = page.locator('#app-login');
  await card.getByRole('heading', { name: 'App login' }).waitFor();
  await card.locator('#app-login-state').getByText('Locked').waitFor();
  await card.getByRole('button', { name: 'Unlock' }).click();
  await page.waitForFunction(() => document.getElementById('app-login')?.dataset.state === 'UNLOCKED');
  assert.match(await page.locator('#app-login-state').innerText(), /Unlocked as Alice Example at Northwind Bank/);
  const token = page.getByRole('button', { name: 'Get token' });
  await token.click();
  await page.getByText('Say who the token is for').waitFor();
  await page.getByLabel('Token for (the service’s address)').fill('https://api.bank.example');
  await token.click();
  const text = page.locator('#app-login-token-text');
  await text.waitFor();
  assert.match(await text.inputValue(), /^nat1\./);
  assert.match(await card.innerText(), /For https:\/\/api\.bank\.example, valid until/);
  const asked = await page.evaluate(() => window.__mock.calls.filter(([c]) => c === 'app_login_token').map(([, a]) => a));
  assert.deepEqual(asked, [{ audience: 'https://api.bank.example' }]);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByRole('button', { name: 'Copy' }).click();
  await page.getByText('Token copied.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await text.inputValue());
  await page.evaluate(() => document.getElementById('app-login-status').replaceChildren());
  await shoot(page, 'account-app-login');
  // The server no longer vouches (the login ended): said, back to locked.
  await page.evaluate(() => {
    window.__mock.appLogin = { state: 'LOCKED', flowId: null };
  });
  await token.click();
  await page.getByText('The app is locked. Unlock it first.').waitFor();
  await page.waitForFunction(() => document.getElementById('app-login')?.dataset.state === 'LOCKED');
  await card.getByRole('button', { name: 'Unlock' }).click();
  await page.waitForFunction(() => document.getElementById('app-login')?.dataset.state === 'UNLOCKED');
  await card.getByRole('button', { name: 'Lock' }).click();
  await page.waitForFunction(() => document.getElementById('app-login')?.dataset.state === 'LOCKED');
  assert.equal(await page.evaluate(() => window.__mock.calls.filter(([c]) => c === 'app_login_stop').length), 1);
  await noOverflow(page);
  await page.context().close();

  // Several accounts: no card (AppLogin needs the app's only account).
  const several = await open(fixtures(), { hash: '#/account/b1' });
  await several.getByRole('heading', { name: 'Alice Example' }).waitFor();
  assert.equal(await several.locator('#app-login').count(), 0);
  await several.context().close();
  // One account on a server that last kept no logins open: said beside Unlock (the server may
  // have changed since; the login reads its parameters anew). The login ends without a
  // session: the card says the app did not stay unlocked.
  const acme = accounts.find((a) => a.id === 'a1');
  const oneShot = await open(fixtures({ accounts: [acme] }), { hash: '#/account/a1' });
  await oneShot.locator('#app-login-one-shot').getByText('kept no logins open').waitFor();
  await oneShot.evaluate(() => {
    window.__mock.overrides.app_login_start = () => (window.__mock.appLogin = { state: 'UNLOCKING', flowId: 'app-login-2' });
  });
  await oneShot.getByRole('button', { name: 'Unlock' }).click();
  await oneShot.waitForFunction(() => document.getElementById('app-login')?.dataset.state === 'UNLOCKING');
  await oneShot.evaluate(() => (window.__mock.appLogin = { state: 'LOCKED', flowId: null }));
  await show(oneShot, flow('LOGIN', 'DONE', null, { id: 'app-login-2' }));
  await oneShot.locator('#app-login-status').getByText('The app did not stay unlocked').waitFor();
  await oneShot.context().close();
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
  const ready = { flow: flow('LOGIN', 'WAITING_FOR_CONFIRMATION', { type: 'CONFIRM', accounts: accounts.slice(0, 1), announce: { info: [], logo: '', ip: '192.0.2.9', userAgent: 'curl/8.5' }, check: check() }), notices: [{ code: 32, message: 'parse error' }] };
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

test('start-up: data that cannot be opened shows what to do instead of the app', async () => {
  const startupError = {
    error: { code: 203, message: 'nextauth.db is missing but this app has keys: put it back, or move the folder away to start over; nothing was changed' },
    dataDir: '/home/alice/.local/share/io.github.nextauth_rs.app',
  };
  const page = await open(fixtures({ startupError }));
  const title = page.getByRole('heading', { name: 'Your accounts’ database is missing' });
  await title.waitFor();
  assert.ok(await title.evaluate((el) => el === document.activeElement), 'the title has focus for screen readers');
  const text = await page.locator('main').innerText();
  for (const s of ['Put nextauth.db back', 'delete nextauth.db.id', startupError.dataDir, '(code 203)']) assert.ok(text.includes(s), s);
  assert.equal(await page.locator('#topbar a').count(), 0, 'no navigation into screens that need the data');
  const asked = await page.evaluate(() => window.__mock.calls.map(([c]) => c));
  assert.ok(!asked.includes('account_list') && !asked.includes('app_ready'), asked.join(', '));
  await shoot(page, 'startup-error');
  await page.context().close();
});

await run('ui');
