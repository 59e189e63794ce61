/*
 * Events (design §4): near-duplicate items and reposts of one original share one event key,
 * so the duty officer gets one ticket, not fifty.
 *
 * SimHash: 64-bit, over the normalised title and text (norm.h). Features are the bigrams of
 * consecutive letters/digits (Unicode L* and N*; punctuation, symbols and spaces skipped),
 * each hashed to 64 bits (FNV-1a, then the splitmix64 finaliser) with weight 1. An item with
 * fewer than EVENT_MIN_FEATURES features (a bare title) does not take part in near-duplicate
 * search: short texts collide too easily. Boilerplate is not hashed (event_simhash.c has the
 * tables; docs/matching.md): lines of footers, buttons and bare dates, the rest of a line from
 * a page field label (来源:, 责任编辑:, 发布时间: ...), media tags, reporter credits and links,
 * so a story republished by several sites hashes alike.
 *
 * Two items are near duplicates when their SimHashes differ in at most EVENT_MAX_DISTANCE
 * bits and the earlier one was recorded within the window (72 h of matching time). The
 * 64 bits are cut into five bands (bits 63..51, 50..38, 37..25, 24..12: 13 bits each; 11..0:
 * 12 bits). With at most 3 differing bits, at least two of the five bands are equal
 * (pigeonhole), so every near duplicate shares at least one of the ten band pairs (26 bits)
 * exactly: candidates are found by exact lookup of the pairs (multi-index hashing) and
 * checked exactly. A pair value is shared by chance with one SimHash in 2^26, so the
 * candidates read stay a handful at a million events in the window (issue #16: the four
 * 16-bit bands before it gave 4 x N / 65536 candidates, and their sorted sets were trimmed
 * on every call).
 *
 * State lives in Redis so it survives restarts and is shared by every matcher process;
 * assignment is one Lua script (atomic: two matchers cannot both open an event for the same
 * story, and an item is counted once however often it is redelivered), run by EVALSHA:
 *
 *   yuqing:ev:item:<item id>        "<new 0|1>|<items>|<via>|<event key>": the answer given
 *                                   for this item; a redelivery gets it again unchanged
 *                                   (TTL ttl_s)
 *   yuqing:ev:root:<item id>        event key that reposts of <item id> join; set by the
 *                                   item itself or by its first repost (TTL ttl_s)
 *   yuqing:ev:count:<event key>     INCR per distinct item joining the event (TTL ttl_s,
 *                                   refreshed on every join)
 *   yuqing:ev:nd:<p>:<v / 1024>:<s> hash, p = 1..10 the band pair (event_pairs() order),
 *                                   v its 26-bit value, s = floor(now / window) the time
 *                                   slice; field "<v % 1024>" (decimal) holds a MessagePack
 *                                   array of records hi32, lo32, time (s), event key,
 *                                   newest first, at most EVENT_BUCKET_CAP of them, one
 *                                   per distinct SimHash. A lookup reads the slices s and
 *                                   s - 1 and skips records older than the window; a key
 *                                   expires when its slice can no longer be read
 *                                   ((s + 2) * window - now after its first field): keys
 *                                   expire, nothing is trimmed
 *
 * Order of assignment: redelivery; repost (reply_to's root event, or a new one keyed by the
 * original's id "ev:<reply_to>" that the original joins when it arrives); this item's own
 * root (an earlier repost named it); nearest SimHash within the window; else a new event
 * "ev:<item id>".
 */
#ifndef EVENT_H
#define EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "norm.h"
#include "yq_item.h"
#include "yq_redis.h"

#define EVENT_KEY_PREFIX "yuqing:ev:"
#define EVENT_MAX_DISTANCE 3
#define EVENT_MIN_FEATURES 8
#define EVENT_WINDOW_S (72 * 3600)
#define EVENT_TTL_S (7 * 24 * 3600)
#define EVENT_N_BANDS 5
#define EVENT_N_PAIRS 10  /* band pairs: C(5, 2) */
#define EVENT_BUCKET_CAP 8 /* newest distinct SimHashes kept per band-pair value and slice */

/*
 * SimHash of the item's title and text (NULL counts as empty). buf: caller's reusable
 * normalisation buffer (norm_text_release() when done). *n_features gets the number of
 * features hashed. Returns 0, ERR_NOMEM or ERR_NOT_FOUND (normalisation tables missing).
 * Thread-safe with one buf per thread.
 */
int event_simhash(const struct yq_item *item, struct norm_text *buf, uint64_t *out,
                  size_t *n_features);

/*
 * SimHash of an already-normalised text (norm_apply(); borrowed), boilerplate left out
 * (above); *n_features as above. t->orig_cp may be NULL (no offset map: a page label counts as
 * its own only after a non-word character in the normalised text, and its value ends only at
 * white space or a mark of the normalised text).
 */
uint64_t event_simhash_normalised(const struct norm_text *t, size_t *n_features);

/* Number of differing bits. */
int event_hamming(uint64_t a, uint64_t b);

struct event_assignment {
    char *event_key;  /* new string (event_assignment_release()) */
    bool is_new;      /* the item opened the event */
    int64_t items;    /* distinct items in the event, this one included */
    const char *via;  /* static: "new", "repost", "near_duplicate" */
};

struct event_opts {
    int64_t window_s; /* near-duplicate window, default EVENT_WINDOW_S */
    int64_t ttl_s;    /* item/root/count keys, default EVENT_TTL_S */
};

/*
 * Assign item (borrowed; id required, reply_to optional) to an event. simhash/n_features from
 * event_simhash(). now: seconds since the epoch (matching time). opts may be NULL (defaults).
 * out: caller storage, filled on success. Idempotent per item id: a second call for the
 * same id (redelivery) returns the first answer and counts nothing.
 * Returns 0, ERR_RETRY (Redis unreachable or not serving for now; nothing was recorded or
 * the whole script ran: retrying is safe), ERR_INVALID (Redis answered this call with an
 * error, e.g. a key of the wrong type: retrying the same call will not help), ERR_PARSE
 * (unexpected reply) or ERR_NOMEM.
 * Not thread-safe (r).
 */
int event_assign(struct yq_redis *r, const struct yq_item *item, uint64_t simhash,
                 size_t n_features, int64_t now, const struct event_opts *opts,
                 struct event_assignment *out);

/* One item to assign (event_assign_batch()). */
struct event_request {
    const struct yq_item *item; /* borrowed; id required, reply_to optional */
    uint64_t simhash;           /* from event_simhash() */
    size_t n_features;          /* from event_simhash() */
    bool join_only;             /* a repost that matched no rule (item->reply_to set): it joins
                                   the event its original is known in (yuqing:ev:root:<reply_to>
                                   exists) as any repost does, or gets ERR_NOT_FOUND and nothing
                                   is recorded (no event is opened for an unmatched item) */
};

/*
 * event_assign() for the n items of reqs (borrowed) in one round trip (issue #16): the n
 * script calls are pipelined (sent at once, then their n replies read), so a batch of items
 * waits for Redis once, not n times. Each item's script runs once and atomically, and the
 * items sent together run in reqs' order. The items a server without the cached script
 * answered NOSCRIPT are sent again with EVAL after the rest (a second round trip), so they
 * run after the items that were answered at once; when another client re-caches the script
 * between the two, the answers are those of n event_assign() calls in that order (the
 * answered items first), not strictly reqs' order. Every item is still counted once and
 * gets one answer; a redelivery gets its first answer again.
 * now, opts: as event_assign(). out, rcs: caller storage of n slots; out[i] is filled when
 * rcs[i] is 0 (release each with event_assignment_release()); rcs[i] is what event_assign()
 * returns for item i alone: 0; ERR_RETRY (no reply: Redis unreachable or the connection
 * failed part-way, when every item still unanswered gets it; or a transient error reply
 * such as LOADING, BUSY, READONLY or OOM: Redis cannot serve now, retrying is safe);
 * ERR_INVALID (an error reply for this item's call itself, e.g. WRONGTYPE on one of its
 * keys: Redis is up but the same call will fail again; logged with the item id and
 * Redis's text; its script did not run to the end); ERR_NOT_FOUND (a join_only item whose
 * original is in no event: nothing recorded); ERR_PARSE (no id, unexpected reply) or
 * ERR_NOMEM.
 * Returns 0 (see rcs) or ERR_NOMEM (argument storage: every rcs[i] ERR_NOMEM, out[i] zeroed;
 * retrying is safe). Not thread-safe (r).
 */
int event_assign_batch(struct yq_redis *r, const struct event_request *reqs, size_t n,
                       int64_t now, const struct event_opts *opts, struct event_assignment *out,
                       int *rcs);

/*
 * The ten 26-bit band-pair values of simhash (see above): out[k] = band[i] << 13 | band[j]
 * for the pairs (i, j), i < j, in the order (0,1), (0,2), (0,3), (0,4), (1,2), ... (3,4);
 * the Redis keys number them 1..10.
 */
void event_pairs(uint64_t simhash, uint32_t out[EVENT_N_PAIRS]);

/* The assignment script's Lua source (static), for bench/matcher/bench_event_lookup. */
const char *event_assign_script(void);

/* Free what a holds and zero it (NULL is a no-op). */
void event_assignment_release(struct event_assignment *a);

#endif
