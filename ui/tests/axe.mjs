// axe-core, the accessibility rules engine, run inside a page: by the UI tests in Chromium
// and by the end-to-end test in the real app's WebKitGTK. The failing set is WCAG 2.0 and 2.1,
// levels A and AA; axe's best-practice rules run too and are only reported.
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** axe-core's source, to inject into a page (no network at test time). */
export const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Runs in the page, once axeSource is loaded: how many rules applied to the document (so a
 * caller can tell axe really looked), and axe's violations, each with whether it breaks a WCAG
 * A/AA rule and one line per element it was found on. Self-contained (WebdriverIO and
 * Playwright send it to the page as source).
 */
export async function axeInPage(wcagTags) {
  const result = await window.axe.run(document, {
    runOnly: { type: 'tag', values: [...wcagTags, 'best-practice'] },
    resultTypes: ['violations'],
  });
  return {
    rulesApplied: result.passes.length + result.violations.length + result.incomplete.length,
    violations: result.violations.map((v) => ({
      id: v.id,
      wcag: v.tags.some((t) => wcagTags.includes(t)),
      help: `${v.id} (${v.impact}): ${v.help}`,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${(n.failureSummary ?? '').split('\n').slice(1).join(' ').trim()}`),
    })),
  };
}

/** Fewer rules than this applying to a screen means axe did not really look at it. */
export const MIN_RULES_APPLIED = 15;

/** The WCAG A/AA violations of `violations` as readable lines (one per element), for an
 *  assertion message; `where` says which screen and colour mode. */
export function wcagFailures(violations, where) {
  return violations
    .filter((v) => v.wcag)
    .flatMap((v) => v.nodes.map((node) => `${where}: ${v.help} — ${node}`));
}

/** The best-practice rules that found something, for a report line. */
export function bestPracticeFindings(violations) {
  return violations.filter((v) => !v.wcag).map((v) => v.id);
}
