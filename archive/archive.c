/*
 * The archive front (archive.h): chooses a backend by the location's form, validates
 * arguments, opens the sentiment classifier on the first put of a handle that was given none,
 * and runs a put over the backend's steps (struct archive_put_ops, archive_row.h). Everything
 * else is the backend's (archive_sqlite.c, archive_pg.c).
 */
#include "archive.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_row.h"
#include "norm.h"
#include "yq_err.h"
#include "yq_item.h"
#include "yq_time.h"

/* The backends, tried in order; the first whose accepts() says yes serves the location. */
static const struct archive_backend_ops *const backends[] = {
    &archive_pg_ops,
    &archive_sqlite_ops,
};

struct archive {
    const struct archive_backend_ops *ops;
    void *state;
    /* handed to the backend's open and borrowed by it until close; sentiment is filled here
       on the first put when the caller gave none */
    struct archive_open_opts opts;
    struct yq_sentiment *own_sentiment;
    pthread_mutex_t mu; /* the lazy classifier */
};

static void put_err(char *errbuf, size_t errlen, const char *msg)
{
    if (errbuf && errlen) {
        snprintf(errbuf, errlen, "%s", msg);
    }
}

/* The backend of location (borrowed), or NULL with the reason in errbuf (none given, none fits). */
static const struct archive_backend_ops *backend_for(const char *location, char *errbuf,
                                                     size_t errlen)
{
    if (!location || !location[0]) {
        put_err(errbuf, errlen, "archive: no location given");
        return NULL;
    }
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        if (backends[i]->accepts(location)) {
            return backends[i];
        }
    }
    if (errbuf && errlen) {
        snprintf(errbuf, errlen, "archive: no backend for location %.200s", location);
    }
    return NULL;
}

/* errbuf for the backends, which may assume a writable buffer. */
#define ERRBUF(errbuf, errlen, tmp) ((errbuf) && (errlen) ? (errbuf) : (tmp))
#define ERRLEN(errbuf, errlen, tmp) ((errbuf) && (errlen) ? (errlen) : sizeof(tmp))

int archive_init(const char *location, char *errbuf, size_t errlen)
{
    char tmp[256];
    const struct archive_backend_ops *ops = backend_for(location, errbuf, errlen);
    if (!ops) {
        return ERR_INVALID;
    }
    return ops->init(location, ERRBUF(errbuf, errlen, tmp), ERRLEN(errbuf, errlen, tmp));
}

int archive_open(const char *location, const struct archive_open_opts *opts, struct archive **out,
                 char *errbuf, size_t errlen)
{
    char tmp[256];
    if (!out) {
        put_err(errbuf, errlen, "archive: no handle to fill");
        return ERR_INVALID;
    }
    *out = NULL;
    const struct archive_backend_ops *ops = backend_for(location, errbuf, errlen);
    if (!ops) {
        return ERR_INVALID;
    }
    struct archive *a = calloc(1, sizeof *a);
    if (!a) {
        put_err(errbuf, errlen, "archive: out of memory");
        return ERR_NOMEM;
    }
    if (opts) {
        a->opts = *opts;
    }
    a->ops = ops;
    pthread_mutex_init(&a->mu, NULL);
    int err = ops->open(location, &a->opts, &a->state, ERRBUF(errbuf, errlen, tmp),
                        ERRLEN(errbuf, errlen, tmp));
    if (err != 0) {
        pthread_mutex_destroy(&a->mu);
        free(a);
        return err;
    }
    *out = a;
    return 0;
}

void archive_close(struct archive *a)
{
    if (!a) {
        return;
    }
    a->ops->close(a->state);
    yq_sentiment_free(a->own_sentiment);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

int64_t archive_item_time(const struct yq_item *item)
{
    return yq_item_effective_time(item);
}

/* a + b, saturating at INT64_MAX (metrics are counts, never negative when sane). */
static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) {
        return b > 0 ? INT64_MAX : INT64_MIN;
    }
    return r;
}

static int64_t sat_mul(int64_t a, int64_t k)
{
    int64_t r;
    if (__builtin_mul_overflow(a, k, &r)) {
        return a > 0 ? INT64_MAX : INT64_MIN;
    }
    return r;
}

int64_t archive_item_heat(const struct yq_item *item)
{
    if (!item || !item->metrics.known) {
        return 0;
    }
    return sat_add(sat_add(sat_mul(item->metrics.reposts, 3), sat_mul(item->metrics.comments, 2)),
                   item->metrics.likes);
}

/* The items then the alerts of a put through ops' steps, in order; the first error stops it. */
static int put_each(const struct archive_put_ops *ops, void *ctx,
                    const struct yq_item *const *items, size_t n_items,
                    const struct yq_alert *const *alerts, size_t n_alerts,
                    struct archive_put_result *res)
{
    int err = 0;
    for (size_t i = 0; err == 0 && i < n_items; i++) {
        const struct yq_item *it = items[i];
        if (!archive_item_accepted(it, res)) {
            continue;
        }
        err = ops->put_item(ctx, it, res);
    }
    for (size_t i = 0; err == 0 && i < n_alerts; i++) {
        err = ops->put_alert(ctx, alerts[i], res);
    }
    return err;
}

/*
 * One put through the backend's steps (struct archive_put_ops, archive_row.h): the
 * normaliser, a zeroed context of ops->ctx_size bytes starting with the struct
 * archive_put_base, begin, the batch, end. res gets the counts only when the put succeeded.
 */
static int put_run(const struct archive_put_ops *ops, void *state,
                   const struct yq_item *const *items, size_t n_items,
                   const struct yq_alert *const *alerts, size_t n_alerts,
                   struct archive_put_result *res, char *errbuf, size_t errlen)
{
    struct archive_put_result r = {0};
    const struct norm *norm = NULL;
    struct archive_put_base *base;
    int err = norm_global(&norm, errbuf, errlen);

    if (err != 0) {
        return err;
    }
    base = calloc(1, ops->ctx_size); /* the PostgreSQL rows waiting, ~7 KB: not on the stack */
    if (!base) {
        snprintf(errbuf, errlen, "archive: out of memory");
        return ERR_NOMEM;
    }
    base->norm = norm;
    base->now_s = yq_time_now();
    base->errbuf = errbuf;
    base->errlen = errlen;
    err = ops->begin(base, state);
    if (err == 0) {
        err = put_each(ops, base, items, n_items, alerts, n_alerts, &r);
    }
    err = ops->end(base, err, &r);
    norm_text_release(&base->title);
    norm_text_release(&base->text);
    free(base);
    if (err == 0 && res) {
        *res = r;
    }
    return err;
}

int archive_put(struct archive *a, const struct yq_item *const *items, size_t n_items,
                const struct yq_alert *const *alerts, size_t n_alerts,
                struct archive_put_result *res, char *errbuf, size_t errlen)
{
    char tmp[256];
    if (res) {
        memset(res, 0, sizeof *res);
    }
    if (!a || (n_items > 0 && !items) || (n_alerts > 0 && !alerts)) {
        put_err(errbuf, errlen, "archive: put without handle or with a NULL array");
        return ERR_INVALID;
    }
    for (size_t i = 0; i < n_items; i++) {
        if (!items[i]) {
            put_err(errbuf, errlen, "archive: put with a NULL item");
            return ERR_INVALID;
        }
    }
    for (size_t i = 0; i < n_alerts; i++) {
        if (!alerts[i]) {
            put_err(errbuf, errlen, "archive: put with a NULL alert");
            return ERR_INVALID;
        }
    }
    if (a->opts.flags & ARCHIVE_READONLY) {
        put_err(errbuf, errlen, "archive: read-only handle refuses to store");
        return ERR_BAD_STATE;
    }
    if (n_items > 0) {
        pthread_mutex_lock(&a->mu);
        int err = 0;
        if (!a->opts.sentiment) {
            err = yq_sentiment_open(NULL, &a->own_sentiment, ERRBUF(errbuf, errlen, tmp),
                                    ERRLEN(errbuf, errlen, tmp));
            if (err == 0) {
                a->opts.sentiment = a->own_sentiment;
            }
        }
        pthread_mutex_unlock(&a->mu);
        if (err != 0) {
            return err;
        }
    }
    if (n_items == 0 && n_alerts == 0) {
        return 0;
    }
    return put_run(a->ops->put, a->state, items, n_items, alerts, n_alerts, res,
                   ERRBUF(errbuf, errlen, tmp), ERRLEN(errbuf, errlen, tmp));
}

void archive_row_release(struct archive_row *row)
{
    if (!row) {
        return;
    }
    yq_item_release(&row->item);
    for (size_t i = 0; i < row->n_matches; i++) {
        free(row->matches[i].rule_id);
        free(row->matches[i].rule_group);
        free(row->matches[i].department);
        free(row->matches[i].event_key);
    }
    free(row->matches);
    memset(row, 0, sizeof *row);
}

int archive_scan(struct archive *a, const struct archive_filter *f, archive_row_fn fn, void *arg,
                 char *errbuf, size_t errlen)
{
    char tmp[256];
    static const struct archive_filter all = {0};
    if (!a || !fn) {
        put_err(errbuf, errlen, "archive: scan without handle or callback");
        return ERR_INVALID;
    }
    if (f && f->since_s && f->until_s && f->until_s <= f->since_s) {
        return 0; /* an empty range */
    }
    return a->ops->scan(a->state, f ? f : &all, fn, arg, ERRBUF(errbuf, errlen, tmp),
                        ERRLEN(errbuf, errlen, tmp));
}

int archive_get(struct archive *a, const char *item_id, struct archive_row *out, char *errbuf,
                size_t errlen)
{
    char tmp[256];
    if (!a || !item_id || !out) {
        put_err(errbuf, errlen, "archive: get without handle, id or row");
        return ERR_INVALID;
    }
    memset(out, 0, sizeof *out);
    if (!item_id[0]) {
        put_err(errbuf, errlen, "archive: no item with an empty id");
        return ERR_NOT_FOUND;
    }
    return a->ops->get(a->state, item_id, out, ERRBUF(errbuf, errlen, tmp),
                       ERRLEN(errbuf, errlen, tmp));
}

int archive_prune(struct archive *a, int64_t now_s, int64_t retention_days, size_t *n_removed,
                  char *errbuf, size_t errlen)
{
    char tmp[256];
    if (n_removed) {
        *n_removed = 0;
    }
    if (!a || retention_days < 0) {
        put_err(errbuf, errlen, "archive: prune without handle or with negative retention");
        return ERR_INVALID;
    }
    if (a->opts.flags & ARCHIVE_READONLY) {
        put_err(errbuf, errlen, "archive: read-only handle refuses to prune");
        return ERR_BAD_STATE;
    }
    return a->ops->prune(a->state, now_s, retention_days, n_removed, ERRBUF(errbuf, errlen, tmp),
                         ERRLEN(errbuf, errlen, tmp));
}

int archive_stats(struct archive *a, json_t **out, char *errbuf, size_t errlen)
{
    char tmp[256];
    if (!a || !out) {
        put_err(errbuf, errlen, "archive: stats without handle or output");
        return ERR_INVALID;
    }
    *out = NULL;
    return a->ops->stats(a->state, out, ERRBUF(errbuf, errlen, tmp), ERRLEN(errbuf, errlen, tmp));
}

bool archive_month_expired(int64_t y, unsigned m, int64_t now_s, int64_t retention_days)
{
    int64_t ny = m == 12 ? y + 1 : y;
    unsigned nm = m == 12 ? 1 : m + 1;
    int64_t end_s = yq_time_days_from_civil(ny, nm, 1) * 86400 - YQ_SHANGHAI_OFFSET_S;

    if (retention_days < 0 || retention_days > (INT64_MAX / 2) / 86400 || now_s < end_s) {
        return false;
    }
    return now_s - end_s > retention_days * 86400;
}
