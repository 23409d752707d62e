// End-to-end test of the real app binary (WebKitGTK under Xvfb, driven through tauri-driver
// and WebKitWebDriver) against the real reference server process:
//   enrol from the demo site's QR (fed as an image), set the PIN, log in with a login QR image,
//   see both in the history.
//
// Needs: DISPLAY (Xvfb), tauri-driver and WebKitWebDriver on PATH, and the debug binaries:
//   APP=<target>/debug/nextauth-app SERVER=<target>/debug/nextauth-server node tests/e2e.test.mjs
// scripts/test-app.sh sets all of this up. Prints one line per step and "N passed, N failed".
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import QRCode from 'qrcode';
import { remote } from 'webdriverio';

const here = path.dirname(fileURLToPath(import.meta.url));
const shots = path.resolve(here, '../../docs/screenshots');
const APP = process.env.APP;
const SERVER = process.env.SERVER;
const PIN = '2468';
const NEW_PIN = '135790';
assert.ok(APP && fs.existsSync(APP), 'APP must point at the debug nextauth-app binary');
assert.ok(SERVER && fs.existsSync(SERVER), 'SERVER must point at the nextauth-server binary');
assert.ok(process.env.DISPLAY, 'DISPLAY must be set (Xvfb)');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nextauth-app-e2e-'));
const children = [];
const cleanup = () => {
  for (const c of children) if (c.exitCode === null) c.kill();
};
process.on('exit', cleanup);

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, timeout = 20000) {
  const t0 = Date.now();
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      /* not yet */
    }
    if (Date.now() - t0 > timeout) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// A desktop notification server on the test's session bus (scripts/with-keyring.sh starts a
// private one): it records what the app shows and clicks a notification when the test says.
assert.ok(process.env.DBUS_SESSION_BUS_ADDRESS, 'run under a session bus (scripts/with-keyring.sh)');
const notificationLog = path.join(tmp, 'notifications.jsonl');
const notifier = spawn('/usr/bin/python3', [path.join(here, 'fake-notifications.py'), notificationLog], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
children.push(notifier);
await new Promise((resolve, reject) => {
  notifier.stdout.once('data', resolve);
  notifier.once('exit', (code) => reject(new Error(`fake-notifications.py exited with ${code}`)));
});
const notifications = () =>
  fs.existsSync(notificationLog)
    ? fs.readFileSync(notificationLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    : [];

// The reference server with a fresh data directory.
const port = await freePort();
const serverData = path.join(tmp, 'server');
fs.mkdirSync(serverData);
const serverProc = spawn(SERVER, ['--listen', `127.0.0.1:${port}`, '--data-dir', serverData], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, RUST_LOG: 'warn' },
});
children.push(serverProc);
const base = `http://127.0.0.1:${port}`;
await until('the server', async () => (await fetch(`${base}/healthz`)).ok);
const demo = JSON.parse(fs.readFileSync(path.join(serverData, 'demo.json'), 'utf8'));
const api = (p, nonce, { method = 'GET', body } = {}) =>
  fetch(`${base}${p}`, {
    method,
    headers: {
      'X-apikey': demo.apikey,
      ...(nonce ? { 'X-nonce': nonce } : {}),
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });

/** The QR code of `p` as a PNG file: the server's own PNG when it offers `img=png`, else the
 *  raw code bytes drawn with the qrcode package. */
async function qrImage(p, nonce, file) {
  const sep = p.includes('?') ? '&' : '?';
  const r = await api(`${p}${sep}img=png`, nonce);
  assert.equal(r.status, 200, `${p}: ${r.status}`);
  let bytes = Buffer.from(await r.arrayBuffer());
  const isPng = bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  if (!isPng) {
    await QRCode.toFile(file, [{ data: bytes, mode: 'byte' }], { margin: 4, scale: 6 });
  } else {
    fs.writeFileSync(file, bytes);
  }
  return { file, served: isPng };
}

// tauri-driver (which starts WebKitWebDriver, which starts the app) with the app's data
// directory; push logins arrive through the SDK's live delivery.
const driverPort = await freePort();
const nativePort = await freePort();
const appData = path.join(tmp, 'app');
// A private home: "start on login" writes ~/.config/autostart/nextAuth.desktop there.
const home = path.join(tmp, 'home');
fs.mkdirSync(home, { recursive: true });
const autostartFile = path.join(home, '.config', 'autostart', 'nextAuth.desktop');
const appEnv = { ...process.env, HOME: home, NEXTAUTH_APP_DATA: appData, RUST_LOG: 'info' };
const driver = spawn('tauri-driver', ['--port', String(driverPort), '--native-port', String(nativePort)], {
  stdio: ['ignore', 'ignore', 'pipe'],
  env: appEnv,
});
let appLog = '';
driver.stderr.on('data', (d) => (appLog += d));
children.push(driver);
await until('tauri-driver', () => new Promise((resolve) => {
  const s = net.connect(driverPort, '127.0.0.1', () => { s.end(); resolve(true); });
  s.on('error', () => resolve(false));
}));

const t0 = Date.now();
const browser = await remote({
  hostname: '127.0.0.1',
  port: driverPort,
  logLevel: 'error',
  capabilities: { 'wdio:enforceWebDriverClassic': true, 'tauri:options': { application: APP } },
});
const sessionMs = Date.now() - t0;

const $ = (sel) => browser.$(sel);
const waitFor = async (sel, timeout = 20000) => {
  const el = await $(sel);
  await el.waitForExist({ timeout, timeoutMsg: `${sel} did not appear` });
  return el;
};
const text = async (sel) => {
  await waitFor(sel);
  return browser.execute((s) => document.querySelector(s)?.textContent?.trim() ?? '', sel);
};
const click = async (sel) => (await waitFor(sel)).click();

/** Feeds an image to the app: the "Open image…" file input when WebKitWebDriver supports file
 *  upload, else the image's path in the link field (which the app scans with scan_image). */
let imageRoute = '';
async function openImage(file) {
  try {
    const input = await waitFor('#open-image-input');
    await browser.elementSendKeys(input.elementId, file);
    await waitFor('#prompt', 5000);
    imageRoute = 'file input';
    return;
  } catch {
    /* fall back to the path */
  }
  const link = await waitFor('#link-input');
  await link.setValue(file);
  await click('#link-go');
  await waitFor('#prompt');
  imageRoute = 'pasted path (scan_image)';
}

async function enterPin() {
  const input = await waitFor('#pin-input');
  await input.setValue(PIN);
  await click('#pin-ok');
}

/** After Approve: enters the PIN if the server asks for it, then waits for the result. */
async function finishAfterApprove() {
  const state = await until('done or PIN', async () => {
    const el = await $('#prompt');
    const s = (await el.isExisting()) && (await el.getAttribute('data-state'));
    return s === 'DONE' || s === 'WAITING_FOR_INPUT' ? s : null;
  });
  if (state === 'WAITING_FOR_INPUT') {
    await enterPin();
    await waitFor('#prompt[data-state="DONE"]');
  }
}

/** The app window's X11 state, or a close request as its close button sends (x11-window.py). */
const x11Window = (command) =>
  execFileSync('/usr/bin/python3', [path.join(here, 'x11-window.py'), command, 'nextAuth'], { encoding: 'utf8' }).trim();

/** Closes the window as its close button does and waits until it is hidden (the app stays in the tray). */
async function closeToTray() {
  x11Window('close');
  await until('the window hidden', () => x11Window('state') === 'unmapped');
}

/** Has the website send a push login to the account last logged into the `nonce` session. */
async function provokeLogin(nonce) {
  const r = await api(`/servers/${demo.serverid}/sessions/provokelogin`, nonce, { method: 'POST' });
  assert.equal(r.status, 200, `provokelogin: ${r.status} ${await r.text()}`);
}

/** The website's login code for the `nonce` session as an app-to-app link, as an "open in app"
 *  button would carry it. */
async function loginLink(nonce) {
  const site = await (await api(`/servers/${demo.serverid}/sessions/`, nonce)).json();
  return `nextauth:${Buffer.from(site.loginqrdata, 'base64').toString('base64url')}`;
}

/** Approves the open login prompt (with the PIN if asked), checks that the website's `nonce`
 *  session is logged in, and closes the prompt. */
async function approveLogin(nonce) {
  await click('#approve');
  await finishAfterApprove();
  const session = await (await api(`/servers/${demo.serverid}/sessions/`, nonce)).json();
  assert.equal(session.loggedin, true, `the website sees the login (${nonce})`);
  await click('#close');
}

const steps = [];
const step = (name, fn) => steps.push([name, fn]);

step('the app starts on the welcome screen', async () => {
  await waitFor('body[data-ready="true"]');
  assert.equal(await text('h1'), 'Welcome to nextAuth');
});

step('enrol from the demo site’s QR image: visual hash, confirm, PIN twice', async () => {
  const { file, served } = await qrImage(`/servers/${demo.serverid}/sessions/qr/enrol?name=alice&userid=alice`, 'signup-alice', path.join(tmp, 'enrol.png'));
  console.log(`# enrol QR: ${served ? 'PNG from the server (img=png)' : 'raw code drawn locally'}`);
  await openImage(file);
  console.log(`# image fed through: ${imageRoute}`);
  await waitFor('#prompt[data-interaction="CONFIRM_ENROL"]');
  assert.match(await text('#prompt-title'), /Add an account at Acme\?/);
  assert.ok(await (await $('#prompt .vash img')).isDisplayed(), 'visual hash shown');
  await browser.saveScreenshot(path.join(shots, 'app-e2e-enrol.png'));
  await click('#approve');
  await waitFor('#prompt[data-interaction="SET_SECOND_FACTOR"]');
  await enterPin();
  await until('the repeat step', async () => (await text('#prompt-title')) === 'Repeat your PIN');
  await enterPin();
  await waitFor('#prompt[data-state="DONE"]');
  assert.equal(await text('#prompt-title'), 'Account added');
  await click('#close');
  await until('the account in the list', async () => (await text('.account-name')) === 'alice');
  const session = await (await api(`/servers/${demo.serverid}/sessions/`, 'signup-alice')).json();
  assert.equal(session.loggedin, true, 'the website sees the sign-up as logged in');
});

step('log in with a login QR image and approve', async () => {
  const { file } = await qrImage(`/servers/${demo.serverid}/sessions/qr/login`, 'browser-1', path.join(tmp, 'login.png'));
  await click('#add-account');
  await openImage(file);
  await waitFor('#prompt[data-interaction="CONFIRM"]');
  assert.match(await text('#prompt-title'), /Log in to Acme\?/);
  await browser.saveScreenshot(path.join(shots, 'app-e2e-login.png'));
  await click('#approve');
  await finishAfterApprove();
  assert.match(await text('#prompt-title'), /Logged in to Acme/);
  const session = await (await api(`/servers/${demo.serverid}/sessions/`, 'browser-1')).json();
  assert.equal(session.loggedin, true, 'the website sees the login');
  assert.equal(session.userid, 'alice');
  await click('#close');
});

step('log in again by scanning the screen (the QR shown in another X window)', async (skip) => {
  const viewer = ['/usr/bin/display', '/usr/bin/display-im6.q16'].find((p) => fs.existsSync(p));
  if (!viewer) return skip('ImageMagick display is not installed');
  const { file } = await qrImage(`/servers/${demo.serverid}/sessions/qr/login`, 'browser-2', path.join(tmp, 'login2.png'));
  const shown = spawn(viewer, ['-geometry', '+790+40', '-resize', '460x460', '-title', 'website QR', file], { stdio: 'ignore' });
  children.push(shown);
  await sleep(1500);
  await click('#add-account');
  await click('#scan-screen');
  await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  shown.kill();
  await approveLogin('browser-2');
});

step('closed to the tray, a push login arrives by live delivery, brings the window back and notifies; a click on the notification shows the window', async () => {
  const info = await browser.execute(() => window.__TAURI__.core.invoke('app_info'));
  assert.equal(info.tray, true, 'a tray icon (libayatana-appindicator3 is installed by scripts/install-deps.sh)');
  assert.equal(x11Window('state'), 'mapped');
  await closeToTray();
  assert.equal(await browser.execute(() => document.body.dataset.ready), 'true', 'the app still runs');
  const told = await until('the "still running" notification', () =>
    notifications().find((n) => n.summary === 'nextAuth is still running'),
  );
  assert.match(told.body, /tray/);
  await provokeLogin('browser-1');
  await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  await until('the window shown again', () => x11Window('state') === 'mapped');
  const note = await until('the notification', () => notifications().find((n) => n.summary === 'Log in to Acme?'));
  assert.equal(note.app, 'nextAuth');
  assert.deepEqual(note.actions, ['default', 'Open nextAuth'], 'a click opens the app');
  assert.ok(!JSON.stringify(note).includes(PIN), 'no secret in a notification');
  // Put the window away again; clicking the notification brings it back, prompt and all.
  await closeToTray();
  execFileSync('dbus-send', ['--session', '--type=method_call', '--print-reply', '--dest=org.freedesktop.Notifications', '/org/freedesktop/Notifications',
    'org.nextauth.Test.Invoke', `uint32:${note.id}`, 'string:default']);
  await until('the window shown by the click', () => x11Window('state') === 'mapped');
  await waitFor('#prompt[data-interaction="CONFIRM"]');
  await browser.saveScreenshot(path.join(shots, 'app-e2e-push-login.png'));
  await click('#approve');
  await finishAfterApprove();
  assert.match(await text('#prompt-title'), /Logged in to Acme/);
  await click('#close');
});

step('a notification is withdrawn once its prompt is answered in the app', async () => {
  await closeToTray();
  const before = notifications().length;
  await provokeLogin('browser-1');
  await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  const note = await until('the notification', () =>
    notifications().slice(before).find((n) => n.summary === 'Log in to Acme?'),
  );
  assert.ok(!notifications().some((n) => n.closed === note.id), 'still shown while the prompt asks');
  assert.equal(notifications().filter((n) => n.summary === 'nextAuth is still running').length, 1, 'said once a run');
  await click('#approve');
  await finishAfterApprove();
  await until('the notification withdrawn', () => notifications().some((n) => n.closed === note.id));
  await click('#close');
});

step('a second launch with a nextauth: link hands it to the running app, which asks to log in', async () => {
  const link = await loginLink('browser-4');
  await closeToTray(); // the running app waits in the tray
  let secondLog = '';
  const second = spawn(APP, [link], { env: appEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(second);
  second.stderr.on('data', (d) => (secondLog += d));
  const exitCode = await until('the second launch to exit', () => second.exitCode !== null && { code: second.exitCode }, 30000);
  assert.equal(exitCode.code, 0, `the second launch hands over and exits: ${secondLog.slice(-500)}`);
  await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  await until('the window shown', () => x11Window('state') === 'mapped');
  await approveLogin('browser-4');
});

step('settings: "Open nextauth: links" makes the app the desktop\'s handler; a link opened by the desktop reaches the prompt', async () => {
  const handler = () => {
    try {
      return execFileSync('xdg-mime', ['query', 'default', 'x-scheme-handler/nextauth'], { env: appEnv, encoding: 'utf8' }).trim();
    } catch {
      return ''; // xdg-mime exits with 4 when no handler is set
    }
  };
  assert.notEqual(handler(), 'nextauth-app-handler.desktop', 'not the handler at first');
  await click('a[href="#/settings"]');
  await waitFor('#open-links');
  await browser.execute(() => document.getElementById('open-links').click());
  await until('the handler registered', () => handler() === 'nextauth-app-handler.desktop');
  const dataHome = process.env.XDG_DATA_HOME || path.join(home, '.local', 'share');
  const entry = fs.readFileSync(path.join(dataHome, 'applications', 'nextauth-app-handler.desktop'), 'utf8');
  assert.match(entry, /MimeType=.*x-scheme-handler\/nextauth/);
  assert.ok(entry.includes(`Exec="${APP}" %u`), entry);
  await until('the switch on and ready', () =>
    browser.execute(() => {
      const s = document.getElementById('open-links');
      return s.checked && !s.disabled;
    }),
  );
  // What a browser does with a nextauth: link on a GNOME desktop (xdg-open hands it to gio
  // there; xdg-open's own fallback cannot run an Exec line with a quoted path).
  const opener = spawn('gio', ['open', await loginLink('browser-5')], { env: appEnv, stdio: 'ignore' });
  children.push(opener);
  await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  await approveLogin('browser-5');
  await waitFor('#open-links');
  await browser.execute(() => document.getElementById('open-links').click());
  await until('the handler removed', () => handler() !== 'nextauth-app-handler.desktop');
  await click('a[href="#/accounts"]');
});

step('a message the website sends arrives live and shows on the Messages screen', async () => {
  const accounts = await (await api(`/servers/${demo.serverid}/accounts/`)).json();
  const id = accounts.accounts[0].id;
  const r = await api(`/servers/${demo.serverid}/accounts/${id}/messages`, null, {
    method: 'POST',
    body: { title: 'Your order has shipped', text: 'Order 4711 left our warehouse today.' },
  });
  assert.equal(r.status, 200, `send message: ${r.status} ${await r.text()}`);
  await click('a[href="#/messages"]');
  await until('the message on screen', async () => (await text('main')).includes('Your order has shipped'));
  assert.match(await text('main'), /Order 4711 left our warehouse today\./);
  await browser.saveScreenshot(path.join(shots, 'app-e2e-messages.png'));
  const stored = () => browser.execute(() => window.__TAURI__.core.invoke('message_list'));
  await until('marked read', async () => (await stored()).every((m) => m.read));
  await click('.message .icon-button');
  await until('the message deleted', async () => (await stored()).length === 0);
  await until('the empty state', async () => (await text('main')).includes('No messages yet'));
  await click('a[href="#/accounts"]');
});

step('approve a transaction from its QR image', async () => {
  const r = await api(`/servers/${demo.serverid}/sessions/transactions`, 'browser-1', {
    method: 'POST',
    body: { amount: '42.00 EUR', beneficiary: 'Contoso Ltd', description: 'Order 1001' },
  });
  assert.equal(r.status, 200, `create transaction: ${r.status}`);
  const { tid, qrdata } = await r.json();
  const file = path.join(tmp, 'transaction.png');
  await QRCode.toFile(file, [{ data: Buffer.from(qrdata, 'base64'), mode: 'byte' }], { margin: 4, scale: 6 });
  await click('#add-account');
  await openImage(file);
  await waitFor('#prompt[data-interaction="CONFIRM_TRANSACTION"]');
  const shown = await text('#prompt');
  for (const s of ['42.00 EUR', 'Contoso Ltd', 'Order 1001']) assert.ok(shown.includes(s), `prompt shows ${s}`);
  await browser.saveScreenshot(path.join(shots, 'app-e2e-transaction.png'));
  await click('#approve');
  await finishAfterApprove();
  assert.equal(await text('#prompt-title'), 'Transaction approved');
  await click('#close');
  const result = await (await api(`/servers/${demo.serverid}/transactions/${encodeURIComponent(tid)}`)).json();
  assert.equal(result.tstatus, '1', 'the website sees the approval');
});

step('a continuous login is listed under "Logged in now" and logged out from the app', async () => {
  const serverPath = `/servers/${demo.serverid}/`;
  const current = await (await api(serverPath)).json();
  const put = (body) => api(serverPath, null, { method: 'PUT', body });
  assert.equal((await put({ ...current, pingTime: 5 })).status, 200, 'continuous sessions on');
  try {
    const { file } = await qrImage(`/servers/${demo.serverid}/sessions/qr/login`, 'browser-3', path.join(tmp, 'login-3.png'));
    await click('#add-account');
    await openImage(file);
    await waitFor('#prompt[data-interaction="CONFIRM"]');
    await click('#approve');
    await finishAfterApprove();
    await click('#close');
    await click('a[href="#/accounts"]');
    await until('the session listed', async () => (await text('main')).includes('Logged in now'));
    await browser.saveScreenshot(path.join(shots, 'app-e2e-sessions.png'));
    const session = async () => (await api(`/servers/${demo.serverid}/sessions/`, 'browser-3')).json();
    assert.equal((await session()).loggedin, true, 'the website sees the login');
    await click('.session-row button');
    await until('the website logged out', async () => (await session()).loggedin === false);
    await until('the list emptied', async () => !(await text('main')).includes('Logged in now'));
  } finally {
    await put(current);
  }
});

step('the history shows the login and the new account', async () => {
  await click('a[href="#/history"]');
  await until('two entries', async () => (await $$('.history-entry')).length >= 2);
  const statuses = await browser.execute(() => [...document.querySelectorAll('.history-entry')].map((e) => e.dataset.status));
  assert.ok(statuses.includes('ENROLLED'), `statuses: ${statuses}`);
  assert.ok(statuses.some((s) => s === 'LOGGED_IN_ONE_SHOT' || s === 'LOGGED_IN'), `statuses: ${statuses}`);
  await browser.saveScreenshot(path.join(shots, 'app-e2e-history.png'));
});

step('camera: a clear message when there is none', async () => {
  await click('#add-account');
  await click('#scan-camera');
  await until('the no-camera message', async () => (await text('.add-card .form-status')).startsWith('No camera is available'));
});

step('settings: the theme is saved, the PIN is changed with the server', async () => {
  await click('a[href="#/settings"]');
  await waitFor('#theme-dark');
  await browser.execute(() => document.getElementById('theme-dark').click());
  await until('the dark theme', () => browser.execute(() => document.documentElement.dataset.theme === 'dark'));
  await (await waitFor('#pin-current')).setValue(PIN);
  await (await waitFor('#pin-new')).setValue(NEW_PIN);
  await (await waitFor('#pin-again')).setValue(NEW_PIN);
  await click('#pin-change');
  await until('the PIN change', async () => (await text('.pin-change .form-status')) === 'Your PIN was changed.');
  await browser.saveScreenshot(path.join(shots, 'app-e2e-settings-dark.png'));
  const saved = JSON.parse(fs.readFileSync(path.join(appData, 'settings.json'), 'utf8'));
  assert.equal(saved.theme, 'dark');
  // scripts/test-app.sh runs the app with a Secret Service (GNOME Keyring on a private bus).
  if (process.env.NEXTAUTH_EXPECT_KEYCHAIN) {
    assert.equal(await text('#about-keystore'), 'OS keychain');
    assert.ok(!fs.existsSync(path.join(appData, 'keystore.key')), 'no key file next to the data');
  }
});

step('settings: start on login writes and removes the XDG autostart entry', async () => {
  await waitFor('#start-on-login');
  assert.ok(!fs.existsSync(autostartFile), 'no entry at first');
  await browser.execute(() => document.getElementById('start-on-login').click());
  await until('the autostart entry', () => fs.existsSync(autostartFile));
  assert.match(fs.readFileSync(autostartFile, 'utf8'), new RegExp(`Exec=.*${path.basename(APP)}.* --hidden`), 'starts in the tray');
  await until('startOnLogin saved', () => JSON.parse(fs.readFileSync(path.join(appData, 'settings.json'), 'utf8')).startOnLogin === true);
  // The switch is disabled until the save returns to the UI (the file is written just before).
  await until('the switch on and ready', () =>
    browser.execute(() => {
      const s = document.getElementById('start-on-login');
      return s.checked && !s.disabled;
    }),
  );
  await browser.execute(() => document.getElementById('start-on-login').click());
  await until('the entry removed', () => !fs.existsSync(autostartFile));
  assert.equal(await browser.execute(() => document.getElementById('start-on-login').checked), false);
});

step('delete the account: confirmed, the server is told, back to the welcome screen', async () => {
  await click('a[href="#/accounts"]');
  await click('.account-row');
  await click('#delete-account');
  await click('#confirm-delete');
  await until('the welcome screen', async () => (await text('h1')) === 'Welcome to nextAuth');
  await until('the confirmation', async () => (await text('#toasts')).includes('alice was deleted.'));
  const statuses = await browser.execute(async () => {
    const page = await window.__TAURI__.core.invoke('history_list', { filter: { limit: 50 } });
    return page.entries.map((e) => e.status);
  });
  assert.ok(statuses.includes('DELETED'), `statuses: ${statuses}`);
});

step('the PINs never reach the log', async () => {
  assert.ok(!appLog.includes(PIN) && !appLog.includes(NEW_PIN), 'a PIN appears in the app log');
  assert.match(appLog, /ui ready/);
  assert.match(appLog, /notification clicked/, 'the click reached the app through ActionInvoked');
});

const $$ = (sel) => browser.$$(sel);
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
    let skipped = null;
    await fn((why) => (skipped = why));
    passed++;
    console.log(`ok ${passed + failed} - ${name} (${Date.now() - s0} ms)${skipped ? ` # SKIP ${skipped}` : ''}`);
  } catch (err) {
    failed++;
    broken = true;
    console.log(`not ok ${passed + failed} - ${name}\n  ${String(err?.stack ?? err).split('\n').slice(0, 8).join('\n  ')}`);
    await browser.saveScreenshot(path.join(tmp, 'failure.png')).catch(() => {});
    console.log(`# failure screenshot: ${path.join(tmp, 'failure.png')}`);
  }
}
console.log(`# WebDriver session (app start) took ${sessionMs} ms`);
await browser.deleteSession().catch(() => {});
cleanup();
if (!failed) fs.rmSync(tmp, { recursive: true, force: true });
else console.log(`# app log:\n${appLog.split('\n').slice(-30).join('\n')}`);
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
