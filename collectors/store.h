/*
 * The collector's Redis state over yq_redis:
 *   yuqing:source:<id>  hash: etag, last_modified (conditional GET validators) and the health
 *                       record last_success, last_error, consecutive_failures,
 *                       items_last_seen, items_24h, last_status
 *   yuqing:seen:<id>    "1" with TTL seen_ttl_s, set only after Kafka delivered the item
 *                       and the blind-window tracker's fields (source_blind.h: blind,
 *                       blind_since, blind_<reason>_since, last_poll_at, ...)
 *   yuqing:source:<id>:recent
 *                       sorted set of the item ids delivered for the source, scored by
 *                       fetched_at (UTC seconds); entries older than 24 h are trimmed when
 *                       items_24h is computed; the key expires 2 days after the last item
 *   yuqing:source:<id>:blind_outbox
 *                       hash of the source events not yet delivered (source_outbox.h)
 *
 * Redis being down is never fatal: every call returns ERR_RETRY, and after a failure Redis is
 * not tried again for retry_ms (each attempt could block for the connect timeout, and the
 * poller's event loop must keep running). Not thread-safe: one store per thread.
 */
#ifndef YQ_STORE_H
#define YQ_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yq_redis.h"

#define STORE_SOURCE_PREFIX "yuqing:source:"
#define STORE_SEEN_PREFIX "yuqing:seen:"
#define STORE_RECENT_SUFFIX ":recent"
#define STORE_RECENT_WINDOW_S (24 * 3600) /* items_24h counts fetched_at within this */
#define STORE_RECENT_TTL_S (2 * 24 * 3600)

struct store;

/*
 * A store over Redis per cfg (borrowed; must outlive the store). retry_ms: quiet period after
 * a failure. Connects lazily. Returns a new store (store_free()) or NULL on ERR_NOMEM.
 */
struct store *store_new(const struct yq_redis_cfg *cfg, int64_t retry_ms);
void store_free(struct store *s);

/* True while Redis is in its quiet period after a failure. */
bool store_is_down(const struct store *s);

/*
 * Ask Redis whether it answers (PING), for health: 0 when it did, ERR_RETRY when it did not
 * or the store is in its retry pause (Redis is not tried then). A failure starts the pause
 * like any other command's. Event loop's thread (not thread-safe).
 */
int store_ping(struct store *s);

/*
 * The store's own Redis connection, for a caller that sends its own batches (the weibo_hot
 * kind's rank record, common/yq_hot.h): borrowed, kept open across polls (no connect per
 * poll), NULL during the retry pause (Redis is not tried then). Call store_redis_done() after
 * the batch so that a connection that failed starts the pause as any store call does. Event
 * loop's thread.
 */
struct yq_redis *store_redis(struct store *s);

/* After a batch on store_redis(): Redis not reached (the handle's last command failed)
 * starts the retry pause; reached ends it. */
void store_redis_done(struct store *s);

/*
 * Whether source_id was crawled before (Weibo first-crawl baseline, issue #10): *out is true
 * when its health hash has baseline_at (a baseline was recorded) or last_success. Returns 0,
 * or ERR_RETRY (Redis down; *out false).
 */
int store_crawled_before(struct store *s, const char *source_id, bool *out);

/*
 * Validators of source_id: *etag and *last_modified get new strings (free()) or NULL when
 * not stored. Returns 0 or ERR_RETRY (Redis down: fetch without validators).
 */
int store_get_validators(struct store *s, const char *source_id, char **etag,
                         char **last_modified);

/* Store validators (a NULL one is deleted). Returns 0 or ERR_RETRY. */
int store_put_validators(struct store *s, const char *source_id, const char *etag,
                         const char *last_modified);

/*
 * Whether item_id was delivered before: *seen true when yuqing:seen:<id> exists.
 * Returns 0 or ERR_RETRY (unknown: the caller must not produce it now).
 */
int store_seen(struct store *s, const char *item_id, bool *seen);

/* SET yuqing:seen:<item_id> 1 EX seen_ttl_s. Returns 0 or ERR_RETRY. */
int store_mark_seen(struct store *s, const char *item_id);

/* Answer of store_seen_many() for one id. */
enum store_seen_answer {
    STORE_SEEN_UNKNOWN = 0, /* not answered (Redis down or a reply of the wrong shape) */
    STORE_SEEN_NO,          /* yuqing:seen:<id> does not exist: never delivered */
    STORE_SEEN_YES,         /* delivered before */
};

/* Ids per MGET of store_seen_many() (a document with more sends several in one pipeline). */
#define STORE_SEEN_BATCH_MAX 256

/*
 * The seen-check of n ids (NUL-terminated, borrowed) in one round trip (issue #16): MGET of
 * their yuqing:seen: keys, STORE_SEEN_BATCH_MAX keys per command, the commands pipelined.
 * out (caller storage, n slots) gets each id's answer, out[i] for ids[i]. A command whose
 * reply is not an array of its keys' values leaves its ids STORE_SEEN_UNKNOWN (the others are
 * answered); a failed connection leaves every id unknown and starts the retry pause.
 * Returns 0 (every id answered), ERR_RETRY (some or all unknown: the caller must not produce
 * those now) or ERR_NOMEM (every id unknown). n == 0: 0.
 */
int store_seen_many(struct store *s, const char *const *ids, size_t n,
                    enum store_seen_answer *out);

/* One delivered item to mark (store_mark_many()); strings borrowed. */
struct store_mark {
    const char *id;        /* yuqing:seen:<id> is set */
    const char *alias;     /* a second seen key (WeChat cross-form), or NULL */
    const char *source_id; /* recorded in yuqing:source:<source_id>:recent, or NULL */
    int64_t fetched_at;    /* the recent set's score, UTC seconds */
};

/* Most items store_mark_many() marks in one pipeline; callers send larger sets in parts. */
#define STORE_MARK_BATCH_MAX 512

/*
 * Mark n (<= STORE_MARK_BATCH_MAX) delivered items in one round trip (issue #16): per item
 * SET yuqing:seen:<id> 1 EX seen_ttl_s (and the alias), then per source one ZADD of its items
 * into yuqing:source:<source_id>:recent and an EXPIRE of that key (STORE_RECENT_TTL_S) when
 * this store did not refresh it in the last hour (the TTL is two days): the same keys as
 * store_mark_seen() + store_recent_add(). All of it is idempotent, so a batch
 * that failed is simply marked again. Returns 0 (every command succeeded), ERR_RETRY (Redis
 * down or some command failed: mark the whole batch again later), ERR_INVALID (n too large)
 * or ERR_NOMEM.
 */
int store_mark_many(struct store *s, const struct store_mark *marks, size_t n);

/*
 * Record a delivered item for its source (issue #6, "items in the last 24 h"):
 * ZADD yuqing:source:<source_id>:recent fetched_at item_id, then EXPIRE the key
 * STORE_RECENT_TTL_S. Idempotent (an item delivered again keeps one entry, re-scored).
 * fetched_at: UTC seconds. Returns 0 or ERR_RETRY.
 */
int store_recent_add(struct store *s, const char *source_id, const char *item_id,
                     int64_t fetched_at);

/*
 * Trim yuqing:source:<source_id>:recent to the entries with fetched_at >= now -
 * STORE_RECENT_WINDOW_S, count them (ZCARD) and write the count as items_24h into the health
 * hash. now: UTC seconds. out (may be NULL): the count. Returns 0 or ERR_RETRY (the hash is
 * then left as it was).
 */
int store_recent_update(struct store *s, const char *source_id, int64_t now, int64_t *out);

/*
 * Health after a successful poll (200 or 304): state "ok", last_success = now (RFC 3339),
 * consecutive_failures 0, last_status, and items_last_seen when items_seen >= 0.
 * Returns 0 or ERR_RETRY.
 */
int store_health_ok(struct store *s, const char *source_id, int64_t now, long http_status,
                    int64_t items_seen);

/*
 * Health after a failed poll: state (source_state_name(), e.g. "rate_limited"),
 * last_error = "<RFC 3339> <state>: <error>", consecutive_failures, last_status (0 when no
 * HTTP response). last_success is left alone. Returns 0 or ERR_RETRY.
 */
int store_health_fail(struct store *s, const char *source_id, int64_t now, long http_status,
                      int64_t consecutive_failures, const char *state, const char *error);

/*
 * store_health_ok() and store_health_fail() with n (<= STORE_HEALTH_FIELDS_MAX) more
 * field/value pairs (borrowed, NUL-terminated; fields and values may be NULL when n is 0)
 * written in the same HSET: one Redis call per poll for the health, the blind-window fields
 * and the source's name and kind (issue #16). Returns 0, ERR_RETRY or ERR_INVALID (n too
 * large).
 */
int store_health_ok_with(struct store *s, const char *source_id, int64_t now, long http_status,
                         int64_t items_seen, const char *const *fields,
                         const char *const *values, size_t n);
int store_health_fail_with(struct store *s, const char *source_id, int64_t now,
                           long http_status, int64_t consecutive_failures, const char *state,
                           const char *error, const char *const *fields,
                           const char *const *values, size_t n);

/* HSET yuqing:source:<id> field value (e.g. "stale" "1"). Returns 0 or ERR_RETRY. */
int store_health_set(struct store *s, const char *source_id, const char *field,
                     const char *value);

/* Most fields store_health_get() and store_health_set_many() take at once. */
#define STORE_HEALTH_FIELDS_MAX 32

/*
 * HMGET of n (<= STORE_HEALTH_FIELDS_MAX) fields of yuqing:source:<source_id>: values[i]
 * gets a new string (free()) or NULL when the field is absent or empty. Returns 0, ERR_RETRY
 * (Redis down or a reply of the wrong shape: every value NULL) or ERR_INVALID (n too large).
 */
int store_health_get(struct store *s, const char *source_id, const char *const *fields,
                     size_t n, char **values);

/*
 * HSET of n (<= STORE_HEALTH_FIELDS_MAX) field/value pairs (borrowed, NUL-terminated) of
 * yuqing:source:<source_id> in one command. Returns 0, ERR_RETRY or ERR_INVALID (n too large).
 */
int store_health_set_many(struct store *s, const char *source_id, const char *const *fields,
                          const char *const *values, size_t n);

/* HDEL of n (<= STORE_HEALTH_FIELDS_MAX) fields of yuqing:source:<source_id> in one command.
 * Returns 0, ERR_RETRY or ERR_INVALID (n too large). */
int store_health_del(struct store *s, const char *source_id, const char *const *fields, size_t n);

/* Most source ids store_source_ids() returns, and SCAN rounds it makes (COUNT 200 each). */
#define STORE_SOURCE_IDS_MAX 4096
#define STORE_SCAN_ROUNDS_MAX 200

/*
 * The ids of the sources with a health hash (keys yuqing:source:<id> without a further ':',
 * which the side keys :recent, :blind_outbox, :longtext have), by a bounded SCAN: at most
 * STORE_SOURCE_IDS_MAX ids in STORE_SCAN_ROUNDS_MAX rounds (a larger keyspace is cut, never a
 * blocking KEYS). *ids gets *n new strings (store_strings_free()); an id may repeat (SCAN's
 * guarantee). Returns 0, ERR_RETRY (nothing returned) or ERR_NOMEM.
 */
int store_source_ids(struct store *s, char ***ids, size_t *n);

/*
 * The source events not yet delivered (source_outbox.h), in the hash
 * yuqing:source:<id>:blind_outbox (field -> event JSON). store_outbox_put: HSET. Returns 0 or
 * ERR_RETRY.
 */
int store_outbox_put(struct store *s, const char *source_id, const char *field,
                     const char *event_json);

/* HDEL of one field. Returns 0 or ERR_RETRY. */
int store_outbox_del(struct store *s, const char *source_id, const char *field);

/*
 * Up to max entries of the outbox: *fields and *jsons get n new strings each (free with
 * store_strings_free()). Returns 0 or ERR_RETRY.
 */
int store_outbox_list(struct store *s, const char *source_id, size_t max, char ***fields,
                      char ***jsons, size_t *n);

/*
 * Weibo posts sent truncated whose long text is still to be fetched (FC-001), kept in the
 * hash yuqing:source:<id>:longtext (mid → item JSON) so that restarts keep retrying.
 * store_longtext_put: HSET. Returns 0 or ERR_RETRY.
 */
int store_longtext_put(struct store *s, const char *source_id, const char *mid,
                       const char *item_json);

/* HDEL of one mid. Returns 0 or ERR_RETRY. */
int store_longtext_del(struct store *s, const char *source_id, const char *mid);

/*
 * Up to max entries of the hash: *mids and *jsons get n new strings each (free every
 * string and both arrays with store_strings_free()). Returns 0 or ERR_RETRY.
 */
int store_longtext_list(struct store *s, const char *source_id, size_t max, char ***mids,
                        char ***jsons, size_t *n);

/* Free n strings of v and v itself. NULL is a no-op. */
void store_strings_free(char **v, size_t n);

#endif
