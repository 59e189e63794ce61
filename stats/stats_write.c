/*
 * The report's writers (stats_write.h): JSON, the 通报 paragraph, CSV and plain text. The HTML
 * writer is stats_html.c; stats_render.c picks one by format.
 */
#include "stats_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_defs.h"
#include "stats_fmt.h"
#include "stats_blind.h"
#include "stats_judge.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_text.h"
#include "yq_time.h"
#include "yq_banned.h"

/* ------------------------------------------------------------- JSON */

static json_t *time_json(int64_t t)
{
    char buf[32];
    return t > 0 ? json_string(yq_time_format_utc(t, buf, sizeof(buf))) : json_null();
}

static json_t *pct_json(size_t num, size_t den)
{
    int64_t t = stats_pct_tenths(num, den);
    return t < 0 ? json_null() : json_real((double)t / 10.0);
}

static json_t *summary_json(const struct stats_summary *s)
{
    if (s->n == 0) {
        return json_pack("{s:i,s:n,s:n,s:n}", "n", 0, "median_s", "p90_s", "mean_s");
    }
    return json_pack("{s:I,s:I,s:I,s:I}", "n", (json_int_t)s->n, "median_s",
                     (json_int_t)s->median_s, "p90_s", (json_int_t)s->p90_s, "mean_s",
                     (json_int_t)s->mean_s);
}

static json_t *row_json(const struct stats_row *r)
{
    json_t *clocks = json_object();
    json_t *hist = json_array();
    json_t *o;

    if (!clocks || !hist) {
        json_decref(clocks);
        json_decref(hist);
        return NULL;
    }
    for (int k = 0; k < STATS_CLOCK_COUNT; k++) {
        const struct stats_clock_tally *c = &r->clocks[k];
        json_object_set_new(
            clocks, stats_clock_terms[k].name,
            json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "label",
                      stats_clock_terms[k].label, "due", (json_int_t)c->due,
                      "on_time", (json_int_t)c->on_time, "late", (json_int_t)c->late, "missed",
                      (json_int_t)c->missed, "pending", (json_int_t)c->pending, "excluded",
                      (json_int_t)c->excluded, "met", (json_int_t)stats_met(c), "on_time_pct",
                      pct_json(c->on_time, c->due), "met_pct", pct_json(stats_met(c), c->due)));
    }
    for (int i = 0; i < STATS_TTR_BUCKETS; i++) {
        json_array_append_new(hist, json_integer((json_int_t)r->ttr_hist[i]));
    }
    o = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o}", "key", r->key,
                  "carried_in", (json_int_t)r->carried_in, "added", (json_int_t)r->added,
                  "detected", (json_int_t)r->detected, "reopened", (json_int_t)r->reopened,
                  "closed", (json_int_t)r->closed, "dismissed", (json_int_t)r->dismissed,
                  "carried_out", (json_int_t)r->carried_out, "returned", (json_int_t)r->returned,
                  "overdue_tickets", (json_int_t)r->overdue_tickets, "clocks", clocks, "mtta",
                  summary_json(&r->mtta), "ttr", summary_json(&r->ttr), "ttr_histogram", hist);
    if (o) {
        if (r->id) {
            json_object_set_new(o, "source_id", json_string(r->id));
        }
        json_object_set_new(o, "ttc", summary_json(&r->ttc));
        json_object_set_new(o, "settled_unacknowledged",
                            json_integer((json_int_t)r->settled_unacknowledged));
        json_object_set_new(o, "unacknowledged_at_end",
                            json_integer((json_int_t)r->unacknowledged_at_end));
    }
    return o;
}

static json_t *strings_json(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_array_append_new(a, json_string(v[i]));
    }
    return a;
}

static json_t *daily_json(const struct stats_report *r)
{
    json_t *days = json_array(), *counts = json_array();
    for (size_t l = 0; counts && l < 4; l++) {
        json_array_append_new(counts, json_array());
    }
    for (size_t d = 0; days && counts && d < r->n_days; d++) {
        char buf[32];
        yq_time_format_shanghai(r->start + (int64_t)d * 86400, buf, sizeof(buf));
        buf[10] = '\0'; /* "YYYY-MM-DD" */
        json_array_append_new(days, json_string(buf));
        for (size_t l = 0; l < 4; l++) {
            json_array_append_new(json_array_get(counts, l),
                                  json_integer((json_int_t)r->daily[d][l]));
        }
    }
    return json_pack("{s:o,s:[ssss],s:o}", "days", days ? days : json_null(), "levels", "I",
                     "II", "III", "IV", "counts", counts ? counts : json_null());
}

static json_t *overdue_json(const struct stats_report *r)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->n_overdue; i++) {
        const struct stats_overdue *o = &r->overdue[i];
        json_array_append_new(
            a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:I}", "number", o->number, "title",
                         o->title, "level", yq_level_name(o->level), "department", o->department,
                         "clock", stats_clock_terms[o->clock].name, "clock_label",
                         stats_clock_terms[o->clock].label, "deadline", time_json(o->deadline),
                         "met_at", time_json(o->met_at), "late_minutes",
                         (json_int_t)(o->late_s / 60)));
    }
    return a;
}

static json_t *load_json(const struct stats_report *r)
{
    json_t *a = json_array();
    for (int i = 0; a && i < STATS_BAND_COUNT; i++) {
        json_array_append_new(a, json_pack("{s:s,s:s,s:I,s:I}", "band",
                                           stats_band_terms[i].name, "label",
                                           stats_band_terms[i].label, "tickets",
                                           (json_int_t)r->load_tickets[i], "alerts",
                                           (json_int_t)r->load_alerts[i]));
    }
    return a;
}

static json_t *hist_json(const struct stats_report *r)
{
    json_t *labels = json_array(), *counts = json_array();
    for (int i = 0; labels && counts && i < STATS_TTR_BUCKETS; i++) {
        json_array_append_new(labels, json_string(stats_ttr_bucket_labels[i]));
        json_array_append_new(counts, json_integer((json_int_t)r->total.ttr_hist[i]));
    }
    return json_pack("{s:o,s:o}", "labels", labels ? labels : json_null(), "counts",
                     counts ? counts : json_null());
}

/* [{"name","label","count"}] of the outcomes and of the dismissal reasons of t */
static json_t *terms_json(const struct stats_term *terms, const size_t *counts, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++) {
        json_array_append_new(a, json_pack("{s:s,s:s,s:I}", "name", terms[i].name, "label",
                                           terms[i].label, "count", (json_int_t)counts[i]));
    }
    return a;
}

static json_t *tenths_json(int64_t t)
{
    return t < 0 ? json_null() : json_real((double)t / 10.0);
}

static json_t *judge_tally_json(const struct stats_judge_tally *t)
{
    return json_pack("{s:I,s:o,s:o,s:I,s:o,s:o}", "judged", (json_int_t)t->judged, "by_outcome",
                     terms_json(stats_outcome_terms, t->by_outcome, STATS_OUTCOME_COUNT),
                     "dismissed_by_reason",
                     terms_json(stats_reason_terms, t->by_reason, STATS_REASON_COUNT), "noise",
                     (json_int_t)t->noise, "noise_pct", tenths_json(stats_judge_noise_tenths(t)),
                     "precision_pct", tenths_json(stats_judge_precision_tenths(t)));
}

const char *stats_judge_absent_text(const struct stats_report *r)
{
    if (!r->judge || r->judge->absent == STATS_JUDGE_NO_DATA) {
        return "无研判数据（交办单库早于研判台，没有事件记录）";
    }
    if (r->judge->absent == STATS_JUDGE_DEPARTMENT) {
        return "按责任单位筛选的报表不含研判统计（研判为值班室工作）";
    }
    return NULL;
}

/* The "judging" object (stats_render.h). */
static json_t *judge_json(const struct stats_report *r)
{
    const struct stats_judge *j = r->judge;
    json_t *o, *total, *groups;

    if (stats_judge_absent_text(r)) {
        return json_pack("{s:b,s:s,s:s}", "available", 0, "absent",
                         j && j->absent == STATS_JUDGE_DEPARTMENT ? "department" : "no_data",
                         "note", stats_judge_absent_text(r));
    }
    o = json_pack("{s:b}", "available", 1);
    total = judge_tally_json(&j->total);
    groups = json_array();
    if (!o || !total || !groups || json_object_update(o, total) != 0) {
        json_decref(o);
        json_decref(total);
        json_decref(groups);
        return NULL;
    }
    json_decref(total);
    for (size_t i = 0; i < j->n_groups; i++) {
        json_t *g = judge_tally_json(&j->groups[i].tally);
        if (g) {
            json_object_set_new(g, "key", json_string(j->groups[i].key));
        }
        json_array_append_new(groups, g);
    }
    json_object_set_new(o, "auto_confirmed", json_integer((json_int_t)j->auto_confirmed));
    json_object_set_new(o, "time", summary_json(&j->time));
    json_object_set_new(o, "auto_time", summary_json(&j->auto_time));
    json_object_set_new(
        o, "carried_forward",
        json_pack("{s:I,s:I,s:I,s:I}", "pending", (json_int_t)j->pending, "pending_overdue",
                  (json_int_t)j->pending_overdue, "pending_spike", (json_int_t)j->pending_spike,
                  "awaiting_confirmation", (json_int_t)j->awaiting_confirmation));
    json_object_set_new(o, "spike", judge_tally_json(&j->spike));
    json_object_set_new(json_object_get(o, "spike"), "time", summary_json(&j->spike_time));
    json_object_set_new(o, "rule_groups", groups);
    return o;
}

int stats_report_json(const struct stats_report *r, json_t **out)
{
    const struct stats_row *t = &r->total;
    json_t *o = NULL, *by = NULL, *defs = NULL;
    char label[16];
    char *bulletin = NULL;
    int err = ERR_NOMEM;

    *out = NULL;
    if (r->period == STATS_PERIOD_MONTH) {
        snprintf(label, sizeof(label), "%04d-%02d", r->year, r->month);
    } else {
        snprintf(label, sizeof(label), "%04d", r->year);
    }
    if (stats_bulletin(r, &bulletin)) {
        return ERR_NOMEM;
    }
    by = json_object();
    defs = json_array();
    for (int d = 0; by && d < STATS_DIM_COUNT; d++) {
        json_t *rows = json_array();
        for (size_t i = 0; rows && i < r->n_rows[d]; i++) {
            json_array_append_new(rows, row_json(&r->rows[d][i]));
        }
        json_object_set_new(by, stats_dim_terms[d].name, rows ? rows : json_null());
    }
    for (const struct stats_definition *d = stats_definitions; defs && d->term; d++) {
        json_array_append_new(defs, json_pack("{s:s,s:s}", "term", d->term, "text", d->text));
    }
    if (!by || !defs) {
        json_decref(by);
        json_decref(defs);
        goto done;
    }
    o = json_pack(
        "{s:i,s:s,s:s,s:i,s:o,s:{s:o,s:o,s:s},s:o,s:o,s:o,"
        "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:s}}",
        "schema", 1, "period", r->period == STATS_PERIOD_MONTH ? "month" : "year", "label", label,
        "year", r->year, "month", r->period == STATS_PERIOD_MONTH ? json_integer(r->month)
                                                                 : json_null(),
        "window", "start", time_json(r->start), "end", time_json(r->end), "timezone",
        "Asia/Shanghai", "cutoff", time_json(r->cutoff), "generated_at",
        time_json(r->generated_at), "department",
        r->department ? json_string(r->department) : json_null(), "carry_over", "carried_in",
        (json_int_t)t->carried_in, "added", (json_int_t)t->added, "detected",
        (json_int_t)t->detected, "reopened", (json_int_t)t->reopened, "closed",
        (json_int_t)t->closed, "dismissed", (json_int_t)t->dismissed, "carried_out",
        (json_int_t)t->carried_out, "balanced",
        t->carried_in + t->added == t->closed + t->dismissed + t->carried_out, "identity",
        "上月结转 + 本月新增 = 本月办结 + 本月不予处置 + 结转下月");
    if (!o) {
        json_decref(by);
        json_decref(defs);
        goto done;
    }
    json_object_set_new(json_object_get(o, "carry_over"), "settled_unacknowledged",
                        json_integer((json_int_t)t->settled_unacknowledged));
    json_object_set_new(json_object_get(o, "carry_over"), "unacknowledged_at_end",
                        json_integer((json_int_t)t->unacknowledged_at_end));
    json_object_set_new(o, "total", row_json(t));
    json_object_set_new(o, "by", by);
    json_object_set_new(o, "zero_response_departments",
                        strings_json(r->zero_response_departments, r->n_zero_response));
    json_object_set_new(o, "overdue", overdue_json(r));
    json_object_set_new(o, "daily", daily_json(r));
    json_object_set_new(o, "ttr_histogram", hist_json(r));
    json_object_set_new(o, "load", load_json(r));
    json_object_set_new(o, "responses", json_integer((json_int_t)r->responses));
    json_object_set_new(o, "press_conferences", json_integer((json_int_t)r->press_conferences));
    json_object_set_new(
        o, "cohort",
        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:[IIII]}", "detected",
                  (json_int_t)r->cohort.detected, "handed_over", (json_int_t)r->cohort.handed_over,
                  "dismissed", (json_int_t)r->cohort.dismissed, "responded",
                  (json_int_t)r->cohort.responded, "responded_on_time",
                  (json_int_t)r->cohort.responded_on_time, "closed", (json_int_t)r->cohort.closed,
                  "by_level", (json_int_t)r->cohort.by_level[0],
                  (json_int_t)r->cohort.by_level[1], (json_int_t)r->cohort.by_level[2],
                  (json_int_t)r->cohort.by_level[3]));
    json_object_set_new(o, "bulletin", json_string(bulletin));
    json_object_set_new(o, "judging", judge_json(r));
    json_object_set_new(o, "blind_spots", stats_blind_json(r)); /* issue #15 */
    json_object_set_new(o, "responses_detected",
                        r->responses_detection_known
                            ? json_integer((json_int_t)r->responses_detected)
                            : json_null());
    json_object_set_new(o, "percentile_method", json_string("nearest-rank"));
    json_object_set_new(o, "definitions", defs);
    *out = o;
    err = 0;
done:
    free(bulletin);
    return err;
}

/* ------------------------------------------------------------- 通报 */

static void put_pct(struct stats_out *b, size_t num, size_t den)
{
    char buf[32];
    stats_out_adds(b, stats_fmt_pct(num, den, buf, sizeof(buf)));
}

static void put_names(struct stats_out *b, char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        stats_out_adds(b, i ? "、" : "");
        stats_out_adds(b, v[i]);
    }
}

/* Departments (distinct, in list order) of the overdue list; at most max names. */
static void put_overdue_departments(struct stats_out *b, const struct stats_report *r, size_t max)
{
    size_t shown = 0;
    for (size_t i = 0; i < r->n_overdue; i++) {
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++) {
            dup = strcmp(r->overdue[j].department, r->overdue[i].department) == 0;
        }
        if (dup) {
            continue;
        }
        if (shown == max) {
            stats_out_adds(b, "等");
            return;
        }
        stats_out_adds(b, shown ? "、" : "");
        stats_out_adds(b, r->overdue[i].department);
        shown++;
    }
}

/* The 研判 sentences of the 通报: nothing without figures or without any event. */
static void put_judge_bulletin(struct stats_out *b, const struct stats_report *r,
                               const char *unit)
{
    const struct stats_judge *j = r->judge;
    const struct stats_judge_tally *t;
    char d1[32], d2[32];

    if (stats_judge_absent_text(r) ||
        j->total.judged + j->spike.judged + j->pending + j->awaiting_confirmation == 0) {
        return;
    }
    t = &j->total;
    stats_out_addf(b, "%s研判预警事件%zu件", unit, t->judged);
    if (j->auto_confirmed > 0) {
        stats_out_addf(b, "（含确认交办待确认事件%zu件）", j->auto_confirmed);
    }
    if (j->time.n > 0) {
        stats_out_addf(b, "，研判用时中位数%s，90%%在%s以内",
                       stats_fmt_dur(j->time.median_s, j->time.n, d1, sizeof(d1)),
                       stats_fmt_dur(j->time.p90_s, j->time.n, d2, sizeof(d2)));
    }
    stats_out_addf(b, "；交办%zu件、并入%zu件、持续关注%zu件、不予处置%zu件",
                   t->by_outcome[STATS_OUTCOME_ASSIGNED], t->by_outcome[STATS_OUTCOME_MERGED],
                   t->by_outcome[STATS_OUTCOME_WATCHING], t->by_outcome[STATS_OUTCOME_DISMISSED]);
    if (t->noise > 0) {
        stats_out_addf(b, "（其中%s%zu件、%s%zu件，噪声率",
                       stats_reason_terms[STATS_REASON_FALSE_ALARM].label,
                       t->by_reason[STATS_REASON_FALSE_ALARM],
                       stats_reason_terms[STATS_REASON_IRRELEVANT].label,
                       t->by_reason[STATS_REASON_IRRELEVANT]);
        put_pct(b, t->noise, t->judged);
        stats_out_adds(b, "）");
    }
    if (j->spike.judged > 0) {
        stats_out_addf(b, "；另研判突增预警%zu件", j->spike.judged);
    }
    stats_out_adds(b, "。");
    if (j->pending + j->awaiting_confirmation > 0) {
        stats_out_addf(b, "截至统计截止，待研判%zu件（其中超过研判时限%zu件）、交办待确认%zu件。",
                       j->pending, j->pending_overdue, j->awaiting_confirmation);
    }
}

int stats_bulletin(const struct stats_report *r, char **out)
{
    struct yq_buf buf;
    struct stats_out b = stats_out_on(&buf);
    const struct stats_row *t = &r->total;
    const struct stats_cohort *co = &r->cohort;
    const struct stats_clock_tally *ack = &t->clocks[STATS_CLOCK_ACK];
    const struct stats_clock_tally *resp = &t->clocks[STATS_CLOCK_RESPONSE];
    const struct stats_clock_tally *press = &t->clocks[STATS_CLOCK_PRESS_24H];
    const struct stats_clock_tally *close = &t->clocks[STATS_CLOCK_CLOSE];
    const char *unit = r->period == STATS_PERIOD_MONTH ? "本月" : "本年";
    const char *prev = r->period == STATS_PERIOD_MONTH ? "上月" : "上年";
    const char *next = r->period == STATS_PERIOD_MONTH ? "下月" : "下年";
    char period[32], d1[32], d2[32];

    yq_buf_init(&buf, STATS_OUT_MAX_BYTES);
    stats_out_addf(&b, "%s，", stats_fmt_period(r, period, sizeof(period)));
    if (r->department) {
        stats_out_addf(&b, "%s", r->department);
    }
    if (co->detected == 0) {
        stats_out_adds(&b, "未监测发现需交办的政务舆情");
    } else {
        stats_out_addf(&b,
                          "共监测发现政务舆情%zu件（特别重大%zu件、重大%zu件、较大%zu件、一般%zu件），",
                          co->detected, co->by_level[0], co->by_level[1], co->by_level[2],
                          co->by_level[3]);
        if (co->handed_over + co->dismissed >= co->detected) {
            stats_out_adds(&b, "均已交办责任单位");
        } else {
            stats_out_addf(&b, "已交办责任单位%zu件", co->handed_over);
        }
    }
    if (co->dismissed > 0) {
        stats_out_addf(&b, "，其中经核实不予处置%zu件", co->dismissed);
    }
    stats_out_addf(&b, "。%s结转%zu件，%s新增%zu件", prev, t->carried_in, unit, t->added);
    if (t->reopened > 0) {
        stats_out_addf(&b, "（含重新办理%zu件）", t->reopened);
    }
    stats_out_addf(&b, "，%s办结%zu件、不予处置%zu件，结转%s%zu件", unit, t->closed,
                      t->dismissed, next, t->carried_out);
    if (t->settled_unacknowledged > 0) {
        stats_out_addf(&b, "；办结或不予处置的交办单中%zu件从未签收", t->settled_unacknowledged);
    }
    if (t->unacknowledged_at_end > 0) {
        stats_out_addf(&b, "；结转的交办单中%zu件%s末仍未签收", t->unacknowledged_at_end,
                          r->period == STATS_PERIOD_MONTH ? "月" : "年");
    }
    stats_out_adds(&b, "。");
    if (ack->due + resp->due + close->due == 0) {
        stats_out_addf(&b, "%s无到期的签收、回应和办结时限。", unit);
    } else {
        stats_out_addf(&b, "%s应签收%zu件，按时签收%zu件，签收及时率", unit, ack->due,
                          ack->on_time);
        put_pct(&b, ack->on_time, ack->due);
        stats_out_addf(&b, "；应回应%zu件，已回应%zu件，回应率", resp->due, stats_met(resp));
        put_pct(&b, stats_met(resp), resp->due);
        stats_out_addf(&b, "，其中按时回应%zu件，及时回应率", resp->on_time);
        put_pct(&b, resp->on_time, resp->due);
        if (press->due > 0) {
            stats_out_addf(&b, "；应举行新闻发布会%zu件，24小时内举行%zu件", press->due,
                              press->on_time);
        }
        stats_out_addf(&b, "；应办结%zu件，已办结%zu件，按期办结%zu件，按期办结率", close->due,
                          stats_met(close), close->on_time);
        put_pct(&b, close->on_time, close->due);
        stats_out_adds(&b, "。");
    }
    if (t->overdue_tickets > 0) {
        stats_out_addf(&b, "超期交办单%zu件，涉及", t->overdue_tickets);
        put_overdue_departments(&b, r, 5);
        stats_out_adds(&b, "，请相关单位限期整改。");
    } else if (resp->due + ack->due + close->due > 0) {
        stats_out_adds(&b, "无超期交办单。");
    }
    if (r->n_zero_response > 0) {
        put_names(&b, r->zero_response_departments, r->n_zero_response);
        stats_out_addf(&b, "%s有应回应舆情但均未回应，予以通报。", unit);
    }
    if (t->ttr.n > 0) {
        stats_out_addf(&b, "首次回应用时中位数%s，90%%在%s以内。",
                          stats_fmt_dur(t->ttr.median_s, t->ttr.n, d1, sizeof(d1)),
                          stats_fmt_dur(t->ttr.p90_s, t->ttr.n, d2, sizeof(d2)));
    }
    if (t->ttc.n > 0) {
        stats_out_addf(&b, "办结用时中位数%s，90%%在%s以内。",
                          stats_fmt_dur(t->ttc.median_s, t->ttc.n, d1, sizeof(d1)),
                          stats_fmt_dur(t->ttc.p90_s, t->ttc.n, d2, sizeof(d2)));
    }
    put_judge_bulletin(&b, r, unit);
    stats_blind_bulletin(&b, r); /* issue #15: responses detected and entered by hand */
    if (r->period == STATS_PERIOD_YEAR) {
        stats_out_addf(&b, "全年通过新闻发布会回应%zu次，各渠道公开回应共%zu次。",
                          r->press_conferences, r->responses);
    }
    return stats_out_finish(&b, out, NULL);
}

/* ------------------------------------------------------------- CSV */

static void csv_field(struct stats_out *b, const char *s)
{
    stats_out_csv(b, s);
}

/* ",n,median,P90,mean" of s in minutes (stats_fmt_minutes()), or ",0,,," without a sample. */
static void csv_summary(struct stats_out *b, const struct stats_summary *s)
{
    char m[3][32];

    if (!s->n) {
        stats_out_adds(b, ",0,,,");
        return;
    }
    stats_out_addf(b, ",%zu,%s,%s,%s", s->n, stats_fmt_minutes(s->median_s, m[0], sizeof(m[0])),
                   stats_fmt_minutes(s->p90_s, m[1], sizeof(m[1])),
                   stats_fmt_minutes(s->mean_s, m[2], sizeof(m[2])));
}

static void csv_row(struct stats_out *b, const char *dim, const struct stats_row *r)
{
    char p1[32], p2[32];
    csv_field(b, dim);
    stats_out_adds(b, ",");
    csv_field(b, r->key);
    stats_out_addf(b, ",%zu,%zu,%zu,%zu,%zu,%zu,%zu,%zu", r->carried_in, r->added, r->detected,
                      r->reopened, r->closed, r->dismissed, r->carried_out, r->returned);
    for (int k = 0; k < STATS_CLOCK_COUNT; k++) {
        const struct stats_clock_tally *c = &r->clocks[k];
        stats_out_addf(b, ",%zu,%zu,%zu,%zu,%zu,%s,%s", c->due, c->on_time, c->late,
                          c->missed, c->pending,
                          stats_fmt_pct(c->on_time, c->due, p1, sizeof(p1)),
                          stats_fmt_pct(stats_met(c), c->due, p2, sizeof(p2)));
    }
    stats_out_addf(b, ",%zu", r->overdue_tickets);
    csv_summary(b, &r->mtta);
    csv_summary(b, &r->ttr);
    csv_summary(b, &r->ttc);
    stats_out_addf(b, ",%zu,%zu", r->settled_unacknowledged, r->unacknowledged_at_end);
    stats_out_adds(b, "\r\n");
}

/* One 研判 row: tally t (NULL: only judged and the times), times s (NULL: none). */
static void csv_judge_row(struct stats_out *b, const char *dim, const char *key,
                          const struct stats_judge_tally *t, size_t judged,
                          const struct stats_summary *s)
{
    csv_field(b, dim);
    stats_out_adds(b, ",");
    csv_field(b, key);
    stats_out_addf(b, ",%zu", judged);
    if (t) {
        int64_t noise = stats_judge_noise_tenths(t), prec = stats_judge_precision_tenths(t);
        for (int i = 0; i < STATS_OUTCOME_COUNT; i++) {
            stats_out_addf(b, ",%zu", t->by_outcome[i]);
        }
        for (int i = 0; i < STATS_REASON_COUNT; i++) {
            stats_out_addf(b, ",%zu", t->by_reason[i]);
        }
        stats_out_addf(b, ",%zu", t->noise);
        if (noise >= 0) {
            stats_out_addf(b, ",%lld.%lld%%,%lld.%lld%%", (long long)(noise / 10),
                           (long long)(noise % 10), (long long)(prec / 10), (long long)(prec % 10));
        } else {
            stats_out_adds(b, ",—,—");
        }
    } else {
        stats_out_adds(b, ",,,,,,,,,,,,"); /* the 12 columns of a tally */
    }
    if (s) {
        csv_summary(b, s);
    } else {
        stats_out_adds(b, ",,,,");
    }
    stats_out_adds(b, "\r\n");
}

/*
 * The 研判 tables after the main one, each after an empty line: the decisions (合计, 确认交办,
 * 突增, then each rule group) and the carried-forward counts; or one line saying why none.
 */
static void csv_judge(struct stats_out *b, const struct stats_report *r)
{
    const struct stats_judge *j = r->judge;

    stats_out_adds(b, "\r\n");
    if (stats_judge_absent_text(r)) {
        stats_out_adds(b, "研判,");
        csv_field(b, stats_judge_absent_text(r));
        stats_out_adds(b, "\r\n");
        return;
    }
    stats_out_adds(b, "研判维度,分组,研判件数");
    for (int i = 0; i < STATS_OUTCOME_COUNT; i++) {
        stats_out_addf(b, ",%s", stats_outcome_terms[i].label);
    }
    for (int i = 0; i < STATS_REASON_COUNT; i++) {
        stats_out_addf(b, ",不予处置-%s", stats_reason_terms[i].label);
    }
    stats_out_adds(b, ",噪声件数,噪声率,精确率,用时件数,用时中位数(分钟),用时P90(分钟),"
                      "用时平均(分钟)\r\n");
    csv_judge_row(b, "合计", "预警事件", &j->total, j->total.judged, &j->time);
    csv_judge_row(b, "交办待确认", "确认交办", NULL, j->auto_confirmed, &j->auto_time);
    csv_judge_row(b, "突增", "突增事件", &j->spike, j->spike.judged, &j->spike_time);
    for (size_t i = 0; i < j->n_groups; i++) {
        csv_judge_row(b, "规则分组", j->groups[i].key, &j->groups[i].tally,
                      j->groups[i].tally.judged, NULL);
    }
    stats_out_addf(b, "\r\n研判结转,待研判,其中超过研判时限,其中突增,交办待确认\r\n"
                      "截至统计截止,%zu,%zu,%zu,%zu\r\n",
                   j->pending, j->pending_overdue, j->pending_spike, j->awaiting_confirmation);
}

int stats_write_csv(const struct stats_report *r, const struct stats_render_opts *opts,
                    struct yq_buf *out)
{
    struct stats_out sink = stats_out_on(out);
    struct stats_out *b = &sink;

    (void)opts;
    stats_out_adds(b, "\xEF\xBB\xBF"); /* BOM: spreadsheets then read UTF-8 */
    stats_out_adds(b, "维度,分组,上期结转,本期新增,新交办,重新办理,办结,不予处置,结转下期,退回");
    for (int k = 0; k < STATS_CLOCK_COUNT; k++) {
        const char *l = stats_clock_terms[k].label;
        stats_out_addf(b, ",%s应办,%s按时,%s超时完成,%s超时未完成,%s未到期,%s按时率,%s完成率",
                          l, l, l, l, l, l, l);
    }
    stats_out_adds(b, ",超期件数,签收用时件数,签收用时中位数(分钟),签收用时P90(分钟),"
                       "签收用时平均(分钟),回应用时件数,回应用时中位数(分钟),回应用时P90(分钟),"
                       "回应用时平均(分钟),办结用时件数,办结用时中位数(分钟),办结用时P90(分钟),"
                       "办结用时平均(分钟),未签收即办结或不予处置,期末未签收\r\n");
    csv_row(b, "合计", &r->total);
    for (int d = 0; d < STATS_DIM_COUNT; d++) {
        for (size_t i = 0; i < r->n_rows[d]; i++) {
            csv_row(b, stats_dim_terms[d].label, &r->rows[d][i]);
        }
    }
    csv_judge(b, r);
    stats_blind_csv(b, r); /* issue #15 */
    return b->err;
}

/* ------------------------------------------------------------- text */

/* The 研判 lines of the text report. */
static void put_judge_text(struct stats_out *b, const struct stats_report *r)
{
    const struct stats_judge *j = r->judge;
    const struct stats_summary *ss[3];
    static const char *const names[3] = {"研判用时", "确认用时（交办待确认）", "突增研判用时"};
    char d1[32], d2[32], d3[32], cell[128];

    stats_out_adds(b, "\n研判\n");
    if (stats_judge_absent_text(r)) {
        stats_out_addf(b, "%s\n", stats_judge_absent_text(r));
        return;
    }
    ss[0] = &j->time;
    ss[1] = &j->auto_time;
    ss[2] = &j->spike_time;
    stats_out_addf(b, "预警事件 %zu 件（其中确认交办待确认 %zu 件）：", j->total.judged,
                   j->auto_confirmed);
    for (int i = 0; i < STATS_OUTCOME_COUNT; i++) {
        stats_out_addf(b, "%s%s %zu", i ? "，" : "", stats_outcome_terms[i].label,
                       j->total.by_outcome[i]);
    }
    stats_out_adds(b, "\n不予处置理由：");
    for (int i = 0; i < STATS_REASON_COUNT; i++) {
        stats_out_addf(b, "%s%s %zu", i ? "，" : "", stats_reason_terms[i].label,
                       j->total.by_reason[i]);
    }
    stats_out_addf(b, "\n突增事件 %zu 件；待研判结转 %zu 件（超过研判时限 %zu 件，突增 %zu 件），"
                      "交办待确认结转 %zu 件\n",
                   j->spike.judged, j->pending, j->pending_overdue, j->pending_spike,
                   j->awaiting_confirmation);
    for (int i = 0; i < 3; i++) {
        stats_out_addf(b, "%s  件数 %zu  中位数 %s  P90 %s  平均 %s\n",
                       yq_text_pad(names[i], yq_text_width(names[1]), cell, sizeof(cell)),
                       ss[i]->n, stats_fmt_dur(ss[i]->median_s, ss[i]->n, d1, sizeof(d1)),
                       stats_fmt_dur(ss[i]->p90_s, ss[i]->n, d2, sizeof(d2)),
                       stats_fmt_dur(ss[i]->mean_s, ss[i]->n, d3, sizeof(d3)));
    }
    for (size_t i = 0; i < j->n_groups; i++) {
        const struct stats_judge_tally *t = &j->groups[i].tally;
        stats_out_addf(b, "  规则分组 %s：研判 %zu 件，%s或%s %zu 件，噪声率 %s\n",
                       j->groups[i].key, t->judged,
                       stats_reason_terms[STATS_REASON_FALSE_ALARM].label,
                       stats_reason_terms[STATS_REASON_IRRELEVANT].label, t->noise,
                       stats_fmt_pct(t->noise, t->judged, d1, sizeof(d1)));
    }
}

int stats_write_text(const struct stats_report *r, const struct stats_render_opts *opts,
                     struct yq_buf *out)
{
    struct stats_out sink = stats_out_on(out);
    struct stats_out *b = &sink;
    const struct stats_row *t = &r->total;
    char period[32], c1[32], c2[32], p1[32], p2[32];
    char *bulletin = NULL;
    size_t od_dw, od_kw;

    (void)opts;
    stats_out_addf(b, "%s 政务舆情回应情况%s\n", stats_fmt_period(r, period, sizeof(period)),
                      r->period == STATS_PERIOD_MONTH ? "月度通报" : "年度统计");
    stats_out_addf(b, "统计期 %s 至 ", yq_time_format_shanghai(r->start, c1, sizeof(c1)));
    stats_out_addf(b, "%s（北京时间，不含），截止 ", yq_time_format_shanghai(r->end, c2, sizeof(c2)));
    stats_out_addf(b, "%s\n\n", yq_time_format_shanghai(r->cutoff, c1, sizeof(c1)));
    if (stats_bulletin(r, &bulletin) == 0) {
        stats_out_addf(b, "%s\n\n", bulletin);
        free(bulletin);
    } else {
        b->err = ERR_NOMEM;
    }
    stats_out_addf(b, "上期结转 %zu + 本期新增 %zu = 办结 %zu + 不予处置 %zu + 结转 %zu  (%s)\n",
                      t->carried_in, t->added, t->closed, t->dismissed, t->carried_out,
                      t->carried_in + t->added == t->closed + t->dismissed + t->carried_out
                          ? "平衡"
                          : "不平衡");
    {
        /* columns aligned by display width (yq_text), not bytes: the labels are Chinese */
        static const char *const heads[] = {"应办", "按时", "超时完成", "超时未完成", "未到期",
                                            "按时率", "完成率"};
        size_t lw = yq_text_width("时限");
        char cell[128];
        for (int k = 0; k < STATS_CLOCK_COUNT; k++) {
            size_t w = yq_text_width(stats_clock_terms[k].label);
            lw = w > lw ? w : lw;
        }
        stats_out_adds(b, "\n");
        stats_out_adds(b, yq_text_pad("时限", lw, cell, sizeof(cell)));
        for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
            stats_out_addf(b, "  %s", heads[h]);
        }
        stats_out_adds(b, "\n");
        for (int k = 0; k < STATS_CLOCK_COUNT; k++) {
            const struct stats_clock_tally *c = &t->clocks[k];
            char v[5][24];
            const char *vals[7];
            snprintf(v[0], sizeof(v[0]), "%zu", c->due);
            snprintf(v[1], sizeof(v[1]), "%zu", c->on_time);
            snprintf(v[2], sizeof(v[2]), "%zu", c->late);
            snprintf(v[3], sizeof(v[3]), "%zu", c->missed);
            snprintf(v[4], sizeof(v[4]), "%zu", c->pending);
            for (int i = 0; i < 5; i++) {
                vals[i] = v[i];
            }
            vals[5] = stats_fmt_pct(c->on_time, c->due, p1, sizeof(p1));
            vals[6] = stats_fmt_pct(stats_met(c), c->due, p2, sizeof(p2));
            stats_out_adds(b, yq_text_pad(stats_clock_terms[k].label, lw, cell,
                                           sizeof(cell)));
            for (int i = 0; i < 7; i++) {
                stats_out_addf(b, "  %s",
                                  yq_text_pad_left(vals[i], yq_text_width(heads[i]), cell,
                                                   sizeof(cell)));
            }
            stats_out_adds(b, "\n");
        }
    }
    stats_out_addf(b, "其中未签收即办结或不予处置 %zu 件；期末未签收 %zu 件\n",
                      t->settled_unacknowledged, t->unacknowledged_at_end);
    {
        const struct stats_summary *ss[3] = {&t->mtta, &t->ttr, &t->ttc};
        static const char *const names[3] = {"签收用时（MTTA）", "首次回应用时", "办结用时"};
        static const char *const heads[4] = {"件数", "中位数", "P90", "平均"};
        char cell[128], val[4][32];
        size_t lw = yq_text_width("用时"), vw[4];
        for (int i = 0; i < 3; i++) {
            size_t w = yq_text_width(names[i]);
            lw = w > lw ? w : lw;
        }
        /* a duration ("3小时05分") may be wider than its heading: widest of the column */
        for (int h = 0; h < 4; h++) {
            vw[h] = yq_text_width(heads[h]);
        }
        for (int i = 0; i < 3; i++) {
            snprintf(val[0], sizeof(val[0]), "%zu", ss[i]->n);
            stats_fmt_dur(ss[i]->median_s, ss[i]->n, val[1], sizeof(val[1]));
            stats_fmt_dur(ss[i]->p90_s, ss[i]->n, val[2], sizeof(val[2]));
            stats_fmt_dur(ss[i]->mean_s, ss[i]->n, val[3], sizeof(val[3]));
            for (int h = 0; h < 4; h++) {
                size_t w = yq_text_width(val[h]);
                vw[h] = w > vw[h] ? w : vw[h];
            }
        }
        stats_out_adds(b, "\n");
        stats_out_adds(b, yq_text_pad("用时", lw, cell, sizeof(cell)));
        for (int h = 0; h < 4; h++) {
            stats_out_addf(b, "  %s", yq_text_pad_left(heads[h], vw[h], cell, sizeof(cell)));
        }
        stats_out_adds(b, "\n");
        for (int i = 0; i < 3; i++) {
            snprintf(val[0], sizeof(val[0]), "%zu", ss[i]->n);
            stats_fmt_dur(ss[i]->median_s, ss[i]->n, val[1], sizeof(val[1]));
            stats_fmt_dur(ss[i]->p90_s, ss[i]->n, val[2], sizeof(val[2]));
            stats_fmt_dur(ss[i]->mean_s, ss[i]->n, val[3], sizeof(val[3]));
            stats_out_adds(b, yq_text_pad(names[i], lw, cell, sizeof(cell)));
            for (int h = 0; h < 4; h++) {
                stats_out_addf(b, "  %s", yq_text_pad_left(val[h], vw[h], cell, sizeof(cell)));
            }
            stats_out_adds(b, "\n");
        }
    }
    put_judge_text(b, r);
    stats_blind_text(b, r); /* issue #15 */
    stats_out_addf(b, "\n超期清单 %zu 项\n", r->n_overdue);
    {
        /* the number, department and clock columns line up by display width */
        size_t dw = 0, kw = 0;
        for (size_t i = 0; i < r->n_overdue; i++) {
            size_t w1 = yq_text_width(r->overdue[i].department);
            size_t w2 = yq_text_width(stats_clock_terms[r->overdue[i].clock].label);
            dw = w1 > dw ? w1 : dw;
            kw = w2 > kw ? w2 : kw;
        }
        od_dw = dw;
        od_kw = kw;
    }
    for (size_t i = 0; i < r->n_overdue; i++) {
        const struct stats_overdue *o = &r->overdue[i];
        char dcell[256], kcell[128];
        stats_out_addf(b, "  %s  %s  %s  时限 %s  ", o->number,
                          yq_text_pad(o->department, od_dw, dcell, sizeof(dcell)),
                          yq_text_pad(stats_clock_terms[o->clock].label, od_kw, kcell, sizeof(kcell)),
                          yq_time_format_shanghai(o->deadline, c1, sizeof(c1)));
        if (o->met_at) {
            stats_out_addf(b, "完成 %s", yq_time_format_shanghai(o->met_at, c2, sizeof(c2)));
        } else {
            stats_out_adds(b, "未完成");
        }
        stats_out_addf(b, "  超时 %s\n", stats_fmt_dur(o->late_s, 1, c2, sizeof(c2)));
    }
    return b->err;
}

int stats_write_json(const struct stats_report *r, const struct stats_render_opts *opts,
                     struct yq_buf *out)
{
    json_t *j = NULL;
    char *s;
    int err;

    (void)opts;
    err = stats_report_json(r, &j);
    if (err) {
        return err;
    }
    /* percentages as 66.7, not 66.700000000000003 */
    s = yq_json_dumps(j, JSON_INDENT(1) | JSON_REAL_PRECISION(15));
    json_decref(j);
    if (!s) {
        return ERR_NOMEM;
    }
    err = yq_buf_adds(out, s);
    free(s);
    return err ? err : yq_buf_adds(out, "\n");
}
