#include "outbox.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "notify_cfg.h"
#include "ticket_store_int.h"
#include "yq_buf.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_labels.h"
#include "yq_text.h"
#include "yq_time.h"
#include "yq_banned.h"

#define MAX_TARGETS 64

/* The subject word of a notification kind (【交办】 ...): yq_labels' table; "通知" if unknown. */
static const char *kind_label(const char *kind)
{
    const char *label = yq_label(YQ_LABEL_NOTIFY_KIND, kind);

    return label[0] && strcmp(label, kind) != 0 ? label : "通知";
}

struct target {
    const char *channel; /* borrowed from the routes */
    const char *role;
};

static void add_targets(struct target *t, size_t *n, char **names, size_t n_names, const char *role)
{
    for (size_t i = 0; i < n_names; i++) {
        bool seen = false;
        for (size_t j = 0; j < *n; j++) {
            if (strcmp(t[j].channel, names[i]) == 0) {
                seen = true;
            }
        }
        if (!seen && *n < MAX_TARGETS) {
            t[*n].channel = names[i];
            t[*n].role = role;
            (*n)++;
        }
    }
}

/* The first item's excerpt (or title) of ticket_id; new string or NULL. */
static char *first_excerpt(struct ticket_store *store, int64_t ticket_id)
{
    struct ticket_item_list items;
    char *s = NULL;
    if (ticket_store_list_items(store, ticket_id, 1, &items) == 0 && items.n > 0) {
        s = strdup(items.v[0].excerpt[0] ? items.v[0].excerpt : items.v[0].title);
    }
    ticket_item_list_release(&items);
    return s;
}

/* Append to the message under construction unless an earlier append failed (err keeps it). */
#define PUT(...) (err = yq_buf_addf_chain(err, &b, __VA_ARGS__))

/*
 * The end of composing a message: on success *body = b's text (new), else *subject is freed
 * too. b is released either way. Returns err, or ERR_NOMEM.
 */
static int compose_end(struct yq_buf *b, int err, char **subject, char **body)
{
    if (!err) {
        *body = yq_buf_steal(b, NULL);
        err = *body ? 0 : ERR_NOMEM;
    }
    yq_buf_release(b);
    if (err) {
        free(*subject);
        *subject = NULL;
    }
    return err;
}

static int put_time(struct yq_buf *out, const char *label, int64_t t)
{
    char when[32];
    if (t > 0) {
        return yq_buf_addf(out, "%s：%s（北京时间）\n", label,
                           yq_time_format_shanghai(t, when, sizeof(when)));
    }
    return 0;
}

/*
 * Append label, s as one line (yq_text_one_line(): feed text and names cannot add lines that
 * read as the message's own, e.g. a title holding "\n链接：http://evil") and end to b unless
 * err is set. Returns the new err.
 */
static int put_line(int err, struct yq_buf *b, const char *label, const char *s, const char *end)
{
    char *line = NULL;

    if (err) {
        return err;
    }
    if (yq_text_one_line(s, &line)) {
        return ERR_NOMEM;
    }
    err = yq_buf_addf(b, "%s%s%s", label, line, end);
    free(line);
    return err;
}

/* Compose subject and body; both new (free()). Returns 0, ERR_TOO_BIG or ERR_NOMEM. */
static int compose(struct ticket_store *store, const struct ticket *t, const char *kind,
                   const char *detail, const char *link, char **subject, char **body)
{
    char *excerpt = NULL, *dept = NULL;
    json_t *co = yq_json_column_array(t->co_departments, "co_departments");
    struct yq_buf b;
    int err = 0;

    *subject = NULL;
    *body = NULL;
    yq_buf_init(&b, OUTBOX_BODY_MAX_BYTES);
    if (yq_text_one_line(t->department, &dept) ||
        asprintf(subject, "【%s】%s %s %s %s", kind_label(kind), t->number, yq_level_name(t->level),
                 yq_level_label(t->level), dept[0] ? dept : "待分派") < 0) {
        *subject = NULL;
        free(dept);
        json_decref(co);
        return ERR_NOMEM;
    }
    excerpt = first_excerpt(store, t->id);
    /* number and link first: whatever a robot's length limit cuts, these stay (FC-029) */
    PUT("【%s】交办单 %s\n", kind_label(kind), t->number);
    if (link[0]) {
        PUT("链接：%s\n", link);
    }
    err = put_line(err, &b, "标题：", t->title, "\n");
    PUT("级别：%s %s　主办：%s", yq_level_name(t->level), yq_level_label(t->level),
        dept[0] ? dept : "待分派（值班室）");
    if (json_array_size(co) > 0) {
        size_t i;
        json_t *d;
        PUT("%s", "　协办：");
        json_array_foreach(co, i, d)
        {
            err = put_line(err, &b, i ? "、" : "", json_string_value(d), "");
        }
    }
    PUT("%s", "\n");
    if (detail && detail[0]) {
        err = put_line(err, &b, "说明：", detail, "\n");
    }
    /* a settled ticket's clocks have stopped: no deadline to meet */
    if (!ticket_state_settled(t->state)) {
        if (!err && t->state == TICKET_STATE_OPEN) {
            err = put_time(&b, "签收时限", t->ack_deadline);
        }
        if (!err && t->responded_at == 0) {
            err = put_time(&b, "回应时限", t->response_deadline);
        }
        if (!err && t->press_held_at == 0) {
            err = put_time(&b, "新闻发布会时限", t->press_deadline);
        }
        if (!err) {
            err = put_time(&b, "办结时限", t->close_deadline);
        }
    }
    if (excerpt && excerpt[0]) {
        err = put_line(err, &b, "摘要：", excerpt, "\n");
    }
    json_decref(co);
    free(excerpt);
    free(dept);
    return compose_end(&b, err, subject, body);
}

/* One row of the outbox as the enqueue paths write it (borrowed strings). */
struct outbox_row {
    const char *idem_key;
    int64_t ticket_id; /* <= 0: none (NULL) */
    int64_t log_id;    /* <= 0: none (NULL) */
    const char *kind;
    const char *channel;
    const char *role;
    bool urgent;
    const char *subject;
    const char *body;
    const char *link; /* "" when the message links nowhere */
};

/*
 * Insert r due at now unless its idem_key is queued already; *inserted (may be NULL) counts
 * a new row. what names the statement in errors. Returns 0, ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
static int insert_row(struct ticket_store *store, const struct outbox_row *r, int64_t now,
                      const char *what, int *inserted)
{
    struct yq_stmt *st = NULL;
    int err;

    err = ticket_store_prepare(store,
                               "INSERT INTO outbox (idem_key, ticket_id, log_id, kind, channel, "
                               "role, urgent, subject, body, link, next_attempt_at, created_at) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                               "ON CONFLICT (idem_key) DO NOTHING",
                               &st, what);
    if (err) {
        return err;
    }
    yq_stmt_bind_text(st, 1, r->idem_key);
    if (r->ticket_id > 0) {
        yq_stmt_bind_int64(st, 2, r->ticket_id);
    }
    if (r->log_id > 0) {
        yq_stmt_bind_int64(st, 3, r->log_id);
    }
    yq_stmt_bind_text(st, 4, r->kind);
    yq_stmt_bind_text(st, 5, r->channel);
    yq_stmt_bind_text(st, 6, r->role);
    yq_stmt_bind_int(st, 7, r->urgent ? 1 : 0);
    yq_stmt_bind_text(st, 8, r->subject);
    yq_stmt_bind_text(st, 9, r->body);
    yq_stmt_bind_text(st, 10, r->link);
    yq_stmt_bind_int64(st, 11, now);
    yq_stmt_bind_int64(st, 12, now);
    err = ticket_store_step_done(store, st, what);
    if (!err && inserted) {
        *inserted += yq_db_changes(store->db) > 0;
    }
    return err;
}

int outbox_enqueue(struct ticket_store *store, int64_t ticket_id, int64_t log_id, const char *kind,
                   unsigned recipients, bool urgent, const char *detail, int64_t now, int *n_out)
{
    const struct ticket_policy *pol = ticket_store_policy_or_default(store);
    const struct notify_routes *routes = pol->routes;
    struct target targets[MAX_TARGETS];
    char *subject = NULL, *body = NULL, *link = NULL;
    struct ticket t;
    size_t n = 0;
    int err, inserted = 0;

    if (n_out) {
        *n_out = 0;
    }
    if (!routes) {
        return 0;
    }
    err = ticket_store_get_by_id(store, ticket_id, &t);
    if (err) {
        return err;
    }
    if (recipients & (OUTBOX_TO_LIAISON | OUTBOX_TO_HEAD)) {
        const struct notify_department *d = notify_routes_department(routes, t.department);
        if (d && (recipients & OUTBOX_TO_LIAISON)) {
            add_targets(targets, &n, d->liaison, d->n_liaison, "liaison");
        }
        if (d && (recipients & OUTBOX_TO_HEAD)) {
            add_targets(targets, &n, d->head, d->n_head, "head");
        }
    }
    if (recipients & OUTBOX_TO_CO_LIAISON) {
        json_t *co = yq_json_column_array(t.co_departments, "co_departments");
        size_t i;
        json_t *name;
        json_array_foreach(co, i, name)
        {
            const struct notify_department *d =
                notify_routes_department(routes, json_string_value(name));
            if (d) {
                add_targets(targets, &n, d->liaison, d->n_liaison, "co_liaison");
            }
        }
        json_decref(co);
    }
    if (recipients & OUTBOX_TO_DUTY) {
        add_targets(targets, &n, routes->duty, routes->n_duty, "duty");
    }
    if (n == 0) {
        goto done;
    }
    if (asprintf(&link, "%s%s", ticket_store_nz(pol->link_base), t.number) < 0) {
        link = NULL;
        err = ERR_NOMEM;
        goto done;
    }
    err = compose(store, &t, kind, detail, link, &subject, &body);
    for (size_t i = 0; !err && i < n; i++) {
        char key[320];
        snprintf(key, sizeof(key), "t%lld:l%lld:%.256s", (long long)ticket_id, (long long)log_id,
                 targets[i].channel);
        err = insert_row(store,
                         &(struct outbox_row){key, ticket_id, log_id, kind, targets[i].channel,
                                              targets[i].role, urgent, subject, body, link},
                         now, "outbox insert", &inserted);
    }
done:
    if (n_out) {
        *n_out = inserted;
    }
    free(subject);
    free(body);
    free(link);
    ticket_release(&t);
    return err;
}

/* Subject and body about an event in the 研判 inbox; both new. 0, ERR_TOO_BIG or NOMEM. */
static int compose_event(struct yq_stmt *ev, const char *kind, int64_t deadline, char **subject,
                         char **body)
{
    const char *title = yq_stmt_column_text(ev, 1);
    const char *level = yq_stmt_column_text(ev, 2);
    const char *dept = yq_stmt_column_text(ev, 3);
    enum yq_level lv = YQ_LEVEL_IV;
    struct yq_buf b;
    int err = 0;

    *body = NULL;
    yq_level_parse(level ? level : "", &lv);
    yq_buf_init(&b, OUTBOX_BODY_MAX_BYTES);
    if (asprintf(subject, "【%s】事件 #%lld %s %s", kind_label(kind),
                 (long long)yq_stmt_column_int64(ev, 0), yq_level_name(lv),
                 yq_level_label(lv)) < 0) {
        *subject = NULL;
        return ERR_NOMEM;
    }
    PUT("【%s】待研判事件 #%lld 已过研判时限，请在值班台研判（交办、并入、持续关注或不予处置）。\n",
        kind_label(kind), (long long)yq_stmt_column_int64(ev, 0));
    err = put_line(err, &b, "标题：", title, "\n");
    PUT("级别：%s %s　", yq_level_name(lv), yq_level_label(lv));
    err = put_line(err, &b, "预判主办：", dept && dept[0] ? dept : "（未定）", "\n");
    PUT("信息：%lld 条　热度：%lld\n", (long long)yq_stmt_column_int64(ev, 4),
        (long long)yq_stmt_column_int64(ev, 5));
    if (!err) {
        err = put_time(&b, "发现时间", yq_stmt_column_int64(ev, 6));
    }
    if (!err) {
        err = put_time(&b, "研判时限", deadline);
    }
    PUT("%s", "研判不改变法定时限：回应时限自发现时起算。\n");
    return compose_end(&b, err, subject, body);
}

int outbox_enqueue_event(struct ticket_store *store, int64_t event_id, const char *kind,
                         int64_t deadline, int64_t now, int *n_out)
{
    const struct ticket_policy *pol = ticket_store_policy_or_default(store);
    const struct notify_routes *routes = pol->routes;
    struct target targets[MAX_TARGETS];
    char *subject = NULL, *body = NULL;
    struct yq_stmt *ev = NULL;
    int64_t ticket_id = 0;
    bool urgent;
    size_t n = 0;
    int rc, err, inserted = 0;

    if (n_out) {
        *n_out = 0;
    }
    err = ticket_store_prepare(store,
                               "SELECT id, title, level, department, item_count, heat, "
                               "detected_at, coalesce(ticket_id, 0) FROM events WHERE id = ?",
                               &ev, "event notification");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(ev, 1, event_id);
    rc = yq_stmt_step(ev);
    if (rc != YQ_DB_ROW) {
        err = rc == YQ_DB_DONE ? ERR_NOT_FOUND : ticket_store_fail(store, rc, "event notification");
        goto done;
    }
    if (!routes) {
        goto done;
    }
    add_targets(targets, &n, routes->duty, routes->n_duty, "duty");
    if (n == 0) {
        goto done;
    }
    ticket_id = yq_stmt_column_int64(ev, 7);
    {
        const char *lv = yq_stmt_column_text(ev, 2);
        urgent = lv && (strcmp(lv, "I") == 0 || strcmp(lv, "II") == 0);
    }
    err = compose_event(ev, kind, deadline, &subject, &body);
    for (size_t i = 0; !err && i < n; i++) {
        char key[320];
        snprintf(key, sizeof(key), "e%lld:j%lld:%.256s", (long long)event_id,
                 (long long)deadline, targets[i].channel);
        err = insert_row(store,
                         &(struct outbox_row){key, ticket_id, 0, kind, targets[i].channel,
                                              targets[i].role, urgent, subject, body, ""},
                         now, "outbox event insert", &inserted);
    }
done:
    yq_stmt_finalize(ev);
    if (n_out) {
        *n_out = inserted;
    }
    free(subject);
    free(body);
    return err;
}

static char *col_dup(struct yq_stmt *st, int i)
{
    const char *s = yq_stmt_column_text(st, i);
    return strdup(s ? s : "");
}

void outbox_batch_release(struct outbox_batch *batch)
{
    if (!batch) {
        return;
    }
    for (size_t i = 0; i < batch->n; i++) {
        struct outbox_msg *m = &batch->v[i];
        free(m->idem_key);
        free(m->kind);
        free(m->channel);
        free(m->role);
        free(m->subject);
        free(m->body);
        free(m->link);
    }
    free(batch->v);
    memset(batch, 0, sizeof(*batch));
}

/* The columns outbox_read() takes, in its order. */
#define OUTBOX_MSG_COLUMNS                                                                         \
    "id, idem_key, coalesce(ticket_id, 0), kind, channel, role, urgent, subject, body, link, "     \
    "attempts, shrink, next_attempt_at"

/*
 * Run sql (parameters bound by bind(st, arg)), which returns OUTBOX_MSG_COLUMNS rows, into
 * out (at most max). what names it in errors. Returns 0, ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
static int outbox_read(struct ticket_store *store, const char *sql,
                       void (*bind)(struct yq_stmt *st, const void *arg), const void *arg,
                       size_t max, const char *what, struct outbox_batch *out)
{
    struct yq_stmt *st = NULL;
    int rc, err;

    memset(out, 0, sizeof(*out));
    if (max == 0) {
        return 0;
    }
    out->v = calloc(max, sizeof(*out->v));
    if (!out->v) {
        return ERR_NOMEM;
    }
    err = ticket_store_prepare(store, sql, &st, what);
    if (err) {
        outbox_batch_release(out);
        return err;
    }
    bind(st, arg);
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW && out->n < max) {
        struct outbox_msg *m = &out->v[out->n++];
        m->id = yq_stmt_column_int64(st, 0);
        m->idem_key = col_dup(st, 1);
        m->ticket_id = yq_stmt_column_int64(st, 2);
        m->kind = col_dup(st, 3);
        m->channel = col_dup(st, 4);
        m->role = col_dup(st, 5);
        m->urgent = yq_stmt_column_int(st, 6) != 0;
        m->subject = col_dup(st, 7);
        m->body = col_dup(st, 8);
        m->link = col_dup(st, 9);
        m->attempts = yq_stmt_column_int64(st, 10);
        m->shrink = yq_stmt_column_int64(st, 11);
        m->next_attempt_at = yq_stmt_column_int64(st, 12);
        if (!m->idem_key || !m->kind || !m->channel || !m->role || !m->subject || !m->body ||
            !m->link) {
            err = ERR_NOMEM;
            break;
        }
    }
    if (!err && rc != YQ_DB_DONE && rc != YQ_DB_ROW) {
        err = ticket_store_fail(store, rc, what);
    }
    yq_stmt_finalize(st);
    if (err) {
        outbox_batch_release(out);
    }
    return err;
}

struct due_args {
    int64_t now, max;
};

static void bind_due(struct yq_stmt *st, const void *arg)
{
    const struct due_args *a = arg;
    yq_stmt_bind_int64(st, 1, a->now);
    yq_stmt_bind_int64(st, 2, a->max);
}

int outbox_due(struct ticket_store *store, int64_t now, size_t max, struct outbox_batch *out)
{
    return outbox_read(store,
                       "SELECT " OUTBOX_MSG_COLUMNS " FROM outbox "
                       "WHERE state = 'pending' AND next_attempt_at <= ? "
                       "ORDER BY next_attempt_at, id LIMIT ?",
                       bind_due, &(struct due_args){now, (int64_t)max}, max, "outbox due", out);
}

struct claim_args {
    const char *owner;
    int64_t now, until, max;
};

static void bind_claim(struct yq_stmt *st, const void *arg)
{
    const struct claim_args *a = arg;
    yq_stmt_bind_text(st, 1, a->owner);
    yq_stmt_bind_int64(st, 2, a->until);
    yq_stmt_bind_int64(st, 3, a->now);
    yq_stmt_bind_int64(st, 4, a->max);
}

/* Oldest due first, as outbox_due() (RETURNING has no order). */
static int msg_cmp(const void *a, const void *b)
{
    const struct outbox_msg *x = a, *y = b;
    if (x->next_attempt_at != y->next_attempt_at) {
        return x->next_attempt_at < y->next_attempt_at ? -1 : 1;
    }
    return x->id < y->id ? -1 : x->id > y->id;
}

int outbox_claim(struct ticket_store *store, const char *owner, int64_t now, int64_t lease_s,
                 size_t max, struct outbox_batch *out)
{
    int err;

    if (yq_db_backend(store->db) != YQ_DB_PG) {
        return outbox_due(store, now, max, out);
    }
    if (!owner || !owner[0] || lease_s <= 0) {
        memset(out, 0, sizeof(*out));
        return ERR_INVALID;
    }
    /* the marks below act only on rows this claimer still holds (review of #16) */
    snprintf(store->outbox_owner, sizeof(store->outbox_owner), "%s", owner);
    /*
     * One statement, so one short transaction: the row locks of FOR UPDATE SKIP LOCKED keep two
     * notifiers claiming at the same moment apart (each skips the rows the other is marking),
     * and the lease keeps them apart afterwards, until it runs out.
     */
    err = outbox_read(store,
                      "UPDATE outbox SET claimed_by = ?1, claimed_until = ?2 WHERE id IN ("
                      "SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?3 "
                      "AND (claimed_until IS NULL OR claimed_until <= ?3) "
                      "ORDER BY next_attempt_at, id LIMIT ?4 FOR UPDATE SKIP LOCKED) "
                      "RETURNING " OUTBOX_MSG_COLUMNS,
                      bind_claim, &(struct claim_args){owner, now, now + lease_s, (int64_t)max},
                      max, "outbox claim", out);
    if (!err && out->n > 1) {
        qsort(out->v, out->n, sizeof(*out->v), msg_cmp);
    }
    return err;
}

/* Run an UPDATE of one outbox row: ?1 = id, ?2 = a, ?3 = b, ?4 = text (unused ones ignored). */
static int update(struct ticket_store *store, const char *sql, int64_t id, int64_t a, int64_t b,
                  const char *text, const char *what)
{
    struct yq_stmt *st = NULL;
    int err = ticket_store_prepare(store, sql, &st, what);
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, id);
    yq_stmt_bind_int64(st, 2, a);
    yq_stmt_bind_int64(st, 3, b);
    yq_stmt_bind_text(st, 4, ticket_store_nz(text));
    (void)yq_stmt_bind_text(st, 5, store->outbox_owner); /* ?5 where the SQL has it */
    err = ticket_store_step_done(store, st, what);
    if (!err && yq_db_changes(store->db) == 0) {
        err = ERR_NOT_FOUND;
    }
    return err;
}

int outbox_mark_delivered(struct ticket_store *store, int64_t id, int64_t now)
{
    return update(store,
                  "UPDATE outbox SET state = 'delivered', delivered_at = ?2, "
                  "attempts = attempts + 1, last_error = ?4, claimed_by = NULL, "
                  "claimed_until = NULL "
                  "WHERE id = ?1 AND state = 'pending' AND (claimed_by IS NULL OR claimed_by = ?5)",
                  id, now, 0, "", "outbox delivered");
}

int outbox_mark_retry(struct ticket_store *store, int64_t id, int64_t next_at, bool counted,
                      int64_t shrink, const char *error)
{
    int err = update(store,
                     "UPDATE outbox SET next_attempt_at = ?2, shrink = ?3, "
                     "last_error = CASE WHEN ?4 = '' THEN last_error ELSE ?4 END, "
                     "claimed_by = NULL, claimed_until = NULL "
                     "WHERE id = ?1 AND state = 'pending' AND (claimed_by IS NULL OR claimed_by = ?5)",
                     id, next_at, shrink, error, "outbox retry");
    if (!err && counted) {
        err = update(store, "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?1", id, 0, 0, "",
                     "outbox attempt");
    }
    return err;
}

int outbox_mark_failed(struct ticket_store *store, int64_t id, const char *error)
{
    return update(store,
                  "UPDATE outbox SET state = 'failed', attempts = attempts + 1, "
                  "last_error = ?4, claimed_by = NULL, claimed_until = NULL "
                  "WHERE id = ?1 AND state = 'pending' AND (claimed_by IS NULL OR claimed_by = ?5)",
                  id, 0, 0, error, "outbox failed");
}

int outbox_unclaim(struct ticket_store *store, int64_t id)
{
    int err;

    if (yq_db_backend(store->db) != YQ_DB_PG) {
        return 0;
    }
    err = update(store,
                 "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL "
                 "WHERE id = ?1 AND claimed_by = ?5",
                 id, 0, 0, "", "outbox unclaim");
    return err == ERR_NOT_FOUND ? 0 : err;
}

int outbox_requeue(struct ticket_store *store, int64_t id, int64_t now)
{
    return update(store,
                  "UPDATE outbox SET state = 'pending', next_attempt_at = ?2, shrink = 0, "
                  "claimed_by = NULL, claimed_until = NULL, "
                  "last_error = 'requeued: ' || last_error WHERE id = ?1 AND state = 'failed'",
                  id, now, 0, "", "outbox requeue");
}

int outbox_count(struct ticket_store *store, const char *state, int64_t *out)
{
    struct yq_stmt *st = NULL;
    int rc, err;

    *out = 0;
    err = ticket_store_prepare(store, "SELECT count(*) FROM outbox WHERE ?1 IS NULL OR state = ?1",
                               &st, "outbox count");
    if (err) {
        return err;
    }
    if (state) {
        yq_stmt_bind_text(st, 1, state);
    }
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        *out = yq_stmt_column_int64(st, 0);
    } else {
        err = ticket_store_fail(store, rc, "outbox count");
    }
    yq_stmt_finalize(st);
    return err;
}

/* --- administrator alerts ------------------------------------------------------------------ */

#define FAULTS_TABLE_SQL                                                                           \
    "CREATE TABLE IF NOT EXISTS channel_faults ("                                                  \
    "  channel TEXT PRIMARY KEY,"                                                                  \
    "  failing INTEGER NOT NULL DEFAULT 0 CHECK (failing IN (0, 1)),"                              \
    "  faults INTEGER NOT NULL DEFAULT 0,"                                                         \
    "  failing_since INTEGER,"                                                                     \
    "  last_error TEXT NOT NULL DEFAULT '',"                                                       \
    "  recovered_at INTEGER"                                                                       \
    ")"

/* Subject and body of the alert about ch; both new (free()). 0, ERR_TOO_BIG or ERR_NOMEM. */
static int compose_fault(const struct notify_channel *ch, const char *error, int64_t now,
                         int64_t fault_no, char **subject, char **body)
{
    char when[32];
    struct yq_buf b;
    int err = 0;

    *body = NULL;
    yq_buf_init(&b, OUTBOX_BODY_MAX_BYTES);
    if (asprintf(subject, "【通知渠道配置错误】%s（%s）拒收消息", ch->name,
                 channel_type_name(ch->type)) < 0) {
        *subject = NULL;
        return ERR_NOMEM;
    }
    PUT("【通知渠道配置错误】渠道 %s（%s）拒收消息，修复前发往该渠道的通知都会失败。\n", ch->name,
        channel_type_name(ch->type));
    PUT("错误：%s\n", error[0] ? error : "（无详情）");
    PUT("发现时间：%s（北京时间），第 %lld 次配置故障\n",
        yq_time_format_shanghai(now, when, sizeof(when)), (long long)fault_no);
    PUT("%s", "请检查：\n");
    if (!err) {
        err = channel_checks(ch, &b);
    }
    PUT("%s", "修复后重启 notifier（密钥文件在启动时读取）。失败的通知：yuqingctl tickets outbox "
              "--state failed；重发：yuqingctl tickets redeliver ID。\n");
    PUT("%s", "每次故障只告警一次；该渠道恢复投递后如再出错，会再次告警。\n");
    return compose_end(&b, err, subject, body);
}

/* failing and faults of channel in channel_faults (0, 0 when no row). */
static int fault_state(struct ticket_store *store, const char *channel, bool *failing,
                       int64_t *faults)
{
    struct yq_stmt *st = NULL;
    int rc, err;

    *failing = false;
    *faults = 0;
    err =
        ticket_store_prepare(store, "SELECT failing, faults FROM channel_faults WHERE channel = ?",
                             &st, "channel fault read");
    if (err) {
        return err;
    }
    yq_stmt_bind_text(st, 1, channel);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        *failing = yq_stmt_column_int(st, 0) != 0;
        *faults = yq_stmt_column_int64(st, 1);
    } else if (rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "channel fault read");
    }
    yq_stmt_finalize(st);
    return err;
}

int outbox_enqueue_administrators(struct ticket_store *store, const char *kind,
                                  const char *key_prefix, const char *skip, bool urgent,
                                  const char *subject, const char *body, int64_t now,
                                  int *inserted)
{
    const struct notify_routes *routes = ticket_store_policy_or_default(store)->routes;
    int err = 0;

    for (size_t i = 0; !err && routes && i < routes->n_administrator; i++) {
        const char *to = routes->administrator[i];
        char key[600];
        bool seen = skip && strcmp(to, skip) == 0;

        for (size_t j = 0; !seen && j < i; j++) {
            seen = strcmp(routes->administrator[j], to) == 0;
        }
        if (seen) {
            continue;
        }
        snprintf(key, sizeof(key), "%.300s:%.256s", key_prefix, to);
        err = insert_row(
            store,
            &(struct outbox_row){key, 0, 0, kind, to, "administrator", urgent, subject, body, ""},
            now, "administrator notice insert", inserted);
    }
    return err;
}

/* Inside the open transaction: one alert row per administrator channel other than ch. */
static int insert_fault_alerts(struct ticket_store *store, const struct notify_channel *ch,
                               const char *error, int64_t now, int64_t fault_no, int *inserted)
{
    const struct notify_routes *routes = ticket_store_policy_or_default(store)->routes;
    char *subject = NULL, *body = NULL;
    char prefix[400];
    int err;

    if (!routes || routes->n_administrator == 0) {
        return 0;
    }
    err = compose_fault(ch, error, now, fault_no, &subject, &body);
    if (!err) {
        snprintf(prefix, sizeof(prefix), "adm:%.256s:f%lld", ch->name, (long long)fault_no);
        err = outbox_enqueue_administrators(store, "config_error", prefix, ch->name, true,
                                            subject, body, now, inserted);
    }
    free(subject);
    free(body);
    return err;
}

int outbox_channel_config_failed(struct ticket_store *store, const struct notify_channel *ch,
                                 const char *error, int64_t now, bool *new_out, int *n_out)
{
    struct yq_stmt *st = NULL;
    char *clean = NULL;
    bool failing = false;
    int64_t faults = 0;
    int err, inserted = 0;

    if (new_out) {
        *new_out = false;
    }
    if (n_out) {
        *n_out = 0;
    }
    clean = strdup(error ? error : "");
    if (!clean) {
        return ERR_NOMEM;
    }
    notify_channel_redact(ch, clean);
    err = ticket_store_begin(store, "channel fault");
    if (!err) {
        err = ticket_store_exec(store, FAULTS_TABLE_SQL, "channel fault table");
    }
    if (!err) {
        err = fault_state(store, ch->name, &failing, &faults);
    }
    if (err || failing) {
        goto done; /* an open fault has had its alert */
    }
    faults++;
    err = ticket_store_prepare(store,
                               "INSERT INTO channel_faults (channel, failing, faults, "
                               "failing_since, last_error) VALUES (?1, 1, ?2, ?3, ?4) "
                               "ON CONFLICT (channel) DO UPDATE SET failing = 1, faults = ?2, "
                               "failing_since = ?3, last_error = ?4",
                               &st, "channel fault open");
    if (err) {
        goto done;
    }
    yq_stmt_bind_text(st, 1, ch->name);
    yq_stmt_bind_int64(st, 2, faults);
    yq_stmt_bind_int64(st, 3, now);
    yq_stmt_bind_text(st, 4, clean);
    err = ticket_store_step_done(store, st, "channel fault open");
    if (!err) {
        err = insert_fault_alerts(store, ch, clean, now, faults, &inserted);
    }
    if (!err) {
        err = ticket_store_exec(store, "COMMIT", "channel fault commit");
    }
    if (!err) {
        if (new_out) {
            *new_out = true;
        }
        if (n_out) {
            *n_out = inserted;
        }
    }
done:
    ticket_store_rollback(store); /* no-op after COMMIT */
    free(clean);
    return err;
}

int outbox_channel_delivered(struct ticket_store *store, const char *channel, int64_t now,
                             bool *recovered_out)
{
    struct yq_stmt *st = NULL;
    int err;

    if (recovered_out) {
        *recovered_out = false;
    }
    err = ticket_store_exec(store, FAULTS_TABLE_SQL, "channel fault table");
    if (!err) {
        err = ticket_store_prepare(store,
                                   "UPDATE channel_faults SET failing = 0, recovered_at = ? "
                                   "WHERE channel = ? AND failing = 1",
                                   &st, "channel fault close");
    }
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, now);
    yq_stmt_bind_text(st, 2, channel);
    err = ticket_store_step_done(store, st, "channel fault close");
    if (!err && recovered_out) {
        *recovered_out = yq_db_changes(store->db) > 0;
    }
    return err;
}
