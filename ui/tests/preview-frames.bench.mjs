// The camera preview's cost to the UI thread (issue 13, docs/benchmarks.md "Camera"): the scan
// view open in headless Chromium while 320x180 previews arrive every 40 ms through the mocked
// IPC (the app sends at most ten a second), and the page's animation frames counted for 5 s.
// A frame that comes more than 1.5 refresh intervals after the one before is a dropped frame.
//
//   cd ui && npx vite build && node tests/preview-frames.bench.mjs
import { fixtures } from './fixtures.mjs';
import { open, run, test } from './harness.mjs';

test('preview frames', async () => {
  const fx = fixtures();
  fx.info = { ...fx.info, camera: true };
  const page = await open(fx, { hash: '#/scan' });
  // 320x180 previews, made before the measurement (the app's arrive made).
  await page.evaluate(() => {
    const frames = [];
    for (let n = 0; n < 10; n++) {
      let bytes = '';
      for (let i = 0; i < 320 * 180; i++) bytes += String.fromCharCode((i + n * 17) & 255);
      frames.push({ width: 320, height: 180, luma: btoa(bytes) });
    }
    window.__mock.previewFrame = (n) => frames[n % frames.length];
  });
  await page.getByRole('button', { name: /^Camera/ }).click();
  await page.waitForFunction(() => document.getElementById('camera-preview')?.height === 180);
  const gaps = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const out = [];
        let last = null;
        const until = performance.now() + 5000;
        const frame = (t) => {
          if (last !== null) out.push(t - last);
          last = t;
          if (t < until) requestAnimationFrame(frame);
          else resolve(out);
        };
        requestAnimationFrame(frame);
      }),
  );
  await page.locator('#camera-cancel').click();
  gaps.sort((a, b) => a - b);
  const at = (q) => gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))];
  const median = at(0.5);
  const dropped = gaps.filter((g) => g > 1.5 * median).length;
  console.log(`| ${gaps.length + 1} frames in 5 s | median ${median.toFixed(1)} ms | p99 ${at(0.99).toFixed(1)} ms | longest ${gaps[gaps.length - 1].toFixed(1)} ms | ${dropped} dropped |`);
  await page.context().close();
});

await run('preview-frames');
