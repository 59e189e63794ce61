// The silences page (屏蔽规则, /silences, issue #13, docs/desk.md "Silences"): the list (active or all),
// a new silence (kind, value, reason, expiry as a duration or a Beijing-time date), revoking
// one, and the alerts a silence held back with their count. Loaded after app.js. Text from
// the server goes into the page as text nodes only.
'use strict';

// The kinds a silence matches on (the silences.match_kind values of the ticket store): the
// server's label table when it has one, else these words.
const SILENCE_KINDS_FALLBACK = [['rule', '规则'], ['group', '规则组'], ['source', '来源'], ['account', '账号'], ['term', '关键词']];

function silenceKinds() {
  const l = labelList('silence_kinds');
  return l.length ? l.map((e) => [e.code, e.label]) : SILENCE_KINDS_FALLBACK;
}

function silenceKindText(s) {
  const kind = s.kind || s.match_kind;
  const fb = SILENCE_KINDS_FALLBACK.find(([c]) => c === kind);
  return labelOf('silence_kinds', kind, s.kind_label) || (fb ? fb[1] : kind || '—');
}

// 生效中 / 已撤销（time by whom） / 已过期（time）.
function silenceStatus(s) {
  if (s.revoked_at) return { text: `已撤销（${fmtTime(s.revoked_at)}${s.revoked_by ? ' ' + s.revoked_by : ''}）`, cls: 'revoked', active: false };
  if (Date.parse(s.expires_at) <= serverNow()) return { text: `已过期（${fmtTime(s.expires_at)}）`, cls: 'expired', active: false };
  return { text: `生效中，剩余 ${fmtSpan(Date.parse(s.expires_at) - serverNow())}`, cls: 'active', active: true };
}

function silencedAlerts(list) {
  if (!list.length) return el('p', { class: 'summary' }, '还没有被拦下的告警。');
  const heads = ['拦下时间', '标题', '级别', '信息源', '作者'];
  return el('div', { class: 'scroll' }, el('table', { class: 'silenced' },
    el('thead', {}, el('tr', {}, heads.map((h) => el('th', {}, h)))),
    el('tbody', {}, list.map((a) => el('tr', { 'data-silenced': a.id ?? a.item_id },
      el('td', { 'data-label': heads[0], class: 'time' }, fmtTime(a.at || a.matched_at)),
      el('td', { 'data-label': heads[1], class: 'item-main' }, linkable(a.url) ? safeLink(a.url, a.title || '（无标题）') : (a.title || '（无标题）')),
      el('td', { 'data-label': heads[2], class: 'level' }, a.level ? levelText(a) : '—'),
      el('td', { 'data-label': heads[3] }, a.source_id || '—'),
      el('td', { 'data-label': heads[4], class: 'item-author' }, a.author || '—'))))));
}

async function pageSilences() {
  if (!state.me.permissions.duty_actions) {
    for (const s of document.querySelectorAll('main section')) s.hidden = true;
    showError('无权使用此页面：屏蔽规则由值班员维护');
    return;
  }
  $('s-kind').replaceChildren(...silenceKinds().map(([v, l]) => el('option', { value: v }, l)));
  const untilBox = $('s-until-box');
  $('s-duration').addEventListener('change', () => {
    untilBox.hidden = $('s-duration').value !== 'until';
    $('s-until').required = !untilBox.hidden;
    if (!untilBox.hidden && !$('s-until').value) $('s-until').value = beijingInputNow();
  });
  let all = false;
  const render = async () => {
    let data;
    try { data = await api('GET', '/api/silences' + (all ? '?all=1' : '')); } catch (e) { showError(e.message); return; }
    const list = data.silences || [];
    const heads = ['类型', '匹配值', '原因', '创建', '有效期至', '状态', '拦下', ''];
    $('silences').replaceChildren(list.length ? el('div', { class: 'scroll' }, el('table', { class: 'silences' },
      el('thead', {}, el('tr', {}, heads.map((h) => el('th', {}, h)))),
      el('tbody', {}, list.flatMap((s) => {
        const st = silenceStatus(s);
        const detail = el('tr', { class: 'silenced-row', hidden: true }, el('td', { colspan: heads.length }));
        const hits = s.hit_count ?? s.hits ?? 0;
        const row = el('tr', { 'data-silence': s.id, class: `silence ${st.cls}` },
          el('td', { 'data-label': heads[0], class: 'kind' }, silenceKindText(s)),
          el('td', { 'data-label': heads[1], class: 'value' }, s.value ?? s.match_value),
          el('td', { 'data-label': heads[2], class: 'reason' }, s.reason),
          el('td', { 'data-label': heads[3], class: 'time' }, `${fmtTime(s.created_at)} ${s.created_by || ''}`),
          el('td', { 'data-label': heads[4], class: 'time' }, fmtTime(s.expires_at)),
          el('td', { 'data-label': heads[5], class: `status ${st.cls}` }, st.text),
          el('td', { 'data-label': heads[6], class: 'n hits' },
            el('button', {
              type: 'button', class: 'secondary', 'data-action': 'alerts',
              onclick: async () => {
                if (!detail.hidden) { detail.hidden = true; return; }
                try {
                  const r = await api('GET', `/api/silences/${encodeURIComponent(s.id)}/alerts`);
                  detail.firstChild.replaceChildren(silencedAlerts(r.alerts || r.silenced || []));
                  detail.hidden = false;
                  showError('');
                } catch (e) { showError(e.message); }
              },
            }, `${hits} 条`)),
          el('td', {}, st.active ? el('button', {
            type: 'button', class: 'danger', 'data-action': 'revoke',
            onclick: async () => {
              try {
                await api('POST', `/api/silences/${encodeURIComponent(s.id)}/revoke`, {});
                showError('');
                await render();
              } catch (e) { showError(e.message); }
            },
          }, '撤销') : null));
        return [row, detail];
      })))) : el('p', { class: 'summary' }, all ? '还没有屏蔽规则。' : '当前没有生效的屏蔽规则。'));
    document.body.dataset.loaded = String(list.length);
  };
  for (const r of document.querySelectorAll('input[name="s-show"]')) {
    r.addEventListener('change', () => { if (r.checked) { all = r.value === 'all'; render(); } });
  }
  $('silence-add').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { kind: $('s-kind').value, value: $('s-value').value.trim(), reason: $('s-reason').value.trim() };
    if ($('s-duration').value === 'until') {
      const at = beijingToIso($('s-until').value);
      if (!at || Date.parse(at) <= serverNow()) { showError('截止时间须晚于现在'); return; }
      body.expires_at = at;
    } else {
      body.duration_s = Number($('s-duration').value);
    }
    try {
      await api('POST', '/api/silences', body);
      $('s-value').value = '';
      $('s-reason').value = '';
      showError('');
      await render();
    } catch (e) { showError(e.message); }
  });
  await render();
}

registerPage('silences', pageSilences);
