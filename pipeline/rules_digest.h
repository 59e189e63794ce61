/*
 * The digest of a rule set and the record of its backtest (issue #14, docs/matching.md
 * "Backtest"): a rule set is pushed only after the operator has seen what it would have
 * caught, so `yuqingctl rules backtest` records a summary of its report under the draft's
 * digest and `yuqingctl rules push` looks for it.
 *
 * Digest: BLAKE2b-256 (libsodium crypto_generichash, 32 bytes, no key) of the set's canonical
 * encoding, as 64 lower-case hex digits. The canonical encoding is rule_set_encode()'s JSON
 * without "version", "pushed_at", "pushed_by" and "source" (who pushed it where, not what it
 * matches), with "groups", "exclude" and "places" sorted by byte order, "rules" sorted by id
 * and every object's keys sorted (jansson JSON_SORT_KEYS, compact). So the same rules read
 * from another directory, or split across differently named files with the same groups, give
 * the same digest; any change of an expression, level, scope, department, group, source list,
 * name or local flag, or of the exclude or place lists, gives another. (Rule order only breaks
 * a tie between two equally severe rules' departments in one alert; a backtest's per-rule report
 * does not depend on it.)
 *
 * Keys (next to the other yuqing:rules:* keys of rules_store.h):
 *   yuqing:rules:backtest:<digest>   JSON summary of the last backtest of that set
 *                                    (archive_backtest.h), TTL RULES_BACKTEST_TTL_S
 *   yuqing:rules:forced              hash: version -> {"digest","by","at"} of each push made
 *                                    with --force without a recorded backtest
 */
#ifndef RULES_DIGEST_H
#define RULES_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "yq_redis.h"

#define RULES_DIGEST_HEX_LEN 64 /* BLAKE2b-256 as hex, without the NUL */
#define RULES_KEY_BACKTEST_PREFIX "yuqing:rules:backtest:"
#define RULES_KEY_FORCED "yuqing:rules:forced"
#define RULES_BACKTEST_TTL_S (7 * 24 * 3600) /* a report counts as seen for 7 days */

/*
 * The digest of rs (borrowed; compiled or not) as RULES_DIGEST_HEX_LEN hex digits and a NUL
 * into out (caller storage). Returns 0 or ERR_NOMEM. Thread-safe.
 */
int rule_set_digest(const struct rule_set *rs, char out[RULES_DIGEST_HEX_LEN + 1]);

/*
 * Record summary_json (NUL-terminated JSON text, borrowed) as the backtest of the set with
 * this digest, expiring after ttl_s seconds (> 0). Returns 0 or ERR_RETRY (Redis unreachable
 * or refused), one line in errbuf. Not thread-safe (r).
 */
int rules_backtest_record_put(struct yq_redis *r, const char *digest, const char *summary_json,
                              int64_t ttl_s, char *errbuf, size_t errlen);

/*
 * The recorded summary of digest. out: a new NUL-terminated string (free()), or untouched
 * when absent. Returns 0, ERR_NOT_FOUND (never recorded, or expired) or ERR_RETRY.
 */
int rules_backtest_record_get(struct yq_redis *r, const char *digest, char **out);

/*
 * Note that version (just pushed) was pushed with --force: HSET yuqing:rules:forced version
 * {"digest","by","at"} (at: RFC 3339 of now, seconds UTC). Returns 0 or ERR_RETRY.
 */
int rules_forced_push_record(struct yq_redis *r, int64_t version, const char *digest,
                             const char *by, int64_t now);

#endif
