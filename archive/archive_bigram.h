/*
 * The archive's search index over code-point bigrams (archive.h, docs/archive.md "Index"):
 * an FTS5 tokenizer "yq_bigram" and the translation of a struct archive_narrow into an FTS5
 * MATCH expression. Used by the SQLite backend (archive_sqlite.c).
 *
 * Tokens: every pair of neighbouring code points of the (already normalised) text, spaces,
 * punctuation and line breaks included, at consecutive positions: "征地拆迁" gives 征地, 地拆,
 * 拆迁; "a b" gives "a ", " b". So a term of n >= 2 code points occurs in a text exactly when
 * its n - 1 bigrams occur there as a phrase, and FTS5 answers that phrase with the same
 * tokenizer. A byte that does not start a well-formed UTF-8 sequence counts as one code point
 * (the index sees normalised text, where norm.h has already replaced such bytes by U+FFFD).
 * The tokenizer folds nothing: case, width and script are settled by norm.h before.
 */
#ifndef ARCHIVE_BIGRAM_H
#define ARCHIVE_BIGRAM_H

#include <stddef.h>

#include "archive.h"

struct yq_db;

/* The tokenizer's name in CREATE VIRTUAL TABLE ... tokenize='yq_bigram'. */
#define ARCHIVE_BIGRAM_TOKENIZER "yq_bigram"

/* Deepest narrowing formula translated; a deeper sub-formula counts as true (narrows less). */
#define ARCHIVE_BIGRAM_MAX_DEPTH 64
/* Longest MATCH expression made; past it the whole formula counts as true. */
#define ARCHIVE_BIGRAM_MAX_EXPR_BYTES (256 * 1024)

/*
 * Register the tokenizer on db (borrowed; each connection that creates or queries the index
 * needs it). Returns 0, or ERR_IO (FTS5 missing from this SQLite) with one line in errbuf.
 */
int archive_bigram_register(struct yq_db *db, char *errbuf, size_t errlen);

/*
 * Length in bytes (1..4) of the code point starting at s[0], as the tokenizer counts:
 * a well-formed UTF-8 sequence of its lead byte, else 1. s: n >= 1 readable bytes.
 */
size_t archive_bigram_cp_len(const char *s, size_t n);

/*
 * The FTS5 MATCH expression of narrow (borrowed, may be NULL): a term of n >= 2 code points is
 * the quoted phrase of its bigrams (a '"' inside doubled, so no FTS5 syntax can be injected);
 * a shorter term, an invalid UTF-8 term, a formula deeper than ARCHIVE_BIGRAM_MAX_DEPTH or an
 * AND/OR without children is true; true is simplified away (x AND true = x, x OR true = true).
 * out: a new NUL-terminated string (free()), or NULL when the whole formula is true (no
 * narrowing). Returns 0 or ERR_NOMEM.
 */
int archive_bigram_match_expr(const struct archive_narrow *narrow, char **out);

/*
 * The same narrowing for the PostgreSQL backend (archive_pg.c): a tsquery text (cast with
 * ::tsquery, no parser involved) where a term of n >= 2 code points is the AND of its bigrams
 * as quoted lexemes ('..' with ' doubled and \ escaped), AND is &, OR is |; the same true
 * simplifications and limits as archive_bigram_match_expr(). Without positions the AND of a
 * term's bigrams admits texts that hold them apart: a superset, which the caller's matcher
 * settles. out: new string (free()) or NULL when the formula is true. Returns 0 or ERR_NOMEM.
 */
int archive_bigram_tsquery(const struct archive_narrow *narrow, char **out);

/*
 * Most bytes of distinct bigrams a tsvector holds (PostgreSQL's limit on a tsvector's lexemes
 * is 1 MiB); an item with more is stored unindexed (a candidate of every narrowed scan).
 */
#define ARCHIVE_BIGRAM_TSVECTOR_MAX_BYTES 1000000

/*
 * The tsvector text (cast with ::tsvector) of the distinct bigrams of normalised title and text
 * (each field's own bigrams; none across them), sorted bytewise and quoted as above.
 * title/text: title_len/text_len bytes, may be NULL with 0. out: new string (free()).
 * Returns 0, ERR_TOO_BIG (more than ARCHIVE_BIGRAM_TSVECTOR_MAX_BYTES of distinct bigrams:
 * store the item unindexed) or ERR_NOMEM.
 */
int archive_bigram_tsvector(const char *title, size_t title_len, const char *text,
                            size_t text_len, char **out);

#endif
