/*
 * The delivery worker: a thread of the notifier process with its own SQLite connection that
 * every notify.poll_interval_ms sends the due outbox rows (outbox.h) through their channels
 * (channel.h) and every notify.escalation_interval_ms records newly reached 催办/督办 stages
 * (ticket_flow_escalate()).
 *
 * Per row: an unknown channel fails it; in quiet hours a row waits until they end (urgent
 * rows too when notify.quiet_hours_urgent), without counting an attempt; each channel is paced
 * to its rate limit in this process; then the answer decides:
 *   delivered        -> delivered
 *   retry_later      -> pending, next attempt after retry_initial_ms * 2^attempts (capped at
 *                       retry_max_ms); a robot's rate-limit answer also pauses that channel
 *   too_long         -> pending, due now, with the length limit halved (at most 6 times)
 *   permanent_config -> failed; one ERR log line per channel ("check key, secret, clock")
 *   permanent        -> failed
 * Delivery is at least once: a crash between the robot's answer and the commit of "delivered"
 * sends that row again on restart (its text carries the ticket number; webhooks and e-mail
 * carry the idempotency key). Nothing else sends a row twice.
 *
 * Several notifiers on one PostgreSQL store (issue #16): each round claims its rows
 * (outbox_claim(): FOR UPDATE SKIP LOCKED and a lease of OUTBOX_CLAIM_LEASE_S), so each row
 * is sent by one notifier (again by another only after a crash, at least once as above), and
 * only the leader (delivery_is_leader()) runs the escalation pass, so a 催办/督办 fires once.
 *
 * The clock is injectable (delivery_set_clock) so tests can run rounds at chosen instants.
 */
#ifndef NOTIFIER_DELIVERY_H
#define NOTIFIER_DELIVERY_H

#include <stdbool.h>
#include <stdint.h>

#include "notifier_metrics.h"
#include "notify_cfg.h"
#include "ticket_store.h"

struct delivery;

/* A clock in milliseconds since the epoch, UTC. */
typedef int64_t (*delivery_clock_fn)(void *ctx);

struct delivery_stats {
    int delivered;
    int retried;
    int failed;
    int deferred; /* quiet hours or pacing */
    int escalations;
};

/*
 * Open a writable connection to the existing store of store_cfg (never created here:
 * ticket_store_open(); ":memory:" works only for a store no one else uses) with policy
 * (borrowed; its routes must be set to deliver anything) and prepare the per-channel state.
 * cfg, store_cfg, policy: borrowed, must outlive the worker.
 * metrics: borrowed, may be NULL; the worker sets metrics->worker_store_up after each
 * escalation and outbox write (0 when it failed, 1 when it committed).
 * Returns a new worker (delivery_free()) or NULL with one line in errbuf.
 * curl_global_init() must have run.
 */
struct delivery *delivery_new(const struct notify_cfg *cfg,
                              const struct ticket_store_cfg *store_cfg,
                              const struct ticket_policy *policy, struct notifier_metrics *metrics,
                              char *errbuf, size_t errlen);

/* Use fn(ctx) instead of the wall clock (tests). Call before delivery_start(). */
void delivery_set_clock(struct delivery *d, delivery_clock_fn fn, void *ctx);

/*
 * One round now: escalation when its interval has passed (always on the first round), then
 * up to notify.batch due rows. stats (may be NULL) gets this round's counts.
 * Returns 0, or the store's error (ERR_RETRY, ERR_IO, ERR_NOMEM) after logging it.
 */
int delivery_run_once(struct delivery *d, struct delivery_stats *stats);

/*
 * Whether this worker runs the periodic pass (escalation, 研判 reminders, spike scans,
 * briefings): always on SQLite; on PostgreSQL while it holds the session advisory lock
 * YQ_DB_LEADER_LOCK_KEY (combined with a hash of the store's schema, so that two stores in one
 * database have two leaders) on its own connection, checked and taken at the start of each round
 * (so one of several notifiers on one store leads, and another takes over within a round of
 * its end). Mirrored in metrics->leader.
 */
bool delivery_is_leader(const struct delivery *d);

/* The name of this worker's outbox claims ("host:pid:start_ms:seq"; borrowed). */
const char *delivery_owner(const struct delivery *d);

/* The worker's store handle (borrowed), e.g. for tests. */
struct ticket_store *delivery_store(struct delivery *d);

/* Start the thread running rounds every poll_interval_ms. Returns 0 or ERR_NOMEM. */
int delivery_start(struct delivery *d);

/* Stop and join the thread (if started), close the store, free. NULL is a no-op. */
void delivery_free(struct delivery *d);

#endif
