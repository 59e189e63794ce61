/*
 * Rule sets in Redis (design §4) and the matcher's on-disk copy of the last good set.
 *
 * Keys:
 *   yuqing:rules:current     integer, the current version (absent = no rule set yet)
 *   yuqing:rules:epoch       the pointer's identity: a random hex token (RULES_EPOCH_BYTES
 *                            bytes) each push draws (libsodium) and writes with the version.
 *                            A Redis that lost its data (FLUSHALL, a failover to an empty
 *                            replica, an old RDB restored) numbers the next push like an
 *                            old one but cannot reproduce the token, so a matcher reloads
 *                            when (epoch, current) differs from the pair its set came with.
 *                            Absent in a store written before it existed (or only by older
 *                            pushes): "" is then an epoch like any other. Not in alerts.
 *   yuqing:rules:<N>         the rule set JSON of version N (rules.h), kept for history
 *   yuqing:rules:history     list, newest first, of {"version","pushed_at","pushed_by",
 *                            "rules","source"} JSON objects
 *   yuqing:rules:changed     pub/sub channel; the message is the new version number
 *   yuqing:rules:backtest:<digest>, yuqing:rules:forced
 *                            the backtest record that lets a set be pushed, and the pushes
 *                            forced without one (issue #14; rules_digest.h)
 *
 * A push is one Lua EVAL, so the version bump, the rule set, the pointer and its epoch, the
 * history entry and the notification happen atomically (no lost update between two concurrent
 * pushes).
 */
#ifndef RULES_STORE_H
#define RULES_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "yq_redis.h"

#define RULES_KEY_PREFIX "yuqing:rules:"
#define RULES_KEY_CURRENT "yuqing:rules:current"
#define RULES_KEY_HISTORY "yuqing:rules:history"
#define RULES_KEY_EPOCH "yuqing:rules:epoch"
#define RULES_CHANNEL "yuqing:rules:changed"

/*
 * Store rs (compiled; borrowed) as the next version, with a new random epoch, and publish it.
 * pushed_by: who pushes (may be NULL); now: seconds since the epoch for pushed_at.
 * On success rs->version, rs->pushed_at and rs->pushed_by are set and *out gets the new
 * version. Returns 0, ERR_RETRY (Redis unreachable), ERR_BAD_STATE (Redis refused, e.g. a
 * non-integer yuqing:rules:current; message in errbuf) or ERR_NOMEM. Not thread-safe (r).
 */
int rules_store_push(struct yq_redis *r, struct rule_set *rs, const char *pushed_by, int64_t now,
                     int64_t *out, char *errbuf, size_t errlen);

/*
 * Read yuqing:rules:current into *out (0 when absent).
 * Returns 0, ERR_RETRY (Redis unreachable or an error reply other than WRONGTYPE) or ERR_PARSE
 * (not an integer, or a key of another type).
 */
int rules_store_current(struct yq_redis *r, int64_t *out);

#define RULES_EPOCH_BYTES 16 /* random bytes of a pushed epoch (hex in Redis) */
#define RULES_EPOCH_MAX 64   /* longest epoch read back (characters); longer is ERR_PARSE */

/* What yuqing:rules:current and yuqing:rules:epoch say, read together. */
struct rules_pointer {
    int64_t version;                 /* 0: no current version */
    char epoch[RULES_EPOCH_MAX + 1]; /* NUL-terminated; "": no epoch key (older store) */
};

/*
 * Read yuqing:rules:current and yuqing:rules:epoch in one round trip (MGET) into *out.
 * Returns 0, ERR_RETRY (Redis unreachable or an error reply) or ERR_PARSE (current not an
 * integer, or the epoch longer than RULES_EPOCH_MAX). Not thread-safe (r).
 */
int rules_store_pointer(struct yq_redis *r, struct rules_pointer *out);

/* Whether a and b (borrowed) name the same set: same version and same epoch. */
bool rules_pointer_equal(const struct rules_pointer *a, const struct rules_pointer *b);

/*
 * Load and compile version (0 = the current one). out: a new set (rule_set_free()) whose
 * version is checked against the key. Returns 0, ERR_NOT_FOUND (no rule set / no such
 * version), ERR_RETRY (Redis unreachable, or an error reply other than WRONGTYPE),
 * ERR_TOO_BIG, ERR_PARSE (also current holding another type than a string), ERR_INVALID
 * (also the version's key holding another type: bad data, not an outage) or ERR_NOMEM with
 * one line in errbuf.
 */
int rules_store_load(struct yq_redis *r, int64_t version, struct rule_set **out, char *errbuf,
                     size_t errlen);

struct rules_history_entry {
    int64_t version;
    char *pushed_at; /* RFC 3339, "" when unknown */
    char *pushed_by; /* "" when unknown */
    int64_t n_rules;
};

/*
 * The newest max (>= 1) history entries, newest first. out: a new array of *n_out entries
 * (rules_history_free()). Malformed entries are skipped. Returns 0, ERR_RETRY or ERR_NOMEM.
 */
int rules_store_history(struct yq_redis *r, size_t max, struct rules_history_entry **out,
                        size_t *n_out);

/* Free an array from rules_store_history() (NULL is a no-op). */
void rules_history_free(struct rules_history_entry *h, size_t n);

/*
 * Write rs as JSON to path atomically (creating its parent directory if missing).
 * Returns 0, ERR_IO or ERR_NOMEM.
 */
int rules_cache_save(const char *path, const struct rule_set *rs);

/*
 * Read and compile the set saved by rules_cache_save(). Returns 0, ERR_NOT_FOUND, ERR_IO,
 * ERR_TOO_BIG, ERR_PARSE, ERR_INVALID or ERR_NOMEM with one line in errbuf.
 */
int rules_cache_load(const char *path, struct rule_set **out, char *errbuf, size_t errlen);

#endif
