// What the browser tests share (tests/web/browser_test.mjs, tests/stats/browser_stats.mjs):
// finding chromium and playwright-core (skip with exit code 77 when either is missing), the
// check/assert harness with its summary, and the page watchers for script errors and
// Content-Security-Policy violations.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const SKIP = 77;

// The repository root: YQ_SOURCE_DIR, else two levels above this file.
export const sourceDir = process.env.YQ_SOURCE_DIR ||
  path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

// The chromium binary: YQ_CHROMIUM, default Debian's /usr/bin/chromium.
export const chromiumPath = process.env.YQ_CHROMIUM || '/usr/bin/chromium';

// Skip the test (exit 77) with a reason.
export function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(SKIP);
}

// playwright-core's chromium launcher from the repository's node_modules; skips when chromium
// or playwright-core is missing.
export function requireChromium() {
  if (!existsSync(chromiumPath)) skip(`${chromiumPath} not found (apt-get install chromium)`);
  try {
    const require = createRequire(path.join(sourceDir, 'package.json'));
    return require('playwright-core').chromium;
  } catch (e) {
    return skip('playwright-core not installed (run npm ci in the repository root)');
  }
}

// A headless chromium (no sandbox: CI containers) with extra command-line args.
export function launch(chromium, args = []) {
  return chromium.launch({ executablePath: chromiumPath, headless: true,
                           args: ['--no-sandbox', ...args] });
}

export function assert(cond, msg) { if (!cond) throw new Error(msg || 'assertion failed'); }
export function eq(a, b, msg) {
  if (a !== b) throw new Error(`${msg || 'not equal'}: ${JSON.stringify(a)} !== ${JSON.stringify(b)}`);
}

// The check harness: check(name, fn) runs one named check, prints ok/FAIL with its time and
// then runs afterEach (e.g. closing what the check opened); finish() prints the summary and
// exits 1 when a check failed, 0 otherwise. YQ_BROWSER_ONLY (a regular expression, for working
// on a page) runs only the checks whose names match it.
export function harness(afterEach = async () => {}) {
  const results = [];
  const only = process.env.YQ_BROWSER_ONLY ? new RegExp(process.env.YQ_BROWSER_ONLY) : null;
  return {
    results,
    async check(name, fn) {
      if (only && !only.test(name)) { console.log(`skip ${name}`); return; }
      const t0 = Date.now();
      try {
        await fn();
        results.push({ name, ok: true });
        console.log(`ok   ${name} (${Date.now() - t0} ms)`);
      } catch (e) {
        results.push({ name, ok: false });
        console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
      }
      await afterEach();
    },
    finish() {
      const failed = results.filter((r) => !r.ok);
      console.log(`${results.length - failed.length} passed, ${failed.length} failed` +
                  (failed.length ? `: ${failed.map((r) => r.name).join(', ')}` : ''));
      process.exit(failed.length ? 1 : 0);
    },
  };
}

// Console errors and page errors of page from now on, as an array that fills as they come.
export function watchProblems(page) {
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return problems;
}

// Record Content-Security-Policy violations of every document page loads from now on;
// cspViolations(page) reads them.
export async function watchCsp(page) {
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
}
export function cspViolations(page) {
  return page.evaluate(() => window.__csp);
}
