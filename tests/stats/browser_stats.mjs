// Browser test of the statistics report (issue #7): playwright-core driving Debian's chromium.
// It makes a report with the notifier's own code (YQ_STATS_REPORT_GEN = the test_stats_load
// binary, run with YQ_STATS_REPORT_DIR), or opens YQ_STATS_URL (e.g. the web UI's statistics
// page, for the web engineer's harness), and checks that the three ECharts charts rendered, that
// nothing broke the Content-Security-Policy when served under the notifier's CSP, and that the
// page prints to A4.
// Skips with exit code 77 when chromium, playwright-core or the generator are missing.
// Environment: YQ_SOURCE_DIR, YQ_CHROMIUM (default /usr/bin/chromium), YQ_STATS_REPORT_GEN,
// YQ_STATS_URL, YQ_SCREENSHOT_DIR (where stats-report.png / .pdf go; default: the temp dir).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { assert, cspViolations, harness, launch, requireChromium, skip, watchCsp,
         watchProblems } from '../web/browser_util.mjs';

const gen = process.env.YQ_STATS_REPORT_GEN;
const externalUrl = process.env.YQ_STATS_URL;
// the notifier's and web layer's policy (web/web_reply.c, notifier/http_api.c)
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
  "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const chromium = requireChromium();
if (!externalUrl && (!gen || !existsSync(gen))) {
  skip('neither YQ_STATS_URL nor YQ_STATS_REPORT_GEN is set');
}

const { check, finish } = harness();

const work = mkdtempSync(path.join(tmpdir(), 'yq-stats-browser-'));
const shots = process.env.YQ_SCREENSHOT_DIR || work;
let server = null;
let url = externalUrl;
if (!url) {
  const r = spawnSync(gen, [], { env: { ...process.env, YQ_STATS_REPORT_DIR: work }, stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(path.join(work, 'report.html'))) {
    console.log('FAIL report generation');
    process.exit(1);
  }
  // serve the report directory with the notifier's CSP, as the UI would
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
                  '.css': 'text/css; charset=utf-8' };
  server = createServer((req, res) => {
    const name = path.basename(new URL(req.url, 'http://x').pathname) || 'report.html';
    if (name === 'favicon.ico') { res.writeHead(204); res.end(); return; }
    const file = path.join(work, name);
    if (!existsSync(file)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': types[path.extname(name)] || 'application/octet-stream',
                         'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff' });
    res.end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${server.address().port}/report.html`;
}

const browser = await launch(chromium);
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors = watchProblems(page);
  await watchCsp(page);
  await page.goto(url, { waitUntil: 'load' });

  await check('the three charts render', async () => {
    for (const id of ['chart-daily', 'chart-ttr', 'chart-departments']) {
      // a hang guard only (CI runs on a loaded machine), not a rendering-time assertion
      await page.waitForSelector(`#${id}[data-rendered="1"] canvas`, { timeout: 60000 });
      const box = await page.locator(`#${id} canvas`).first().boundingBox();
      assert(box && box.width > 100 && box.height > 100, `${id} canvas is ${JSON.stringify(box)}`);
    }
  });
  await check('the charts carry the report figures', async () => {
    const series = await page.evaluate(() => {
      const get = (id) => echarts.getInstanceByDom(document.getElementById(id)).getOption();
      return { daily: get('chart-daily').series.length,
               depts: get('chart-departments').yAxis[0].data,
               ttr: get('chart-ttr').series[0].data };
    });
    assert(series.daily === 4, `daily series ${series.daily}`);
    assert(series.depts.length >= 1, 'no departments on the on-time chart');
    assert(series.ttr.length === 6, `ttr buckets ${series.ttr.length}`);
  });
  await check('the 研判 chart shows each rule group (issue #13)', async () => {
    await page.waitForSelector('#chart-judging[data-rendered="1"] canvas', { timeout: 60000 });
    const got = await page.evaluate(() => {
      const o = echarts.getInstanceByDom(document.getElementById('chart-judging')).getOption();
      return { groups: o.yAxis[0].data, noise: o.series[3].data, noiseName: o.series[3].name };
    });
    assert(JSON.stringify(got.groups) === '["疫情防控","安全生产"]', `groups ${got.groups}`);
    assert(JSON.stringify(got.noise) === '[1,1]', `noise ${got.noise}`);
    // issue #11: the reasons by the one table of tickets and events
    assert(got.noiseName === '不予处置（误报、与本地无关）', `noise series ${got.noiseName}`);
  });
  await check('identity and bulletin are shown', async () => {
    const identity = await page.textContent('#identity');
    assert(/平衡/.test(identity), identity);
    const bulletin = await page.textContent('#bulletin');
    assert(bulletin.includes('政务舆情'), bulletin);
  });
  await check('办结用时 and the 签收 counts are shown (issue #10)', async () => {
    const shown = await page.evaluate(() => {
      const data = JSON.parse(document.getElementById('stats-data').textContent);
      const carry = [...document.querySelectorAll('table.carry thead th')].map((th) => th.textContent);
      const total = [...document.querySelectorAll('table.carry tr.total td')].map((td) => td.textContent);
      const heads = [...document.querySelectorAll('section.group thead th')].map((th) => th.textContent);
      return { data: data.carry_over, ttc: data.total.ttc, carry, total, heads };
    });
    const i = shown.carry.indexOf('其中未签收即办结或不予处置');
    const j = shown.carry.indexOf('其中期末未签收');
    assert(i > 0 && j > 0, `carry-over heads: ${shown.carry.join()}`);
    // the first head is the row header (th), so cell k of the row is head k + 1
    assert(shown.total[i - 1] === String(shown.data.settled_unacknowledged), `settled: ${shown.total}`);
    assert(shown.total[j - 1] === String(shown.data.unacknowledged_at_end), `at end: ${shown.total}`);
    assert(shown.heads.includes('办结用时'), `group heads: ${shown.heads.join()}`);
    assert(shown.ttc && typeof shown.ttc.n === 'number', `ttc: ${JSON.stringify(shown.ttc)}`);
  });
  // issue #11: no cramped columns (one character per line) and nothing wider than the window
  // outside a table's scroll box, at phone width and on a wide screen
  await check('every table keeps its columns readable at 390 px and 1,400 px', async () => {
    for (const width of [390, 1400]) {
      await page.setViewportSize({ width, height: 900 });
      const bad = await page.evaluate(() => {
        const out = [];
        for (const cell of document.querySelectorAll('th, td')) {
          if (!cell.textContent.trim() || !cell.offsetParent) continue;
          const cs = getComputedStyle(cell);
          const w = cell.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
          const chars = w / parseFloat(cs.fontSize);
          if (chars < 2) out.push(`${cell.tagName} "${cell.textContent.trim().slice(0, 12)}" ${chars.toFixed(2)} characters wide`);
        }
        const doc = document.documentElement;
        if (doc.scrollWidth > doc.clientWidth + 1) out.push(`page ${doc.scrollWidth} px wide in ${doc.clientWidth} px`);
        return out;
      });
      assert(bad.length === 0, `${width} px: ${bad.join('; ')}`);
    }
    await page.setViewportSize({ width: 1200, height: 900 });
  });
  await check('no script errors and no CSP violations', async () => {
    const v = await cspViolations(page);
    assert(v.length === 0, `CSP: ${v.join('; ')}`);
    assert(errors.length === 0, `console: ${errors.join('; ')}`);
  });
  await check('prints on A4', async () => {
    await page.emulateMedia({ media: 'print' });
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
    assert(pages >= 1 && pages <= 12, `pages: ${pages}`);
    writeFileSync(path.join(shots, 'stats-report.pdf'), pdf);
    await page.emulateMedia({ media: 'screen' });
    await page.screenshot({ path: path.join(shots, 'stats-report.png'), fullPage: true });
  });
} finally {
  await browser.close();
  if (server) server.close();
  if (!process.env.YQ_SCREENSHOT_DIR) rmSync(work, { recursive: true, force: true });
}
finish();
