// End-to-end test of the real app binary (WebKitGTK under Xvfb, driven through tauri-driver
// and WebKitWebDriver) against the real reference server process:
//   enrol from the demo site's QR (fed as an image), set the PIN, log in with a login QR image,
//   see both in the history; axe-core's WCAG 2.1 A/AA rules on the main screens and a prompt,
//   in WebKitGTK (the UI tests run them in Chromium).
//
// Needs: DISPLAY (Xvfb), tauri-driver and WebKitWebDriver on PATH, and the debug binaries:
//   APP=<target>/debug/nextauth-app SERVER=<target>/debug/nextauth-server node tests/e2e.test.mjs
// scripts/test-app.sh sets all of this up. Prints one line per step and "N passed, N failed".
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import QRCode from 'qrcode';
import WebSocket from 'ws';
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
  spawnChild,
  startDriver,
  startServer,
  until,
} from './app-harness.mjs';
import { axeInPage, axeSource, MIN_RULES_APPLIED, WCAG_TAGS, wcagFailures } from './axe.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const shots = shotsDir();
const { APP, SERVER } = process.env;
const PIN = '2468';
const NEW_PIN = '135790';
requireAppEnvironment({ APP, SERVER });

const tmp = scratchDir('nextauth-app-e2e-');

// A desktop notification server on the test's session bus (scripts/with-keyring.sh starts a
// private one): it records what the app shows and clicks a notification when the test says.
const notificationLog = path.join(tmp, 'notifications.jsonl');
const notifier = spawnChild('/usr/bin/python3', [path.join(here, 'fake-notifications.py'), notificationLog], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise((resolve, reject) => {
  notifier.stdout.once('data', resolve);
  notifier.once('exit', (code) => reject(new Error(`fake-notifications.py exited with ${code}`)));
});
const notifications = () =>
  fs.existsSync(notificationLog)
    ? fs.readFileSync(notificationLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    : [];

// The reference server with a fresh data directory.
const serverData = path.join(tmp, 'server');
// Loopback is a trusted proxy, so a browser socket may say (X-Forwarded-For) that it is on
// another network than the app: the relay scenario of docs/security.md.
const { base } = await startServer(SERVER, serverData, ['--trusted-proxies', '127.0.0.1']);
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
const appData = path.join(tmp, 'app');
// A private home: "start on login" writes ~/.config/autostart/nextAuth.desktop there.
const home = path.join(tmp, 'home');
fs.mkdirSync(home, { recursive: true });
const autostartFile = path.join(home, '.config', 'autostart', 'nextAuth.desktop');
// The camera: a recorded one (no camera here), empty until a step films a code into it.
const cameraDir = path.join(tmp, 'camera');
fs.mkdirSync(cameraDir, { recursive: true });
const appEnv = { ...process.env, HOME: home, NEXTAUTH_APP_DATA: appData, NEXTAUTH_CAMERA_SOURCE: cameraDir, RUST_LOG: 'info' };
const driver = await startDriver(appEnv);

const t0 = Date.now();
let browser;
try {
  browser = await appSession(driver, APP);
} catch (err) {
  await appDidNotStart('e2e', driver, err, { elapsedMs: Date.now() - t0 });
}
const sessionMs = Date.now() - t0;

const { $, waitFor, text, click, typePin, chooseNewPin } = elementHelpers(browser);

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

const enterPin = () => typePin(PIN);

/** After Approve: enters the PIN where it is asked (first by the app when the settings want
 *  it before approving, then by the server), then waits for the result. */
async function finishAfterApprove() {
  for (;;) {
    const state = await until('done or PIN', async () => {
      const el = await $('#prompt');
      if (!(await el.isExisting())) return null;
      const s = await el.getAttribute('data-state');
      const i = await el.getAttribute('data-interaction');
      if (s === 'DONE') return s;
      const ready = await browser.execute(() => !!document.querySelector('#pin-input') && !document.querySelector('#pin-ok:disabled'));
      return (s === 'WAITING_FOR_INPUT' || i === 'APPROVE_WITH_PIN') && ready ? 'PIN' : null;
    });
    if (state === 'DONE') return;
    await enterPin();
    await until('the PIN sent', async () => !(await browser.execute(() => document.getElementById('pin-input')?.value)), 5000);
    await sleep(300);
  }
}

/** The Scan page (every way to scan), from wherever the app is. */
async function openScan() {
  await browser.execute(() => {
    location.hash = '#/scan';
  });
  await waitFor('#link-input');
}

/** Films a made-up scene into the recorded camera (nextauth-camera-sequence, built beside the
 *  server): a desk, then the code of `payloadBase64` sliding in; `flags` as the tool takes them. */
function film(payloadBase64, ...flags) {
  for (const f of fs.readdirSync(cameraDir)) fs.rmSync(path.join(cameraDir, f));
  execFileSync(path.join(path.dirname(SERVER), 'nextauth-camera-sequence'), [cameraDir, 'nv12', payloadBase64, ...flags]);
}

/** Waits until the scan view shows what the camera sees (1280x720 frames: 320x180). */
const cameraLooking = () =>
  until('the camera preview', () => browser.execute(() => document.getElementById('camera-preview')?.height === 180), 10000);

/** Waits until the camera scan has stopped, with no error shown (a stopped scan is none). */
async function cameraStopped() {
  await until('the camera stopped', () => browser.execute(() => !document.getElementById('camera-preview')), 5000);
  assert.equal(await browser.execute(() => document.querySelector('.scan-card .form-status')?.textContent ?? ''), '', 'a stopped scan is no error');
}

/** The app window's X11 state, or a close request as its close button sends (x11-window.py). */
const x11Window = (command) =>
  execFileSync('/usr/bin/python3', [path.join(here, 'x11-window.py'), command, 'nextAuth'], { encoding: 'utf8' }).trim();

/** Closes the window as its close button does and waits until it is hidden (the app stays in the tray). */
async function closeToTray() {
  x11Window('close');
  await until('the window hidden', () => x11Window('state') === 'unmapped');
}

/** Has the website send a push login to the account last logged into the `nonce` session;
 *  resolves with the number the website shows beside it (number matching: the server's default
 *  policy asks for one on every push login). */
async function provokeLogin(nonce) {
  // A push login is for a session that is not logged in (the website logged it out, and
  // offers "log in again with the app"): the server refuses one into a logged-in session.
  const out = await api(`/servers/${demo.serverid}/sessions/logout`, nonce, { method: 'POST' });
  assert.equal(out.status, 200, `logout: ${out.status}`);
  const r = await api(`/servers/${demo.serverid}/sessions/provokelogin`, nonce, { method: 'POST' });
  const body = await r.text();
  assert.equal(r.status, 200, `provokelogin: ${r.status} ${body}`);
  const { matchnumber } = JSON.parse(body || '{}');
  assert.match(matchnumber ?? '', /^[0-9]+$/, `a push login asks for a number: ${body}`);
  return matchnumber;
}

/** Gives the open prompt the number the website shows, as the person would: Approve stays
 *  disabled until it is typed (numberInput=type, the default) or chosen. */
async function giveNumber(number) {
  await until('the number asked', () =>
    browser.execute(() => !!document.querySelector('#number-input, #prompt input[name=number]')),
  );
  assert.equal(await browser.execute(() => document.querySelector('#approve')?.disabled), true, 'no approval without the number');
  if (await browser.execute(() => !!document.querySelector('#number-input'))) {
    await (await $('#number-input')).setValue(number);
    const fits = await browser.execute(() => {
      const el = document.getElementById('number-input');
      return el.scrollWidth <= el.clientWidth;
    });
    assert.ok(fits, 'every digit typed is in view in WebKitGTK');
  } else {
    await click(`#prompt input[name=number][value="${number}"]`);
  }
  await until('Approve enabled by the number', () => browser.execute(() => document.querySelector('#approve')?.disabled === false), 5000);
}

/** A website session that waits for a login and remembers the account, as the demo site
 *  leaves it after a logout, so that a push login can succeed there (a logged-in session
 *  refuses the app's hello: docs/security.md). The demo site's own cookie, logged in with its
 *  login code (an image fed to the app) and logged out; returns the new session's nonce. */
async function pushableSession(name) {
  const cookieOf = (r) => (r.headers.get('set-cookie') ?? '').split(';')[0];
  const nonceOf = (cookie) => cookie.split('=')[1].split('.')[0];
  const visit = cookieOf(await fetch(`${base}/login`, { redirect: 'manual' }));
  assert.match(visit, /^acme_sid=/, 'the demo site sets its cookie');
  const { file } = await qrImage(`/servers/${demo.serverid}/sessions/qr/login`, nonceOf(visit), path.join(tmp, `${name}.png`));
  await openScan();
  await openImage(file);
  await waitFor('#prompt[data-interaction="CONFIRM"]');
  await approveLogin(nonceOf(visit));
  // The first page after the login moves it to a new cookie, which then logs out.
  const moved = cookieOf(await fetch(`${base}/account`, { headers: { cookie: visit }, redirect: 'manual' })) || visit;
  const next = cookieOf(await fetch(`${base}/logout`, { method: 'POST', headers: { cookie: moved }, redirect: 'manual' }));
  assert.match(next, /^acme_sid=/, 'a new session after the logout');
  return nonceOf(next);
}

/** The website's login code for the `nonce` session as an app-to-app link, as an "open in app"
 *  button would carry it. */
async function loginLink(nonce) {
  const site = await (await api(`/servers/${demo.serverid}/sessions/`, nonce)).json();
  return `nextauth:${Buffer.from(site.loginqrdata, 'base64').toString('base64url')}`;
}

/** The website's login code for the `nonce` session with the integrator's `UserContext` (announce
 *  info, session info): `GET …/sessions/qr/login` with a JSON body, as the REST API takes it
 *  (fetch cannot send a body with GET); resolves with the code's raw bytes. */
function loginCodeWith(nonce, context) {
  const body = Buffer.from(JSON.stringify(context));
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}/servers/${demo.serverid}/sessions/qr/login`,
      { method: 'GET', headers: { 'X-apikey': demo.apikey, 'X-nonce': nonce, 'Content-Type': 'application/json', 'Content-Length': body.length } },
      (res) => {
        const parts = [];
        res.on('data', (d) => parts.push(d));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(parts)) : reject(new Error(`qr/login: ${res.statusCode} ${Buffer.concat(parts)}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Launches the app binary a second time with `args` (the running app takes them over D-Bus);
 *  waits until it exits, and asserts it exited with 0. */
async function secondLaunch(args) {
  let log = '';
  const second = spawnChild(APP, args, { env: appEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  second.stderr.on('data', (d) => (log += d));
  const exitCode = await until('the second launch to exit', () => second.exitCode !== null && { code: second.exitCode }, 30000);
  assert.equal(exitCode.code, 0, `the second launch hands over and exits: ${log.slice(-500)}`);
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

/** axe-core's WCAG 2.1 A/AA violations in the app's web view on what it shows now, as lines
 *  (empty when there are none); `where` names the screen in them. */
async function axeFailures(where) {
  if (!(await browser.execute(() => 'axe' in window))) await browser.execute(axeSource);
  const { rulesApplied, violations } = await browser.execute(axeInPage, WCAG_TAGS);
  assert.ok(rulesApplied >= MIN_RULES_APPLIED, `axe applied only ${rulesApplied} rules to ${where}`);
  return wcagFailures(violations, where);
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
  await chooseNewPin(PIN);
  assert.equal(await text('#prompt-title'), 'Account added');
  await click('#close');
  await until('the account in the list', async () => (await text('.account-name')) === 'alice');
  const session = await (await api(`/servers/${demo.serverid}/sessions/`, 'signup-alice')).json();
  assert.equal(session.loggedin, true, 'the website sees the sign-up as logged in');
});

step('log in with a login QR image and approve', async () => {
  const { file } = await qrImage(`/servers/${demo.serverid}/sessions/qr/login`, 'browser-1', path.join(tmp, 'login.png'));
  await openScan();
  await openImage(file);
  await waitFor('#prompt[data-interaction="CONFIRM"]');
  assert.match(await text('#prompt-title'), /Log in to Acme\?/);
  assert.equal(await browser.execute(() => !!document.querySelector('#relay-warning')), false, 'an image of another screen: no relay warning');
  await browser.saveScreenshot(path.join(shots, 'app-e2e-login.png'));
  await click('#approve');
  await finishAfterApprove();
  assert.match(await text('#prompt-title'), /Logged in to Acme/);
  const session = await (await api(`/servers/${demo.serverid}/sessions/`, 'browser-1')).json();
  assert.equal(session.loggedin, true, 'the website sees the login');
  assert.equal(session.userid, 'alice');
  await click('#close');
});

/** A browser's socket on the website's `nonce` session as the server sees it through a proxy
 *  that says the browser is at `forwardedFor`; resolves with the socket and the number lines
 *  it hears (the page shows them). */
async function browserThroughProxy(nonce, forwardedFor) {
  const site = await (await api(`/servers/${demo.serverid}/sessions/`, nonce)).json();
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`, {
    headers: { 'X-Forwarded-For': forwardedFor, 'User-Agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36' },
  });
  const numbers = [];
  ws.on('message', (data) => {
    const [kind, , , value] = String(data).split(' ');
    if (kind === 'NUMBER') numbers.push(value);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(`REGISTER ${site.hsid} ${demo.serverid}`);
  return { ws, numbers };
}

step('a relayed login: the browser is on another network and the code came from this device; the prompt warns and wants the typed number', async () => {
  // The camera/image login above showed no warning (same network, and a camera sees another
  // screen); this one arrives as a link, as a phishing page's "open in app" button would.
  const nonce = 'browser-relay';
  const { ws, numbers } = await browserThroughProxy(nonce, '198.51.100.23');
  await sleep(300); // the server records the browser at its first REGISTER
  const link = await loginLink(nonce);
  await openScan();
  const field = await waitFor('#link-input');
  await field.setValue(link);
  await click('#link-go');
  await waitFor('#prompt[data-interaction="CONFIRM"]');
  const warning = await text('#relay-warning');
  assert.match(warning, /trick you/, warning);
  assert.equal(await browser.execute(() => document.querySelector('#relay-warning')?.getAttribute('role')), 'alert');
  assert.equal(await text('#seen-ip'), '198.51.100.23');
  assert.match(await text('#seen-browser'), /Chrome/);
  assert.equal(await browser.execute(() => document.querySelector('#approve')?.disabled), true, 'no approval without the number');
  await browser.saveScreenshot(path.join(shots, 'app-e2e-relay-warning.png'));
  const number = await until('the number on the page', () => numbers.at(-1));
  const input = await waitFor('#number-input');
  await input.setValue(number);
  await approveLogin(nonce);
  ws.close();
});

step('log in again by scanning the screen (the QR shown in another X window); two codes on the screen: the person chooses', async (skip) => {
  const viewer = ['/usr/bin/display', '/usr/bin/display-im6.q16'].find((p) => fs.existsSync(p));
  if (!viewer) return skip('ImageMagick display is not installed');
  const { file } = await qrImage(`/servers/${demo.serverid}/sessions/qr/login`, 'browser-2', path.join(tmp, 'login2.png'));
  const shown = spawnChild(viewer, ['-geometry', '+790+40', '-resize', '460x460', '-title', 'website QR', file], { stdio: 'ignore' });
  await sleep(1500);
  await click('#scan-button');
  await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  await approveLogin('browser-2');
  // A second website's code beside the first: which one is meant is the person's choice.
  const second = await qrImage(`/servers/${demo.serverid}/sessions/qr/login`, 'browser-2b', path.join(tmp, 'login2b.png'));
  const other = spawnChild(viewer, ['-geometry', '+20+300', '-resize', '400x400', '-title', 'second QR', second.file], { stdio: 'ignore' });
  const first = await qrImage(`/servers/${demo.serverid}/sessions/qr/login`, 'browser-2c', path.join(tmp, 'login2c.png'));
  shown.kill();
  const again = spawnChild(viewer, ['-geometry', '+790+40', '-resize', '460x460', '-title', 'website QR', first.file], { stdio: 'ignore' });
  await sleep(1500);
  await click('#scan-button');
  await waitFor('#choose-code', 30000);
  const labels = await browser.execute(() => [...document.querySelectorAll('#choose-code li')].map((li) => li.textContent));
  assert.deepEqual(labels, ['Log in to Acme', 'Log in to Acme'], 'both codes are offered');
  await browser.saveScreenshot(path.join(shots, 'app-e2e-choose-code.png'));
  await click('#code-choice-0');
  await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  await click('#approve');
  await finishAfterApprove();
  await click('#close');
  const loggedIn = [];
  for (const nonce of ['browser-2b', 'browser-2c']) {
    if ((await (await api(`/servers/${demo.serverid}/sessions/`, nonce)).json()).loggedin) loggedIn.push(nonce);
  }
  assert.equal(loggedIn.length, 1, `exactly the chosen website is logged in: ${loggedIn}`);
  other.kill();
  again.kill();
});

step('closed to the tray, a push login arrives by live delivery, brings the window back and notifies; a click on the notification shows the window', async () => {
  const info = await browser.execute(() => window.__TAURI__.core.invoke('app_info'));
  assert.equal(info.tray, true, 'a tray icon (libayatana-appindicator3 is installed by scripts/install-deps.sh)');
  const pushTo = await pushableSession('push-1');
  assert.equal(x11Window('state'), 'mapped');
  await closeToTray();
  assert.equal(await browser.execute(() => document.body.dataset.ready), 'true', 'the app still runs');
  const told = await until('the "still running" notification', () =>
    notifications().find((n) => n.summary === 'nextAuth is still running'),
  );
  assert.match(told.body, /tray/);
  const number = await provokeLogin(pushTo);
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
  await giveNumber(number);
  await browser.saveScreenshot(path.join(shots, 'app-e2e-push-login.png'));
  await click('#approve');
  await finishAfterApprove();
  assert.match(await text('#prompt-title'), /Logged in to Acme/);
  await click('#close');
});

step('a notification is withdrawn once its prompt is answered in the app', async () => {
  const pushTo = await pushableSession('push-2');
  await closeToTray();
  const before = notifications().length;
  const number = await provokeLogin(pushTo);
  await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  const note = await until('the notification', () =>
    notifications().slice(before).find((n) => n.summary === 'Log in to Acme?'),
  );
  assert.ok(!notifications().some((n) => n.closed === note.id), 'still shown while the prompt asks');
  assert.equal(notifications().filter((n) => n.summary === 'nextAuth is still running').length, 1, 'said once a run');
  await giveNumber(number);
  await click('#approve');
  await finishAfterApprove();
  await until('the notification withdrawn', () => notifications().some((n) => n.closed === note.id));
  await click('#close');
});

step('closing the window while a login waits: its notification comes back; without notifications the window stays', async () => {
  const pushTo = await pushableSession('push-3');
  assert.equal(x11Window('state'), 'mapped');
  const before = notifications().length;
  await provokeLogin(pushTo);
  await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  x11Window('close');
  await until('the window hidden', () => x11Window('state') === 'unmapped');
  const note = await until('the notification of the waiting login', () =>
    notifications().slice(before).find((n) => n.summary === 'Log in to Acme?'),
  );
  execFileSync('dbus-send', ['--session', '--type=method_call', '--print-reply', '--dest=org.freedesktop.Notifications', '/org/freedesktop/Notifications',
    'org.nextauth.Test.Invoke', `uint32:${note.id}`, 'string:default']);
  await until('the window shown by the click', () => x11Window('state') === 'mapped');
  await click('#deny');
  await waitFor('#prompt[data-state="DONE"]');
  await click('#close');
  // Notifications off: nothing could bring a hidden request back, so the window stays.
  const settings = await browser.execute(() => window.__TAURI__.core.invoke('settings_get'));
  await browser.execute((s) => window.__TAURI__.core.invoke('settings_update', { settings: { ...s, notifications: false } }), settings);
  await provokeLogin(pushTo); // refused a moment ago: the session still waits for a login
  await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  x11Window('close');
  await sleep(1500);
  assert.equal(x11Window('state'), 'mapped', 'the window stays while the login waits');
  assert.match(driver.log(), /window kept: a request waits and cannot be notified/);
  await click('#deny');
  await waitFor('#prompt[data-state="DONE"]');
  await click('#close');
  await browser.execute((s) => window.__TAURI__.core.invoke('settings_update', { settings: s }), settings);
});

step('a second launch with a nextauth: link hands it to the running app, which asks to log in', async () => {
  const link = await loginLink('browser-4');
  await closeToTray(); // the running app waits in the tray
  let secondLog = '';
  const second = spawnChild(APP, [link], { env: appEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  second.stderr.on('data', (d) => (secondLog += d));
  const exitCode = await until('the second launch to exit', () => second.exitCode !== null && { code: second.exitCode }, 30000);
  assert.equal(exitCode.code, 0, `the second launch hands over and exits: ${secondLog.slice(-500)}`);
  await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  await until('the window shown', () => x11Window('state') === 'mapped');
  await approveLogin('browser-4');
});

step('settings: a website address added under Website links; an https link under it, given to a second launch, opens the login prompt (refused before)', async () => {
  const prefix = 'https://links.acme.test/nextauth';
  const link = (await loginLink('browser-6')).replace(/^nextauth:/, `${prefix}/`) + '?utm_source=mail';
  // Not configured yet: the link is not the app's; the running app says so, nothing starts.
  await closeToTray();
  await secondLaunch([link]);
  await until('the window shown', () => x11Window('state') === 'mapped');
  await until('the notice', async () => (await text('#toasts')).includes('This is not a nextAuth code'));
  assert.equal(await browser.execute(() => !!document.querySelector('#prompt')), false, 'no prompt for a link that is not ours');
  for (const button of await $$('#toasts .toast-dismiss')) await button.click();
  // The person adds the website's address in Settings (typed as people do: a capital, a slash).
  await click('a[href="#/settings"]');
  await (await waitFor('#link-prefix-input')).setValue('https://Links.Acme.test/nextauth/');
  await click('#link-prefix-add');
  await until('the address added', async () => (await text('#link-prefixes')).includes(prefix));
  assert.match(await text('#link-prefix-status'), /now open in this app/);
  const saved = JSON.parse(fs.readFileSync(path.join(appData, 'settings.json'), 'utf8'));
  assert.deepEqual(saved.linkPrefixes, [prefix], 'saved as the app stores it');
  await browser.execute(() => document.getElementById('link-prefixes').scrollIntoView());
  await browser.saveScreenshot(path.join(shots, 'app-e2e-settings-links.png'));
  await click('a[href="#/accounts"]');
  await closeToTray();
  await secondLaunch([link]);
  await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  await until('the window shown', () => x11Window('state') === 'mapped');
  await approveLogin('browser-6');
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
  const opener = spawnChild('gio', ['open', await loginLink('browser-5')], { env: appEnv, stdio: 'ignore' });
  await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  await approveLogin('browser-5');
  await waitFor('#open-links');
  await browser.execute(() => document.getElementById('open-links').click());
  await until('the handler removed', () => handler() !== 'nextauth-app-handler.desktop');
  await click('a[href="#/accounts"]');
});

step('"This was not me" on a push login: the server records the report, pauses push logins to the account, the history says so', async () => {
  const reports = async () => (await (await api(`/servers/${demo.serverid}/fraudreports`)).json()).reports;
  const before = (await reports()).length;
  const pushTo = await pushableSession('push-not-me');
  await provokeLogin(pushTo);
  await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  await click('#not-me');
  await waitFor('#prompt[data-interaction="CONFIRM_NOT_ME"]');
  // The screenshot once the question is drawn (WebKitGTK may still show the last frame).
  await (await waitFor('#not-me-report')).waitForDisplayed();
  assert.match(await text('.not-me-confirm h2'), /Report this login\?/);
  await sleep(300);
  await browser.saveScreenshot(path.join(shots, 'app-e2e-not-me.png'));
  await click('#not-me-report');
  await waitFor('#prompt[data-state="DONE"]');
  assert.equal(await text('#prompt-title'), 'Reported');
  assert.match(await text('#prompt-desc'), /Nobody was logged in\. Acme was told that it was not you/);
  await click('#close');
  const session = await (await api(`/servers/${demo.serverid}/sessions/`, pushTo)).json();
  assert.equal(session.loggedin, false, 'nobody was logged in');
  const after = await reports();
  assert.equal(after.length, before + 1, 'one report');
  assert.equal(after[0].kind, 'login');
  assert.equal(after[0].userid, 'alice');
  // The website's next push login to the account is refused while the pause lasts.
  const again = await api(`/servers/${demo.serverid}/sessions/provokelogin`, pushTo, { method: 'POST' });
  assert.equal(again.status, 409, `push logins paused: ${again.status} ${await again.text()}`);
  const statuses = await browser.execute(async () => {
    const page = await window.__TAURI__.core.invoke('history_list', { filter: { limit: 50 } });
    return page.entries.map((e) => e.status);
  });
  assert.ok(statuses.includes('NOT_ME'), `statuses: ${statuses}`);
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
  // The person dismisses the notices this left (they stay until dismissed).
  for (const button of await $$('#toasts .toast-dismiss')) await button.click();
  await until('no notices', async () => (await $$('#toasts .toast-dismiss')).length === 0, 5000);
  await click('a[href="#/accounts"]');
});

step('approve a transaction from its QR image', async () => {
  const r = await api(`/servers/${demo.serverid}/sessions/transactions`, 'browser-1', {
    method: 'POST',
    body: { amount: '42.00 EUR', beneficiary: 'Contoso Ltd', description: 'Order 1001' },
  });
  assert.equal(r.status, 200, `create transaction: ${r.status}`);
  const { tid, qrdata, matchnumber } = await r.json();
  assert.match(matchnumber ?? '', /^[0-9]+$/, 'a transaction asks for a number (numberMatching=push)');
  const file = path.join(tmp, 'transaction.png');
  await QRCode.toFile(file, [{ data: Buffer.from(qrdata, 'base64'), mode: 'byte' }], { margin: 4, scale: 6 });
  await openScan();
  await openImage(file);
  await waitFor('#prompt[data-interaction="CONFIRM_TRANSACTION"]');
  const shown = await text('#prompt');
  for (const s of ['42.00 EUR', 'Contoso Ltd', 'Order 1001']) assert.ok(shown.includes(s), `prompt shows ${s}`);
  await giveNumber(matchnumber);
  await browser.saveScreenshot(path.join(shots, 'app-e2e-transaction.png'));
  assert.deepEqual(await axeFailures('transaction prompt'), [], 'axe: WCAG A/AA violations in the prompt');
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
    await openScan();
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

step('announce info: the website\'s logo and keyed strings show in the prompt; the note the person types reaches the website (REST userinput)', async () => {
  const logo = (await QRCode.toBuffer('acme logo', { scale: 2, margin: 1 })).toString('base64');
  const context = {
    announceinfo: { info: { Order: '4711', Shop: 'Acme Books' }, logo },
    sessioninfo: { ip: '198.51.100.23', useragent: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' },
  };
  const code = await loginCodeWith('browser-announce', context);
  const file = path.join(tmp, 'announce.png');
  await QRCode.toFile(file, [{ data: code, mode: 'byte' }], { margin: 4, scale: 6 });
  await openScan();
  await openImage(file);
  await waitFor('#prompt[data-interaction="CONFIRM"]');
  const says = await browser.execute(() =>
    [...document.querySelectorAll('#prompt .website-says dt')].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]),
  );
  assert.deepEqual(says.slice(0, 2), [['Order', '4711'], ['Shop', 'Acme Books']], `the website's words, in key order: ${JSON.stringify(says)}`);
  const shownLogo = await browser.execute(() => document.querySelector('#prompt .prompt-head img')?.getAttribute('src') ?? '');
  assert.ok(shownLogo.endsWith(logo), 'the website\'s logo heads the prompt');
  const note = 'Leave it with the neighbour';
  await browser.execute(() => {
    document.querySelector('#prompt details.note').open = true;
  });
  await (await waitFor('#user-input')).setValue(note);
  await until('the note typed', () => browser.execute((n) => document.getElementById('user-input').value === n, note));
  await sleep(300); // WebKitGTK may still show the last frame
  await browser.saveScreenshot(path.join(shots, 'app-e2e-announce.png'));
  await approveLogin('browser-announce');
  const session = await (await api(`/servers/${demo.serverid}/sessions/`, 'browser-announce')).json();
  assert.equal(session.userinput, note, 'the website reads what the person typed');
});

step('app login (AppLogin): unlock on the account screen, a token the server vouches for, lock', async () => {
  const serverPath = `/servers/${demo.serverid}/`;
  const current = await (await api(serverPath)).json();
  const put = (body) => api(serverPath, null, { method: 'PUT', body });
  assert.equal((await put({ ...current, pingTime: 30, appLogin: true })).status, 200, 'continuous sessions and AppLogin on');
  const audience = 'https://api.acme.test';
  const check = async (token) =>
    (await api(`/servers/${demo.serverid}/apptokens/check`, null, { method: 'POST', body: { token, audience } })).json();
  try {
    await click('a[href="#/accounts"]');
    await click('.account-row');
    await waitFor('#app-login[data-state="LOCKED"]');
    await click('#app-login-unlock');
    // The login runs as a flow: the prompt shows it (and asks for the PIN when it is due).
    await finishAfterApprove();
    await click('#close');
    await waitFor('#app-login[data-state="UNLOCKED"]', 30000);
    await (await waitFor('#app-login-audience')).setValue(audience);
    await click('#app-login-get-token');
    await waitFor('#app-login-token-text');
    const token = await browser.execute(() => document.getElementById('app-login-token-text').value);
    assert.match(token, /^nat1\./);
    await browser.execute(() => document.getElementById('app-login').scrollIntoView());
    await browser.saveScreenshot(path.join(shots, 'app-e2e-app-login.png'));
    const verdict = await check(token);
    assert.equal(verdict.valid, true, `the server vouches for the token: ${JSON.stringify(verdict)}`);
    assert.equal(verdict.userid, 'alice');
    assert.equal((await check(token.slice(0, -2) + 'AA')).valid, false, 'a changed token is refused');
    await click('#app-login-lock');
    await waitFor('#app-login[data-state="LOCKED"]');
    await until('the server sees the lock', async () => (await check(token)).reason === 'loggedout');
    assert.ok(!driver.log().includes(token), 'the token never reaches the log');
  } finally {
    await put(current);
  }
  await click('a[href="#/accounts"]');
});

step('the history shows the login and the new account', async () => {
  await click('a[href="#/history"]');
  await until('two entries', async () => (await $$('.history-entry')).length >= 2);
  const statuses = await browser.execute(() => [...document.querySelectorAll('.history-entry')].map((e) => e.dataset.status));
  assert.ok(statuses.some((s) => s === 'LOGGED_IN_ONE_SHOT' || s === 'LOGGED_IN'), `statuses: ${statuses}`);
  await browser.saveScreenshot(path.join(shots, 'app-e2e-history.png'));
  // The enrolment is further back than the first page (25 entries) by now.
  const enrolled = await browser.execute(async () => {
    const page = await window.__TAURI__.core.invoke('history_list', { filter: { status: 'ENROLLED', limit: 5 } });
    return page.entries.map((e) => e.status);
  });
  assert.deepEqual(enrolled, ['ENROLLED'], 'the enrolment is in the history');
});

step('camera: a clear message when there is none', async () => {
  await openScan();
  await click('#scan-camera');
  await until('the no-camera message', async () => (await text('.scan-card .form-status')).startsWith('No camera found.'));
});

step('camera: the preview shows, the code that comes into view at frame 40 of a 30 fps recording is read, approve, the website sees the login', async () => {
  // The website's login code, filmed: a desk, then the code sliding in (blurred) and still.
  const nonce = 'camera-login';
  await qrImage(`/servers/${demo.serverid}/sessions/qr/login`, nonce, path.join(tmp, 'camera-login.png'));
  const site = await (await api(`/servers/${demo.serverid}/sessions/`, nonce)).json();
  film(site.loginqrdata, '--frames', '90');
  await openScan();
  await click('#scan-camera');
  // What the camera sees, scaled to 320 px wide (1280x720 frames: 180 high).
  await cameraLooking();
  await waitFor('#prompt[data-interaction="CONFIRM"]');
  assert.equal(await browser.execute(() => !!document.getElementById('camera-preview')), false, 'the camera view closed');
  await approveLogin(nonce);
});

step('camera: a push login that arrives while the camera looks stops the camera and shows its prompt', async () => {
  // Push logins to the account were paused by "This was not me" above: resume them, as the
  // person would on the account screen.
  await browser.execute(async () => {
    const [account] = await window.__TAURI__.core.invoke('account_list');
    await window.__TAURI__.core.invoke('account_pause_push', { accountId: account.id, minutes: 0 });
  });
  const pushTo = await pushableSession('camera-push');
  // The recorded camera films an empty desk from now on: the scan would look for 20 s.
  film(Buffer.from('no code here').toString('base64'), '--frames', '30', '--code-frame', '100000');
  await openScan();
  await click('#scan-camera');
  await cameraLooking();
  const number = await provokeLogin(pushTo);
  await waitFor('#prompt[data-interaction="CONFIRM"]', 30000);
  await cameraStopped();
  await giveNumber(number);
  await click('#approve');
  await finishAfterApprove();
  await click('#close');
});

step('camera: closing the window stops the camera at once', async () => {
  // The recorded camera still films the empty desk: a scan would look for 20 s.
  await openScan();
  await click('#scan-camera');
  await cameraLooking();
  await closeToTray();
  await secondLaunch([]);
  await until('the window shown', () => x11Window('state') === 'mapped');
  await cameraStopped();
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
    assert.equal(await text('#about-keystore'), 'the system keychain');
    assert.ok(!fs.existsSync(path.join(appData, 'keystore.key')), 'no key file next to the data');
  }
});

step('accessibility: axe-core finds no WCAG 2.1 A/AA violation on the main screens in WebKitGTK, dark and light', async () => {
  const screens = [
    ['#/accounts', 'Accounts', '.account-row'],
    ['#/history', 'History', '.history-entry'],
    ['#/messages', 'Messages', '.empty, .message'],
    ['#/settings', 'Settings', '#theme-light'],
  ];
  const failures = [];
  for (const theme of ['dark', 'light']) {
    await click('a[href="#/settings"]');
    await browser.execute((t) => document.getElementById(`theme-${t}`).click(), theme);
    await until(`the ${theme} theme`, () => browser.execute((t) => document.documentElement.dataset.scheme === t, theme));
    for (const [route, heading, content] of screens) {
      await click(`a[href="${route}"]`);
      await until(`the ${heading} screen`, () =>
        browser.execute((h, c) => document.querySelector('main h1')?.textContent === h && !!document.querySelector('main')?.querySelector(c), heading, content),
      );
      failures.push(...(await axeFailures(`${heading} (${theme})`)));
    }
  }
  assert.deepEqual(failures, [], 'axe: WCAG A/AA violations');
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

step('enrol by an https link under the configured address, from a second launch: the sign-up prompt, a new PIN, the website sees the sign-up', async () => {
  const prefix = 'https://links.acme.test/nextauth';
  const r = await api(`/servers/${demo.serverid}/sessions/qr/enrol?name=bob&userid=bob`, 'signup-bob');
  assert.equal(r.status, 200, `enrol code: ${r.status}`);
  const code = Buffer.from(await r.arrayBuffer()).toString('base64url');
  await secondLaunch([`${prefix}/${code}`]);
  await waitFor('#prompt[data-interaction="CONFIRM_ENROL"]', 30000);
  assert.match(await text('#prompt-title'), /Add an account at Acme\?/);
  await click('#approve');
  // The last account was deleted above, and its PIN with it: the person chooses one again.
  await chooseNewPin(PIN);
  await click('#close');
  await until('the account in the list', async () => (await text('.account-name')) === 'bob');
  const session = await (await api(`/servers/${demo.serverid}/sessions/`, 'signup-bob')).json();
  assert.equal(session.loggedin, true, 'the website sees the sign-up');
});

step('the PINs never reach the log', async () => {
  assert.ok(!driver.log().includes(PIN) && !driver.log().includes(NEW_PIN), 'a PIN appears in the app log');
  assert.match(driver.log(), /ui ready/);
  assert.match(driver.log(), /notification clicked/, 'the click reached the app through ActionInvoked');
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
    console.log(failureDiagnostics(driver, APP));
    await browser.saveScreenshot(path.join(tmp, 'failure.png')).catch(() => {});
    console.log(`# failure screenshot: ${path.join(tmp, 'failure.png')}`);
  }
}
console.log(`# WebDriver session (app start) took ${sessionMs} ms`);
await browser.deleteSession().catch(() => {});
cleanup();
if (!failed) fs.rmSync(tmp, { recursive: true, force: true });
else console.log(`# app log:\n${driver.log().split('\n').slice(-30).join('\n')}`);
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
