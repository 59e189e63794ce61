/*
 * The published 通报 (stats_publish.h): storing a month as published, reading it back, the
 * differences later entries make, and the year from its published months.
 */
#include "stats_publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_blind.h"
#include "stats_defs.h"
#include "stats_fmt.h"
#include "stats_judge.h"
#include "stats_load.h"
#include "stats_render.h"
#include "yq_json.h"
#include "yq_err.h"
#include "yq_db.h"
#include "yq_time.h"
#include "yq_utf8.h"
#include "yq_banned.h"

/* The additive figures of a row compared after publication: JSON name, Chinese label. */
static const struct stats_term row_figures[] = {
    {"carried_in", "上月结转"},  {"added", "本月新增"},  {"detected", "新交办"},
    {"reopened", "重新办理"},    {"closed", "本月办结"}, {"dismissed", "本月不予处置"},
    {"carried_out", "结转下月"}, {"returned", "退回"},   {"overdue_tickets", "超期件数"},
};
static const struct stats_term clock_fields[] = {
    {"due", "应办"},          {"on_time", "按时"},  {"late", "超时完成"},
    {"missed", "超时未完成"}, {"excluded", "不计"},
};
/* Figures of the whole report (not per row), by their dotted path in the report JSON. */
static const struct stats_term report_figures[] = {
    {"responses", "公开回应"},
    {"press_conferences", "新闻发布会"},
    {"responses_detected", "其中自动发现的回应"},         /* issue #15 */
    {"blind_spots.total.blind_s", "监测盲区时长（秒）"}, /* issue #15, the annex */
    {"blind_spots.total.windows", "监测盲区次数"},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char sql_get[] =
    "SELECT period, window_start, cutoff, published_at, published_by, role, report_json,"
    " report_text, report_csv, report_html, tickets_json FROM stats_publications"
    " WHERE period = ?1";
static const char sql_insert[] =
    "INSERT INTO stats_publications (period, window_start, cutoff, published_at, published_by,"
    " role, report_json, report_text, report_csv, report_html, tickets_json)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

void stats_publication_release(struct stats_publication *p)
{
    if (!p) {
        return;
    }
    free(p->published_by);
    free(p->role);
    free(p->report_json);
    free(p->report_text);
    free(p->report_csv);
    free(p->report_html);
    free(p->tickets_json);
    memset(p, 0, sizeof(*p));
}

/* Whether the store has the table (schema 12 on). Returns 0 and *has, or an error. */
static int has_table(struct yq_db *db, bool *has, char *errbuf, size_t errlen)
{
    return yq_db_has_table(db, "stats_publications", has, errbuf, errlen);
}

static char *col_dup(struct yq_stmt *st, int i)
{
    const char *s = yq_stmt_column_text(st, i);
    return strdup(s ? (const char *)s : "");
}

int stats_publication_get(struct yq_db *db, int year, int month, struct stats_publication *out,
                          char *errbuf, size_t errlen)
{
    struct yq_stmt *st = NULL;
    char period[8];
    bool has = false;
    int rc, err;

    memset(out, 0, sizeof(*out));
    if (year < 1970 || year > 9999 || month < 1 || month > 12) {
        return ERR_INVALID;
    }
    err = has_table(db, &has, errbuf, errlen);
    if (err || !has) {
        return err ? err : ERR_NOT_FOUND;
    }
    snprintf(period, sizeof(period), "%04u-%02u", (unsigned)year % 10000u, (unsigned)month % 100u);
    err = yq_db_prepare(db, sql_get, &st, "publication", errbuf, errlen);
    if (err) {
        return err;
    }
    yq_stmt_bind_text(st, 1, period);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        memcpy(out->period, period, sizeof(out->period));
        out->window_start = yq_stmt_column_int64(st, 1);
        out->cutoff = yq_stmt_column_int64(st, 2);
        out->published_at = yq_stmt_column_int64(st, 3);
        out->published_by = col_dup(st, 4);
        out->role = col_dup(st, 5);
        out->report_json = col_dup(st, 6);
        out->report_text = col_dup(st, 7);
        out->report_csv = col_dup(st, 8);
        out->report_html = col_dup(st, 9);
        out->tickets_json = col_dup(st, 10);
        err = out->published_by && out->role && out->report_json && out->report_text &&
                      out->report_csv && out->report_html && out->tickets_json
                  ? 0
                  : ERR_NOMEM;
    } else if (rc == YQ_DB_DONE) {
        err = ERR_NOT_FOUND;
    } else {
        err = yq_db_fail(db, rc, "publication", errbuf, errlen);
    }
    yq_stmt_finalize(st);
    if (err) {
        stats_publication_release(out);
    }
    return err;
}

/* ------------------------------------------------------------- computing a month */

static int add_signature(void *ctx, const char *number, const char *line)
{
    return json_object_set_new((json_t *)ctx, number, json_string(line)) ? ERR_NOMEM : 0;
}

/*
 * Load db and compute the report of opts with its 研判 figures; signatures (may be NULL): a
 * new object {number: line}. Returns 0 or an error with errbuf.
 */
static int compute(struct yq_db *db, const struct stats_opts *opts, struct stats_report **report,
                   json_t **signatures, char *errbuf, size_t errlen)
{
    struct stats_ticket_set set;
    int64_t start, end;
    int err;

    *report = NULL;
    if (signatures) {
        *signatures = NULL;
    }
    err = stats_month_window(opts->year, opts->month, &start, &end);
    if (err) {
        snprintf(errbuf, errlen, "invalid month %04d-%02d", opts->year, opts->month);
        return err;
    }
    err = stats_load(db, end, &set, errbuf, errlen);
    if (err) {
        return err;
    }
    err = stats_compute(set.v, set.n, opts, report);
    if (!err) {
        err = stats_judge_compute(*report, set.events, set.n_events, set.has_events);
    }
    if (!err) {
        /* the annex 监测盲区 and the detected responses (issue #15), as the live report has */
        err = stats_blind_load(db, *report, errbuf, errlen);
        if (err) {
            stats_report_free(*report);
            *report = NULL;
            stats_ticket_set_release(&set);
            return err;
        }
    }
    if (!err && signatures) {
        *signatures = json_object();
        const char *names[STATS_CLOCK_COUNT];
        for (int k = 0; k < STATS_CLOCK_COUNT; k++) {
            names[k] = stats_clock_terms[k].name;
        }
        err = *signatures ? stats_signatures(set.v, set.n, opts, names, add_signature, *signatures)
                          : ERR_NOMEM;
    }
    if (err) {
        snprintf(errbuf, errlen, "cannot compute the report: %s", yq_strerror(err));
        stats_report_free(*report);
        *report = NULL;
        if (signatures) {
            json_decref(*signatures);
            *signatures = NULL;
        }
    }
    stats_ticket_set_release(&set);
    return err;
}

/* Whether s is 1..max bytes of UTF-8 without control characters. */
static bool name_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max || !yq_utf8_valid(s, n, NULL)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            return false;
        }
    }
    return true;
}

static int render_all(const struct stats_report *r, const char *asset_base, char **fmt_out)
{
    const struct stats_render_opts ropts = {.asset_base = asset_base, .office = NULL};
    static const enum stats_format fmts[4] = {STATS_FORMAT_JSON, STATS_FORMAT_TEXT,
                                              STATS_FORMAT_CSV, STATS_FORMAT_HTML};
    for (int i = 0; i < 4; i++) {
        int err = stats_render(r, fmts[i], &ropts, &fmt_out[i], NULL);
        if (err) {
            return err;
        }
    }
    return 0;
}

/* errbuf: who published period and when. */
static void already(const struct stats_publication *p, char *errbuf, size_t errlen)
{
    char when[40];
    yq_time_format_shanghai(p->published_at, when, sizeof(when));
    snprintf(errbuf, errlen,
             "%s 的通报已于 %s 由 %s 发布，发布后不再更改; the %s report was published at %s by "
             "%s and does not change",
             p->period, when, p->published_by, p->period, when, p->published_by);
}

int stats_publish(struct yq_db *db, const struct stats_opts *opts, const char *by, const char *role,
                  const char *asset_base, struct stats_publication *out, char *errbuf,
                  size_t errlen)
{
    struct stats_opts o = *opts;
    struct stats_report *r = NULL;
    struct stats_publication existing;
    json_t *sigs = NULL;
    char *fmt[4] = {NULL, NULL, NULL, NULL}, *tickets = NULL, period[16];
    int64_t start, end;
    bool has = false, began = false;
    struct yq_stmt *st = NULL;
    int err;

    if (out) {
        memset(out, 0, sizeof(*out));
    }
    if (opts->period != STATS_PERIOD_MONTH || opts->department ||
        stats_month_window(opts->year, opts->month, &start, &end) != 0) {
        snprintf(errbuf, errlen,
                 "只能发布全部单位的月度通报; only a month of every department "
                 "is published");
        return ERR_INVALID;
    }
    if (!name_ok(by, STATS_PUBLISHER_MAX) || !name_ok(role, STATS_PUBLISHER_MAX)) {
        snprintf(errbuf, errlen, "发布人或角色无效; publisher or role invalid");
        return ERR_INVALID;
    }
    snprintf(period, sizeof(period), "%04d-%02d", opts->year, opts->month);
    if (opts->now < end) {
        snprintf(errbuf, errlen, "%s 尚未结束，不能发布; %s has not ended", period, period);
        return ERR_BAD_STATE;
    }
    err = has_table(db, &has, errbuf, errlen);
    if (!err && !has) {
        snprintf(errbuf, errlen,
                 "交办单库尚未升级到第 12 版（先启动一次 notifier）; the ticket "
                 "store has no stats_publications (schema 12): start the "
                 "notifier once to migrate it");
        return ERR_BAD_STATE;
    }
    if (!err) {
        err = stats_publication_get(db, opts->year, opts->month, &existing, errbuf, errlen);
        if (err == 0) {
            already(&existing, errbuf, errlen);
            stats_publication_release(&existing);
            return ERR_EXISTS;
        }
        err = err == ERR_NOT_FOUND ? 0 : err;
    }
    o.known_at = 0; /* as at the cut-off */
    if (!err) {
        err = compute(db, &o, &r, &sigs, errbuf, errlen);
    }
    if (!err && (err = render_all(r, asset_base, fmt)) != 0) {
        snprintf(errbuf, errlen, "cannot render the report: %s", yq_strerror(err));
    }
    if (!err && !(tickets = yq_json_dumps(sigs, JSON_COMPACT | JSON_SORT_KEYS))) {
        err = ERR_NOMEM;
    }
    if (!err && !(err = yq_db_exec(db, "BEGIN IMMEDIATE", "publish begin", errbuf, errlen))) {
        began = true;
        err = stats_publication_get(db, opts->year, opts->month, &existing, errbuf, errlen);
        if (err == 0) {
            already(&existing, errbuf, errlen);
            stats_publication_release(&existing);
            err = ERR_EXISTS;
        } else if (err == ERR_NOT_FOUND) {
            err = yq_db_prepare(db, sql_insert, &st, "publish", errbuf, errlen);
        }
    }
    if (!err) {
        yq_stmt_bind_text(st, 1, period);
        yq_stmt_bind_int64(st, 2, r->start);
        yq_stmt_bind_int64(st, 3, r->cutoff);
        yq_stmt_bind_int64(st, 4, opts->now);
        yq_stmt_bind_text(st, 5, by);
        yq_stmt_bind_text(st, 6, role);
        for (int i = 0; i < 4; i++) {
            yq_stmt_bind_text(st, 7 + i, fmt[i]);
        }
        yq_stmt_bind_text(st, 11, tickets);
        err = yq_db_run(db, st, "publish", errbuf, errlen);
        st = NULL;
    }
    if (began) {
        if (!err) {
            err = yq_db_exec(db, "COMMIT", "publish commit", errbuf, errlen);
        }
        if (err) {
            yq_db_rollback(db);
        }
    }
    if (!err && out) {
        err = stats_publication_get(db, opts->year, opts->month, out, errbuf, errlen);
    }
    yq_stmt_finalize(st);
    for (int i = 0; i < 4; i++) {
        free(fmt[i]);
    }
    free(tickets);
    json_decref(sigs);
    stats_report_free(r);
    return err;
}

/* ------------------------------------------------------------- differences */

static json_int_t figure_of(const json_t *row, const char *clock, const char *name)
{
    const json_t *v =
        clock ? json_object_get(json_object_get(json_object_get(row, "clocks"), clock), name)
              : json_object_get(row, name);
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* The integer at the dotted path of r (e.g. "blind_spots.total.windows"); 0 when absent. */
static json_int_t report_figure(const json_t *r, const char *path)
{
    char key[64];
    const char *dot;

    while ((dot = strchr(path, '.')) != NULL && r) {
        snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
        r = json_object_get(r, key);
        path = dot + 1;
    }
    return figure_of(r, NULL, path);
}

/* The row of rows (a JSON array) whose "key" is key, or NULL. */
static const json_t *row_by_key(const json_t *rows, const char *key)
{
    size_t i;
    const json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *k = json_string_value(json_object_get(r, "key"));
        if (k && strcmp(k, key) == 0) {
            return r;
        }
    }
    return NULL;
}

static int push_figure(json_t *figs, const char *row, const char *figure, const char *label,
                       json_int_t pub, json_int_t now)
{
    json_t *o;
    if (pub == now) {
        return 0;
    }
    o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "row", row, "figure", figure, "label", label,
                  "published", pub, "now", now, "delta", now - pub);
    return o && json_array_append_new(figs, o) == 0 ? 0 : ERR_NOMEM;
}

/* The changed figures of one row (pub or now may be NULL: a row that is absent counts 0). */
static int diff_row(json_t *figs, const char *name, const json_t *pub, const json_t *now)
{
    int err = 0;
    for (size_t i = 0; !err && i < N_OF(row_figures); i++) {
        err = push_figure(figs, name, row_figures[i].name, row_figures[i].label,
                          figure_of(pub, NULL, row_figures[i].name),
                          figure_of(now, NULL, row_figures[i].name));
    }
    for (int k = 0; !err && k < STATS_CLOCK_COUNT; k++) {
        for (size_t f = 0; !err && f < N_OF(clock_fields); f++) {
            char figure[64], label[96];
            snprintf(figure, sizeof(figure), "clocks.%s.%s", stats_clock_terms[k].name,
                     clock_fields[f].name);
            snprintf(label, sizeof(label), "%s %s", stats_clock_terms[k].label,
                     clock_fields[f].label);
            err = push_figure(figs, name, figure, label,
                              figure_of(pub, stats_clock_terms[k].name, clock_fields[f].name),
                              figure_of(now, stats_clock_terms[k].name, clock_fields[f].name));
        }
    }
    return err;
}

/* Whether a contribution line names department (NULL: any) as a whole "@name" part. */
static bool concerns(const char *line, const char *department)
{
    size_t n;
    if (!department) {
        return true;
    }
    n = strlen(department);
    for (const char *p = line ? strchr(line, '@') : NULL; p; p = strchr(p + 1, '@')) {
        if (strncmp(p + 1, department, n) == 0 && (p[1 + n] == ';' || p[1 + n] == '\0')) {
            return true;
        }
    }
    return false;
}

/* The tickets whose line differs between pub and now (objects {number: line}). */
static int diff_tickets(json_t *list, const json_t *pub, const json_t *now, const char *department)
{
    const char *number;
    const json_t *v;
    int err = 0;

    json_object_foreach((json_t *)pub, number, v)
    {
        const char *a = json_string_value(v);
        const char *b = json_string_value(json_object_get(now, number));
        if (err || (b && a && strcmp(a, b) == 0) ||
            !(concerns(a, department) || concerns(b, department))) {
            continue;
        }
        err = json_array_append_new(
                  list, json_pack("{s:s, s:s?, s:s?}", "number", number, "published", a, "now", b))
                  ? ERR_NOMEM
                  : 0;
    }
    json_object_foreach((json_t *)now, number, v)
    {
        if (err || json_object_get(pub, number) || !concerns(json_string_value(v), department)) {
            continue;
        }
        err = json_array_append_new(list, json_pack("{s:s, s:n, s:s}", "number", number,
                                                    "published", "now", json_string_value(v)))
                  ? ERR_NOMEM
                  : 0;
    }
    return err;
}

int stats_publication_diff(struct yq_db *db, const struct stats_publication *pub,
                           const struct stats_opts *opts, json_t **out, char *errbuf, size_t errlen)
{
    struct stats_opts o = *opts;
    struct stats_report *r = NULL;
    json_t *now_json = NULL, *now_sigs = NULL, *pub_json, *pub_sigs, *figs, *tickets;
    const char *dept = opts->department;
    int err;

    *out = NULL;
    pub_json = json_loads(pub->report_json, 0, NULL);
    pub_sigs = json_loads(pub->tickets_json, 0, NULL);
    if (!json_is_object(pub_json) || !json_is_object(pub_sigs)) {
        json_decref(pub_json);
        json_decref(pub_sigs);
        snprintf(errbuf, errlen, "published report %s does not parse", pub->period);
        return ERR_PARSE;
    }
    o.department = NULL; /* the published report is every department's */
    o.known_at = opts->now;
    err = compute(db, &o, &r, &now_sigs, errbuf, errlen);
    if (!err) {
        err = stats_report_json(r, &now_json);
    }
    figs = json_array();
    tickets = json_array();
    if (!err && (!figs || !tickets)) {
        err = ERR_NOMEM;
    }
    if (!err && !dept) {
        err = diff_row(figs, "合计", json_object_get(pub_json, "total"),
                       json_object_get(now_json, "total"));
        for (size_t i = 0; !err && i < N_OF(report_figures); i++) {
            err = push_figure(figs, "合计", report_figures[i].name, report_figures[i].label,
                              report_figure(pub_json, report_figures[i].name),
                              report_figure(now_json, report_figures[i].name));
        }
    }
    if (!err) {
        const json_t *pub_rows = json_object_get(json_object_get(pub_json, "by"), "department");
        const json_t *now_rows = json_object_get(json_object_get(now_json, "by"), "department");
        size_t i;
        const json_t *row;
        json_array_foreach(pub_rows, i, row)
        {
            const char *key = json_string_value(json_object_get(row, "key"));
            if (!err && key && (!dept || strcmp(key, dept) == 0)) {
                err = diff_row(figs, key, row, row_by_key(now_rows, key));
            }
        }
        json_array_foreach(now_rows, i, row)
        {
            const char *key = json_string_value(json_object_get(row, "key"));
            if (!err && key && !row_by_key(pub_rows, key) && (!dept || strcmp(key, dept) == 0)) {
                err = diff_row(figs, key, NULL, row);
            }
        }
    }
    if (!err) {
        err = diff_tickets(tickets, pub_sigs, now_sigs, dept);
    }
    if (!err) {
        char when[40];
        *out = json_pack("{s:s, s:b, s:o, s:o}", "known_at",
                         yq_time_format_utc(opts->now, when, sizeof(when)), "changed",
                         json_array_size(figs) > 0 || json_array_size(tickets) > 0, "figures", figs,
                         "tickets", tickets);
        figs = tickets = NULL;
        err = *out ? 0 : ERR_NOMEM;
    }
    json_decref(figs);
    json_decref(tickets);
    json_decref(now_json);
    json_decref(now_sigs);
    json_decref(pub_json);
    json_decref(pub_sigs);
    stats_report_free(r);
    return err;
}

/* ------------------------------------------------------------- the year */

/* The additive total figures of the year: the row figures, each clock's, the report's. */
static int year_figure(size_t i, char *name, size_t nlen, char *label, size_t llen)
{
    size_t n_row = N_OF(row_figures), n_clock = STATS_CLOCK_COUNT * N_OF(clock_fields);
    if (i < n_row) {
        snprintf(name, nlen, "%s", row_figures[i].name);
        snprintf(label, llen, "%s", row_figures[i].label);
    } else if (i < n_row + n_clock) {
        size_t k = (i - n_row) / N_OF(clock_fields), f = (i - n_row) % N_OF(clock_fields);
        snprintf(name, nlen, "clocks.%s.%s", stats_clock_terms[k].name, clock_fields[f].name);
        snprintf(label, llen, "%s %s", stats_clock_terms[k].label, clock_fields[f].label);
    } else if (i < n_row + n_clock + N_OF(report_figures)) {
        snprintf(name, nlen, "%s", report_figures[i - n_row - n_clock].name);
        snprintf(label, llen, "%s", report_figures[i - n_row - n_clock].label);
    } else {
        return 0;
    }
    return 1;
}

/* The value of figure name (as year_figure()) in the report JSON r. */
static json_int_t total_figure(const json_t *r, const char *name)
{
    char clock[32], field[32];
    if (strncmp(name, "clocks.", 7) == 0 && sscanf(name + 7, "%31[^.].%31s", clock, field) == 2) {
        return figure_of(json_object_get(r, "total"), clock, field);
    }
    for (size_t i = 0; i < N_OF(report_figures); i++) {
        if (strcmp(name, report_figures[i].name) == 0) {
            return report_figure(r, name);
        }
    }
    return figure_of(json_object_get(r, "total"), NULL, name);
}

int stats_year_published(struct yq_db *db, const struct stats_opts *opts, json_t **out, char *errbuf,
                         size_t errlen)
{
    json_t *months = json_array(), *totals = json_array();
    json_int_t pub_sum[256] = {0}, diff_sum[256] = {0};
    size_t n_fig = 0, n_months = 0;
    char name[64], label[96];
    int err = months && totals ? 0 : ERR_NOMEM;

    *out = NULL;
    while (year_figure(n_fig, name, sizeof(name), label, sizeof(label)) && n_fig < 256) {
        n_fig++;
    }
    for (int m = 1; !err && m <= 12; m++) {
        struct stats_publication pub;
        struct stats_opts o = *opts;
        json_t *pj = NULL, *diff = NULL, *figures = json_object(), *deltas = json_object(),
               *numbers = json_array(), *month;
        char when[40];
        size_t i;
        const json_t *v;

        err = stats_publication_get(db, opts->year, m, &pub, errbuf, errlen);
        if (err == ERR_NOT_FOUND) {
            err = 0;
            json_decref(figures);
            json_decref(deltas);
            json_decref(numbers);
            continue;
        }
        o.period = STATS_PERIOD_MONTH;
        o.month = m;
        o.department = NULL;
        if (!err && !(figures && deltas && numbers)) {
            err = ERR_NOMEM;
        }
        if (!err && !(pj = json_loads(pub.report_json, 0, NULL))) {
            err = ERR_PARSE;
        }
        if (!err) {
            err = stats_publication_diff(db, &pub, &o, &diff, errbuf, errlen);
        }
        for (size_t f = 0; !err && f < n_fig; f++) {
            json_int_t p;
            year_figure(f, name, sizeof(name), label, sizeof(label));
            p = total_figure(pj, name);
            pub_sum[f] += p;
            err = json_object_set_new(figures, name, json_integer(p)) ? ERR_NOMEM : 0;
        }
        json_array_foreach(json_object_get(diff, "figures"), i, v)
        {
            const char *row = json_string_value(json_object_get(v, "row"));
            const char *fig = json_string_value(json_object_get(v, "figure"));
            json_int_t d = json_integer_value(json_object_get(v, "delta"));
            if (err || !row || !fig || strcmp(row, "合计") != 0) {
                continue;
            }
            for (size_t f = 0; f < n_fig; f++) {
                year_figure(f, name, sizeof(name), label, sizeof(label));
                if (strcmp(name, fig) == 0) {
                    diff_sum[f] += d;
                }
            }
            err = json_object_set_new(deltas, fig, json_integer(d)) ? ERR_NOMEM : 0;
        }
        json_array_foreach(json_object_get(diff, "tickets"), i, v)
        {
            if (!err) {
                err = json_array_append(numbers, json_object_get(v, "number")) ? ERR_NOMEM : 0;
            }
        }
        month = err ? NULL
                    : json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:O}", "period", pub.period,
                                "published_at",
                                yq_time_format_utc(pub.published_at, when, sizeof(when)),
                                "published_by", pub.published_by, "role", pub.role, "figures",
                                figures, "differences", deltas, "tickets", numbers);
        if (!err && (!month || json_array_append_new(months, month))) {
            err = ERR_NOMEM;
        }
        n_months += err ? 0 : 1;
        json_decref(figures);
        json_decref(deltas);
        json_decref(numbers);
        json_decref(diff);
        json_decref(pj);
        stats_publication_release(&pub);
    }
    for (size_t f = 0; !err && f < n_fig; f++) {
        year_figure(f, name, sizeof(name), label, sizeof(label));
        if (json_array_append_new(totals,
                                  json_pack("{s:s, s:s, s:I, s:I, s:I}", "figure", name, "label",
                                            label, "published", pub_sum[f], "differences",
                                            diff_sum[f], "total", pub_sum[f] + diff_sum[f]))) {
            err = ERR_NOMEM;
        }
    }
    if (!err) {
        *out = json_pack("{s:I, s:o, s:o}", "months_published", (json_int_t)n_months, "months",
                         months, "totals", totals);
        months = totals = NULL;
        err = *out ? 0 : ERR_NOMEM;
    }
    json_decref(months);
    json_decref(totals);
    return err;
}

/* ------------------------------------------------------------- text */

int stats_diff_text(const json_t *diff, struct yq_buf *out)
{
    size_t i;
    const json_t *v;
    int err;

    if (!json_is_true(json_object_get(diff, "changed"))) {
        return yq_buf_addf(out, "发布后无变动（截至 %s）。\n",
                           json_string_value(json_object_get(diff, "known_at")));
    }
    err = yq_buf_addf(out, "发布后变动（截至 %s，以发布数为准，下列为后续登记带来的差异）：\n",
                      json_string_value(json_object_get(diff, "known_at")));
    json_array_foreach(json_object_get(diff, "figures"), i, v)
    {
        if (!err) {
            json_int_t d = json_integer_value(json_object_get(v, "delta"));
            err = yq_buf_addf(out, "  %s %s：%lld → %lld（%s%lld）\n",
                              json_string_value(json_object_get(v, "row")),
                              json_string_value(json_object_get(v, "label")),
                              (long long)json_integer_value(json_object_get(v, "published")),
                              (long long)json_integer_value(json_object_get(v, "now")),
                              d > 0 ? "+" : "", (long long)d);
        }
    }
    json_array_foreach(json_object_get(diff, "tickets"), i, v)
    {
        if (!err) {
            const char *a = json_string_value(json_object_get(v, "published"));
            const char *b = json_string_value(json_object_get(v, "now"));
            err = yq_buf_addf(out, "  交办单 %s：发布时 %s；现在 %s\n",
                              json_string_value(json_object_get(v, "number")), a ? a : "（未计入）",
                              b ? b : "（未计入）");
        }
    }
    return err;
}

int stats_year_published_text(const json_t *year, struct yq_buf *out)
{
    size_t i;
    const json_t *v;
    int err = yq_buf_addf(out, "\n按已发布通报汇总（已发布 %lld 个月）：\n",
                          (long long)json_integer_value(json_object_get(year, "months_published")));

    json_array_foreach(json_object_get(year, "months"), i, v)
    {
        if (!err) {
            err = yq_buf_addf(
                out, "  %s 通报：%s 由 %s 发布%s\n",
                json_string_value(json_object_get(v, "period")),
                json_string_value(json_object_get(v, "published_at")),
                json_string_value(json_object_get(v, "published_by")),
                json_object_size(json_object_get(v, "differences")) > 0 ? "，发布后有变动" : "");
        }
    }
    json_array_foreach(json_object_get(year, "totals"), i, v)
    {
        json_int_t p = json_integer_value(json_object_get(v, "published"));
        json_int_t d = json_integer_value(json_object_get(v, "differences"));
        if (!err && (p != 0 || d != 0)) {
            err = yq_buf_addf(out, "  %s：发布数 %lld，发布后变动 %s%lld，合计 %lld\n",
                              json_string_value(json_object_get(v, "label")), (long long)p,
                              d > 0 ? "+" : "", (long long)d, (long long)(p + d));
        }
    }
    return err;
}

/* ------------------------------------------------------------- views */

/* {"period","published_at","published_by","role","cutoff"} of p. */
static json_t *publication_meta(const struct stats_publication *p)
{
    char at[40], cut[40];
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "period", p->period, "published_at",
                     yq_time_format_utc(p->published_at, at, sizeof(at)), "published_by",
                     p->published_by, "role", p->role, "cutoff",
                     yq_time_format_utc(p->cutoff, cut, sizeof(cut)));
}

/* Move the text of buffer b into *out (NUL-terminated), *out_len its length. */
static int buf_out(struct yq_buf *b, char **out, size_t *out_len)
{
    size_t len = b->len;
    if (yq_buf_addc(b, '\0')) {
        return ERR_NOMEM;
    }
    *out = (char *)yq_buf_steal(b, NULL);
    if (!*out) {
        return ERR_NOMEM;
    }
    if (out_len) {
        *out_len = len;
    }
    return 0;
}

/* Add members to the JSON text in (NUL-terminated) and render it into *out. Steals members. */
static int json_with(const char *in, const char *k1, json_t *v1, const char *k2, json_t *v2,
                     char **out, size_t *out_len)
{
    json_t *o = json_loads(in, 0, NULL);
    int err = 0;

    if (!json_is_object(o)) {
        err = ERR_PARSE;
    } else if (json_object_set_new(o, k1, v1 ? v1 : json_null()) ||
               (k2 && json_object_set_new(o, k2, v2 ? v2 : json_null()))) {
        err = ERR_NOMEM;
    }
    v1 = v2 = NULL;
    if (!err && !(*out = yq_json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
        err = ERR_NOMEM;
    }
    if (!err && out_len) {
        *out_len = strlen(*out);
    }
    json_decref(o);
    json_decref(v1);
    json_decref(v2);
    return err;
}

int stats_month_view(struct yq_db *db, const struct stats_opts *opts, enum stats_format fmt,
                     const struct stats_render_opts *ropts, char **out, size_t *out_len,
                     char *errbuf, size_t errlen)
{
    struct stats_publication pub;
    json_t *diff = NULL;
    char *live = NULL;
    struct yq_buf b;
    int err;

    *out = NULL;
    yq_buf_init(&b, STATS_OUT_MAX_BYTES);
    err = opts->period == STATS_PERIOD_MONTH
              ? stats_publication_get(db, opts->year, opts->month, &pub, errbuf, errlen)
              : ERR_INVALID;
    if (err == ERR_NOT_FOUND || err == ERR_INVALID) {
        /* not published (or not a month): the report as computed now */
        err = stats_render_from_db(db, opts, fmt, ropts, &live, out_len, errbuf, errlen);
        if (!err && fmt == STATS_FORMAT_JSON && opts->period == STATS_PERIOD_MONTH) {
            err = json_with(live, "publication", NULL, NULL, NULL, out, out_len);
            free(live);
        } else {
            *out = live;
        }
        return err;
    }
    if (err) {
        return err;
    }
    err = stats_publication_diff(db, &pub, opts, &diff, errbuf, errlen);
    if (!err && opts->department) {
        /* one department: its report now, with the publication's differences for it */
        err = stats_render_from_db(db, opts, fmt, ropts, &live, NULL, errbuf, errlen);
    }
    if (!err) {
        const char *base = opts->department ? live : NULL;
        switch (fmt) {
        case STATS_FORMAT_JSON:
            err = json_with(base ? base : pub.report_json, "publication", publication_meta(&pub),
                            "differences", diff, out, out_len);
            diff = NULL;
            break;
        case STATS_FORMAT_TEXT: {
            char when[40];
            err = yq_buf_adds(&b, base ? base : pub.report_text) ||
                          yq_buf_addf(&b, "\n本月通报已于 %s 由 %s 发布%s。\n",
                                      yq_time_format_shanghai(pub.published_at, when, sizeof(when)),
                                      pub.published_by,
                                      base ? "（以上为本单位当前数据）" : "，以上为发布数")
                      ? ERR_TOO_BIG
                      : stats_diff_text(diff, &b);
            if (!err) {
                err = buf_out(&b, out, out_len);
            }
            break;
        }
        case STATS_FORMAT_CSV:
            *out = strdup(base ? base : pub.report_csv);
            err = *out ? 0 : ERR_NOMEM;
            break;
        default:
            *out = strdup(base ? base : pub.report_html);
            err = *out ? 0 : ERR_NOMEM;
            break;
        }
        if (!err && out_len && fmt != STATS_FORMAT_JSON && fmt != STATS_FORMAT_TEXT) {
            *out_len = strlen(*out);
        }
    }
    if (err && err != ERR_RETRY && err != ERR_IO && errbuf && errlen && !errbuf[0]) {
        snprintf(errbuf, errlen, "cannot show the published report: %s", yq_strerror(err));
    }
    yq_buf_release(&b);
    free(live);
    json_decref(diff);
    stats_publication_release(&pub);
    return err;
}

int stats_year_view(struct yq_db *db, const struct stats_opts *opts, enum stats_format fmt,
                    const struct stats_render_opts *ropts, char **out, size_t *out_len,
                    char *errbuf, size_t errlen)
{
    json_t *year = NULL;
    char *live = NULL;
    struct yq_buf b;
    int err;

    *out = NULL;
    err = stats_render_from_db(db, opts, fmt, ropts, &live, out_len, errbuf, errlen);
    if (err || opts->department || (fmt != STATS_FORMAT_JSON && fmt != STATS_FORMAT_TEXT)) {
        *out = live;
        return err;
    }
    err = stats_year_published(db, opts, &year, errbuf, errlen);
    if (!err && fmt == STATS_FORMAT_JSON) {
        err = json_with(live, "published", year, NULL, NULL, out, out_len);
        year = NULL;
    } else if (!err) {
        yq_buf_init(&b, STATS_OUT_MAX_BYTES);
        err = yq_buf_adds(&b, live) ? ERR_TOO_BIG : 0;
        if (!err && json_integer_value(json_object_get(year, "months_published")) > 0) {
            err = stats_year_published_text(year, &b);
        }
        if (!err) {
            err = buf_out(&b, out, out_len);
        }
        yq_buf_release(&b);
    }
    free(live);
    json_decref(year);
    return err;
}
