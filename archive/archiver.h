/*
 * The archiver process, yuqing-archiver (design §8, §10; docs/archive.md): one consumer in
 * group yuqing-archiver on BOTH the items and the alerts topics, which stores every item
 * (matched or not) and every alert's match rows in the archive (archive.h) and commits the
 * offsets of a batch only after archive_put() returned 0 for it. A kill -9 re-delivers what
 * was not committed; the store's idempotence (one row per item id, per match) absorbs it.
 *
 * Config file (default config/archiver.yaml):
 *
 *   kafka:    yq_kafka_cfg_keys (group_id defaults to "yuqing-archiver")
 *   archive:
 *     dir: /var/lib/yuqing/archive   # REQUIRED: made once by `yuqingctl archive init DIR`;
 *                                    # a missing archive stops the start (exit 1)
 *     retention_days: 180            # month files older than this are deleted (archive_prune)
 *     batch_size: 500                # messages stored in one archive_put() and committed together
 *     batch_wait_ms: 1000            # a batch that is not full is stored this long after its
 *                                    # first message
 *     poll_timeout_ms: 100           # consumer poll wait
 *     retry_backoff_ms: 500          # first wait before a failed store is retried (doubles,
 *                                    # at most ARCHIVER_MAX_BACKOFF_MS)
 *     prune_interval_s: 3600         # how often retention runs (also once at start)
 *     stop_timeout_ms: 10000         # SIGTERM: how long a failing store is retried before the
 *                                    # batch is left uncommitted (re-delivered at the next start)
 *     log_level: info
 *     metrics_address: 127.0.0.1     # GET /metrics and /healthz; "" = off
 *     metrics_port: 9110
 *
 * The batch (struct archiver_batch) is the part of the loop that owns the reliability rule;
 * it has no Kafka in it so that tests drive it with any store (struct archiver_store).
 */
#ifndef ARCHIVER_H
#define ARCHIVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "archive.h"
#include "yq_alert.h"
#include "yq_cfg.h"
#include "yq_item.h"
#include "yq_kafka.h"
#include "yq_metrics_http.h"

#define ARCHIVER_DEFAULT_GROUP "yuqing-archiver"
#define ARCHIVER_MAX_BACKOFF_MS 30000 /* a failing store is retried at least this often */

struct archiver_opts {
    char *dir;                /* the archive's location (archive_open()) */
    int64_t retention_days;   /* ARCHIVE_DEFAULT_RETENTION_DAYS */
    int64_t batch_size;       /* messages per archive_put() */
    int64_t batch_wait_ms;    /* a partial batch is stored this long after its first message */
    int64_t poll_timeout_ms;
    int64_t retry_backoff_ms; /* first back-off after a failed store */
    int64_t prune_interval_s;
    int64_t stop_timeout_ms;  /* SIGTERM: retrying a failing store at most this long */
    char *log_level;
    struct yq_metrics_http_cfg metrics;
};

struct archiver_cfg {
    struct yq_kafka_cfg kafka;
    struct archiver_opts archive;
};

extern const struct cfg_key archiver_cfg_keys[];

/*
 * Fill cfg (caller storage) from the YAML file path (NULL: defaults only), then apply the
 * n_sets "dotted.key=value" overrides in sets (borrowed). Sets kafka.group_id to
 * ARCHIVER_DEFAULT_GROUP when not given. archive.dir is required (ERR_INVALID "key
 * 'archive.dir' is required"). Release with archiver_cfg_release() whatever the result.
 * Returns 0, ERR_NOT_FOUND, ERR_IO, ERR_PARSE, ERR_INVALID or ERR_NOMEM with one line in
 * errbuf ("FILE:LINE: ..." for the file).
 */
int archiver_cfg_load(const char *path, const char *const *sets, int n_sets,
                      struct archiver_cfg *cfg, char *errbuf, size_t errlen);

/* Print cfg (borrowed) as YAML for --print-config. */
void archiver_cfg_print(FILE *out, const struct archiver_cfg *cfg);

/* Free what cfg owns (cfg itself is caller storage). */
void archiver_cfg_release(struct archiver_cfg *cfg);

/*
 * What the archiver writes to: in production the archive at archive.dir (archive_put(),
 * archive_prune() on the handle in state); tests pass their own to make the store fail on
 * demand. put and prune have the contracts of their archive.h namesakes. check (may be NULL)
 * answers, cheaply and without writing, whether the store looks usable: 0, or an ERR_* code
 * (the production check: the archive's marker file is there and writable); it feeds /healthz
 * while no failed batch is held (a held batch keeps the store down until a put succeeds).
 */
struct archiver_store {
    void *state;
    int (*put)(void *state, const struct yq_item *const *items, size_t n_items,
               const struct yq_alert *const *alerts, size_t n_alerts,
               struct archive_put_result *res, char *errbuf, size_t errlen);
    int (*prune)(void *state, int64_t now_s, int64_t retention_days, size_t *n_removed,
                 char *errbuf, size_t errlen);
    int (*check)(void *state);
};

/* The two topics the archiver reads. */
enum archiver_topic {
    ARCHIVER_ITEMS = 0,
    ARCHIVER_ALERTS = 1,
};

/* The next offset to commit for one partition of one topic. */
struct archiver_offset {
    enum archiver_topic topic;
    int32_t partition;
    int64_t next; /* highest offset of the batch in this partition + 1 */
};

/*
 * One batch: up to cap messages of either topic, decoded. Every message added (malformed ones
 * too: they are skipped, never stored, but must not hold back the partition) advances its
 * partition's offset; the offsets are committed only after archiver_batch_store() returned 0.
 * All arrays are owned (archiver_batch_release()).
 */
struct archiver_batch {
    size_t cap;                   /* messages per batch (archive.batch_size) */
    size_t n_msgs;                /* messages added since the last clear, malformed included */
    struct yq_item *items;        /* cap entries; n_items decoded */
    const struct yq_item **item_ptrs;
    size_t n_items;
    struct yq_alert *alerts;      /* cap entries; n_alerts decoded */
    const struct yq_alert **alert_ptrs;
    size_t n_alerts;
    struct archiver_offset *offsets; /* cap entries; one per partition seen, n_offsets */
    size_t n_offsets;
    size_t n_malformed;           /* of the messages added since the last clear */
    int64_t first_ms;             /* when the first message was added (caller's clock) */
};

/* Storage for cap (>= 1) messages. Returns 0 or ERR_NOMEM (b then holds nothing to free). */
int archiver_batch_init(struct archiver_batch *b, size_t cap);

/* Free what b owns (b itself is caller storage). */
void archiver_batch_release(struct archiver_batch *b);

/* Forget the batch's messages and offsets (after a commit); keeps the storage. */
void archiver_batch_clear(struct archiver_batch *b);

/* Whether b holds cap messages. */
bool archiver_batch_full(const struct archiver_batch *b);

/*
 * Add one message of topic: partition, offset and len bytes of payload (borrowed; NULL with
 * len 0 is an empty message). now_ms: the caller's clock (monotonic ms), remembered for the
 * first message. The payload is decoded as an item (ARCHIVER_ITEMS) or an alert; a message
 * that does not decode is counted in b->n_malformed and skipped, its offset still advancing.
 * Returns 0 (stored in b), ERR_PARSE (skipped as malformed; why in errbuf), ERR_TOO_BIG (b is
 * full: nothing added) or ERR_NOMEM (nothing added; the caller retries the message later).
 */
int archiver_batch_add(struct archiver_batch *b, enum archiver_topic topic, int32_t partition,
                       int64_t offset, const void *payload, size_t len, int64_t now_ms,
                       char *errbuf, size_t errlen);

/*
 * Store b's items and alerts with one st->put() (none is called when b holds only malformed
 * messages). On 0 the caller may commit b->offsets; on an error b is unchanged (retry it).
 * res: may be NULL. Returns 0 or put's error (ERR_RETRY, ERR_IO, ERR_BAD_STATE, ERR_NOMEM),
 * one line in errbuf.
 */
int archiver_batch_store(struct archiver_batch *b, const struct archiver_store *st,
                         struct archive_put_result *res, char *errbuf, size_t errlen);

/*
 * Drop partition of topic from b's offsets (its partition was revoked: its new owner starts
 * from the committed offset, so this process must not commit it). The messages stay in b
 * (storing them again is harmless). Returns whether b had an offset for it.
 */
bool archiver_batch_forget(struct archiver_batch *b, enum archiver_topic topic,
                           int32_t partition);

struct archiver;

/*
 * An archiver for cfg (borrowed; must outlive it). store: NULL = open the archive at
 * cfg->archive.dir (ERR_NOT_FOUND there becomes "archive DIR not found: run yuqingctl archive
 * init DIR" in errbuf: never created implicitly, design §8); else borrowed, used as is.
 * Unless archive.metrics_address is empty, starts GET /metrics and /healthz with a Kafka
 * probe. The consumer is created by archiver_run(). Returns a new archiver (archiver_free())
 * or NULL with one line in errbuf.
 */
struct archiver *archiver_new(const struct archiver_cfg *cfg, const struct archiver_store *store,
                              char *errbuf, size_t errlen);

/*
 * Consume, batch, store and commit until *stop becomes non-zero; prune every
 * archive.prune_interval_s (the first time at once). A failed store keeps its batch: the
 * consumer's partitions are paused (the group membership stays alive), the batch is retried
 * after a growing back-off, and nothing past it is committed; /healthz names the store down.
 * On stop: the held batch is stored (retried up to archive.stop_timeout_ms), committed, the
 * consumer closed; returns 0. Returns ERR_INVALID when the consumer cannot be created from
 * the config. A dead store or Kafka never makes it return.
 */
int archiver_run(struct archiver *a, volatile sig_atomic_t *stop);

/* Close the consumer and the archive (when archiver_new() opened it), free a. NULL: no-op. */
void archiver_free(struct archiver *a);

/* The TCP port of /metrics and /healthz (useful with metrics_port 0), -1 when off. */
int archiver_metrics_port(const struct archiver *a);

/* Counters of a running archiver (read from its own thread, or after archiver_run()). */
struct archiver_counts {
    uint64_t messages[2];  /* consumed, by enum archiver_topic */
    uint64_t malformed[2]; /* skipped as malformed, by topic */
    uint64_t items_new, items_dup, items_refused, items_completed, matches_new, matches_dup;
    uint64_t batches;        /* batches stored and committed */
    uint64_t store_errors;   /* failed archive_put() calls (each retried) */
    uint64_t commit_errors;  /* failed offset commits (the batch is re-delivered: harmless) */
    uint64_t consume_errors;
    uint64_t prunes, prune_errors, pruned_files;
};

/* A copy of a's counters. Thread-safe (a mutex), so a test may poll a running archiver. */
void archiver_counts_get(struct archiver *a, struct archiver_counts *out);

#endif
