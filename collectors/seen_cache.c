#include "seen_cache.h"

#include <stdlib.h>
#include <string.h>

#include "yq_hash.h"
#include "yq_err.h"
#include "yq_banned.h"

#define SEEN_GEN_MIN_SLOTS 16

/*
 * One generation: open addressing with linear probing, at most half full. Its table starts
 * small and doubles as ids come (never past max_cap), so a source whose feed shows 20 entries
 * costs a few hundred bytes, not the table of seen_cache_ids.
 */
struct seen_gen {
    char **ids;       /* cap slots, NULL = empty; owned */
    uint64_t *hashes; /* the hash of ids[i] */
    size_t cap;       /* a power of two; 0 until the first id */
    size_t count;
};

struct seen_cache {
    size_t max_ids; /* per generation */
    size_t limit;   /* ids the current generation takes before it turns: <= max_ids */
    size_t max_cap; /* slots a generation may grow to: a power of two >= 2 x max_ids */
    struct seen_gen gen[2];
    int cur;        /* index of the current generation in gen */
    uint64_t turns;
};

uint64_t seen_cache_hash(const char *id)
{
    return yq_fnv1a64(id);
}

/* Drop every id of g; its table stays for the next generation. */
static void gen_clear(struct seen_gen *g)
{
    for (size_t i = 0; i < g->cap && g->count > 0; i++) {
        if (g->ids[i]) {
            free(g->ids[i]);
            g->ids[i] = NULL;
            g->count--;
        }
    }
    g->count = 0;
}

static void gen_release(struct seen_gen *g)
{
    gen_clear(g);
    free(g->ids);
    free(g->hashes);
    memset(g, 0, sizeof(*g));
}

/* The slot of id (hash h) in g (cap > 0), or of the empty slot where it would go. */
static size_t gen_slot(const struct seen_gen *g, const char *id, uint64_t h)
{
    size_t i = (size_t)h & (g->cap - 1);
    while (g->ids[i] && (g->hashes[i] != h || strcmp(g->ids[i], id) != 0)) {
        i = (i + 1) & (g->cap - 1);
    }
    return i;
}

static bool gen_has(const struct seen_gen *g, const char *id, uint64_t h)
{
    return g->cap > 0 && g->ids[gen_slot(g, id, h)] != NULL;
}

/* Room in g for one more id (at most half full), growing the table. 0 or ERR_NOMEM. */
static int gen_reserve(struct seen_gen *g, size_t max_cap)
{
    struct seen_gen bigger = {0};
    size_t cap = g->cap ? g->cap * 2 : SEEN_GEN_MIN_SLOTS;

    if (g->cap && 2 * (g->count + 1) <= g->cap) {
        return 0;
    }
    if (g->cap >= max_cap) {
        return 0; /* max_cap >= 2 x max_ids: the generation turns before it is half full */
    }
    bigger.ids = calloc(cap, sizeof(*bigger.ids));
    bigger.hashes = calloc(cap, sizeof(*bigger.hashes));
    if (!bigger.ids || !bigger.hashes) {
        free(bigger.ids);
        free(bigger.hashes);
        return ERR_NOMEM;
    }
    bigger.cap = cap;
    for (size_t i = 0; i < g->cap; i++) {
        if (g->ids[i]) {
            size_t j = gen_slot(&bigger, g->ids[i], g->hashes[i]);
            bigger.ids[j] = g->ids[i];
            bigger.hashes[j] = g->hashes[i];
            bigger.count++;
        }
    }
    free(g->ids);
    free(g->hashes);
    *g = bigger;
    return 0;
}

struct seen_cache *seen_cache_new(size_t max_ids)
{
    struct seen_cache *c;
    size_t cap = SEEN_GEN_MIN_SLOTS;

    if (max_ids == 0 || max_ids > SIZE_MAX / 8) {
        return NULL;
    }
    while (cap < 2 * max_ids) {
        cap *= 2;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        return NULL;
    }
    c->max_ids = max_ids;
    c->limit = max_ids;
    c->max_cap = cap;
    return c;
}

void seen_cache_free(struct seen_cache *c)
{
    if (!c) {
        return;
    }
    gen_release(&c->gen[0]);
    gen_release(&c->gen[1]);
    free(c);
}

/* Put id (hash h, not in the current generation) into it, turning it first when full. */
static int put(struct seen_cache *c, const char *id, uint64_t h)
{
    struct seen_gen *g = &c->gen[c->cur];
    char *copy;
    size_t i;

    if (g->count >= c->limit) {
        /* the old generation goes; the full current one becomes the old one */
        c->cur ^= 1;
        g = &c->gen[c->cur];
        gen_clear(g);
        c->turns++;
    }
    copy = strdup(id);
    if (!copy || gen_reserve(g, c->max_cap) != 0) {
        free(copy);
        return ERR_NOMEM;
    }
    i = gen_slot(g, id, h);
    g->ids[i] = copy;
    g->hashes[i] = h;
    g->count++;
    return 0;
}

void seen_cache_set_window(struct seen_cache *c, size_t entries)
{
    size_t limit;

    if (!c) {
        return;
    }
    /* twice the window and a margin: the ids of one document fit in the current generation
       with room for the next document's new ones, so a turn drops only ids gone from it */
    limit = c->max_ids;
    if (entries <= c->max_ids / 2 && 2 * entries + SEEN_GEN_MIN_SLOTS < limit) {
        limit = 2 * entries + SEEN_GEN_MIN_SLOTS;
    }
    c->limit = limit;
}

bool seen_cache_has(struct seen_cache *c, const char *id)
{
    uint64_t h;

    if (!c) {
        return false;
    }
    h = seen_cache_hash(id);
    if (gen_has(&c->gen[c->cur], id, h)) {
        return true;
    }
    if (!gen_has(&c->gen[c->cur ^ 1], id, h)) {
        return false;
    }
    (void)put(c, id, h); /* kept for another generation; a failed copy only costs a miss later */
    return true;
}

int seen_cache_add(struct seen_cache *c, const char *id)
{
    uint64_t h;

    if (!c) {
        return 0;
    }
    h = seen_cache_hash(id);
    if (gen_has(&c->gen[c->cur], id, h)) {
        return 0;
    }
    return put(c, id, h);
}

size_t seen_cache_count(const struct seen_cache *c)
{
    return c ? c->gen[0].count + c->gen[1].count : 0;
}

uint64_t seen_cache_turns(const struct seen_cache *c)
{
    return c ? c->turns : 0;
}
