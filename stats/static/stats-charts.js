/*
 * Charts of the yuqing statistics report (issue #7), drawn with Apache ECharts (echarts.min.js,
 * loaded before this file). No inline script: the figures come from the JSON data block
 * <script type="application/json" id="stats-data"> of the report page, or from a caller of
 * window.yqStatsCharts.render(data, root) (the web UI's statistics page, which fetches the same
 * JSON). Each chart element gets data-rendered="1" once drawn (the browser test checks it).
 */
(function () {
  'use strict';

  var LEVEL_NAMES = { I: 'Ⅰ级 特别重大', II: 'Ⅱ级 重大', III: 'Ⅲ级 较大', IV: 'Ⅳ级 一般' };
  var LEVEL_COLOURS = { I: '#b71c1c', II: '#e65100', III: '#f9a825', IV: '#1565c0' };

  function pct(clock) {
    return clock && clock.on_time_pct !== null && clock.on_time_pct !== undefined
      ? clock.on_time_pct : '-';
  }

  function draw(el, option, charts) {
    if (!el || typeof echarts === 'undefined') {
      return;
    }
    var old = echarts.getInstanceByDom(el);
    if (old) {
      old.dispose();
    }
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    option.animation = false;
    chart.setOption(option);
    el.setAttribute('data-rendered', '1');
    charts.push(chart);
  }

  function render(data, root) {
    var charts = [];
    root = root || document;
    var daily = data.daily || { days: [], levels: [], counts: [] };
    draw(root.querySelector('#chart-daily'), {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 40 },
      xAxis: { type: 'category', data: daily.days.map(function (d) { return d.slice(5); }) },
      yAxis: { type: 'value', minInterval: 1, name: '件' },
      series: daily.levels.map(function (lv, i) {
        return { name: LEVEL_NAMES[lv] || lv, type: 'bar', stack: 'level',
                 itemStyle: { color: LEVEL_COLOURS[lv] }, data: daily.counts[i] || [] };
      })
    }, charts);

    var hist = data.ttr_histogram || { labels: [], counts: [] };
    draw(root.querySelector('#chart-ttr'), {
      tooltip: { trigger: 'axis' },
      grid: { left: 40, right: 16, top: 24, bottom: 40 },
      xAxis: { type: 'category', data: hist.labels },
      yAxis: { type: 'value', minInterval: 1, name: '件' },
      series: [{ name: '首次回应', type: 'bar', data: hist.counts,
                 itemStyle: { color: '#2e7d32' } }]
    }, charts);

    var depts = (data.by && data.by.department) || [];
    draw(root.querySelector('#chart-departments'), {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 120, right: 24, top: 36, bottom: 24 },
      xAxis: { type: 'value', min: 0, max: 100, name: '%' },
      yAxis: { type: 'category', inverse: true, data: depts.map(function (r) { return r.key; }) },
      series: [
        { name: '签收及时率', type: 'bar', data: depts.map(function (r) { return pct(r.clocks.ack); }) },
        { name: '及时回应率', type: 'bar', data: depts.map(function (r) { return pct(r.clocks.response); }) },
        { name: '按期办结率', type: 'bar', data: depts.map(function (r) { return pct(r.clocks.close); }) }
      ]
    }, charts);

    // 研判 (issue #13): per rule group, the events judged by outcome, dismissals split into
    // noise (误报, 与本地无关: the labels the report carries) and the other reasons; drawn only
    // when the report has the figures.
    var judging = data.judging;
    if (judging && judging.available) {
      var groups = judging.rule_groups || [];
      var entry = function (list, name) {
        for (var i = 0; i < list.length; i++) {
          if (list[i].name === name) { return list[i]; }
        }
        return {};
      };
      var count = function (list, name) { return entry(list, name).count || 0; };
      var reason = function (name) { return entry(judging.dismissed_by_reason || [], name).label || name; };
      var series = ['assigned', 'merged', 'watching'].map(function (name, i) {
        return { name: judging.by_outcome[i].label, type: 'bar', stack: 'outcome',
                 data: groups.map(function (g) { return count(g.by_outcome, name); }) };
      });
      series.push({ name: '不予处置（' + reason('false_alarm') + '、' + reason('irrelevant') + '）',
                    type: 'bar', stack: 'outcome',
                    itemStyle: { color: '#b71c1c' },
                    data: groups.map(function (g) { return g.noise; }) });
      series.push({ name: '不予处置（其他理由）', type: 'bar', stack: 'outcome',
                    itemStyle: { color: '#9e9e9e' },
                    data: groups.map(function (g) { return count(g.by_outcome, 'dismissed') - g.noise; }) });
      draw(root.querySelector('#chart-judging'), {
        tooltip: { trigger: 'axis' },
        legend: { top: 0 },
        grid: { left: 120, right: 24, top: 48, bottom: 24 },
        xAxis: { type: 'value', minInterval: 1, name: '件' },
        yAxis: { type: 'category', inverse: true, data: groups.map(function (g) { return g.key; }) },
        series: series
      }, charts);
    }

    function resize() {
      charts.forEach(function (c) { c.resize(); });
    }
    window.addEventListener('resize', resize);
    window.addEventListener('beforeprint', resize);
    return charts;
  }

  window.yqStatsCharts = { render: render };

  function boot() {
    var block = document.getElementById('stats-data');
    if (!block) {
      return;
    }
    var data;
    try {
      data = JSON.parse(block.textContent);
    } catch (e) {
      return;
    }
    render(data, document);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', boot);
  } else {
    boot();
  }
})();
