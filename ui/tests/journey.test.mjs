// The everyday desktop journey (issue 10), as a person does it: the Acme demo site in a real
// Chromium window and the real app beside it, on one Xvfb display with a window manager
// (openbox), against the real server. Sign up and enrol with "Scan screen" while the app's own
// window covers the website's code, log in, log out, log in again, deny one (the website says so
// within a second), approve a transfer with the number the website shows (number matching) and
// the PIN, log in with the push button and its number, and with the app closed a push request the
// website gives up on after 30 s. The session's GNOME Keyring has no default
// keyring (as after D-Bus activation): the app asks for one, and the system's dialog
// (gcr-prompter) is answered as a person would. A screenshot of the whole screen after each step
// goes to docs/screenshots/journey-*.png.
//
// Needs DISPLAY (Xvfb) with openbox running, a session bus with GNOME Keyring started without a
// login keyring (scripts/with-keyring.sh with NEXTAUTH_KEYRING_DEFAULT=none), tauri-driver,
// WebKitWebDriver, chromium, xdotool, ImageMagick's import, and
//   APP=<target>/debug/nextauth-app SERVER=<target>/debug/nextauth-server node tests/journey.test.mjs
// scripts/test-app.sh sets all of this up. Prints one line per step and "journey: N passed, N failed".
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  appDidNotStart,
  appSession,
  cleanup,
  elementHelpers,
  failureDiagnostics,
  requireAppEnvironment,
  scratchDir,
  shotsDir,
  sleep,
  startDriver,
  startServer,
  until,
} from './app-harness.mjs';

const shots = shotsDir();
const { APP, SERVER } = process.env;
const PIN = '2468';
const KEYRING_PASSWORD = 'journey-keyring';
requireAppEnvironment({ APP, SERVER });

const tmp = scratchDir('nextauth-journey-');
const xdotool = (...args) => execFileSync('xdotool', args, { encoding: 'utf8' }).trim();
/** The whole screen, as the person sees it, once both windows have drawn what they show;
 *  `front` ('site' or 'app') is raised first. */
async function screenshot(name, front = null) {
  if (front === 'site') raiseSite();
  if (front === 'app') raiseApp();
  await sleep(900);
  execFileSync('import', ['-window', 'root', path.join(shots, `journey-${name}.png`)]);
}
/** The browser's window, raised (as when the person goes back to the website). */
function raiseSite() {
  const win = xdotool('search', '--onlyvisible', '--class', 'chromium').split('\n').at(-1);
  xdotool('windowactivate', '--sync', win);
}

// The server, fresh.
const { base } = await startServer(SERVER, path.join(tmp, 'server'));

// The website in a real, maximised Chromium window.
const chrome = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: false,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--start-maximized', '--window-position=0,0'],
  env: { ...process.env },
});
const context = await chrome.newContext({ viewport: null });
const site = await context.newPage();
await site.goto(`${base}/`);

// The app, through tauri-driver. Its keystore asks the Secret Service for a default keyring,
// which has none: the system's dialog appears while the app starts, and is answered here.
const appData = path.join(tmp, 'app');
const home = path.join(tmp, 'home');
fs.mkdirSync(home, { recursive: true });
const appEnv = { ...process.env, HOME: home, NEXTAUTH_APP_DATA: appData, RUST_LOG: 'info' };
const driver = await startDriver(appEnv);
const session = appSession(driver, APP);
let keyringAsked = false;
const keyringDialog = until('the keyring dialog', () => {
  try {
    return xdotool('search', '--name', 'gcr-prompter|Choose password|keyring').split('\n')[0];
  } catch {
    return null;
  }
}, 60000).then(async (win) => {
  keyringAsked = true;
  await screenshot('01-keyring');
  xdotool('windowactivate', '--sync', win);
  xdotool('type', '--delay', '40', KEYRING_PASSWORD);
  xdotool('key', 'Tab');
  xdotool('type', '--delay', '40', KEYRING_PASSWORD);
  xdotool('key', 'Return');
}).catch(() => {});
let app;
try {
  app = await session;
} catch (err) {
  await appDidNotStart('journey', driver, err, { beforeExit: () => chrome.close().catch(() => {}) });
}
await keyringDialog;

const { $, waitFor, text, click, typePin, chooseNewPin } = elementHelpers(app);
/** The app's window, raised over the browser (as after the person clicks on it). */
function raiseApp() {
  const win = xdotool('search', '--onlyvisible', '--name', '^nextAuth$').split('\n')[0];
  xdotool('windowactivate', '--sync', win);
  return win;
}
/** The rectangle of the app's window on the screen. */
function appRect(win) {
  const out = xdotool('getwindowgeometry', '--shell', win);
  const v = Object.fromEntries(out.split('\n').map((l) => l.split('=')));
  return { x: Number(v.X), y: Number(v.Y), w: Number(v.WIDTH), h: Number(v.HEIGHT) };
}
/** The rectangle of `selector` in the browser, on the screen. */
async function siteRect(selector) {
  return site.evaluate((s) => {
    const r = document.querySelector(s).getBoundingClientRect();
    // The page's origin on the screen: the window's position plus its frame and toolbars.
    const top = window.screenY + (window.outerHeight - window.innerHeight);
    const left = window.screenX + (window.outerWidth - window.innerWidth) / 2;
    return { x: Math.round(left + r.x), y: Math.round(top + r.y), w: Math.round(r.width), h: Math.round(r.height) };
  }, selector);
}
const overlap = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
/** The demo site's status line in its nextAuth block. */
const siteStatus = () => site.evaluate(() => document.querySelector('[data-nextauth-status]')?.textContent ?? '');

/** Presses Scan in the app (its window over the browser) and waits for the prompt. */
async function scanInApp(interaction) {
  raiseApp();
  await click('#scan-button');
  await waitFor(`#prompt[data-interaction="${interaction}"]`, 30000);
}
const enterPin = () => typePin(PIN);
/** After Approve: the PIN wherever it is asked (first by the app, then by the website), until done. */
async function finishAfterApprove() {
  for (;;) {
    const step = await until('done or a PIN question', async () => {
      const s = await app.execute(() => {
        const p = document.getElementById('prompt');
        return p && `${p.dataset.state}|${p.dataset.interaction}`;
      });
      if (!s) return null;
      if (s.startsWith('DONE') || s.startsWith('ERROR')) return 'done';
      if (s.includes('APPROVE_WITH_PIN') || s.startsWith('WAITING_FOR_INPUT')) {
        return (await app.execute(() => !!document.querySelector('#pin-input:not(:disabled)') && !document.querySelector('#pin-ok:disabled'))) ? 'pin' : null;
      }
      return null;
    }, 30000);
    if (step === 'done') return;
    await enterPin();
    await until('the PIN taken', async () => !(await app.execute(() => document.getElementById('pin-input')?.value)), 5000);
    await sleep(300);
  }
}
/** The number the website shows the person (number matching): `selector` on the page once it
 *  is visible, as the person reads it off the browser's window. */
async function numberOnSite(selector) {
  const el = site.locator(selector);
  await el.waitFor({ state: 'visible', timeout: 10000 });
  const number = (await el.textContent()).trim();
  assert.match(number, /^[0-9]+$/, `the website shows a number: "${number}"`);
  return number;
}
/** Types `number` into the app's prompt, as the person does after reading it in the browser:
 *  Approve waits for it. */
async function typeNumber(number) {
  raiseApp();
  const input = await waitFor('#number-input');
  assert.equal(await app.execute(() => document.getElementById('approve').disabled), true, 'no approval before the number is given');
  await input.click();
  await input.setValue(number);
  await until('Approve enabled by the number', () => app.execute(() => document.getElementById('approve').disabled === false), 5000);
}
/** The browser logs in: the app approves its code (scanned off the screen). With `shortcut`
 *  the person stays in the browser and presses Ctrl+Alt+S there. */
async function logIn(shot, { shortcut = false } = {}) {
  await site.goto(`${base}/login`);
  await site.waitForSelector('.nextauth-login img');
  if (shortcut) {
    raiseSite();
    xdotool('key', 'ctrl+alt+s');
    await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  } else {
    await scanInApp('CONFIRM');
  }
  const seen = await text('#seen-browser');
  assert.match(seen, /^Chrome \d+ on Linux$/, `the app says which browser asks (as the server saw it): ${seen}`);
  if (shot) await screenshot(shot);
  await click('#approve');
  await finishAfterApprove();
  assert.match(await text('#prompt-title'), /Logged in to Acme/);
  await site.waitForURL(`${base}/account`, { timeout: 5000 });
  await click('#close');
}

const steps = [];
const step = (name, fn) => steps.push([name, fn]);

step('the app starts with the system keychain (the default keyring was created through the system dialog)', async () => {
  await waitFor('body[data-ready="true"]', 60000);
  assert.ok(keyringAsked, 'the Secret Service asked for a default keyring');
  const info = await app.execute(() => window.__TAURI__.core.invoke('app_info'));
  assert.equal(info.keystore, 'os-keychain', `keystore: ${info.keystore}; log: ${driver.log().slice(-800)}`);
  assert.equal(info.globalScanShortcut, true, 'Ctrl+Alt+S works from the browser too');
  assert.ok(!fs.existsSync(path.join(appData, 'keystore.key')), 'no key file');
});

step('sign up on the website: the name field has focus, the code and a 128 px visual hash show', async () => {
  await site.goto(`${base}/signup`);
  assert.equal(await site.evaluate(() => document.activeElement?.id), 'name', 'the name field is focused');
  await site.keyboard.type('journey');
  await site.keyboard.press('Enter');
  await site.waitForSelector('.nextauth-enrol img');
  const vash = await site.evaluate(() => document.querySelector('.nextauth-vash img').getBoundingClientRect().width);
  assert.equal(vash, 128, 'the visual hash is as large as in the app');
});

step('enrol with "Scan screen" while the app\'s own window covers the code', async () => {
  const win = raiseApp();
  const covered = overlap(appRect(win), await siteRect('.nextauth-enrol .nextauth-qr img'));
  assert.ok(covered, `the app covers the website's code: ${JSON.stringify([appRect(win), await siteRect('.nextauth-enrol .nextauth-qr img')])}`);
  await screenshot('02-app-over-the-code');
  const t0 = Date.now();
  await click('#scan-screen');
  await waitFor('#prompt[data-interaction="CONFIRM_ENROL"]', 30000);
  console.log(`# from Scan to the enrol prompt: ${Date.now() - t0} ms`);
  assert.equal(await site.evaluate(() => document.querySelector('.nextauth-block').dataset.nextauthState), 'scanned');
  // The person compares the two pictures: the app beside the website's code.
  xdotool('windowsize', '--sync', raiseApp(), '720', '720');
  xdotool('windowmove', '--sync', raiseApp(), '600', '40');
  await site.evaluate(() => document.querySelector('.nextauth-vash').scrollIntoView({ block: 'center' }));
  await screenshot('03-enrol-compare');
  await click('#approve');
  await chooseNewPin(PIN);
  assert.match(await text('#prompt-desc'), /the website has logged you in/);
  await site.waitForURL(`${base}/account`, { timeout: 5000 });
  await screenshot('04-enrolled-and-logged-in');
  await click('#close');
  await screenshot('05-the-website-continues', 'site');
});

step('log out on the website: it lands on the home page', async () => {
  await site.getByRole('button', { name: 'Log out' }).click();
  await site.waitForLoadState('load');
  await sleep(1000); // a reload on the session's LOGOUT must not take the person elsewhere
  assert.equal(new URL(site.url()).pathname, '/', `landed on ${site.url()}`);
  await screenshot('06-logged-out');
});

step('log in again with Ctrl+Alt+S pressed in the browser: the app says which browser asks; the website continues', async () => {
  await logIn('07-login-prompt', { shortcut: true });
  await screenshot('08-logged-in', 'site');
});

step('log out and deny the next login: the website says it was refused within a second', async () => {
  await site.getByRole('button', { name: 'Log out' }).click();
  await site.waitForLoadState('load');
  await site.goto(`${base}/login`);
  await site.waitForSelector('.nextauth-login img');
  await scanInApp('CONFIRM');
  await until('Code scanned on the website', async () => (await siteStatus()).includes('Code scanned'));
  const t0 = Date.now();
  await click('#deny');
  await until('the refusal on the website', async () => (await siteStatus()).includes('Refused in the nextAuth app'), 5000);
  const ms = Date.now() - t0;
  console.log(`# from Deny to the website's "Refused": ${ms} ms`);
  assert.ok(ms < 1500, `the website took ${ms} ms`);
  await waitFor('#prompt[data-state="DONE"]');
  await screenshot('09-refused-in-the-app');
  await click('#close');
  await site.evaluate(() => document.querySelector('[data-nextauth-status]').scrollIntoView({ block: 'center' }));
  await screenshot('10-refused-on-the-website', 'site');
});

step('approve a transfer: the person types the number the website shows, the app asks for the PIN first (on by default), the website sees the approval', async () => {
  await logIn(null);
  await site.getByLabel('Amount').fill('EUR 42.00');
  await site.getByLabel('Beneficiary').fill('Bob\'s Bikes');
  await site.getByLabel('Description').fill('Invoice 42');
  await site.getByRole('button', { name: 'Create the transfer' }).click();
  await site.waitForSelector('.tx-qr img');
  await scanInApp('CONFIRM_TRANSACTION');
  // The person looks at the website for the number (the app's window covers the transfer).
  const number = await numberOnSite('#tx [data-match-number]');
  await site.evaluate(() => document.querySelector('#tx [data-match-number]').scrollIntoView({ block: 'center' }));
  await screenshot('11-transfer-number-on-the-website', 'site');
  await typeNumber(number);
  await screenshot('12-transaction');
  await click('#approve');
  await waitFor('#prompt[data-interaction="APPROVE_WITH_PIN"]');
  assert.equal(await text('#prompt-title'), 'Confirm it’s you');
  await screenshot('13-pin-before-approving');
  await finishAfterApprove();
  assert.equal(await text('#prompt-title'), 'Transaction approved');
  await until('the website shows the approval', async () => (await site.evaluate(() => document.getElementById('tx')?.dataset.status)) === 'approved', 5000);
  await click('#close');
  await screenshot('14-approved-on-the-website', 'site');
});

step('log in with the push button: the website shows a number, the person types it in the app; the website continues', async () => {
  await site.getByRole('button', { name: 'Log out' }).click();
  await site.waitForLoadState('load');
  await site.goto(`${base}/login`);
  const push = site.getByRole('button', { name: 'Send a login request to my app' });
  await push.waitFor();
  await push.click();
  await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  const number = await numberOnSite('.nextauth-login [data-nextauth-number]');
  await typeNumber(number);
  await screenshot('15-push-login-number');
  await click('#approve');
  await finishAfterApprove();
  assert.match(await text('#prompt-title'), /Logged in to Acme/);
  await site.waitForURL(`${base}/account`, { timeout: 5000 });
  await click('#close');
});

step('with the app closed, the push button: the website says the app did not answer (30 s)', async () => {
  await site.getByRole('button', { name: 'Log out' }).click();
  await site.waitForLoadState('load');
  await app.deleteSession(); // the app quits: nothing picks the request up
  await site.goto(`${base}/login`);
  const push = site.getByRole('button', { name: 'Send a login request to my app' });
  await push.waitFor();
  const t0 = Date.now();
  await push.click();
  assert.match(await siteStatus(), /Login request sent/);
  await until('the website gives up', async () => (await siteStatus()).includes('did not answer'), 40000);
  const s = (Date.now() - t0) / 1000;
  console.log(`# the website said nobody answered after ${s.toFixed(1)} s`);
  assert.ok(s >= 29 && s < 33, `after ${s} s`);
  await site.evaluate(() => document.querySelector('[data-nextauth-status]').scrollIntoView({ block: 'center' }));
  await screenshot('16-nobody-answered', 'site');
});

step('the PIN never reaches the app log', async () => {
  assert.ok(!driver.log().includes(PIN), 'a PIN appears in the app log');
  assert.ok(!driver.log().includes(KEYRING_PASSWORD));
});

let passed = 0;
let failed = 0;
let broken = false;
for (const [name, fn] of steps) {
  if (broken) {
    failed++;
    console.log(`not ok ${passed + failed} - ${name} # skipped after an earlier failure`);
    continue;
  }
  const s0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok ${passed + failed} - ${name} (${Date.now() - s0} ms)`);
  } catch (err) {
    failed++;
    broken = true;
    console.log(`not ok ${passed + failed} - ${name}\n  ${String(err?.stack ?? err).split('\n').slice(0, 8).join('\n  ')}`);
    console.log(failureDiagnostics(driver, APP));
    try {
      execFileSync('import', ['-window', 'root', path.join(tmp, 'failure.png')]);
      console.log(`# failure screenshot: ${path.join(tmp, 'failure.png')}`);
    } catch {
      /* no screenshot */
    }
  }
}
await app.deleteSession().catch(() => {});
await chrome.close().catch(() => {});
cleanup();
if (!failed) fs.rmSync(tmp, { recursive: true, force: true });
else console.log(`# app log:\n${driver.log().split('\n').slice(-30).join('\n')}`);
console.log(`journey: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
