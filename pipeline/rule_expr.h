/*
 * Rule expressions (design §4):
 *
 *   expr  := or
 *   or    := and ('|' and)*
 *   and   := unary ('&' unary)*
 *   unary := '!' unary | atom
 *   atom  := TERM | '"' phrase '"' | '(' or ')' | 'NEAR/' N '(' word ',' word ')'
 *   word  := TERM | '"' phrase '"'
 *
 * TERM is a run of characters other than white space (including U+3000) and & | ! ( ) ".
 * A quoted phrase is every byte up to the next '"' (no escapes; it may hold spaces and
 * operators). A bare token starting "NEAR/" is the operator: NEAR/n(a, b) is true when an
 * occurrence of a and one of b (in the same field) are at most n characters apart in the
 * normalised text, counting the characters strictly between them (0: adjacent or
 * overlapping). Inside NEAR(...) ',' and U+FF0C separate the two words; quote a term to
 * use "NEAR/..." or a comma literally.
 *
 * An expression compiles to a postfix program over a table of distinct terms and a table of
 * NEAR atoms; evaluation takes "which terms occurred" and "which NEAR atoms hold" as one
 * array: terms first, then NEAR atoms.
 *
 * An expression is rejected when it would be true with no term present (only negations,
 * e.g. "!a" or "a | !b"): a rule must need at least one positive term. One that can never
 * be true ("a & !a") is rejected as well when it has few enough terms to check exhaustively.
 */
#ifndef RULE_EXPR_H
#define RULE_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#define RULE_EXPR_MAX_BYTES 4096 /* longer expression text is rejected */
#define RULE_EXPR_MAX_TERMS 256  /* distinct terms in one expression */
#define RULE_EXPR_MAX_DEPTH 64   /* nesting of parentheses and '!' */
#define RULE_EXPR_MAX_NEAR 10000 /* largest n of NEAR/n */

struct rule_expr;

/*
 * Compile text (NUL-terminated UTF-8, borrowed).
 * out:    on success a new expression; release with rule_expr_free().
 * errbuf: on ERR_PARSE/ERR_INVALID one line "column N: reason", N the 1-based column in
 *         characters (code points) of the offending token; may be NULL.
 * Returns 0, ERR_PARSE (syntax, bad UTF-8), ERR_TOO_BIG (over the limits above),
 * ERR_INVALID (true with no term present, or never true) or ERR_NOMEM. Thread-safe.
 */
int rule_expr_compile(const char *text, struct rule_expr **out, char *errbuf, size_t errlen);

/* Free e (NULL is a no-op). */
void rule_expr_free(struct rule_expr *e);

/* Number of distinct terms. */
size_t rule_expr_n_terms(const struct rule_expr *e);

/* Term i (< rule_expr_n_terms()) as written, without quotes; borrowed from e. */
const char *rule_expr_term(const struct rule_expr *e, size_t i);

/*
 * True when term i occurs somewhere in the expression under an even number of '!' (its
 * presence can help the rule fire); such terms are the ones reported in alerts.
 */
bool rule_expr_term_positive(const struct rule_expr *e, size_t i);

/*
 * Evaluate e. occurred: rule_expr_n_terms(e) + rule_expr_n_near(e) flags, borrowed: term i
 * at [i], NEAR atom k at [rule_expr_n_terms(e) + k]. Returns the expression's value.
 * Thread-safe (e is read-only).
 */
bool rule_expr_eval(const struct rule_expr *e, const bool *occurred);

/*
 * Whether some set of present terms (and NEAR atoms, each true only with both its terms)
 * makes e true, when terms that are one term once normalised go together: same_as (may be
 * NULL: all terms distinct) has rule_expr_n_terms(e) entries, same_as[i] <= i the first term
 * equal to term i once normalised (i itself for the first). So "wifi & !WIFI" can never be
 * true. Checked exhaustively up to 12 terms + NEAR atoms; a larger e is taken as satisfiable.
 * Thread-safe.
 */
bool rule_expr_satisfiable(const struct rule_expr *e, const size_t *same_as);

/* Number of NEAR atoms. */
size_t rule_expr_n_near(const struct rule_expr *e);

/*
 * NEAR atom i (< rule_expr_n_near()): its two term indexes (into the term table; equal for
 * NEAR/n(a, a), which needs two distinct occurrences) and its distance in characters.
 */
void rule_expr_near(const struct rule_expr *e, size_t i, size_t *a, size_t *b,
                    size_t *distance);

/* The original expression text; borrowed from e. */
const char *rule_expr_text(const struct rule_expr *e);

/* Kinds of a narrowing formula's node (rule_expr_narrow()). */
enum rule_narrow_kind {
    RULE_NARROW_TRUE = 0, /* holds for every text: narrows nothing */
    RULE_NARROW_TERM = 1, /* term occurs */
    RULE_NARROW_AND = 2,  /* every kid holds */
    RULE_NARROW_OR = 3,   /* some kid holds */
};

/*
 * A narrowing formula: a positive AND/OR formula over the expression's terms that holds for
 * AT LEAST every text for which the expression holds (a necessary condition), for an index
 * that can only say "term occurs". A tree; each node owns its kids.
 */
struct rule_narrow {
    enum rule_narrow_kind kind;
    size_t term;               /* TERM: index into the expression's term table */
    struct rule_narrow **kids; /* AND/OR: n_kids >= 2 owned children, none of them TRUE */
    size_t n_kids;
    size_t cap_kids; /* private bookkeeping: the capacity of kids (rule_expr.c) */
};

/*
 * Derive e's narrowing formula. Rules: a term under an even number of '!' stands for itself;
 * under an odd number it narrows nothing (TRUE: its absence cannot be looked up); '!' is
 * pushed down with De Morgan (!(a & b) -> !a | !b, so "!(!a | !b)" narrows to a & b);
 * NEAR/n(a, b) -> a AND b (TRUE when negated); AND/OR keep their shape, nested ones of the
 * same kind are flattened; TRUE is simplified away (AND drops it, OR with a TRUE kid is
 * TRUE, a one-kid AND/OR is its kid). The root is TRUE only when the expression gives the
 * index nothing to look for (never for a compiled expression, which needs a positive term).
 * out: a new tree (rule_narrow_free()). e: borrowed. Returns 0 or ERR_NOMEM. Thread-safe.
 */
int rule_expr_narrow(const struct rule_expr *e, struct rule_narrow **out);

/* Free n and its kids (NULL is a no-op). */
void rule_narrow_free(struct rule_narrow *n);

#endif
