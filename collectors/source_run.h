/*
 * One source's poll cycle as the source kinds drive it (source_kind.h): queue the next
 * request, end the cycle as a success or a failure (health record in Redis, one alert per
 * state change, staleness, backoff), the validators kept until the deliveries are in. Called
 * by poller.c and the kinds on the event loop's thread; calls nothing in poller.c.
 */
#ifndef YQ_SOURCE_RUN_H
#define YQ_SOURCE_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "poller_internal.h"

/* Now on the poller's clock (poller_opts.clock), in ms. */
int64_t source_run_now(const struct poller *p);

/* Queue a request of run r (url copied) to start as soon as the limits allow. Returns 0 or
 * ERR_NOMEM. */
int source_run_queue(struct source_run *r, const char *url, enum job_kind job);

/* End r's poll cycle as a success (res NULL: nothing ingested, e.g. 304) at http_status. */
void source_run_ok(struct source_run *r, long http_status, const struct ingest_result *res);

/* End r's poll cycle as a failure in state st with a one-line reason (borrowed). */
void source_run_fail(struct source_run *r, long http_status, enum source_state st,
                     const char *why);

/* End r's cycle without a result (shutdown): counted as a poll, the kind's state forgotten. */
void source_run_end(struct source_run *r);

/* An ingest context for r at fetched_at (UTC seconds). */
struct ingest_ctx source_run_ingest_ctx(struct source_run *r, int64_t fetched_at);

/*
 * The delay before a failed source's next attempt: delay_ms (source_run_backoff_ms()'s) or,
 * when longer, the response's Retry-After retry_after_ms (-1 = none), which is bounded by the
 * backoff's ceiling (max_ms, at least interval_ms, at least 2 x interval_ms when hard): a
 * server may slow a source down, never park it past backoff_max_ms. All in ms. Pure.
 */
int64_t source_run_retry_after(int64_t delay_ms, int64_t retry_after_ms, int64_t interval_ms,
                               int64_t max_ms, bool hard);

/* Forget the validators (ETag, Last-Modified) and the Retry-After of r's current response. */
void source_run_response_reset(struct source_run *r);

/*
 * The validators of r's fully ingested 200 (r->resp_etag/resp_last_modified, taken): stored
 * now, or once this source's deliveries are in (none failed); one the 200 lacks is deleted.
 */
void source_run_keep_validators(struct source_run *r);

/*
 * The validators a 304 carries (r->resp_etag/resp_last_modified, borrowed) replace the stored
 * ones they name (RFC 9111 §4.3.4; one absent from the 304 stays as stored), so the next
 * request sends the server's current ones. Nothing while a 200's validators wait for their
 * deliveries, or when the stored ones are not known (Redis was down).
 */
void source_run_refresh_validators(struct source_run *r);

/*
 * A feed's successful response reached through redirects that were all permanent (301/308):
 * new_url (borrowed; NULL = fetched where configured, or a temporary redirect on the way) is
 * written to the health hash as "moved_to" with one WARN line when it changes, and deleted
 * once the source is no longer moved. The configured url stays what is fetched: sources.yaml
 * is the operator's. Redis errors: tried again at the next poll.
 */
void source_run_note_moved(struct source_run *r, const char *new_url);

/*
 * r's stored validators for a conditional GET: *etag and *last_modified (borrowed from r,
 * valid until its next validator call; NULL = none). Read from Redis once, then known from
 * this process's own writes (the collector is the only writer of a source's validators;
 * issue #16: no HMGET per poll); a failed write makes the next call read Redis again.
 * Returns 0 or ERR_RETRY (Redis down: fetch without validators).
 */
int source_run_validators(struct source_run *r, const char **etag, const char **last_modified);

/* Free what source_run_validators() keeps (poller_free()). */
void source_run_forget_validators(struct source_run *r);

/* items_24h is refreshed at most this often per source (poller clock), besides the first
 * and the last (final settle) of the process (issue #16: three Redis calls each time). */
#define SOURCE_RUN_ITEMS_24H_EVERY_MS 10000

/*
 * Once r has no delivery pending: items_24h refreshed after deliveries (at most every
 * SOURCE_RUN_ITEMS_24H_EVERY_MS unless final: the last call, at shutdown or the end of a
 * --once run), the stashed validators stored unless a delivery failed (then the next poll
 * gets a 200).
 */
void source_run_settle(struct source_run *r, bool final);

/* Drop r's stashed validators. */
void source_run_clear_stash(struct source_run *r);

/*
 * A source that p does not poll (issue #15 review: a disabled or removed source stayed blind
 * for ever, since only a poll closes a window): its blind tracker is read from its health hash
 * yuqing:source:<source_id>; every window it holds open is closed at now (UTC seconds) with
 * detail why ("source disabled", "source removed"), each close sent as a source event on
 * kafka.sources_topic (source_outbox.h, so the notifier ends the window), and the blind fields
 * are deleted (a source enabled again starts afresh). cfg: the source's configuration when it
 * is disabled (its name, kind and department go into the events), NULL when it is no longer
 * in the config (its name and kind are read from the hash). Returns the number of windows
 * closed (>= 0; 0 also when the hash has no blind fields), ERR_RETRY (Redis down: nothing
 * done) or ERR_INVALID (never: more blind fields than one HMGET reads).
 */
int source_run_retire(struct poller *p, const char *source_id, const struct source_cfg *cfg,
                      const char *why, int64_t now);

/*
 * When a source whose poll succeeded at now_ms (the poller's clock, ms) is due again: the first instant
 * after now_ms + interval_ms / 2 that is phase_ms past a multiple of interval_ms, with
 * phase_ms = FNV-1a(id) mod interval_ms. Polls that keep their time come exactly interval_ms
 * apart; a late one is pulled back to its phase rather than shifting every later poll; and
 * sources polled together (every source at start) spread over the interval instead of
 * polling in one burst for ever (the way Prometheus spreads its scrape targets). The first
 * poll after start stays immediate; a poll that ends more than interval_ms / 2 after its phase
 * skips to the next one, so a server never sees a poll sooner than interval_ms / 2 after the
 * last one ended. interval_ms >= 1 (else now_ms); returns a time in
 * (now_ms + interval_ms / 2, now_ms + interval_ms * 3 / 2].
 */
int64_t source_run_next_due_ms(const char *id, int64_t interval_ms, int64_t now_ms);

/*
 * Backoff before the next poll after failures consecutive failures: interval_ms doubled per
 * failure beyond the first, capped at max_ms (never below interval_ms), with jitter drawn
 * from *rng into the upper half ([d/2, d]). hard (rate limited, blocked, login wall): the
 * delay is doubled once more and never below 2 × interval_ms, even after jitter (FC-005).
 * Exposed for tests.
 */
int64_t source_run_backoff_ms(int64_t interval_ms, int64_t max_ms, int64_t failures,
                              bool hard, uint64_t *rng);

#endif
