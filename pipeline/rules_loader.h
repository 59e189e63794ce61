/*
 * Loading and compiling a rule set off the matching thread (issue #16): a hot reload of
 * 100,000 terms took 3.5-5.6 s, and items waited for it. A loader runs one load at a time in
 * a thread of its own (a new thread per load, joined when its result is taken); the
 * matcher keeps matching with the set it holds, takes the result between batches and swaps
 * the pointer there. Matching runs only in the matcher's thread, so at the swap no match
 * uses the old set and it is freed at once (RCU with a single reader: the grace period is
 * "between two batches"). A failed load changes nothing: the caller keeps the old set and
 * reports the failure it is handed.
 *
 * The load itself is a function (rules_load_fn): the matcher's reads the version from
 * Redis on a connection of its own, decodes and compiles it (rules_store_load()) and writes
 * the rule-set cache; tests inject one that blocks on a condition variable.
 */
#ifndef RULES_LOADER_H
#define RULES_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

/*
 * Load and compile rule-set version (> 0) into *out (a new compiled set, or NULL on error),
 * with one line in errbuf on error. Runs in the loader's thread; ctx is rules_loader_new()'s.
 * Returns 0 or an ERR_* code, passed on to the taker as it is.
 */
typedef int (*rules_load_fn)(void *ctx, int64_t version, struct rule_set **out, char *errbuf,
                             size_t errlen);

/* What one load produced (rules_loader_take()). */
struct rules_load_result {
    int64_t version;     /* the version asked for */
    int rc;              /* the load function's return */
    struct rule_set *rs; /* owned by the taker on rc == 0, else NULL */
    char err[512];       /* one line when rc != 0 */
};

struct rules_loader;

/* A loader calling load(ctx, ...) (both borrowed, for its lifetime). NULL on ERR_NOMEM. */
struct rules_loader *rules_loader_new(rules_load_fn load, void *ctx);

/*
 * Wait for a load in progress (its thread is joined), free a result nobody took, free l
 * (NULL is a no-op).
 */
void rules_loader_free(struct rules_loader *l);

/*
 * Start loading version in a new thread. Returns 0, ERR_BAD_STATE (a load is in progress
 * or its result has not been taken), ERR_INVALID (version <= 0) or ERR_NOMEM (no thread).
 */
int rules_loader_start(struct rules_loader *l, int64_t version);

/* The version being loaded or waiting to be taken; 0 when the loader is idle. */
int64_t rules_loader_pending(struct rules_loader *l);

/*
 * Never blocks: when the load has finished, move its result into *out (caller storage),
 * join its thread and return true (the loader is idle again); else false.
 */
bool rules_loader_take(struct rules_loader *l, struct rules_load_result *out);

/* Block until the load in progress (if any) has finished; its result stays to be taken. */
void rules_loader_wait(struct rules_loader *l);

#endif
