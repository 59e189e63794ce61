/*
 * The collector's event loop: one libcurl multi handle (curl_multi_poll) fetches every
 * enabled feed source on its interval (the first poll at start), with conditional GET
 * (validators in Redis), gzip/deflate, redirects, timeouts, a body cap, per-host and total
 * concurrency limits, and exponential backoff with jitter after failures. Each 200 body is
 * parsed and ingested; the source's health record is written to Redis after every poll.
 * Kafka delivery reports are served from the same loop.
 */
#ifndef YQ_POLLER_H
#define YQ_POLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "collector_cfg.h"
#include "item_producer.h"
#include "store.h"

struct poller;

/*
 * A poller over cfg's feed sources (cfg, store and producer borrowed; they must outlive the
 * poller, and the producer must be freed before the poller: it holds delivery tallies).
 * Sources of kinds not supported yet are skipped with a warning; disabled ones silently.
 * Returns a new poller (poller_free()) or NULL with one line in errbuf.
 */
struct poller *poller_new(const struct collector_config *cfg, struct store *store,
                          struct item_producer *producer, char *errbuf, size_t errlen);
void poller_free(struct poller *p);

/*
 * Run until yq_proc_stop is set, or, when once, until every source was polled once. Then
 * flush Kafka for cfg->kafka.flush_timeout_ms and write the validators that waited for
 * delivery. Returns 0, ERR_RETRY (messages remained undelivered) or ERR_NOMEM.
 */
int poller_run(struct poller *p, bool once);

/* Number of sources this poller fetches. */
size_t poller_source_count(const struct poller *p);

/*
 * Backoff before the next poll after failures consecutive failures: interval_ms doubled per
 * failure beyond the first, capped at max_ms (never below interval_ms), with jitter drawn
 * from *rng into the upper half ([d/2, d]). Exposed for tests.
 */
int64_t poller_backoff_ms(int64_t interval_ms, int64_t max_ms, int64_t failures, uint64_t *rng);

#endif
