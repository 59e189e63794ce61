/* The sources' blind windows and their administrator notices (source_blind.h, issue #15). */
#include "source_blind.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "outbox.h"
#include "ticket_store_int.h"
#include "yq_buf.h"
#include "yq_err.h"
#include "yq_labels.h"
#include "yq_log.h"
#include "yq_text.h"
#include "yq_time.h"
#include "yq_banned.h"

/* The longest notice text (bytes): the event's texts are each at most 1 KiB. */
#define NOTICE_MAX_BYTES (16 * 1024)

/* Append to the notice under construction unless an earlier append failed. */
#define PUT(...) (err = yq_buf_addf_chain(err, &b, __VA_ARGS__))

/* A duration in words: "3 天 2 小时", "5 小时 20 分钟", "12 分钟" (minutes rounded down). */
static const char *dur_words(int64_t s, char *buf, size_t len)
{
    int64_t m = s > 0 ? s / 60 : 0;

    if (m >= 24 * 60) {
        snprintf(buf, len, "%lld 天 %lld 小时", (long long)(m / (24 * 60)),
                 (long long)(m % (24 * 60) / 60));
    } else if (m >= 60) {
        snprintf(buf, len, "%lld 小时 %lld 分钟", (long long)(m / 60), (long long)(m % 60));
    } else {
        snprintf(buf, len, "%lld 分钟", (long long)m);
    }
    return buf;
}

/* what: "open", "close" or "past". Subject and body new (free()); 0, ERR_TOO_BIG, ERR_NOMEM. */
static int compose_notice(const struct yq_source_event *ev, const char *what, const char *link_base,
                          char **subject, char **body)
{
    const char *name = ev->source_name && ev->source_name[0] ? ev->source_name : ev->source_id;
    const char *label = yq_label(YQ_LABEL_BLIND_REASON, yq_blind_reason_name(ev->reason));
    const size_t rlen = strlen(YQ_SOURCE_EVENT_RETIRED);
    /* a close because the source is no longer polled (disabled, removed): not a recovery */
    bool retired = strcmp(what, "open") != 0 && ev->detail &&
                   strncmp(ev->detail, YQ_SOURCE_EVENT_RETIRED, rlen) == 0;
    const char *detail = retired ? ev->detail + rlen : ev->detail;
    char t1[32], t2[32], d[48];
    struct yq_buf b;
    int err = 0;

    *subject = NULL;
    *body = NULL;
    if (asprintf(subject,
                 retired                       ? "【信息源停用】%s 停止采集（%s 盲区结束）"
                 : strcmp(what, "close") == 0 ? "【信息源恢复】%s 恢复采集（%s）"
                                              : "【信息源告警】%s 监测盲区（%s）",
                 name, label) < 0) {
        *subject = NULL;
        return ERR_NOMEM;
    }
    yq_buf_init(&b, NOTICE_MAX_BYTES);
    yq_time_format_shanghai(ev->started_at, t1, sizeof(t1));
    if (strcmp(what, "open") == 0) {
        PUT("信息源告警：%s 监测盲区（%s），自 %s（北京时间）起。\n", name, label, t1);
    } else {
        yq_time_format_shanghai(ev->ended_at, t2, sizeof(t2));
        PUT("%s：%s 监测盲区（%s）%s 至 %s（北京时间），共 %s%s\n",
            retired                       ? "信息源停用"
            : strcmp(what, "close") == 0 ? "信息源恢复"
                                         : "信息源告警",
            name, label, t1, t2, dur_words(ev->ended_at - ev->started_at, d, sizeof(d)),
            retired                       ? "，该信息源已停止采集，不再监测。"
            : strcmp(what, "close") == 0 ? "，现已恢复采集。"
                                         : "，期间未采集到信息，现已恢复。");
    }
    PUT("信息源编号：%s", ev->source_id);
    if (ev->source_kind && ev->source_kind[0]) {
        PUT("（%s）", yq_label(YQ_LABEL_SOURCE_KIND, ev->source_kind));
    }
    if (ev->department && ev->department[0]) {
        PUT("，所属单位：%s", ev->department);
    }
    PUT("%s", "\n");
    if (detail && detail[0]) {
        PUT("详情：%s\n", detail);
    }
    if (strcmp(what, "close") != 0 && ev->renew && ev->renew[0]) {
        PUT("需要更新：%s\n", ev->renew);
    }
    if (strcmp(what, "open") == 0) {
        PUT("%s", "盲区期间该信息源的舆情不会被发现。每个盲区只告警一次，恢复采集时另行通知。\n");
    }
    if (link_base && link_base[0]) {
        PUT("信息源状态：%s/sources\n", link_base);
    }
    if (!err) {
        *body = yq_buf_steal(&b, NULL);
        err = *body ? 0 : ERR_NOMEM;
    }
    yq_buf_release(&b);
    if (err) {
        free(*subject);
        *subject = NULL;
        err = err == ERR_NOMEM ? ERR_NOMEM : ERR_TOO_BIG;
    }
    return err;
}

/*
 * Inside the open transaction: the notice what ("open", "close", "past") about window id, one
 * row per distinct administrator channel; logged only when none is configured.
 */
static int insert_notices(struct ticket_store *store, const struct yq_source_event *ev,
                          int64_t window_id, const char *what, int64_t now, int *inserted)
{
    const struct ticket_policy *pol = ticket_store_policy_or_default(store);
    const struct notify_routes *routes = pol->routes;
    const char *kind = strcmp(what, "close") == 0 ? "source_recovered" : "source_blind";
    char *subject = NULL, *body = NULL;
    int err;

    err = compose_notice(ev, what, pol->link_base, &subject, &body);
    if (err) {
        return err;
    }
    if (!routes || routes->n_administrator == 0) {
        LOG_WARN("source blind window %s (no administrator channel) source_id=%s reason=%s "
                 "window_id=%lld subject='%s'",
                 what, ev->source_id, yq_blind_reason_name(ev->reason), (long long)window_id,
                 subject);
    }
    if (!err) {
        char prefix[64];

        snprintf(prefix, sizeof(prefix), "blind:%lld:%s", (long long)window_id, what);
        err = outbox_enqueue_administrators(store, kind, prefix, NULL, false, subject, body, now,
                                            inserted);
    }
    free(subject);
    free(body);
    return err;
}

/*
 * Insert ev's window (closed when ev is a close) unless it exists. *id_out: the new row's id,
 * 0 when the window was already recorded.
 */
static int insert_window(struct ticket_store *store, const struct yq_source_event *ev, int64_t now,
                         int64_t *id_out)
{
    struct yq_stmt *st = NULL;
    int err;

    *id_out = 0;
    err = ticket_store_prepare(
        store,
        "INSERT INTO source_blind_windows (source_id, source_name, source_kind, department, "
        "reason, detail, renew, started_at, ended_at, opened_at, closed_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
        "ON CONFLICT (source_id, reason, started_at) DO NOTHING RETURNING id",
        &st, "blind window insert");
    if (err) {
        return err;
    }
    yq_stmt_bind_text(st, 1, ev->source_id);
    yq_stmt_bind_text(st, 2, ticket_store_nz(ev->source_name));
    yq_stmt_bind_text(st, 3, ticket_store_nz(ev->source_kind));
    yq_stmt_bind_text(st, 4, ticket_store_nz(ev->department));
    yq_stmt_bind_text(st, 5, yq_blind_reason_name(ev->reason));
    yq_stmt_bind_text(st, 6, ticket_store_nz(ev->detail));
    yq_stmt_bind_text(st, 7, ticket_store_nz(ev->renew));
    yq_stmt_bind_int64(st, 8, ev->started_at);
    if (ev->open) {
        yq_stmt_bind_null(st, 9);
        yq_stmt_bind_null(st, 11);
    } else {
        yq_stmt_bind_int64(st, 9, ev->ended_at);
        yq_stmt_bind_int64(st, 11, now);
    }
    yq_stmt_bind_int64(st, 10, now);
    {
        int64_t id = 0;
        err = ticket_store_step_id(store, st, "blind window insert", &id);
        if (!err && id > 0) {
            *id_out = id;
        }
    }
    return err;
}

/*
 * Whether (ev's source, ev's reason) already has an open window (any start). The collector
 * keeps one open window per reason; a second "open" while one is open is a redelivery of an
 * older window, a forged event or a tracker that lost its state: recorded as nothing new, so
 * at most one window per (source, reason) is ever open here.
 */
static int has_open_window(struct ticket_store *store, const struct yq_source_event *ev,
                           bool *out)
{
    struct yq_stmt *st = NULL;
    int rc, err;

    *out = false;
    err = ticket_store_prepare(store,
                               "SELECT 1 FROM source_blind_windows WHERE source_id = ?1 AND "
                               "reason = ?2 AND ended_at IS NULL LIMIT 1",
                               &st, "blind window open check");
    if (err) {
        return err;
    }
    yq_stmt_bind_text(st, 1, ev->source_id);
    yq_stmt_bind_text(st, 2, yq_blind_reason_name(ev->reason));
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        *out = true;
    } else if (rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "blind window open check");
    }
    yq_stmt_finalize(st);
    return err;
}

/* Close ev's open window. *id_out: its id, 0 when no open row of that name exists. */
static int close_window(struct ticket_store *store, const struct yq_source_event *ev, int64_t now,
                        int64_t *id_out)
{
    struct yq_stmt *st = NULL;
    int rc, err;

    *id_out = 0;
    err = ticket_store_prepare(
        store,
        "UPDATE source_blind_windows SET ended_at = ?1, closed_at = ?2, "
        "detail = CASE WHEN ?3 = '' THEN detail ELSE ?3 END, "
        "source_name = CASE WHEN ?4 = '' THEN source_name ELSE ?4 END "
        "WHERE source_id = ?5 AND reason = ?6 AND started_at = ?7 AND ended_at IS NULL "
        "RETURNING id",
        &st, "blind window close");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, ev->ended_at);
    yq_stmt_bind_int64(st, 2, now);
    yq_stmt_bind_text(st, 3, ticket_store_nz(ev->detail));
    yq_stmt_bind_text(st, 4, ticket_store_nz(ev->source_name));
    yq_stmt_bind_text(st, 5, ev->source_id);
    yq_stmt_bind_text(st, 6, yq_blind_reason_name(ev->reason));
    yq_stmt_bind_int64(st, 7, ev->started_at);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        *id_out = yq_stmt_column_int64(st, 0);
        rc = yq_stmt_step(st);
    }
    if (rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "blind window close");
    }
    yq_stmt_finalize(st);
    return err;
}

/*
 * *dst = src made one line of plain text for people by the project's one cleaning,
 * yq_text_printable() (common/yq_text.h): each control character (C0, DEL, C1 such as U+0085,
 * U+2028/U+2029), bidirectional control (U+202A..U+202E, U+2066..U+2069) and invalid byte
 * becomes U+FFFD, so an error text cannot break a notice's line or reorder its subject; the
 * result is cut to YQ_SOURCE_EVENT_TEXT_MAX bytes at a character boundary (NULL stays NULL).
 * Returns 0 or ERR_NOMEM.
 */
static int bounded(const char *src, char **dst)
{
    *dst = NULL;
    if (!src) {
        return 0;
    }
    *dst = malloc(YQ_SOURCE_EVENT_TEXT_MAX + 1);
    if (!*dst) {
        return ERR_NOMEM;
    }
    yq_text_printable(src, *dst, YQ_SOURCE_EVENT_TEXT_MAX + 1);
    return 0;
}

/* Record ev, its texts already bounded. */
static int record_bounded(struct ticket_store *store, const struct yq_source_event *ev, int64_t now,
                          enum source_blind_outcome *outcome_out, int *n_notices_out);

int source_blind_record(struct ticket_store *store, const struct yq_source_event *ev, int64_t now,
                        enum source_blind_outcome *outcome_out, int *n_notices_out)
{
    struct yq_source_event b = *ev;
    int err;

    if (outcome_out) {
        *outcome_out = SOURCE_BLIND_UNCHANGED;
    }
    if (n_notices_out) {
        *n_notices_out = 0;
    }
    if (!ev->source_id || !ev->source_id[0] || (unsigned)ev->reason >= YQ_BLIND_REASON_COUNT ||
        (!ev->open && ev->ended_at < ev->started_at) ||
        ev->started_at < YQ_SOURCE_EVENT_MIN_TIME) {
        return ERR_INVALID;
    }
    b.source_id = b.source_name = b.source_kind = b.department = b.detail = b.renew = NULL;
    err = bounded(ev->source_id, &b.source_id);
    err = err ? err : bounded(ev->source_name, &b.source_name);
    err = err ? err : bounded(ev->source_kind, &b.source_kind);
    err = err ? err : bounded(ev->department, &b.department);
    err = err ? err : bounded(ev->detail, &b.detail);
    err = err ? err : bounded(ev->renew, &b.renew);
    if (!err) {
        err = record_bounded(store, &b, now, outcome_out, n_notices_out);
    }
    yq_source_event_release(&b);
    return err;
}

static int record_bounded(struct ticket_store *store, const struct yq_source_event *ev, int64_t now,
                          enum source_blind_outcome *outcome_out, int *n_notices_out)
{
    enum source_blind_outcome outcome = SOURCE_BLIND_UNCHANGED;
    int64_t id = 0;
    int err, inserted = 0;

    bool already_open = false;

    err = ticket_store_begin(store, "source event");
    if (!err && ev->open) {
        err = has_open_window(store, ev, &already_open);
    }
    if (!err && ev->open && already_open) {
        LOG_INFO("blind window open ignored: one is open already source_id=%s reason=%s",
                 ev->source_id, yq_blind_reason_name(ev->reason));
    } else if (!err && ev->open) {
        err = insert_window(store, ev, now, &id);
        if (!err && id) {
            outcome = SOURCE_BLIND_OPENED;
            err = insert_notices(store, ev, id, "open", now, &inserted);
        }
    } else if (!err) {
        err = close_window(store, ev, now, &id);
        if (!err && id) {
            outcome = SOURCE_BLIND_CLOSED;
            err = insert_notices(store, ev, id, "close", now, &inserted);
        } else if (!err) {
            err = insert_window(store, ev, now, &id);
            if (!err && id) {
                outcome = SOURCE_BLIND_PAST;
                err = insert_notices(store, ev, id, "past", now, &inserted);
            }
        }
    }
    if (!err) {
        err = ticket_store_exec(store, "COMMIT", "source event commit");
    }
    ticket_store_rollback(store); /* no-op after COMMIT */
    if (!err) {
        if (outcome_out) {
            *outcome_out = outcome;
        }
        if (n_notices_out) {
            *n_notices_out = inserted;
        }
    }
    return err;
}

#define WCOL(i, type, field) TICKET_STORE_COL(struct source_blind_row, i, type, field)

static const struct ticket_store_col window_cols[] = {
    WCOL(0, INT, id),           WCOL(1, TEXT, source_id),  WCOL(2, TEXT, source_name),
    WCOL(3, TEXT, source_kind), WCOL(4, TEXT, department), WCOL(5, TEXT, reason),
    WCOL(6, TEXT, detail),      WCOL(7, TEXT, renew),      WCOL(8, INT, started_at),
    WCOL(9, INT, ended_at),     WCOL(10, INT, opened_at),  WCOL(11, INT, closed_at),
};
TICKET_STORE_ROWS(window_rows, struct source_blind_row, window_cols, struct source_blind_list,
                  source_blind_list_release);

int source_blind_list(struct ticket_store *store, const char *source_id, int64_t since,
                      int64_t until, size_t max, struct source_blind_list *out)
{
    struct yq_stmt *st = NULL;
    int err;

    memset(out, 0, sizeof(*out));
    if (until < since) {
        return ERR_INVALID;
    }
    if (max > SOURCE_BLIND_LIST_MAX) {
        max = SOURCE_BLIND_LIST_MAX;
    }
    err = ticket_store_prepare(
        store,
        "SELECT id, source_id, source_name, source_kind, department, reason, detail, renew, "
        "started_at, ended_at, opened_at, closed_at FROM source_blind_windows "
        "WHERE started_at < ?2 AND (ended_at IS NULL OR ended_at > ?1) "
        "AND (?3 = '' OR source_id = ?3) ORDER BY started_at DESC, id DESC LIMIT ?4",
        &st, "blind window list");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, since);
    yq_stmt_bind_int64(st, 2, since == until ? until + 1 : until);
    yq_stmt_bind_text(st, 3, ticket_store_nz(source_id));
    yq_stmt_bind_int64(st, 4, (int64_t)max);
    err = ticket_store_collect_rows(store, st, "blind window list", max, &window_rows,
                                    (void **)&out->v, &out->n);
    if (err) {
        source_blind_list_release(out);
    }
    return err;
}

/* Set key to t as RFC 3339 UTC; null when absent (!present). */
static int set_time(json_t *o, const char *key, bool present, int64_t t, bool display)
{
    char buf[40];

    if (!present) {
        return json_object_set_new(o, key, json_null());
    }
    return json_object_set_new(o, key,
                               json_string(display ? yq_time_format_shanghai(t, buf, sizeof(buf))
                                                   : yq_time_format_utc(t, buf, sizeof(buf))));
}

json_t *source_blind_row_json(const struct source_blind_row *w, int64_t now)
{
    int64_t end = w->ended_at ? w->ended_at : now;
    json_t *o =
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I}", "id",
                  (json_int_t)w->id, "source_id", w->source_id, "source_name", w->source_name,
                  "source_kind", w->source_kind, "department", w->department, "reason", w->reason,
                  "reason_label", yq_label(YQ_LABEL_BLIND_REASON, w->reason), "detail", w->detail,
                  "renew", w->renew, "open", w->ended_at == 0, "duration_s",
                  (json_int_t)(end > w->started_at ? end - w->started_at : 0));
    int rc;

    if (!o) {
        return NULL;
    }
    /* started_at is NOT NULL in the table: always a time, even epoch 0 of an old row */
    rc = set_time(o, "started_at", true, w->started_at, false);
    rc |= set_time(o, "ended_at", w->ended_at != 0, w->ended_at, false);
    rc |= set_time(o, "started_at_display", true, w->started_at, true);
    rc |= set_time(o, "ended_at_display", w->ended_at != 0, w->ended_at, true);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}
