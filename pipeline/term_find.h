/*
 * Term finding: every occurrence (overlapping, nested and suffix ones included, FC-024) of a
 * set of literal terms in a text, over normalised text (norm.h), reported with offsets into
 * both the normalised and the original text.
 *
 * All terms are normalised with the same function as the text and compiled into one
 * Vectorscan literal database (hs_compile_lit_multi, block mode, no flags: every match of
 * every literal is reported). Vectorscan reports the end of each match; a literal's start is
 * its end minus its normalised length, so start-of-match tracking (HS_FLAG_SOM_LEFTMOST) is
 * not needed. A match's original span runs from the original code point that produced its
 * first normalised byte to the one that produced its last, so invisible characters inside
 * it are covered and those around it are not (FC-026).
 *
 * Threads share a term_db read-only; each thread scans with its own term_scratch (it holds
 * the Vectorscan scratch and the normalisation buffers).
 */
#ifndef TERM_FIND_H
#define TERM_FIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "norm.h"

/* Normalised text longer than this is cut (the prefix is still scanned). */
#define TERM_FIND_MAX_TEXT_BYTES (4 * 1024 * 1024)

/*
 * The longest normalised term: Vectorscan's limit for one literal (hs_compile_lit_multi refuses
 * a longer one, "Pattern length exceeds limit", and with it the whole database). Normalising
 * may lengthen a term (U+FDFA is 3 bytes, its NFKC form 33).
 */
#define TERM_FIND_MAX_TERM_BYTES 16000

struct term_db;
struct term_scratch;

struct term_hit {
    size_t term;   /* index into the terms given to term_db_new() */
    size_t start;  /* original text, code points, inclusive */
    size_t end;    /* original text, code points, exclusive */
    size_t nstart; /* normalised text, bytes, inclusive */
    size_t nend;   /* normalised text, bytes, exclusive */
};

/*
 * Called once per hit in order of start, then end, then term index. Return 0 to continue,
 * any other value to stop the scan (term_db_scan() then returns it).
 */
typedef int (*term_hit_fn)(const struct term_hit *hit, void *opaque);

/*
 * Why the normalised term s (NUL-terminated, borrowed) can be no rule, exclude or place term, or
 * NULL when it can: "is empty once normalised (only invisible characters)", "is longer than
 * 16000 bytes once normalised (Vectorscan's limit)" (TERM_FIND_MAX_TERM_BYTES; term_db_new()
 * refuses these two) or "is only white space once normalised" (space, tab, line breaks,
 * U+3000 ...: it would match between any two words; term_db_new() takes it, the sentiment
 * lexicon ends clauses at "\n"). A static string. Thread-safe.
 */
const char *term_find_unusable(const char *s);

/*
 * Normalise and compile n_terms NUL-terminated UTF-8 terms (borrowed; copied).
 * out: a new database (term_db_free()) that threads may share read-only.
 * Returns 0, ERR_INVALID (a term is empty or not UTF-8, or once normalised empty (only
 * zero-width characters) or longer than TERM_FIND_MAX_TERM_BYTES; errbuf names it),
 * ERR_NOT_FOUND (the
 * normalisation tables could not be built: OpenCC data missing) or ERR_NOMEM.
 */
int term_db_new(const char *const *terms, size_t n_terms, struct term_db **out, char *errbuf,
                size_t errlen);

/* Free db (NULL is a no-op). */
void term_db_free(struct term_db *db);

/* Number of terms. */
size_t term_db_n_terms(const struct term_db *db);

/* The normalised form of term i; borrowed from db. */
const char *term_db_normalised(const struct term_db *db, size_t i);

/* Bytes held by the Vectorscan database (hs_database_size), 0 without terms. */
size_t term_db_hs_bytes(const struct term_db *db);

/* A new scratch for one thread (term_scratch_free()), or NULL on ERR_NOMEM. */
struct term_scratch *term_scratch_new(void);

/* Free sc and its Vectorscan scratch (NULL is a no-op). */
void term_scratch_free(struct term_scratch *sc);

/*
 * Normalise the len bytes of UTF-8 text (need not be NUL-terminated; borrowed) into sc and
 * report every occurrence of every term to fn (see term_hit_fn for the order). The
 * normalised text stays in sc until the next scan (term_scratch_text()).
 * Returns 0, the first non-zero value fn returned, ERR_NOMEM, or ERR_RETRY (Vectorscan
 * failed, e.g. its scratch could not be allocated). Thread-safe for a shared db with one sc
 * per thread.
 */
int term_db_scan(const struct term_db *db, struct term_scratch *sc, const char *text, size_t len,
                 term_hit_fn fn, void *opaque);

/*
 * Whether hit, of sc's last scan with db, stands on word edges (the rule language's word
 * boundaries for alphabetic terms): a term whose first normalised character is a letter of an
 * alphabet written with spaces (Latin, Greek, Cyrillic, Armenian) does not start right after
 * another such letter, one that starts with a digit not right after a digit, and likewise at
 * its end. So "ai" is not found in "aids" or "said" nor "5g" in "15g", while "ai" is in
 * "ai换脸" and "ai, 5g", "covid" in "covid19" and "5g" in "5g基站" (a letter next to a digit is
 * an edge). A term that starts or ends with a CJK character, punctuation or a space has no
 * edge to keep there. db, sc, hit: borrowed. Thread-safe for a shared db with one sc per thread.
 */
bool term_hit_on_word_edges(const struct term_db *db, const struct term_scratch *sc,
                            const struct term_hit *hit);

/* The normalised text of sc's last scan (borrowed; valid until the next scan). */
const struct norm_text *term_scratch_text(const struct term_scratch *sc);

/*
 * Raw Vectorscan over already-normalised text: count every match, no offset mapping or
 * ordering (the benchmark's baseline). *out gets the count. Returns 0 or ERR_RETRY/ERR_NOMEM.
 */
int term_db_scan_raw(const struct term_db *db, struct term_scratch *sc, const char *norm,
                     size_t len, uint64_t *out);

#endif
