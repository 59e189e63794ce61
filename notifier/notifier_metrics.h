/*
 * Counters of the notifier process, written by the consumer loop and read by the HTTP thread
 * for /metrics (Prometheus text). C11 atomics: relaxed increments and loads are enough, each
 * counter is independent.
 */
#ifndef NOTIFIER_METRICS_H
#define NOTIFIER_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yq_health.h"

/*
 * One dependency's state as the notifier's threads record it: up (YQ_DEP_UP 1, YQ_DEP_DOWN 0,
 * YQ_DEP_UNKNOWN -1) and since_ms, the wall-clock time (Unix ms) of its last change (the
 * start-up time for the first state). Written by one thread (notifier_dep_set()), read by any.
 */
struct notifier_dep {
    atomic_int up;
    atomic_llong since_ms;
};

struct notifier_metrics {
    atomic_llong alerts_consumed;  /* messages read from the alerts topic */
    atomic_llong alerts_malformed; /* skipped: not a valid alert (logged, committed) */
    atomic_llong alerts_rejected;  /* skipped: decoded but refused by the store (permanent) */
    atomic_llong tickets_created;  /* alerts that opened a new ticket */
    atomic_llong items_attached;   /* alerts that added an item to an existing ticket */
    atomic_llong alerts_duplicate; /* redelivered alerts that changed nothing */
    atomic_llong intake_retries;   /* store failures retried with backoff */
    atomic_llong commit_failures;  /* offset commits that failed (message will be redelivered) */
    atomic_llong notifications_delivered; /* outbox rows a channel accepted */
    atomic_llong notifications_retried;   /* transient failures (retried later) */
    atomic_llong notifications_failed;    /* permanent failures (see yuqingctl tickets outbox) */
    atomic_llong escalations;             /* 催办/督办 recorded */
    atomic_llong source_events_consumed;  /* messages read from the sources topic (issue #15) */
    atomic_llong source_events_malformed; /* skipped: not a valid source event (logged) */
    atomic_llong source_events_rejected;  /* skipped: refused by the store (logged) */
    atomic_llong blind_windows_opened;    /* source blind windows newly recorded open */
    /*
     * Dependency state for /healthz, yuqing_notifier_dependency_up (issue #10) and the web
     * UI's intake banner (notifier_health_deps()), 1 up, 0 down, -1 unknown (YQ_DEP_* of
     * yq_health.h), each with since when:
     * store_up falls to 0 when the intake of a batch fails, or when the store takes no write
     * (the write probe, notifier.c: at start-up and every 5 s without a batch; a full disk
     * refuses it), and rises when one commits (a batch or the probe);
     * worker_store_up likewise for the delivery worker's writes (escalation, outbox). They are
     * apart so that a worker round that succeeds (often writing nothing) does not say "up"
     * while the intake holds a batch it cannot store (notifier_store_up()); kafka_up is -1 until
     * the first probe is answered or not, falls when a metadata probe (every 5 s, 2 s while down)
     * gets no answer within 1 s, on ALL_BROKERS_DOWN or a failed offset commit, and rises on an
     * answered probe, a message, a partition EOF or a commit (notifier.c). Set with
     * notifier_dep_set().
     */
    struct notifier_dep store_up;
    struct notifier_dep worker_store_up;
    struct notifier_dep kafka_up;
    /*
     * 1 while this notifier runs the periodic pass (escalations, spikes, briefings): always on
     * SQLite; on PostgreSQL while it holds the leader lock (delivery.h, issue #16).
     */
    atomic_int leader;
    /*
     * Issue #16: fetch -> store latency of each alert intake recorded (its item's
     * stored_at_ms - fetched_at_ms, at least 0), a histogram in milliseconds: latency_ms[i]
     * counts the alerts with a latency at most NOTIFIER_LATENCY_BOUNDS_MS[i] and more than the
     * bound before (the last slot: more than every bound); /metrics writes it cumulative as
     * yuqing_notifier_intake_latency_ms (notifier_metrics_observe_latency()).
     */
    atomic_llong latency_ms[13];
    atomic_llong latency_sum_ms;
    atomic_llong latency_count;
};

/* The upper bounds (ms) of the latency histogram's slots but the last (which is +Inf). */
static const long long NOTIFIER_LATENCY_BOUNDS_MS[12] = {5,    10,   25,   50,    100,   250,
                                                         500,  1000, 2500, 10000, 30000, 60000};

/* Count one fetch -> store latency of ms milliseconds (negative counts as 0) on m (may be NULL). */
static inline void notifier_metrics_observe_latency(struct notifier_metrics *m, long long ms)
{
    size_t i = 0;

    if (!m) {
        return;
    }
    ms = ms < 0 ? 0 : ms;
    while (i < 12 && ms > NOTIFIER_LATENCY_BOUNDS_MS[i]) {
        i++;
    }
    atomic_fetch_add_explicit(&m->latency_ms[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_sum_ms, ms, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_count, 1, memory_order_relaxed);
}

/* Count one event: counter field of m (m may be NULL: counted nowhere). Thread-safe. */
#define NOTIFIER_METRICS_BUMP(m, field)                                                            \
    do {                                                                                           \
        if (m) {                                                                                   \
            atomic_fetch_add_explicit(&(m)->field, 1, memory_order_relaxed);                       \
        }                                                                                          \
    } while (0)

/*
 * Record that dependency dep (may be NULL: recorded nowhere) is up (non-zero) or down (0) as
 * of now_ms (wall-clock Unix ms); since_ms moves only when the state changes, and is written
 * before the state so that a reader seeing the new state sees its time. Returns the state
 * before (1, 0, -1; 0 for NULL). One writer per dependency; readers on any thread.
 */
static inline int notifier_dep_set(struct notifier_dep *dep, int up, int64_t now_ms)
{
    int was;

    if (!dep) {
        return 0;
    }
    up = up ? 1 : 0;
    was = atomic_load(&dep->up);
    if (was != up) {
        atomic_store(&dep->since_ms, (long long)now_ms);
        atomic_store(&dep->up, up);
    }
    return was;
}

/* Whether the store is up for /healthz: the intake's and the worker's last writes committed. */
static inline bool notifier_store_up(struct notifier_metrics *m)
{
    return atomic_load(&m->store_up.up) == 1 && atomic_load(&m->worker_store_up.up) == 1;
}

/*
 * The intake's dependencies as the flags above say, the one reading of them for /healthz and
 * /metrics (http_api.c, which also asks the store for a read) and for the web UI's intake
 * banner (web_notifier_ops.c): deps[0] "kafka" (kafka_up), deps[1] "store" (down while the
 * intake's or the worker's last write failed: notifier_store_up()); since_ms[i] the wall-clock
 * Unix ms since when dependency i is in its state (for a store down on both counts the earlier
 * fall; up: the later rise). m borrowed. Returns 2. Thread-safe.
 */
static inline size_t notifier_health_deps(struct notifier_metrics *m, struct yq_dep deps[2],
                                          int64_t since_ms[2])
{
    int k = atomic_load(&m->kafka_up.up);
    int s = atomic_load(&m->store_up.up), w = atomic_load(&m->worker_store_up.up);
    int64_t s_at = atomic_load(&m->store_up.since_ms);
    int64_t w_at = atomic_load(&m->worker_store_up.since_ms);

    deps[0].name = "kafka";
    deps[0].state = k < 0 ? YQ_DEP_UNKNOWN : k ? YQ_DEP_UP : YQ_DEP_DOWN;
    since_ms[0] = atomic_load(&m->kafka_up.since_ms);
    deps[1].name = "store";
    deps[1].state = s == 1 && w == 1 ? YQ_DEP_UP : YQ_DEP_DOWN;
    if (s != 1 && w != 1) {
        since_ms[1] = s_at < w_at ? s_at : w_at;
    } else if (s != 1 || w != 1) {
        since_ms[1] = s != 1 ? s_at : w_at;
    } else {
        since_ms[1] = s_at > w_at ? s_at : w_at;
    }
    return 2;
}

/*
 * Start-up state as of now_ms (wall-clock Unix ms): the store was opened (up), Kafka not
 * probed yet (unknown, -1: /healthz answers 503 until the consumer has reached a broker).
 * Call on zeroed counters.
 */
static inline void notifier_metrics_init(struct notifier_metrics *m, int64_t now_ms)
{
    atomic_init(&m->store_up.up, 1);
    atomic_init(&m->worker_store_up.up, 1);
    atomic_init(&m->kafka_up.up, -1);
    atomic_init(&m->store_up.since_ms, (long long)now_ms);
    atomic_init(&m->worker_store_up.since_ms, (long long)now_ms);
    atomic_init(&m->kafka_up.since_ms, (long long)now_ms);
}

#endif
