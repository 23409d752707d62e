// What the suites that drive the real app share (e2e.test.mjs, journey.test.mjs): scratch
// directories, child processes killed on exit, waiting on a condition, the reference server on
// a port it picks itself, tauri-driver, and the WebDriver session with its element helpers.
// (harness.mjs is the other harness: the built UI in Chromium with Tauri's IPC mocked.)
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { remote } from 'webdriverio';

const children = [];
const killChildren = () => {
  for (const c of children) if (c.exitCode === null) c.kill();
};
process.on('exit', killChildren);

/** Spawns a process that is killed when the test exits. */
export function spawnChild(command, args, options) {
  const child = spawn(command, args, options);
  children.push(child);
  return child;
}

/** Kills every child now (before an early exit). */
export const cleanup = killChildren;

/** A fresh scratch directory. */
export const scratchDir = (prefix) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** Where screenshots go: docs/screenshots only when asked (scripts/screenshots.sh sets
 *  SCREENSHOTS_DIR); a test run writes them to a scratch directory and leaves the docs alone. */
export const shotsDir = () =>
  process.env.SCREENSHOTS_DIR ? path.resolve(process.env.SCREENSHOTS_DIR) : scratchDir('nextauth-shots-');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` every 100 ms until it returns something truthy (errors count as "not yet"). */
export async function until(what, fn, timeout = 20000) {
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

/** A port free right now (for tools that cannot pick their own, like tauri-driver). */
export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts the reference server (`server`: its binary) on a port it picks itself, so no other
 *  test can take the port between a probe and the start; resolves with the process and its
 *  base URL once it answers /healthz. */
export async function startServer(server, dataDir, extraArgs = []) {
  fs.mkdirSync(dataDir, { recursive: true });
  const proc = spawnChild(server, ['--listen', '127.0.0.1:0', '--data-dir', dataDir, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  const base = await new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: proc.stdout });
    lines.on('line', (line) => {
      const at = line.indexOf('listening on http://');
      if (at >= 0) resolve(line.slice(at + 'listening on '.length).trim());
    });
    proc.once('exit', (code) => reject(new Error(`the server exited with ${code} before listening`)));
  });
  await until('the server', async () => (await fetch(`${base}/healthz`)).ok);
  return { proc, base };
}

/** Starts tauri-driver with the app's environment; resolves once it accepts connections. The
 *  returned `log()` is what the app (through the driver) wrote to stderr so far. */
export async function startDriver(env) {
  const port = await freePort();
  const driver = spawnChild('tauri-driver', ['--port', String(port), '--native-port', String(await freePort())], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
  });
  let log = '';
  driver.stderr.on('data', (d) => (log += d));
  await until('tauri-driver', () => new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  }));
  return { port, log: () => log };
}

/** A WebDriver session on the app (`app`: its binary) through the driver. */
export const appSession = (driver, app) =>
  remote({
    hostname: '127.0.0.1',
    port: driver.port,
    logLevel: 'error',
    capabilities: { 'wdio:enforceWebDriverClassic': true, 'tauri:options': { application: app } },
  });

/** What a failed step prints right under its "not ok" line (where a CI log cut short still
 *  shows it): whether the app and its web process still run, the app's panics and errors, and
 *  its last lines. A WebDriver "invalid session id" means one of them went away. */
export function failureDiagnostics(driver, app) {
  const running = (pattern) => {
    try {
      return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').length;
    } catch {
      return 0; // pgrep exits with 1 when nothing matches
    }
  };
  const lines = driver.log().split('\n');
  const errors = lines.filter((l) => /panicked|ERROR|CRITICAL|Segmentation|Aborted|crash/i.test(l)).slice(-10);
  return [
    `# processes: app ${running(`^${app}`)}, WebKitWebProcess ${running('WebKitWebProcess')}, WebKitWebDriver ${running('WebKitWebDriver')}`,
    `# app log, errors (${errors.length}):`,
    ...errors.map((l) => `#   ${l}`),
    '# app log, last lines:',
    ...lines.slice(-8).map((l) => `#   ${l}`),
  ].join('\n');
}

/** When the app did not come up: says why as far as its log knows, counts it as the suite's
 *  one failure, and exits. */
export async function appDidNotStart(suite, driver, err, { elapsedMs, beforeExit } = {}) {
  const after = elapsedMs === undefined ? '' : ` (after ${elapsedMs} ms)`;
  console.log(`not ok 1 - the app starts under tauri-driver${after}\n  ${String(err?.message ?? err).split('\n')[0]}`);
  console.log(`# app log:\n${driver.log().split('\n').slice(-30).join('\n')}`);
  console.log(`${suite}: 0 passed, 1 failed`);
  await beforeExit?.();
  cleanup();
  process.exit(1);
}

/** Element helpers on a WebDriver session: `$`, `waitFor` (until it exists), `text` (trimmed
 *  textContent), `click`, and the PIN pad's `typePin` and `chooseNewPin`. */
export function elementHelpers(session) {
  const $ = (sel) => session.$(sel);
  const waitFor = async (sel, timeout = 20000) => {
    const el = await $(sel);
    await el.waitForExist({ timeout, timeoutMsg: `${sel} did not appear` });
    return el;
  };
  const text = async (sel) => {
    await waitFor(sel);
    return session.execute((s) => document.querySelector(s)?.textContent?.trim() ?? '', sel);
  };
  const click = async (sel) => (await waitFor(sel)).click();
  /** Types `pin` into the PIN pad and presses OK. */
  const typePin = async (pin) => {
    await (await waitFor('#pin-input')).setValue(pin);
    await click('#pin-ok');
  };
  /** A new account's PIN: asked, typed, repeated, and the enrolment done. */
  const chooseNewPin = async (pin) => {
    await waitFor('#prompt[data-interaction="SET_SECOND_FACTOR"]');
    await typePin(pin);
    await until('the repeat step', async () => (await text('#prompt-title')) === 'Repeat your PIN');
    await typePin(pin);
    await waitFor('#prompt[data-state="DONE"]');
  };
  return { $, waitFor, text, click, typePin, chooseNewPin };
}

/** Asserts the binaries and display the real-app suites need. */
export function requireAppEnvironment({ APP, SERVER }) {
  assert.ok(APP && fs.existsSync(APP), 'APP must point at the debug nextauth-app binary');
  assert.ok(SERVER && fs.existsSync(SERVER), 'SERVER must point at the nextauth-server binary');
  assert.ok(process.env.DISPLAY, 'DISPLAY must be set (Xvfb)');
  assert.ok(process.env.DBUS_SESSION_BUS_ADDRESS, 'run under a session bus (scripts/with-keyring.sh)');
}
