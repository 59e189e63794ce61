// The reports page (舆情日报与专报, /reports, issue #14, docs/api.md "Reports"): the stored daily
// briefings and special reports, newest first, each opened (and printed) as its own HTML page;
// "生成日报" of a chosen day for duty officers and admins. Loaded after app.js. Text from the
// server goes into the page as text nodes only.
'use strict';

const REPORT_KINDS = { daily: '舆情日报', event: '专报' };

// The Beijing date of now as YYYY-MM-DD (the default day: today's briefing).
function beijingToday() {
  return new Date(serverNow() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

function reportsTable(list) {
  if (!list.length) return el('p', { class: 'summary' }, '还没有报告。');
  const heads = ['类型', '标题', '统计时段', '生成时间', '生成人', ''];
  return el('div', { class: 'scroll' }, el('table', { class: 'reports' },
    el('thead', {}, el('tr', {}, heads.map((h) => el('th', {}, h)))),
    el('tbody', {}, list.map((r) => el('tr', { 'data-report': r.id, 'data-kind': r.kind },
      el('td', { 'data-label': heads[0] }, REPORT_KINDS[r.kind] || r.kind),
      el('td', { 'data-label': heads[1], class: 'item-main' },
        el('a', { href: r.url, target: '_blank', rel: 'noopener' }, r.title),
        r.event_id ? el('span', {}, ' ', el('a', { href: '/event?id=' + encodeURIComponent(r.event_id) }, `事件 ${r.event_id}`)) : null),
      el('td', { 'data-label': heads[2], class: 'time' }, `${fmtTime(r.period_start)} 至 ${fmtTime(r.period_end)}`),
      el('td', { 'data-label': heads[3], class: 'time' }, fmtTime(r.created_at)),
      el('td', { 'data-label': heads[4] }, r.created_by === 'system' ? '定时生成' : r.created_by),
      el('td', { 'data-label': heads[5] }, el('a', { href: r.url, target: '_blank', rel: 'noopener' }, '打开/打印')))))));
}

async function pageReports() {
  let kind = '';
  const render = async () => {
    let data;
    try {
      data = await api('GET', '/api/reports?limit=200' + (kind ? '&kind=' + encodeURIComponent(kind) : ''));
    } catch (e) { showError(e.message); return; }
    showError('');
    $('reports').replaceChildren(reportsTable(data.reports || []));
    document.body.dataset.loaded = String((data.reports || []).length);
  };
  for (const r of document.querySelectorAll('input[name="r-kind"]')) {
    r.addEventListener('change', () => { kind = r.value; render(); });
  }
  if (state.me.permissions.duty_actions) {
    $('daily-box').hidden = false;
    $('d-day').value = beijingToday();
    $('daily-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const res = await api('POST', '/api/reports/daily', { day: $('d-day').value });
        await render();
        if (res && res.report) location.assign(res.report.url);
      } catch (e) { showError(e.message); }
    });
  }
  await render();
}

registerPage('reports', pageReports);
