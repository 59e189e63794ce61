/*
 * The collector's event loop: one libcurl multi handle (curl_multi_poll) polls every
 * enabled source of this shard on its interval (the first poll at start): feeds with
 * conditional GET (validators in Redis), Weibo through a cycle of page and long-text
 * requests (poller_weibo.c). gzip/deflate, redirects, timeouts, a body cap, per-host and
 * total concurrency limits, exponential backoff with jitter after failures (at least 2x the
 * interval when rate limited or blocked; a longer Retry-After is honoured up to the backoff's
 * ceiling). Each poll ends in a source state (source_state.h)
 * written to the health record in Redis; a change into a failure state or into staleness is
 * alerted once (one log line), not once per poll. Kafka delivery reports are served from the
 * same loop, and /metrics and /healthz are republished about once a second.
 *
 * Issue #10: sources start most overdue first (a min-heap by due time, not list order); the
 * per-host limit is keyed by scheme+host+port; a transfer running collector.host_slot_ms
 * frees its host slot; feed bodies are parsed on collector.parse_threads worker threads (the
 * ingest stays on the loop, at most POLLER_INGEST_ENTRIES_PER_PASS entries per loop pass),
 * with back-pressure at collector.parse_queue_bytes; time comes
 * from poller_opts.clock so tests can run on a virtual clock.
 */
#ifndef YQ_POLLER_H
#define YQ_POLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "collector_cfg.h"
#include "item_producer.h"
#include "yq_buf.h"
#include "store.h"

struct poller;
struct yq_metrics_http;

/*
 * The poller's clock: monotonic milliseconds (any origin) for due times, backoff and the
 * host-slot bound. now_ms NULL = CLOCK_MONOTONIC (yq_time_mono_ms()). Tests inject a
 * virtual clock so that no assertion depends on how busy the machine is. Called from the
 * event loop's thread only; arg is borrowed and passed back unchanged.
 */
struct poller_clock {
    int64_t (*now_ms)(void *arg);
    void *arg;
};

/*
 * Test hook: called on the parse worker thread with the source id (borrowed) just before a
 * feed body is parsed; it may block (the event loop keeps polling meanwhile). NULL = none.
 */
typedef void (*poller_parse_hook_fn)(const char *source_id, void *arg);

/*
 * Test hook: called on the event loop's thread after each chunk of a parsed body was ingested,
 * with the source id (borrowed) and the entries the chunk took. NULL = none.
 */
typedef void (*poller_ingest_hook_fn)(const char *source_id, size_t entries, void *arg);

/*
 * The most entries ingested per loop pass, over all sources. Ingest costs about 0.3 ms per
 * entry (seen-check, build, encode, produce; a feed of 100,000 entries held the loop ~33 s,
 * its other transfers running past their timeouts): 1000 keep a pass near 0.3 s, so every
 * transfer is driven a few times a second. The rest of a feed waits, in order, for the next
 * passes; nothing is dropped.
 */
#define POLLER_INGEST_ENTRIES_PER_PASS 1000

struct poller_opts {
    unsigned shard_index;          /* --shard i/n: this process polls the sources whose */
    unsigned shard_count;          /* FNV-1a(id) % n == i; count 0 or 1 = all sources */
    struct yq_metrics_http *metrics; /* published about once a second; NULL = none */
    struct poller_clock clock;     /* zeroed = CLOCK_MONOTONIC */
    poller_parse_hook_fn parse_hook; /* tests only; NULL = none */
    void *parse_hook_arg;
    poller_ingest_hook_fn ingest_hook; /* tests only; NULL = none */
    void *ingest_hook_arg;
    /*
     * Kafka's state for /healthz and /metrics (yq_health.h): 1 up, 0 down, -1 unknown.
     * NULL = not known (reported as "unknown", which is not healthy). Borrowed; called
     * from the event loop's thread.
     */
    int (*kafka_state)(void *arg);
    void *kafka_state_arg;
};

/* Counters for tests and benchmarks (also in /metrics). */
struct poller_stats {
    int64_t cycles;          /* poll cycles started */
    int64_t polls;           /* poll cycles finished (ok or failed) */
    int64_t requests;        /* HTTP transfers finished */
    int64_t lag_max_ms;      /* worst delay between a source being due and its start */
    int64_t lag_sum_ms;      /* (poller clock ms) */
    int64_t slots_released;  /* transfers that outlived collector.host_slot_ms */
    int64_t parsed;          /* feed bodies parsed by the worker */
    int64_t passes;          /* event loop passes (curl_multi_perform calls) */
};

/*
 * A poller over cfg's enabled sources of this shard (cfg, store and producer borrowed; they
 * must outlive the poller, and the producer must be freed before the poller: it holds
 * delivery tallies). opts may be NULL. Returns a new poller (poller_free()) or NULL with one
 * line in errbuf.
 */
struct poller *poller_new(const struct collector_config *cfg, struct store *store,
                          struct item_producer *producer, const struct poller_opts *opts,
                          char *errbuf, size_t errlen);
void poller_free(struct poller *p);

/*
 * Polls finished so far by source id (NUL-terminated, borrowed): successful or failed
 * cycles. -1 when no such source is polled here. Event loop's thread (or after run).
 */
int64_t poller_source_polls(const struct poller *p, const char *id);

/*
 * The earliest time (the poller's clock, ms) at which a source that is not polling now is due,
 * or INT64_MAX when every source is polling (or there is none). Call it on the polling thread
 * (a test's clock callback): it reads the sources' schedule unlocked.
 */
int64_t poller_next_due_ms(const struct poller *p);

/* Counters so far (borrowed view). */
const struct poller_stats *poller_get_stats(const struct poller *p);

/*
 * Render the Prometheus text of the poller's state into out (bounded buffer owned by the
 * caller). Returns 0, ERR_TOO_BIG or ERR_NOMEM.
 */
int poller_render_metrics(const struct poller *p, struct yq_buf *out);

/*
 * Parse "--shard" argument "i/n" (0 <= i < n <= 1024) into opts. Returns 0 or ERR_INVALID.
 */
int poller_parse_shard(const char *arg, struct poller_opts *opts);

/* True when source id belongs to shard index of count (FNV-1a 32-bit of the id, mod count). */
bool poller_in_shard(const char *id, unsigned index, unsigned count);

/*
 * Close the blind windows of the sources this poller (its shard) does not poll, at now (UTC
 * seconds): each disabled source of the config, and each source id with a health hash in
 * Redis (bounded SCAN, store_source_ids()) that the config no longer has, through
 * source_run_retire() (detail YQ_SOURCE_EVENT_RETIRED "信息源已停用" / "信息源已从配置中删除").
 * poller_run() calls it at its start, again each loop pass while Redis is down. Returns
 * the number of windows closed (>= 0) or ERR_RETRY / ERR_NOMEM. Event loop's thread.
 */
int poller_retire_sources(struct poller *p, int64_t now);

/*
 * Run until yq_proc_stop is set, or, when once, until every source was polled once. Then
 * stop polling, flush Kafka for cfg->kafka.flush_timeout_ms, spool what remains (FC-020) and
 * write the validators that waited for delivery. left (may be NULL) receives the leftovers.
 * Returns 0, ERR_RETRY (messages were lost: neither delivered nor spooled) or ERR_NOMEM.
 */
int poller_run(struct poller *p, bool once, struct item_producer_leftovers *left);

/* Number of sources this poller fetches. */
size_t poller_source_count(const struct poller *p);

#endif
