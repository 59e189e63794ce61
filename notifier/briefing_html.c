/*
 * The briefing's and the 专报's HTML (briefing_html.h), written with the statistics report's
 * output helpers (stats_fmt.h: sticky errors, escaping through yq_html.h, percentages) and
 * styled by its stylesheet (stats-report.css: body.stats-report, table.figures, td.n, .note).
 */
#include "briefing_html.h"

#include <stdio.h>
#include <string.h>

#include "stats_fmt.h"
#include "yq_err.h"
#include "yq_labels.h"
#include "yq_time.h"
#include "yq_banned.h"

/* Width and height of a volume bar chart (SVG user units = CSS px on screen). */
#define BAR_W 10
#define BAR_GAP 2
#define BAR_H 18

static const char *const level_names[4] = {"Ⅰ级（特别重大）", "Ⅱ级（重大）", "Ⅲ级（较大）",
                                           "Ⅳ级（一般）"};

static const char *when(int64_t t, char *buf, size_t len)
{
    if (t <= 0) {
        return "—";
    }
    return yq_time_format_shanghai(t, buf, len);
}

static void head(struct stats_out *o, const char *title, const char *asset_base)
{
    stats_out_adds(o, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                      "<title>");
    stats_out_html(o, title);
    stats_out_adds(o, "</title><link rel=\"stylesheet\" href=\"");
    stats_out_html(o, asset_base ? asset_base : "");
    stats_out_adds(o, "stats-report.css\"></head><body class=\"stats-report\"><header><h1>");
    stats_out_html(o, title);
    stats_out_adds(o, "</h1>");
}

/* An inline SVG bar chart of n counts (no script, no style attribute). */
static void bars(struct stats_out *o, const int64_t *v, size_t n, const char *label)
{
    int64_t max = 1;
    size_t w = n * (BAR_W + BAR_GAP);

    for (size_t i = 0; i < n; i++) {
        max = v[i] > max ? v[i] : max;
    }
    stats_out_addf(o, "<svg class=\"trend\" width=\"%zu\" height=\"%d\" viewBox=\"0 0 %zu %d\" "
                      "role=\"img\" aria-label=\"",
                   w, BAR_H, w, BAR_H);
    stats_out_html(o, label);
    stats_out_adds(o, "\">");
    for (size_t i = 0; i < n; i++) {
        int64_t h = v[i] > 0 ? (v[i] * BAR_H + max - 1) / max : 0;
        if (h > 0) {
            stats_out_addf(o, "<rect x=\"%zu\" y=\"%lld\" width=\"%d\" height=\"%lld\" "
                              "fill=\"#b71c1c\"><title>%lld</title></rect>",
                           i * (BAR_W + BAR_GAP), (long long)(BAR_H - h), BAR_W, (long long)h,
                           (long long)v[i]);
        }
    }
    stats_out_adds(o, "</svg>");
}

static void pct_cell(struct stats_out *o, int64_t num, int64_t den)
{
    char buf[32];
    stats_out_addf(o, "<td class=\"n\">%s</td>",
                   stats_fmt_pct((size_t)num, (size_t)den, buf, sizeof(buf)));
}

/* A link when url is http(s), else the text alone. */
static void link_or_text(struct stats_out *o, const char *url, const char *text)
{
    const char *t = text && text[0] ? text : url;
    if (url && (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0)) {
        stats_out_adds(o, "<a href=\"");
        stats_out_html(o, url);
        stats_out_adds(o, "\" rel=\"noopener noreferrer\">");
        stats_out_html(o, t);
        stats_out_adds(o, "</a>");
    } else {
        stats_out_html(o, t);
    }
}

static void overview(struct stats_out *o, const struct briefing *b)
{
    char neg[32];

    stats_out_adds(o, "<section><h2>总体情况</h2><p class=\"bulletin\">");
    stats_out_addf(o, "本时段监测到命中规则的信息 %lld 条，涉及事件 %lld 起，其中新增 %lld 起、"
                      "持续 %lld 起；",
                   (long long)b->items, (long long)b->events, (long long)b->events_new,
                   (long long)b->events_continuing);
    stats_out_addf(o, "已识别情感倾向的 %lld 条中负面 %lld 条（负面占比 %s）。",
                   (long long)b->items_sentiment_known, (long long)b->items_negative,
                   stats_fmt_pct((size_t)b->items_negative, (size_t)b->items_sentiment_known, neg,
                                 sizeof(neg)));
    stats_out_addf(o, "新交办 %lld 件，首次回应 %lld 件（公开回应 %lld 次），办结 %lld 件，"
                      "超期 %lld 件。</p></section>\n",
                   (long long)b->handed_over, (long long)b->responded, (long long)b->responses,
                   (long long)b->closed, (long long)b->overdue);
}

static void breakdowns(struct stats_out *o, const struct briefing *b)
{
    stats_out_adds(o, "<section><h2>按级别</h2><table class=\"figures\"><thead><tr><th>级别</th>"
                      "<th>信息（条）</th><th>事件（起）</th></tr></thead><tbody>");
    for (int l = 0; l < 4; l++) {
        stats_out_adds(o, "<tr><th scope=\"row\">");
        stats_out_html(o, level_names[l]);
        stats_out_addf(o, "</th><td class=\"n\">%lld</td><td class=\"n\">%lld</td></tr>",
                       (long long)b->levels[l].items, (long long)b->levels[l].events);
    }
    stats_out_addf(o, "<tr class=\"total\"><th scope=\"row\">合计</th><td class=\"n\">%lld</td>"
                      "<td class=\"n\">%lld</td></tr></tbody></table></section>\n",
                   (long long)b->items, (long long)b->events);
    stats_out_adds(o, "<section><h2>按规则组</h2><table class=\"figures\"><thead><tr>"
                      "<th>规则组</th><th>信息（条）</th><th>事件（起）</th></tr></thead><tbody>");
    for (size_t i = 0; i < b->n_groups; i++) {
        stats_out_adds(o, "<tr><th scope=\"row\">");
        stats_out_html(o, b->groups[i].key);
        stats_out_addf(o, "</th><td class=\"n\">%lld</td><td class=\"n\">%lld</td></tr>",
                       (long long)b->groups[i].items, (long long)b->groups[i].events);
    }
    if (b->n_groups == 0) {
        stats_out_adds(o, "<tr><td colspan=\"3\">无</td></tr>");
    }
    stats_out_adds(o, "</tbody></table><p class=\"note\">一条信息命中多个规则组或属于不同级别的"
                      "事件时在每一行各计一次，合计按信息去重。</p></section>\n");
}

static void event_table(struct stats_out *o, const struct briefing *b)
{
    char t[40];

    stats_out_adds(o, "<section><h2>新增与持续事件</h2><table class=\"figures\"><thead><tr>"
                      "<th>事件</th><th>级别</th><th>类别</th><th>责任单位</th><th>交办单</th>"
                      "<th>发现时间</th><th>本时段信息</th><th>走势（每4小时）</th>"
                      "<th>负面占比</th></tr></thead><tbody>");
    for (size_t i = 0; i < b->n_list; i++) {
        const struct briefing_event *e = &b->list[i];
        stats_out_adds(o, "<tr><th scope=\"row\">");
        stats_out_html(o, e->title);
        stats_out_adds(o, "</th><td>");
        stats_out_html(o, e->level);
        stats_out_addf(o, "</td><td>%s</td><td>", e->is_new ? "新增" : "持续");
        stats_out_html(o, e->department[0] ? e->department : "—");
        stats_out_adds(o, "</td><td>");
        stats_out_html(o, e->ticket[0] ? e->ticket : "—");
        stats_out_addf(o, "</td><td>%s</td><td class=\"n\">%lld</td><td>",
                       when(e->detected_at, t, sizeof(t)), (long long)e->items);
        bars(o, e->trend, BRIEFING_TREND_BUCKETS, "每4小时信息量");
        stats_out_adds(o, "</td>");
        pct_cell(o, e->negative, e->sentiment_known);
        stats_out_adds(o, "</tr>");
    }
    if (b->n_list == 0) {
        stats_out_adds(o, "<tr><td colspan=\"9\">本时段无事件</td></tr>");
    }
    stats_out_adds(o, "</tbody></table>");
    if ((int64_t)b->n_list < b->events) {
        stats_out_addf(o, "<p class=\"note\">另有 %lld 起事件未列出（按级别、信息量排序）。</p>",
                       (long long)(b->events - (int64_t)b->n_list));
    }
    stats_out_adds(o, "</section>\n");
}

static void ticket_section(struct stats_out *o, const struct briefing *b)
{
    char t1[40], t2[40];

    stats_out_addf(o, "<section><h2>交办与回应</h2><table class=\"figures\"><thead><tr>"
                      "<th>新交办</th><th>首次回应</th><th>公开回应（次）</th><th>办结</th>"
                      "<th>超期</th></tr></thead><tbody><tr><td class=\"n\">%lld</td>"
                      "<td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
                      "<td class=\"n\">%lld</td></tr></tbody></table>",
                   (long long)b->handed_over, (long long)b->responded, (long long)b->responses,
                   (long long)b->closed, (long long)b->overdue);
    if (b->n_overdue_list > 0) {
        stats_out_adds(o, "<table class=\"figures overdue\"><thead><tr><th>编号</th><th>标题"
                          "</th><th>级别</th><th>责任单位</th><th>时限</th><th>期限</th>"
                          "<th>完成</th></tr></thead><tbody>");
        for (size_t i = 0; i < b->n_overdue_list; i++) {
            const struct briefing_overdue *d = &b->overdue_list[i];
            stats_out_adds(o, "<tr><td>");
            stats_out_html(o, d->number);
            stats_out_adds(o, "</td><td>");
            stats_out_html(o, d->title);
            stats_out_adds(o, "</td><td>");
            stats_out_html(o, d->level);
            stats_out_adds(o, "</td><td>");
            stats_out_html(o, d->department);
            stats_out_adds(o, "</td><td>");
            stats_out_html(o, d->clock);
            stats_out_addf(o, "</td><td>%s</td><td>%s</td></tr>", when(d->deadline, t1, sizeof(t1)),
                           d->met_at > 0 ? when(d->met_at, t2, sizeof(t2)) : "未完成");
        }
        stats_out_adds(o, "</tbody></table>");
    }
    stats_out_adds(o, "<p class=\"note\">口径同月度统计（docs/statistics.md）：新交办为本时段发现的"
                      "交办单；首次回应为本时段到期或按时完成的首次回应时限中已回应的件数；办结为"
                      "本时段内有效、截至时段结束已办结的件数；超期为本时段内有超时完成或超时未完成"
                      "时限（签收、回应、新闻发布会、办结）的件数。</p></section>\n");
}

/*
 * Issue #15: the sources blind at the briefing's cut-off (their open windows): source, reason,
 * since when, how long so far, and what to renew or the detail.
 */
static void blind_windows_section(struct stats_out *o, const struct briefing *b)
{
    const struct source_blind_list *bw = &b->blind_windows;
    int64_t cut = b->generated_at < b->end ? b->generated_at : b->end;
    char t[32], d[32];

    if (bw->n == 0) {
        stats_out_adds(o, "<p id=\"blind-now\">截至统计截止无监测盲区。</p>");
        return;
    }
    stats_out_addf(o, "<p id=\"blind-now\">截至 %s 处于监测盲区的信息源 %zu 处（盲区期间的舆情不会被"
                      "发现）：</p><table class=\"figures\"><thead><tr><th>信息源</th><th>原因"
                      "</th><th>自</th><th>已持续</th><th>详情 / 需要更新</th></tr></thead><tbody>",
                   yq_time_format_shanghai(cut, t, sizeof(t)), bw->n);
    for (size_t i = 0; i < bw->n; i++) {
        const struct source_blind_row *w = &bw->v[i];
        stats_out_adds(o, "<tr><th scope=\"row\">");
        stats_out_html(o, w->source_name[0] ? w->source_name : w->source_id);
        stats_out_adds(o, "</th><td>");
        stats_out_html(o, yq_label(YQ_LABEL_BLIND_REASON, w->reason));
        stats_out_addf(o, "</td><td>%s</td><td>%s</td><td>",
                       yq_time_format_shanghai(w->started_at, t, sizeof(t)),
                       stats_fmt_dur(cut - w->started_at, 1, d, sizeof(d)));
        stats_out_html(o, w->renew[0] ? "需要更新：" : "");
        stats_out_html(o, w->renew[0] ? w->renew : w->detail);
        stats_out_adds(o, "</td></tr>");
    }
    stats_out_adds(o, "</tbody></table>");
}

static void sources_section(struct stats_out *o, const struct briefing *b)
{
    stats_out_adds(o, "<section><h2>采集来源</h2>");
    if (!b->sources_known) {
        stats_out_adds(o, "<p>来源状态未知（未能读取采集状态）。</p>");
    } else if (b->n_blind == 0) {
        stats_out_addf(o, "<p>全部 %zu 个来源当前采集正常。</p>", b->n_sources);
    } else {
        stats_out_addf(o, "<p>共 %zu 个来源，当前失效 %zu 个：</p><table class=\"figures\">"
                          "<thead><tr><th>来源</th><th>类型</th><th>状态</th><th>连续失败</th>"
                          "<th>最近成功</th></tr></thead><tbody>",
                       b->n_sources, b->n_blind);
        for (size_t i = 0; i < b->n_blind; i++) {
            const struct briefing_source *s = &b->blind[i];
            stats_out_adds(o, "<tr><th scope=\"row\">");
            stats_out_html(o, s->name);
            stats_out_adds(o, "</th><td>");
            stats_out_html(o, yq_label(YQ_LABEL_SOURCE_KIND, s->kind));
            stats_out_adds(o, "</td><td>");
            stats_out_html(o, s->state[0] ? yq_label(YQ_LABEL_SOURCE_ERROR, s->state) : "未知");
            stats_out_addf(o, "</td><td class=\"n\">%lld</td><td>",
                           (long long)s->consecutive_failures);
            stats_out_html(o, s->last_success[0] ? s->last_success : "—");
            stats_out_adds(o, "</td></tr>");
        }
        stats_out_adds(o, "</tbody></table>");
    }
    blind_windows_section(o, b);
    if (b->archive_state == 1) {
        stats_out_addf(o, "<p>本时段归档采集信息 %lld 条（含未命中规则的）：</p><table "
                          "class=\"figures\"><thead><tr><th>来源类型</th><th>信息（条）</th>"
                          "</tr></thead><tbody>",
                       (long long)b->archive_items);
        for (size_t i = 0; i < b->n_kinds; i++) {
            stats_out_adds(o, "<tr><th scope=\"row\">");
            stats_out_html(o, yq_label(YQ_LABEL_SOURCE_KIND, b->kinds[i].kind));
            stats_out_addf(o, "</th><td class=\"n\">%lld</td></tr>", (long long)b->kinds[i].items);
        }
        stats_out_adds(o, "</tbody></table>");
    } else if (b->archive_state < 0) {
        stats_out_adds(o, "<p class=\"note\">");
        stats_out_html(o, b->archive_note);
        stats_out_adds(o, "</p>");
    }
    stats_out_adds(o, "<p class=\"note\">失效来源：最近一次采集失败（状态不是“正常”）的来源，"
                      "读取自采集器在 Redis 中的状态，与“来源”页相同。</p></section>\n");
}

int briefing_html_daily(const struct briefing *b, const char *title, const char *asset_base,
                        struct yq_buf *out)
{
    struct stats_out o = stats_out_on(out);
    char t1[40], t2[40], t3[40];

    head(&o, title, asset_base);
    stats_out_addf(&o, "<p class=\"window\">统计时段：%s 至 %s（北京时间，不含结束时刻）；"
                       "生成时间：%s</p></header>\n",
                   when(b->start, t1, sizeof(t1)), when(b->end, t2, sizeof(t2)),
                   when(b->generated_at, t3, sizeof(t3)));
    overview(&o, b);
    breakdowns(&o, b);
    event_table(&o, b);
    ticket_section(&o, b);
    sources_section(&o, b);
    stats_out_adds(&o, "<section class=\"definitions\"><h2>口径说明</h2><dl>"
                       "<dt>信息</dt><dd>本时段内命中规则的信息（按命中时间），按信息去重；"
                       "已并入其他事件的事件不单独计。</dd>"
                       "<dt>新增事件 / 持续事件</dt><dd>新增：本时段内发现；持续：本时段前发现、"
                       "本时段内仍有新信息。</dd>"
                       "<dt>负面占比</dt><dd>负面信息 ÷ 已识别情感倾向的信息；无已识别信息时为“—”。"
                       "</dd></dl></section>\n</body></html>\n");
    return o.err;
}

int briefing_html_event(const struct briefing_event_report *r, const char *asset_base,
                        struct yq_buf *out)
{
    struct stats_out o = stats_out_on(out);
    char t1[40], t2[40], neg[32];
    struct yq_buf tb;
    char *title = NULL;

    yq_buf_init(&tb, 4096);
    if (yq_buf_adds(&tb, "专报：") == 0 && yq_buf_adds(&tb, r->ev.title) == 0) {
        title = tb.data;
    }
    head(&o, title ? title : "专报", asset_base);
    stats_out_addf(&o, "<p class=\"window\">生成时间：%s</p></header>\n",
                   when(r->generated_at, t1, sizeof(t1)));
    yq_buf_release(&tb);
    stats_out_adds(&o, "<section><h2>事件概况</h2><table class=\"figures\"><tbody>"
                       "<tr><th scope=\"row\">标题</th><td>");
    stats_out_html(&o, r->ev.title);
    stats_out_adds(&o, "</td></tr><tr><th scope=\"row\">级别</th><td>");
    stats_out_html(&o, r->ev.level);
    stats_out_adds(&o, "</td></tr><tr><th scope=\"row\">责任单位</th><td>");
    stats_out_html(&o, r->ev.department[0] ? r->ev.department : "—");
    stats_out_adds(&o, "</td></tr><tr><th scope=\"row\">状态</th><td>");
    stats_out_html(&o, r->ev.state);
    stats_out_adds(&o, "</td></tr><tr><th scope=\"row\">交办单</th><td>");
    stats_out_html(&o, r->ev.ticket[0] ? r->ev.ticket : "—");
    if (r->ticket_state[0]) {
        stats_out_adds(&o, "（");
        stats_out_html(&o, r->ticket_state);
        stats_out_adds(&o, "）");
    }
    stats_out_addf(&o, "</td></tr><tr><th scope=\"row\">发现时间</th><td>%s</td></tr>"
                       "<tr><th scope=\"row\">信息量</th><td>%lld 条，热度 %lld，负面占比 %s"
                       "</td></tr></tbody></table></section>\n",
                   when(r->ev.detected_at, t1, sizeof(t1)), (long long)r->ev.items,
                   (long long)r->ev.heat,
                   stats_fmt_pct((size_t)r->ev.negative, (size_t)r->ev.sentiment_known, neg,
                                 sizeof(neg)));
    stats_out_adds(&o, "<section><h2>信息量走势（每小时）</h2>");
    if (r->n_hours > 0) {
        int64_t peak = 0;
        size_t at = 0;
        for (size_t i = 0; i < r->n_hours; i++) {
            if (r->hourly[i] > peak) {
                peak = r->hourly[i];
                at = i;
            }
        }
        stats_out_addf(&o, "<p>%s 起 %zu 小时，峰值 %lld 条/小时（%s 起）：</p>",
                       when(r->hours_start, t1, sizeof(t1)), r->n_hours, (long long)peak,
                       when(r->hours_start + (int64_t)at * 3600, t2, sizeof(t2)));
        bars(&o, r->hourly, r->n_hours, "每小时信息量");
    } else {
        stats_out_adds(&o, "<p>无信息。</p>");
    }
    stats_out_adds(&o, "</section>\n<section><h2>重点信息（按热度）</h2><table class=\"figures\">"
                       "<thead><tr><th>标题</th><th>来源</th><th>作者</th><th>时间</th>"
                       "<th>热度</th><th>倾向</th></tr></thead><tbody>");
    for (size_t i = 0; i < r->n_posts; i++) {
        const struct briefing_post *p = &r->posts[i];
        const char *s = strcmp(p->sentiment, "negative") == 0   ? "负面"
                        : strcmp(p->sentiment, "positive") == 0 ? "正面"
                        : strcmp(p->sentiment, "neutral") == 0  ? "中性"
                                                                : "—";
        stats_out_adds(&o, "<tr><td>");
        link_or_text(&o, p->url, p->title);
        stats_out_adds(&o, "</td><td>");
        stats_out_html(&o, p->channel);
        stats_out_adds(&o, "</td><td>");
        stats_out_html(&o, p->author);
        stats_out_addf(&o, "</td><td>%s</td><td class=\"n\">%lld</td><td>%s</td></tr>",
                       when(p->at, t1, sizeof(t1)), (long long)p->heat, s);
    }
    stats_out_adds(&o, "</tbody></table></section>\n<section><h2>研判记录</h2>");
    if (r->judged_at > 0) {
        stats_out_addf(&o, "<p>%s，", when(r->judged_at, t1, sizeof(t1)));
        stats_out_html(&o, r->judged_by);
        stats_out_adds(&o, " 研判：");
        stats_out_html(&o, r->outcome[0] ? r->outcome : "—");
        if (r->dismiss_reason[0]) {
            stats_out_adds(&o, "（");
            stats_out_html(&o, r->dismiss_reason);
            stats_out_adds(&o, "）");
        }
        stats_out_adds(&o, "。</p><p>研判意见：");
        stats_out_html(&o, r->opinion[0] ? r->opinion : "无");
        stats_out_adds(&o, "</p>");
    } else {
        stats_out_adds(&o, "<p>尚未研判。</p>");
    }
    stats_out_adds(&o, "</section>\n<section><h2>回应情况</h2>");
    if (r->n_responses == 0) {
        stats_out_adds(&o, r->ev.ticket[0] ? "<p>尚无回应记录。</p>" : "<p>未交办，无回应记录。</p>");
    } else {
        stats_out_adds(&o, "<table class=\"figures\"><thead><tr><th>回应时间</th><th>渠道</th>"
                           "<th>链接</th><th>说明</th><th>登记人</th></tr></thead><tbody>");
        for (size_t i = 0; i < r->n_responses; i++) {
            const struct briefing_response *p = &r->responses[i];
            stats_out_addf(&o, "<tr><td>%s</td><td>", when(p->at, t1, sizeof(t1)));
            stats_out_html(&o, p->channel);
            stats_out_adds(&o, "</td><td>");
            link_or_text(&o, p->url, p->url);
            stats_out_adds(&o, "</td><td>");
            stats_out_html(&o, p->note);
            stats_out_adds(&o, "</td><td>");
            stats_out_html(&o, p->recorded_by);
            stats_out_adds(&o, "</td></tr>");
        }
        stats_out_adds(&o, "</tbody></table>");
    }
    stats_out_adds(&o, "</section>\n<section><h2>处置经过</h2><table class=\"figures\"><thead>"
                       "<tr><th>时间</th><th>记录</th><th>操作人</th><th>动作</th><th>说明</th>"
                       "</tr></thead><tbody>");
    for (size_t i = 0; i < r->n_log; i++) {
        const struct briefing_log *l = &r->log[i];
        stats_out_addf(&o, "<tr><td>%s</td><td>%s</td><td>", when(l->at, t2, sizeof(t2)),
                       l->ticket ? "交办单" : "事件");
        stats_out_html(&o, l->actor);
        stats_out_adds(&o, "</td><td>");
        stats_out_html(&o, l->action);
        stats_out_adds(&o, "</td><td>");
        stats_out_html(&o, l->note);
        stats_out_adds(&o, "</td></tr>");
    }
    stats_out_adds(&o, "</tbody></table></section>\n</body></html>\n");
    return o.err;
}
