// The sources page's 监测盲区 (issue #15, docs/web.md "Sources"): the blind windows of the last
// 30 days (GET /api/sources/blind), newest first: source, reason, start, end or 持续中, duration,
// detail or what to renew; and how many sources are blind now. The per-source badge of the
// table above comes from GET /api/sources ("blind_now", app.js pageSources). Loaded after
// app.js; text from the server goes into the page as text nodes only.
'use strict';

function blindTable(list) {
  if (!list.length) return el('p', { class: 'summary' }, '近 30 天无监测盲区。');
  const heads = ['信息源', '原因', '开始', '结束', '时长', '详情 / 需要更新'];
  return el('div', { class: 'scroll' }, el('table', { class: 'blind-windows' },
    el('thead', {}, el('tr', {}, heads.map((h) => el('th', {}, h)))),
    el('tbody', {}, list.map((w) => el('tr', { 'data-source': w.source_id, class: w.open ? 'source-bad' : null },
      el('td', { 'data-label': heads[0], class: 'source-name', title: `编号 ${w.source_id}` },
        w.source_name || w.source_id),
      el('td', { 'data-label': heads[1] }, labelOf('blind_reasons', w.reason, w.reason_label) || '未知'),
      el('td', { 'data-label': heads[2], class: 'time' }, fmtTime(w.started_at)),
      el('td', { 'data-label': heads[3], class: `time${w.open ? ' bad' : ''}` }, w.open ? '持续中' : fmtTime(w.ended_at)),
      el('td', { 'data-label': heads[4], class: 'n' }, fmtDuration(w.duration_s)),
      el('td', { 'data-label': heads[5] }, w.renew ? `需要更新：${w.renew}` : (w.detail || '—')))))));
}

async function pageSourcesBlind() {
  let data;
  try { data = await api('GET', '/api/sources/blind?limit=1000'); } catch (e) { showError(e.message); return; }
  const list = data.windows || [];
  if (!data.available) {
    $('blind-now').textContent = '本服务未记录监测盲区。';
    return;
  }
  const open = new Set(list.filter((w) => w.open).map((w) => w.source_id));
  $('blind-now').textContent = open.size ? `当前处于监测盲区的信息源 ${open.size} 个。` : '当前无信息源处于监测盲区。';
  $('blind-now').className = open.size ? 'bad' : 'summary';
  $('blind').replaceChildren(blindTable(list),
    data.truncated ? el('p', { class: 'summary' }, '只显示最近 1000 段。') : '');
  document.body.dataset.blindLoaded = String(list.length);
}

registerPage('sources', pageSourcesBlind);
