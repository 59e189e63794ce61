/*
 * Term finding: every occurrence (overlapping and nested ones included) of a set of literal
 * terms in a text, reported as Unicode code-point offsets into the original text.
 *
 * This is the one place that searches text. The current implementation is a plain scan
 * (exact bytes, ASCII letters case-insensitive); issue #4 replaces it with a Vectorscan
 * literal database and Unicode normalisation behind the same three functions.
 */
#ifndef TERM_FIND_H
#define TERM_FIND_H

#include <stddef.h>

struct term_db;

struct term_hit {
    size_t term;  /* index into the terms given to term_db_new() */
    size_t start; /* code points, inclusive */
    size_t end;   /* code points, exclusive */
};

/*
 * Called once per hit in order of start, then of term index. Return 0 to continue, any
 * other value to stop the scan (term_db_scan() then returns it).
 */
typedef int (*term_hit_fn)(const struct term_hit *hit, void *opaque);

/*
 * Compile n_terms non-empty NUL-terminated UTF-8 terms (borrowed; copied).
 * out: a new database (term_db_free()) that threads may share read-only.
 * Returns 0, ERR_INVALID (an empty or non-UTF-8 term; errbuf names its index) or ERR_NOMEM.
 */
int term_db_new(const char *const *terms, size_t n_terms, struct term_db **out, char *errbuf,
                size_t errlen);

/* Free db (NULL is a no-op). */
void term_db_free(struct term_db *db);

/*
 * Report every occurrence of every term in the len bytes of UTF-8 text (need not be
 * NUL-terminated; borrowed) to fn. ASCII letters match case-insensitively, everything else
 * exactly. Returns 0 or the first non-zero value fn returned. Thread-safe for a shared db.
 */
int term_db_scan(const struct term_db *db, const char *text, size_t len, term_hit_fn fn,
                 void *opaque);

#endif
