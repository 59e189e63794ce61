/*
 * What the matcher benchmarks (bench_matcher.c, bench_reload_latency.c) build alike: random
 * numbers, CJK characters as UTF-8, random terms and a rule set in rules_store's JSON over them.
 */
#ifndef BENCH_RULES_H
#define BENCH_RULES_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_TERMS_PER_RULE 10

/* The next value of the xorshift64 generator whose state is *state (not 0; updated). */
uint64_t bench_xorshift64(uint64_t *state);

/* cp (U+0800..U+FFFF) as 3 bytes of UTF-8 into out (at least 3 bytes, not terminated). */
size_t bench_put_cp(char *out, uint32_t cp);

/*
 * n random terms of min_cps to min_cps + n_lengths - 1 (at most 5) characters: each term's length
 * from next() % n_lengths, then each character from cp() (U+0800..U+FFFF), so the caller's
 * generators decide the sequence. A few may collide (the rule set keeps distinct terms).
 * Returns a new array of n new strings (free() each, then the array), NULL when out of memory.
 */
char **bench_make_terms(size_t n, unsigned min_cps, unsigned n_lengths, uint64_t (*next)(void),
                        uint32_t (*cp)(void));

/*
 * The rule-set JSON {"version":version,"rules":[...]} of n_rules rules r0.. over terms
 * (BENCH_TERMS_PER_RULE each, in order): (a|b|c|d) & (e|f|g) & !(h|i|j). *len gets its length.
 * New string (free()), NULL when out of memory. Terms are used as given (no JSON escaping:
 * generated CJK).
 */
char *bench_rules_json(char **terms, size_t n_rules, int64_t version, size_t *len);

#endif
