/*
 * The HTML report: static markup, no inline script or style (CSP "script-src 'self';
 * style-src 'self'"), every dynamic string escaped, chart data in a JSON data block.
 */
#include "stats_html.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_defs.h"
#include "stats_fmt.h"
#include "stats_blind.h"
#include "stats_judge.h"
#include "stats_write.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_time.h"
#include "yq_banned.h"

/* JSON text safe inside <script type="application/json">: no <, > or & left literal. */
static void put_json_block(struct stats_out *b, const char *json)
{
    for (const char *s = json; *s; s++) {
        switch (*s) {
        case '<':
            stats_out_adds(b, "\\u003c");
            break;
        case '>':
            stats_out_adds(b, "\\u003e");
            break;
        case '&':
            stats_out_adds(b, "\\u0026");
            break;
        default:
            stats_out_add(b, s, 1);
        }
    }
}

static void put_asset(struct stats_out *b, const char *base, const char *name)
{
    stats_out_html(b, base ? base : "");
    stats_out_html(b, name);
}

static void cell_pct(struct stats_out *b, size_t num, size_t den)
{
    char buf[32];
    stats_out_addf(b, "<td class=\"n\">%s</td>", stats_fmt_pct(num, den, buf, sizeof(buf)));
}

static void cell_dur(struct stats_out *b, const struct stats_summary *s)
{
    char m[32], p[32], a[32];
    stats_out_addf(b, "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>",
                      stats_fmt_dur(s->median_s, s->n, m, sizeof(m)),
                      stats_fmt_dur(s->p90_s, s->n, p, sizeof(p)),
                      stats_fmt_dur(s->mean_s, s->n, a, sizeof(a)));
}

static void group_table(struct stats_out *b, const char *title, const struct stats_row *rows,
                        size_t n, const struct stats_row *total)
{
    stats_out_adds(b, "<section class=\"group\"><h2>");
    stats_out_html(b, title);
    stats_out_adds(b, "</h2><table class=\"figures\"><thead><tr><th rowspan=\"2\">");
    stats_out_html(b, title);
    stats_out_adds(b,
                    "</th><th rowspan=\"2\">新交办</th><th rowspan=\"2\">签收及时率</th>"
                    "<th rowspan=\"2\">回应率</th><th rowspan=\"2\">及时回应率</th>"
                    "<th rowspan=\"2\">办结率</th><th rowspan=\"2\">按期办结率</th>"
                    "<th rowspan=\"2\">超期件数</th><th colspan=\"3\">签收用时（MTTA）</th>"
                    "<th colspan=\"3\">首次回应用时</th><th colspan=\"3\">办结用时</th></tr>"
                    "<tr><th>中位数</th><th>P90</th><th>平均</th><th>中位数</th><th>P90</th>"
                    "<th>平均</th><th>中位数</th><th>P90</th><th>平均</th></tr></thead><tbody>");
    for (size_t i = 0; i <= n; i++) {
        const struct stats_row *r = i < n ? &rows[i] : total;
        const struct stats_clock_tally *ack = &r->clocks[STATS_CLOCK_ACK];
        const struct stats_clock_tally *resp = &r->clocks[STATS_CLOCK_RESPONSE];
        const struct stats_clock_tally *close = &r->clocks[STATS_CLOCK_CLOSE];
        if (!r) {
            continue;
        }
        stats_out_adds(b, i < n ? "<tr><th scope=\"row\">" : "<tr class=\"total\"><th scope=\"row\">");
        stats_out_html(b, r->key);
        stats_out_addf(b, "</th><td class=\"n\">%zu</td>", r->detected);
        cell_pct(b, ack->on_time, ack->due);
        cell_pct(b, stats_met(resp), resp->due);
        cell_pct(b, resp->on_time, resp->due);
        cell_pct(b, stats_met(close), close->due);
        cell_pct(b, close->on_time, close->due);
        stats_out_addf(b, "<td class=\"n\">%zu</td>", r->overdue_tickets);
        cell_dur(b, &r->mtta);
        cell_dur(b, &r->ttr);
        cell_dur(b, &r->ttc);
        stats_out_adds(b, "</tr>");
    }
    stats_out_adds(b, "</tbody></table></section>\n");
}

static void carry_table(struct stats_out *b, const struct stats_report *r)
{
    const struct stats_row *t = &r->total;
    bool month = r->period == STATS_PERIOD_MONTH;
    const struct stats_row *rows = r->rows[STATS_DIM_DEPARTMENT];
    size_t n = r->n_rows[STATS_DIM_DEPARTMENT];

    stats_out_addf(b,
                      "<section><h2>结转情况</h2><table class=\"figures carry\"><thead><tr>"
                      "<th>责任单位</th><th>%s结转</th><th>%s新增</th><th>其中新交办</th>"
                      "<th>其中重新办理</th><th>%s办结</th><th>%s不予处置</th>"
                      "<th>其中未签收即办结或不予处置</th><th>结转%s</th><th>其中期末未签收</th>"
                      "<th>退回</th></tr></thead><tbody>",
                      month ? "上月" : "上年", month ? "本月" : "本年", month ? "本月" : "本年",
                      month ? "本月" : "本年", month ? "下月" : "下年");
    for (size_t i = 0; i <= n; i++) {
        const struct stats_row *x = i < n ? &rows[i] : t;
        stats_out_adds(b, i < n ? "<tr><th scope=\"row\">" : "<tr class=\"total\"><th scope=\"row\">");
        stats_out_html(b, x->key);
        stats_out_addf(b,
                          "</th><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                          "<td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                          "<td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                          "<td class=\"n\">%zu</td><td class=\"n\">%zu</td></tr>",
                          x->carried_in, x->added, x->detected, x->reopened, x->closed,
                          x->dismissed, x->settled_unacknowledged, x->carried_out,
                          x->unacknowledged_at_end, x->returned);
    }
    stats_out_addf(b,
                      "</tbody></table><p class=\"identity\" id=\"identity\">%s结转 %zu + %s新增 "
                      "%zu = %s办结 %zu + %s不予处置 %zu + 结转%s %zu（%zu = %zu，%s）</p>"
                      "<p class=\"note\">恒等式：上月结转 + 本月新增 = 本月办结 + 本月不予处置 + "
                      "结转下月</p></section>\n",
                      month ? "上月" : "上年", t->carried_in, month ? "本月" : "本年", t->added,
                      month ? "本月" : "本年", t->closed, month ? "本月" : "本年", t->dismissed,
                      month ? "下月" : "下年", t->carried_out, t->carried_in + t->added,
                      t->closed + t->dismissed + t->carried_out,
                      t->carried_in + t->added == t->closed + t->dismissed + t->carried_out
                          ? "平衡"
                          : "不平衡");
}

static void clocks_table(struct stats_out *b, const struct stats_row *t)
{
    stats_out_adds(b, "<section><h2>各时限完成情况</h2><table class=\"figures\"><thead><tr>"
                       "<th>时限</th><th>应办</th><th>按时</th><th>超时完成</th><th>超时未完成</th>"
                       "<th>未到期</th><th>不计</th><th>按时率</th><th>完成率</th></tr></thead><tbody>");
    for (int k = 0; k < STATS_CLOCK_COUNT; k++) {
        const struct stats_clock_tally *c = &t->clocks[k];
        stats_out_adds(b, "<tr><th scope=\"row\">");
        stats_out_html(b, stats_clock_terms[k].label);
        stats_out_addf(b,
                          "</th><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                          "<td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                          "<td class=\"n\">%zu</td>",
                          c->due, c->on_time, c->late, c->missed, c->pending, c->excluded);
        cell_pct(b, c->on_time, c->due);
        cell_pct(b, stats_met(c), c->due);
        stats_out_adds(b, "</tr>");
    }
    stats_out_adds(b, "</tbody></table></section>\n");
}

static void overdue_table(struct stats_out *b, const struct stats_report *r)
{
    char t1[32], t2[32], d[32];
    stats_out_addf(b, "<section><h2>超期清单（%zu项）</h2>", r->n_overdue);
    if (r->n_overdue == 0) {
        stats_out_adds(b, "<p>无。</p></section>\n");
        return;
    }
    stats_out_adds(b, "<table class=\"figures overdue\"><thead><tr><th>编号</th><th>标题</th>"
                       "<th>级别</th><th>责任单位</th><th>时限</th><th>届满</th><th>完成</th>"
                       "<th>超时</th></tr></thead><tbody>");
    for (size_t i = 0; i < r->n_overdue; i++) {
        const struct stats_overdue *o = &r->overdue[i];
        stats_out_adds(b, "<tr><td>");
        stats_out_html(b, o->number);
        stats_out_adds(b, "</td><td>");
        stats_out_html(b, o->title);
        stats_out_addf(b, "</td><td>%s</td><td>", yq_level_name(o->level));
        stats_out_html(b, o->department);
        stats_out_adds(b, "</td><td>");
        stats_out_html(b, stats_clock_terms[o->clock].label);
        stats_out_addf(b, "</td><td>%s</td><td>%s</td><td class=\"n\">%s</td></tr>",
                          yq_time_format_shanghai(o->deadline, t1, sizeof(t1)),
                          o->met_at ? yq_time_format_shanghai(o->met_at, t2, sizeof(t2))
                                    : "未完成",
                          stats_fmt_dur(o->late_s, 1, d, sizeof(d)));
    }
    stats_out_adds(b, "</tbody></table></section>\n");
}

static void load_table(struct stats_out *b, const struct stats_report *r)
{
    stats_out_adds(b, "<section><h2>值班负荷</h2><table class=\"figures\"><thead><tr><th>时段"
                       "</th><th>新交办单</th><th>预警</th></tr></thead><tbody>");
    for (int i = 0; i < STATS_BAND_COUNT; i++) {
        stats_out_adds(b, "<tr><th scope=\"row\">");
        stats_out_html(b, stats_band_terms[i].label);
        stats_out_addf(b, "</th><td class=\"n\">%zu</td><td class=\"n\">%zu</td></tr>",
                          r->load_tickets[i], r->load_alerts[i]);
    }
    stats_out_adds(b, "</tbody></table></section>\n");
}

/* Outcome and reason counts of t, then noise, 噪声率 and 精确率, as table cells. */
static void judge_cells(struct stats_out *b, const struct stats_judge_tally *t)
{
    int64_t noise = stats_judge_noise_tenths(t), prec = stats_judge_precision_tenths(t);
    stats_out_addf(b, "<td class=\"n\">%zu</td>", t->judged);
    for (int i = 0; i < STATS_OUTCOME_COUNT; i++) {
        stats_out_addf(b, "<td class=\"n\">%zu</td>", t->by_outcome[i]);
    }
    for (int i = 0; i < STATS_REASON_COUNT; i++) {
        stats_out_addf(b, "<td class=\"n\">%zu</td>", t->by_reason[i]);
    }
    stats_out_addf(b, "<td class=\"n\">%zu</td>", t->noise);
    if (noise < 0) {
        stats_out_adds(b, "<td class=\"n\">—</td><td class=\"n\">—</td>");
    } else {
        stats_out_addf(b, "<td class=\"n\">%lld.%lld%%</td><td class=\"n\">%lld.%lld%%</td>",
                       (long long)(noise / 10), (long long)(noise % 10), (long long)(prec / 10),
                       (long long)(prec % 10));
    }
}

/* The 研判 section: times, outcomes, carried forward, per rule group, and its chart. */
static void judge_section(struct stats_out *b, const struct stats_report *r)
{
    const struct stats_judge *j = r->judge;
    static const char *const names[3] = {"研判用时（值班员研判）", "确认用时（交办待确认）",
                                         "突增事件研判用时"};

    stats_out_adds(b, "<section class=\"judging\" id=\"judging\"><h2>研判</h2>");
    if (stats_judge_absent_text(r)) {
        stats_out_adds(b, "<p class=\"note\">");
        stats_out_html(b, stats_judge_absent_text(r));
        stats_out_adds(b, "</p></section>\n");
        return;
    }
    stats_out_adds(b, "<table class=\"figures\"><thead><tr><th>用时</th><th>件数</th>"
                      "<th>中位数</th><th>P90</th><th>平均</th></tr></thead><tbody>");
    {
        const struct stats_summary *ss[3] = {&j->time, &j->auto_time, &j->spike_time};
        for (int i = 0; i < 3; i++) {
            stats_out_addf(b, "<tr><th scope=\"row\">%s</th><td class=\"n\">%zu</td>", names[i],
                           ss[i]->n);
            cell_dur(b, ss[i]);
            stats_out_adds(b, "</tr>");
        }
    }
    stats_out_adds(b, "</tbody></table><table class=\"figures\"><thead><tr>"
                      "<th rowspan=\"2\">研判结果</th><th rowspan=\"2\">研判件数</th>");
    for (int i = 0; i < STATS_OUTCOME_COUNT; i++) {
        stats_out_addf(b, "<th rowspan=\"2\">%s</th>", stats_outcome_terms[i].label);
    }
    stats_out_addf(b,
                   "<th colspan=\"%d\">不予处置理由</th><th rowspan=\"2\">%s或%s"
                   "</th><th rowspan=\"2\">噪声率</th><th rowspan=\"2\">精确率</th></tr><tr>",
                   STATS_REASON_COUNT, stats_reason_terms[STATS_REASON_FALSE_ALARM].label,
                   stats_reason_terms[STATS_REASON_IRRELEVANT].label);
    for (int i = 0; i < STATS_REASON_COUNT; i++) {
        stats_out_addf(b, "<th>%s</th>", stats_reason_terms[i].label);
    }
    stats_out_adds(b, "</tr></thead><tbody>");
    for (size_t i = 0; i < j->n_groups; i++) {
        stats_out_adds(b, "<tr><th scope=\"row\">");
        stats_out_html(b, j->groups[i].key);
        stats_out_adds(b, "</th>");
        judge_cells(b, &j->groups[i].tally);
        stats_out_adds(b, "</tr>");
    }
    stats_out_adds(b, "<tr class=\"total\"><th scope=\"row\">预警事件合计</th>");
    judge_cells(b, &j->total);
    stats_out_adds(b, "</tr><tr><th scope=\"row\">突增事件（不计入规则精确率）</th>");
    judge_cells(b, &j->spike);
    stats_out_addf(b, "</tr></tbody></table><p class=\"note\">按规则分组：一个事件命中多个分组的在"
                      "每个分组各计一次，故分组合计可大于预警事件合计；预警事件合计中含确认交办待确认"
                      "事件 %zu 件。</p><p id=\"judging-carried\">截至统计截止：待研判 %zu 件（其中超过"
                      "研判时限 %zu 件、突增 %zu 件），交办待确认 %zu 件。</p>"
                      "<figure><figcaption>各规则分组研判结果</figcaption>"
                      "<div class=\"chart\" id=\"chart-judging\"></div></figure></section>\n",
                   j->auto_confirmed, j->pending, j->pending_overdue, j->pending_spike,
                   j->awaiting_confirmation);
}

int stats_write_html(const struct stats_report *r, const struct stats_render_opts *opts,
                     struct yq_buf *out)
{
    const char *asset_base = opts ? opts->asset_base : NULL;
    const char *office = opts ? opts->office : NULL;
    struct stats_out sink = stats_out_on(out);
    struct stats_out *b = &sink;
    char period[32], t1[32], t2[32], t3[32];
    char *bulletin = NULL, *json = NULL;
    json_t *j = NULL;
    int err;

    err = stats_report_json(r, &j);
    if (err) {
        return err;
    }
    /* percentages as 66.7, not 66.700000000000003 */
    json = yq_json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(j);
    if (!json || stats_bulletin(r, &bulletin)) {
        free(json);
        return ERR_NOMEM;
    }
    stats_fmt_period(r, period, sizeof(period));
    stats_out_adds(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                       "<title>");
    stats_out_html(b, period);
    stats_out_adds(b, " 政务舆情回应情况");
    stats_out_adds(b, r->period == STATS_PERIOD_MONTH ? "月度通报" : "年度统计");
    stats_out_adds(b, "</title><link rel=\"stylesheet\" href=\"");
    put_asset(b, asset_base, "stats-report.css");
    stats_out_adds(b, "\"></head><body class=\"stats-report\"><header>");
    if (office && *office) {
        stats_out_adds(b, "<p class=\"office\">");
        stats_out_html(b, office);
        stats_out_adds(b, "</p>");
    }
    stats_out_adds(b, "<h1>");
    stats_out_html(b, period);
    if (r->department) {
        stats_out_adds(b, " ");
        stats_out_html(b, r->department);
    }
    stats_out_adds(b, " 政务舆情回应情况");
    stats_out_adds(b, r->period == STATS_PERIOD_MONTH ? "月度通报" : "年度统计");
    stats_out_addf(b,
                      "</h1><p class=\"window\">统计期：%s 至 %s（北京时间，不含结束时刻）；"
                      "统计截止：%s</p></header>\n",
                      yq_time_format_shanghai(r->start, t1, sizeof(t1)),
                      yq_time_format_shanghai(r->end, t2, sizeof(t2)),
                      yq_time_format_shanghai(r->cutoff, t3, sizeof(t3)));
    stats_out_adds(b, "<section><h2>通报</h2><p class=\"bulletin\" id=\"bulletin\">");
    stats_out_html(b, bulletin);
    stats_out_adds(b, "</p></section>\n");
    carry_table(b, r);
    clocks_table(b, &r->total);
    stats_out_adds(b, "<section class=\"charts\"><h2>图表</h2>"
                       "<figure><figcaption>每日新交办单（按级别）</figcaption>"
                       "<div class=\"chart\" id=\"chart-daily\"></div></figure>"
                       "<figure><figcaption>首次回应用时分布</figcaption>"
                       "<div class=\"chart\" id=\"chart-ttr\"></div></figure>"
                       "<figure><figcaption>各责任单位按时率</figcaption>"
                       "<div class=\"chart\" id=\"chart-departments\"></div></figure>"
                       "</section>\n");
    group_table(b, stats_dim_terms[STATS_DIM_DEPARTMENT].label, r->rows[STATS_DIM_DEPARTMENT],
                r->n_rows[STATS_DIM_DEPARTMENT], &r->total);
    stats_out_adds(b, "<section><h2>零回应单位</h2><p id=\"zero-response\">");
    if (r->n_zero_response == 0) {
        stats_out_adds(b, "无。");
    }
    for (size_t i = 0; i < r->n_zero_response; i++) {
        stats_out_adds(b, i ? "、" : "");
        stats_out_html(b, r->zero_response_departments[i]);
    }
    stats_out_adds(b, "</p></section>\n");
    overdue_table(b, r);
    for (int d = STATS_DIM_LEVEL; d < STATS_DIM_COUNT; d++) {
        group_table(b, stats_dim_terms[d].label, r->rows[d], r->n_rows[d], &r->total);
    }
    load_table(b, r);
    judge_section(b, r);
    stats_out_addf(b,
                      "<section><h2>%s</h2><p id=\"cohort\">监测发现 %zu 件；交办 %zu 件；已回应 %zu 件，"
                      "其中按时 %zu 件；公开回应 %zu 次，其中新闻发布会 %zu 次。</p></section>\n",
                      r->period == STATS_PERIOD_MONTH ? "本期新发现舆情办理情况"
                                                      : "年度报告数字（政务舆情回应）",
                      r->cohort.detected, r->cohort.handed_over, r->cohort.responded,
                      r->cohort.responded_on_time, r->responses, r->press_conferences);
    if (r->responses_detection_known) { /* issue #15 */
        stats_out_addf(b, "<p id=\"responses-detected\">回应 %zu 次，其中自动发现 %zu 次、"
                          "人工录入 %zu 次。</p>\n",
                       r->responses,
                       r->responses_detected < r->responses ? r->responses_detected
                                                            : r->responses,
                       r->responses_detected < r->responses
                           ? r->responses - r->responses_detected
                           : 0);
    }
    stats_blind_html(b, r);
    stats_out_adds(b, "<section class=\"definitions\"><h2>指标说明</h2><dl>");
    for (const struct stats_definition *d = stats_definitions; d->term; d++) {
        stats_out_adds(b, "<dt>");
        stats_out_html(b, d->term);
        stats_out_adds(b, "</dt><dd>");
        stats_out_html(b, d->text);
        stats_out_adds(b, "</dd>");
    }
    stats_out_adds(b, "</dl></section>\n<script type=\"application/json\" id=\"stats-data\">");
    put_json_block(b, json);
    stats_out_adds(b, "</script>\n<script src=\"");
    put_asset(b, asset_base, "echarts.min.js");
    stats_out_adds(b, "\"></script>\n<script src=\"");
    put_asset(b, asset_base, "stats-charts.js");
    stats_out_adds(b, "\"></script>\n</body></html>\n");
    free(json);
    free(bulletin);
    return b->err;
}
