/*
 * Shared by matcher.c (lifecycle, hot reload, batches, the run loop) and matcher_status.c
 * (rule-version confirmation, dependency state, rebalances, /metrics and /healthz).
 * Not a public interface: everything here runs in the matcher's thread.
 */
#ifndef MATCHER_INTERNAL_H
#define MATCHER_INTERNAL_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "match.h"
#include "matcher.h"
#include "matcher_metrics.h"
#include "yq_metrics_http.h"
#include "norm.h"
#include "rules.h"
#include "rules_loader.h"
#include "rules_store.h"
#include "yq_health.h"
#include "yq_redis.h"

/*
 * PENDING_REJECTED: Kafka refused this one message for good (too large, invalid record):
 * it is logged and counted, and its item settled like a delivered one (issue #10).
 */
enum pending_state { PENDING_IN_FLIGHT, PENDING_DELIVERED, PENDING_FAILED, PENDING_REJECTED };

/* One alert of the current batch, kept until Kafka reports it delivered or refused. */
struct pending {
    char *payload;
    size_t len;
    char *key;
    char *item_id;
    enum pending_state state;
    rd_kafka_resp_err_t err;
    char reason[256]; /* the delivery report's error string (the broker's reason) */
};

/*
 * One consumed item of the current batch while it is matched (matcher.c, issue #16: the
 * batch's near-duplicate lookups share one Redis round trip).
 */
struct matcher_slot {
    struct yq_item item;     /* decoded (when decoded) */
    struct match_result mr;  /* its rules (when decoded) */
    struct yq_alert alert;   /* built when alerting */
    bool decoded, alerting;
    bool ask_redis;          /* its event is assigned in Redis (it matched a rule) */
    bool join_only;          /* a repost that matched no rule: it alerts only when Redis
                                puts it into its original's event (event_request) */
    uint64_t simhash;
    size_t n_features;
    struct event_assignment ea; /* Redis's answer when ea_rc is 0 */
    int ea_rc;                  /* event_assign_batch()'s rcs[] for it */
};

struct matcher {
    const struct matcher_cfg *cfg;
    struct yq_redis *redis;
    redisContext *sub;       /* pub/sub connection for yuqing:rules:changed, or NULL */
    int64_t sub_retry_at_ms; /* monotonic */
    struct rule_set *rules;  /* in use; NULL until one was loaded */
    /* issue #16: a new version is read and compiled by the loader's thread, on a Redis
       connection of its own, while this thread keeps matching with rules */
    struct rules_loader *loader;
    struct yq_redis *load_redis;
    struct match_scratch *scratch;
    struct norm_text simhash_buf;
    int64_t event_backoff_ms;     /* grows while event assignment fails (Redis down) */
    int64_t events_down_since_ms; /* monotonic start of an outage; 0 while Redis answers */
    bool events_fallback_logged;
    /* the pointers (rules_store.h: version and epoch) of the set in use ({0, ""} for none),
       of the load in progress, and of the last set that could not be loaded (logged once;
       version -1 after a bad pointer was logged); a set Redis numbered like the one in use
       after losing its data has another epoch, so it is loaded */
    struct rules_pointer in_use, loading, failed;
    uint64_t n_rules_loads; /* loads started (one per change of the pointer) */
    /* Redis was down or had no current version since the set in use was loaded, or the set
       came from the cache (whose epoch is unknown): a store written by older pushes (no
       epoch) may number a new push like an old one, so the next version is loaded again even
       when its pointer is the one in use (or the one that failed) */
    bool rules_recheck;
    int64_t next_check_ms;    /* monotonic time of the next yuqing:rules:current check */
    int64_t check_backoff_ms; /* grows while Redis is down */
    bool cache_tried;
    bool waiting_logged;
    /* rule-version confirmation (issue #10): see rules_unverified() */
    bool rules_confirmed;      /* the last check confirmed the version in use */
    int64_t confirmed_mono_ms; /* monotonic time of the last confirmation */
    int64_t confirmed_at;      /* the same, seconds since the epoch; 0 = never */
    /* health and /metrics */
    struct yq_metrics_http *http;          /* NULL when matcher.metrics_address is empty */
    int64_t next_status_ms;             /* monotonic time of the next publication */
    struct yq_kafka_probe *kafka_probe; /* Kafka's state (yq_health.h), with the endpoint */
    enum yq_dep_state redis_state;      /* from the last Redis command; unknown before */
    uint64_t n_consume_errors, n_delivery_errors, n_commit_errors;
    uint64_t n_assignments, n_revocations, n_rules_rejected;
    uint64_t n_alerts_rejected; /* alerts Kafka refused for good (their items settled) */
    /* progress (issue #10): see matcher_stuck() */
    int64_t unsettled_since_ms; /* monotonic start of the batch not committed yet; 0 = none */
    bool left_group;            /* max.poll.interval.ms exceeded; cleared at an assignment */
    rd_kafka_t *producer;
    rd_kafka_t *consumer;
    rd_kafka_message_t **batch;
    /* batch_size slots each: the batch being matched and its event lookups */
    struct matcher_slot *slots;
    struct event_request *event_reqs;
    struct event_assignment *event_out;
    int *event_rcs;
    struct pending *pending;
    size_t n_pending;
    uint64_t n_items, n_alerts, n_malformed, n_excluded, n_event_retries;
    uint64_t n_event_fallbacks; /* alerts that kept the item's own event: no answer from Redis */
};

/*
 * Whether an alert made now must say rules_unverified: the last check of
 * yuqing:rules:current did not confirm the version in use (Redis unreachable, no or a bad
 * pointer, a newer set not loaded yet), or the last confirmation is older than
 * matcher.rules_verify_max_age_ms (checks held up, e.g. by a long batch).
 */
bool matcher_rules_unverified(const struct matcher *m);

/*
 * The hot-reload step, at now_ms (monotonic milliseconds; yq_time_mono_ms(), tests pass
 * their own): switch to a set the loader finished, then, when the check is due, force is
 * set or a change was notified, read the pointer (yuqing:rules:current and
 * yuqing:rules:epoch in one round trip) and start loading the set it names unless it is the
 * one in use (or the one rejected). Never waits for a load.
 */
void matcher_rules_check(struct matcher *m, int64_t now_ms, bool force);

/*
 * Whether the matcher cannot make progress: a batch has been retried or waited for (alert
 * deliveries, Redis) for longer than matcher.stuck_after_ms, or the consumer left its group
 * (max.poll.interval.ms exceeded) and has not been assigned partitions since.
 */
bool matcher_stuck(const struct matcher *m);

/*
 * The outage clock of event assignment, once per batch after its lookups: n_asked items were
 * sent to Redis, n_lost of them got no reply (connection failure, timeout, Redis not
 * serving). now_ms: monotonic milliseconds (yq_time_mono_ms(); tests pass their own).
 * Records Redis up (n_lost 0) or down (matcher_set_redis()); only a batch Redis answered
 * whole ends an outage. Returns true while the batch must be held back and retried: the
 * outage started less than matcher.event_wait_ms ago (measured from its first failed
 * batch); false when the batch goes on (answered, nothing asked, or waited long enough:
 * its unanswered items get their own event). An error reply for one item is an answer:
 * that item falls back alone and holds nothing back.
 */
bool matcher_events_hold(struct matcher *m, size_t n_asked, size_t n_lost, int64_t now_ms);

/* Record whether Redis answered its last command (now_up); logs a change. */
void matcher_set_redis(struct matcher *m, bool now_up);

/*
 * The consumer's rebalance callback (yq_kafka_consumer_new_rb(); opaque = the matcher): logs
 * the partitions assigned or revoked and applies the change (eager or cooperative).
 */
void matcher_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t *parts, void *opaque);

/*
 * When due (about once a second, or at once after a rebalance or with m->next_status_ms 0):
 * render /metrics and /healthz from m and publish them. No-op without an HTTP endpoint.
 * Kafka's state comes from m->kafka_probe's own thread, so this never waits for Kafka, except
 * for a committed-offset query (up to 0.5 s) while a held partition has consumed nothing.
 */
void matcher_publish_status(struct matcher *m);

#endif
