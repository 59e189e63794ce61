/*
 * Produces items to Kafka (idempotent producer, key = item id, value = item JSON) and keeps
 * the ids in flight in this process. Only after Kafka reports delivery is
 * yuqing:seen:<id> set in Redis (a crash re-sends rather than loses): the deliveries reported
 * by one item_producer_poll() (or flush) are marked together, one pipelined round trip per
 * STORE_MARK_BATCH_MAX (store_mark_many(), issue #16); if that fails the ids stay in flight
 * and the marks are retried from item_producer_poll(), so the items are not produced again
 * meanwhile. The same mark records the id in yuqing:source:<source_id>:recent
 * (items of the last 24 h, store.h). Not thread-safe: call everything from the event loop's thread.
 *
 * Shutdown (FC-020): item_producer_flush() waits up to its timeout; whatever is still queued
 * is then purged and written, one item JSON per line, to the spool file, and the count is
 * logged. item_producer_replay_spool() at the next start produces the spooled items again
 * (the file is renamed to <spool>.replay and removed once every replayed message was
 * delivered or spooled anew). Without a spool file, or when writing it fails, the leftovers
 * are counted as lost and flush returns ERR_RETRY: never silent.
 *
 * The same handle also produces the collector's source events (issue #15, source_outbox.h).
 */
#ifndef YQ_ITEM_PRODUCER_H
#define YQ_ITEM_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "yq_item.h"
#include "yq_kafka.h"

/* message.max.bytes of the collector's producer: the shared limit (yq_kafka.h). */
#define ITEM_PRODUCER_MESSAGE_MAX_BYTES YQ_KAFKA_MESSAGE_MAX_BYTES
/* Largest item JSON sent: the message limit less room for the key and record overhead. */
#define ITEM_PRODUCER_MAX_ITEM_BYTES (ITEM_PRODUCER_MESSAGE_MAX_BYTES - 4096)
_Static_assert(YQ_ITEM_MAX_FIELDS_BYTES + 16384 < ITEM_PRODUCER_MAX_ITEM_BYTES,
               "the item field limits (yq_item.h) must fit the Kafka message size");

/* Per-source delivery accounting, owned by the caller; must outlive its messages. */
struct delivery_tally {
    int64_t pending;   /* produced, not yet reported */
    int64_t failed;    /* reported as failed since the caller last reset it */
    int64_t delivered; /* reported as delivered since the caller last reset it */
};

struct item_producer;

struct item_producer_opts {
    int64_t linger_ms;      /* librdkafka linger.ms; 0 = YQ_KAFKA_LINGER_MS (0) */
    const char *spool_path; /* leftovers at shutdown go here; NULL = counted as lost */
};

/* What the last item_producer_flush() left behind. */
struct item_producer_leftovers {
    size_t spooled; /* written to the spool file */
    size_t lost;    /* could not be written anywhere (logged with the count) */
};

/*
 * A producer for cfg (borrowed; must outlive it) marking seen ids through store (borrowed),
 * idempotent (enable.idempotence=true, acks=all). opts (borrowed, copied; may be NULL).
 * Built by yq_kafka_producer_new_opts() (client.id "yuqing-collector", linger.ms from opts).
 * Returns a new producer (item_producer_free()) or NULL with one line in errbuf.
 */
struct item_producer *item_producer_new(const struct yq_kafka_cfg *cfg, struct store *store,
                                        const struct item_producer_opts *opts, char *errbuf,
                                        size_t errlen);

/* Destroy the producer; messages not yet delivered are dropped (flush first). NULL no-op. */
void item_producer_free(struct item_producer *p);

/* True when id was produced by this process and is not yet marked seen. */
bool item_producer_in_flight(const struct item_producer *p, const char *id);

/*
 * Produce len bytes of json (copied) with key id (NUL-terminated, copied) to the items
 * topic; tally (may be NULL) counts it until its delivery report. alias (may be NULL): a
 * second key marked seen with id after delivery (WeChat cross-form key). source_id (copied;
 * may be NULL) and fetched_at (UTC seconds): after delivery the id is also recorded in the
 * source's recent set (store_recent_add()), retried with the seen-mark when Redis is down.
 * Returns 0, ERR_RETRY (local queue full, topic not known yet or another transient error:
 * try next poll), ERR_EXISTS (already in flight), ERR_NOMEM, or ERR_TOO_BIG / ERR_INVALID:
 * librdkafka refused this one message for good (message larger than
 * ITEM_PRODUCER_MESSAGE_MAX_BYTES, invalid argument): logged with librdkafka's reason and
 * settled -- marked seen so later polls do not try it again (issue #10). A delivery report
 * with a permanent error (broker says too large, invalid or corrupt record) settles the item
 * the same way; transient delivery errors leave it unmarked, produced again next poll.
 * item_producer_last_error() gives the reason of the last refusal.
 */
int item_producer_send(struct item_producer *p, const char *id, const char *alias,
                       const char *source_id, int64_t fetched_at, const char *json, size_t len,
                       struct delivery_tally *tally);

/* librdkafka's text for the last error of item_producer_send() ("" when none); static. */
const char *item_producer_last_error(const struct item_producer *p);

/*
 * Produce every line of the spool file again (see above). A line Kafka refuses for good (at
 * the produce or in its delivery report) is settled as in item_producer_send(), not spooled
 * anew. Returns the number of items produced (>= 0), or ERR_IO when the file exists but
 * cannot be read. No spool configured or no file: 0.
 */
int item_producer_replay_spool(struct item_producer *p);

/*
 * The producer's source-event outbox (issue #15, source_outbox.h): blind windows go to
 * kafka.sources_topic through the same librdkafka handle; their delivery reports are served
 * by item_producer_poll(), their retries too. Borrowed; lives as long as p.
 */
struct source_outbox *item_producer_outbox(struct item_producer *p);

/* Serve delivery reports (rd_kafka_poll with timeout_ms) and retry pending seen-marks. */
void item_producer_poll(struct item_producer *p, int timeout_ms);

/* Ids in flight (queued, or delivered but not yet marked seen). */
size_t item_producer_in_flight_count(const struct item_producer *p);

/*
 * Items Kafka refused for good since start (message too large, invalid: logged with the
 * broker's reason, marked seen, never retried; issue #10), whether refused at send or in the
 * delivery report. p borrowed. Called on the polling thread only.
 */
uint64_t item_producer_rejected_count(const struct item_producer *p);

/*
 * Item delivery reports with an error since start, one per item (a failed request of n
 * items counts n), whatever became of the item: produced again by a later poll, spooled at
 * shutdown or settled as refused for good. p borrowed. Called on the polling thread only.
 */
uint64_t item_producer_delivery_errors(const struct item_producer *p);

/*
 * Wait up to timeout_ms for every queued message, then try the remaining seen-marks once.
 * Messages still queued are purged and spooled (or counted as lost); out (may be NULL)
 * receives the counts. Returns 0 when nothing was lost, ERR_RETRY when messages were lost
 * (logged with their count).
 */
int item_producer_flush(struct item_producer *p, int64_t timeout_ms,
                        struct item_producer_leftovers *out);

#endif
