/*
 * The matcher's observable state as documents (issue #10): the /metrics text and the
 * /healthz JSON, rendered from a snapshot; common/yq_metrics_http serves them.
 */
#ifndef MATCHER_METRICS_H
#define MATCHER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yq_health.h"

/* One assigned partition of the items topic, as seen by the consumer. */
struct matcher_partition_status {
    const char *topic; /* NUL-terminated, borrowed */
    int32_t partition;
    int64_t position;       /* next offset the matcher will consume; < 0 = unknown */
    int64_t high_watermark; /* offset after the partition's last message; < 0 = unknown */
};

/*
 * A snapshot of the matcher for /metrics and /healthz. Counters count since start.
 * Filled by the matcher loop; the render functions only read it.
 */
struct matcher_status {
    uint64_t items;           /* messages consumed (including malformed ones) */
    uint64_t alerts;          /* alerts delivered (their items committed) */
    uint64_t malformed;       /* items that did not decode (skipped) */
    uint64_t excluded;        /* items dropped by an exclusion rule */
    uint64_t consume_errors;  /* consumer errors other than partition EOF */
    uint64_t delivery_errors; /* alert produce / delivery failures (each retried) */
    uint64_t commit_errors;   /* failed offset commits (the batch is matched again) */
    uint64_t batch_retries;   /* batches held back for Redis (event assignment) */
    uint64_t event_fallbacks; /* alerts given the item's own event: no answer from Redis */
    uint64_t assignments;     /* rebalances that assigned partitions */
    uint64_t revocations;     /* rebalances that revoked partitions */
    int64_t rules_version;    /* rule set in use, 0 = none */
    uint64_t rules_skipped;   /* entries of that set left out on decode (rule_set.skipped) */
    uint64_t rules_rejected;  /* pushed versions that did not load (the set in use kept) */
    uint64_t alerts_rejected; /* alerts Kafka refused for good (too large...; items settled) */
    bool stuck;               /* no progress: matcher_stuck() (matcher_internal.h) */
    int64_t rules_checked_at; /* last confirmation with Redis, seconds since the epoch; 0 = never */
    bool rules_unverified;    /* what an alert made now would carry (yq_alert.h) */
    enum yq_dep_state kafka;  /* yq_health.h: unknown until the first probe answered */
    enum yq_dep_state redis;  /* unknown until the first command */
    size_t n_partitions;
    const struct matcher_partition_status *partitions; /* n_partitions, borrowed */
};

/* The largest /metrics document the matcher renders (about 150 bytes per held partition). */
#define MATCHER_METRICS_MAX_BYTES ((size_t)4 << 20)

/*
 * Render st (borrowed) as Prometheus text (names yuqing_matcher_*, docs/operations.md)
 * through the common writer (yq_metrics_http.h), topic labels escaped.
 * The lag of a partition is high_watermark - position, written only when both are known.
 * out: new NUL-terminated text (free()), *out_len its length. Returns 0, ERR_TOO_BIG (more
 * than MATCHER_METRICS_MAX_BYTES) or ERR_NOMEM.
 */
int matcher_status_metrics(const struct matcher_status *st, char **out, size_t *out_len);

/*
 * Render st (borrowed) as the /healthz JSON document of common/yq_health.h with the
 * matcher's progress:
 *   {"status":"ok","progress":"ok","dependencies":{"kafka":"up","redis":"up"}}
 * or "status":"down" with each dependency "up", "down" or "unknown", and "progress":"stuck"
 * (then "status":"down" too) while st->stuck. *healthy: true when every dependency is up
 * and the matcher is not stuck. out: new NUL-terminated text (free()). Returns 0 or ERR_NOMEM.
 */
int matcher_status_health(const struct matcher_status *st, char **out, size_t *out_len,
                          bool *healthy);

#endif
