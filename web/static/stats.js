// The published 通报 on the statistics page (issue #17, docs/statistics.md "The published
// 通报"): who published the month and when, the figures as published (the API answers with
// them) and beside them the differences later entries made and the tickets behind them; the
// 发布通报 button for the roles that publish (admin, duty officer) once the month has ended;
// for a year, the figures built from the published months plus their differences.
// Loaded after app.js: it wraps renderStats() so that every load of the page shows this too.
'use strict';

(function () {
  const publishers = ['admin', 'duty_officer'];
  const render = renderStats;

  function diffTable(figures) {
    const heads = ['单位', '指标', '发布数', '现在', '差异'];
    return el('table', {},
      el('thead', {}, el('tr', {}, ...heads.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, ...figures.map((f) => el('tr', {},
        el('td', {}, f.row), el('td', {}, f.label), el('td', { class: 'num' }, String(f.published)),
        el('td', { class: 'num' }, String(f.now)),
        el('td', { class: 'num' }, (f.delta > 0 ? '+' : '') + String(f.delta))))));
  }

  function ticketList(tickets) {
    return el('ul', { class: 'changed-tickets' }, ...tickets.map((t) => el('li', {},
      el('a', { href: '/ticket?n=' + encodeURIComponent(t.number) }, t.number), '：发布时 ',
      el('code', {}, t.published || '（未计入）'), '；现在 ', el('code', {}, t.now || '（未计入）'))));
  }

  function showMonth(data, card, text, box, button) {
    const pub = data.publication;
    const diff = data.differences;
    const ended = data.cutoff && data.window && data.cutoff === data.window.end;
    const role = state.me && state.me.user ? state.me.user.role : '';
    box.replaceChildren();
    card.hidden = false;
    if (!pub) {
      text.textContent = ended ? '本月通报尚未发布；发布后数字固定，此后的登记只作为差异列出。'
        : '本月尚未结束，为截至当前的临时数字；月末后可发布通报。';
      button.hidden = !(ended && publishers.includes(role) && !data.department);
      button.dataset.month = data.label;
      return;
    }
    button.hidden = true;
    text.textContent = `本月通报已于 ${fmtTime(pub.published_at)} 由 ${pub.published_by} 发布` +
      (data.department ? '；以下为本单位当前数字。' : '；以下为发布数，不再更改。');
    if (!diff || !diff.changed) {
      box.append(el('p', { class: 'summary' }, `发布后无变动（截至 ${fmtTime(diff && diff.known_at)}）。`));
      return;
    }
    box.append(el('p', { class: 'notice' }, `发布后的登记带来以下差异（截至 ${fmtTime(diff.known_at)}；通报以发布数为准）：`));
    if (diff.figures.length) box.append(el('div', { class: 'scroll' }, diffTable(diff.figures)));
    if (diff.tickets.length) box.append(el('p', { class: 'summary' }, '引起差异的交办单：'), ticketList(diff.tickets));
  }

  function showYear(data, card, text, box, button) {
    const y = data.published;
    button.hidden = true;
    box.replaceChildren();
    if (!y || !y.months_published) { card.hidden = true; return; }
    card.hidden = false;
    text.textContent = `按已发布的 ${y.months_published} 个月通报汇总，加上发布后的差异：`;
    const rows = y.totals.filter((t) => t.published || t.differences);
    box.append(el('div', { class: 'scroll' }, el('table', {},
      el('thead', {}, el('tr', {}, ...['指标', '发布数', '发布后差异', '合计'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, ...rows.map((t) => el('tr', {}, el('td', {}, t.label),
        el('td', { class: 'num' }, String(t.published)),
        el('td', { class: 'num' }, (t.differences > 0 ? '+' : '') + String(t.differences)),
        el('td', { class: 'num' }, String(t.total))))))));
    box.append(el('p', { class: 'summary' }, y.months.map((m) =>
      `${m.period}（${fmtTime(m.published_at)} ${m.published_by}${m.tickets.length ? '，差异：' + m.tickets.join('、') : ''}）`).join('；')));
  }

  renderStats = function (data) {
    render(data);
    const card = $('s-publication-card');
    if (!card) return;
    const args = [data, card, $('s-publication'), $('s-differences'), $('s-publish')];
    if (data.period === 'month') showMonth(...args);
    else showYear(...args);
  };

  registerPage('stats', async () => {
    const button = $('s-publish');
    button.addEventListener('click', async () => {
      const month = button.dataset.month;
      if (!month || !window.confirm(`发布 ${month} 通报？发布后数字不再更改。`)) return;
      button.disabled = true;
      try {
        await api('POST', '/api/stats/publish?month=' + encodeURIComponent(month));
        location.reload();
      } catch (e) {
        showError(e.message);
        button.disabled = false;
      }
    });
  });
})();
