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
};

#endif
