/* The annex 监测盲区 and the detected-response count (stats_blind.h, issue #15). */
#include "stats_blind.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_array.h"
#include "yq_db.h"

#include "yq_err.h"
#include "yq_labels.h"
#include "yq_banned.h"

/* The most windows one report reads (a source failing and recovering every minute for a year
 * is about half of it); past it the load fails rather than report a cut annex. */
#define BLIND_MAX_WINDOWS 1000000

/* ------------------------------------------------------------- computation */

int64_t stats_blind_tenths(int64_t s)
{
    return s > 0 ? (s * 10 + 1800) / 3600 : 0;
}

/* A window clipped to the report: [a, b), with its source and reason. */
struct clip {
    const struct stats_blind_window *w;
    int64_t a, b;
};

static int clip_cmp(const void *x, const void *y)
{
    const struct clip *p = x, *q = y;
    int c = strcmp(p->w->source_id, q->w->source_id);

    if (c) {
        return c;
    }
    return p->a < q->a ? -1 : p->a > q->a ? 1 : (p->b < q->b ? -1 : p->b > q->b);
}

/*
 * The union of the clips v[0..n) (sorted by start) whose reason is reason (-1: any): its
 * length into *sum and its longest interval into *longest.
 */
static void merge(const struct clip *v, size_t n, int reason, int64_t *sum, int64_t *longest)
{
    int64_t a = 0, b = 0;
    bool have = false;

    *sum = 0;
    *longest = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && reason >= 0 && (int)v[i].w->reason != reason) {
            continue;
        }
        if (i < n && have && v[i].a <= b) {
            b = v[i].b > b ? v[i].b : b;
            continue;
        }
        if (have) {
            *sum += b - a;
            *longest = b - a > *longest ? b - a : *longest;
        }
        if (i < n) {
            a = v[i].a;
            b = v[i].b;
            have = true;
        }
    }
}

/* Fill s from the clips v[0..n) of one source. */
static int source_line(struct stats_blind_source *s, const struct clip *v, size_t n, int64_t cutoff)
{
    const char *name = NULL;
    int64_t newest = INT64_MIN, unused;

    for (size_t i = 0; i < n; i++) {
        if (v[i].w->source_name && v[i].w->source_name[0] && v[i].w->started_at >= newest) {
            name = v[i].w->source_name;
            newest = v[i].w->started_at;
        }
        s->open = s->open || v[i].w->ended_at == 0 || v[i].w->ended_at >= cutoff;
    }
    s->windows = n;
    merge(v, n, -1, &s->blind_s, &s->longest_s);
    for (int r = 0; r < YQ_BLIND_REASON_COUNT; r++) {
        merge(v, n, r, &s->reason_s[r], &unused);
    }
    s->source_id = strdup(v[0].w->source_id);
    s->name = strdup(name ? name : v[0].w->source_id);
    return s->source_id && s->name ? 0 : ERR_NOMEM;
}

static int source_cmp(const void *x, const void *y)
{
    const struct stats_blind_source *p = x, *q = y;

    if (p->blind_s != q->blind_s) {
        return p->blind_s > q->blind_s ? -1 : 1;
    }
    return strcmp(p->source_id, q->source_id);
}

int stats_blind_compute(struct stats_report *report, const struct stats_blind_window *w, size_t n,
                        bool have_windows)
{
    struct stats_blind *bl;
    struct clip *c = NULL;
    size_t nc = 0;
    int err = 0;

    if (report->blind) {
        return ERR_BAD_STATE;
    }
    for (size_t i = 0; i < n; i++) {
        if (!w[i].source_id || !w[i].source_id[0] ||
            (unsigned)w[i].reason >= YQ_BLIND_REASON_COUNT) {
            return ERR_INVALID;
        }
    }
    bl = calloc(1, sizeof(*bl));
    if (!bl) {
        return ERR_NOMEM;
    }
    if (!have_windows || report->department) {
        bl->absent = !have_windows ? STATS_BLIND_NO_DATA : STATS_BLIND_DEPARTMENT;
        report->blind = bl;
        return 0;
    }
    c = n ? calloc(n, sizeof(*c)) : NULL;
    if (n && !c) {
        free(bl);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t a = w[i].started_at > report->start ? w[i].started_at : report->start;
        int64_t b =
            w[i].ended_at && w[i].ended_at < report->cutoff ? w[i].ended_at : report->cutoff;
        if (b > a) {
            c[nc].w = &w[i];
            c[nc].a = a;
            c[nc].b = b;
            nc++;
        }
    }
    if (nc) {
        qsort(c, nc, sizeof(*c), clip_cmp);
        bl->sources = calloc(nc, sizeof(*bl->sources)); /* at most one line per clip */
        err = bl->sources ? 0 : ERR_NOMEM;
    }
    for (size_t i = 0; !err && i < nc;) {
        size_t j = i + 1;
        while (j < nc && strcmp(c[j].w->source_id, c[i].w->source_id) == 0) {
            j++;
        }
        err = source_line(&bl->sources[bl->n_sources++], c + i, j - i, report->cutoff);
        i = j;
    }
    free(c);
    if (err) {
        stats_blind_free(bl);
        return err;
    }
    if (bl->n_sources > 1) {
        qsort(bl->sources, bl->n_sources, sizeof(*bl->sources), source_cmp);
    }
    for (size_t i = 0; i < bl->n_sources; i++) {
        bl->total_s += bl->sources[i].blind_s;
        bl->windows += bl->sources[i].windows;
        if (bl->sources[i].longest_s > bl->longest_s) {
            bl->longest_s = bl->sources[i].longest_s;
        }
    }
    report->blind = bl;
    return 0;
}

/* ------------------------------------------------------------- loading */

/* Whether db has table name (yq_db_has_table: SQLite's main schema, PostgreSQL's current one). */
static int has_table(struct yq_db *db, const char *name, bool *out, char *errbuf, size_t errlen)
{
    char why[256] = "";
    int err = yq_db_has_table(db, name, out, why, sizeof(why));

    if (err) {
        snprintf(errbuf, errlen, "cannot read the ticket store's tables: %s", why);
    }
    return err;
}

static int sql_fail(struct yq_db *db, int rc, const char *what, char *errbuf, size_t errlen)
{
    snprintf(errbuf, errlen, "cannot read %s: %s", what, yq_db_errmsg(db));
    return rc == YQ_DB_BUSY || rc == YQ_DB_LOCKED ? ERR_RETRY
           : rc == YQ_DB_NOMEM                     ? ERR_NOMEM
                                                    : ERR_IO;
}

/* The windows overlapping [start, cutoff) into *v (texts copied into *texts). */
static int load_windows(struct yq_db *db, const struct stats_report *r, struct stats_blind_window **v,
                        size_t *n, char ***texts, char *errbuf, size_t errlen)
{
    struct yq_stmt *st = NULL;
    size_t cap_v = 0, cap_texts = 0;
    int rc, err = 0;

    *v = NULL;
    *n = 0;
    *texts = NULL;
    rc = yq_stmt_prepare(db, "SELECT source_id, source_name, reason, started_at, "
                            "COALESCE(ended_at, 0) FROM source_blind_windows "
                            "WHERE started_at < ?2 AND (ended_at IS NULL OR ended_at > ?1) "
                            "ORDER BY id", &st);
    if (rc != YQ_DB_OK) {
        return sql_fail(db, rc, "the blind windows", errbuf, errlen);
    }
    yq_stmt_bind_int64(st, 1, r->start);
    yq_stmt_bind_int64(st, 2, r->cutoff);
    while (!err && (rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        const char *id = yq_stmt_column_text(st, 0);
        const char *name = yq_stmt_column_text(st, 1);
        struct stats_blind_window *x;

        if (*n == BLIND_MAX_WINDOWS) {
            snprintf(errbuf, errlen, "more than %d blind windows in the period", BLIND_MAX_WINDOWS);
            err = ERR_TOO_BIG;
            break;
        }
        err = yq_array_reserve(v, &cap_v, *n + 1, sizeof(**v));
        if (!err) {
            err = yq_array_reserve(texts, &cap_texts, 2 * *n + 2, sizeof(**texts)); /* id, name */
        }
        if (err) {
            break;
        }
        x = &(*v)[*n];
        (*texts)[2 * *n] = strdup(id ? id : "");
        (*texts)[2 * *n + 1] = strdup(name ? name : "");
        x->source_id = (*texts)[2 * *n];
        x->source_name = (*texts)[2 * *n + 1];
        (*n)++;
        if (!x->source_id || !x->source_name) {
            err = ERR_NOMEM;
            break;
        }
        if (yq_blind_reason_parse(yq_stmt_column_text(st, 2), &x->reason)) {
            x->reason = YQ_BLIND_FAILING; /* the table's CHECK allows no other */
        }
        x->started_at = yq_stmt_column_int64(st, 3);
        x->ended_at = yq_stmt_column_int64(st, 4);
    }
    if (!err && rc != YQ_DB_DONE) {
        err = sql_fail(db, rc, "the blind windows", errbuf, errlen);
    } else if (err == ERR_NOMEM) {
        snprintf(errbuf, errlen, "out of memory");
    }
    yq_stmt_finalize(st);
    return err;
}

/* Responses recorded in [start, cutoff) that a confirmed proposal names (report's department). */
static int count_detected(struct yq_db *db, const struct stats_report *r, size_t *out, char *errbuf,
                          size_t errlen)
{
    struct yq_stmt *st = NULL;
    int rc = yq_stmt_prepare(db, "SELECT count(*) FROM ticket_responses x JOIN tickets t ON "
                                "t.id = x.ticket_id WHERE x.responded_at >= ?1 AND "
                                "x.responded_at < ?2 AND (?3 = '' OR t.department = ?3) AND "
                                "EXISTS (SELECT 1 FROM response_proposals p WHERE "
                                "p.response_id = x.id AND p.state = 'confirmed')", &st);

    *out = 0;
    if (rc == YQ_DB_OK) {
        yq_stmt_bind_int64(st, 1, r->start);
        yq_stmt_bind_int64(st, 2, r->cutoff);
        /* '' for every department: a text either way, so PostgreSQL can type ?3 */
        yq_stmt_bind_text(st, 3, r->department ? r->department : "");
        rc = yq_stmt_step(st);
        if (rc == YQ_DB_ROW) {
            *out = (size_t)yq_stmt_column_int64(st, 0);
            rc = YQ_DB_OK;
        }
    }
    yq_stmt_finalize(st);
    return rc == YQ_DB_OK ? 0 : sql_fail(db, rc, "the detected responses", errbuf, errlen);
}

int stats_blind_load(struct yq_db *db, struct stats_report *report, char *errbuf, size_t errlen)
{
    struct stats_blind_window *v = NULL;
    char **texts = NULL;
    size_t n = 0;
    bool windows = false, proposals = false;
    int err;

    err = has_table(db, "source_blind_windows", &windows, errbuf, errlen);
    if (!err) {
        err = has_table(db, "response_proposals", &proposals, errbuf, errlen);
    }
    if (!err && windows && !report->department) {
        err = load_windows(db, report, &v, &n, &texts, errbuf, errlen);
    }
    if (!err) {
        err = stats_blind_compute(report, v, n, windows);
        if (err) {
            snprintf(errbuf, errlen, "cannot compute the annex 监测盲区: %s", yq_strerror(err));
        }
    }
    if (!err && proposals) {
        err = count_detected(db, report, &report->responses_detected, errbuf, errlen);
        report->responses_detection_known = err == 0;
    }
    for (size_t i = 0; texts && i < 2 * n; i++) {
        free(texts[i]);
    }
    free(texts);
    free(v);
    return err;
}

/* ------------------------------------------------------------- writers */

/* "12.5" hours of s into buf. */
static const char *hours(int64_t s, char *buf, size_t len)
{
    int64_t t = stats_blind_tenths(s);

    snprintf(buf, len, "%lld.%lld", (long long)(t / 10), (long long)(t % 10));
    return buf;
}

static const char *absent_text(const struct stats_report *r)
{
    if (!r->blind || r->blind->absent == STATS_BLIND_NO_DATA) {
        return "无监测盲区数据（交办单库早于信息源盲区记录）";
    }
    if (r->blind->absent == STATS_BLIND_DEPARTMENT) {
        return "按责任单位统计的报告不含监测盲区（信息源由舆情办统一监测）";
    }
    return NULL;
}

static json_t *hours_json(int64_t s)
{
    return json_real((double)stats_blind_tenths(s) / 10.0);
}

json_t *stats_blind_json(const struct stats_report *r)
{
    const struct stats_blind *bl = r->blind;
    json_t *o, *arr;

    if (absent_text(r)) {
        return json_pack("{s:s, s:[]}", "note", absent_text(r), "sources");
    }
    arr = json_array();
    for (size_t i = 0; arr && i < bl->n_sources; i++) {
        const struct stats_blind_source *s = &bl->sources[i];
        json_t *reasons = json_array();
        for (int k = 0; reasons && k < YQ_BLIND_REASON_COUNT; k++) {
            const char *code = yq_blind_reason_name((enum yq_blind_reason)k);
            if (s->reason_s[k] > 0) {
                json_array_append_new(reasons,
                                      json_pack("{s:s, s:s, s:I, s:o}", "reason", code, "label",
                                                yq_label(YQ_LABEL_BLIND_REASON, code), "blind_s",
                                                (json_int_t)s->reason_s[k], "hours",
                                                hours_json(s->reason_s[k])));
            }
        }
        if (!reasons ||
            json_array_append_new(
                arr,
                json_pack("{s:s, s:s, s:I, s:o, s:I, s:o, s:I, s:b, s:o}", "source_id",
                          s->source_id, "name", s->name, "blind_s", (json_int_t)s->blind_s, "hours",
                          hours_json(s->blind_s), "longest_s", (json_int_t)s->longest_s,
                          "longest_hours", hours_json(s->longest_s), "windows",
                          (json_int_t)s->windows, "open", s->open, "reasons", reasons)) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    if (!arr) {
        return NULL;
    }
    o = json_pack("{s:o, s:{s:I, s:I, s:o, s:I, s:o, s:I}}", "sources", arr, "total", "sources",
                  (json_int_t)bl->n_sources, "blind_s", (json_int_t)bl->total_s, "hours",
                  hours_json(bl->total_s), "longest_s", (json_int_t)bl->longest_s, "longest_hours",
                  hours_json(bl->longest_s), "windows", (json_int_t)bl->windows);
    return o;
}

/* "无法访问 3.0、需要重新登录 1.5" of s's reasons. */
static void reasons_text(struct stats_out *b, const struct stats_blind_source *s, bool html)
{
    char h[32];
    bool first = true;

    for (int k = 0; k < YQ_BLIND_REASON_COUNT; k++) {
        if (s->reason_s[k] > 0) {
            const char *label =
                yq_label(YQ_LABEL_BLIND_REASON, yq_blind_reason_name((enum yq_blind_reason)k));
            stats_out_adds(b, first ? "" : "、");
            if (html) {
                stats_out_html(b, label);
            } else {
                stats_out_adds(b, label);
            }
            stats_out_addf(b, " %s", hours(s->reason_s[k], h, sizeof(h)));
            first = false;
        }
    }
}

void stats_blind_html(struct stats_out *b, const struct stats_report *r)
{
    const struct stats_blind *bl = r->blind;
    char h1[32], h2[32];

    stats_out_adds(b, "<section id=\"blind-spots\"><h2>附录：监测盲区</h2>");
    if (absent_text(r)) {
        stats_out_adds(b, "<p class=\"note\">");
        stats_out_html(b, absent_text(r));
        stats_out_adds(b, "</p></section>\n");
        return;
    }
    stats_out_adds(
        b, "<p>信息源无法访问、需要重新登录、内容陈旧、异常沉寂或未采集的时段（重叠时段只计一次；"
           "持续中的盲区计至统计截止）。</p>");
    if (bl->n_sources == 0) {
        stats_out_adds(b, "<p id=\"blind-none\">本期各信息源无监测盲区。</p></section>\n");
        return;
    }
    stats_out_adds(b, "<table class=\"blind\"><thead><tr><th>信息源</th><th>盲区时长（小时）</th>"
                      "<th>最长一段（小时）</th><th>原因（小时）</th><th>盲区次数</th></tr></thead>"
                      "<tbody>");
    for (size_t i = 0; i < bl->n_sources; i++) {
        const struct stats_blind_source *s = &bl->sources[i];
        stats_out_adds(b, "<tr><td>");
        stats_out_html(b, s->name);
        if (strcmp(s->name, s->source_id) != 0) {
            stats_out_adds(b, "<br><small>");
            stats_out_html(b, s->source_id);
            stats_out_adds(b, "</small>");
        }
        stats_out_adds(b, s->open ? "（持续中）" : "");
        stats_out_addf(b, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td>",
                       hours(s->blind_s, h1, sizeof(h1)), hours(s->longest_s, h2, sizeof(h2)));
        reasons_text(b, s, true);
        stats_out_addf(b, "</td><td class=\"n\">%zu</td></tr>", s->windows);
    }
    stats_out_addf(b,
                   "</tbody><tfoot><tr class=\"total\"><td>合计（%zu 个信息源）</td>"
                   "<td class=\"n\">%s</td><td class=\"n\">%s</td><td></td>"
                   "<td class=\"n\">%zu</td></tr></tfoot></table></section>\n",
                   bl->n_sources, hours(bl->total_s, h1, sizeof(h1)),
                   hours(bl->longest_s, h2, sizeof(h2)), bl->windows);
}

void stats_blind_csv(struct stats_out *b, const struct stats_report *r)
{
    const struct stats_blind *bl = r->blind;
    char h1[32], h2[32];

    stats_out_adds(b, "\r\n");
    if (absent_text(r)) {
        stats_out_adds(b, "监测盲区,");
        stats_out_csv(b, absent_text(r));
        stats_out_adds(b, "\r\n");
        return;
    }
    stats_out_adds(b, "监测盲区,信息源编号,盲区小时,最长一段小时,盲区次数,持续中");
    for (int k = 0; k < YQ_BLIND_REASON_COUNT; k++) {
        const char *code = yq_blind_reason_name((enum yq_blind_reason)k);
        stats_out_addf(b, ",%s小时", yq_label(YQ_LABEL_BLIND_REASON, code));
    }
    stats_out_adds(b, "\r\n");
    for (size_t i = 0; i < bl->n_sources; i++) {
        const struct stats_blind_source *s = &bl->sources[i];
        stats_out_csv(b, s->name);
        stats_out_adds(b, ",");
        stats_out_csv(b, s->source_id);
        stats_out_addf(b, ",%s,%s,%zu,%s", hours(s->blind_s, h1, sizeof(h1)),
                       hours(s->longest_s, h2, sizeof(h2)), s->windows, s->open ? "是" : "否");
        for (int k = 0; k < YQ_BLIND_REASON_COUNT; k++) {
            stats_out_addf(b, ",%s", hours(s->reason_s[k], h1, sizeof(h1)));
        }
        stats_out_adds(b, "\r\n");
    }
    stats_out_addf(b, "合计,,%s,%s,%zu,\r\n", hours(bl->total_s, h1, sizeof(h1)),
                   hours(bl->longest_s, h2, sizeof(h2)), bl->windows);
}

void stats_blind_text(struct stats_out *b, const struct stats_report *r)
{
    const struct stats_blind *bl = r->blind;
    char h1[32], h2[32];

    stats_out_adds(b, "\n附录：监测盲区\n");
    if (absent_text(r)) {
        stats_out_addf(b, "%s\n", absent_text(r));
        return;
    }
    if (bl->n_sources == 0) {
        stats_out_adds(b, "本期各信息源无监测盲区。\n");
        return;
    }
    for (size_t i = 0; i < bl->n_sources; i++) {
        const struct stats_blind_source *s = &bl->sources[i];
        stats_out_addf(b, "  %s（%s）%s：盲区 %s 小时，最长一段 %s 小时，%zu 次；", s->name,
                       s->source_id, s->open ? "（持续中）" : "", hours(s->blind_s, h1, sizeof(h1)),
                       hours(s->longest_s, h2, sizeof(h2)), s->windows);
        reasons_text(b, s, false);
        stats_out_adds(b, "\n");
    }
    stats_out_addf(b, "  合计：%zu 个信息源，盲区 %s 小时，最长一段 %s 小时，%zu 次\n",
                   bl->n_sources, hours(bl->total_s, h1, sizeof(h1)),
                   hours(bl->longest_s, h2, sizeof(h2)), bl->windows);
}

void stats_blind_bulletin(struct stats_out *b, const struct stats_report *r)
{
    size_t detected = r->responses_detected;

    if (!r->responses_detection_known || r->responses == 0) {
        return;
    }
    if (detected > r->responses) {
        detected = r->responses; /* a response the tickets loaded do not hold */
    }
    stats_out_addf(b, "公开回应%zu次，其中自动发现%zu次、人工录入%zu次。", r->responses, detected,
                   r->responses - detected);
}
