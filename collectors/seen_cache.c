#include "seen_cache.h"

#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

/* One generation: open addressing with linear probing, at most half full. */
struct seen_gen {
    char **ids;       /* cap slots, NULL = empty; owned */
    uint64_t *hashes; /* the hash of ids[i] */
    size_t count;
};

struct seen_cache {
    size_t max_ids; /* per generation */
    size_t cap;     /* slots per generation: a power of two >= 2 x max_ids */
    struct seen_gen gen[2];
    int cur;        /* index of the current generation in gen */
    uint64_t turns;
};

uint64_t seen_cache_hash(const char *id)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a 64 */
    for (const unsigned char *c = (const unsigned char *)id; *c; c++) {
        h ^= *c;
        h *= 1099511628211ull;
    }
    return h;
}

static int gen_init(struct seen_gen *g, size_t cap)
{
    g->ids = calloc(cap, sizeof(*g->ids));
    g->hashes = calloc(cap, sizeof(*g->hashes));
    g->count = 0;
    return g->ids && g->hashes ? 0 : ERR_NOMEM;
}

static void gen_clear(struct seen_gen *g, size_t cap)
{
    if (!g->ids) {
        return;
    }
    for (size_t i = 0; i < cap && g->count > 0; i++) {
        if (g->ids[i]) {
            free(g->ids[i]);
            g->ids[i] = NULL;
            g->count--;
        }
    }
    g->count = 0;
}

/* The slot of id in g, or of the empty slot where it would go. */
static size_t gen_slot(const struct seen_gen *g, size_t cap, const char *id, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);
    while (g->ids[i] && (g->hashes[i] != h || strcmp(g->ids[i], id) != 0)) {
        i = (i + 1) & (cap - 1);
    }
    return i;
}

struct seen_cache *seen_cache_new(size_t max_ids)
{
    struct seen_cache *c;
    size_t cap = 16;

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
    c->cap = cap;
    if (gen_init(&c->gen[0], cap) != 0 || gen_init(&c->gen[1], cap) != 0) {
        seen_cache_free(c);
        return NULL;
    }
    return c;
}

void seen_cache_free(struct seen_cache *c)
{
    if (!c) {
        return;
    }
    for (int g = 0; g < 2; g++) {
        gen_clear(&c->gen[g], c->cap);
        free(c->gen[g].ids);
        free(c->gen[g].hashes);
    }
    free(c);
}

/* Put id (hash h, not in the current generation) into it, turning it first when full. */
static int put(struct seen_cache *c, const char *id, uint64_t h)
{
    struct seen_gen *g = &c->gen[c->cur];
    char *copy = strdup(id);
    size_t i;

    if (!copy) {
        return ERR_NOMEM;
    }
    if (g->count >= c->max_ids) {
        /* the old generation goes; the full current one becomes the old one */
        c->cur ^= 1;
        g = &c->gen[c->cur];
        gen_clear(g, c->cap);
        c->turns++;
    }
    i = gen_slot(g, c->cap, id, h);
    g->ids[i] = copy;
    g->hashes[i] = h;
    g->count++;
    return 0;
}

bool seen_cache_has(struct seen_cache *c, const char *id)
{
    uint64_t h;
    size_t i;

    if (!c) {
        return false;
    }
    h = seen_cache_hash(id);
    if (c->gen[c->cur].ids[gen_slot(&c->gen[c->cur], c->cap, id, h)]) {
        return true;
    }
    i = gen_slot(&c->gen[c->cur ^ 1], c->cap, id, h);
    if (!c->gen[c->cur ^ 1].ids[i]) {
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
    if (c->gen[c->cur].ids[gen_slot(&c->gen[c->cur], c->cap, id, h)]) {
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
