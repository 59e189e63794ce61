/*
 * Internals of the backtest (archive_backtest.h) shared by its files: archive_backtest.c (the
 * run: threads, counting, events), archive_backtest_sets.c (the combined set and the
 * narrowing), archive_backtest_report.c (release and JSON). Not for other modules.
 */
#ifndef ARCHIVE_BACKTEST_INT_H
#define ARCHIVE_BACKTEST_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "archive.h"
#include "archive_backtest.h"
#include "rules.h"

/*
 * One match per item for both sets (archive_backtest.h "Matching"): the draft's rules, then each
 * live rule that differs from the draft's rule of its id (under an id no rule file can write).
 * In: draft, live (compiled, borrowed), live_to_union (live rule j -> union index; draft rule i
 * is union index i). Out (owned, release with rule_set_free() and free()): comb, NULL when the
 * sets' exclude or place lists differ, or no live set; comb_draft[k] / comb_live[k]: the union
 * index of combined rule k on each side, or SIZE_MAX.
 */
struct backtest_combined {
    const struct rule_set *draft, *live;
    const size_t *live_to_union;
    struct rule_set *comb;
    size_t *comb_draft, *comb_live;
};

/* Fill c->comb and its maps (above). Returns 0 (comb may stay NULL) or ERR_NOMEM. */
int backtest_combined_build(struct backtest_combined *c);

/* The OR of both sets' positive terms, normalised (norm.h), as an archive_narrow formula. */
struct backtest_narrow {
    char **terms; /* distinct, owned */
    size_t n_terms;
    struct archive_narrow *nodes;
    const struct archive_narrow **kids;
    struct archive_narrow root; /* valid when usable */
    bool usable; /* false: a one-character term, or none: the index narrows nothing */
};

/*
 * Build n (caller storage) for draft and live (live may be NULL). Returns 0, ERR_NOMEM or
 * norm_global()'s error with one line in errbuf. Release with backtest_narrow_release().
 */
int backtest_narrow_build(struct backtest_narrow *n, const struct rule_set *draft,
                          const struct rule_set *live, char *errbuf, size_t errlen);

/* Free what n owns and zero it. */
void backtest_narrow_release(struct backtest_narrow *n);

/* Free what s owns and zero it. */
void backtest_sample_release(struct backtest_sample *s);

#endif
