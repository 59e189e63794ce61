// yuqing web UI (zh-CN). Plain DOM: every string from the server is put into the page with
// textContent or as an attribute value set through the DOM, never parsed as HTML; only
// http(s) URLs become links. The CSP forbids inline scripts, so all code lives here.
'use strict';

const LEVEL_CODES = ['I', 'II', 'III', 'IV'];

const state = { me: null, offsetMs: 0, departments: [], labels: {} };

// ---------------------------------------------------------------- labels

// The code lists and their Chinese labels come from the server (GET /api/meta/labels: one table
// per kind, the same the API's display fields, the CLI and the reports use); the page keeps
// no copy. A list is [{code, label, ...}] (or {code: label}); missing lists leave labels empty.
async function loadLabels() {
  try {
    state.labels = (await api('GET', '/api/meta/labels')) || {};
  } catch (e) {
    state.labels = {};
  }
}

// The entries [{code, label, ...}] of a kind (e.g. 'dismiss_reasons'), in the server's order.
function labelList(kind) {
  const l = state.labels[kind] || (state.labels.labels || {})[kind];
  if (Array.isArray(l)) {
    return l.filter((e) => e && typeof e === 'object')
      .map((e) => ({ ...e, code: e.code ?? e.value ?? e.id, label: e.label ?? e.name ?? e.text }));
  }
  if (l && typeof l === 'object') return Object.entries(l).map(([code, label]) => ({ code, label }));
  return [];
}

// The label of code in kind: the object's own display field when the API gave one (shown),
// else the kind's table, else '' (callers fall back to a neutral word, never to the code).
function labelOf(kind, code, shown) {
  if (typeof shown === 'string' && shown) return shown;
  const e = labelList(kind).find((x) => x.code === code);
  return e && e.label ? e.label : '';
}

function levelText(t) {
  const l = labelOf('levels', t.level, t.level_label);
  return l ? `${t.level} ${l}` : String(t.level || '');
}
function stateText(t) { return labelOf('states', t.state, t.state_label) || '—'; }
function clockName(c) { return c.label || labelOf('clocks', c.name) || '时限'; }


// ---------------------------------------------------------------- DOM helpers

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function $(id) { return document.getElementById(id); }

function linkable(url) {
  return typeof url === 'string' && /^https?:\/\/[^\s"'<>`\\]+$/i.test(url);
}

// A URL as text that may wrap only after its separators (/ ? & = # . - _), never inside a
// word: text nodes with <wbr> between them.
function urlText(url) {
  const out = document.createDocumentFragment();
  for (const part of String(url || '').split(/(?<=[/?&=#._-])/)) {
    if (out.childNodes.length) out.append(el('wbr'));
    out.append(document.createTextNode(part));
  }
  return out;
}

// A link for an http(s) URL; anything else is shown as plain, unclickable text.
function safeLink(url, label) {
  if (linkable(url)) {
    return el('a', { href: url, rel: 'noopener noreferrer', target: '_blank', class: label ? null : 'url' },
      label || urlText(url));
  }
  return el('span', { class: 'nolink url', title: '非 http(s) 链接，不可点击' }, label || urlText(url));
}

// Text with each occurrence of any term wrapped in <mark>, built as text nodes.
function highlight(text, terms) {
  const out = document.createDocumentFragment();
  const list = (terms || []).filter((t) => typeof t === 'string' && t.length > 0)
    .sort((a, b) => b.length - a.length);
  let s = String(text || '');
  while (s.length > 0) {
    let best = -1, term = '';
    for (const t of list) {
      const i = s.indexOf(t);
      if (i >= 0 && (best < 0 || i < best)) { best = i; term = t; }
    }
    if (best < 0) { out.append(document.createTextNode(s)); break; }
    if (best > 0) out.append(document.createTextNode(s.slice(0, best)));
    out.append(el('mark', {}, term));
    s = s.slice(best + term.length);
  }
  return out;
}

function showError(msg) {
  const e = $('error');
  if (!e) return;
  e.textContent = msg || '';
  e.hidden = !msg;
}

// ------------------------------------------------------------------ time

function serverNow() { return Date.now() + state.offsetMs; }

function syncClock(nowIso) {
  const t = Date.parse(nowIso);
  if (!Number.isNaN(t)) state.offsetMs = t - Date.now();
}

// "2026-11-29 16:16" in Beijing time (UTC+8, no DST).
function fmtTime(iso) {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const d = new Date(t + 8 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

function fmtSpan(ms) {
  const m = Math.floor(Math.abs(ms) / 60000);
  const d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mm = m % 60;
  if (d > 0) return `${d}天${h}小时${mm}分`;
  if (h > 0) return `${h}小时${mm}分`;
  return `${mm}分`;
}

// {text, cls, left} for a running clock's deadline (ms left: > -1000 remaining, else overdue).
// The deadline's own second is on time, as the server counts it (docs/tickets.md): overdue
// from one second after it.
function clockText(deadlineIso, nowMs = serverNow())
{
    const left = Date.parse(deadlineIso) - nowMs;
    if (Number.isNaN(left))
        return {text : '—', cls : 'done', left : Infinity};
    if (left <= -1000)
        return {text : `已超时 ${fmtSpan(left)}`, cls : 'overdue', left};
    const cls = left < 3600e3 ? 'urgent' : left < 6 * 3600e3 ? 'soon' : 'normal';
    return {text : `剩余 ${fmtSpan(left)}`, cls, left};
}

const URGENCY = { overdue: '', urgent: '紧急', soon: '临近', normal: '正常', done: '' }; // overdue text says 已超时

// settled (closed or dismissed) is the server's word (ticket_state_settled()), not a list here
function isActive(t) { return !t.settled; }

// When a settled (closed or dismissed) ticket was settled: the API's field, else the last
// change of the ticket.
function settledAt(t) {
  return t.settled_at || t.closed_at || t.dismissed_at || t.updated_at || null;
}

// Whether clock c of ticket t still runs: not met, not stopped by the API (state/stopped_at)
// and the ticket not settled. A settled ticket's clocks never count down.
function clockRunning(c, t) {
  if (c.met_at || c.stopped_at) return false;
  if (c.state && !['running', 'pending', 'open'].includes(c.state)) return false;
  return !t || isActive(t);
}

// How clock c of ticket t stands: {text, cls, deadline}; deadline is set only while the clock
// runs (tickClocks counts it down). Met: "已完成（time）"; stopped by settling the ticket:
// "已撤销（time）", with the API's state_label when it gives one. Times in Beijing time.
function clockStatus(c, t) {
  if (clockRunning(c, t)) return { ...clockText(c.deadline), deadline: c.deadline };
  const met = Boolean(c.met_at) || c.state === 'met';
  const word = c.state_label || (met ? '已完成' : '已撤销');
  const at = met ? (c.met_at || c.stopped_at) : (c.stopped_at || settledAt(t || {}));
  return { text: at ? `${word}（${fmtTime(at)}）` : word, cls: met ? 'done' : 'done stopped', deadline: '' };
}

// The nearest running clock of a ticket (none for a settled ticket).
function nearestClock(t) {
  let best = null;
  for (const c of t.clocks || []) {
    if (!clockRunning(c, t) || !c.deadline) continue;
    if (!best || Date.parse(c.deadline) < Date.parse(best.deadline)) best = c;
  }
  return best;
}

// -------------------------------------------------------------------- API

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') {
    headers['X-CSRF-Token'] = state.me ? state.me.csrf_token : '';
    if (body !== undefined) headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  if (res.status !== 204) {
    try { data = await res.json(); } catch (e) { data = null; }
  }
  if (res.status === 401 && document.body.dataset.page !== 'login') {
    location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
    throw new Error('请先登录');
  }
  if (res.status === 403 && data && data.error === 'must_change_password') {
    location.assign('/password');
    throw new Error(data.message);
  }
  if (!res.ok) {
    const err = new Error((data && data.message) || `请求失败（${res.status}）`);
    err.status = res.status;
    throw err;
  }
  if (data && data.now) syncClock(data.now);
  return data;
}

// ---------------------------------------------------------------- chrome

function renderChrome() {
  const me = state.me;
  const nav = $('nav');
  const page = document.body.dataset.page;
  const links = [];
  if (me.permissions.duty_actions) links.push(['/', '值班台', 'queue']);
  if (me.user.role === 'liaison' || me.user.role === 'head') links.push(['/liaison', '本部门', 'liaison']);
  links.push(['/stats', '统计', 'stats']);
  links.push(['/search', '检索', 'search']);
  links.push(['/reports', '日报', 'reports']);
  if (me.permissions.system) links.push(['/sources', '信息源', 'sources'], ['/rules', '规则', 'rules']);
  if (me.permissions.admin) links.push(['/admin', '用户与部门', 'admin']);
  nav.replaceChildren(...links.map(([href, label, p]) =>
    el('a', { href, 'aria-current': p === page ? 'page' : null }, label)));
  const roleName = labelOf('roles', me.user.role);
  $('whoami').replaceChildren(
    el('span', {}, `${me.user.display_name || me.user.username}（${roleName}` +
      `${me.user.department ? ' · ' + me.user.department : ''}）`),
    el('a', { href: '/password' }, '改密码'),
    el('button', { type: 'button', id: 'logout', onclick: logout }, '退出'));
}

async function logout() {
  try { await api('POST', '/api/logout'); } catch (e) { /* the session is gone either way */ }
  location.assign('/login');
}

async function loadMe() {
  state.me = await api('GET', '/api/me');
  await loadLabels();
  renderChrome();
  if (state.me.user.must_change_password && document.body.dataset.page !== 'password') {
    location.assign('/password');
    throw new Error('请先修改初始密码');
  }
}

// ---------------------------------------------------------------- queue

// "网站 · 安康发布": the source's label and channel name, never the source code.
function sourceText(o, kind) {
  const label = labelOf('source_kinds', kind, o.source_label);
  return [label, o.source_name, o.channel].filter(Boolean)
    .filter((v, i, a) => a.indexOf(v) === i).join(' · ') || '—';
}

function levelClass(t) { return LEVEL_CODES.includes(t.level) ? t.level : 'IV'; }

function ticketCard(t, opts) {
  const near = nearestClock(t);
  const ck = near ? clockStatus(near, t) : null;
  const level = levelClass(t);
  const at = settledAt(t);
  const clock = isActive(t)
    ? el('div', { class: 'clock' },
      near ? el('div', {}, `${clockName(near)}：${fmtTime(near.deadline)}`) : null,
      el('div', { class: `urgency ${ck ? ck.cls : 'done'}`, 'data-deadline': near ? near.deadline : '' },
        ck && URGENCY[ck.cls] ? `${URGENCY[ck.cls]} · ` : '', ck ? ck.text : ''))
    // settled: every clock stopped, none counts (issue #11)
    : el('div', { class: 'clock' }, el('div', {}, '时限已停止'),
      el('div', { class: 'urgency done stopped', 'data-deadline': '' },
        `${stateText(t)}${at ? `（${fmtTime(at)}）` : ''}`));
  const card = el('article', {
    class: `ticket level-${level}${opts.fresh ? ' fresh' : ''}`,
    'data-number': t.number, 'data-state': t.state,
  },
  el('div', { class: 'head' },
    el('span', { class: `badge level-${level}` }, levelText(t)),
    el('span', { class: 'badge state' }, stateText(t)),
    el('a', { class: 'title', href: '/ticket?n=' + encodeURIComponent(t.number) }, t.title || '（无标题）'),
    el('span', { class: 'number' }, t.number)),
  el('div', { class: 'meta' },
    el('span', { class: 'department' }, '主办：', t.department || '未交办'),
    (t.co_departments || []).length ? el('span', {}, '协办：', t.co_departments.join('、')) : null,
    el('span', { class: 'source' }, '来源：', sourceText(t, t.source)),
    t.author ? el('span', { class: 'author' }, '作者：', t.author) : null,
    el('span', { class: 'count' }, `信息 ${t.item_count} 条`),
    el('span', {}, '发现：', fmtTime(t.detected_at))),
  clock,
  t.excerpt ? el('p', { class: 'excerpt' }, highlight(t.excerpt, t.terms)) : null);
  if (opts.actions) card.append(opts.actions(t));
  return card;
}

// Keep the time-left labels of running clocks current between reloads.
function tickClocks() {
  for (const u of document.querySelectorAll('.urgency[data-deadline]')) {
    const d = u.getAttribute('data-deadline');
    if (!d) continue;
    const ck = clockText(d);
    u.className = `urgency ${ck.cls}`;
    u.textContent = (u.closest('.ticket') && URGENCY[ck.cls] ? `${URGENCY[ck.cls]} · ` : '') + ck.text;
  }
}

// ------------------------------------------------------------ intake banner

// "10:42" for a time of today in Beijing time, else "12-05 10:42".
function fmtSince(iso)
{
    const full = fmtTime(iso);
    if (full === '—')
        return '';
    return full.slice(0, 10) === fmtTime(new Date(serverNow()).toISOString()).slice(0, 10)
               ? full.slice(11)
               : full.slice(5);
}

// The 值班台's banner while new posts cannot reach it (the notifier's /healthz flags: GET
// /api/meta/intake at load, then the event stream's "intake" events): what is down and since
// when, e.g. "接收中断：Kafka 不可达（自 10:42）"; hidden again once intake is back. The labels
// are the server's (intake_faults); a page without the banner ignores it.
let intakeFromStream = false;
function renderIntake(data, fromStream)
{
    const b = $('intake-banner');
    if (!b || !data)
        return;
    if (fromStream)
        intakeFromStream = true;
    else if (intakeFromStream)
        return; // the stream's answer is newer than a slow fetch
    const down = Array.isArray(data.down) ? data.down : [];
    if (data.ok !== false || !down.length) {
        b.hidden = true;
        b.replaceChildren();
        return;
    }
    const what = down.map((d) => {
                         const label = labelOf('intake_faults', d.code, d.label) || '接收异常';
                         const since = d.since ? fmtSince(d.since) : '';
                         return since ? `${label}（自 ${since}）` : label;
                     })
                     .join('；');
    b.replaceChildren(`接收中断：${what}`, el('span', {class : 'detail'},
                                              '新信息暂时不能进入值班台；恢复后此提示自动消失。'));
    b.dataset.codes = down.map((d) => d.code).join(',');
    b.hidden = false;
}

async function loadIntake()
{
    if (!$('intake-banner'))
        return;
    try {
        renderIntake(await api('GET', '/api/meta/intake'), false);
    } catch (e) { /* the stream tells */
    }
}

// Other parts of a page (the inbox on the 值班台: inbox.js) reload on the same event stream
// through onLiveChange(fn), so a page holds one stream.
const liveListeners = [];
function onLiveChange(fn) { liveListeners.push(fn); }

function liveUpdates(reload) {
  const live = $('live');
  let timer = null;
  const src = new EventSource('/api/events');
  src.addEventListener('hello', () => { live.className = 'live on'; live.textContent = '实时更新中'; });
  src.addEventListener('intake', (e) => {
      try {
          renderIntake(JSON.parse(e.data), true);
      } catch (err) { /* a malformed event: keep the banner */
      }
  });
  src.addEventListener('tickets', () => {
    clearTimeout(timer);
    timer = setTimeout(() => { reload(); for (const fn of liveListeners) fn(); }, 100);
  });
  src.onerror = () => { live.className = 'live off'; live.textContent = '连接中断，正在重连…'; };
  setInterval(tickClocks, 1000);
}

async function loadDepartments() {
  try {
    state.departments = (await api('GET', '/api/departments')).departments || [];
  } catch (e) {
    state.departments = [];
  }
}

function queueFilters() {
  const q = new URLSearchParams();
  for (const k of ['state', 'level', 'department', 'source']) {
    const f = $('f-' + k);
    if (f && f.value) q.set(k, f.value.trim());
  }
  return q;
}

function quickDutyActions(t) {
  if (!isActive(t)) return el('div', { class: 'actions' });
  return el('div', { class: 'actions' },
    el('a', { href: '/ticket?n=' + encodeURIComponent(t.number) }, '处理（交办 / 改派 / 调级 / 不予处置）'));
}

// Matched items that opened no ticket (GET /api/held-items, issue #11): posts published long
// before they were fetched (旧帖) and the government's own posts (政务发布), shown to the duty
// officer below the queue, newest first, without clocks, searchable (?q=: title, excerpt,
// channel, author or URL) and filtered by reason. Hidden while there are none at all or the
// server has no such list.
let heldShown = false, heldSeq = 0;
async function loadHeld() {
  const box = $('held-box');
  if (!box) return;
  const seq = ++heldSeq; // a later search wins over an earlier answer arriving late
  const q = new URLSearchParams();
  const text = $('held-q').value.trim();
  if (text) q.set('q', text);
  if ($('held-reason').value) q.set('reason', $('held-reason').value);
  let items;
  try {
    items = (await api('GET', '/api/held-items?' + q.toString())).items || [];
  } catch (e) {
    if (!heldShown) box.hidden = true;
    return;
  }
  if (seq !== heldSeq) return;
  if (items.length) heldShown = true;
  box.hidden = !heldShown;
  $('held-summary').textContent = items.length ? `共 ${items.length} 条` : '没有符合条件的信息';
  const heads = ['发现时间', '标题', '来源', '发布时间', '未立单原因', '级别'];
  $('held').replaceChildren(el('div', { class: 'scroll' }, el('table', { class: 'held' },
    el('thead', {}, el('tr', {}, heads.map((h) => el('th', {}, h)))),
    el('tbody', {}, items.map((h) => el('tr', { 'data-held': h.item_id || h.id },
      el('td', { 'data-label': heads[0], class: 'time' }, fmtTime(h.detected_at)),
      el('td', { 'data-label': heads[1], class: 'item-main' },
        linkable(h.url) ? safeLink(h.url, h.title || '（无标题）') : (h.title || '（无标题）')),
      el('td', { 'data-label': heads[2], class: 'item-channel' }, sourceText(h, h.source)),
      el('td', { 'data-label': heads[3], class: 'time' },
        h.published_at ? fmtTime(h.published_at) : '—',
        h.age_hours !== null && h.age_hours !== undefined && h.old ? el('div', { class: 'summary' }, `抓取时已发布 ${fmtSpan(h.age_hours * 3600e3)}`) : null),
      el('td', { 'data-label': heads[4], class: 'held-reason' }, h.reason_label || labelOf('held_reasons', h.reason) || '—'),
      el('td', { 'data-label': heads[5], class: 'level' }, h.level ? levelText(h) : '—')))))));
}

async function pageQueue(liaison) {
  const seen = new Set();
  let first = true;
  if (liaison) $('dept').textContent = `部门：${state.me.user.department || '—'}`;
  // the ticket states of the filter from the server's one table (issue #12), between the
  // page's two summary choices (待办 = every unsettled state, 全部)
  const stateSel = $('f-state');
  const states = labelList('states');
  if (stateSel && states.length) {
    stateSel.replaceChildren(stateSel.options[0],
      ...states.map((e) => el('option', { value: e.code }, e.label)),
      stateSel.options[stateSel.options.length - 1]);
    stateSel.value = '';
  }
  // the filters' words from the server's tables (the pages' own text is only a placeholder)
  for (const [id, kind] of [['f-level', 'levels'], ['held-reason', 'held_reasons']]) {
    for (const o of ($(id) ? $(id).options : [])) {
      const l = o.value && labelOf(kind, o.value);
      if (l) o.textContent = kind === 'levels' ? `${o.value} ${l}` : l;
    }
  }
  if (!liaison) {
      loadIntake();
      $('held-q').addEventListener('input', loadHeld);
      $('held-reason').addEventListener('change', loadHeld);
      await loadDepartments();
      const sel = $('f-department');
      for (const d of state.departments)
          sel.append(el('option', {value : d.name}, d.name));
  }
  const reload = async () => {
    if (!liaison) loadHeld();
    try {
      const q = queueFilters();
      const data = await api('GET', '/api/tickets?' + q.toString());
      const list = data.tickets || []; // in the server's order (docs/web.md), never re-sorted here
      $('summary').textContent = `共 ${list.length} 件，排序：最近时限优先，其次级别、热度、发现时间；时间为北京时间。`;
      const box = $('tickets');
      box.replaceChildren(...list.map((t) => ticketCard(t, {
        fresh: !first && !seen.has(t.number),
        actions: liaison ? liaisonActions : quickDutyActions,
      })));
      if (list.length === 0) box.append(el('p', { class: 'summary' }, '暂无交办单'));
      list.forEach((t) => seen.add(t.number));
      first = false;
      showError('');
    } catch (e) { showError(e.message); }
  };
  for (const k of ['state', 'level', 'department', 'source']) {
    const f = $('f-' + k);
    if (f) f.addEventListener(f.tagName === 'INPUT' ? 'input' : 'change', reload);
  }
  await reload();
  liveUpdates(reload);
}

// ------------------------------------------------------------ actions

async function act(number, action, args) {
  const data = await api('POST', `/api/tickets/${encodeURIComponent(number)}/${action}`, args);
  return data.ticket;
}

// A small form shown under the buttons; submit calls fn(values).
function actionForm(title, fields, submitLabel, fn) {
  const form = el('form', { class: 'panel', 'data-form': title });
  form.append(el('strong', {}, title));
  const inputs = {};
  for (const f of fields) {
    let input;
    if (f.options) {
      input = el('select', { name: f.name, required: f.required });
      for (const [v, label] of f.options) input.append(el('option', { value: v }, label));
    } else if (f.type === 'textarea') {
      input = el('textarea', { name: f.name, rows: 3, required: f.required });
    } else {
      input = el('input', { name: f.name, type: f.type || 'text', required: f.required, autocomplete: 'off' });
    }
    if (f.value !== undefined) input.value = f.value;
    inputs[f.name] = input;
    form.append(el('label', {}, f.label, input));
  }
  form.append(el('button', { type: 'submit' }, submitLabel),
    ' ', el('button', { type: 'button', class: 'secondary', onclick: () => form.remove() }, '取消'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const values = {};
    for (const [k, i] of Object.entries(inputs)) values[k] = i.value.trim();
    form.querySelector('button[type=submit]').disabled = true;
    try { await fn(values); form.remove(); showError(''); } catch (e) {
      showError(e.message);
      form.querySelector('button[type=submit]').disabled = false;
    }
  });
  return form;
}

// The current Beijing-time month by the server's clock, "YYYY-MM".
function beijingMonth() {
  return new Date(serverNow() + 8 * 3600e3).toISOString().slice(0, 7);
}

// Local datetime-local value (Beijing) <-> RFC 3339.
function beijingInputNow() {
  const d = new Date(serverNow() + 8 * 3600e3);
  return d.toISOString().slice(0, 16);
}
function beijingToIso(v) {
  return v ? new Date(Date.parse(v + ':00Z') - 8 * 3600e3).toISOString().replace('.000Z', 'Z') : undefined;
}

// Whether the ticket's state allows action: the server's transition table decides
// (t.next_actions, notifier/ticket_flow.c); the page never lists states itself.
function canDo(t, action) { return Array.isArray(t.next_actions) && t.next_actions.includes(action); }

function liaisonButtons(t, after) {
  const box = el('div', { class: 'actions' });
  const open = (form) => { box.querySelectorAll('form').forEach((f) => f.remove()); box.append(form); };
  const n = t.number;
  if (canDo(t, 'ack')) {
    box.append(el('button', {
      type: 'button', 'data-action': 'ack',
      onclick: async () => { try { await act(n, 'ack', {}); showError(''); after(); } catch (e) { showError(e.message); } },
    }, '签收'));
  }
  if (canDo(t, 'respond')) {
    box.append(el('button', {
      type: 'button', 'data-action': 'respond',
      onclick: () => open(actionForm('登记回应', [
        { name: 'channel', label: '回应渠道', options: labelList('response_channels').map((c) => [c.code, c.label]), required: true },
        { name: 'url', label: '链接（http/https，可空）', type: 'url' },
        { name: 'responded_at', label: '回应时间（北京时间）', type: 'datetime-local', value: beijingInputNow(), required: true },
        { name: 'note', label: '说明', type: 'textarea' },
      ], '保存回应', async (v) => {
        await act(n, 'respond', { channel: v.channel, url: v.url, responded_at: beijingToIso(v.responded_at), note: v.note });
        after();
      })),
    }, '登记回应'));
  }
  if (canDo(t, 'close')) {
    box.append(el('button', {
      type: 'button', 'data-action': 'close',
      onclick: () => open(actionForm('办结', [
        { name: 'result', label: '处置结果', type: 'textarea', required: true },
      ], '确认办结', async (v) => { await act(n, 'close', { result: v.result }); after(); })),
    }, '办结'));
  }
  if (canDo(t, 'return')) {
    box.append(el('button', {
      type: 'button', class: 'secondary', 'data-action': 'return',
      onclick: () => open(actionForm('退回值班员', [
        { name: 'reason', label: '退回原因（如：不属于本部门职责）', type: 'textarea', required: true },
      ], '确认退回', async (v) => { await act(n, 'return', { reason: v.reason }); after(); })),
    }, '退回'));
  }
  return box;
}

function liaisonActions(t) {
  return liaisonButtons(t, () => {});
}

// The 不予处置 button of a ticket (dutyButtons) or an event (inbox.js): on click, open(form) shows
// makeForm's form (actionForm or deskForm) of a reason from reasons (the server's list; a reason
// whose entry says so, e.g. 其他, requires the note) and a note, submitLabel on its button.
// Submitting checks the note (the error names reasonText(code)), awaits send(values), then after().
function dismissButton({ reasons, makeForm, submitLabel, reasonText, send, open, after }) {
  const needsNote = (code) => {
    const e = reasons.find((r) => r.code === code);
    return Boolean(e && (e.note_required ?? e.requires_note ?? e.code === 'other'));
  };
  return el('button', {
    type: 'button', class: 'danger', 'data-action': 'dismiss',
    onclick: () => {
      const form = makeForm('不予处置', [
        { name: 'reason', label: '原因', type: 'select', options: reasons.map((r) => [r.code, r.label]), required: true },
        { name: 'note', label: '说明', type: 'textarea' },
      ], submitLabel, async (v) => {
        if (needsNote(v.reason) && !v.note) {
          throw new Error(`原因为“${reasonText(v.reason)}”时须填写说明`);
        }
        await send(v);
        after();
      });
      const sel = form.querySelector('select[name="reason"]');
      const note = form.querySelector('textarea[name="note"]');
      const sync = () => { note.required = needsNote(sel.value); };
      sel.addEventListener('change', sync);
      sync();
      open(form);
    },
  }, '不予处置');
}

function dutyButtons(t, after) {
  const box = el('div', { class: 'actions' });
  const open = (form) => { box.querySelectorAll('form').forEach((f) => f.remove()); box.append(form); };
  const n = t.number;
  if (!isActive(t)) return box;
  const depts = state.departments.map((d) => [d.name, d.name]);
  if (canDo(t, 'assign')) box.append(el('button', {
    type: 'button', 'data-action': 'assign',
    onclick: () => open(actionForm(t.state === 'returned' || t.department ? '交办 / 改派' : '交办', [
      depts.length ? { name: 'department', label: '主办部门', options: depts, value: t.department, required: true }
        : { name: 'department', label: '主办部门', value: t.department, required: true },
      { name: 'note', label: '说明', type: 'textarea' },
    ], '确认交办', async (v) => { await act(n, 'assign', { department: v.department, note: v.note }); after(); })),
  }, t.state === 'returned' ? '重新交办' : '交办 / 改派'));
  const levels = labelList('levels');
  const levelOptions = levels.length ? levels.map((e) => [e.code, `${e.code} ${e.label}`]) : LEVEL_CODES.map((c) => [c, c]);
  if (canDo(t, 'set_level')) box.append(el('button', {
    type: 'button', class: 'secondary', 'data-action': 'set_level',
    onclick: () => open(actionForm('调整级别', [
      // the ticket's own level is no choice (the store refuses it: level_unchanged)
      { name: 'level', label: '调整为', options: levelOptions.filter(([c]) => c !== t.level) },
      { name: 'note', label: '理由', type: 'textarea' },
    ], '确认', async (v) => { await act(n, 'set_level', { level: v.level, note: v.note }); after(); })),
  }, '调整级别'));
  // the one list of dismiss reasons, from the server (a reason may require a note: 其他)
  const reasons = labelList('dismiss_reasons');
  if (canDo(t, 'dismiss')) box.append(dismissButton({
    reasons,
    makeForm: actionForm,
    submitLabel: '确认',
    reasonText: (code) => {
      const r = reasons.find((x) => x.code === code);
      return r ? r.label : code;
    },
    send: (v) => act(n, 'dismiss', { reason: v.reason, note: v.note }),
    open,
    after,
  }));
  return box;
}

// ---------------------------------------------------------------- ticket

// The name of rule id (the i-th of t.rules): from the ticket's rule_names (a list parallel to
// rules, or an id -> name object), else from an item that matched it (items carry rule_names
// parallel to their rules); '' when nobody knows it.
function ruleName(t, id, i) {
  const rn = t.rule_names;
  if (Array.isArray(rn) && typeof rn[i] === 'string' && rn[i] !== id) return rn[i];
  if (rn && !Array.isArray(rn) && typeof rn[id] === 'string') return rn[id];
  for (const it of t.items || []) {
    const k = (it.rules || []).indexOf(id);
    const name = k >= 0 && Array.isArray(it.rule_names) ? it.rule_names[k] : '';
    if (typeof name === 'string' && name && name !== id) return name;
  }
  return '';
}

// Issue #15: the 回应 found on the departments' own channels (t.proposals, docs/responses.md).
// A proposed one gets 确认回应 / 驳回 (POST .../confirm_response|reject_response with its
// proposal_id, CSRF as every action); the server decides who may (its role and department).
// 确认回应 only where ticket_flow allows it: a ticket held by a department and not settled
// (待签收, 已签收, 已回应; never 已退回, which is back with the duty officer); on a ticket still
// 待签收 only for the lead department's liaison or head, since confirming records its 签收
// (a co-handling department's get 403 there).
function mayConfirmResponse(t) {
  if (t.settled || t.state === 'returned') return false;
  if (t.state === 'open') {
    return ['liaison', 'head'].includes(state.me.user.role) && state.me.user.department === t.department;
  }
  return t.state === 'acknowledged' || t.state === 'responded';
}

function proposalSection(t, after) {
  const list = t.proposals || [];
  if (!list.length) return null;
  const may = state.me.permissions.duty_actions || state.me.permissions.liaison_actions;
  const pct = (v) => `${Math.round((v || 0) * 100)}%`;
  const items = list.map((p) => {
    const holder = el('div', { class: 'proposal-form' });
    const confirm = mayConfirmResponse(t) ? [
      el('button', { type: 'button', 'data-action': 'confirm_response', onclick: async (ev) => {
        ev.target.disabled = true;
        try { await act(t.number, 'confirm_response', { proposal_id: p.id, expected_version: t.version }); showError(''); after(); } catch (e) {
          showError(e.message); ev.target.disabled = false;
        }
      } }, '确认回应'), ' '] : [];
    const buttons = p.state === 'proposed' && may && !t.settled ? el('div', { class: 'actions' },
      ...confirm,
      el('button', { type: 'button', class: 'secondary', 'data-action': 'reject_response', onclick: () => {
        holder.replaceChildren(actionForm('驳回疑似回应', [{ name: 'note', label: '理由（可选）', type: 'textarea' }], '驳回',
          async (v) => { await act(t.number, 'reject_response', { proposal_id: p.id, note: v.note || null }); after(); }));
      } }, '驳回'),
      t.state === 'open' && !confirm.length ? el('span', { class: 'hint' }, '待部门签收后可确认回应') : null) : null;
    const decided = p.state !== 'proposed'
      ? `${p.state_label}${p.decided_by ? `（${p.decided_by === 'system' ? '系统自动' : p.decided_by}，${fmtTime(p.decided_at)}）` : ''}${p.note ? `：${p.note}` : ''}`
      : '待确认';
    return el('li', { class: `proposal proposal-${p.state}`, 'data-proposal': String(p.id) },
      el('div', {}, el('strong', {}, p.title || '（无标题）')),
      el('div', { class: 'meta' }, `${p.channel} · ${p.account || p.department || ''} · 发布 ${p.published_at ? fmtTime(p.published_at) : '时间不详'} · `,
        p.url ? safeLink(p.url, '原文') : null),
      el('div', { class: 'meta', title: '得分 = 0.5×关键词 + 0.2×内容相似 + 0.3×标题相似（默认权重，见 docs/responses.md）' },
        `相关度 ${pct(p.score)}（关键词 ${pct(p.parts && p.parts.terms)}、内容相似 ${pct(p.parts && p.parts.simhash)}、标题相似 ${pct(p.parts && p.parts.title)}）`,
        (p.terms || []).length ? `；命中：${p.terms.join('、')}` : ''),
      el('div', { class: 'state' }, decided),
      buttons, holder);
  });
  return el('section', { class: 'card proposals' }, el('h2', {}, '疑似回应（官方渠道发现）'),
    el('p', { class: 'hint' }, '以下为相关部门官方账号或网站发布的内容，系统判断可能是对本事件的回应。确认后登记为回应（标注“自动发现”），回应时间为其发布时间。'),
    el('ul', { class: 'proposal-list' }, items));
}

async function pageTicket() {
  const params = new URLSearchParams(location.search);
  const number = params.get('n') || params.get('number') || ''; // notifications link ?number=
  if (state.me.permissions.duty_actions) await loadDepartments();
  const render = async () => {
    let t;
    try {
      t = (await api('GET', '/api/tickets/' + encodeURIComponent(number))).ticket;
    } catch (e) { showError(e.message); return; }
    showError('');
    document.title = `${t.number} · 舆情`;
    $('title').textContent = `交办单 ${t.number}`;
    const level = levelClass(t);
    const clocks = el('table', { class: 'clocks' },
      el('thead', {}, el('tr', {}, el('th', {}, '时限'), el('th', {}, '截止（北京时间）'), el('th', {}, '状态'))),
      el('tbody', {}, (t.clocks || []).map((c) => {
        const ck = clockStatus(c, t);
        return el('tr', { 'data-clock': c.name, 'data-running': ck.deadline ? '1' : '0' },
          el('td', { 'data-label': '时限', class: 'clock-name' }, clockName(c)),
          el('td', { 'data-label': '截止', class: 'deadline' }, fmtTime(c.deadline)),
          el('td', { 'data-label': '状态' },
            el('span', { class: `urgency ${ck.cls}`, 'data-deadline': ck.deadline }, ck.text)));
      })));
    const items = el('table', { class: 'items' },
      el('thead', {}, el('tr', {}, el('th', {}, '标题'), el('th', {}, '来源'), el('th', {}, '作者'),
        el('th', {}, '发布时间'), el('th', {}, '链接'))),
      el('tbody', {}, (t.items || []).map((it) => el('tr', { class: 'item' },
        el('td', { 'data-label': '标题', class: 'item-main' }, el('div', { class: 'item-title' }, it.title || '（无标题）'),
          it.excerpt ? el('div', { class: 'excerpt' }, highlight(it.excerpt, it.terms)) : null),
        el('td', { 'data-label': '来源', class: 'item-channel' },
          sourceText(it, it.source)),
        el('td', { 'data-label': '作者', class: 'item-author' }, it.author || '—'),
        el('td', { 'data-label': '发布时间', class: 'item-time' }, fmtTime(it.published_at)),
        el('td', { 'data-label': '链接', class: 'item-link' }, safeLink(it.url, linkable(it.url) ? '原文' : null))))));
    // the log in words: the API's Chinese text of each entry (the codes stay in the API)
    const log = el('ol', { class: 'log' }, (t.log || []).map((l) => el('li', {},
      el('span', { class: 'at' }, fmtTime(l.at)), ' ',
      l.text ? el('span', { class: 'text' }, l.text)
        : el('span', { class: 'text' }, el('strong', {}, labelOf('log_actions', l.action, l.action_label) || '处置'),
          ' · ', l.actor || '', l.note ? `：${l.note}` : ''))));
    const rules = (t.rules || []).map((r, i) => (r && typeof r === 'object'
      ? { id: r.id || r.rule_id || '', name: r.name || r.label || '' }
      : { id: String(r), name: ruleName(t, r, i) }));
    const ruleList = rules.length ? rules.flatMap((r, i) => [i ? '、' : '',
      el('span', { class: 'rule', title: r.id ? `规则编号 ${r.id}` : null }, r.name || r.id)]) : ['—'];
    const dismissLabel = t.dismiss_reason
      ? labelOf('dismiss_reasons', t.dismiss_reason, t.dismiss_reason_label) || t.dismiss_reason : '';
    const after = () => render();
    const actions = [];
    if (state.me.permissions.duty_actions) actions.push(dutyButtons(t, after));
    if (state.me.permissions.liaison_actions) actions.push(liaisonButtons(t, after));
    $('ticket').replaceChildren(...[
      el('section', { class: `card ticket-detail level-${level}` },
        el('h2', { class: 'title' }, t.title || '（无标题）'),
        // issue #10: matched while the matcher could not check its rule version against Redis
        t.rules_unverified ? el('p', { class: 'notice rules-unverified', role: 'note' },
          `规则版本未核验（最后核验 ${t.rules_checked_at ? fmtTime(t.rules_checked_at) + ' 北京时间' : '时间不明'}）`) : null,
        el('dl', { class: 'kv' },
          el('dt', {}, '级别'), el('dd', {}, el('span', { class: `badge level-${level}` }, levelText(t))),
          el('dt', {}, '状态'), el('dd', { class: 'state' }, stateText(t)),
          el('dt', {}, '主办部门'), el('dd', { class: 'department' }, t.department || '未交办'),
          el('dt', {}, '协办部门'), el('dd', {}, (t.co_departments || []).join('、') || '—'),
          el('dt', {}, '发现时间'), el('dd', {}, fmtTime(t.detected_at)),
          el('dt', {}, '信息条数'), el('dd', {}, String(t.item_count)),
          // issue #13: the event the ticket was opened from (its page: charts, accounts, 研判)
          t.event_id && state.me.permissions.duty_actions ? el('dt', {}, '舆情事件') : null,
          t.event_id && state.me.permissions.duty_actions ? el('dd', { class: 'event-link' },
            el('a', { href: '/event?id=' + encodeURIComponent(t.event_id) }, '查看事件页（研判记录、走势、平台分布）')) : null,
          el('dt', {}, '命中规则'), el('dd', { class: 'rules' }, ...ruleList),
          dismissLabel ? el('dt', {}, '不予处置原因') : null,
          dismissLabel ? el('dd', { class: 'dismiss-reason' }, dismissLabel,
            t.dismiss_note ? `（${t.dismiss_note}）` : '') : null),
        ...actions),
      el('section', { class: 'card' }, el('h2', {}, '时限'), el('div', { class: 'scroll' }, clocks)),
      el('section', { class: 'card' }, el('h2', {}, '信息'), el('div', { class: 'scroll' }, items)),
      proposalSection(t, after),
      (t.responses || []).length ? el('section', { class: 'card' }, el('h2', {}, '回应'),
        el('ul', {}, t.responses.map((r) => el('li', { class: r.detected ? 'detected' : null },
          `${fmtTime(r.responded_at)} ${r.channel} `,
          r.url ? safeLink(r.url) : null, r.note ? `：${r.note}` : '',
          r.detected ? el('span', { class: 'badge detected', title: '由官方渠道发布自动发现，经确认登记' }, '自动发现') : null)))) : null,
      el('section', { class: 'card' }, el('h2', {}, '处置记录（不可修改）'), log)].filter(Boolean));
  };
  await render();
  const src = new EventSource('/api/events');
  src.addEventListener('tickets', () => render());
  setInterval(tickClocks, 1000);
}

// --------------------------------------------------------------- sources

async function pageSources() {
  let data;
  try { data = await api('GET', '/api/sources'); } catch (e) { showError(e.message); return; }
  if (!data.enabled) { $('sources').textContent = '未启用信息源状态（web.sources_enabled）。'; return; }
  if (!data.redis_up) showError('无法连接 Redis，信息源状态可能不完整。');
  const day = 24 * 3600e3;
  $('sources').replaceChildren(el('div', { class: 'scroll' }, el('table', { class: 'sources' },
    el('thead', {}, el('tr', {}, ['信息源', '最近成功', '最近错误', '连续失败', '最近条数', '近24小时信息数', 'HTTP 状态', '判断']
      .map((h) => el('th', {}, h)))),
    el('tbody', {}, (data.sources || []).map((s) => {
      const okAge = s.last_success ? serverNow() - Date.parse(s.last_success) : Infinity;
      const blind = s.blind_now || []; // issue #15: its blind windows open now (监测盲区)
      const bad = (s.consecutive_failures || 0) > 0 || okAge > day || blind.length > 0;
      const kind = labelOf('source_kinds', s.kind, s.kind_label);
      const err = sourceError(s);
      return el('tr', { class: bad ? 'source-bad' : 'source-ok', 'data-source': s.id },
        el('td', { 'data-label': '信息源', class: 'source-name', title: `编号 ${s.id}` },
          s.name || s.label || s.id, kind ? el('div', { class: 'summary' }, kind) : null),
        el('td', { 'data-label': '最近成功', class: 'time' }, s.last_success ? fmtTime(s.last_success) : '从未'),
        el('td', { 'data-label': '最近错误', class: 'source-error', title: err.detail || null }, err.text),
        el('td', { 'data-label': '连续失败', class: 'n' }, String(s.consecutive_failures || 0)),
        el('td', { 'data-label': '最近条数', class: 'n' }, s.items_last_seen === undefined ? '—' : String(s.items_last_seen)),
        el('td', { 'data-label': '近24小时信息数', class: 'n items-24h' }, s.items_24h === undefined ? '—' : String(s.items_24h)),
        el('td', { 'data-label': 'HTTP 状态', class: 'n' }, s.last_status || '—'),
        el('td', { 'data-label': '判断', class: `verdict ${bad ? 'bad' : 'good'}` }, bad ? '异常' : '正常',
          ...blind.map((w) => el('span', { class: 'badge marker blind', title: w.renew ? `需要更新：${w.renew}` : (w.detail || null) },
            `监测盲区：${labelOf('blind_reasons', w.reason, w.reason_label) || '未知'}`))));
    })))));
}

// A source's last error in words: "2026-12-05 04:33 不是订阅源（收到的是网页）": the time in
// Beijing time and the error's label, from the API's display fields (last_error_at,
// error_code, error_label; GET /api/sources) or, from an older API, parsed out of the stored
// "<UTC time> <code>: <detail>" (collectors/store.c) with the source_errors table. A code
// without a label shows as 采集出错; the (English) detail is only the cell's tooltip.
function sourceError(s) {
  const raw = String(s.last_error || '');
  if (!raw && !s.error_label) return { text: '—', detail: '' };
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z)\s+([a-z_]+):\s*(.*)$/.exec(raw);
  const at = s.last_error_at || (m ? m[1] : '');
  const code = s.error_code || (m ? m[2] : '') || (s.state && s.state !== 'ok' ? s.state : '');
  let label = labelOf('source_errors', code, s.error_label);
  if (!label || label === code) label = '采集出错';
  const detail = s.error_detail ?? (m ? m[3] : raw);
  return { text: [at ? fmtTime(at) : '', label].filter(Boolean).join(' '), detail };
}

// ----------------------------------------------------------------- rules

async function pageRules() {
  // the source kinds by their labels (one entry per label: RSS, Atom and JSON feeds are all 网站)
  const kinds = labelList('source_kinds').filter((k, i, all) => all.findIndex((x) => x.label === k.label) === i);
  if (kinds.length) $('t-source').replaceChildren(...kinds.map((k) => el('option', { value: k.code }, k.label)));
  try {
    const rs = await api('GET', '/api/rules');
    $('rules-head').textContent = `当前版本 ${rs.version}，推送人 ${rs.pushed_by || '—'}，` +
      `推送时间 ${fmtTime(rs.pushed_at)}，共 ${(rs.rules || []).length} 条规则。`;
    $('rules').replaceChildren(el('div', { class: 'scroll' }, el('table', { class: 'rules' },
      el('thead', {}, el('tr', {}, ['名称', '编号', '分组', '主办部门', '级别', '范围', '表达式'].map((h) => el('th', {}, h)))),
      el('tbody', {}, (rs.rules || []).map((r) => el('tr', { 'data-rule': r.id },
        el('td', { 'data-label': '名称', class: 'rule-name' }, r.name || r.id),
        el('td', { 'data-label': '编号', class: 'rule-id' }, r.id),
        el('td', { 'data-label': '分组' }, r.group || '—'), el('td', { 'data-label': '部门' }, r.department),
        el('td', { 'data-label': '级别', class: 'level' }, levelText(r)),
        el('td', { 'data-label': '范围', class: 'scope' }, labelOf('rule_scopes', r.scope, r.scope_label) || r.scope),
        el('td', { 'data-label': '表达式', class: 'expr' }, el('code', {}, r.expr))))))));
  } catch (e) { showError(e.message); }
  $('rule-test').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/api/rules/test', {
        title: $('t-title').value, text: $('t-text').value, source: $('t-source').value,
      });
      const box = $('rule-result');
      if (r.excluded_by) { box.replaceChildren(el('p', { class: 'bad' }, `被排除词“${r.excluded_by}”排除，不会告警。`)); return; }
      if (!r.matches.length) { box.replaceChildren(el('p', {}, `规则集版本 ${r.version}：没有规则命中。`)); return; }
      box.replaceChildren(el('p', {}, `规则集版本 ${r.version}：命中 ${r.matches.length} 条规则。`),
        el('ul', {}, r.matches.map((m) => el('li', {},
          el('strong', { title: `规则编号 ${m.rule_id}` }, m.name || m.rule_id), `（${levelText(m)}，${m.department}）`,
          el('div', {}, '表达式：', el('code', {}, m.expr)),
          el('div', {}, '命中词：', m.hits.map((h) => `${h.term}（${labelOf('rule_scopes', h.field) || '正文'} ${h.start}–${h.end}）`).join('、'))))));
      showError('');
    } catch (e) { showError(e.message); }
  });
}

// ----------------------------------------------------------------- admin

async function pageAdmin() {
  // the roles' words from the server's table (the page's own text is only a placeholder)
  for (const o of $('u-role').options) o.textContent = labelOf('roles', o.value) || o.textContent;
  const render = async () => {
    const [u, d] = await Promise.all([api('GET', '/api/users'), api('GET', '/api/departments')]);
    state.departments = d.departments;
    const sel = $('u-dept');
    sel.replaceChildren(el('option', { value: '' }, '（无）'), ...d.departments.map((x) => el('option', { value: x.name }, x.name)));
    $('departments').replaceChildren(el('div', { class: 'scroll' }, el('table', {},
      el('thead', {}, el('tr', {}, ['部门', '负责人', '联络员', ''].map((h) => el('th', {}, h)))),
      el('tbody', {}, d.departments.map((x) => el('tr', {},
        el('td', { 'data-label': '部门' }, x.name), el('td', { 'data-label': '负责人' }, x.head || '—'),
        el('td', { 'data-label': '联络员' }, (x.liaisons || []).join('、') || '—'),
        el('td', {}, el('button', {
          type: 'button', class: 'secondary',
          onclick: async () => { try { await api('DELETE', '/api/departments/' + encodeURIComponent(x.name)); await render(); } catch (e) { showError(e.message); } },
        }, '删除'))))))));
    $('users').replaceChildren(el('div', { class: 'scroll' }, el('table', {},
      el('thead', {}, el('tr', {}, ['用户名', '姓名', '角色', '部门', '状态', ''].map((h) => el('th', {}, h)))),
      el('tbody', {}, u.users.map((x) => el('tr', {},
        el('td', { 'data-label': '用户名' }, x.username), el('td', { 'data-label': '姓名' }, x.display_name || '—'),
        el('td', { 'data-label': '角色' }, labelOf('roles', x.role) || x.role), el('td', { 'data-label': '部门' }, x.department || '—'),
        el('td', { 'data-label': '状态' }, x.disabled ? '已停用' : x.must_change_password ? '待改初始密码' : '正常'),
        el('td', {}, el('button', {
          type: 'button', class: 'secondary',
          onclick: async () => { try { await api('PATCH', '/api/users/' + encodeURIComponent(x.username), { disabled: !x.disabled }); await render(); } catch (e) { showError(e.message); } },
        }, x.disabled ? '启用' : '停用'))))))));
  };
  $('dept-add').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try { await api('POST', '/api/departments', { name: $('d-name').value.trim(), head: $('d-head').value.trim() }); ev.target.reset(); await render(); showError(''); } catch (e) { showError(e.message); }
  });
  $('user-add').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', '/api/users', {
        username: $('u-name').value.trim(), display_name: $('u-display').value.trim(), role: $('u-role').value,
        department: $('u-dept').value || undefined, password: $('u-pass').value, must_change_password: true,
      });
      ev.target.reset(); await render(); showError('');
    } catch (e) { showError(e.message); }
  });
  $('token-add').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/api/users/' + encodeURIComponent($('k-user').value.trim()) + '/tokens',
        { name: $('k-name').value.trim(), ttl_days: parseInt($('k-days').value || '0', 10) });
      $('token-out').textContent = `令牌（只显示这一次）：${r.token}`;
      showError('');
    } catch (e) { showError(e.message); }
  });
  try { await render(); } catch (e) { showError(e.message); }
}

// ------------------------------------------------------- login, password

function pageLogin() {
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      state.me = await api('POST', '/api/login', { username: $('username').value.trim(), password: $('password').value });
      const next = new URLSearchParams(location.search).get('next');
      let dest = state.me.permissions.duty_actions ? '/' : '/liaison';
      if (state.me.user.must_change_password) dest = '/password';
      else if (next && /^\/(?!\/)[A-Za-z0-9/?=&%._-]*$/.test(next) && !next.startsWith('/login')) dest = next;
      location.assign(dest);
    } catch (e) { showError(e.message); }
  });
}

function pagePassword() {
  $('must-change').hidden = !state.me.user.must_change_password;
  $('password-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if ($('new1').value !== $('new2').value) { showError('两次输入的新密码不一致'); return; }
    try {
      await api('POST', '/api/password', { old_password: $('old').value, new_password: $('new1').value });
      location.assign(state.me.permissions.duty_actions ? '/' : '/liaison');
    } catch (e) { showError(e.message); }
  });
}

// ----------------------------------------------------------------- stats

// "75.0%" or "—" (nothing was due).
function fmtPct(v) {
  return v === null || v === undefined ? '—' : `${Number(v).toFixed(1)}%`;
}

// A duration in seconds floored to the minute, the reports' one form (stats_fmt_dur() in
// stats/stats_fmt.c): "42分", "3小时05分", from a day on "1天6小时05分"; negative: "-" and the form.
function fmtDuration(s) {
  if (s === null || s === undefined) return '—';
  const m = Math.floor(Math.abs(s) / 60), sign = s < 0 && m > 0 ? '-' : '';
  const d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mm = String(m % 60).padStart(2, '0');
  if (d > 0) return `${sign}${d}天${h}小时${mm}分`;
  if (h > 0) return `${sign}${h}小时${mm}分`;
  return `${sign}${m % 60}分`;
}

function numCell(label, v) { return el('td', { class: 'n', 'data-label': label }, String(v)); }

function statsTable(heads, rows) {
  return el('table', { class: 'figures' },
    el('thead', {}, el('tr', {}, heads.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows));
}

function carryTable(data) {
  const c = data.carry_over;
  const unit = data.period === 'year' ? '年' : '月';
  const heads = [`上${unit}结转`, `本${unit}新增`, '其中新交办', '其中重新办理', `本${unit}办结`, `本${unit}不予处置`,
    '其中未签收即办结或不予处置', `结转下${unit}`, '其中期末未签收'];
  const vals = [c.carried_in, c.added, c.detected, c.reopened, c.closed, c.dismissed, c.settled_unacknowledged,
    c.carried_out, c.unacknowledged_at_end];
  return statsTable(heads, [el('tr', { class: 'total' }, vals.map((v, i) => numCell(heads[i], v)))]);
}

function identityText(data) {
  const c = data.carry_over;
  const u = data.period === 'year' ? '年' : '月';
  const words = `上${u}结转 + 本${u}新增 = 本${u}办结 + 本${u}不予处置 + 结转下${u}`;
  const sums = `${c.carried_in} + ${c.added} = ${c.closed} + ${c.dismissed} + ${c.carried_out}`;
  return `${words}：${sums}（${c.balanced ? '平衡' : '不平衡，请检查数据'}）`;
}

const DEPT_HEADS = ['责任单位', '办理件数', '新交办', '签收及时率', '回应率', '及时回应率', '办结率',
  '按期办结率', '超期件数', '签收用时 中位/P90/平均', '首次回应用时 中位/P90/平均', '办结用时 中位/P90/平均',
  '未签收即办结或不予处置', '期末未签收'];

// Issue #11 (review): the department table fits a 1,400 px page: two header rows, grouped
// (件数 / 比率 / 用时 / 未签收), short headings whose full names are their tooltips (and the cells'
// data-label on a phone), the unit's name on one line, each of median / P90 / mean on its line.
const DEPT_GROUPS = [['责任单位', 1, DEPT_HEADS[0]], ['件数', 2], ['比率', 5], ['超期件数', 1, DEPT_HEADS[8]],
  ['用时（中位 / P90 / 平均）', 3], ['未签收', 2]];
const DEPT_SHORT = [null, '办理', '新交办', '签收及时', '回应', '及时回应', '办结', '按期办结', null,
  '签收', '首次回应', '办结', '即办结或不予处置', '至期末'];

function departmentHead() {
  const top = DEPT_GROUPS.map(([text, span, full]) => (span === 1
    ? el('th', { rowspan: 2, scope: 'col', class: full === DEPT_HEADS[0] ? 'key' : null, title: full }, text)
    : el('th', { colspan: span, scope: 'colgroup', class: 'group' }, text)));
  const sub = DEPT_SHORT.flatMap((t, i) => (t ? [el('th', { scope: 'col', title: DEPT_HEADS[i] }, t)] : []));
  return el('thead', {}, el('tr', {}, top), el('tr', {}, sub));
}

function departmentTable(rows) {
  return el('table', { class: 'figures departments' }, departmentHead(), el('tbody', {}, rows));
}

function durationCell(label, sum) {
  if (!sum || !sum.n) return numCell(label, '—');
  const parts = [sum.median_s, sum.p90_s, sum.mean_s].map((v) => el('span', { class: 'dur' }, fmtDuration(v)));
  return el('td', { class: 'n durations', 'data-label': label }, parts[0], ' / ', parts[1], ' / ', parts[2]);
}

function departmentRow(r, total) {
  const k = r.clocks;
  const cells = [
    el('td', { 'data-label': DEPT_HEADS[0], class: 'key' }, total ? '合计' : r.key || '（未交办）'),
    numCell(DEPT_HEADS[1], r.carried_in + r.added),
    numCell(DEPT_HEADS[2], r.detected),
    numCell(DEPT_HEADS[3], fmtPct(k.ack.on_time_pct)),
    numCell(DEPT_HEADS[4], fmtPct(k.response.met_pct)),
    numCell(DEPT_HEADS[5], fmtPct(k.response.on_time_pct)),
    numCell(DEPT_HEADS[6], fmtPct(k.close.met_pct)),
    numCell(DEPT_HEADS[7], fmtPct(k.close.on_time_pct)),
    numCell(DEPT_HEADS[8], r.overdue_tickets),
    durationCell(DEPT_HEADS[9], r.mtta),
    durationCell(DEPT_HEADS[10], r.ttr),
    durationCell(DEPT_HEADS[11], r.ttc),
    numCell(DEPT_HEADS[12], r.settled_unacknowledged),
    numCell(DEPT_HEADS[13], r.unacknowledged_at_end),
  ];
  return el('tr', { class: total ? 'total' : null, 'data-department': total ? null : r.key }, cells);
}

function overdueTable(list) {
  if (!list.length) return el('p', { class: 'summary' }, '本期无超期。');
  const heads = ['编号', '标题', '级别', '责任单位', '时限', '截止（北京时间）', '完成', '超时'];
  return statsTable(heads, list.map((o) => el('tr', {},
    el('td', { 'data-label': heads[0] }, el('a', { href: '/ticket?n=' + encodeURIComponent(o.number) }, o.number)),
    el('td', { 'data-label': heads[1] }, o.title || '（无标题）'),
    el('td', { 'data-label': heads[2] }, levelText(o)),
    el('td', { 'data-label': heads[3] }, o.department || '（未交办）'),
    el('td', { 'data-label': heads[4] }, labelOf('clocks', o.clock, o.clock_label) || '时限'),
    el('td', { 'data-label': heads[5] }, fmtTime(o.deadline)),
    el('td', { 'data-label': heads[6] }, o.met_at ? fmtTime(o.met_at) : '未完成'),
    el('td', { 'data-label': heads[7], class: 'bad' }, fmtDuration(o.late_minutes * 60)))));
}

// The year's figures for the 政府信息公开工作年度报告 (docs/statistics.md): the tickets detected
// in the year followed to the cut-off, and the responses recorded in the year.
function annualFigures(data) {
  const co = data.cohort || {};
  const figures = [
    ['detected', '监测发现', co.detected, '件'], ['handed_over', '交办', co.handed_over, '件'],
    ['responded', '已回应', co.responded, '件'], ['on_time', '按时回应', co.responded_on_time, '件'],
    ['press', '新闻发布会', data.press_conferences, '次'], ['responses', '公开回应', data.responses, '次'],
  ];
  return figures.map(([key, label, v, unit]) => el('div', { 'data-figure': key },
    el('dt', {}, label), el('dd', {}, `${v === undefined || v === null ? '—' : v} ${unit}`)));
}

// The 研判 figures (issue #13, docs/statistics.md): time to 研判, outcomes and, per rule group,
// the share judged 误报 or 与本地无关 (噪声率) and the rule's precision. The reasons' labels
// are the report's (the one dismiss-reason table of tickets and events).
function judgingSection(j) {
  if (!j || !j.available) return [el('p', { class: 'summary' }, (j && j.note) || '无研判数据。')];
  const count = (list, name) => ((list || []).find((o) => o.name === name) || {}).count || 0;
  const reason = (name) => ((j.dismissed_by_reason || []).find((o) => o.name === name) || {}).label || name;
  const heads = ['规则分组', '已研判', '交办', '并入', '持续关注', '不予处置',
    `噪声（${reason('false_alarm')}+${reason('irrelevant')}）`, '噪声率', '精确率'];
  const row = (key, t, cls) => el('tr', { class: cls }, [
    el('td', { 'data-label': heads[0], class: 'key' }, key),
    numCell(heads[1], t.judged),
    ...['assigned', 'merged', 'watching', 'dismissed'].map((n, i) => numCell(heads[2 + i], count(t.by_outcome, n))),
    numCell(heads[6], t.noise), numCell(heads[7], fmtPct(t.noise_pct)), numCell(heads[8], fmtPct(t.precision_pct))]);
  const cf = j.carried_forward || {};
  const time = (label, s) => el('p', { class: 'summary' }, `${label}：` + (s && s.n
    ? `中位 ${fmtDuration(s.median_s)}，P90 ${fmtDuration(s.p90_s)}，平均 ${fmtDuration(s.mean_s)}（${s.n} 件）` : '—'));
  return [
    time('研判用时（发现至首次研判）', j.time),
    time('确认用时（即时交办至确认）', j.auto_time),
    statsTable(heads, [...(j.rule_groups || []).map((g) => row(g.key, g, null)), row('合计', j, 'total')]),
    el('p', { class: 'summary' }, `期末待研判 ${cf.pending || 0} 件（其中超过研判时限 ${cf.pending_overdue || 0} 件），` +
      `交办待确认 ${cf.awaiting_confirmation || 0} 件。`),
  ];
}

// Issue #15: the annex 监测盲区 (docs/statistics.md): per source hours blind, longest gap,
// reasons with their hours, windows; a total line; or the note why there is none.
function blindAnnex(b) {
  if (!b || b.note) return [el('p', { class: 'summary' }, (b && b.note) || '无监测盲区数据')];
  const list = b.sources || [];
  if (!list.length) return [el('p', { class: 'summary' }, '本期各信息源无监测盲区。')];
  const heads = ['信息源', '盲区时长（小时）', '最长一段（小时）', '原因（小时）', '盲区次数'];
  const h = (v) => Number(v || 0).toFixed(1);
  const row = (s) => el('tr', { 'data-source': s.source_id },
    el('td', { 'data-label': heads[0], class: 'key', title: `编号 ${s.source_id}` }, s.name + (s.open ? '（持续中）' : '')),
    numCell(heads[1], h(s.hours)), numCell(heads[2], h(s.longest_hours)),
    el('td', { 'data-label': heads[3] }, (s.reasons || []).map((r) => `${labelOf('blind_reasons', r.reason, r.label)} ${h(r.hours)}`).join('、')),
    numCell(heads[4], s.windows));
  const t = b.total || {};
  return [statsTable(heads, [...list.map(row), el('tr', { class: 'total' },
    el('td', { 'data-label': heads[0], class: 'key' }, `合计（${t.sources || 0} 个信息源）`),
    numCell(heads[1], h(t.hours)), numCell(heads[2], h(t.longest_hours)), el('td', {}, ''), numCell(heads[4], t.windows || 0))])];
}

function renderStats(data) {
  const year = data.period === 'year';
  $('s-annual-card').hidden = !year;
  $('s-annual').replaceChildren(...(year ? annualFigures(data) : []));
  const scope = data.department ? `责任单位：${data.department}` : '全部责任单位';
  $('s-window').textContent = `统计期间 ${fmtTime(data.window.start)} 至 ${fmtTime(data.window.end)}（北京时间），` +
    `数据截至 ${fmtTime(data.cutoff)}；${scope}。`;
  $('s-bulletin').textContent = data.bulletin || '';
  $('s-carry').replaceChildren(carryTable(data));
  $('s-identity').textContent = identityText(data);
  $('s-identity').className = data.carry_over.balanced ? 'identity' : 'identity bad';
  const rows = (data.by && data.by.department) || [];
  $('s-departments').replaceChildren(departmentTable(
    [...rows.map((r) => departmentRow(r, false)), departmentRow(data.total, true)]));
  const zero = data.zero_response_departments || [];
  $('s-zero').replaceChildren(zero.length
    ? el('ul', { class: 'zero' }, zero.map((d) => el('li', { class: 'bad' }, d)))
    : el('p', { class: 'summary' }, '无（有应回应舆情的单位均已回应）。'));
  $('s-overdue').replaceChildren(overdueTable(data.overdue || []));
  $('s-judging').replaceChildren(...judgingSection(data.judging));
  $('s-blind').replaceChildren(...blindAnnex(data.blind_spots));
  const det = data.responses_detected;
  $('s-responses-detected').textContent = det === null || det === undefined ? ''
    : `回应 ${data.responses} 次，其中自动发现 ${Math.min(det, data.responses)} 次、人工录入 ${Math.max(0, data.responses - det)} 次。`;
  $('s-definitions').replaceChildren(...(data.definitions || []).flatMap((d) =>
    [el('dt', {}, d.term), el('dd', {}, d.text)]));
  // the department chart grows with its rows (set through the CSSOM, which the CSP allows)
  $('chart-departments').style.height = `${Math.max(200, 60 + rows.length * 36)}px`;
  const note = $('s-charts-note');
  if (window.yqStatsCharts && typeof echarts !== 'undefined') {
    note.hidden = true;
    window.yqStatsCharts.render(data, document);
  } else {
    note.textContent = '图表组件未随本程序构建（构建时缺少 node_modules/echarts），仅显示表格。';
    note.hidden = false;
  }
}

// issue #11: the month is chosen with two selects whose options are labelled in Chinese
// (2026年, 12月), not <input type="month">, whose text follows the browser's locale (an
// English month in headless Chromium). The picker behaves like the input it replaces: value
// "YYYY-MM" ('' while unset), a 'change' event when either select changes. Years: the ten up
// to the current Beijing-time one, plus any year set through value; months after the current
// one are disabled (a year change that would land on one shows the current month).
function monthPicker(yearSel, monthSel) {
  const now = beijingMonth();
  const addYear = (y) => {
    if ([...yearSel.options].some((o) => o.value === y)) return;
    const opt = el('option', { value: y }, `${Number(y)}年`);
    const after = [...yearSel.options].find((o) => o.value > y);
    yearSel.insertBefore(opt, after || null);
  };
  const limit = () => {
    if (`${yearSel.value}-${monthSel.value}` > now) monthSel.value = now.slice(5, 7);
    for (const o of monthSel.options) o.disabled = `${yearSel.value}-${o.value}` > now;
  };
  for (let y = Number(now.slice(0, 4)) - 9; y <= Number(now.slice(0, 4)); y++) addYear(String(y));
  for (let m = 1; m <= 12; m++) monthSel.append(el('option', { value: String(m).padStart(2, '0') }, `${m}月`));
  yearSel.addEventListener('change', limit);
  monthSel.addEventListener('change', limit);
  return {
    get value() { return yearSel.value && monthSel.value ? `${yearSel.value}-${monthSel.value}` : ''; },
    set value(v) {
      if (!/^\d{4}-\d{2}$/.test(v || '')) return;
      addYear(v.slice(0, 4));
      yearSel.value = v.slice(0, 4);
      monthSel.value = v.slice(5, 7);
      limit();
    },
    addEventListener(type, fn) { yearSel.addEventListener(type, fn); monthSel.addEventListener(type, fn); },
  };
}

async function pageStats() {
  const role = state.me.user.role;
  const own = role === 'liaison' || role === 'head';
  const monthInput = monthPicker($('s-month-year'), $('s-month-month'));
  const deptSelect = $('s-department');
  const params = new URLSearchParams(location.search);
  if (own) {
    $('s-own-department').textContent = `责任单位：${state.me.user.department || '—'}（仅本单位）`;
  } else {
    $('s-department-box').hidden = false;
    await loadDepartments();
    for (const d of state.departments) deptSelect.append(el('option', { value: d.name }, d.name));
    const want = params.get('department');
    if (want) {
      if (![...deptSelect.options].some((o) => o.value === want)) deptSelect.append(el('option', { value: want }, want));
      deptSelect.value = want;
    }
  }
  // the month asked for, else the current Beijing-time month (issue #11: not the previous one)
  if (/^\d{4}-\d{2}$/.test(params.get('month') || '')) monthInput.value = params.get('month');
  else monthInput.value = beijingMonth();
  // month or year view (?year=YYYY opens the year); the year defaults to the shown month's
  const yearInput = $('s-year');
  let period = /^\d{4}$/.test(params.get('year') || '') ? 'year' : 'month';
  if (period === 'year') yearInput.value = params.get('year');
  const setPeriod = (p) => {
    period = p;
    for (const r of document.querySelectorAll('input[name="s-period"]')) r.checked = r.value === p;
    $('s-month-box').hidden = p !== 'month';
    $('s-year-box').hidden = p !== 'year';
    if (p === 'year' && !yearInput.value) {
      const beijing = new Date(serverNow() + 8 * 3600000);
      yearInput.value = monthInput.value ? monthInput.value.slice(0, 4) : String(beijing.getUTCFullYear());
    }
  };
  setPeriod(period);
  const query = (format) => {
    const q = new URLSearchParams();
    if (period === 'year') q.set('year', yearInput.value);
    else if (monthInput.value) q.set('month', monthInput.value);
    if (!own && deptSelect.value) q.set('department', deptSelect.value);
    if (format) q.set('format', format);
    return q;
  };
  let loads = 0; // a response that arrives after a later request's is dropped
  const load = async () => {
    const mine = ++loads;
    try {
      const data = await api('GET', `/api/stats/${period}?` + query().toString());
      if (mine !== loads) return;
      if (period === 'month' && !monthInput.value) monthInput.value = data.label;
      $('s-csv').setAttribute('href', `/api/stats/${period}?` + query('csv').toString());
      const page = query();
      history.replaceState(null, '', '/stats?' + page.toString());
      renderStats(data);
      document.body.dataset.period = data.period;
      document.body.dataset.loaded = data.label;
      showError('');
    } catch (e) { if (mine === loads) showError(e.message); }
  };
  for (const r of document.querySelectorAll('input[name="s-period"]')) {
    r.addEventListener('change', () => { if (r.checked) { setPeriod(r.value); load(); } });
  }
  yearInput.addEventListener('change', () => { if (/^\d{4}$/.test(yearInput.value)) load(); });
  monthInput.addEventListener('change', () => { if (monthInput.value) load(); });
  deptSelect.addEventListener('change', load);
  await load();
}

// ------------------------------------------------------------------ main

// Pages and parts of pages kept in their own files (inbox.js, event.js, silences.js: loaded
// after this one) register here: main() runs them for their data-page after the page's own
// code, in the order they registered.
const pageParts = {};
function registerPage(page, fn) { (pageParts[page] = pageParts[page] || []).push(fn); }

async function main() {
  const page = document.body.dataset.page;
  if (page === 'login') { pageLogin(); return; }
  try { await loadMe(); } catch (e) { showError(e.message); return; }
  const p = state.me.permissions;
  // a page this user may not use shows only why, not forms that cannot work
  const hideForms = () => { for (const s of document.querySelectorAll('main section')) s.hidden = true; };
  if (page === 'admin' && !p.admin) {
    hideForms();
    showError('无权使用此页面：用户与部门由管理员维护');
    return;
  }
  try {
    if (page === 'queue') {
      if (!p.duty_actions) { location.replace('/liaison'); return; }
      await pageQueue(false);
    } else if (page === 'liaison') await pageQueue(true);
    else if (page === 'ticket') await pageTicket();
    else if (page === 'sources') await pageSources();
    else if (page === 'rules') await pageRules();
    else if (page === 'admin') await pageAdmin();
    else if (page === 'stats') await pageStats();
    else if (page === 'password') pagePassword();
    for (const fn of pageParts[page] || []) await fn();
  } catch (e) {
    if (e.status === 403) hideForms();
    showError(e.message);
  }
}

document.addEventListener('DOMContentLoaded', main);
