/*
 * Matching one item against a compiled rule set (design §4, thin version): find every
 * occurrence of every term in the item's title and text, drop the item when a global
 * exclude term occurs, evaluate each rule whose sources and scope apply, and build the
 * alert for an item that matched at least one rule.
 */
#ifndef MATCH_H
#define MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "yq_alert.h"
#include "yq_item.h"

/* At most this many occurrences of one term in one field are reported (all still count). */
#define MATCH_MAX_HITS_PER_TERM 64

enum match_field {
    MATCH_FIELD_TITLE = 0,
    MATCH_FIELD_TEXT = 1,
};

struct match_hit {
    size_t term;            /* index into rule_set.terms */
    enum match_field field;
    size_t start;           /* code points into the original field, inclusive */
    size_t end;             /* exclusive */
};

struct match_rule {
    size_t rule;              /* index into rule_set.rules */
    size_t n_hits;
    struct match_hit *hits;   /* the rule's positive terms found in its scope, title first */
};

struct match_result {
    const char *excluded_by;  /* the exclude term that occurred (borrowed from the set), or NULL */
    size_t n_rules;
    struct match_rule *rules; /* matched rules in rule-set order */
};

/*
 * Match item (borrowed) against rs (compiled, borrowed). out: caller storage, zeroed first;
 * release with match_result_release() whatever the result. A NULL title or text counts as
 * empty. Returns 0 or ERR_NOMEM. Thread-safe for a shared rs.
 */
int match_item(const struct rule_set *rs, const struct yq_item *item, struct match_result *out);

/* Free what mr owns and zero it; NULL is a no-op. */
void match_result_release(struct match_result *mr);

/*
 * The alert's score: (5 - level) * 10 + n_matched, level 1 (I) .. 4 (IV) of the most severe
 * matched rule. A single level-IV rule scores 11, a level-I rule plus two others 43.
 */
double match_score(enum yq_level level, size_t n_matched);

/*
 * Build the alert for an item with mr->n_rules > 0 (thin event model until issue #4:
 * event_key = "ev:" + item id, event new, 1 item). level/department are those of the most
 * severe matched rule (the first on a tie); rules_version = rs->version.
 * now: seconds since the epoch for matched_at. out: caller storage, zeroed first; holds a
 * deep copy of item; release with yq_alert_release(). Returns 0, ERR_INVALID (no match) or
 * ERR_NOMEM.
 */
int match_build_alert(const struct rule_set *rs, const struct match_result *mr,
                      const struct yq_item *item, int64_t now, struct yq_alert *out);

/* "title" or "text" (static). */
const char *match_field_name(enum match_field field);

#endif
