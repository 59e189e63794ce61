// The rules page's backtest (回测, issue #14, docs/api.md "POST /api/rules/backtest"): a pasted
// rule file tried on the archive next to the live set; a table per rule (hits, gained, lost,
// events) with the sample items expandable, and the totals per Beijing day (`days`). Loaded after app.js. Everything the server returns
// goes into the page as text nodes only (el()), never as HTML.
'use strict';

const BACKTEST_KINDS = [['gained', '新增'], ['lost', '减少'], ['hits', '命中']];

function backtestSamples(rule) {
  const s = rule.samples || {};
  const parts = BACKTEST_KINDS.filter(([k]) => (s[k] || []).length).map(([k, label]) =>
    el('div', { class: `bt-samples bt-${k}` }, el('strong', {}, `${label}（示例）`),
      el('ul', {}, s[k].map((x) => el('li', { 'data-item': x.item_id },
        fmtTime(x.time), ' ',
        /^https?:\/\//.test(x.url || '') ? el('a', { href: x.url, target: '_blank', rel: 'noopener noreferrer' }, x.title || x.item_id)
          : el('span', {}, x.title || x.item_id),
        (x.terms || []).length ? el('span', { class: 'summary' }, `（${x.terms.join('、')}）`) : null)))));
  if (!parts.length) return null;
  return el('details', {}, el('summary', {}, '示例'), ...parts);
}

const BACKTEST_DAY_HEADS = ['日期（北京时间）', '扫描条目', '草案命中条目', '现行命中条目', '草案命中', '现行命中', '新增', '减少'];

// The totals per Beijing day (`days`: "day" is already the Beijing date, oldest first, only
// days with an item scanned), in the statistics pages' figure table.
function backtestDays(days) {
  if (!(days || []).length) return null;
  const h = BACKTEST_DAY_HEADS;
  return el('div', { class: 'scroll bt-days' }, el('h3', {}, '每日合计'),
    statsTable(h, days.map((d) => el('tr', { 'data-day': d.day },
      el('td', { 'data-label': h[0], class: 'key' }, d.day),
      numCell(h[1], d.items_scanned), numCell(h[2], d.items_draft), numCell(h[3], d.items_live),
      numCell(h[4], d.draft_hits), numCell(h[5], d.live_hits), numCell(h[6], d.gained), numCell(h[7], d.lost)))));
}

function backtestTable(r) {
  const mine = new Set(r.file_rules || []);
  // the file's rules first, then other rules whose result changed (e.g. by a new exclude term)
  const shown = (r.rules || []).filter((x) => mine.has(x.rule_id) || x.gained || x.lost)
    .sort((a, b) => (mine.has(b.rule_id) - mine.has(a.rule_id)));
  const t = r.totals || {};
  return [
    el('p', { class: 'summary' },
      `${fmtTime(r.since)} 至 ${fmtTime(r.until)}（北京时间），扫描 ${r.items_scanned} 条；` +
      `对比现行规则集${r.live_version ? `第 ${r.live_version} 版` : '（尚无）'}；` +
      `合计 草案命中 ${t.draft_hits}，现行命中 ${t.live_hits}，新增 ${t.gained}，减少 ${t.lost}，事件 ${t.events}。`),
    r.recorded === false
      ? el('p', { class: 'error' }, '本次回测未扫描到任何条目，未记录：推送前请在有归档数据的时段重新回测。')
      : null,
    el('div', { class: 'scroll' }, el('table', { class: 'backtest' },
      el('thead', {}, el('tr', {}, ['规则', '编号', '草案命中', '现行命中', '新增', '减少', '事件', ''].map((h) => el('th', {}, h)))),
      el('tbody', {}, shown.map((x) => el('tr', { 'data-rule': x.rule_id },
        el('td', { 'data-label': '规则' }, x.name || x.rule_id,
          !x.in_live ? el('span', { class: 'summary' }, '（新）') : null,
          !x.in_draft ? el('span', { class: 'summary' }, '（删）') : null),
        el('td', { 'data-label': '编号', class: 'rule-id' }, x.rule_id),
        el('td', { 'data-label': '草案命中', class: 'num draft-hits' }, x.draft_hits),
        el('td', { 'data-label': '现行命中', class: 'num live-hits' }, x.live_hits),
        el('td', { 'data-label': '新增', class: 'num gained' }, x.gained),
        el('td', { 'data-label': '减少', class: 'num lost' }, x.lost),
        el('td', { 'data-label': '事件', class: 'num events' }, x.events),
        el('td', { 'data-label': '示例' }, backtestSamples(x))))))),
    shown.length ? null : el('p', {}, '文件中的规则在这段时间内没有命中，其他规则的结果不变。'),
    backtestDays(r.days),
    el('p', { class: 'summary' }, `规则集摘要 ${String(r.draft_digest || '').slice(0, 12)}：回测已记录，7 天内可推送。`),
  ];
}

async function pageBacktest() {
  $('backtest').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const box = $('backtest-result');
    const button = $('bt-run');
    button.disabled = true;
    box.replaceChildren(el('p', { class: 'summary' }, '回测中……（30 天的数据可能需要一分钟）'));
    try {
      const r = await api('POST', '/api/rules/backtest', {
        yaml: $('bt-yaml').value, since_days: Number($('bt-days').value), file: $('bt-file').value.trim(),
      });
      box.replaceChildren(...backtestTable(r).filter(Boolean));
      showError('');
    } catch (e) {
      box.replaceChildren();
      showError(e.message);
    } finally {
      button.disabled = false;
    }
  });
}

registerPage('rules', pageBacktest);
