/*
 * Events (design §4): near-duplicate items and reposts of one original share one event key,
 * so the duty officer gets one ticket, not fifty.
 *
 * SimHash: 64-bit, over the normalised title and text (norm.h). Features are the bigrams of
 * consecutive letters/digits (Unicode L* and N*; punctuation, symbols and spaces skipped),
 * each hashed to 64 bits (FNV-1a, then the splitmix64 finaliser) with weight 1. An item with
 * fewer than EVENT_MIN_FEATURES features (a bare title) does not take part in near-duplicate
 * search: short texts collide too easily.
 *
 * Two items are near duplicates when their SimHashes differ in at most EVENT_MAX_DISTANCE
 * bits and the earlier one was recorded within the window (72 h of matching time). With at
 * most 3 differing bits, at least one of the four 16-bit bands is equal (pigeonhole), so the
 * candidates are found by band lookup (LSH) in Redis and checked exactly.
 *
 * State lives in Redis so it survives restarts and is shared by every matcher process;
 * assignment is one Lua script (atomic: two matchers cannot both open an event for the same
 * story, and an item is counted once however often it is redelivered):
 *
 *   yuqing:ev:item:<item id>        "<new 0|1>|<items>|<via>|<event key>": the answer given
 *                                   for this item; a redelivery gets it again unchanged
 *                                   (TTL ttl_s)
 *   yuqing:ev:root:<item id>        event key that reposts of <item id> join; set by the
 *                                   item itself or by its first repost (TTL ttl_s)
 *   yuqing:ev:count:<event key>     INCR per distinct item joining the event (TTL ttl_s,
 *                                   refreshed on every join)
 *   yuqing:ev:band:<b>:<v>          sorted set, b = 1..4 the band, v its 16-bit value in
 *                                   decimal; members "<hi32>:<lo32>:<event key>", score =
 *                                   matching time (s); members older than the window are
 *                                   removed on access, the key expires after the window
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
#define EVENT_BAND_LIMIT 256 /* newest members read per band */

/*
 * SimHash of the item's title and text (NULL counts as empty). buf: caller's reusable
 * normalisation buffer (norm_text_release() when done). *n_features gets the number of
 * features hashed. Returns 0, ERR_NOMEM or ERR_NOT_FOUND (normalisation tables missing).
 * Thread-safe with one buf per thread.
 */
int event_simhash(const struct yq_item *item, struct norm_text *buf, uint64_t *out,
                  size_t *n_features);

/* SimHash of len bytes of already-normalised UTF-8 (borrowed); *n_features as above. */
uint64_t event_simhash_normalised(const char *s, size_t len, size_t *n_features);

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
 * Returns 0, ERR_RETRY (Redis unreachable or refused; nothing was recorded or the whole
 * script ran: retrying is safe), ERR_PARSE (unexpected reply) or ERR_NOMEM.
 * Not thread-safe (r).
 */
int event_assign(struct yq_redis *r, const struct yq_item *item, uint64_t simhash,
                 size_t n_features, int64_t now, const struct event_opts *opts,
                 struct event_assignment *out);

/* Free what a holds and zero it (NULL is a no-op). */
void event_assignment_release(struct event_assignment *a);

#endif
