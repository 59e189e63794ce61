/*
 * A bounded in-process set of item ids known to be seen (yuqing:seen:<id> set in Redis), one
 * per source (issue #16): a feed re-polled every interval shows mostly entries it showed
 * before, and a hit here spares the Redis round trip and call for each of them.
 *
 * Only ids Redis answered as seen (or this process marked seen after Kafka delivered them) go
 * in, so a hit never hides an unseen item; a miss just asks Redis, which stays the truth across
 * restarts and across several collectors (a new process starts empty; another collector's
 * marks are found on the miss). Redis being down does not matter to a hit.
 *
 * Two generations: an id goes into the current one; when that is full it becomes the old one
 * (the previous old one is dropped) and a new current one starts; an id found in the old one is
 * copied into the current one. A generation is full at max_ids ids, or, once the source's
 * window is known (seen_cache_set_window(): the entries of its last document), at twice the
 * window plus 16, whichever is less. So the ids a feed keeps showing stay, the ids that left
 * its window go after two generations, and memory is at most 2 x that many ids (each
 * generation's table grows with the ids it holds, up to 4 x max_ids slots): a 50-entry feed
 * keeps at most 232 ids. Not thread-safe: the event loop's thread.
 */
#ifndef YQ_SEEN_CACHE_H
#define YQ_SEEN_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct seen_cache;

/*
 * A cache of at most max_ids ids per generation (max_ids >= 1). Returns a new cache
 * (seen_cache_free()) or NULL on ERR_NOMEM.
 */
struct seen_cache *seen_cache_new(size_t max_ids);

/* Free c and its ids. NULL is a no-op. */
void seen_cache_free(struct seen_cache *c);

/*
 * Tell c that the source's latest document held entries entries: from now a generation is full
 * at min(max_ids, 2 x entries + 16) ids (review of #16: without it a small rotating feed kept
 * 2 x max_ids ids). c may be NULL (no-op).
 */
void seen_cache_set_window(struct seen_cache *c, size_t entries);

/*
 * Whether id (NUL-terminated, borrowed) is in c; an id found in the old generation is copied
 * into the current one (when that copy fails for memory it is still answered true). c may be
 * NULL (always false).
 */
bool seen_cache_has(struct seen_cache *c, const char *id);

/*
 * Add id (NUL-terminated, copied) to c's current generation, turning the generation when it is
 * full. Adding an id already there is a no-op. c may be NULL (no-op). Returns 0 or ERR_NOMEM
 * (c unchanged).
 */
int seen_cache_add(struct seen_cache *c, const char *id);

/* Ids held (both generations; an id copied forward counts twice). */
size_t seen_cache_count(const struct seen_cache *c);

/* FNV-1a 64 of id (NUL-terminated): the cache's hash, also store.c's for its key table. */
uint64_t seen_cache_hash(const char *id);

/* Generations turned since seen_cache_new() (for tests and metrics). */
uint64_t seen_cache_turns(const struct seen_cache *c);

#endif
