/*
 * Counters of the notifier process, written by the consumer loop and read by the HTTP thread
 * for /metrics (Prometheus text). C11 atomics: relaxed increments and loads are enough, each
 * counter is independent.
 */
#ifndef NOTIFIER_METRICS_H
#define NOTIFIER_METRICS_H

#include <stdatomic.h>

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
     * Dependency state for /healthz and yuqing_notifier_dependency_up (issue #10), 1 up,
     * 0 down, -1 unknown (YQ_DEP_* of yq_health.h):
     * store_up falls to 0 when a store write or commit fails (intake, escalation, outbox) and
     * rises when one succeeds; kafka_up is -1 until the first probe is answered or not, falls
     * when a metadata probe (every 5 s, 2 s while down) gets no answer within 1 s, on
     * ALL_BROKERS_DOWN or a failed offset commit, and rises on an answered probe, a message,
     * a partition EOF or a commit (notifier.c). Set with notifier_dep_set().
     */
    atomic_int store_up;
    atomic_int kafka_up;
    /*
     * 1 while this notifier runs the periodic pass (escalations, spikes, briefings): always on
     * SQLite; on PostgreSQL while it holds the leader lock (delivery.h, issue #16).
     */
    atomic_int leader;
};

/* Count one event: counter field of m (m may be NULL: counted nowhere). Thread-safe. */
#define NOTIFIER_METRICS_BUMP(m, field)                                                            \
    do {                                                                                           \
        if (m) {                                                                                   \
            atomic_fetch_add_explicit(&(m)->field, 1, memory_order_relaxed);                       \
        }                                                                                          \
    } while (0)

/* Record the state of one dependency (m may be NULL). Thread-safe. */
static inline void notifier_dep_set(atomic_int *dep, int up)
{
    if (dep) {
        atomic_store_explicit(dep, up ? 1 : 0, memory_order_relaxed);
    }
}

/*
 * Start-up state: the store was opened (up), Kafka not probed yet (unknown, -1: /healthz
 * answers 503 until the consumer has reached a broker). Call on zeroed counters.
 */
static inline void notifier_metrics_init(struct notifier_metrics *m)
{
    atomic_init(&m->store_up, 1);
    atomic_init(&m->kafka_up, -1);
}

#endif
