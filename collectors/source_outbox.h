/*
 * The collector's source events on their way to Kafka (issue #15): each blind window opened
 * or closed (yq_source_event.h) is produced to kafka.sources_topic, key = source_id, through
 * the item producer's rd_kafka handle (item_producer.c hands the delivery reports of these
 * messages here). A window is never lost silently:
 *   - before it is produced, the event is written to the source's outbox in Redis, the hash
 *     yuqing:source:<id>:blind_outbox (field "<open|close>:<reason>:<started_at>", value the
 *     event JSON), and deleted from it once Kafka reports delivery; a restarted collector
 *     produces what is left there again (source_outbox_resend(), at the source's first poll);
 *   - a message that librdkafka refuses or reports as failed stays in memory and is produced
 *     again every SOURCE_OUTBOX_RETRY_MS, at most SOURCE_OUTBOX_MAX_PENDING events at once,
 *     unless the refusal is for good (source_outbox_rejected(): logged, counted, dropped);
 *     past that an event lives in the Redis outbox only (logged), and when Redis is down too
 *     it is logged as lost (counted in item_producer's metrics).
 * Events are idempotent for the notifier (a window is named by source, reason and start), so
 * producing one twice is harmless. Not thread-safe: the event loop's thread.
 */
#ifndef YQ_SOURCE_OUTBOX_H
#define YQ_SOURCE_OUTBOX_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "yq_source_event.h"

#define SOURCE_OUTBOX_MAX_PENDING 1024 /* events held in memory until delivered */
#define SOURCE_OUTBOX_RETRY_MS 5000    /* a failed event is produced again after this */
#define SOURCE_OUTBOX_FIELD_MAX 96     /* "close:unpolled:<20 digits>" and NUL fit */
#define SOURCE_OUTBOX_RESEND_MAX 256   /* events read back per source at a start */

struct source_outbox;

/*
 * An outbox producing to topic (borrowed, must outlive it) through rk (borrowed; its
 * delivery reports for the outbox's messages must reach source_outbox_on_delivery()),
 * writing through store (borrowed). Returns a new outbox (source_outbox_free()) or NULL
 * (ERR_NOMEM).
 */
struct source_outbox *source_outbox_new(rd_kafka_t *rk, const char *topic, struct store *store);

/* Free the outbox and the events it still holds (they stay in Redis). NULL is a no-op. Call
 * after rd_kafka_destroy() of its handle (which may still report purged messages). */
void source_outbox_free(struct source_outbox *ob);

/*
 * Encode ev (borrowed), record it in the source's Redis outbox and produce it. Returns 0
 * (produced, or kept for a retry), ERR_INVALID (ev does not encode: no source_id, a close
 * ending before it starts) or ERR_NOMEM. A failure to record in Redis or to produce is not an
 * error to the caller: the event is retried (see above).
 */
int source_outbox_send(struct source_outbox *ob, const struct yq_source_event *ev);

/*
 * Produce again the events left in source_id's Redis outbox by an earlier run (once per
 * source and start). Returns the number of events produced or kept for a retry (>= 0), or
 * ERR_RETRY (Redis down: try again later).
 */
int source_outbox_resend(struct source_outbox *ob, const char *source_id);

/*
 * A delivery report of rk: when msg is one of the outbox's messages, handle it (delivered:
 * removed from the Redis outbox; failed: kept for a retry) and return true; false otherwise
 * (an item's report). msg borrowed.
 */
bool source_outbox_on_delivery(struct source_outbox *ob, const rd_kafka_message_t *msg);

/* Produce again the events whose retry is due at now_ms (monotonic ms). */
void source_outbox_poll(struct source_outbox *ob, int64_t now_ms);

/*
 * At shutdown, after the producer's flush: log the events still not delivered (those in
 * Redis go out at the next start; the others are counted as lost).
 */
void source_outbox_close(struct source_outbox *ob);

/* Events produced or waiting for a retry, not yet delivered. */
size_t source_outbox_pending(const struct source_outbox *ob);

/* Events delivered since the start. */
uint64_t source_outbox_delivered(const struct source_outbox *ob);

/* Events that could be kept neither in memory nor in Redis since the start (logged). */
uint64_t source_outbox_lost(const struct source_outbox *ob);

/*
 * Events Kafka refused for good since the start (yq_kafka_err_permanent(): too large for the
 * broker, an invalid record; at the produce call or in the delivery report): logged, dropped
 * from memory and from the Redis outbox, never retried.
 */
uint64_t source_outbox_rejected(const struct source_outbox *ob);

#endif
