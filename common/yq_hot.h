/*
 * The hot-search list (热搜榜, issue #15): the Redis record of every entry's rank per poll,
 * the stays of the entries on the list, and the rule that decides when an entry is produced
 * as an item. Written by the collector's weibo_hot kind (collectors/poller_weibo_hot.c), read
 * by the web's event page (web/web_events.c). An entry is known by the SHA-1 (40 lower-case
 * hex digits) of its term as shown, the same as in its item id
 * "wbhot:<sha1>:<entered_at>:<trigger>" (yq_item.h).
 *
 * Keys (source_id: the sources.yaml id):
 *   yuqing:hot:<source_id>:<sha1>   sorted set of the entry's polls: member "<poll_at> <rank>
 *                                   <heat>" (decimal; poll_at UTC seconds; rank 0 = pinned;
 *                                   heat -1 = unknown), score poll_at; the newest
 *                                   YQ_HOT_POINTS_MAX kept; expires YQ_HOT_TTL_S after its
 *                                   last poll
 *   yuqing:hot:<source_id>:current  hash sha1 -> JSON {"entered_at","best_rank","last_seen",
 *                                   "rose","on"} of the entries on the list (on true) and of
 *                                   those that left it less than YQ_HOT_GONE_KEEP_S ago (on
 *                                   false: their last stay's entered_at, so that a new stay
 *                                   never reuses it); expires YQ_HOT_TTL_S after the last poll
 */
#ifndef YQ_HOT_H
#define YQ_HOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yq_redis.h"

#define YQ_HOT_PREFIX "yuqing:hot:"
#define YQ_HOT_SHA1_HEX 40       /* hex digits of an entry's key */
#define YQ_HOT_TTL_S (7 * 86400) /* ranks are kept a week (issue #15) */
#define YQ_HOT_POINTS_MAX 2016   /* a week of polls every 5 minutes */
#define YQ_HOT_GONE_KEEP_S 3600  /* a left entry's last stay remembered this long */
#define YQ_HOT_STAYS_MAX 4096    /* entries in one source's current hash, at most */
/*
 * An entry back on the list within this long (seconds) of its last poll on it continues its
 * previous stay (no new "entered" item, no new 研判 event): a term hovering around the list's
 * end drops off and comes back between 2-minute polls, which made ~30 events an hour. Half an
 * hour is longer than any such flicker and shorter than a real second wave of a topic
 * (review of issue #15); within YQ_HOT_GONE_KEEP_S, so the previous stay is still known.
 */
#define YQ_HOT_REENTRY_S 1800

/* One poll of one entry. */
struct yq_hot_point {
    int64_t at;   /* poll time, UTC seconds */
    int64_t rank; /* 1-based; 0 = pinned (置顶, no rank) */
    int64_t heat; /* heat as shown; -1 = unknown */
};

/* An entry's stay on the list (or the last one, when it left). */
struct yq_hot_stay {
    char sha1[YQ_HOT_SHA1_HEX + 1];
    int64_t entered_at; /* UTC seconds it came on the list */
    int64_t best_rank;  /* best (smallest) rank of the stay; 0 = never ranked (pinned) */
    int64_t last_seen;  /* UTC seconds of its last poll on the list */
    bool rose;          /* its "rose" item was produced (or it entered at rise_rank or better) */
    bool on;            /* on the list at the last poll */
};

/* What a poll means for one entry (yq_hot_track()). */
enum yq_hot_trigger {
    YQ_HOT_NONE = 0, /* still on the list: nothing to produce */
    YQ_HOT_ENTERED,  /* it came on the list: produce trigger "entered" */
    YQ_HOT_ROSE,     /* it rose to rise_rank or better for the first time in its stay */
};

/* One entry of a poll as yq_hot_track() reads it. */
struct yq_hot_seen {
    char sha1[YQ_HOT_SHA1_HEX + 1];
    int64_t rank;                /* 1-based; 0 = pinned */
    enum yq_hot_trigger trigger; /* out */
    int64_t entered_at;          /* out: the stay's entered_at */
};

/*
 * The stays after one poll at now (UTC seconds) that saw the n_seen entries of seen
 * (distinct sha1s; caller storage, trigger and entered_at written), given the stays before
 * (prev, n_prev entries, borrowed). Rules (docs/collectors.md "热搜榜"):
 * - an entry that left the list and is back within YQ_HOT_REENTRY_S of its last_seen
 *   continues its previous stay (entered_at, best rank and rose kept): trigger NONE, or ROSE
 *   as for an entry that stayed;
 * - any other entry not on the list before (no stay, or on false) enters: trigger ENTERED,
 *   entered_at = now, or one second after its last stay's entered_at when that is not
 *   earlier (so that two stays never share an item id); an entry entering at rise_rank or
 *   better is marked rose (its "entered" item says its rank), so it never rises again in
 *   that stay;
 * - an entry on the list whose rank is now 1..rise_rank and that has not risen in this stay:
 *   trigger ROSE (rise_rank 0 = off);
 * - an entry on the list before and missing now has left (on false); a new stay begins when it
 *   comes back; a left entry is forgotten YQ_HOT_GONE_KEEP_S after it was last seen.
 * At most YQ_HOT_STAYS_MAX stays are kept (the entries on the list first).
 * out: a new array (free()) of *n_out stays. Returns 0 or ERR_NOMEM. Pure; thread-safe.
 */
int yq_hot_track(const struct yq_hot_stay *prev, size_t n_prev, struct yq_hot_seen *seen,
                 size_t n_seen, int64_t now, int64_t rise_rank, struct yq_hot_stay **out,
                 size_t *n_out);

/*
 * The stays of source_id (borrowed) from its current hash: *out a new array (free(); NULL
 * when none) of *n entries. Fields that are not well-formed are skipped. Returns 0,
 * ERR_RETRY (Redis down or an error reply) or ERR_NOMEM.
 */
int yq_hot_stays_load(struct yq_redis *r, const char *source_id, struct yq_hot_stay **out,
                      size_t *n);

/*
 * Replace source_id's current hash with the n stays (borrowed), expiring YQ_HOT_TTL_S from
 * now: written to a temporary key and renamed over it (readers never see half a list), the
 * four commands in one pipeline (one round trip).
 * Returns 0, ERR_RETRY or ERR_NOMEM.
 */
int yq_hot_stays_save(struct yq_redis *r, const char *source_id, const struct yq_hot_stay *stays,
                      size_t n);

/*
 * Record one poll p of the entry sha1 (40 hex digits) of source_id: ZADD, trim to the newest
 * YQ_HOT_POINTS_MAX, EXPIRE YQ_HOT_TTL_S. Returns 0, ERR_INVALID (bad sha1 or source_id),
 * ERR_RETRY or ERR_NOMEM.
 */
int yq_hot_record(struct yq_redis *r, const char *source_id, const char *sha1,
                  const struct yq_hot_point *p);

/*
 * yq_hot_record() of n entries at once (sha1[i] with p[i], borrowed): the 3 x n commands go
 * as one pipeline (yq_redis_pipeline(): one round trip for the whole list instead of ~3 per
 * entry, the collector's event loop waits once). n <= YQ_HOT_STAYS_MAX. Returns 0,
 * ERR_INVALID (a bad sha1 or source_id: nothing sent), ERR_RETRY (Redis unreachable or an
 * error reply: the points of this poll may be partly recorded; a poll recorded twice is one
 * member) or ERR_NOMEM.
 */
int yq_hot_record_all(struct yq_redis *r, const char *source_id, const char *const *sha1,
                      const struct yq_hot_point *p, size_t n);

/*
 * The polls of entry sha1 of source_id at since (UTC seconds) or later, oldest first, at most
 * max (≤ YQ_HOT_POINTS_MAX): *out a new array (free(); NULL when none) of *n points.
 * Members that are not well-formed are skipped. Returns 0, ERR_INVALID (bad sha1 or
 * source_id), ERR_RETRY or ERR_NOMEM.
 */
int yq_hot_points(struct yq_redis *r, const char *source_id, const char *sha1, int64_t since,
                  size_t max, struct yq_hot_point **out, size_t *n);

/*
 * True when s is 40 lower-case hex digits (an entry's key).
 */
bool yq_hot_sha1_valid(const char *s);

/*
 * The form in which terms are compared with watch terms: NFKC with case folding (utf8proc),
 * as the matcher's normalisation does before its traditional->simplified step. out: a new
 * string (free()). Returns 0, ERR_INVALID (s is not UTF-8) or ERR_NOMEM.
 */
int yq_hot_fold(const char *s, char **out);

#endif
