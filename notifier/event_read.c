#include "event_read.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "yq_db.h"

#include "event_flow.h"
#include "store_json.h"
#include "ticket_api.h"
#include "ticket_store_int.h"
#include "yq_alert.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_labels.h"
#include "yq_sentiment.h"
#include "yq_time.h"
#include "yq_banned.h"

/* The event columns every EVENT JSON is read from (read_event() knows their order). */
#define EVENT_COLUMNS                                                                              \
    "e.id, e.event_key, e.kind, e.state, e.title, e.level, e.department, e.co_departments, "       \
    "e.rule_ids, e.rule_groups, e.source_kinds, e.region, e.first_post_at, e.detected_at, "        \
    "e.last_item_at, e.item_count, e.heat, e.negative_count, e.score, t.number, t.state, "         \
    "e.judge_deadline, e.resurfaced_at, e.resurface_reason, e.spike, e.watch_items, "              \
    "e.watch_heat, e.watch_quiet_s, e.judged_at, e.judged_by, e.outcome, e.opinion, "              \
    "e.dismiss_reason, e.dismiss_note, e.merged_into, e.version, e.ticket_id"
#define EVENT_N_COLUMNS 37

/* A number macro as SQL text. */
#define SQL_NUM_(x) #x
#define SQL_NUM(x) SQL_NUM_(x)
#define EVENT_FROM " FROM events e LEFT JOIN tickets t ON t.id = e.ticket_id"

/*
 * The inbox order (docs/api.md): level I first; within a level, a pending event that came back
 * (resurfaced: watch threshold, quiet period, spike, higher level) at the top; then heat
 * descending, detection ascending.
 */
#define INBOX_ORDER                                                                                \
    " ORDER BY CASE e.level WHEN 'I' THEN 1 WHEN 'II' THEN 2 WHEN 'III' THEN 3 ELSE 4 END, "       \
    "(e.state = 'pending' AND e.resurfaced_at IS NOT NULL) DESC, "                                 \
    "e.heat DESC, e.detected_at ASC, e.id ASC"

/*
 * The label of an item's sentiment (event_items.sentiment): yq_sentiment's (负面, 中性, 正面);
 * 未知 for an item stored without one ('').
 */
static const char *sentiment_label(const char *code)
{
    enum yq_sentiment_label s;

    if (yq_sentiment_parse(code, &s) == 0) {
        return yq_sentiment_label(s);
    }
    return code && code[0] ? code : "未知";
}

char *event_read_format_time(int64_t t, char *buf, size_t len)
{
    struct tm tm;
    time_t tt = (time_t)(t + YQ_SHANGHAI_OFFSET_S);

    gmtime_r(&tt, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

/* Untrusted text as a JSON string ("" when NULL or not UTF-8). Never NULL but on NOMEM. */
static json_t *str(const char *s)
{
    json_t *v = json_string(s ? s : "");
    return v ? v : json_string("");
}

static json_t *col_str(struct yq_stmt *st, int i)
{
    return str(yq_stmt_column_text(st, i));
}

/* A time column as +08:00 text, or null for NULL (or 0: "not yet"). */
static json_t *col_time(struct yq_stmt *st, int i)
{
    char buf[40];
    int64_t t = yq_stmt_column_int64(st, i);

    if (yq_stmt_column_type(st, i) == YQ_DB_NULL || t <= 0) {
        return json_null();
    }
    return json_string(event_read_format_time(t, buf, sizeof(buf)));
}

static json_t *col_int_or_null(struct yq_stmt *st, int i)
{
    return yq_stmt_column_type(st, i) == YQ_DB_NULL ? json_null()
                                                     : json_integer(yq_stmt_column_int64(st, i));
}

/* A JSON-array column (stored JSON text) named column, read by yq_json_column_array(). */
static json_t *col_array(struct yq_stmt *st, int i, const char *column)
{
    return yq_json_column_array(yq_stmt_column_text(st, i), column);
}

/* The EVENT JSON of the current row of st (EVENT_COLUMNS from index 0). NULL on NOMEM. */
static json_t *read_event(struct yq_stmt *st, int64_t now)
{
    const char *state = yq_stmt_column_text(st, 3);
    const char *level = yq_stmt_column_text(st, 5);
    const char *spike = yq_stmt_column_text(st, 24);
    int64_t items = yq_stmt_column_int64(st, 15), negative = yq_stmt_column_int64(st, 17);
    enum event_state es = 0;
    enum yq_level lv = 0;
    json_t *o = json_object(), *v;
    int rc = o ? 0 : -1;

    if (rc) {
        return NULL;
    }
    (void)event_state_parse(state, &es);
    (void)yq_level_parse(level, &lv);
    rc |= json_object_set_new(o, "id", json_integer(yq_stmt_column_int64(st, 0)));
    rc |= json_object_set_new(o, "event_key", col_str(st, 1));
    rc |= json_object_set_new(o, "kind", col_str(st, 2));
    rc |= json_object_set_new(o, "state", col_str(st, 3));
    rc |= json_object_set_new(o, "state_label", str(es ? event_state_label(es) : state));
    rc |= json_object_set_new(o, "title", col_str(st, 4));
    rc |= json_object_set_new(o, "level", col_str(st, 5));
    rc |= json_object_set_new(o, "level_label", str(lv ? yq_level_label(lv) : level));
    rc |= json_object_set_new(o, "department", col_str(st, 6));
    rc |= json_object_set_new(o, "co_departments", col_array(st, 7, "co_departments"));
    rc |= json_object_set_new(o, "rule_ids", col_array(st, 8, "rule_ids"));
    rc |= json_object_set_new(o, "rule_groups", col_array(st, 9, "rule_groups"));
    rc |= json_object_set_new(o, "source_kinds", col_array(st, 10, "source_kinds"));
    rc |= json_object_set_new(o, "region", col_str(st, 11));
    rc |= json_object_set_new(o, "first_post_at", col_time(st, 12));
    rc |= json_object_set_new(o, "detected_at", col_time(st, 13));
    rc |= json_object_set_new(o, "last_item_at", col_time(st, 14));
    rc |= json_object_set_new(o, "item_count", json_integer(items));
    rc |= json_object_set_new(o, "heat", json_integer(yq_stmt_column_int64(st, 16)));
    rc |= json_object_set_new(o, "negative_share",
                              json_real(items > 0 ? (double)negative / (double)items : 0.0));
    rc |= json_object_set_new(o, "score", json_real(yq_stmt_column_double(st, 18)));
    if (yq_stmt_column_type(st, 19) == YQ_DB_NULL) {
        rc |= json_object_set_new(o, "ticket", json_null());
    } else {
        rc |= json_object_set_new(
            o, "ticket",
            json_pack("{s:o, s:o}", "number", col_str(st, 19), "state", col_str(st, 20)));
    }
    rc |= json_object_set_new(o, "judge_deadline", col_time(st, 21));
    rc |=
        json_object_set_new(o, "awaits_judgement", json_boolean(event_state_awaits_judgement(es)));
    rc |= json_object_set_new(
        o, "judge_overdue",
        json_boolean(event_state_awaits_judgement(es) && now > yq_stmt_column_int64(st, 21)));
    rc |= json_object_set_new(o, "resurfaced_at", col_time(st, 22));
    rc |= json_object_set_new(o, "resurface_reason", col_str(st, 23));
    rc |= json_object_set_new(
        o, "resurface_reason_label",
        str(yq_label(YQ_LABEL_RESURFACE_REASON, yq_stmt_column_text(st, 23))));
    v = spike && spike[0] ? json_loads(spike, 0, NULL) : NULL;
    rc |= json_object_set_new(o, "spike", json_is_object(v) ? v : json_null());
    if (v && !json_is_object(v)) {
        json_decref(v);
    }
    if (yq_stmt_column_type(st, 25) == YQ_DB_NULL && yq_stmt_column_type(st, 26) == YQ_DB_NULL &&
        yq_stmt_column_type(st, 27) == YQ_DB_NULL) {
        rc |= json_object_set_new(o, "watch", json_null());
    } else {
        rc |= json_object_set_new(o, "watch",
                                  json_pack("{s:o, s:o, s:o}", "items", col_int_or_null(st, 25),
                                            "heat", col_int_or_null(st, 26), "quiet_s",
                                            col_int_or_null(st, 27)));
    }
    rc |= json_object_set_new(o, "judged_at", col_time(st, 28));
    rc |= json_object_set_new(o, "judged_by", col_str(st, 29));
    rc |= json_object_set_new(o, "outcome", col_str(st, 30));
    /* an outcome is named as the state it led to (assigned, merged, watching, dismissed) */
    rc |= json_object_set_new(
        o, "outcome_label",
        str(yq_label(YQ_LABEL_EVENT_STATE, yq_stmt_column_text(st, 30))));
    rc |= json_object_set_new(o, "opinion", col_str(st, 31));
    rc |= json_object_set_new(o, "dismiss_reason", col_str(st, 32));
    rc |= json_object_set_new(
        o, "dismiss_reason_label",
        str(yq_label(YQ_LABEL_DISMISS_REASON, yq_stmt_column_text(st, 32))));
    rc |= json_object_set_new(o, "dismiss_note", col_str(st, 33));
    rc |= json_object_set_new(o, "merged_into", col_int_or_null(st, 34));
    rc |= json_object_set_new(o, "version", json_integer(yq_stmt_column_int64(st, 35)));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ------------------------------------------------------------- inbox */

/*
 * The WHERE clause of q without its state (into buf): each filter adds "AND ...", its values
 * bound by bind_filters() in the same order. Static SQL text only: values are never pasted.
 */
static void filter_sql(const struct event_inbox_query *q, bool pg, char *buf, size_t len)
{
#define HAS_GROUP(JE)                                                                              \
    " AND EXISTS (SELECT 1 FROM " JE(STORE_JSON_COLUMN("e.rule_groups", "rule_groups"),            \
                                     "j") " WHERE j.value = ?)"
#define HAS_KIND(JE)                                                                               \
    " AND EXISTS (SELECT 1 FROM " JE(STORE_JSON_COLUMN("e.source_kinds", "source_kinds"),          \
                                     "j") " WHERE j.value = ?)"
    static const char *const has_group[2] = {HAS_GROUP(STORE_JSON_EACH_SQLITE),
                                             HAS_GROUP(STORE_JSON_EACH_PG)};
    static const char *const has_kind[2] = {HAS_KIND(STORE_JSON_EACH_SQLITE),
                                            HAS_KIND(STORE_JSON_EACH_PG)};
#undef HAS_GROUP
#undef HAS_KIND
    snprintf(
        buf, len, "%s%s%s%s%s%s", q->level ? " AND e.level = ?" : "",
        q->group ? has_group[pg] : "",
        q->source_kind ? has_kind[pg] : "",
        q->region ? " AND e.region = ?" : "", q->since ? " AND e.detected_at >= ?" : "",
        q->until ? " AND e.detected_at < ?" : "");
}

/* Bind q's filter values from parameter *i on (filter_sql()'s order). */
static int bind_filters(struct yq_stmt *st, const struct event_inbox_query *q,
                        const char *source_kind, int *i)
{
    int rc = YQ_DB_OK;

    if (q->level) {
        rc |= yq_stmt_bind_text(st, (*i)++, q->level);
    }
    if (q->group) {
        rc |= yq_stmt_bind_text(st, (*i)++, q->group);
    }
    if (q->source_kind) {
        rc |= yq_stmt_bind_text(st, (*i)++, source_kind);
    }
    if (q->region) {
        rc |= yq_stmt_bind_text(st, (*i)++, q->region);
    }
    if (q->since) {
        rc |= yq_stmt_bind_int64(st, (*i)++, q->since);
    }
    if (q->until) {
        rc |= yq_stmt_bind_int64(st, (*i)++, q->until);
    }
    return rc;
}

/* "" -> NULL, so the filters treat both as "no filter". */
static const char *nz_or_null(const char *s)
{
    return s && s[0] ? s : NULL;
}

/* A read transaction on store (a read-only handle may take one). */
static int read_begin(struct ticket_store *store)
{
    return ticket_store_exec(store, "BEGIN", "begin read");
}

static void read_end(struct ticket_store *store)
{
    (void)ticket_store_exec(store, "COMMIT", "end read");
}

int event_read_inbox(struct ticket_store *store, const struct event_inbox_query *query, int64_t now,
                     json_t **out)
{
    struct event_inbox_query q = *query;
    enum event_state es;
    enum yq_level lv;
    const char *source_kind = NULL, *state_sql;
    bool bind_state = false; /* state_sql has a ? for q.state */
    char where[512], sql[4096];
    struct yq_stmt *st = NULL;
    json_t *events = NULL, *counts = NULL;
    int64_t total = 0;
    int rc, err, i = 1;
    size_t max = q.max == 0 || q.max > EVENT_READ_MAX_PAGE ? EVENT_READ_MAX_PAGE : q.max;

    *out = NULL;
    q.level = nz_or_null(q.level);
    q.group = nz_or_null(q.group);
    q.source_kind = nz_or_null(q.source_kind);
    q.region = nz_or_null(q.region);
    q.state = nz_or_null(q.state);
    if (q.level && yq_level_parse(q.level, &lv) != 0) {
        return ERR_INVALID;
    }
    if (q.since && q.until && q.since >= q.until) {
        return ERR_INVALID;
    }
    if (!q.state || strcmp(q.state, "pending") == 0) {
        state_sql = " AND e.state IN ('pending', 'auto_assigned')";
    } else if (strcmp(q.state, "all") == 0) {
        state_sql = "";
    } else if (event_state_parse(q.state, &es) == 0) {
        state_sql = " AND e.state = ?";
        bind_state = true;
    } else {
        return ERR_INVALID;
    }
    if (q.source_kind) {
        /* a kind's code or its label (微博 as well as weibo) */
        source_kind = yq_label_code(YQ_LABEL_SOURCE_KIND, q.source_kind);
        if (!source_kind) {
            source_kind = q.source_kind;
        }
    }
    filter_sql(&q, store_json_pick(store->db) == 1, where, sizeof(where));
    events = json_array();
    counts = json_pack("{s:i, s:i, s:i}", "pending", 0, "auto_assigned", 0, "watching", 0);
    if (!events || !counts) {
        err = ERR_NOMEM;
        goto fail;
    }
    err = read_begin(store);
    if (err) {
        goto fail;
    }
    /* 1: the page, with the total of the filter (a window over the whole result) */
    snprintf(sql, sizeof(sql),
             "SELECT " EVENT_COLUMNS ", count(*) OVER () " EVENT_FROM " WHERE 1 = 1%s%s" INBOX_ORDER
             " LIMIT ? OFFSET ?",
             state_sql, where);
    err = ticket_store_prepare(store, sql, &st, "inbox page");
    if (err) {
        goto fail_tx;
    }
    rc = bind_state ? yq_stmt_bind_text(st, i++, q.state) : YQ_DB_OK;
    rc |= bind_filters(st, &q, source_kind, &i);
    rc |= yq_stmt_bind_int64(st, i++, (int64_t)max);
    rc |= yq_stmt_bind_int64(st, i++, (int64_t)q.offset);
    if (rc != YQ_DB_OK) {
        err = ticket_store_fail(store, rc, "inbox bind");
        goto fail_tx;
    }
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        json_t *e = read_event(st, now);
        total = yq_stmt_column_int64(st, EVENT_N_COLUMNS);
        if (!e || json_array_append_new(events, e) != 0) {
            err = ERR_NOMEM;
            goto fail_tx;
        }
    }
    if (rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "inbox page");
        goto fail_tx;
    }
    yq_stmt_finalize(st);
    st = NULL;
    /* 2: the total when the page is past the end (no row carried it) */
    if (json_array_size(events) == 0 && q.offset > 0) {
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM events e WHERE 1 = 1%s%s", state_sql,
                 where);
        err = ticket_store_prepare(store, sql, &st, "inbox total");
        if (err) {
            goto fail_tx;
        }
        i = 1;
        rc = bind_state ? yq_stmt_bind_text(st, i++, q.state) : YQ_DB_OK;
        rc |= bind_filters(st, &q, source_kind, &i);
        if (rc == YQ_DB_OK && (rc = yq_stmt_step(st)) == YQ_DB_ROW) {
            total = yq_stmt_column_int64(st, 0);
        } else {
            err = ticket_store_fail(store, rc, "inbox total");
            goto fail_tx;
        }
        yq_stmt_finalize(st);
        st = NULL;
    }
    /* 3: the inbox tabs' counts under the same filters but the state */
    snprintf(sql, sizeof(sql),
             "SELECT e.state, count(*) FROM events e WHERE e.state IN ('pending', "
             "'auto_assigned', 'watching')%s GROUP BY e.state",
             where);
    err = ticket_store_prepare(store, sql, &st, "inbox counts");
    if (err) {
        goto fail_tx;
    }
    i = 1;
    rc = bind_filters(st, &q, source_kind, &i);
    if (rc != YQ_DB_OK) {
        err = ticket_store_fail(store, rc, "inbox counts bind");
        goto fail_tx;
    }
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        const char *s = yq_stmt_column_text(st, 0);
        if (s && json_object_set_new(counts, s, json_integer(yq_stmt_column_int64(st, 1))) != 0) {
            err = ERR_NOMEM;
            goto fail_tx;
        }
    }
    if (rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "inbox counts");
        goto fail_tx;
    }
    yq_stmt_finalize(st);
    read_end(store);
    *out = json_pack("{s:o, s:I, s:o}", "events", events, "total", (json_int_t)total, "counts",
                     counts);
    return *out ? 0 : ERR_NOMEM;
fail_tx:
    yq_stmt_finalize(st);
    read_end(store);
fail:
    json_decref(events);
    json_decref(counts);
    return err;
}

/* -------------------------------------------------------- event page */

/* Prepare sql with ?1 = id. */
static int prepare_id(struct ticket_store *store, const char *sql, int64_t id, struct yq_stmt **st,
                      const char *what)
{
    int err = ticket_store_prepare(store, sql, st, what);
    if (!err && yq_stmt_bind_int64(*st, 1, id) != YQ_DB_OK) {
        err = ticket_store_fail(store, YQ_DB_ERROR, what);
        yq_stmt_finalize(*st);
        *st = NULL;
    }
    return err;
}

/* Finish a row loop: rc must be YQ_DB_DONE; finalizes st. */
static int loop_done(struct ticket_store *store, struct yq_stmt *st, int rc, const char *what)
{
    int err = rc == YQ_DB_DONE ? 0 : ticket_store_fail(store, rc, what);
    yq_stmt_finalize(st);
    return err;
}

/* "items" and "items_total" (newest matched first, bounded). */
static int add_items(struct ticket_store *store, int64_t id, json_t *o)
{
    static const char sql[] =
        "SELECT item_id, source, source_id, channel, url, title, excerpt, author, published_at, "
        "matched_at, reposts, comments, likes, heat, sentiment, count(*) OVER () "
        "FROM event_items WHERE event_id = ?1 ORDER BY matched_at DESC, id DESC LIMIT " SQL_NUM(
            EVENT_READ_MAX_ITEMS);
    struct yq_stmt *st = NULL;
    json_t *arr = json_array();
    int64_t total = 0;
    int rc, err;

    if (!arr || json_object_set_new(o, "items", arr) != 0) {
        return ERR_NOMEM;
    }
    err = prepare_id(store, sql, id, &st, "event items");
    if (err) {
        return err;
    }
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        const char *source = yq_stmt_column_text(st, 1);
        const char *sentiment = yq_stmt_column_text(st, 14);
        json_t *it = json_object();
        int bad = it ? 0 : -1;
        if (!bad) {
            bad |= json_object_set_new(it, "item_id", col_str(st, 0));
            bad |= json_object_set_new(it, "source", col_str(st, 1));
            bad |= json_object_set_new(it, "source_label",
                                       str(yq_label(YQ_LABEL_SOURCE_KIND, source)));
            bad |= json_object_set_new(it, "source_id", col_str(st, 2));
            bad |= json_object_set_new(it, "channel", col_str(st, 3));
            bad |= json_object_set_new(it, "url", col_str(st, 4));
            bad |= json_object_set_new(it, "title", col_str(st, 5));
            bad |= json_object_set_new(it, "excerpt", col_str(st, 6));
            bad |= json_object_set_new(it, "author", col_str(st, 7));
            bad |= json_object_set_new(it, "published_at", col_time(st, 8));
            bad |= json_object_set_new(it, "matched_at", col_time(st, 9));
            bad |= json_object_set_new(it, "reposts", json_integer(yq_stmt_column_int64(st, 10)));
            bad |= json_object_set_new(it, "comments", json_integer(yq_stmt_column_int64(st, 11)));
            bad |= json_object_set_new(it, "likes", json_integer(yq_stmt_column_int64(st, 12)));
            bad |= json_object_set_new(it, "heat", json_integer(yq_stmt_column_int64(st, 13)));
            bad |= json_object_set_new(it, "sentiment", col_str(st, 14));
            bad |= json_object_set_new(it, "sentiment_label", str(sentiment_label(sentiment)));
        }
        total = yq_stmt_column_int64(st, 15);
        if (bad || json_array_append_new(arr, it) != 0) {
            yq_stmt_finalize(st);
            return ERR_NOMEM;
        }
    }
    err = loop_done(store, st, rc, "event items");
    if (!err && json_object_set_new(o, "items_total", json_integer(total)) != 0) {
        err = ERR_NOMEM;
    }
    return err;
}

/*
 * "hourly": items per Asia/Shanghai hour of matched_at from the first item's hour (at most
 * EVENT_READ_HOURS - 1 hours before the last item's) to the last item's, gaps as 0.
 */
static int add_hourly(struct ticket_store *store, int64_t id, json_t *o)
{
    /* h = hour number in Shanghai wall-clock time (floor division, times are positive) */
    static const char sql[] = "WITH h AS (SELECT (matched_at + " SQL_NUM(
        YQ_SHANGHAI_OFFSET_S) ") / 3600 AS hour "
                              "FROM event_items WHERE event_id = ?1), "
                              "last AS (SELECT max(hour) AS m FROM h) "
                              "SELECT hour, count(*) FROM h, last WHERE hour > last.m - " SQL_NUM(
                                  EVENT_READ_HOURS) " GROUP BY hour ORDER BY hour";
    struct yq_stmt *st = NULL;
    json_t *arr = json_array();
    int64_t next = 0;
    bool first = true;
    int rc, err;

    if (!arr || json_object_set_new(o, "hourly", arr) != 0) {
        return ERR_NOMEM;
    }
    err = prepare_id(store, sql, id, &st, "event hourly");
    if (err) {
        return err;
    }
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        int64_t hour = yq_stmt_column_int64(st, 0);
        int64_t n = yq_stmt_column_int64(st, 1);
        if (first) {
            next = hour;
            first = false;
        }
        for (; next <= hour; next++) { /* at most EVENT_READ_HOURS rows in all */
            char buf[40];
            /* hour is Shanghai wall-clock: back to UTC for the formatter */
            event_read_format_time(next * 3600 - YQ_SHANGHAI_OFFSET_S, buf, sizeof(buf));
            if (json_array_append_new(arr, json_pack("{s:s, s:I}", "hour", buf, "count",
                                                     (json_int_t)(next == hour ? n : 0))) != 0) {
                yq_stmt_finalize(st);
                return ERR_NOMEM;
            }
        }
    }
    return loop_done(store, st, rc, "event hourly");
}

/* "platforms": items per source kind, most first. */
static int add_platforms(struct ticket_store *store, int64_t id, json_t *o)
{
    static const char sql[] = "SELECT source, count(*) AS n FROM event_items WHERE event_id = ?1 "
                              "GROUP BY source ORDER BY n DESC, source";
    struct yq_stmt *st = NULL;
    json_t *arr = json_array();
    int rc, err;

    if (!arr || json_object_set_new(o, "platforms", arr) != 0) {
        return ERR_NOMEM;
    }
    err = prepare_id(store, sql, id, &st, "event platforms");
    if (err) {
        return err;
    }
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        const char *source = yq_stmt_column_text(st, 0);
        if (json_array_append_new(arr,
                                  json_pack("{s:o, s:o, s:I}", "source", str(source), "label",
                                            str(yq_label(YQ_LABEL_SOURCE_KIND, source)), "count",
                                            (json_int_t)yq_stmt_column_int64(st, 1))) != 0) {
            yq_stmt_finalize(st);
            return ERR_NOMEM;
        }
    }
    return loop_done(store, st, rc, "event platforms");
}

/* "accounts": the top authors (with their source kind) by items, then heat. */
static int add_accounts(struct ticket_store *store, int64_t id, json_t *o)
{
    static const char sql[] =
        "SELECT author, source, count(*) AS n, sum(heat) AS h FROM event_items "
        "WHERE event_id = ?1 AND author != '' GROUP BY author, source "
        "ORDER BY n DESC, h DESC, author, source LIMIT " SQL_NUM(EVENT_READ_MAX_ACCOUNTS);
    struct yq_stmt *st = NULL;
    json_t *arr = json_array();
    int rc, err;

    if (!arr || json_object_set_new(o, "accounts", arr) != 0) {
        return ERR_NOMEM;
    }
    err = prepare_id(store, sql, id, &st, "event accounts");
    if (err) {
        return err;
    }
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        if (json_array_append_new(arr, json_pack("{s:o, s:o, s:I, s:I}", "author", col_str(st, 0),
                                                 "source", col_str(st, 1), "count",
                                                 (json_int_t)yq_stmt_column_int64(st, 2), "heat",
                                                 (json_int_t)yq_stmt_column_int64(st, 3))) != 0) {
            yq_stmt_finalize(st);
            return ERR_NOMEM;
        }
    }
    return loop_done(store, st, rc, "event accounts");
}

/* "sentiment_counts": items per sentiment ('' counts as unknown). */
static int add_sentiment(struct ticket_store *store, int64_t id, json_t *o)
{
    static const char sql[] = "SELECT sentiment, count(*) FROM event_items WHERE event_id = ?1 "
                              "GROUP BY sentiment";
    struct yq_stmt *st = NULL;
    json_t *c =
        json_pack("{s:i, s:i, s:i, s:i}", "negative", 0, "neutral", 0, "positive", 0, "unknown", 0);
    int rc, err;

    if (!c || json_object_set_new(o, "sentiment_counts", c) != 0) {
        return ERR_NOMEM;
    }
    err = prepare_id(store, sql, id, &st, "event sentiment");
    if (err) {
        return err;
    }
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        const char *s = yq_stmt_column_text(st, 0);
        if (json_object_set_new(c, s && s[0] ? s : "unknown",
                                json_integer(yq_stmt_column_int64(st, 1))) != 0) {
            yq_stmt_finalize(st);
            return ERR_NOMEM;
        }
    }
    return loop_done(store, st, rc, "event sentiment");
}

/* A 重新提醒 note of event_intake.c ("item_count 30 >= 30", ...) in Chinese into d. */
static void resurfaced_text(const char *note, char *d, size_t len)
{
    long long a = 0, b = 0;

    if (sscanf(note, "item_count %lld >= %lld", &a, &b) == 2) {
        snprintf(d, len, "%s（%lld 条，阈值 %lld 条）",
                 yq_label(YQ_LABEL_RESURFACE_REASON, "items"), a, b);
    } else if (sscanf(note, "heat %lld >= %lld", &a, &b) == 2) {
        snprintf(d, len, "%s（热度 %lld，阈值 %lld）", yq_label(YQ_LABEL_RESURFACE_REASON, "heat"),
                 a, b);
    } else if (sscanf(note, "new item after %lld s quiet >= %lld s", &a, &b) == 2) {
        snprintf(d, len, "%s（沉寂 %lld 秒，阈值 %lld 秒）",
                 yq_label(YQ_LABEL_RESURFACE_REASON, "quiet"), a, b);
    } else {
        snprintf(d, len, "%s", note);
    }
}

const char *event_read_log_detail(const char *action, const char *note, char *d, size_t len)
{
    char v1[600], v2[600];
    long long items = 0, heat = 0, quiet_s = 0;
    enum yq_level lv, lv2;
    int n = 0;

    action = action ? action : "";
    note = note ? note : "";
    d[0] = '\0';
    if (strcmp(action, "created") == 0 && ticket_api_note_value(note, "level", v1, sizeof(v1))[0]) {
        ticket_api_created_text(note, d, len);
    } else if (strcmp(action, "created") == 0 &&
               strncmp(note, "event of an existing ticket", 27) == 0) {
        snprintf(d, len, "由已有交办单生成"); /* an older notifier's ticket */
    } else if (strcmp(action, "dismiss") == 0) {
        /* "code" or "code：note" (event_flow.c) */
        const char *rest = strstr(note, "：");
        snprintf(v1, sizeof(v1), "%.*s", (int)(rest ? (size_t)(rest - note) : strlen(note)), note);
        snprintf(d, len, "原因 %s%s%s", yq_label(YQ_LABEL_DISMISS_REASON, v1), rest ? "；" : "",
                 rest ? rest + strlen("：") : "");
    } else if (strcmp(action, "watch") == 0 && sscanf(note, "items=%lld heat=%lld quiet_s=%lld%n",
                                                      &items, &heat, &quiet_s, &n) == 3) {
        /* "items=N heat=N quiet_s=N" then "；note" (event_flow.c); 0 is no threshold */
        snprintf(d, len, "重新研判条件：");
        if (items > 0) {
            snprintf(d + strlen(d), len - strlen(d), "信息达 %lld 条 ", items);
        }
        if (heat > 0) {
            snprintf(d + strlen(d), len - strlen(d), "热度达 %lld ", heat);
        }
        if (quiet_s > 0) {
            snprintf(d + strlen(d), len - strlen(d), "沉寂 %lld 秒后有新信息 ", quiet_s);
        }
        if (items <= 0 && heat <= 0 && quiet_s <= 0) {
            snprintf(d + strlen(d), len - strlen(d), "有新信息 ");
        }
        d[strlen(d) - 1] = '\0';
        snprintf(d + strlen(d), len - strlen(d), "%s", note + n);
    } else if (strcmp(action, "resurfaced") == 0) {
        resurfaced_text(note, d, len);
    } else if (strcmp(action, "level_raised") == 0 &&
               sscanf(note, "level %15s -> %15s", v1, v2) == 2 && yq_level_parse(v1, &lv) == 0 &&
               yq_level_parse(v2, &lv2) == 0) {
        snprintf(d, len, "级别由 %s %s 升为 %s %s", v1, yq_level_label(lv), v2,
                 yq_level_label(lv2));
    } else if (strcmp(action, "auto_assigned") == 0 &&
               sscanf(note, "desk policy: level %15[^;]; ticket %500s", v1, v2) == 2 &&
               yq_level_parse(v1, &lv) == 0) {
        snprintf(d, len, "按研判策略自动交办 %s（级别 %s %s）", v2, v1, yq_level_label(lv));
    } else {
        /* 交办, 确认交办, 并入, 研判超时, 突增 and a 突增 event's 发现 (its title): in Chinese */
        snprintf(d, len, "%s", note);
    }
    return d;
}

json_t *event_read_log_text(const char *actor, const char *action, const char *note)
{
    char d[EVENT_FLOW_NOTE_MAX_BYTES + 600];

    return ticket_api_log_line(actor, yq_label(YQ_LABEL_EVENT_ACTION, action),
                               event_read_log_detail(action, note, d, sizeof(d)));
}

/* "log": the event's event_log, oldest first (bounded). */
static int add_log(struct ticket_store *store, int64_t id, json_t *o)
{
    static const char sql[] =
        "SELECT at, actor, actor_role, action, from_state, to_state, note "
        "FROM event_log WHERE event_id = ?1 ORDER BY id LIMIT " SQL_NUM(EVENT_READ_MAX_LOG);
    struct yq_stmt *st = NULL;
    json_t *arr = json_array();
    int rc, err;

    if (!arr || json_object_set_new(o, "log", arr) != 0) {
        return ERR_NOMEM;
    }
    err = prepare_id(store, sql, id, &st, "event log");
    if (err) {
        return err;
    }
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        const char *action = yq_stmt_column_text(st, 3);
        if (json_array_append_new(
                arr, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "at",
                               col_time(st, 0), "actor", col_str(st, 1), "actor_role",
                               col_str(st, 2), "action", col_str(st, 3), "action_label",
                               str(yq_label(YQ_LABEL_EVENT_ACTION, action)), "from_state",
                               col_str(st, 4), "to_state", col_str(st, 5), "note", col_str(st, 6),
                               "text",
                               event_read_log_text(yq_stmt_column_text(st, 1), action,
                                                   yq_stmt_column_text(st, 6)))) != 0) {
            yq_stmt_finalize(st);
            return ERR_NOMEM;
        }
    }
    return loop_done(store, st, rc, "event log");
}

/* "merged": the events merged into this one. */
static int add_merged(struct ticket_store *store, int64_t id, json_t *o)
{
    static const char sql[] = "SELECT id, title, item_count FROM events WHERE merged_into = ?1 "
                              "ORDER BY id LIMIT " SQL_NUM(EVENT_READ_MAX_MERGED);
    struct yq_stmt *st = NULL;
    json_t *arr = json_array();
    int rc, err;

    if (!arr || json_object_set_new(o, "merged", arr) != 0) {
        return ERR_NOMEM;
    }
    err = prepare_id(store, sql, id, &st, "event merged");
    if (err) {
        return err;
    }
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        if (json_array_append_new(arr, json_pack("{s:I, s:o, s:I}", "id",
                                                 (json_int_t)yq_stmt_column_int64(st, 0), "title",
                                                 col_str(st, 1), "item_count",
                                                 (json_int_t)yq_stmt_column_int64(st, 2))) != 0) {
            yq_stmt_finalize(st);
            return ERR_NOMEM;
        }
    }
    return loop_done(store, st, rc, "event merged");
}

/* "ticket": the event's ticket from ticket_api_detail() (its JSON, no second copy), or null. */
static int add_ticket(struct ticket_store *store, const char *number, json_t *o)
{
    static const char *const keys[] = {"number",  "state",      "state_label",
                                       "level",   "department", "co_departments",
                                       "version", "clocks",     "log"};
    json_t *full = NULL, *t;
    int err;

    if (!number) {
        return json_object_set_new(o, "ticket", json_null()) ? ERR_NOMEM : 0;
    }
    err = ticket_api_detail(store, number, &full);
    if (err) {
        return err;
    }
    t = json_object();
    for (size_t i = 0; t && i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(full, keys[i]);
        if (v && json_object_set(t, keys[i], v) != 0) {
            json_decref(t);
            t = NULL;
        }
    }
    json_decref(full);
    if (!t || json_object_set_new(o, "ticket", t) != 0) {
        return ERR_NOMEM;
    }
    return 0;
}

int event_read_detail(struct ticket_store *store, int64_t id, int64_t now, json_t **out)
{
    struct yq_stmt *st = NULL;
    char *number = NULL;
    json_t *o = NULL;
    int rc, err;

    *out = NULL;
    err = read_begin(store);
    if (err) {
        return err;
    }
    err = prepare_id(store, "SELECT " EVENT_COLUMNS EVENT_FROM " WHERE e.id = ?1", id, &st,
                     "event get");
    if (err) {
        goto done;
    }
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        o = read_event(st, now);
        err = o ? 0 : ERR_NOMEM;
        if (!err && yq_stmt_column_type(st, 19) != YQ_DB_NULL) {
            number = strdup(yq_stmt_column_text(st, 19));
            err = number ? 0 : ERR_NOMEM;
        }
    } else {
        err = rc == YQ_DB_DONE ? ERR_NOT_FOUND : ticket_store_fail(store, rc, "event get");
    }
    yq_stmt_finalize(st);
    if (!err) {
        err = add_items(store, id, o);
    }
    if (!err) {
        err = add_hourly(store, id, o);
    }
    if (!err) {
        err = add_platforms(store, id, o);
    }
    if (!err) {
        err = add_accounts(store, id, o);
    }
    if (!err) {
        err = add_sentiment(store, id, o);
    }
    if (!err) {
        /* filled by the caller outside the store lock (event_read_texts(), event_words.h) */
        err = json_object_set_new(o, "hot_words", json_array()) ? ERR_NOMEM : 0;
    }
    if (!err) {
        err = add_log(store, id, o);
    }
    if (!err) {
        err = add_merged(store, id, o);
    }
    if (!err) {
        err = add_ticket(store, number, o);
    }
done:
    read_end(store);
    free(number);
    if (err) {
        json_decref(o);
        return err;
    }
    *out = o;
    return 0;
}

/* ------------------------------------------------------------- small */

/* One integer from sql with ?1 = id (when has_id), or *out = dflt without a row. */
static int one_int(struct ticket_store *store, const char *sql, bool has_id, int64_t id,
                   int64_t dflt, int64_t *out, const char *what)
{
    struct yq_stmt *st = NULL;
    int err = has_id ? prepare_id(store, sql, id, &st, what)
                     : ticket_store_prepare(store, sql, &st, what);
    int rc;

    *out = dflt;
    if (err) {
        return err;
    }
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        *out = yq_stmt_column_int64(st, 0);
        err = 0;
    } else {
        err = rc == YQ_DB_DONE ? ERR_NOT_FOUND : ticket_store_fail(store, rc, what);
    }
    yq_stmt_finalize(st);
    return err;
}

int event_read_ticket_id(struct ticket_store *store, const char *number, int64_t *out)
{
    struct yq_stmt *st = NULL;
    int err =
        ticket_store_prepare(store, "SELECT id FROM tickets WHERE number = ?1", &st, "ticket id");
    int rc;

    *out = 0;
    if (err) {
        return err;
    }
    rc = yq_stmt_bind_text(st, 1, number ? number : "");
    if (rc == YQ_DB_OK) {
        rc = yq_stmt_step(st);
    }
    if (rc == YQ_DB_ROW) {
        *out = yq_stmt_column_int64(st, 0);
        err = 0;
    } else {
        err = rc == YQ_DB_DONE ? ERR_NOT_FOUND : ticket_store_fail(store, rc, "ticket id");
    }
    yq_stmt_finalize(st);
    return err;
}

int event_read_change_marker(struct ticket_store *store, int64_t *out)
{
    return one_int(store,
                   "SELECT (SELECT coalesce(max(id), 0) FROM ticket_log) + "
                   "(SELECT coalesce(max(id), 0) FROM event_log)",
                   false, 0, 0, out, "change marker");
}

int event_read_state(struct ticket_store *store, int64_t id, char *state, size_t len, char *level,
                     int64_t *version)
{
    struct yq_stmt *st = NULL;
    int err = prepare_id(store, "SELECT state, version, level FROM events WHERE id = ?1", id, &st,
                         "event state");
    int rc;

    if (err) {
        return err;
    }
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        snprintf(state, len, "%s", yq_stmt_column_text(st, 0));
        *version = yq_stmt_column_int64(st, 1);
        snprintf(level, 4, "%.3s", yq_stmt_column_text(st, 2));
        err = 0;
    } else {
        err = rc == YQ_DB_DONE ? ERR_NOT_FOUND : ticket_store_fail(store, rc, "event state");
    }
    yq_stmt_finalize(st);
    return err;
}

int event_read_texts(struct ticket_store *store, int64_t id, size_t max, char ***texts_out,
                     size_t *n_out)
{
    struct yq_stmt *st = NULL;
    char **v = NULL;
    size_t n = 0;
    int rc = YQ_DB_DONE, err;

    *texts_out = NULL;
    *n_out = 0;
    if (max > EVENT_READ_MAX_WORD_TEXTS) {
        max = EVENT_READ_MAX_WORD_TEXTS;
    }
    if (max == 0) {
        return 0;
    }
    v = calloc(max, sizeof(*v));
    if (!v) {
        return ERR_NOMEM;
    }
    err = prepare_id(store,
                     "SELECT title || '\n' || excerpt FROM event_items WHERE event_id = ?1 "
                     "ORDER BY matched_at DESC, id DESC LIMIT ?2",
                     id, &st, "event texts");
    if (!err && yq_stmt_bind_int64(st, 2, (int64_t)max) != YQ_DB_OK) {
        err = ticket_store_fail(store, YQ_DB_ERROR, "event texts");
    }
    while (!err && n < max && (rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        const char *t = yq_stmt_column_text(st, 0);
        v[n] = strdup(t ? t : "");
        if (!v[n]) {
            err = ERR_NOMEM;
        } else {
            n++;
        }
    }
    if (!err && rc != YQ_DB_DONE && rc != YQ_DB_ROW) {
        err = ticket_store_fail(store, rc, "event texts");
    }
    yq_stmt_finalize(st);
    if (err) {
        event_read_texts_release(v, n);
        return err;
    }
    *texts_out = v;
    *n_out = n;
    return 0;
}

void event_read_texts_release(char **texts, size_t n)
{
    for (size_t i = 0; texts && i < n; i++) {
        free(texts[i]);
    }
    free(texts);
}
