/*
 * Produces items to Kafka (idempotent producer, key = item id, value = item JSON) and keeps
 * the ids in flight in this process. Only after Kafka reports delivery is
 * yuqing:seen:<id> set in Redis (a crash re-sends rather than loses); if that SET fails the
 * id stays in flight and the SET is retried from item_producer_poll(), so the item is not
 * produced again meanwhile. Not thread-safe: call everything from the event loop's thread.
 */
#ifndef YQ_ITEM_PRODUCER_H
#define YQ_ITEM_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "yq_kafka.h"

/* Per-source delivery accounting, owned by the caller; must outlive its messages. */
struct delivery_tally {
    int64_t pending;   /* produced, not yet reported */
    int64_t failed;    /* reported as failed since the caller last reset it */
    int64_t delivered; /* reported as delivered since the caller last reset it */
};

struct item_producer;

/*
 * A producer for cfg (borrowed; must outlive it) marking seen ids through store (borrowed).
 * Returns a new producer (item_producer_free()) or NULL with one line in errbuf.
 */
struct item_producer *item_producer_new(const struct yq_kafka_cfg *cfg, struct store *store,
                                        char *errbuf, size_t errlen);

/* Destroy the producer; messages not yet delivered are dropped (flush first). NULL no-op. */
void item_producer_free(struct item_producer *p);

/* True when id was produced by this process and is not yet marked seen. */
bool item_producer_in_flight(const struct item_producer *p, const char *id);

/*
 * Produce len bytes of json (copied) with key id (NUL-terminated, copied) to the items
 * topic; tally (may be NULL) counts it until its delivery report.
 * Returns 0, ERR_RETRY (local queue full or broker-side transient error: try next poll),
 * ERR_EXISTS (already in flight) or ERR_NOMEM.
 */
int item_producer_send(struct item_producer *p, const char *id, const char *json, size_t len,
                       struct delivery_tally *tally);

/* Serve delivery reports (rd_kafka_poll with timeout_ms) and retry pending seen-marks. */
void item_producer_poll(struct item_producer *p, int timeout_ms);

/* Ids in flight (queued, or delivered but not yet marked seen). */
size_t item_producer_in_flight_count(const struct item_producer *p);

/*
 * Wait up to timeout_ms for every queued message, then try the remaining seen-marks once.
 * Returns 0 or ERR_RETRY (messages remain undelivered; logged).
 */
int item_producer_flush(struct item_producer *p, int64_t timeout_ms);

#endif
