/*
 * One parsed feed of one source → items on Kafka: build each item, skip it when Redis says
 * it was seen or this process has it in flight, otherwise produce it. When Redis cannot
 * answer the seen-check the entry is deferred (not produced, retried next poll): never lost,
 * and no unchecked duplicates en masse.
 */
#ifndef YQ_INGEST_H
#define YQ_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "collector_cfg.h"
#include "feed_parse.h"
#include "item_producer.h"
#include "store.h"

struct ingest_result {
    size_t entries;   /* entries in the feed */
    size_t produced;  /* handed to Kafka */
    size_t seen;      /* already delivered earlier (Redis) */
    size_t in_flight; /* already produced by this process, not yet marked */
    size_t deferred;  /* not checked or not queued: retried next poll */
    size_t invalid;   /* no guid, link or title: cannot be identified */
};

/*
 * Ingest f (borrowed) fetched from src (borrowed) at fetched_at (seconds, UTC).
 * tally (may be NULL) counts this source's produced messages until delivery.
 * out: counters. Returns 0 when every entry was handled, ERR_RETRY when some were deferred
 * (the caller must then not store HTTP validators, or a 304 would hide them), ERR_NOMEM.
 */
int ingest_feed(const struct feed *f, const struct source_cfg *src, int64_t fetched_at,
                size_t max_text_bytes, struct store *store, struct item_producer *producer,
                struct delivery_tally *tally, struct ingest_result *out);

#endif
