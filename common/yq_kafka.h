/*
 * Kafka helpers over librdkafka: configuration keys shared by every process, an idempotent
 * producer and a manual-commit consumer.
 */
#ifndef YQ_KAFKA_H
#define YQ_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yq_cfg.h"

/*
 * message.max.bytes of every yuqing producer (set explicitly by yq_kafka_producer_new_opts(),
 * which every producer goes through; librdkafka's and the brokers' default): the one number
 * that the item and alert sizes are bounded by (issue #10). Brokers must accept at least this
 * much.
 */
#define YQ_KAFKA_MESSAGE_MAX_BYTES 1000000

struct yq_kafka_cfg {
    char *bootstrap_servers; /* "host:port[,host:port]" */
    char *items_topic;       /* default "yuqing.items" */
    char *alerts_topic;      /* default "yuqing.alerts" */
    char *sources_topic;     /* default "yuqing.sources": blind windows (yq_source_event.h) */
    char *group_id;          /* consumer group of this process */
    int64_t flush_timeout_ms;
    int64_t fetch_wait_max_ms;
    int64_t session_timeout_ms;
};

/* Keys for a "kafka:" section; group_id default is set per process by the caller. */
extern const struct cfg_key yq_kafka_cfg_keys[];

/*
 * The configuration every librdkafka handle of the project starts from (producers,
 * consumers, the health probe of yq_health.h): bootstrap.servers from cfg, client.id
 * (client_id, NULL = "yuqing"; borrowed, copied) and librdkafka's log through yq_log.
 * Returns a new conf (rd_kafka_new() takes it, else rd_kafka_conf_destroy()) or NULL with one
 * line in errbuf (out of memory, a value librdkafka refuses).
 */
rd_kafka_conf_t *yq_kafka_base_conf(const struct yq_kafka_cfg *cfg, const char *client_id,
                                    char *errbuf, size_t errlen);

/*
 * A producer with enable.idempotence=true, acks=all, linger.ms=YQ_KAFKA_LINGER_MS.
 * dr_cb: delivery-report callback (rd_kafka_conf_set_dr_msg_cb), may be NULL; opaque is
 * passed to it through rd_kafka_opaque(). Returns a new handle (rd_kafka_destroy()) or NULL
 * with one line in errbuf.
 */
rd_kafka_t *yq_kafka_producer_new(const struct yq_kafka_cfg *cfg,
                                  void (*dr_cb)(rd_kafka_t *, const rd_kafka_message_t *,
                                                void *),
                                  void *opaque, char *errbuf, size_t errlen);

/*
 * linger.ms of yq_kafka_producer_new() (issue #16): 0, a lone message is sent at once instead
 * of waiting for others to share its request. Under load librdkafka still batches: what is
 * produced while requests are in flight (max.in.flight with idempotence: 5) goes in the
 * next one. A producer that flushes after each batch (the matcher) never lingers anyway.
 */
#define YQ_KAFKA_LINGER_MS 0

/* What a producer may set beyond the shared defaults; zeroed = yq_kafka_producer_new(). */
struct yq_kafka_producer_opts {
    const char *client_id; /* client.id (borrowed, copied by librdkafka); NULL = "yuqing" */
    int64_t linger_ms;     /* linger.ms, >= 0; 0 = YQ_KAFKA_LINGER_MS (send at once) */
    /* delivery-report callback (rd_kafka_conf_set_dr_msg_cb), may be NULL */
    void (*dr_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *);
    void *opaque;          /* passed to dr_cb through rd_kafka_opaque(); borrowed */
    /*
     * The topics this producer writes (NULL-terminated, borrowed; NULL = none named). Each is
     * made known to the producer at once, so its metadata is fetched while the process
     * starts: a topic first named by a produce call waits for librdkafka's 1 s topic scan
     * (measured on the mock cluster: the first delivery after an idle start 1,000 ms instead
     * of 1 ms). On a broker with auto.create.topics.enable (Kafka's default) a named topic
     * that does not exist is created at the producer's start rather than at its first
     * produce: name only topics the process writes on every run.
     */
    const char *const *topics;
};

/*
 * yq_kafka_producer_new() with opts (borrowed, not NULL): the same idempotent producer
 * (enable.idempotence=true, acks=all, message.timeout.ms=300000, message.max.bytes =
 * YQ_KAFKA_MESSAGE_MAX_BYTES, librdkafka's log through yq_log) with opts' client id, linger,
 * delivery callback and topics. Returns a new handle (rd_kafka_destroy()) or NULL with one line in
 * errbuf.
 */
rd_kafka_t *yq_kafka_producer_new_opts(const struct yq_kafka_cfg *cfg,
                                       const struct yq_kafka_producer_opts *opts, char *errbuf,
                                       size_t errlen);

/*
 * A consumer in group cfg->group_id subscribed to topic, with enable.auto.commit=false,
 * enable.auto.offset.store=false, auto.offset.reset=earliest and fetch.wait.max.ms from cfg
 * (the mock cluster answers an empty fetch only after it). Commit with
 * yq_kafka_commit_message() after the message's effects are durable.
 * Returns a new handle (rd_kafka_consumer_close() then rd_kafka_destroy()) or NULL.
 */
rd_kafka_t *yq_kafka_consumer_new(const struct yq_kafka_cfg *cfg, const char *topic,
                                  char *errbuf, size_t errlen);

/* A rebalance callback (rd_kafka_conf_set_rebalance_cb()); opaque is rd_kafka_opaque(). */
typedef void (*yq_kafka_rebalance_fn)(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                      rd_kafka_topic_partition_list_t *partitions, void *opaque);

/*
 * yq_kafka_consumer_new() with a rebalance callback: rebalance_cb (may be NULL = librdkafka's
 * default assignment) must itself apply the change (rd_kafka_assign() / rd_kafka_incremental_
 * assign() for ASSIGN, the unassign counterparts for REVOKE). opaque (borrowed, may be NULL) is
 * passed to it. Same result and ownership as yq_kafka_consumer_new().
 */
rd_kafka_t *yq_kafka_consumer_new_rb(const struct yq_kafka_cfg *cfg, const char *topic,
                                     yq_kafka_rebalance_fn rebalance_cb, void *opaque,
                                     char *errbuf, size_t errlen);

/*
 * Apply a rebalance inside a rebalance callback: take parts (assign true) or give them up
 * (assign false), incrementally under the COOPERATIVE protocol, as the whole assignment
 * otherwise. parts is borrowed. Returns 0, or ERR_RETRY when librdkafka refused the change
 * (logged as "cannot apply rebalance").
 */
int yq_kafka_rebalance_apply(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts,
                             bool assign);

/* The most topics one consumer subscribes to (yq_kafka_consumer_new_topics()). */
#define YQ_KAFKA_MAX_TOPICS 16

/*
 * yq_kafka_consumer_new_rb() subscribed to n_topics topics (1..YQ_KAFKA_MAX_TOPICS; borrowed
 * NUL-terminated names) in one group, e.g. the archiver on the items and alerts topics.
 * Messages of every topic come from the one consumer; commit each message's own partition.
 * Same configuration, result and ownership as yq_kafka_consumer_new().
 */
rd_kafka_t *yq_kafka_consumer_new_topics(const struct yq_kafka_cfg *cfg,
                                         const char *const *topics, size_t n_topics,
                                         yq_kafka_rebalance_fn rebalance_cb, void *opaque,
                                         char *errbuf, size_t errlen);

/*
 * How yq_kafka_take_batch() takes messages. Zeroed: from the consumer, consume errors
 * destroyed and skipped.
 * poll:     NULL = rd_kafka_consumer_poll(consumer, timeout_ms); a test passes a queue of its
 *           own. Returns a new message (rd_kafka_message_destroy()) or NULL when none came.
 * on_error: a message with err set (partition end, consume error) is handed to it (takes
 *           ownership: it handles and destroys it); returns true to end the batch there.
 *           NULL = destroyed and skipped.
 * ctx:      passed to both (borrowed).
 */
struct yq_kafka_take {
    rd_kafka_message_t *(*poll)(void *ctx, int timeout_ms);
    bool (*on_error)(void *ctx, rd_kafka_message_t *msg);
    void *ctx;
};

/*
 * Take up to max messages as one batch (issue #16: a lone message is not held back waiting
 * for a batch to fill): the first poll waits up to first_wait_ms (the loop's idle wait);
 * each later one up to next_wait_ms, normally 0: only what is already in the consumer's
 * local queue (librdkafka prefetches), so under load a batch fills from what has queued up,
 * and a lone message goes on at once. Ends at max messages, at a poll that returned nothing,
 * when on_error says so, or once *stop is set (checked after each message).
 * take may be NULL (zeroed); consumer may be NULL when take->poll is set. out: max slots of
 * caller storage; the messages (new: rd_kafka_message_destroy() each) in the order polled.
 * Returns how many messages out holds (0..max). Same thread as the consumer's polls.
 */
size_t yq_kafka_take_batch(rd_kafka_t *consumer, const struct yq_kafka_take *take,
                           int64_t first_wait_ms, int64_t next_wait_ms, size_t max,
                           volatile sig_atomic_t *stop, rd_kafka_message_t **out);

/*
 * Synchronously commit offset msg->offset + 1 for msg's partition.
 * Returns 0 or ERR_RETRY (the commit failed; the message will be redelivered).
 */
int yq_kafka_commit_message(rd_kafka_t *consumer, const rd_kafka_message_t *msg);

/*
 * Whether err, of a produce call or of a message's delivery report, refuses that one message
 * for good (too large for the producer's or the broker's message.max.bytes, an invalid or
 * corrupt record, an invalid argument): producing it again can never succeed, so the caller
 * settles it (logs, counts, drops it) rather than retrying it for ever (issue #10). Anything
 * else (queue full, broker down, timeouts, leader changes, authorisation being fixed) is worth
 * a retry. Thread-safe.
 */
bool yq_kafka_err_permanent(rd_kafka_resp_err_t err);

/*
 * Flush producer for up to timeout_ms. Returns 0 when the out-queue is empty, otherwise
 * ERR_RETRY and logs how many messages are still queued.
 */
int yq_kafka_flush(rd_kafka_t *producer, int64_t timeout_ms);

#endif
