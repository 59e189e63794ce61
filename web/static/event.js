// The event page (/event?id=N, issue #13): everything the duty officer needs to judge one
// event: its header and deadlines, items per hour and platform mix (ECharts, bundled with the
// statistics page), the most active accounts, hot words, the negative share, every item, the
// event's log and its ticket's log, the ranks of its 微博热搜 entries over time (issue #15), and
// the actions of the inbox (inbox.js). Loaded after
// app.js and inbox.js. Feed text goes into the page as text nodes only; ECharts gets it as
// data (its canvas renderer draws text, it parses no HTML) with tooltips built from text.
'use strict';

// The chart options, from the event's data (pure: the browser test reads them back).
function hourlyChartOption(hourly) {
  const hours = (hourly || []).map((h) => fmtTime(h.hour).slice(5)); // "12-05 14:00"
  return {
    animation: false,
    grid: { left: 40, right: 16, top: 24, bottom: 48 },
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    xAxis: { type: 'category', data: hours, axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', minInterval: 1, name: '条' },
    series: [{ type: 'bar', name: '信息条数', data: (hourly || []).map((h) => h.count), itemStyle: { color: '#1f5fbf' } }],
  };
}

function platformChartOption(platforms) {
  return {
    animation: false,
    tooltip: { trigger: 'item', renderMode: 'richText', formatter: '{b}：{c} 条（{d}%）' },
    legend: { bottom: 0, type: 'scroll' },
    series: [{
      type: 'pie', radius: ['35%', '65%'], center: ['50%', '45%'], name: '平台分布',
      label: { formatter: '{b} {c}' },
      data: (platforms || []).map((p) => ({ name: p.label || labelOf('source_kinds', p.source) || p.source || '其他', value: p.count })),
    }],
  };
}

// 热搜排名 (issue #15): one line per term of the event's weibo_hot items, rank over time on an
// inverted axis (1 at the top); a pinned poll (rank 0) is drawn as no value.
function hotChartOption(hot) {
  return {
    animation: false,
    grid: { left: 44, right: 16, top: 24, bottom: 56 },
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    legend: { bottom: 0, type: 'scroll' },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', inverse: true, min: 1, minInterval: 1, name: '排名' },
    series: (hot || []).map((h) => ({
      type: 'line', name: h.term, showSymbol: true, connectNulls: false,
      data: (h.points || []).map((p) => [p.at, p.rank > 0 ? p.rank : null]),
    })),
  };
}

function hotRankText(rank) {
  return rank > 0 ? `第 ${rank} 位` : (rank === 0 ? '置顶' : '—');
}

// The table fallback (and the figures behind the chart): each term, when it came on the list,
// its best rank and its polls.
function hotTable(hot) {
  const heads = ['热搜词', '上榜时间', '最高排名', '最新排名', '最新热度', '采集次数'];
  return el('table', { class: 'hot-ranks' },
    el('thead', {}, el('tr', {}, heads.map((h) => el('th', {}, h)))),
    el('tbody', {}, (hot || []).map((h) => {
      const pts = h.points || [];
      const last = pts.length ? pts[pts.length - 1] : null;
      return el('tr', { 'data-term': h.term },
        el('td', { 'data-label': heads[0] }, h.term),
        el('td', { 'data-label': heads[1] }, fmtTime(h.entered_at)),
        el('td', { 'data-label': heads[2], class: 'n' }, h.best_rank ? hotRankText(h.best_rank) : '—'),
        el('td', { 'data-label': heads[3], class: 'n' }, last ? hotRankText(last.rank) : '—'),
        el('td', { 'data-label': heads[4], class: 'n' }, last && last.heat != null ? String(last.heat) : '—'),
        el('td', { 'data-label': heads[5], class: 'n' }, String(pts.length)));
    })));
}

function hotSection(ev) {
  if (!(ev.hot || []).length) return null;
  return el('section', { class: 'card hot-section', 'aria-labelledby': 'h-hot' },
    el('h2', { id: 'h-hot' }, '微博热搜排名'),
    ev.hot_ranks_unavailable ? el('p', { class: 'notice' }, '排名记录暂时无法读取（Redis 未配置或无响应），仅列出热搜词。') : null,
    typeof echarts !== 'undefined' && !ev.hot_ranks_unavailable
      ? el('figure', {}, el('figcaption', {}, '热搜排名走势（第 1 位在上）'), el('div', { id: 'chart-hot', class: 'chart' }))
      : null,
    el('div', { class: 'scroll' }, hotTable(ev.hot)));
}

function renderCharts(ev) {
  const note = $('e-charts-note');
  if (typeof echarts === 'undefined') {
    note.textContent = '图表组件未随本程序构建（构建时缺少 node_modules/echarts），仅显示表格。';
    note.hidden = false;
    return;
  }
  note.hidden = true;
  const charts = [['chart-hourly', hourlyChartOption(ev.hourly)], ['chart-platforms', platformChartOption(ev.platforms)]];
  if ($('chart-hot')) charts.push(['chart-hot', hotChartOption(ev.hot)]);
  for (const [id, option] of charts) {
    const node = $(id);
    const chart = echarts.getInstanceByDom(node) || echarts.init(node, null, { renderer: 'canvas' });
    chart.setOption(option, true);
  }
}

function sentimentText(it) {
  return it.sentiment_label || labelOf('sentiments', it.sentiment) || '—';
}

function itemsTable(items) {
  const heads = ['标题', '来源', '作者', '发布时间', '转发', '评论', '点赞', '情感'];
  return el('table', { class: 'items event-items' },
    el('thead', {}, el('tr', {}, heads.map((h) => el('th', {}, h)))),
    el('tbody', {}, (items || []).map((it) => el('tr', { class: 'item', 'data-item': it.item_id },
      el('td', { 'data-label': heads[0], class: 'item-main' },
        el('div', { class: 'item-title' }, linkable(it.url)
          ? el('a', { href: it.url, rel: 'noopener noreferrer', target: '_blank' }, it.title || '（无标题）')
          : (it.title || '（无标题）')),
        it.excerpt ? el('div', { class: 'excerpt' }, it.excerpt) : null),
      el('td', { 'data-label': heads[1], class: 'item-channel' }, sourceText(it, it.source)),
      el('td', { 'data-label': heads[2], class: 'item-author' }, it.author || '—'),
      el('td', { 'data-label': heads[3], class: 'item-time' }, fmtTime(it.published_at || it.matched_at)),
      el('td', { 'data-label': heads[4], class: 'n' }, String(it.reposts ?? 0)),
      el('td', { 'data-label': heads[5], class: 'n' }, String(it.comments ?? 0)),
      el('td', { 'data-label': heads[6], class: 'n' }, String(it.likes ?? 0)),
      el('td', { 'data-label': heads[7], class: `sentiment ${it.sentiment || 'unknown'}` }, sentimentText(it))))));
}

function accountsTable(accounts) {
  if (!(accounts || []).length) return el('p', { class: 'summary' }, '暂无');
  const heads = ['账号', '来源', '信息条数', '热度'];
  return el('table', { class: 'accounts' },
    el('thead', {}, el('tr', {}, heads.map((h) => el('th', {}, h)))),
    el('tbody', {}, accounts.map((a) => el('tr', {},
      el('td', { 'data-label': heads[0], class: 'item-author' }, a.author || '（未署名）'),
      el('td', { 'data-label': heads[1] }, labelOf('source_kinds', a.source) || a.source || '—'),
      el('td', { 'data-label': heads[2], class: 'n' }, String(a.count)),
      el('td', { 'data-label': heads[3], class: 'n' }, String(a.heat ?? '—'))))));
}

// The hot words as a ranked tag list: bigger type for more frequent words (sizes set through
// the CSSOM, which the CSP allows); each word a text node.
function hotWords(words) {
  if (!(words || []).length) return el('p', { class: 'summary' }, '暂无');
  const max = Math.max(...words.map((w) => w.count || 0), 1);
  return el('ol', { class: 'hot-words' }, words.map((w, i) => {
    const li = el('li', { 'data-count': w.count, title: `出现 ${w.count} 次` }, el('span', { class: 'word' }, w.word),
      el('span', { class: 'n' }, String(w.count)));
    li.style.fontSize = `${(0.9 + 0.8 * (w.count || 0) / max).toFixed(2)}rem`;
    if (i < 3) li.classList.add('top');
    return li;
  }));
}

function sentimentBar(ev) {
  const c = ev.sentiment_counts || {};
  const parts = [['negative', '负面'], ['neutral', '中性'], ['positive', '正面'], ['unknown', '未判定']];
  return el('div', { class: 'sentiment-summary' },
    el('p', { class: 'negative-share' }, '负面占比 ', el('strong', {}, fmtShare(ev.negative_share))),
    el('ul', { class: 'sentiment-counts' }, parts.map(([k, w]) => el('li', { class: `sentiment ${k}` },
      `${labelOf('sentiments', k) || w} ${c[k] || 0} 条`))));
}

function logList(entries, kind) {
  if (!(entries || []).length) return el('p', { class: 'summary' }, '暂无记录');
  return el('ol', { class: 'log' }, entries.map((l) => {
    const word = kind === 'event'
      ? labelOf('event_actions', l.action, l.action_label) || labelOf('actions', l.action) || l.action
      : labelOf('log_actions', l.action, l.action_label) || '处置';
    // the move between states, in words when the server has the event states' table
    const from = labelOf('event_states', l.from_state), to = labelOf('event_states', l.to_state);
    const move = kind === 'event' && l.from_state !== l.to_state && to ? `（${from ? from + ' → ' : ''}${to}）` : '';
    return el('li', {},
      el('span', { class: 'at' }, fmtTime(l.at)), ' ',
      l.text ? el('span', { class: 'text' }, l.text)
        : el('span', { class: 'text' }, el('strong', {}, word), move, ' · ',
          l.actor || '', l.actor_role ? `（${labelOf('roles', l.actor_role) || l.actor_role}）` : '',
          l.note ? `：${l.note}` : ''));
  }));
}

function eventHeader(ev, after) {
  const level = levelClass(ev);
  const ck = judgeClock(ev);
  const t = ev.ticket;
  const kv = [
    ['级别', el('span', { class: `badge level-${level}` }, levelText(ev))],
    ['状态', el('span', { class: 'state' }, stateBadge(ev), ' ', ...eventMarkers(ev))],
    ['主办部门', ev.department || '未交办'],
    ['协办部门', (ev.co_departments || []).join('、') || '—'],
    ['规则组', (ev.rule_groups || []).join('、') || '—'],
    ['来源', sourceKindsText(ev.source_kinds)],
    ev.region ? ['属地', ev.region] : null,
    ['首发时间', fmtTime(ev.first_post_at)],
    ['发现时间', fmtTime(ev.detected_at)],
    ['最新信息', fmtTime(ev.last_item_at)],
    ['研判时限', ck ? el('span', {}, fmtTime(ev.judge_deadline), ' ',
      el('span', { class: `urgency ${ck.cls} judge`, 'data-deadline': ev.judge_deadline }, ck.text)) : fmtTime(ev.judge_deadline)],
    ev.judged_at ? ['研判', `${fmtTime(ev.judged_at)} ${ev.judged_by || ''}${ev.outcome_label ? ' · ' + ev.outcome_label : ''}`] : null,
    ev.opinion ? ['研判意见', ev.opinion] : null,
    ev.dismiss_reason ? ['不予处置原因', `${dismissReasonText(ev.dismiss_reason, ev.dismiss_reason_label)}${ev.dismiss_note ? `（${ev.dismiss_note}）` : ''}`] : null,
    ev.state === 'watching' && ev.watch ? ['持续关注', watchText(ev.watch)] : null,
    ev.resurfaced_at ? ['重新浮现', `${fmtTime(ev.resurfaced_at)}${resurfaceText(ev) ? ' ' + resurfaceText(ev) : ''}`] : null,
    ev.spike ? ['突增', spikeText(ev.spike) || '—'] : null,
    ev.merged_into ? ['并入', el('a', { href: '/event?id=' + encodeURIComponent(ev.merged_into) }, `事件 ${ev.merged_into}`)] : null,
    t && t.number ? ['交办单', el('a', { href: '/ticket?n=' + encodeURIComponent(t.number), class: 'ticket-link' },
      t.number, t.state_label || t.state ? `（${t.state_label || stateText(t)}）` : '')] : null,
  ].filter(Boolean);
  return el('section', { class: `card ticket-detail event-detail level-${level}`, 'data-event': ev.id, 'data-state': ev.state },
    el('h2', { class: 'title' }, ev.title || '（无标题）'),
    el('dl', { class: 'kv' }, kv.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
    el('div', { class: 'figures-row' },
      el('div', { class: 'figure', 'data-figure': 'items' }, el('span', {}, '信息'), el('strong', {}, String(ev.item_count))),
      el('div', { class: 'figure', 'data-figure': 'heat' }, el('span', {}, '热度'), el('strong', {}, String(ev.heat))),
      el('div', { class: 'figure', 'data-figure': 'negative' }, el('span', {}, '负面占比'), el('strong', {}, fmtShare(ev.negative_share)))),
    state.me.permissions.duty_actions ? eventActions(ev, after) : null,
    state.me.permissions.duty_actions ? reportButton(ev) : null);
}

// 专报 (issue #14): a new special report of this event, opened in its own tab to print.
function reportButton(ev) {
  return el('p', { class: 'actions' }, el('button', {
    type: 'button', id: 'e-report', onclick: async () => {
      try {
        const res = await api('POST', '/api/reports/event/' + encodeURIComponent(ev.id));
        if (res && res.report) location.assign(res.report.url);
      } catch (e) { showError(e.message); }
    },
  }, '生成专报'));
}

async function pageEvent() {
  const id = new URLSearchParams(location.search).get('id') || '';
  if (!/^\d+$/.test(id)) { showError('缺少事件编号'); return; }
  if (state.me.permissions.duty_actions) await loadDepartments();
  let seq = 0;
  const render = async () => {
    const mine = ++seq;
    let ev;
    try {
      const data = await api('GET', '/api/inbox/' + encodeURIComponent(id));
      ev = data.event || data;
    } catch (e) { showError(e.message); return; }
    if (mine !== seq) return;
    showError('');
    document.title = `${ev.title || '舆情事件'} · 舆情`;
    $('title').textContent = `舆情事件 ${ev.id}`;
    const after = (number) => {
      if (number) showError('');
      render();
    };
    const t = ev.ticket;
    const items = ev.items || [];
    for (const n of document.querySelectorAll('.chart')) {
      const c = typeof echarts !== 'undefined' && echarts.getInstanceByDom(n);
      if (c) c.dispose();
    }
    $('event').replaceChildren(...[
      eventHeader(ev, after),
      el('section', { class: 'card charts event-charts', 'aria-label': '走势与分布' },
        el('p', { id: 'e-charts-note', class: 'notice', hidden: true }),
        el('div', { class: 'chart-row' },
          el('figure', {}, el('figcaption', {}, '每小时信息条数（北京时间）'), el('div', { id: 'chart-hourly', class: 'chart' })),
          el('figure', {}, el('figcaption', {}, '平台分布'), el('div', { id: 'chart-platforms', class: 'chart' })))),
      hotSection(ev),
      el('div', { class: 'two-col' },
        el('section', { class: 'card', 'aria-labelledby': 'h-words' }, el('h2', { id: 'h-words' }, '热词'), hotWords(ev.hot_words)),
        el('section', { class: 'card', 'aria-labelledby': 'h-sentiment' }, el('h2', { id: 'h-sentiment' }, '情感倾向'), sentimentBar(ev))),
      el('section', { class: 'card', 'aria-labelledby': 'h-accounts' }, el('h2', { id: 'h-accounts' }, '最活跃账号'),
        el('div', { class: 'scroll' }, accountsTable(ev.accounts))),
      el('section', { class: 'card', 'aria-labelledby': 'h-items' },
        el('h2', { id: 'h-items' }, `全部信息（${ev.items_total ?? items.length} 条${ev.items_total > items.length ? `，显示最新 ${items.length} 条` : ''}）`),
        el('div', { class: 'scroll' }, itemsTable(items))),
      (ev.merged || []).length ? el('section', { class: 'card', 'aria-labelledby': 'h-merged' },
        el('h2', { id: 'h-merged' }, '并入本事件的事件'),
        el('ul', { class: 'merged' }, ev.merged.map((m) => el('li', {},
          el('a', { href: '/event?id=' + encodeURIComponent(m.id) }, m.title || `事件 ${m.id}`), `（${m.item_count} 条）`)))) : null,
      el('div', { class: t && t.log ? 'two-col logs' : 'logs' },
        el('section', { class: 'card', 'aria-labelledby': 'h-event-log' }, el('h2', { id: 'h-event-log' }, '研判记录（不可修改）'),
          logList(ev.log, 'event')),
        t && t.log ? el('section', { class: 'card', 'aria-labelledby': 'h-ticket-log' },
          el('h2', { id: 'h-ticket-log' }, '交办单处置记录 ', el('a', { href: '/ticket?n=' + encodeURIComponent(t.number) }, t.number)),
          logList(t.log, 'ticket')) : null),
    ].filter(Boolean));
    renderCharts(ev);
    document.body.dataset.loaded = String(ev.version ?? '1');
  };
  await render();
  const src = new EventSource('/api/events');
  let timer = null;
  const live = liveReloader(() => $('event'), render);
  src.addEventListener('tickets', () => { clearTimeout(timer); timer = setTimeout(live, 100); });
  setInterval(tickClocks, 1000);
  window.addEventListener('resize', () => {
    for (const n of document.querySelectorAll('.chart')) {
      const c = typeof echarts !== 'undefined' && echarts.getInstanceByDom(n);
      if (c) c.resize();
    }
  });
}

registerPage('event', pageEvent);
