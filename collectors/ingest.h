/*
 * Items of one poll of one source → Kafka: skip an item when Redis says it was seen (its id
 * or, for WeChat, its cross-form alias) or this process has it in flight, otherwise produce
 * it. When Redis cannot answer the seen-check the item is deferred (not produced, retried
 * next poll): never lost, and no unchecked duplicates en masse.
 */
#ifndef YQ_INGEST_H
#define YQ_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector_cfg.h"
#include "feed_parse.h"
#include "item_producer.h"
#include "seen_cache.h"
#include "store.h"
#include "yq_item.h"

struct ingest_ctx {
    const struct source_cfg *src;   /* borrowed */
    int64_t fetched_at;             /* seconds since the epoch, UTC */
    size_t max_text_bytes;
    struct store *store;            /* borrowed */
    struct item_producer *producer; /* borrowed */
    struct delivery_tally *tally;   /* this source's tally, or NULL */
    bool backlog; /* the source's first successful poll (issue #11): every item is marked
                     "backlog". ingest_feed() also finds it out itself (store_crawled_before():
                     no last_success nor baseline_at yet, or Redis down) */
    bool crawled; /* the source had a successful poll in this process already: not its first,
                     store_crawled_before() is not asked (one Redis call per poll less) */
    struct seen_cache *seen; /* the source's ids known seen (seen_cache.h), or NULL: a hit
                                is not asked of Redis; Redis's "seen" answers are added */
};

struct ingest_result {
    size_t entries;   /* entries/items looked at */
    size_t produced;  /* handed to Kafka */
    size_t seen;      /* already delivered earlier (Redis) */
    size_t in_flight; /* already produced by this process, not yet marked */
    size_t deferred;  /* not checked or not queued: retried next poll */
    size_t invalid;   /* no guid, link or title: cannot be identified */
    size_t rejected;  /* refused by Kafka for good (logged, marked seen): not retried */
    bool has_newest;  /* newest publication time among the entries, for staleness */
    int64_t newest_published;
};

/*
 * Ingest feed f (borrowed) per ctx (issue #16: the ids first, then one seen-check round trip
 * for the document; ingest_run_step() for it in chunks): each entry's id is computed; ids in flight
 * or in ctx->seen are settled without Redis; the rest are checked in one store_seen_many(); only
 * the entries Redis says are new are built into items and produced, in document order. An id Redis
 * could not answer is deferred (retried next poll) without holding back the answered ones. WeChat
 * bridge sources (kind wechat_feed: the item is built first for its alias, checked one by one) get
 * wx:/wxs: ids and source "wechat". The items of a source's first successful poll are marked
 * backlog (ctx->backlog, or the store knows no earlier poll: store_crawled_before()), so the
 * notifier holds those without a publication time instead of opening tickets for a source's past.
 * out: counters (zeroed first). An item larger than the message size is cut
 * (yq_item_encode_bounded()), never deferred; an item Kafka refuses for good is counted in
 * rejected and does not hold back the others; a Kafka "later" (queue full) defers the rest
 * of the feed, logged with librdkafka's own reason.
 * Returns 0 when every entry was handled, ERR_RETRY when some were deferred (the caller
 * must then not store HTTP validators, or a 304 would hide them), ERR_NOMEM.
 */
int ingest_feed(const struct feed *f, const struct ingest_ctx *ctx, struct ingest_result *out);

/*
 * ingest_feed() in chunks, so that the event loop can drive its transfers between them
 * (a feed of 100,000 entries held the loop for ~33 s). The run holds f (borrowed: it must
 * outlive the run) and a copy of ctx (its pointers borrowed likewise).
 */
struct ingest_run;

/*
 * Begin ingesting f per ctx: the first-poll (backlog) check and the newest publication time
 * are done here, no entry is ingested yet. out: a new run (ingest_run_free()).
 * Returns 0 or ERR_NOMEM.
 */
int ingest_run_new(const struct feed *f, const struct ingest_ctx *ctx, struct ingest_run **out);

/*
 * Ingest the next at most max_entries entries of the run, in document order, exactly as
 * ingest_feed() would (one seen-check round trip per chunk; after a Kafka "later" the rest
 * of the feed is deferred). used: the entries taken in this step; done: set true once every
 * entry was taken. Returns 0, or on the last step (done) what ingest_feed() returns
 * (0 or ERR_RETRY); ERR_NOMEM at any step (the run is then to be freed, not stepped again).
 */
int ingest_run_step(struct ingest_run *run, size_t max_entries, size_t *used, bool *done);

/* The counters so far (borrowed view, valid until ingest_run_free()). */
const struct ingest_result *ingest_run_result(const struct ingest_run *run);

/* Free run (NULL is a no-op); the feed and ctx's objects are not touched. */
void ingest_run_free(struct ingest_run *run);

/*
 * Ingest one built item (borrowed): skipped when seen unless force (a Weibo long text
 * completing an item sent truncated), then produced, marked backlog when ctx->backlog.
 * alias: extra seen key or NULL.
 * out: counters are added to (not zeroed). Returns 0, ERR_RETRY (deferred) or ERR_NOMEM.
 */
int ingest_item(const struct ingest_ctx *ctx, const struct yq_item *item, const char *alias,
                bool force, struct ingest_result *out);

#endif
