/*
 * Matching one item against a compiled rule set (design §4): normalise the item's title and
 * text and find every occurrence of every term in them (term_find.h), drop the item when a
 * global exclude term occurs, evaluate each rule whose sources and scope apply, and build
 * the alert for an item that matched at least one rule.
 *
 * Semantics:
 * - A term occurs in a field when its normalised form occurs in the field's normalised text
 *   (overlapping, nested and suffix occurrences all count, FC-024) on word edges when it is
 *   alphabetic (term_hit_on_word_edges(): "ai" not in "aids", "5g" not in "15g").
 * - A rule's scope says which fields its terms are looked for in (title, text or both).
 * - NEAR/n(a, b) holds when, in one field within scope, an occurrence of a and one of b are
 *   at most n normalised characters apart (characters strictly between them; overlapping
 *   or adjacent occurrences are 0 apart). NEAR/n(a, a) needs two distinct occurrences.
 * - A rule marked local (issue #11) holds only when one of the set's places occurs in the
 *   title or the text (whatever the rule's scope), or the item carries "local": true (its
 *   source is marked local in sources.yaml).
 * - Only rules with at least one positive term present are evaluated (a rule that is true
 *   with no term present is rejected when compiled, and such a rule cannot become true by
 *   negated terms alone), through the set's term -> rules index.
 * - Reported offsets are code points into the ORIGINAL field, end exclusive; the excerpt is
 *   that span of the original text (FC-026, FC-028).
 */
#ifndef MATCH_H
#define MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "yq_alert.h"
#include "yq_item.h"

/* At most this many occurrences of one term in one field are reported in an alert. */
#define MATCH_MAX_HITS_PER_TERM 64
/* At most this many occurrences of one term in one field are kept for NEAR (all count). */
#define MATCH_MAX_KEPT_PER_TERM 1024

enum match_field {
    MATCH_FIELD_TITLE = 0,
    MATCH_FIELD_TEXT = 1,
};

struct match_hit {
    size_t term; /* index into rule_set.terms */
    enum match_field field;
    size_t start;  /* code points into the original field, inclusive */
    size_t end;    /* exclusive */
    size_t nstart; /* bytes into the normalised field, inclusive */
    size_t nend;   /* exclusive */
};

struct match_rule {
    size_t rule; /* index into rule_set.rules */
    size_t n_hits;
    struct match_hit *hits; /* the rule's positive terms found in its scope, title first */
};

struct match_result {
    const char *excluded_by; /* the exclude term that occurred (borrowed from the set), or NULL */
    size_t n_rules;
    struct match_rule *rules; /* matched rules in rule-set order */
};

/* Per-thread working memory for match_item(); reusable across items and rule sets. */
struct match_scratch;

/* A new scratch (match_scratch_free()), or NULL on ERR_NOMEM. */
struct match_scratch *match_scratch_new(void);

/* Free ms (NULL is a no-op). */
void match_scratch_free(struct match_scratch *ms);

/*
 * Match item (borrowed) against rs (compiled, borrowed) using ms (one per thread).
 * out: caller storage, zeroed first; release with match_result_release() whatever the
 * result. A NULL title or text counts as empty. Returns 0, ERR_NOMEM or ERR_RETRY
 * (Vectorscan failed). Thread-safe for a shared rs with one ms per thread.
 */
int match_item(const struct rule_set *rs, struct match_scratch *ms, const struct yq_item *item,
               struct match_result *out);

/* Free what mr owns and zero it; NULL is a no-op. */
void match_result_release(struct match_result *mr);

/* Range of a configured source weight (matcher.source_weights), inclusive. */
#define MATCH_WEIGHT_MIN 0.1
#define MATCH_WEIGHT_MAX 10.0

/* One configured source weight: an item's source_id or source (e.g. "weibo") and its factor. */
struct match_source_weight {
    char *name;    /* NUL-terminated, owned */
    double weight; /* MATCH_WEIGHT_MIN..MATCH_WEIGHT_MAX */
};

/*
 * Configured source weights (matcher.source_weights). Zeroed storage = none configured: the
 * built-in weights apply (weibo 1.2, wechat 1.1, anything else 1.0).
 */
struct match_weights {
    struct match_source_weight *w; /* n entries, names unique, owned */
    size_t n;
    size_t cap; /* private bookkeeping: the capacity of w (match_weights_set()) */
};

/*
 * Set name's weight in mw (caller storage), replacing an entry of that name.
 * name: NUL-terminated, copied. weight: MATCH_WEIGHT_MIN..MATCH_WEIGHT_MAX (asserted).
 * Returns 0 or ERR_NOMEM (mw unchanged).
 */
int match_weights_set(struct match_weights *mw, const char *name, double weight);

/* Free what mw owns and zero it; NULL is a no-op. */
void match_weights_release(struct match_weights *mw);

/*
 * The weight of item (borrowed; may be NULL): mw's entry named like item->source_id, else
 * mw's entry named like item->source, else the built-in weight of item->source (1.2 weibo,
 * 1.1 wechat), else 1.0. mw: borrowed, may be NULL (built-in weights only). Thread-safe.
 */
double match_source_weight(const struct match_weights *mw, const struct yq_item *item);

/*
 * The alert's score, higher = more urgent:
 *
 *   score = (level_base + 5 * min(n_matched - 1, 4) + engagement) * source_weight
 *   level_base    = 100 (I), 70 (II), 40 (III), 10 (IV)   of the most severe matched rule
 *   engagement    = 10 * log10(1 + 3 * reposts + 2 * comments + likes), at most 60
 *                   (0 when the item has no metrics)
 *   source_weight = match_source_weight(mw, item): by default 1.2 weibo, 1.1 wechat, 1.0 rss
 *                   and anything else
 *
 * rounded to one decimal. A level-IV RSS item matching one rule, no metrics: 10.0; a level-I
 * Weibo post matching 3 rules with 99 reposts, 0 comments, 0 likes:
 * (100 + 10 + 10 * log10(298)) * 1.2 = 161.7. item: borrowed (source, source_id, metrics),
 * may be NULL. mw: borrowed, may be NULL (built-in weights).
 */
double match_score_weighted(enum yq_level level, size_t n_matched, const struct yq_item *item,
                            const struct match_weights *mw);

/* match_score_weighted() with the built-in source weights. */
double match_score(enum yq_level level, size_t n_matched, const struct yq_item *item);

/*
 * Build the alert for an item with mr->n_rules > 0. The event is the item's own
 * (event_key = "ev:" + item id, new, 1 item); the matcher replaces it with the one
 * event.h assigns. level/department are those of the most severe matched rule (the first
 * on a tie); score = match_score() of that level (built-in source weights);
 * rules_version = rs->version; each match carries its rule's id, name, group (NULL when the
 * rule has none, e.g. a set decoded from JSON without groups), department and level; term
 * offsets are into the original fields and each term's excerpt quotes that original span
 * (match_excerpt()). now: seconds since the epoch for matched_at. out: caller storage,
 * zeroed first; holds a deep copy of item; release with yq_alert_release().
 * Returns 0, ERR_INVALID (no match) or ERR_NOMEM.
 */
int match_build_alert(const struct rule_set *rs, const struct match_result *mr,
                      const struct yq_item *item, int64_t now, struct yq_alert *out);

/* match_build_alert() scoring with mw (borrowed; NULL = built-in weights). */
int match_build_alert_weighted(const struct rule_set *rs, const struct match_result *mr,
                               const struct yq_item *item, const struct match_weights *mw,
                               int64_t now, struct yq_alert *out);

/*
 * The original text of code points [start, end) of the NUL-terminated UTF-8 text s
 * (borrowed), clamped to its length. out: a new NUL-terminated string (free()).
 * Returns 0 or ERR_NOMEM.
 */
int match_excerpt(const char *s, size_t start, size_t end, char **out);

/* "title" or "text" (static). */
const char *match_field_name(enum match_field field);

#endif
