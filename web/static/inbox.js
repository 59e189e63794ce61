// The 研判 inbox on the 值班台 (issue #13, docs/desk.md) and the officer's actions on an event
// (交办, 确认交办, 并入, 持续关注, 不予处置), shared with the event page (event.js). Loaded after
// app.js, whose helpers it uses (el, $, api, labelOf, fmtTime, ...). Every string from the
// server goes into the page as text (el() makes text nodes), never as HTML.
'use strict';

// ---------------------------------------------------------------- words

function eventStateText(ev) {
  return labelOf('event_states', ev.state, ev.state_label) || '—';
}

// "37%" for a share 0..1, "—" when unknown.
function fmtShare(v) {
  return typeof v === 'number' && Number.isFinite(v) ? `${Math.round(v * 100)}%` : '—';
}

// The labels of source kinds, one per label (RSS, Atom and JSON feeds are all 网站).
function sourceKindsText(kinds) {
  const words = (kinds || []).map((k) => labelOf('source_kinds', k) || k);
  return words.filter((w, i) => w && words.indexOf(w) === i).join('、') || '—';
}

// How long ago iso was, by the server's clock: "3小时5分前".
function agoText(iso) {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '—' : `${fmtSpan(serverNow() - t)}前`;
}

// The dismiss reasons of an event: the server's one table of tickets and events alike
// (dismiss_reasons, common/yq_labels).
function eventDismissReasons() {
  return labelList('dismiss_reasons');
}
function dismissReasonText(code, shown) {
  return labelOf('dismiss_reasons', code, shown) || code || '';
}

function levelOptions() {
  const levels = labelList('levels');
  return levels.length ? levels.map((e) => [e.code, `${e.code} ${e.label}`]) : LEVEL_CODES.map((c) => [c, c]);
}

// The event's state as a badge; 交办待确认 (handed over by policy, waiting for the officer)
// stands out as a marker.
function stateBadge(ev) {
  return ev.state === 'auto_assigned'
    ? el('span', { class: 'badge state marker auto', 'data-marker': 'auto_assigned' }, eventStateText(ev))
    : el('span', { class: 'badge state' }, eventStateText(ev));
}

// Why a watched event came back, in words (the API's label, else the label table; never the code).
function resurfaceText(ev) {
  return labelOf('resurface_reasons', ev.resurface_reason, ev.resurface_reason_label);
}

// The event's markers: 重新浮现 (with its reason), 突增 (with the numbers).
function eventMarkers(ev) {
  const out = [];
  if (ev.resurfaced_at) {
    out.push(el('span', {
      class: 'badge marker resurfaced', 'data-marker': 'resurfaced',
      title: `${fmtTime(ev.resurfaced_at)} 重新进入待研判${resurfaceText(ev) ? '：' + resurfaceText(ev) : ''}`,
    }, '重新浮现'));
  }
  if (ev.kind === 'spike' || ev.spike) {
    out.push(el('span', { class: 'badge marker spike', 'data-marker': 'spike', title: spikeText(ev.spike) || null }, '突增'));
  }
  return out;
}

// A spike's numbers in words (the events.spike JSON of notifier/spike.c: scope, key, hour
// (epoch seconds, UTC), count, baseline (mean items per hour), factor (the threshold),
// min_count): "规则组 物业服务：2026-12-05 14:00 起1小时 42 条，基线 6 条/小时（7.0 倍；阈值 3 倍且不少于 10 条）".
function spikeText(s) {
  if (!s || typeof s !== 'object') return '';
  const num = (v) => Number(v).toFixed(1).replace(/\.0$/, '');
  const hour = typeof s.hour === 'number' ? new Date(s.hour * 1000).toISOString() : s.hour;
  const parts = [];
  if (s.count !== undefined) parts.push(`${hour ? fmtTime(hour) + ' 起' : '近'}1小时 ${s.count} 条`);
  if (s.baseline !== undefined) {
    const ratio = Number(s.baseline) > 0 ? `${(Number(s.count) / Number(s.baseline)).toFixed(1)} 倍；` : '';
    const rule = s.factor !== undefined ? `阈值 ${num(s.factor)} 倍${s.min_count !== undefined ? `且不少于 ${s.min_count} 条` : ''}` : '';
    parts.push(`基线 ${num(s.baseline)} 条/小时${ratio || rule ? `（${ratio}${rule}）` : ''}`);
  }
  const scope = s.scope === 'group' && s.key ? `规则组 ${s.key}：` : '';
  return parts.length ? scope + parts.join('，') : '';
}

// The 研判 deadline of an event still waiting: {text, cls}; null once there is nothing to judge
// (the server's word, awaits_judgement: an auto_assigned event's ticket already runs).
function judgeClock(ev) {
  if (!ev.awaits_judgement || !ev.judge_deadline) return null;
  const ck = clockText(ev.judge_deadline);
  if (ev.judge_overdue && ck.cls !== 'overdue') return { text: '已超时', cls: 'overdue' };
  return ck;
}

function eventCard(ev, opts) {
  const level = levelClass(ev);
  const ck = judgeClock(ev);
  const judged = ev.judged_at ? `${fmtTime(ev.judged_at)} ${ev.judged_by || ''}${ev.outcome_label ? ' · ' + ev.outcome_label : ''}` : '';
  const card = el('article', {
    class: `ticket event level-${level}${opts.fresh ? ' fresh' : ''}${ck && ck.cls === 'overdue' ? ' overdue' : ''}`,
    'data-event': ev.id, 'data-state': ev.state,
  },
  el('div', { class: 'head' },
    el('span', { class: `badge level-${level}` }, levelText(ev)),
    stateBadge(ev),
    ...eventMarkers(ev),
    el('a', { class: 'title', href: '/event?id=' + encodeURIComponent(ev.id) }, ev.title || '（无标题）'),
    ev.ticket && ev.ticket.number ? el('a', { class: 'number', href: '/ticket?n=' + encodeURIComponent(ev.ticket.number) },
      ev.ticket.number) : null),
  el('div', { class: 'meta' },
    el('span', { class: 'groups' }, '规则组：', (ev.rule_groups || []).join('、') || '—'),
    el('span', { class: 'kinds' }, '来源：', sourceKindsText(ev.source_kinds)),
    ev.region ? el('span', { class: 'region' }, '属地：', ev.region) : null,
    el('span', { class: 'count' }, `信息 ${ev.item_count} 条`),
    el('span', { class: 'heat' }, `热度 ${ev.heat}`),
    el('span', { class: 'negative' }, `负面 ${fmtShare(ev.negative_share)}`),
    el('span', { class: 'age', title: `发现于 ${fmtTime(ev.detected_at)}` }, '发现：', agoText(ev.detected_at)),
    ev.department ? el('span', { class: 'department' }, '主办：', ev.department) : null,
    ev.state === 'watching' && ev.watch ? el('span', { class: 'watch' }, watchText(ev.watch)) : null,
    ev.state === 'dismissed' ? el('span', { class: 'dismiss-reason' }, '原因：',
      dismissReasonText(ev.dismiss_reason, ev.dismiss_reason_label), ev.dismiss_note ? `（${ev.dismiss_note}）` : '') : null,
    ev.state === 'merged' && ev.merged_into ? el('span', { class: 'merged-into' }, '并入：',
      el('a', { href: '/event?id=' + encodeURIComponent(ev.merged_into) }, `事件 ${ev.merged_into}`)) : null,
    judged ? el('span', { class: 'judged' }, '研判：', judged) : null),
  el('div', { class: 'clock' },
    ck ? el('div', {}, `研判时限：${fmtTime(ev.judge_deadline)}`) : null,
    ck ? el('div', { class: `urgency ${ck.cls} judge`, 'data-deadline': ev.judge_deadline }, ck.text) : null));
  if (opts.actions) card.append(opts.actions(ev));
  return card;
}

// "重新提示：信息 ≥ 20 条 / 热度 ≥ 500 / 沉寂 2小时0分后又有新信息"
function watchText(w) {
  const parts = [];
  if (w.items > 0) parts.push(`信息 ≥ ${w.items} 条`);
  if (w.heat > 0) parts.push(`热度 ≥ ${w.heat}`);
  if (w.quiet_s > 0) parts.push(`沉寂 ${fmtSpan(w.quiet_s * 1000)}后又有新信息`);
  return `重新提示：${parts.join(' / ') || '—'}`;
}

// ---------------------------------------------------------------- forms

// A form under the buttons. fields: {name, label, type: text|number|textarea|select|checks,
// options: [[value, label]], value, required, min, help}; submit calls fn(values) (checks give
// an array); an error it throws is shown (in Chinese: the API's message) and the form stays.
function deskForm(title, fields, submitLabel, fn) {
  const form = el('form', { class: 'panel', 'data-form': title });
  form.append(el('strong', {}, title));
  const read = {};
  for (const f of fields) {
    let input;
    if (f.type === 'select') {
      input = el('select', { name: f.name, required: f.required });
      for (const [v, label] of f.options) input.append(el('option', { value: v }, label));
      if (f.value !== undefined) input.value = f.value;
      read[f.name] = () => input.value.trim();
    } else if (f.type === 'checks') {
      input = el('fieldset', { class: 'checks', 'data-name': f.name },
        el('legend', {}, f.label),
        f.options.length ? f.options.map(([v, label]) => el('label', {},
          el('input', { type: 'checkbox', value: v, checked: (f.value || []).includes(v) }), label))
          : el('span', { class: 'summary' }, '（无）'));
      read[f.name] = () => [...input.querySelectorAll('input:checked')].map((i) => i.value);
      form.append(input);
      continue;
    } else if (f.type === 'textarea') {
      input = el('textarea', { name: f.name, rows: 3, required: f.required, maxlength: 2000 });
      if (f.value !== undefined) input.value = f.value;
      read[f.name] = () => input.value.trim();
    } else {
      input = el('input', {
        name: f.name, type: f.type || 'text', required: f.required, autocomplete: 'off',
        min: f.min, step: f.type === 'number' ? 1 : null, placeholder: f.placeholder, list: f.list,
      });
      if (f.value !== undefined) input.value = f.value;
      read[f.name] = () => input.value.trim();
    }
    form.append(el('label', {}, f.label, input, f.help ? el('span', { class: 'help' }, f.help) : null));
  }
  const close = () => { form.remove(); document.dispatchEvent(new Event('deskform:closed')); };
  form.append(el('div', { class: 'buttons' }, el('button', { type: 'submit' }, submitLabel),
    ' ', el('button', { type: 'button', class: 'secondary', onclick: close }, '取消')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const values = {};
    for (const [k, r] of Object.entries(read)) values[k] = r();
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try { await fn(values, form); close(); showError(''); } catch (e) {
      showError(e.message);
      btn.disabled = false;
    }
  });
  return form;
}

// A reload for the live event stream that waits while a form under root is open (a new
// alert elsewhere must not wipe what the officer is typing): it runs when the form closes.
function liveReloader(root, reload) {
  let deferred = false;
  document.addEventListener('deskform:closed', () => {
    if (deferred && !root().querySelector('form.panel')) { deferred = false; reload(); }
  });
  return () => {
    if (root().querySelector('form.panel')) { deferred = true; return; }
    reload();
  };
}

// ---------------------------------------------------------------- actions

async function eventAct(id, action, body) {
  return api('POST', `/api/inbox/${encodeURIComponent(id)}/${action}`, body);
}

// A non-negative whole number from a form field, or null when empty; throws in Chinese.
function wholeNumber(v, what) {
  if (v === '' || v === undefined) return null;
  if (!/^\d+$/.test(v)) throw new Error(`${what}须为不小于 0 的整数`);
  return Number(v);
}

// The action buttons of event ev (duty officer, admin); after() runs when one succeeded
// (e.g. reload). Which actions: by the event's state (docs/desk.md): 交办 / 并入 / 持续关注 /
// 不予处置 while pending or watching, 确认交办 while auto_assigned; the server decides in the
// end (409 with its message).
function eventActions(ev, after) {
  const box = el('div', { class: 'actions', 'data-actions': ev.id });
  const open = (form) => { box.querySelectorAll('form').forEach((f) => f.remove()); box.append(form); };
  const id = ev.id;
  const judgeable = ['pending', 'watching'].includes(ev.state);
  const depts = state.departments.map((d) => [d.name, d.name]);
  if (ev.state === 'auto_assigned') {
    box.append(el('button', {
      type: 'button', 'data-action': 'confirm',
      onclick: () => open(deskForm('确认交办', [
        { name: 'opinion', label: '研判意见（可空）', type: 'textarea' },
      ], '确认交办', async (v) => {
        await eventAct(id, 'confirm', { opinion: v.opinion, version: ev.version });
        after();
      })),
    }, '确认交办'));
  }
  if (judgeable) {
    box.append(el('button', {
      type: 'button', 'data-action': 'assign',
      onclick: () => open(deskForm('交办', [
        depts.length ? { name: 'lead', label: '主办部门', type: 'select', options: [['', '（请选择）'], ...depts], value: ev.department || '', required: true }
          : { name: 'lead', label: '主办部门', value: ev.department || '', required: true },
        { name: 'co', label: '协办部门（可多选）', type: 'checks', options: depts, value: ev.co_departments || [] },
        { name: 'level', label: '级别', type: 'select', options: levelOptions(), value: ev.level },
        { name: 'opinion', label: '研判意见', type: 'textarea' },
      ], '确认交办', async (v) => {
        if (!v.lead) throw new Error('请选择主办部门');
        const r = await eventAct(id, 'assign', {
          lead: v.lead, co: v.co.filter((d) => d !== v.lead), level: v.level, opinion: v.opinion, version: ev.version,
        });
        after(r && r.ticket ? r.ticket.number : '');
      })),
    }, '交办'));
    box.append(el('button', {
      type: 'button', class: 'secondary', 'data-action': 'merge',
      onclick: async () => open(await mergeForm(ev, after)),
    }, '并入'));
    box.append(el('button', {
      type: 'button', class: 'secondary', 'data-action': 'watch',
      onclick: () => open(deskForm('持续关注', [
        { name: 'items', label: '信息条数达到', type: 'number', min: 0, value: ev.watch ? ev.watch.items || '' : String((ev.item_count || 0) * 2 || 10) },
        { name: 'heat', label: '热度达到', type: 'number', min: 0, value: ev.watch ? ev.watch.heat || '' : '' },
        { name: 'quiet_min', label: '沉寂期（分钟）：此后又有新信息即重新提示', type: 'number', min: 0, value: ev.watch && ev.watch.quiet_s ? String(Math.round(ev.watch.quiet_s / 60)) : '' },
        { name: 'note', label: '说明', type: 'textarea' },
      ], '确认持续关注', async (v) => {
        const items = wholeNumber(v.items, '信息条数') || 0;
        const heat = wholeNumber(v.heat, '热度') || 0;
        const quiet = wholeNumber(v.quiet_min, '沉寂期') || 0;
        if (!items && !heat && !quiet) throw new Error('请至少设置一个重新提示的条件（信息条数、热度或沉寂期）');
        await eventAct(id, 'watch', { items, heat, quiet_s: quiet * 60, note: v.note });
        after();
      })),
    }, '持续关注'));
    box.append(dismissButton({
      reasons: eventDismissReasons(),
      makeForm: deskForm,
      submitLabel: '确认不予处置',
      reasonText: (code) => dismissReasonText(code),
      send: (v) => eventAct(id, 'dismiss', { reason: v.reason, note: v.note }),
      open,
      after,
    }));
  }
  return box;
}

// 并入: into an event of the inbox (待研判, 交办待确认 or 持续关注; a select) or into a ticket
// by its number (YQ-...).
async function mergeForm(ev, after) {
  let targets = [];
  try {
    const lists = await Promise.all(['pending', 'watching'].map((s) =>
      api('GET', `/api/inbox?state=${s}&limit=200`)));
    targets = lists.flatMap((d) => d.events || []).filter((e) => e.id !== ev.id);
  } catch (e) { targets = []; }
  return deskForm('并入', [
    { name: 'into_event', label: '并入事件', type: 'select',
      options: [['', '（不选，按交办单编号并入）'], ...targets.map((e) => [String(e.id), `${levelText(e)} · ${e.title || '（无标题）'}（${e.item_count} 条）`])] },
    { name: 'into_ticket', label: '或并入交办单（编号）', placeholder: 'YQ-20261205-0001' },
    { name: 'note', label: '说明', type: 'textarea' },
  ], '确认并入', async (v) => {
    if (!v.into_event && !v.into_ticket) throw new Error('请选择要并入的事件，或填写交办单编号');
    if (v.into_event && v.into_ticket) throw new Error('并入事件和交办单只能选一个');
    const body = v.into_event ? { into_event: Number(v.into_event) } : { into_ticket: v.into_ticket };
    body.note = v.note;
    await eventAct(ev.id, 'merge', body);
    after();
  });
}

// ---------------------------------------------------------------- the inbox

const INBOX_TABS = { pending: ['pending'], watching: ['watching'], settled: ['dismissed', 'merged'] };

async function pageInbox() {
  if (!state.me.permissions.duty_actions) return;
  const box = $('inbox-box');
  if (!box) return;
  let tab = 'pending';
  const seen = new Set();
  let first = true, seq = 0;
  // filters' choices from the server's tables
  $('i-level').append(...labelList('levels').map((e) => el('option', { value: e.code }, `${e.code} ${e.label}`)));
  const kinds = labelList('source_kinds').filter((k, i, all) => all.findIndex((x) => x.label === k.label) === i);
  $('i-source-kind').append(...kinds.map((k) => el('option', { value: k.code }, k.label)));
  const query = (st) => {
    const q = new URLSearchParams({ state: st, limit: '100' });
    if ($('i-level').value) q.set('level', $('i-level').value);
    if ($('i-group').value.trim()) q.set('group', $('i-group').value.trim());
    if ($('i-source-kind').value) q.set('source_kind', $('i-source-kind').value);
    if ($('i-region').value.trim()) q.set('region', $('i-region').value.trim());
    const h = Number($('i-since').value || 0);
    if (h > 0) q.set('since', new Date(serverNow() - h * 3600e3).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    return q;
  };
  const reload = async () => {
    const mine = ++seq;
    let lists;
    try {
      lists = await Promise.all(INBOX_TABS[tab].map((st) => api('GET', '/api/inbox?' + query(st).toString())));
    } catch (e) {
      if (e.status === 403 || e.status === 404) { box.hidden = true; return; } // not for this role, or no inbox
      showError(e.message);
      return;
    }
    if (mine !== seq) return;
    box.hidden = false;
    const list = lists.flatMap((d) => d.events || []);
    // 已处置: two lists (不予处置, 已并入), latest decision first; the others in the server's order
    if (lists.length > 1) list.sort((a, b) => String(b.judged_at || b.detected_at).localeCompare(String(a.judged_at || a.detected_at)));
    const counts = lists[0].counts || {};
    const pending = (counts.pending || 0) + (counts.auto_assigned || 0);
    for (const c of box.querySelectorAll('[data-count]')) {
      const k = c.getAttribute('data-count');
      c.textContent = k === 'pending' ? `（${pending}）` : `（${counts[k] || 0}）`;
    }
    const total = lists.reduce((n, d) => n + (d.total || 0), 0);
    const shown = list.length < total ? `，显示前 ${list.length} 件` : '';
    $('inbox-summary').textContent = tab === 'pending'
      ? `待研判 ${counts.pending || 0} 件，交办待确认 ${counts.auto_assigned || 0} 件${shown}；排序：级别、热度、发现时间。时间为北京时间。`
      : `共 ${total} 件${shown}。`;
    const groups = new Set();
    list.forEach((e) => (e.rule_groups || []).forEach((g) => groups.add(g)));
    const dl = $('i-groups');
    for (const g of groups) {
      if (![...dl.options].some((o) => o.value === g)) dl.append(el('option', { value: g }));
    }
    $('inbox').replaceChildren(...list.map((e) => eventCard(e, {
      fresh: !first && !seen.has(e.id),
      actions: (x) => eventActions(x, () => { reload(); }),
    })));
    if (!list.length) $('inbox').append(el('p', { class: 'summary empty' }, tab === 'pending' ? '暂无待研判的事件' : '暂无'));
    list.forEach((e) => seen.add(e.id));
    first = false;
    box.dataset.loaded = tab;
  };
  for (const b of $('inbox-tabs').querySelectorAll('button[data-tab]')) {
    b.addEventListener('click', () => {
      tab = b.getAttribute('data-tab');
      for (const x of $('inbox-tabs').querySelectorAll('button[data-tab]')) {
        x.setAttribute('aria-selected', x === b ? 'true' : 'false');
      }
      first = true;
      reload();
    });
  }
  for (const id of ['i-level', 'i-source-kind', 'i-since']) $(id).addEventListener('change', reload);
  for (const id of ['i-group', 'i-region']) $(id).addEventListener('input', reload);
  onLiveChange(liveReloader(() => $('inbox'), reload));
  await reload();
}

registerPage('queue', pageInbox);
