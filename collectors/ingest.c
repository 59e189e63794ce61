#include "ingest.h"

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

/* What pass 1 of ingest_feed() decided for an entry. */
enum entry_fate {
    FATE_SETTLED, /* counted already (invalid, in flight, seen) */
    FATE_ASK,     /* its id goes to Redis */
};

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

int ingest_feed(const struct feed *f, const struct ingest_ctx *ctx, struct ingest_result *out)
{
    struct ingest_ctx marked = *ctx; /* with backlog set for the first poll */
    bool wechat = ctx->src->kind_id == SOURCE_WECHAT_FEED;
    bool stop = false; /* Kafka (or, for WeChat, Redis) said "later": defer the rest */
    const char *reason = NULL;
    char kafka_reason[160];
    char(*ids)[FEED_ITEM_ID_LEN] = NULL;
    const char **ask = NULL;             /* the ids to check, in entry order */
    size_t *ask_entry = NULL;            /* the entry of each */
    enum store_seen_answer *answers = NULL;
    unsigned char *fate = NULL;
    size_t n_ask = 0, a = 0;
    int err = 0;

    memset(out, 0, sizeof(*out));
    marked.backlog = f->n_entries > 0 && first_poll(ctx);
    for (size_t i = 0; i < f->n_entries; i++) {
        const struct feed_entry *e = &f->entries[i];
        if (e->has_published) {
            /* a future timestamp counts as the fetch time (yq_item_effective_time()) */
            newest(out, e->published > ctx->fetched_at + YQ_ITEM_FUTURE_SLACK_S
                            ? ctx->fetched_at
                            : e->published);
        }
    }
    out->entries = f->n_entries;
    if (wechat) {
        for (size_t i = 0; i < f->n_entries && !err; i++) {
            if (stop) {
                out->deferred++;
                continue;
            }
            err = ingest_wechat_entry(f, &f->entries[i], ctx, &marked, out, &stop, &reason);
            if (err == ERR_RETRY) { /* Kafka's "later" */
                stop = true;
                snprintf(kafka_reason, sizeof(kafka_reason), "'kafka: %s'",
                         item_producer_last_error(ctx->producer));
                reason = kafka_reason;
                err = 0;
            }
        }
        goto done;
    }
    if (f->n_entries == 0) {
        goto done;
    }
    seen_cache_set_window(ctx->seen, f->n_entries); /* the cache holds about two windows */
    /* pass 1: the ids; most entries of a feed were seen, building them is wasted */
    ids = malloc(f->n_entries * sizeof(*ids));
    ask = malloc(f->n_entries * sizeof(*ask));
    ask_entry = malloc(f->n_entries * sizeof(*ask_entry));
    answers = malloc(f->n_entries * sizeof(*answers));
    fate = malloc(f->n_entries);
    if (!ids || !ask || !ask_entry || !answers || !fate) {
        err = ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < f->n_entries; i++) {
        err = feed_item_id(&f->entries[i], ids[i], sizeof(ids[i]));
        fate[i] = FATE_SETTLED;
        if (err == ERR_INVALID) {
            out->invalid++;
            err = 0;
        } else if (err) {
            goto done;
        } else if (item_producer_in_flight(ctx->producer, ids[i])) {
            out->in_flight++;
        } else if (seen_cache_has(ctx->seen, ids[i])) {
            out->seen++;
        } else {
            fate[i] = FATE_ASK;
            ask_entry[n_ask] = i;
            ask[n_ask++] = ids[i];
        }
    }
    /* one round trip for the rest; an unanswered id is deferred, the answered go on */
    if (store_seen_many(ctx->store, ask, n_ask, answers) != 0) {
        reason = "redis down";
    }
    /* pass 2: the new entries built and produced, in document order */
    for (a = 0; a < n_ask; a++) {
        const struct feed_entry *e = &f->entries[ask_entry[a]];
        struct yq_item item;
        if (answers[a] == STORE_SEEN_UNKNOWN || stop) {
            out->deferred++;
            continue;
        }
        if (answers[a] == STORE_SEEN_YES) {
            out->seen++;
            (void)seen_cache_add(ctx->seen, ask[a]); /* a failed add costs a Redis call later */
            continue;
        }
        err = feed_item_from_entry(f, e, ctx->src->id, ctx->src->name, ctx->fetched_at,
                                   ctx->max_text_bytes, &item);
        if (err == ERR_INVALID) {
            out->invalid++;
            err = 0;
            continue;
        }
        if (err) {
            goto done;
        }
        err = produce(&marked, &item, NULL, out);
        yq_item_release(&item);
        if (err == ERR_RETRY) {
            stop = true;
            snprintf(kafka_reason, sizeof(kafka_reason), "'kafka: %s'",
                     item_producer_last_error(ctx->producer));
            reason = kafka_reason;
            err = 0;
        } else if (err) {
            goto done;
        }
    }
done:
    free(fate);
    free(answers);
    free(ask_entry);
    free(ask);
    free(ids);
    if (err) {
        return err;
    }
    if (out->deferred) {
        LOG_WARN("items deferred to the next poll source_id=%s deferred=%zu reason=%s",
                 ctx->src->id, out->deferred, reason ? reason : "unknown");
    }
    return out->deferred ? ERR_RETRY : 0;
}
