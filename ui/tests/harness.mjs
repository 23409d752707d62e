// What the UI test suites share: the built UI (ui/dist) served on a local port, Debian's
// headless Chromium driven with playwright-core, pages with Tauri's IPC mocked at the edge
// (tests/mock-tauri.js stands in for window.__TAURI__), and a runner that prints one line per
// test and closes with "<suite>: N passed, N failed".
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { fixtures, now as fixtureNow } from './fixtures.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../dist');
const mockSource = fs.readFileSync(path.join(here, 'mock-tauri.js'), 'utf8');
// The IPC contract generated from src-tauri/src/contract.rs: the mock answers exactly its
// commands, checks their argument names and uses its event names and error codes.
const contract = fs.readFileSync(path.resolve(here, '../src/bindings/contract.json'), 'utf8');
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

export const DESKTOP = { width: 960, height: 720 };
export const PHONE = { width: 360, height: 740 };
const pageErrors = [];

/**
 * A fresh page on the built UI with the mock and `fx` fixtures; waits until it is ready.
 * `colorScheme` and `forcedColors` are what the "OS" reports; `clock: 'fake'` installs fake
 * timers (tests move time with page.clock) instead of only fixing the time.
 */
export async function open(
  fx = fixtures(),
  { viewport = DESKTOP, hash = '', colorScheme = 'light', forcedColors = 'none', clock = 'fixed' } = {},
) {
  const context = await browser.newContext({ viewport, colorScheme, forcedColors, reducedMotion: 'reduce', deviceScaleFactor: 1 });
  // The page's clock stands at the fixtures' moment, so "5 minutes ago" does not drift on a slow run.
  if (clock === 'fake') await context.clock.install({ time: fixtureNow * 1000 });
  else await context.clock.setFixedTime(fixtureNow * 1000);
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  await page.addInitScript(`window.__CONTRACT__ = ${contract};\nwindow.__MOCK_FIXTURES__ = ${JSON.stringify(fx)};\n${mockSource}`);
  await page.goto(base + hash);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

/** Emits a FLOW_UPDATE through the mock and waits for the prompt to show it. */
export async function show(page, f) {
  // After the updates a start already scheduled: under load a late one would undo this one.
  await page.waitForFunction(() => !window.__mock.pending);
  await page.evaluate((f) => window.__mock.show(f), f);
  await page.waitForSelector(`#prompt[data-state="${f.state}"]`);
}

/** The answers the UI sent (flow_respond), in order. */
export const answers = (page) => page.evaluate(() => window.__mock.answers());

/** Asserts the page does not scroll sideways. */
export async function noOverflow(page) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `horizontal overflow: ${scroll} > ${width}`);
}

const tests = [];
export const test = (name, fn) => tests.push([name, fn]);

/** Runs the registered tests in order, then exits (non-zero if one failed). ONLY=<regex> runs
 *  only the tests whose names match (while working on some). */
export async function run(suite) {
  let passed = 0;
  let failed = 0;
  const only = process.env.ONLY ? new RegExp(process.env.ONLY) : null;
  for (const [name, fn] of tests) {
    if (only && !only.test(name)) continue;
    const errorsBefore = pageErrors.length;
    const t0 = Date.now();
    try {
      await fn();
      assert.deepEqual(pageErrors.slice(errorsBefore), [], 'no uncaught errors in the page');
      passed++;
      console.log(`ok ${passed + failed} - ${name} (${Date.now() - t0} ms)`);
    } catch (err) {
      failed++;
      console.log(`not ok ${passed + failed} - ${name}\n  ${String(err?.stack ?? err).split('\n').slice(0, 40).join('\n  ')}`);
    }
  }
  await browser.close();
  server.close();
  console.log(`${suite}: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
