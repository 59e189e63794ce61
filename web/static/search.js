// The search page (/search, issue #14, docs/web.md "Search"): a query in the rule language over
// the whole archive with filters, sorting, paging, highlighted terms, CSV export, saved searches
// and a draft rule from a saved search. Loaded after app.js. Text from the server goes into the
// page as text nodes only; highlights are code-point offsets into the original title and text.
'use strict';

const SEARCH_FILTERS = [
  ['since', 'q-since'], ['until', 'q-until'], ['source', 'q-source'], ['source_id', 'q-source-id'],
  ['channel', 'q-channel'], ['matched', 'q-matched'], ['sentiment', 'q-sentiment'],
  ['sort', 'q-sort'], ['limit', 'q-limit'],
];
const SENTIMENT_TEXT = { positive: '正面', neutral: '中性', negative: '负面' };
const SOURCE_TEXT = { rss: '网站', weibo: '微博', wechat: '微信' };
const EXCERPT_CP = 240; // code points of the text shown around the first highlight

// Code points [from, to) of cps (an array of code points) with spans marked, as nodes.
function markSpans(cps, spans, from, to) {
  const out = document.createDocumentFragment();
  let at = from;
  for (const [s0, e0] of spans || []) {
    const s = Math.max(s0, at), e = Math.min(e0, to);
    if (e <= s) continue;
    if (s > at) out.append(document.createTextNode(cps.slice(at, s).join('')));
    out.append(el('mark', {}, cps.slice(s, e).join('')));
    at = e;
  }
  if (at < to) out.append(document.createTextNode(cps.slice(at, to).join('')));
  return out;
}

function highlightedTitle(hit) {
  const cps = Array.from(hit.title || '');
  return markSpans(cps, (hit.highlights || {}).title, 0, cps.length);
}

// The text around its first highlight, at most EXCERPT_CP code points.
function highlightedText(hit) {
  const cps = Array.from(hit.text || '');
  const spans = (hit.highlights || {}).text || [];
  let from = 0;
  if (spans.length && spans[0][0] > 40) from = spans[0][0] - 40;
  const to = Math.min(cps.length, from + EXCERPT_CP);
  const frag = document.createDocumentFragment();
  if (from > 0) frag.append('…');
  frag.append(markSpans(cps, spans, from, to));
  if (to < cps.length) frag.append('…');
  return frag;
}

function matchBadges(hit, eventIds) {
  return (hit.matches || []).map((m) => {
    const label = `${m.rule_id}${m.rule_group ? ' · ' + m.rule_group : ''} · ${m.department || '—'}`;
    const badge = el('span', { class: `badge level-${['I', 'II', 'III', 'IV'].includes(m.level) ? m.level : 'IV'}`, title: `级别 ${m.level}` }, label);
    return m.event_id ? el('a', { href: '/event?id=' + encodeURIComponent(m.event_id), class: 'event-link' }, badge, ' 事件')
      : badge;
  });
}

function hitItem(hit) {
  const title = hit.title ? highlightedTitle(hit) : '（无标题）';
  return el('li', { class: 'search-hit', 'data-id': hit.id },
    el('div', { class: 'head' },
      linkable(hit.url) ? safeLink(hit.url, title) : el('span', { class: 'title' }, title),
      hit.sentiment ? el('span', { class: `badge sentiment ${hit.sentiment}` }, SENTIMENT_TEXT[hit.sentiment] || hit.sentiment) : null,
      (hit.matches || []).length ? null : el('span', { class: 'badge state' }, '未命中规则')),
    el('p', { class: 'excerpt' }, highlightedText(hit)),
    el('div', { class: 'meta summary' },
      `${fmtTime(hit.time)} · ${SOURCE_TEXT[hit.source] || hit.source || '—'} · ${hit.channel || hit.source_id || '—'}` +
      `${hit.author && hit.author !== hit.channel ? ' · ' + hit.author : ''} · 热度 ${hit.heat}`,
      ' ', ...matchBadges(hit)));
}

function readForm() {
  const p = new URLSearchParams();
  const q = $('q').value.trim();
  if (q) p.set('q', q);
  for (const [key, id] of SEARCH_FILTERS) {
    const v = $(id).value.trim();
    if (v && v !== 'any' && !(key === 'sort' && v === 'time') && !(key === 'limit' && v === '20')) p.set(key, v);
  }
  return p;
}

function fillForm(p) {
  $('q').value = p.get('q') || '';
  for (const [key, id] of SEARCH_FILTERS) {
    const v = p.get(key);
    const input = $(id);
    if (v !== null) input.value = v;
    else if (input.tagName === 'SELECT') input.selectedIndex = 0;
    else input.value = '';
  }
}

async function pageSearch() {
  let offset = 0, loads = 0;
  const initial = new URLSearchParams(location.search);
  if (!initial.has('since')) {
    const d = new Date(serverNow() + 8 * 3600 * 1000 - 6 * 86400 * 1000);
    initial.set('since', d.toISOString().slice(0, 10));
  }
  fillForm(initial);
  offset = Number(initial.get('offset')) || 0;

  const run = async () => {
    const mine = ++loads;
    const p = readForm();
    if (offset) p.set('offset', String(offset));
    history.replaceState(null, '', '/search?' + p.toString());
    const csv = new URLSearchParams(p);
    csv.delete('offset'); csv.delete('limit'); csv.set('format', 'csv');
    $('r-csv').setAttribute('href', '/api/search?' + csv.toString());
    $('r-summary').textContent = '检索中…';
    let data;
    try { data = await api('GET', '/api/search?' + p.toString()); } catch (e) {
      if (mine !== loads) return;
      $('r-summary').textContent = '';
      $('results').replaceChildren();
      showError(e.message);
      return;
    }
    if (mine !== loads) return;
    showError('');
    const hits = data.hits || [];
    const total = data.total_exact ? `${data.total}` : `${data.total} 条以上`;
    $('r-summary').textContent = `共 ${total} 条${data.total_exact ? '' : ''}` +
      `${data.heat_capped ? '（按热度排序只比较了最新的 ' + data.total + ' 条）' : ''}` +
      `${data.scan_capped ? '（候选过多，结果不完整：请缩小时间范围或加检索词）' : ''}` +
      `${data.restricted ? '（联络员：仅本部门规则命中的信息）' : ''} · 用时 ${data.took_ms} 毫秒`;
    $('results').replaceChildren(...(hits.length ? hits.map(hitItem) : [el('li', { class: 'summary' }, '没有符合条件的信息。')]));
    $('results').setAttribute('start', String(offset + 1));
    const limit = data.limit || 20;
    $('p-prev').disabled = offset === 0;
    $('p-next').disabled = hits.length < limit || (data.total_exact && offset + hits.length >= data.total);
    $('p-info').textContent = hits.length ? `第 ${offset + 1}–${offset + hits.length} 条` : '';
    document.body.dataset.loaded = String(loads);
  };

  $('q-form').addEventListener('submit', (ev) => { ev.preventDefault(); offset = 0; run(); });
  $('p-prev').addEventListener('click', () => { offset = Math.max(0, offset - Number($('q-limit').value || 20)); run(); });
  $('p-next').addEventListener('click', () => { offset += Number($('q-limit').value || 20); run(); });

  const renderSaved = async () => {
    let data;
    try { data = await api('GET', '/api/search/saved'); } catch (e) { showError(e.message); return; }
    const list = data.saved || [];
    if (!list.length) { $('saved').replaceChildren(el('p', { class: 'summary' }, '还没有保存的检索。')); return; }
    $('saved').replaceChildren(el('ul', { class: 'saved-list' }, list.map((s) => el('li', { 'data-saved': s.id },
      el('strong', {}, s.name), ' ', el('code', {}, s.query), ' ',
      el('button', { type: 'button', onclick: () => {
        const p = new URLSearchParams(s.filters || {});
        p.set('q', s.query);
        fillForm(p); offset = 0; run();
      } }, '打开'), ' ',
      el('button', { type: 'button', onclick: async () => {
        try {
          const d = await api('GET', `/api/search/saved/${encodeURIComponent(s.id)}/rule`);
          $('draft-file').textContent = d.file;
          $('draft-yaml').textContent = d.yaml;
          $('draft').hidden = false;
        } catch (e) { showError(e.message); }
      } }, '生成规则草稿'), ' ',
      el('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!confirm(`删除保存的检索“${s.name}”？`)) return;
        try { await api('DELETE', `/api/search/saved/${encodeURIComponent(s.id)}`); await renderSaved(); } catch (e) { showError(e.message); }
      } }, '删除')))));
  };

  $('save-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const p = readForm();
    const query = p.get('q') || '';
    p.delete('q');
    if (!query) { showError('请先输入检索式再保存'); return; }
    try {
      await api('POST', '/api/search/saved', { name: $('save-name').value.trim(), query, filters: Object.fromEntries(p) });
      $('save-name').value = '';
      showError('');
      await renderSaved();
    } catch (e) { showError(e.message); }
  });

  await Promise.all([run(), renderSaved()]);
}

registerPage('search', pageSearch);
