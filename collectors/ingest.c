#include "ingest.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed_item.h"
#include "wechat.h"
#include "yq_err.h"
#include "yq_item.h"
#include "yq_log.h"
#include "yq_banned.h"

/* Seen-check of id and alias. Returns 0 (answer in *seen) or ERR_RETRY. */
static int check_seen(struct store *store, const char *id, const char *alias, bool *seen)
{
    int err = store_seen(store, id, seen);
    if (!err && !*seen && alias) {
        err = store_seen(store, alias, seen);
    }
    return err;
}

static void newest(struct ingest_result *out, int64_t t)
{
    if (!out->has_newest || t > out->newest_published) {
        out->has_newest = true;
        out->newest_published = t;
    }
}

/*
 * Encode item within the message size: as is when it fits, else a copy cut by
 * yq_item_encode_bounded() (never dropped for its size).
 */
static int encode_fitting(const struct yq_item *item, char **json, size_t *json_len)
{
    struct yq_item copy;
    int err = yq_item_encode(item, json, json_len);

    if (err || *json_len <= ITEM_PRODUCER_MAX_ITEM_BYTES) {
        return err;
    }
    free(*json);
    *json = NULL;
    err = yq_item_copy(&copy, item);
    if (!err) {
        err = yq_item_encode_bounded(&copy, ITEM_PRODUCER_MAX_ITEM_BYTES, json, json_len);
        yq_item_release(&copy);
    }
    return err;
}

static int produce(const struct ingest_ctx *ctx, const struct yq_item *item, const char *alias,
                   struct ingest_result *out)
{
    char *json = NULL;
    size_t json_len = 0;
    struct yq_item marked = *item; /* shallow: the source's marks (issue #11), strings borrowed */
    int err;

    if (ctx->src) {
        marked.official = marked.official || ctx->src->official;
        marked.local = marked.local || ctx->src->local;
        if (!marked.department && ctx->src->department && ctx->src->department[0]) {
            marked.department = ctx->src->department;
        }
        if (!marked.response_channel && ctx->src->official) {
            marked.response_channel = ctx->src->response_channel; /* issue #15 */
        }
    }
    marked.backlog = marked.backlog || ctx->backlog;
    err = encode_fitting(&marked, &json, &json_len);

    if (err == ERR_TOO_BIG) {
        out->rejected++; /* cannot happen with the item limits; never blocks the others */
        return 0;
    }
    if (err) {
        return err;
    }
    err = item_producer_send(ctx->producer, item->id, alias, item->source_id,
                             item->fetched_at, json, json_len, ctx->tally);
    free(json);
    if (err == 0) {
        out->produced++;
    } else if (err == ERR_EXISTS) {
        out->in_flight++;
        err = 0;
    } else if (err == ERR_RETRY) {
        out->deferred++;
    } else if (err == ERR_TOO_BIG || err == ERR_INVALID) {
        /* refused for good, logged and settled by the producer: the others go on */
        out->rejected++;
        err = 0;
    }
    return err;
}

int ingest_item(const struct ingest_ctx *ctx, const struct yq_item *item, const char *alias,
                bool force, struct ingest_result *out)
{
    bool seen = false;

    out->entries++;
    if (item->has_published) {
        newest(out, yq_item_effective_time(item)); /* a future timestamp is not "fresh" */
    }
    if (!force && item_producer_in_flight(ctx->producer, item->id)) {
        out->in_flight++;
        return 0;
    }
    if (!force && seen_cache_has(ctx->seen, item->id)) {
        out->seen++;
        return 0;
    }
    if (!force && check_seen(ctx->store, item->id, alias, &seen) != 0) {
        out->deferred++;
        return ERR_RETRY;
    }
    if (seen) {
        out->seen++;
        (void)seen_cache_add(ctx->seen, item->id);
        return 0;
    }
    return produce(ctx, item, alias, out);
}

/*
 * Whether ctx's poll is the source's first successful one: nothing recorded a poll before.
 * Redis down counts as first, like the Weibo first crawl (its items are deferred anyway).
 */
static bool first_poll(const struct ingest_ctx *ctx)
{
    bool before = false;

    if (ctx->backlog) {
        return true;
    }
    return !ctx->crawled && (store_crawled_before(ctx->store, ctx->src->id, &before) != 0 ||
                             !before);
}

/* A WeChat bridge entry: built first (its alias comes from the item), checked one by one. */
static int ingest_wechat_entry(const struct feed *f, const struct feed_entry *e,
                               const struct ingest_ctx *ctx, const struct ingest_ctx *marked,
                               struct ingest_result *out, bool *stop, const char **reason)
{
    char alias[WECHAT_ID_MAX] = "";
    struct yq_item item;
    bool seen = false;
    int err = wechat_item_from_entry(f, e, ctx->src->id, ctx->src->name, ctx->fetched_at,
                                     ctx->max_text_bytes, &item, alias);

    if (err == ERR_INVALID) {
        out->invalid++;
        return 0;
    }
    if (err) {
        return err;
    }
    if (item_producer_in_flight(ctx->producer, item.id)) {
        out->in_flight++;
    } else if (seen_cache_has(ctx->seen, item.id) ||
               (alias[0] && seen_cache_has(ctx->seen, alias))) {
        out->seen++;
    } else if (check_seen(ctx->store, item.id, alias[0] ? alias : NULL, &seen) != 0) {
        *stop = true;
        *reason = "redis down";
        out->deferred++;
    } else if (seen) {
        out->seen++;
        (void)seen_cache_add(ctx->seen, item.id); /* a failed add costs a Redis call later */
    } else {
        err = produce(marked, &item, alias[0] ? alias : NULL, out);
    }
    yq_item_release(&item);
    return err;
}

/*
 * A feed being ingested (ingest_run_new()): the state of ingest_feed() kept between chunks.
 * The per-entry arrays have n_entries slots; a chunk uses the first slots it needs.
 */
struct ingest_run {
    const struct feed *f;     /* borrowed */
    struct ingest_ctx ctx;    /* a copy; its pointers borrowed */
    struct ingest_ctx marked; /* ctx with backlog set for the first poll */
    bool wechat;
    bool stop; /* Kafka (or, for WeChat, Redis) said "later": defer the rest */
    const char *reason;
    char kafka_reason[160];
    size_t next; /* the first entry not ingested yet */
    struct ingest_result res;
    char (*ids)[FEED_ITEM_ID_LEN];
    const char **ask;  /* the ids to check, in entry order */
    size_t *ask_entry; /* the entry of each */
    enum store_seen_answer *answers;
};

void ingest_run_free(struct ingest_run *run)
{
    if (!run) {
        return;
    }
    free(run->answers);
    free(run->ask_entry);
    free(run->ask);
    free(run->ids);
    free(run);
}

int ingest_run_new(const struct feed *f, const struct ingest_ctx *ctx, struct ingest_run **out)
{
    struct ingest_run *run = calloc(1, sizeof(*run));
    size_t n = f->n_entries;

    *out = NULL;
    if (!run) {
        return ERR_NOMEM;
    }
    run->f = f;
    run->ctx = *ctx;
    run->marked = *ctx;
    run->wechat = ctx->src->kind_id == SOURCE_WECHAT_FEED;
    run->marked.backlog = n > 0 && first_poll(ctx);
    for (size_t i = 0; i < n; i++) {
        const struct feed_entry *e = &f->entries[i];
        if (e->has_published) {
            /* a future timestamp counts as the fetch time (yq_item_effective_time()) */
            newest(&run->res, e->published > ctx->fetched_at + YQ_ITEM_FUTURE_SLACK_S
                                  ? ctx->fetched_at
                                  : e->published);
        }
    }
    run->res.entries = n;
    if (!run->wechat && n > 0) {
        seen_cache_set_window(ctx->seen, n); /* the cache holds about two windows */
        run->ids = malloc(n * sizeof(*run->ids));
        run->ask = malloc(n * sizeof(*run->ask));
        run->ask_entry = malloc(n * sizeof(*run->ask_entry));
        run->answers = malloc(n * sizeof(*run->answers));
        if (!run->ids || !run->ask || !run->ask_entry || !run->answers) {
            ingest_run_free(run);
            return ERR_NOMEM;
        }
    }
    *out = run;
    return 0;
}

/* Kafka said "later" (ERR_RETRY): the rest of the feed is deferred, with librdkafka's reason. */
static void run_stop_kafka(struct ingest_run *run)
{
    run->stop = true;
    snprintf(run->kafka_reason, sizeof(run->kafka_reason), "'kafka: %s'",
             item_producer_last_error(run->ctx.producer));
    run->reason = run->kafka_reason;
}

/* Entries [from, to) of a WeChat bridge feed, one by one. Returns 0 or ERR_NOMEM. */
static int run_wechat(struct ingest_run *run, size_t from, size_t to)
{
    int err = 0;

    for (size_t i = from; i < to && !err; i++) {
        if (run->stop) {
            run->res.deferred++;
            continue;
        }
        err = ingest_wechat_entry(run->f, &run->f->entries[i], &run->ctx, &run->marked, &run->res,
                                  &run->stop, &run->reason);
        if (err == ERR_RETRY) {
            run_stop_kafka(run);
            err = 0;
        }
    }
    return err;
}

/*
 * Entries [from, to): pass 1 the ids (most entries of a feed were seen, building them is
 * wasted), one seen-check round trip for the rest, pass 2 the new entries built and produced
 * in document order. Returns 0 or ERR_NOMEM.
 */
static int run_entries(struct ingest_run *run, size_t from, size_t to)
{
    const struct ingest_ctx *ctx = &run->ctx;
    struct ingest_result *out = &run->res;
    size_t n_ask = 0;
    int err = 0;

    for (size_t i = from; i < to; i++) {
        char *id = run->ids[i];
        err = feed_item_id(&run->f->entries[i], id, sizeof(run->ids[i]));
        if (err == ERR_INVALID) {
            out->invalid++;
            err = 0;
        } else if (err) {
            return err;
        } else if (item_producer_in_flight(ctx->producer, id)) {
            out->in_flight++;
        } else if (seen_cache_has(ctx->seen, id)) {
            out->seen++;
        } else {
            run->ask_entry[n_ask] = i;
            run->ask[n_ask++] = id;
        }
    }
    /* an unanswered id is deferred, the answered go on */
    if (n_ask > 0 && store_seen_many(ctx->store, run->ask, n_ask, run->answers) != 0) {
        run->reason = "redis down";
    }
    for (size_t a = 0; a < n_ask; a++) {
        const struct feed_entry *e = &run->f->entries[run->ask_entry[a]];
        struct yq_item item;
        if (run->answers[a] == STORE_SEEN_UNKNOWN || run->stop) {
            out->deferred++;
            continue;
        }
        if (run->answers[a] == STORE_SEEN_YES) {
            out->seen++;
            (void)seen_cache_add(ctx->seen, run->ask[a]); /* a failed add costs a Redis call */
            continue;
        }
        err = feed_item_from_entry(run->f, e, ctx->src->id, ctx->src->name, ctx->fetched_at,
                                   ctx->max_text_bytes, &item);
        if (err == ERR_INVALID) {
            out->invalid++;
            err = 0;
            continue;
        }
        if (err) {
            return err;
        }
        err = produce(&run->marked, &item, NULL, out);
        yq_item_release(&item);
        if (err == ERR_RETRY) {
            run_stop_kafka(run);
            err = 0;
        } else if (err) {
            return err;
        }
    }
    return 0;
}

int ingest_run_step(struct ingest_run *run, size_t max_entries, size_t *used, bool *done)
{
    size_t n = run->f->n_entries;
    size_t to = max_entries < n - run->next ? run->next + max_entries : n;
    int err;

    *done = false;
    *used = to - run->next;
    err = run->wechat ? run_wechat(run, run->next, to) : run_entries(run, run->next, to);
    if (err) {
        return err;
    }
    run->next = to;
    if (to < n) {
        return 0;
    }
    *done = true;
    if (run->res.deferred) {
        LOG_WARN("items deferred to the next poll source_id=%s deferred=%zu reason=%s",
                 run->ctx.src->id, run->res.deferred, run->reason ? run->reason : "unknown");
    }
    return run->res.deferred ? ERR_RETRY : 0;
}

const struct ingest_result *ingest_run_result(const struct ingest_run *run)
{
    return &run->res;
}

int ingest_feed(const struct feed *f, const struct ingest_ctx *ctx, struct ingest_result *out)
{
    struct ingest_run *run = NULL;
    size_t used;
    bool done = false;
    int err = ingest_run_new(f, ctx, &run);

    memset(out, 0, sizeof(*out));
    if (!err) {
        err = ingest_run_step(run, SIZE_MAX, &used, &done);
        *out = run->res;
    }
    ingest_run_free(run);
    return err;
}
