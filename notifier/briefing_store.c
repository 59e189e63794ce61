/*
 * Storing briefings and 专报 in table reports (migration 10), the outbox rows of the daily
 * summary in the same transaction, the scheduler's tick and the listing (briefing.h).
 */
#include "briefing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "briefing_html.h"
#include "store_json.h"
#include "ticket_store_int.h"
#include "yq_array.h"
#include "yq_buf.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

/* Where the stored HTML finds the statistics' stylesheet (the web serves it there). */
#define REPORT_ASSET_BASE "/static/stats/"

static int store_fail(struct ticket_store *store, int rc, const char *what, char *errbuf,
                      size_t errlen)
{
    int err = ticket_store_fail(store, rc, what);
    snprintf(errbuf, errlen, "%s: %s", what, ticket_store_errmsg(store));
    return err;
}

/* The stored daily briefing starting at start: *id_out (0 when none). */
static int daily_find(struct ticket_store *store, int64_t start, int64_t *id_out, char *errbuf,
                      size_t errlen)
{
    struct yq_stmt *st = NULL;
    int rc, err = 0;

    *id_out = 0;
    rc = yq_stmt_prepare(store->db, "SELECT id FROM reports WHERE kind = 'daily' AND period_start = ?", &st);
    if (rc != YQ_DB_OK) {
        return store_fail(store, rc, "report lookup", errbuf, errlen);
    }
    yq_stmt_bind_int64(st, 1, start);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        *id_out = yq_stmt_column_int64(st, 0);
    } else if (rc != YQ_DB_DONE) {
        err = store_fail(store, rc, "report lookup", errbuf, errlen);
    }
    yq_stmt_finalize(st);
    return err;
}

/* "http://host:port" of link_base (up to the path), or "" . */
static void origin_of(const char *link_base, char *out, size_t len)
{
    const char *p = link_base ? strstr(link_base, "://") : NULL;
    const char *slash = p ? strchr(p + 3, '/') : NULL;
    size_t n = !p ? 0 : (slash ? (size_t)(slash - link_base) : strlen(link_base));
    snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), link_base ? link_base : "");
}

/* "舆情日报（2026年12月5日）" of the day whose period ends at end. */
static void daily_title(int64_t end, char *out, size_t len)
{
    int64_t days = (end + YQ_SHANGHAI_OFFSET_S) / 86400, y;
    unsigned m, d;
    yq_time_civil_from_days(days, &y, &m, &d);
    snprintf(out, len, "舆情日报（%lld年%u月%u日）", (long long)y, m, d);
}

/* Insert one outbox row of the summary per configured channel (inside the transaction). */
static int enqueue_summary(struct ticket_store *store, const struct briefing_cfg *cfg,
                           int64_t report_id, const char *subject, const char *body,
                           const char *link, int64_t now, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < cfg->n_channels; i++) {
        struct yq_stmt *st = NULL;
        char key[200];
        int rc;

        snprintf(key, sizeof(key), "r%lld:%.*s", (long long)report_id,
                 BRIEFING_CHANNEL_MAX_BYTES, cfg->channels[i]);
        rc = yq_stmt_prepare(store->db, "INSERT INTO outbox (idem_key, kind, channel, role, urgent, "
                                "subject, body, link, next_attempt_at, created_at) "
                                "VALUES (?, 'briefing', ?, 'duty', 0, ?, ?, ?, ?, ?) "
                                "ON CONFLICT (idem_key) DO NOTHING", &st);
        if (rc != YQ_DB_OK) {
            return store_fail(store, rc, "briefing outbox", errbuf, errlen);
        }
        yq_stmt_bind_text(st, 1, key);
        yq_stmt_bind_text(st, 2, cfg->channels[i]);
        yq_stmt_bind_text(st, 3, subject);
        yq_stmt_bind_text(st, 4, body);
        yq_stmt_bind_text(st, 5, link);
        yq_stmt_bind_int64(st, 6, now);
        yq_stmt_bind_int64(st, 7, now);
        rc = yq_stmt_step(st);
        yq_stmt_finalize(st);
        if (rc != YQ_DB_DONE) {
            return store_fail(store, rc, "briefing outbox", errbuf, errlen);
        }
    }
    return 0;
}

/*
 * Insert the report row (kind, period, event, title, html, summary) inside an open transaction.
 * For a daily one a conflicting row (another writer) leaves *id_out 0.
 */
static int insert_report(struct ticket_store *store, const char *kind, int64_t start, int64_t end,
                         int64_t event_id, const char *title, const char *html,
                         const char *summary, const char *actor, int64_t now, int64_t *id_out,
                         char *errbuf, size_t errlen)
{
    struct yq_stmt *st = NULL;
    int rc;

    *id_out = 0;
    rc = yq_stmt_prepare(store->db, "INSERT INTO reports (kind, period_start, period_end, event_id, "
                            "title, html, summary, created_by, created_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id", &st);
    if (rc != YQ_DB_OK) {
        return store_fail(store, rc, "report insert", errbuf, errlen);
    }
    yq_stmt_bind_text(st, 1, kind);
    yq_stmt_bind_int64(st, 2, start);
    yq_stmt_bind_int64(st, 3, end);
    if (event_id > 0) {
        yq_stmt_bind_int64(st, 4, event_id);
    } else {
        yq_stmt_bind_null(st, 4);
    }
    yq_stmt_bind_text(st, 5, title);
    yq_stmt_bind_text(st, 6, html);
    yq_stmt_bind_text(st, 7, summary ? summary : "");
    yq_stmt_bind_text(st, 8, actor);
    yq_stmt_bind_int64(st, 9, now);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        *id_out = yq_stmt_column_int64(st, 0); /* no row: the report exists */
        rc = YQ_DB_DONE;
    }
    yq_stmt_finalize(st);
    if (rc != YQ_DB_DONE) {
        return store_fail(store, rc, "report insert", errbuf, errlen);
    }
    return 0;
}

/*
 * The page of a rendered report: a renderer's failure (err) is written to errbuf as
 * "<what> html: <reason>"; otherwise html's bytes are taken into *page (free() it).
 * Returns 0, err or ERR_NOMEM.
 */
static int take_page(int err, struct yq_buf *html, const char *what, char **page, char *errbuf,
                     size_t errlen)
{
    if (err) {
        snprintf(errbuf, errlen, "%s html: %s", what, yq_strerror(err));
        return err;
    }
    *page = yq_buf_steal(html, NULL);
    return *page ? 0 : ERR_NOMEM;
}

/* ticket_store_begin(store, what), a failure written to errbuf as "<what>: <message>". */
static int begin_write(struct ticket_store *store, const char *what, char *errbuf, size_t errlen)
{
    int err = ticket_store_begin(store, what);

    if (err) {
        snprintf(errbuf, errlen, "%s: %s", what, ticket_store_errmsg(store));
    }
    return err;
}

/* COMMIT, a failure written to errbuf (the store's message: "<what>: <reason> (rc=N)"). */
static int commit_write(struct ticket_store *store, const char *what, char *errbuf, size_t errlen)
{
    int err = ticket_store_exec(store, "COMMIT", what);

    if (err) {
        snprintf(errbuf, errlen, "%s", ticket_store_errmsg(store));
    }
    return err;
}

int briefing_daily_ensure(struct ticket_store *store, const struct briefing_env *env, int64_t day,
                          const char *actor, int64_t now, int64_t *id_out, bool *created_out,
                          char *errbuf, size_t errlen)
{
    const struct briefing_cfg *cfg = env && env->cfg ? env->cfg : briefing_cfg_defaults();
    struct briefing b;
    struct yq_buf html;
    char *page = NULL, *summary = NULL, title[80], origin[256], link[320];
    int64_t start, end, id = 0;
    int err;

    *id_out = 0;
    if (created_out) {
        *created_out = false;
    }
    briefing_period_of_day(day, cfg->hour, &start, &end);
    if (end > now) {
        snprintf(errbuf, errlen, "该日报的统计时段尚未结束 (the period ends in the future)");
        return ERR_INVALID;
    }
    if (briefing_day_too_old(day, now)) {
        snprintf(errbuf, errlen, "the day is more than %d days ago", BRIEFING_MAX_PAST_DAYS);
        return ERR_INVALID;
    }
    err = daily_find(store, start, &id, errbuf, errlen);
    if (err || id > 0) {
        *id_out = id;
        return err;
    }
    err = briefing_gather(store, env, start, end, now, &b, errbuf, errlen);
    daily_title(end, title, sizeof(title));
    yq_buf_init(&html, BRIEFING_HTML_MAX_BYTES);
    if (!err) {
        err = take_page(briefing_html_daily(&b, title, REPORT_ASSET_BASE, &html), &html, "briefing",
                        &page, errbuf, errlen);
    }
    if (!err) {
        err = begin_write(store, "briefing", errbuf, errlen);
    }
    if (!err) {
        err = insert_report(store, "daily", start, end, 0, title, page, "", actor, now, &id,
                            errbuf, errlen);
    }
    if (!err && id > 0) {
        origin_of(env ? env->link_base : NULL, origin, sizeof(origin));
        snprintf(link, sizeof(link), "%s/api/reports/%lld", origin, (long long)id);
        err = briefing_summary(&b, cfg->top_events, origin[0] ? link : NULL, &summary);
        if (!err) {
            struct yq_stmt *st = NULL;
            int rc = yq_stmt_prepare(store->db, "UPDATE reports SET summary = ? WHERE id = ?", &st);
            if (rc == YQ_DB_OK) {
                yq_stmt_bind_text(st, 1, summary);
                yq_stmt_bind_int64(st, 2, id);
                rc = yq_stmt_step(st);
            }
            yq_stmt_finalize(st);
            if (rc != YQ_DB_DONE) {
                err = store_fail(store, rc, "report summary", errbuf, errlen);
            }
        }
        if (!err) {
            err = enqueue_summary(store, cfg, id, title, summary, origin[0] ? link : "", now,
                                  errbuf, errlen);
        }
    }
    if (!err) {
        err = commit_write(store, "briefing commit", errbuf, errlen);
    }
    if (err) {
        ticket_store_rollback(store);
    } else if (id > 0) {
        *id_out = id;
        if (created_out) {
            *created_out = true;
        }
        LOG_INFO("briefing written id=%lld period_start=%lld items=%lld events=%lld channels=%zu",
                 (long long)id, (long long)start, (long long)b.items, (long long)b.events,
                 cfg->n_channels);
    } else {
        /* another writer stored the day between the lookup and the insert */
        err = daily_find(store, start, id_out, errbuf, errlen);
    }
    free(summary);
    free(page);
    yq_buf_release(&html);
    briefing_release(&b);
    return err;
}

int briefing_tick(struct ticket_store *store, const struct briefing_env *env, int64_t now,
                  int64_t *written_out, char *errbuf, size_t errlen)
{
    const struct briefing_cfg *cfg = env && env->cfg ? env->cfg : briefing_cfg_defaults();
    int64_t id = 0;
    bool created = false;
    int err;

    if (written_out) {
        *written_out = 0;
    }
    if (!cfg->enabled) {
        return 0;
    }
    err = briefing_daily_ensure(store, env, briefing_latest_day(now, cfg->hour), "system", now,
                                &id, &created, errbuf, errlen);
    if (!err && created && written_out) {
        *written_out = id;
    }
    return err;
}

int briefing_event_create(struct ticket_store *store, const struct briefing_env *env,
                          int64_t event_id, const char *actor, int64_t now, int64_t *id_out,
                          char *errbuf, size_t errlen)
{
    struct briefing_event_report r;
    struct yq_buf html;
    char *page = NULL, *title = NULL;
    int64_t start;
    int err;

    (void)env;
    *id_out = 0;
    yq_buf_init(&html, BRIEFING_HTML_MAX_BYTES);
    err = briefing_event_gather(store, event_id, now, &r, errbuf, errlen);
    if (!err) {
        err = take_page(briefing_html_event(&r, REPORT_ASSET_BASE, &html), &html, "report", &page,
                        errbuf, errlen);
    }
    if (!err && asprintf(&title, "专报：%s", r.ev.title) < 0) {
        title = NULL;
        err = ERR_NOMEM;
    }
    if (!err) {
        err = begin_write(store, "report", errbuf, errlen);
    }
    if (!err) {
        /* the period: the event's detection to now (at least one second) */
        start = r.ev.detected_at < now ? r.ev.detected_at : now - 1;
        err = insert_report(store, "event", start, now, event_id, title, page, "", actor, now,
                            id_out, errbuf, errlen);
    }
    if (!err) {
        err = commit_write(store, "report commit", errbuf, errlen);
    }
    if (err) {
        ticket_store_rollback(store);
        *id_out = 0;
    }
    free(title);
    free(page);
    yq_buf_release(&html);
    briefing_event_report_release(&r);
    return err;
}

/* ------------------------------------------------------------------ reading */

void briefing_report_release(struct briefing_report *r)
{
    if (r) {
        free(r->title);
        free(r->created_by);
        memset(r, 0, sizeof(*r));
    }
}

void briefing_reports_free(struct briefing_report *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        briefing_report_release(&v[i]);
    }
    free(v);
}

/*
 * A department (?3) leads or co-handles event e's ticket (SQL over events e and tickets t).
 * JE: a STORE_JSON_EACH_* macro (store_json.h).
 */
#define VISIBLE_TO_DEPT(JE)                                                                        \
    "EXISTS (SELECT 1 FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE e.id = "            \
    "r.event_id AND (t.department = ?3 OR EXISTS (SELECT 1 FROM " JE(                              \
        STORE_JSON_COLUMN("t.co_departments", "co_departments"), "c") " WHERE c.value = ?3)))"

static int row_read(struct yq_stmt *st, struct briefing_report *r)
{
    const char *k = yq_stmt_column_text(st, 1);
    r->id = yq_stmt_column_int64(st, 0);
    snprintf(r->kind, sizeof(r->kind), "%s", k ? (const char *)k : "");
    r->title = strdup(yq_stmt_column_text(st, 2) ? yq_stmt_column_text(st, 2) : "");
    r->period_start = yq_stmt_column_int64(st, 3);
    r->period_end = yq_stmt_column_int64(st, 4);
    r->event_id = yq_stmt_column_int64(st, 5);
    r->created_at = yq_stmt_column_int64(st, 6);
    r->created_by = strdup(yq_stmt_column_text(st, 7) ? yq_stmt_column_text(st, 7)
                                                      : "");
    return r->title && r->created_by ? 0 : ERR_NOMEM;
}

int briefing_reports_list(struct ticket_store *store, const char *kind, const char *department,
                          size_t max, struct briefing_report **out, size_t *n_out)
{
    struct yq_stmt *st = NULL;
    struct briefing_report *v = NULL;
    size_t n = 0, cap = 0;
    int rc, err = 0;

    *out = NULL;
    *n_out = 0;
#define LIST_SQL(JE)                                                                               \
    "SELECT r.id, r.kind, r.title, r.period_start, r.period_end, coalesce(r.event_id, 0), "       \
    "r.created_at, r.created_by FROM reports r WHERE (CAST(?1 AS TEXT) IS NULL OR "              \
    "r.kind = ?1) AND (CAST(?3 AS TEXT) IS NULL OR r.kind = 'daily' OR " VISIBLE_TO_DEPT(JE) ") " \
    "ORDER BY r.created_at DESC, r.id DESC LIMIT ?2"
    static const char *const sql[2] = {LIST_SQL(STORE_JSON_EACH_SQLITE),
                                       LIST_SQL(STORE_JSON_EACH_PG)};
#undef LIST_SQL
    rc = yq_stmt_prepare(store->db, sql[store_json_pick(store->db)], &st);
    if (rc != YQ_DB_OK) {
        return ticket_store_fail(store, rc, "report list");
    }
    if (kind) {
        yq_stmt_bind_text(st, 1, kind);
    }
    yq_stmt_bind_int64(st, 2, (int64_t)max);
    if (department) {
        yq_stmt_bind_text(st, 3, department);
    }
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        err = yq_array_reserve(&v, &cap, n + 1, sizeof(*v));
        if (err) {
            break;
        }
        memset(&v[n], 0, sizeof(v[n]));
        err = row_read(st, &v[n++]);
        if (err) {
            break;
        }
    }
    if (!err && rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "report list");
    }
    yq_stmt_finalize(st);
    if (err) {
        briefing_reports_free(v, n);
        return err;
    }
    *out = v;
    *n_out = n;
    return 0;
}

int briefing_event_visible(struct ticket_store *store, int64_t event_id, const char *department,
                           bool *out)
{
    struct yq_stmt *st = NULL;
    int rc, err = 0;

    *out = false;
#define VISIBLE_SQL(JE)                                                                            \
    "SELECT 1 FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE e.id = ?1 AND "             \
    "(t.department = ?2 OR EXISTS (SELECT 1 FROM " JE(                                             \
        STORE_JSON_COLUMN("t.co_departments", "co_departments"), "c") " WHERE c.value = ?2))"
    static const char *const sql[2] = {VISIBLE_SQL(STORE_JSON_EACH_SQLITE),
                                       VISIBLE_SQL(STORE_JSON_EACH_PG)};
#undef VISIBLE_SQL
    rc = yq_stmt_prepare(store->db, sql[store_json_pick(store->db)], &st);
    if (rc != YQ_DB_OK) {
        return ticket_store_fail(store, rc, "report visibility");
    }
    yq_stmt_bind_int64(st, 1, event_id);
    yq_stmt_bind_text(st, 2, department ? department : "");
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        *out = true;
    } else if (rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "report visibility");
    }
    yq_stmt_finalize(st);
    return err;
}

int briefing_report_get(struct ticket_store *store, int64_t id, const char *department,
                        char **html_out, struct briefing_report *row_out)
{
    struct yq_stmt *st = NULL;
    struct briefing_report row;
    int rc, err = 0;

    *html_out = NULL;
    memset(&row, 0, sizeof(row));
    rc = yq_stmt_prepare(store->db, "SELECT r.id, r.kind, r.title, r.period_start, r.period_end, "
                            "coalesce(r.event_id, 0), r.created_at, r.created_by, r.html "
                            "FROM reports r WHERE r.id = ?", &st);
    if (rc != YQ_DB_OK) {
        return ticket_store_fail(store, rc, "report get");
    }
    yq_stmt_bind_int64(st, 1, id);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_DONE) {
        err = ERR_NOT_FOUND;
    } else if (rc != YQ_DB_ROW) {
        err = ticket_store_fail(store, rc, "report get");
    } else {
        const char *h = yq_stmt_column_text(st, 8);
        err = row_read(st, &row);
        if (!err && !(*html_out = strdup(h ? (const char *)h : ""))) {
            err = ERR_NOMEM;
        }
    }
    yq_stmt_finalize(st);
    if (!err && department && strcmp(row.kind, "event") == 0) {
        bool ok = false;
        err = briefing_event_visible(store, row.event_id, department, &ok);
        if (!err && !ok) {
            err = ERR_BAD_STATE;
        }
    }
    if (err) {
        free(*html_out);
        *html_out = NULL;
        briefing_report_release(&row);
        return err;
    }
    if (row_out) {
        *row_out = row;
    } else {
        briefing_report_release(&row);
    }
    return 0;
}
